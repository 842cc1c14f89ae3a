"""OpenTelemetry tracing: configure the SDK once per application, a server span per request, `span()` helpers.

Libraries (the tutor) only call the OTel *API* (`trace.get_tracer(...)`), which does nothing until an
application configures an SDK; `setup_tracing` is that configuration. OTel lets the global provider be set only
once per process, but tests and labs build many instrumented apps in one process, each with its own exporter.
So the global provider installed here is a thin delegate that forwards every span to the most recently set-up
`Tracing` (a no-op once that one is shut down): each app's spans land in its own exporter, and the tutor's
module-level tracer keeps working across them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any, Final, Literal, get_args

from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.util.types import AttributeValue
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from miniobserve.context import request_id_var
from miniobserve.errors import ObserveError
from miniobserve.routes import route_template

Exporter = Literal["none", "console", "otlp", "memory"]
EXPORTERS: Final = get_args(Exporter)
TRACE_HEADER: Final = "x-trace-id"
TRACE_ID_SCOPE_KEY: Final = "miniobserve.trace_id"
OTLP_EXTRA: Final = "observe-otlp"
INSTRUMENTATION: Final = "miniobserve"


@dataclass
class Tracing:
    """One application's tracer provider, and its in-memory exporter when asked for (`exporter="memory"`)."""

    service_name: str
    exporter: str  # one of EXPORTERS
    provider: TracerProvider
    memory: InMemorySpanExporter | None = None
    _closed: bool = field(default=False, repr=False)

    @property
    def tracer(self) -> trace.Tracer:
        return self.provider.get_tracer(INSTRUMENTATION)

    def finished_spans(self) -> tuple[ReadableSpan, ...]:
        """The spans ended so far (in-memory exporter only)."""
        if self.memory is None:
            raise ObserveError("finished_spans() needs setup_tracing(..., exporter='memory')")
        return tuple(self.memory.get_finished_spans())

    def shutdown(self) -> None:
        """Flush and close the exporter; spans started afterwards through the global API are dropped."""
        if not self._closed:
            self._closed = True
            _ACTIVE.release(self)
            self.provider.shutdown()


def _otlp_exporter(endpoint: str | None) -> SpanExporter:
    """The OTLP/HTTP exporter, imported only when asked for: its package is the optional extra."""
    try:
        module = import_module("opentelemetry.exporter.otlp.proto.http.trace_exporter")
    except ImportError as exc:
        raise ObserveError(
            "exporter='otlp' needs the OTLP exporter package: install the "
            f"'{OTLP_EXTRA}' extra (uv sync --extra {OTLP_EXTRA})"
        ) from exc
    exporter: SpanExporter = (
        module.OTLPSpanExporter(endpoint=endpoint) if endpoint else module.OTLPSpanExporter()
    )
    return exporter


def setup_tracing(
    service_name: str,
    exporter: str = "none",
    sample_ratio: float = 1.0,
    *,
    endpoint: str | None = None,
    attributes: Mapping[str, str] | None = None,
) -> Tracing:
    """A `TracerProvider` for `service_name` that keeps `sample_ratio` of new traces (children follow their
    parent's decision), exporting to nothing, the console, OTLP/HTTP (`endpoint`, default the collector's
    `http://localhost:4318/v1/traces`) or memory; it becomes the target of the global OTel API."""
    if exporter not in EXPORTERS:
        raise ObserveError(f"exporter must be one of {', '.join(EXPORTERS)}, got {exporter!r}")
    if not 0.0 <= sample_ratio <= 1.0:
        raise ObserveError(f"sample_ratio must be within [0, 1], got {sample_ratio}")
    resource = Resource.create({"service.name": service_name, **(attributes or {})})
    provider = TracerProvider(
        resource=resource, sampler=ParentBased(TraceIdRatioBased(sample_ratio))
    )
    memory: InMemorySpanExporter | None = None
    if exporter == "memory":
        memory = InMemorySpanExporter()
        provider.add_span_processor(SimpleSpanProcessor(memory))
    elif exporter == "console":
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    elif exporter == "otlp":
        provider.add_span_processor(BatchSpanProcessor(_otlp_exporter(endpoint)))
    tracing = Tracing(service_name, exporter, provider, memory)
    _ACTIVE.activate(tracing)
    return tracing


