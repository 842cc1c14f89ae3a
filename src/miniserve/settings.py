"""The service's settings: one frozen pydantic model, read from `LYNX_SERVE_*` environment variables.

Every field below is documented where it is declared; `ServeSettings.from_env()` maps a field `max_queue` to
`LYNX_SERVE_MAX_QUEUE`. A bad value is a `LynxError` naming the variable, so `lynx serve` fails in one line
before it binds a port.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lynx_cortex.errors import LynxError

SchedulerName = Literal["none", "static", "continuous"]
SCHEDULERS: tuple[SchedulerName, ...] = ("none", "static", "continuous")
ENV_PREFIX = "LYNX_SERVE_"


class ServeSettings(BaseModel):
    """What `create_app` needs; defaults are the phase's reference values (seed notes §33.6)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Which scheduler runs `/v1/generate`: `none` (one request at a time), `static`, `continuous`.
    scheduler: SchedulerName = "continuous"
    #: The shipped checkpoint (`artifacts/checkpoints/<model>/`), verified by sha256 before it is served.
    model: str = Field("grammar", min_length=1, max_length=64)
    #: Static batching: the most requests decoded together …
    max_batch: int = Field(8, ge=1, le=256)
    #: … and how long the first request of a batch waits for company (milliseconds).
    max_wait_ms: float = Field(20.0, ge=0.0, le=10_000.0)
    #: Continuous batching: sequences decoding at once (the KV cache's slots).
    max_inflight: int = Field(8, ge=1, le=256)
    #: Requests allowed to wait for a slot; one more is refused with 429 and `Retry-After`.
    max_queue: int = Field(64, ge=1, le=100_000)
    #: `/v1/*` requests in progress at once (all endpoints together); one more is refused with 429 at the door.
    max_concurrent: int = Field(128, ge=1, le=100_000)
    #: The largest `max_tokens` a `/v1/generate` request may ask for.
    max_tokens: int = Field(64, ge=1, le=4096)
    #: Request bodies larger than this many bytes are refused with 413.
    max_body_bytes: int = Field(16_384, ge=256, le=10_000_000)
    #: Per-client token bucket on `/v1/*`: tokens added per second (0 turns the limit off) …
    rate_per_s: float = Field(200.0, ge=0.0, le=1_000_000.0)
    #: … and the bucket's size (the burst a client may send at once).
    rate_burst: int = Field(400, ge=1, le=1_000_000)
    #: Corrections allowed to wait for the tutor's worker before 429.
    tutor_queue: int = Field(64, ge=1, le=100_000)
    #: Corrections remembered (the tutor is deterministic: same sentence, same answer); 0 turns it off.
    tutor_cache: int = Field(4096, ge=0, le=1_000_000)
    #: Where traces go (phase 34): `none`, `console` or `otlp` (the `observe-otlp` extra; the collector at
    #: OTEL_EXPORTER_OTLP_ENDPOINT or localhost:4318) …
    tracing: Literal["none", "console", "otlp"] = "none"
    #: … and the share of requests traced.
    trace_ratio: float = Field(1.0, ge=0.0, le=1.0)
    #: The JSON log's level under `uvicorn --factory miniserve.app:create_app_from_env` (`lynx serve` has
    #: `--log-level`): one `request.completed` line per request at `info`.
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> ServeSettings:
        """Settings from `LYNX_SERVE_<FIELD>` variables, then `overrides` (the CLI's options) on top."""
        source = os.environ if env is None else env
        values: dict[str, object] = {}
        for name in cls.model_fields:
            raw = source.get(ENV_PREFIX + name.upper())
            if raw is not None and raw.strip():
                values[name] = raw.strip()
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = str(first["loc"][0]) if first["loc"] else "?"
            where = (
                f"{ENV_PREFIX}{field.upper()}"
                if field in values and field not in overrides
                else field
            )
            raise LynxError(f"{where}: {first['msg']} (got {values.get(field)!r})") from None


__all__ = ["ENV_PREFIX", "SCHEDULERS", "SchedulerName", "ServeSettings"]
