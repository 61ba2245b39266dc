"""The API's page for people: its operations, the scopes they need and the problem types, rendered from the same
OpenAPI document the code generates (no script from a CDN: a page of the site)."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template

from matchapp.models import SCOPES
from matchapp.web.api.problems import PROBLEMS

docs_bp = Blueprint("api_reference", __name__, url_prefix="/api/v1")
METHODS = ("get", "post", "put", "patch", "delete")


def operations(spec: dict) -> list[dict]:
    """Every operation of the document, in the order of its paths."""
    found = []
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                operation = item[method]
                found.append({"method": method.upper(), "path": path, "summary": operation.get("summary", ""),
                              "description": operation.get("description", ""),
                              "tag": (operation.get("tags") or [""])[0]})
    return found


@docs_bp.get("/docs")
def docs():
    spec = current_app.extensions["matchapp-api"].spec.to_dict()
    return render_template("api/docs.html", operations=operations(spec), problems=PROBLEMS, scopes=SCOPES,
                           version=spec["openapi"])
