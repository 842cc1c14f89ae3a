"""The route template of a request (`/v1/items/{item_id}`), never its raw path.

Metrics label and span name by template: a raw path puts every id into its own time series (a cardinality
explosion that takes Prometheus down), and a 404 scan with random paths would do the same. Anything that
matches no route is one label value, `UNMATCHED`.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any, Final

from starlette.routing import Match

UNMATCHED: Final = "unmatched"


def route_template(scope: MutableMapping[str, Any]) -> str:
    """The template of the route that serves `scope`: the one FastAPI's router recorded, else the first
    Starlette route of `scope["app"]` that fully matches, else `UNMATCHED`."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    app = scope.get("app")
    for candidate in getattr(app, "routes", ()):
        match, _ = candidate.matches(scope)
        if match == Match.FULL:
            template = getattr(candidate, "path", None)
            return template if isinstance(template, str) else UNMATCHED
    return UNMATCHED


__all__ = ["UNMATCHED", "route_template"]