class _Active:
    """Which `Tracing` the global API forwards to (the latest one set up and not shut down)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stack: list[Tracing] = []
        self._installed = False

    def activate(self, tracing: Tracing) -> None:
        with self._lock:
            self._stack.append(tracing)
            if not self._installed:
                trace.set_tracer_provider(_DelegatingProvider())
                self._installed = True

    def release(self, tracing: Tracing) -> None:
        with self._lock:
            self._stack = [t for t in self._stack if t is not tracing]

    def provider(self) -> trace.TracerProvider:
        with self._lock:
            return self._stack[-1].provider if self._stack else trace.NoOpTracerProvider()


_ACTIVE: Final = _Active()


class _DelegatingProvider(trace.TracerProvider):
    def get_tracer(
        self,
        instrumenting_module_name: str,
        instrumenting_library_version: str | None = None,
        schema_url: str | None = None,
        attributes: Any = None,
    ) -> trace.Tracer:
        return _DelegatingTracer(instrumenting_module_name, instrumenting_library_version)


class _DelegatingTracer(trace.Tracer):
    """A tracer whose every span goes to the provider active when the span starts."""

    def __init__(self, name: str, version: str | None) -> None:
        self._name = name
        self._version = version

    def _target(self) -> trace.Tracer:
        return _ACTIVE.provider().get_tracer(self._name, self._version)

    def start_span(self, *args: Any, **kwargs: Any) -> trace.Span:
        return self._target().start_span(*args, **kwargs)

    @contextmanager
    def start_as_current_span(  # type: ignore[override]
        self, *args: Any, **kwargs: Any
    ) -> Iterator[trace.Span]:
        with self._target().start_as_current_span(*args, **kwargs) as current:
            yield current


@contextmanager
def span(name: str, **attributes: AttributeValue) -> Iterator[trace.Span]:
    """A child of the current span through the global API (a no-op with no `Tracing` set up); an exception
    leaving the block is recorded on the span and marks it as an error."""
    tracer = trace.get_tracer(INSTRUMENTATION)
    with tracer.start_as_current_span(name, attributes=attributes) as current:
        yield current


def current_ids() -> tuple[str | None, str | None]:
    """The current trace and span ids as W3C hex (32 and 16 digits), or None outside a recording span."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None, None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")


class _Headers:
    """Read-only W3C propagation getter over ASGI header pairs."""

    def get(self, carrier: Mapping[str, Sequence[str]], key: str) -> list[str] | None:
        values = carrier.get(key.lower())
        return list(values) if values else None

    def keys(self, carrier: Mapping[str, Sequence[str]]) -> list[str]:
        return list(carrier)


def _header_map(scope: Scope) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    for raw_name, raw_value in scope.get("headers", ()):
        headers.setdefault(raw_name.decode("latin-1").lower(), []).append(
            raw_value.decode("latin-1")
        )
    return headers


class TracingMiddleware:
    """A SERVER span per HTTP request, named `METHOD /route/{template}`, continuing an incoming
    `traceparent`; the response carries the trace id in `X-Trace-Id` so a user's report can be joined to
    the trace and its log lines.

    FastAPI's native telemetry (on by default in recent FastAPI) already opens a server span outside every
    middleware; when a span is current on arrival, this middleware annotates that one instead of nesting a
    second server span under it.
    """

    def __init__(self, app: ASGIApp, tracing: Tracing) -> None:
        self.app = app
        self.tracing = tracing

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        outer = trace.get_current_span()
        if outer.get_span_context().is_valid:
            try:
                await self._serve(outer, scope, receive, send)
            except Exception as exc:  # our own span below records this when its block exits
                outer.record_exception(exc)
                outer.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                raise
            return
        method = str(scope["method"])
        parent = propagate.extract(_header_map(scope), getter=_Headers())  # type: ignore[arg-type]
        attributes: dict[str, AttributeValue] = {
            "http.request.method": method,
            "url.path": str(scope["path"]),
        }
        with self.tracing.tracer.start_as_current_span(
            method, context=parent, kind=SpanKind.SERVER, attributes=attributes
        ) as server:
            try:
                await self._serve(server, scope, receive, send)
            finally:
                route = route_template(scope)
                server.set_attribute("http.route", route)
                server.update_name(f"{method} {route}")

    async def _serve(self, server: trace.Span, scope: Scope, receive: Receive, send: Send) -> None:
        trace_id = format(server.get_span_context().trace_id, "032x")
        scope[TRACE_ID_SCOPE_KEY] = trace_id  # for RequestIdMiddleware's answer to a crash
        request_id = request_id_var.get()
        if request_id:
            server.set_attribute("lynx.request_id", request_id)

        async def tag_response(message: Message) -> None:
            if message["type"] == "http.response.start":
                status = int(message["status"])
                server.set_attribute("http.response.status_code", status)
                if status >= 500:
                    server.set_status(Status(StatusCode.ERROR))
                message["headers"] = [
                    *message.get("headers", []),
                    (TRACE_HEADER.encode(), trace_id.encode()),
                ]
            await send(message)

        await self.app(scope, receive, tag_response)


__all__ = [
    "EXPORTERS",
    "TRACE_HEADER",
    "Tracing",
    "TracingMiddleware",
    "current_ids",
    "setup_tracing",
    "span",
]
