"""Failures that become HTTP answers: each carries its status and a message safe to show the user."""

from __future__ import annotations


class PortalError(Exception):
    """A request the portal refuses; `status` is the 4xx (or 503) answer, `message` says what was wrong and
    `headers` go out with it (Retry-After on a 429 or 503)."""

    status = 400

    def __init__(
        self, message: str, *, status: int | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.headers: dict[str, str] = dict(headers or {})
        if status is not None:
            self.status = status


class NotFoundError(PortalError):
    status = 404


class ForbiddenError(PortalError):
    status = 403


class GoneError(PortalError):
    status = 410
