"""Blueprints, one per area: routes and forms. Views are thin: parse, call a service, commit, redirect."""
