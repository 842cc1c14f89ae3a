"""The request bodies of the service: pydantic models whose errors name the offending field.

Types are strict (a number is not a sentence, `"5"` is not a token count) and unknown fields are refused, so
a typo in a client (`max_token`) is a 422 naming it instead of a silently ignored option.
"""

from __future__ import annotations

import re
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

REQUEST_ID: Final = re.compile(
    r"[A-Za-z0-9._-]{1,64}"
)  # use fullmatch: `$` would accept a final \n
MAX_SENTENCE: Final = 280
MAX_PROMPT: Final = 1000


def _request_id(value: str | None) -> str | None:
    if value is not None and not REQUEST_ID.fullmatch(value):
        raise ValueError("request_id must be 1 to 64 characters of A-Z a-z 0-9 . _ -")
    return value


class CorrectRequest(BaseModel):
    """`POST /v1/grammar/correct` (DESIGN §9)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    sentence: str = Field(min_length=1, max_length=MAX_SENTENCE)
    request_id: str | None = None

    @field_validator("sentence")
    @classmethod
    def _printable(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("sentence is blank")
        if any(ord(c) < 32 and c not in "\t\n\r" for c in value):
            raise ValueError("sentence contains control characters")
        return value

    @field_validator("request_id")
    @classmethod
    def _rid(cls, value: str | None) -> str | None:
        return _request_id(value)


class GenerateRequest(BaseModel):
    """`POST /v1/generate`: a prompt, a budget, a decoding rule and an optional output grammar."""

    model_config = ConfigDict(extra="forbid", strict=True)

    prompt: str = Field(min_length=1, max_length=MAX_PROMPT)
    #: New tokens at most (the stop token included); the server's `max_tokens` setting caps it further.
    max_tokens: int = Field(16, ge=1, le=4096)
    #: 0 is greedy decoding; above 0, sampling from softmax(logits / temperature) with `seed`.
    temperature: float = Field(0.0, ge=0.0, le=5.0)
    seed: int = Field(0, ge=0, le=2**32 - 1)
    #: Wrap the prompt in the tutor's frame (`<|endoftext|>prompt<|sep|>`), what the shipped model was trained on.
    framed: bool = False
    #: Constrain the output to this regular expression (ministruct's subset) …
    regex: str | None = Field(None, min_length=1, max_length=500)
    #: … or to this JSON Schema (not both).
    json_schema: dict[str, Any] | None = None
    #: Answer as `text/event-stream`: one `token` event per token, then one `done` event.
    stream: bool = False
    request_id: str | None = None

    @field_validator("temperature", mode="before")
    @classmethod
    def _number(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return float(value)  # 0 and 1 are fine temperatures in JSON
        return value

    @field_validator("json_schema")
    @classmethod
    def _one_grammar(
        cls, value: dict[str, Any] | None, info: ValidationInfo
    ) -> dict[str, Any] | None:
        if value is not None and info.data.get("regex") is not None:
            raise ValueError("give regex or json_schema, not both")
        return value

    @field_validator("request_id")
    @classmethod
    def _rid(cls, value: str | None) -> str | None:
        return _request_id(value)


__all__ = ["MAX_PROMPT", "MAX_SENTENCE", "REQUEST_ID", "CorrectRequest", "GenerateRequest"]
