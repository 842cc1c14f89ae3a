"""Progress bars for work a person waits on: long labs and breaks, `lynx eval`, training runs.

A bar is drawn (by tqdm, on stderr) only when stderr is a terminal, so pipes, logs, CI and the test suite see
nothing and stdout stays exactly what the command prints; `LYNX_PROGRESS=0` turns bars off on a terminal too.
Code that loops over something slow wraps it once, `for x in track(items, desc="probes")`, or holds a `bar`
for loops it drives itself (a training loop with early stopping); the lab runner wraps every lab and break in
`activity`, a ticking elapsed-time line, so even a lab without a bar of its own shows that it is alive.
Nothing is imported until a bar is shown.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sized
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from tqdm import tqdm

T = TypeVar("T")

ENV = "LYNX_PROGRESS"


def enabled() -> bool:
    """Whether bars are drawn now: stderr is a terminal and `LYNX_PROGRESS` is not 0."""
    if os.environ.get(ENV, "").strip() == "0":
        return False
    isatty = getattr(sys.stderr, "isatty", None)
    try:
        return bool(isatty is not None and isatty())
    except ValueError:  # a closed stream
        return False


def track(
    iterable: Iterable[T], *, desc: str, total: int | None = None, unit: str = "it"
) -> Iterator[T]:
    """`iterable`, with a bar on a terminal (its length is taken from `total` or `len(iterable)`)."""
    if not enabled():
        yield from iterable
        return
    if total is None and isinstance(iterable, Sized):
        total = len(iterable)
    with bar(total=total, desc=desc, unit=unit) as shown:
        for item in iterable:
            yield item
            shown.update(1)


def bar(
    *,
    total: int | None,
    desc: str,
    unit: str = "it",
    initial: int = 0,
    show: bool = True,
    **options: Any,
) -> tqdm[Any]:
    """A bar to `update(n)` (and `close()`, or use as a context manager); a silent one off a terminal or
    when `show` is false (the caller's `--quiet`). `options` go to tqdm (`delay`, `bar_format`, …)."""
    from tqdm import tqdm

    return tqdm(
        total=total,
        initial=initial,
        desc=desc,
        unit=unit,
        file=sys.stderr,
        disable=not (show and enabled()),
        dynamic_ncols=True,
        leave=False,
        **options,
    )


@contextmanager
def activity(desc: str, *, delay: float = 2.0, every: float = 1.0) -> Iterator[None]:
    """While the block runs, a line `desc: elapsed` that ticks every `every` seconds, shown once the block
    has taken `delay` seconds: a lab or break without a bar of its own still shows it is working. Bars the
    block opens (a training loop's, an evaluation's) get lines of their own."""
    if not enabled():
        yield
        return
    started = time.monotonic()
    stop = threading.Event()
    shown: list[tqdm[Any]] = []

    def tick() -> None:
        if stop.wait(delay):
            return  # done before anyone would wonder: draw nothing
        from tqdm import tqdm

        def text() -> str:  # elapsed since the block began, not since the line appeared
            return f"{desc}: {tqdm.format_interval(time.monotonic() - started)}"

        line = bar(total=None, desc=text(), bar_format="{desc}")
        shown.append(line)
        while not stop.wait(every):
            line.set_description_str(text())

    ticker = threading.Thread(target=tick, name="lynx-progress", daemon=True)
    ticker.start()
    try:
        yield
    finally:
        stop.set()
        ticker.join()
        for line in shown:
            line.close()


__all__ = ["ENV", "activity", "bar", "enabled", "track"]
