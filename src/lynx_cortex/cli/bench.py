"""`lynx bench`: the performance figures side by side with their references (`lynx_cortex.bench`);
`lynx bench serve`: a load test of the tutor service (`miniserve.loadgen`)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from lynx_cortex.cli._common import CONTEXT, OUT_DIR, SEED
from lynx_cortex.runner import DEFAULT_SEED


@click.group(
    "bench",
    context_settings=CONTEXT,
    invoke_without_command=True,
    short_help="Run every side-by-side benchmark.",
)
@click.option(
    "--quick", is_flag=True, help="Smoke-sized runs (a few minutes) instead of the full figures."
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.option("--out", type=OUT_DIR, help="Output folder (default experiments/bench/<stamp>/).")
@click.option(
    "--baseline",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="An earlier bench.json: its figures become the table's 'before' column.",
)
@click.option(
    "--lab", "labs", multiple=True, metavar="ID", help="Only this benchmark lab (repeatable)."
)
@click.option(
    "--seed", type=SEED, default=DEFAULT_SEED, show_default=True, help="Seed for every RNG."
)
@click.pass_context
def bench(
    ctx: click.Context,
    quick: bool,
    as_json: bool,
    out: Path | None,
    baseline: Path | None,
    labs: tuple[str, ...],
    seed: int,
) -> None:
    """Run the benchmark labs and write bench.json and BENCHMARKS.md; the folder is the last line.

    `lynx bench serve` load-tests the tutor service instead (see its --help).
    """
    if ctx.invoked_subcommand is not None:
        return
    from lynx_cortex.bench import load_baseline, run_bench, write_report
    from lynx_cortex.paths import experiments_dir
    from lynx_cortex.runner import target_dir

    before = load_baseline(baseline) if baseline is not None else None
    target = target_dir(out, experiments_dir() / "bench")
    summary = run_bench(target, quick=quick, seed=seed, labs=labs or None)
    report = write_report(target, summary, before)
    if as_json:
        click.echo(json.dumps(summary, sort_keys=True))
    else:
        click.echo(report.read_text(encoding="utf-8"))
        click.echo(str(target))


@bench.command("serve", context_settings=CONTEXT, short_help="Load-test the tutor service.")
@click.option(
    "--url",
    default=None,
    help="A running service on this machine (e.g. http://127.0.0.1:8765). Default: start one.",
)
@click.option(
    "--scheduler",
    type=click.Choice(("none", "static", "continuous")),
    default="continuous",
    show_default=True,
    help="The scheduler of the service started here (ignored with --url).",
)
@click.option(
    "--endpoint",
    type=click.Choice(("generate", "correct")),
    default="generate",
    show_default=True,
    help="generate: the mixed short/medium/long workload; correct: tutor sentences.",
)
@click.option(
    "--rate",
    type=click.FloatRange(0.1, 10_000),
    default=20.0,
    show_default=True,
    help="Open loop: Poisson arrivals per second.",
)
@click.option(
    "--clients",
    type=click.IntRange(1, 1000),
    default=None,
    help="Closed loop instead: this many clients, each waiting for its answer.",
)
@click.option(
    "--duration",
    type=click.FloatRange(0.5, 600),
    default=10.0,
    show_default=True,
    help="Seconds of load.",
)
@click.option("--seed", type=SEED, default=DEFAULT_SEED, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
def bench_serve(
    url: str | None,
    scheduler: str,
    endpoint: str,
    rate: float,
    clients: int | None,
    duration: float,
    seed: int,
    as_json: bool,
) -> None:
    """Offer load to the service and report throughput, p50/p95/p99, queue time, errors and 429s.

    \b
    Loopback only. Without --url a service is started in its own process (so client and server do not
    share an interpreter), without the per-client rate limit (all load comes from 127.0.0.1), and
    stopped afterwards. Timings on a shared machine are noisy: compare
    runs made side by side, not against numbers from elsewhere.

    \b
    Examples:  lynx bench serve --rate 40 --duration 10
               lynx bench serve --endpoint correct --clients 20 --duration 10
               lynx bench serve --url http://127.0.0.1:8765 --rate 100
    """
    from lynx_cortex.progress import activity
    from miniserve.bench import bench_service, render

    with activity(f"bench serve: {duration:g} s of load on {endpoint}"):  # a ticker on stderr
        report = bench_service(
            url=url,
            scheduler=scheduler,
            endpoint=endpoint,
            rate=rate,
            clients=clients,
            duration_s=duration,
            seed=seed,
        )
    click.echo(json.dumps(report, sort_keys=True) if as_json else render(report))
