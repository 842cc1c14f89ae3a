"""The one exception miniobserve raises for a configuration the caller can fix.

miniobserve imports no package of ours (it sits in the bottom layer so the service can import it, not the
other way round), so it cannot raise `lynx_cortex.errors.LynxError`; a `ValueError` subclass lets an
application map it to its own error type (the CLI to one line and exit 2, the service to a start-up failure).
"""

from __future__ import annotations


class ObserveError(ValueError):
    """Bad observability configuration: the message names the setting and what it accepts."""


__all__ = ["ObserveError"]
