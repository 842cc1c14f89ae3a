"""deploy/observability: the dashboard and alerts query only what `Metrics` exports, in valid shapes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from miniobserve.metrics import METRICS, exported_series, markdown_table

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "observability"
#: Series Prometheus makes itself (not exported by the app).
SYNTHETIC = frozenset({"up"})
KEYWORDS = frozenset(
    {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset"}
)  # fmt: skip
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGES = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_IDENT = re.compile(r"(?<![\w.])([A-Za-z_:][A-Za-z0-9_:]*)(?![\w:])(?!\s*\()")


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads: identifiers that are not functions, keywords, labels
    (inside `{}` or `by (...)`), durations or numbers."""
    bare = _GROUPING.sub(" ", _RANGES.sub(" ", _MATCHERS.sub(" ", _STRINGS.sub(" ", expr))))
    return {name for name in _IDENT.findall(bare) if name not in KEYWORDS}


def test_the_name_parser_on_known_expressions() -> None:
    expr = 'histogram_quantile(0.95, sum by (le, route) (rate(lynx_x_bucket{route="/a",le!="1e-9"}[5m]))) > 1e-3'
    assert metric_names(expr) == {"lynx_x_bucket"}
    assert metric_names("sum(rate(a_total[1m])) / clamp_min(sum(rate(b_total[1m])), 1e-9)") == {
        "a_total",
        "b_total",
    }
    assert metric_names('up{job="x"} == 0 and on(instance) foo') == {"up", "foo"}


def _dashboard() -> dict[str, Any]:
    loaded = json.loads((DEPLOY / "grafana-dashboard.json").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _alert_rules() -> list[dict[str, Any]]:
    loaded = yaml.safe_load((DEPLOY / "alerts.yml").read_text(encoding="utf-8"))
    return [rule for group in loaded["groups"] for rule in group["rules"]]


def test_the_dashboard_has_grafana_shape() -> None:
    dash = _dashboard()
    assert dash["uid"] and dash["title"] and isinstance(dash["schemaVersion"], int)
    panels = dash["panels"]
    assert len(panels) >= 9
    assert len({p["id"] for p in panels}) == len(panels)
    for panel in panels:
        assert panel["type"] in {"timeseries", "stat", "gauge", "table", "heatmap"}
        assert panel["title"]
        assert (
            set(panel["gridPos"]) == {"h", "w", "x", "y"}
            and panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
        )
        assert panel["targets"], panel["title"]
        refs = [t["refId"] for t in panel["targets"]]
        assert len(set(refs)) == len(refs)
        assert all(t["expr"].strip() for t in panel["targets"])


def test_every_queried_metric_is_exported() -> None:
    exported = exported_series() | SYNTHETIC
    queries = [t["expr"] for p in _dashboard()["panels"] for t in p["targets"]]
    queries += [rule["expr"] for rule in _alert_rules()]
    used = set().union(*(metric_names(q) for q in queries))
    assert used, "no metric names found"
    assert used <= exported, f"queried but never exported: {sorted(used - exported)}"


def test_the_dashboard_covers_the_questions_it_must_answer() -> None:
    used = set().union(
        *(metric_names(t["expr"]) for p in _dashboard()["panels"] for t in p["targets"])
    )
    for needed in (
        "lynx_http_request_duration_seconds_bucket",  # latency p50/p95/p99
        "lynx_http_requests_total",  # throughput
        "lynx_http_request_errors_total",  # errors
        "lynx_queue_depth",
        "lynx_batch_size_bucket",
        "lynx_time_to_first_token_seconds_bucket",
        "lynx_generated_tokens_total",  # tokens/s
        "lynx_request_cost_usd_sum",  # cost per 1k corrections
    ):
        assert needed in used, needed
    exprs = " ".join(t["expr"] for p in _dashboard()["panels"] for t in p["targets"])
    for q in ("0.5", "0.95", "0.99"):
        assert (
            f"histogram_quantile({q}, sum by (le) (rate(lynx_http_request_duration_seconds_bucket"
            in exprs
        )


def test_alert_rules_parse_and_are_complete() -> None:
    rules = _alert_rules()
    names = {rule["alert"] for rule in rules}
    assert {"TutorLatencyP95High", "TutorErrorRateHigh", "TutorQueueSaturated"} <= names
    for rule in rules:
        assert rule["expr"].strip() and re.fullmatch(r"\d+[smh]", rule["for"])
        assert rule["labels"]["severity"] in {"page", "warn"}
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]


def test_prometheus_scrapes_the_service_and_loads_the_rules() -> None:
    config = yaml.safe_load((DEPLOY / "prometheus.yml").read_text(encoding="utf-8"))
    assert config["rule_files"] == ["alerts.yml"]
    (tutor,) = [job for job in config["scrape_configs"] if job["job_name"] == "lynx-tutor"]
    assert tutor["metrics_path"] == "/metrics"
    assert tutor["static_configs"][0]["targets"] == ["127.0.0.1:8765"]


def test_the_readme_table_is_the_generated_one() -> None:
    text = (DEPLOY / "README.md").read_text(encoding="utf-8")
    assert markdown_table(METRICS) in text


@pytest.mark.skipif(
    shutil.which("promtool") is None, reason="promtool (ships with Prometheus) is not installed"
)
def test_promtool_accepts_the_rules_and_the_config() -> None:
    for args in (["check", "rules", "alerts.yml"], ["check", "config", "prometheus.yml"]):
        proc = subprocess.run(
            ["promtool", *args], cwd=DEPLOY, capture_output=True, text=True, timeout=60, check=False
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
