"""The rules of matchapp as plain functions: they flush, never commit, and never touch the request."""
