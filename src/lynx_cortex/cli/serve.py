"""`lynx serve`: the grammar tutor and its model over HTTP (phase 33; `miniserve.app`)."""

from __future__ import annotations

import click

from lynx_cortex.cli._common import CONTEXT, check_listen

SCHEDULER_CHOICES = ("none", "static", "continuous")


@click.command("serve", context_settings=CONTEXT, short_help="Serve the tutor over HTTP.")
@click.option(
    "--scheduler",
    type=click.Choice(SCHEDULER_CHOICES),
    default=None,
    help="How /v1/generate batches requests. Default: $LYNX_SERVE_SCHEDULER or continuous.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=8765, show_default=True, help="Port to bind."
)
@click.option("--log-level", type=click.Choice(("debug", "info", "warning")), default="info")
def serve(scheduler: str | None, host: str, port: int, log_level: str) -> None:
    """Serve POST /v1/grammar/correct, POST /v1/generate (with SSE), /healthz, /readyz and /metrics.

    \b
    Settings come from LYNX_SERVE_* variables (see docs/phase-33-inference-serving/README.md); the
    options here override them. The model is verified against its sha256 before /readyz says 200.

    \b
    Examples:  lynx serve
               lynx serve --scheduler static --port 9000
               curl -s localhost:8765/v1/grammar/correct -H 'content-type: application/json' \\
                    -d '{"sentence": "Yesterday she goed to the market."}'
    """
    import logging

    import uvicorn

    from miniobserve.logging import configure_logging
    from miniserve.app import create_app
    from miniserve.settings import ServeSettings

    settings = ServeSettings.from_env(scheduler=scheduler)  # LynxError → one line, exit 2
    check_listen(host, port)  # a bad host or a busy port: one line, before the model loads
    configure_logging("lynx", level=getattr(logging, log_level.upper()))  # JSON lines, with the ids
    click.echo(f"lynx serve: http://{host}:{port} (scheduler {settings.scheduler})", err=True)
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,  # miniobserve logs one JSON line per request, with its request and trace ids
        workers=1,  # one process: the scheduler must see every request in flight
    )
