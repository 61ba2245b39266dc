"""Blueprints, one per area: routes and forms. Views are thin: parse, call a service, redirect
(matchapp/transaction.py commits at the end of the request)."""
