"""One exception type for every user-facing failure.

The CLI turns a `LynxError` into a one-line message and a non-zero exit; anything else is a bug and keeps its
traceback. Library code raises it (or a subclass) whenever the cause is bad input rather than a defect.
"""

from __future__ import annotations


class LynxError(Exception):
    """A problem the user can fix: the message says what was wrong and where."""
