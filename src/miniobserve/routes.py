"""The route template of a request (`/v1/items/{item_id}`), never its raw path.

Metrics label and span name by template: a raw path puts every id into its own time series (a cardinality
explosion that takes Prometheus down), and a 404 scan with random paths would do the same. Anything that
matches no route is one label value, `UNMATCHED`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
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


class StatusRecorder:
    """A `send` that remembers the response's status as it passes (500 until a response starts: an app that
    raised before answering is a server error), for the middlewares that count and log requests."""

    def __init__(self, send: Callable[[MutableMapping[str, Any]], Awaitable[None]]) -> None:
        self.send = send
        self.status = 500

    async def __call__(self, message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
        await self.send(message)


__all__ = ["StatusRecorder", "UNMATCHED", "route_template"]
