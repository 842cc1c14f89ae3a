"""The portal's side of "Ask the tutor": one HTTP call to the tutor service, never an import of its code.

The portal runs without a model (DESIGN §1), so the tutor is a remote dependency that can be missing, slow,
overloaded or wrong. Every one of those ends as `TutorUnavailableError` with a reason a learner can read, and the
page stays up; only a reply with DESIGN §9's fields, of the right types, is shown as a correction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import httpx

MAX_SENTENCE: Final = 280  # DESIGN §9: the service takes 1..280 characters


class TutorUnavailableError(Exception):
    """The tutor could not answer; `reason` is one of the keys below (the page translates it)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason, self.detail = reason, detail


@dataclass(frozen=True)
class TutorReply:
    request_id: str
    original: str
    in_scope: bool
    was_correct: bool | None
    correction: str | None
    error_type: str | None
    explanation: dict[str, str]
    spanish_translation: str | None
    cited_chunks: tuple[str, ...]
    duration_ms: float

    def explanation_in(self, locale: str) -> str:
        return self.explanation.get(locale) or self.explanation.get("en", "")


def _reply(data: Any) -> TutorReply:
    """Check the §9 fields the page shows; anything else is the tutor's bug, not a correction to show."""
    if not isinstance(data, dict):
        raise TypeError("the reply is not a JSON object")
    explanation = data.get("explanation")
    if not isinstance(explanation, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in explanation.items()
    ):
        raise TypeError("explanation must map locales to text")
    chunks = data.get("cited_chunks")
    if not isinstance(chunks, list) or not all(isinstance(c, str) for c in chunks):
        raise TypeError("cited_chunks must be a list of ids")
    checks: dict[str, tuple[type, ...]] = {
        "request_id": (str,),
        "original": (str,),
        "in_scope": (bool,),
        "was_correct": (bool, type(None)),
        "correction": (str, type(None)),
        "error_type": (str, type(None)),
        "spanish_translation": (str, type(None)),
        "duration_ms": (int, float),
    }
    for name, types in checks.items():
        if name not in data or not isinstance(data[name], types):
            raise TypeError(f"field {name!r} is missing or of the wrong type")
    return TutorReply(
        request_id=data["request_id"],
        original=data["original"],
        in_scope=data["in_scope"],
        was_correct=data["was_correct"],
        correction=data["correction"],
        error_type=data["error_type"],
        explanation=dict(explanation),
        spanish_translation=data["spanish_translation"],
        cited_chunks=tuple(chunks),
        duration_ms=float(data["duration_ms"]),
    )


async def ask_tutor(
    client: httpx.AsyncClient, base_url: str, sentence: str, *, request_id: str
) -> TutorReply:
    """POST the sentence to `{base_url}/v1/grammar/correct`; a `TutorReply` or `TutorUnavailableError`."""
    try:
        response = await client.post(
            f"{base_url}/v1/grammar/correct",
            json={"sentence": sentence, "request_id": request_id},
            headers={"x-request-id": request_id},
        )
    except httpx.TimeoutException:
        raise TutorUnavailableError("timeout") from None
    except httpx.HTTPError as exc:
        raise TutorUnavailableError("down", type(exc).__name__) from None
    if response.status_code == 429:
        raise TutorUnavailableError("busy", response.headers.get("retry-after", ""))
    if response.status_code >= 400:
        raise TutorUnavailableError("refused", f"HTTP {response.status_code}")
    try:
        return _reply(response.json())
    except (ValueError, TypeError) as exc:
        raise TutorUnavailableError("malformed", str(exc)) from None
