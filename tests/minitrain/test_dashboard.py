"""The dashboard is one offline HTML page: seven decodable PNGs, no scripts, no external resources."""

from __future__ import annotations

import base64
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from minitrain.config import TrainConfig
from minitrain.dashboard import render
from minitrain.inspect import Inspector
from minitrain.metrics import MetricsLog, read_metrics
from minitrain.trainer import Trainer


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.tags: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        found = dict(attrs)
        if tag == "img":
            self.images.append(found.get("src") or "")
        for key in ("href", "src"):
            if found.get(key):
                self.links.append(found[key] or "")


def test_dashboard_has_seven_embedded_pngs_and_nothing_external(
    make_model: Callable[..., Any], corpus: list[list[int]], tmp_path: Path
) -> None:
    model = make_model()
    inspector = Inspector()
    inspector.watch(model.hidden, "hidden")
    log = MetricsLog(tmp_path / "metrics.jsonl")
    config = TrainConfig(steps=20, warmup_steps=2, lr_max=3e-2, lr_min=3e-3, eval_every=10)
    classes = ["regular", "irregular"] * 5
    Trainer(
        model,
        corpus[:30],
        corpus[30:],
        config,
        context_len=16,
        log=log,
        observer=inspector,
        val_classes=classes,
    ).fit()
    out = render(
        read_metrics(log.path),
        tmp_path / "dashboard.html",
        title="toy run",
        header={"seed": 42},
        baseline_loss=2.0,
        grad_clip=1.0,
    )
    parser = _Collect()
    parser.feed(out.read_text(encoding="utf-8"))
    assert len(parser.images) == 7
    for src in parser.images:
        prefix = "data:image/png;base64,"
        assert src.startswith(prefix)
        assert base64.b64decode(src[len(prefix) :]).startswith(b"\x89PNG\r\n\x1a\n")
    assert "script" not in parser.tags
    assert not [u for u in parser.links if u.startswith(("http:", "https:", "//"))]


@pytest.mark.slow
def test_dashboard_renders_an_empty_log(tmp_path: Path) -> None:
    out = render([], tmp_path / "d.html", title="empty", header={})
    parser = _Collect()
    parser.feed(out.read_text(encoding="utf-8"))
    assert len(parser.images) == 7
