"""How the portal goes on the network: uvicorn's options and the access-log redaction, in one place, so that
`lynx portal serve`, `lynx up` and the tests' live servers start it the same way.

Two defaults of uvicorn are wrong for this app. It believes `X-Forwarded-For` from 127.0.0.1, so any local
client (or any client, behind a proxy that forwards the header unchanged) could claim a fresh address for every
login and never meet the per-address limit; here forwarded headers are believed only from
`LYNX_PORTAL_TRUSTED_PROXIES`. And its access log prints every path, invite tokens included, so a log reader
could set someone's password; here `/invite/<token>` is logged as `/invite/[redacted]`.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from miniportal.settings import PortalSettings

INVITE_IN_PATH = re.compile(r"(/invite/)[^/?#\s\"']+")
REDACTED = r"\1[redacted]"
LOGGERS = ("uvicorn.access", "uvicorn.error")


def redact(text: str) -> str:
    """`/invite/<token>` becomes `/invite/[redacted]` wherever it appears in `text`."""
    return INVITE_IN_PATH.sub(REDACTED, text)


class RedactInvites(logging.Filter):
    """Rewrites a record's message and string arguments before any handler formats them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {
                k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()
            }
        return True


def install_log_redaction() -> None:
    """Idempotent; uvicorn's own logging set-up keeps logger filters, so the order does not matter."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactInvites) for f in logger.filters):
            logger.addFilter(RedactInvites())


def uvicorn_options(settings: PortalSettings) -> dict[str, Any]:
    """Keyword arguments for `uvicorn.run` / `uvicorn.Config` (besides the app, host and port)."""
    trusted = list(settings.trusted_proxies)
    return {
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted or [],
        "server_header": False,
    }
