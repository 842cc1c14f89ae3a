"""`served_registry`: the tutor's tools by default, the demo tools on request."""

from __future__ import annotations

import pytest

from miniagent.mcp.registries import DEMO_ENV, served_registry


def test_the_tutor_tools_are_served_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DEMO_ENV, raising=False)
    names = [t.name for t in served_registry()]
    assert names[:4] == [
        "conjugate",
        "lookup_irregular_verb",
        "lookup_spanish",
        "check_subject_verb_agreement",
    ]
    assert {"lookup_rule", "classify_sentence"} <= set(names)


def test_demo_on_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DEMO_ENV, raising=False)
    assert [t.name for t in served_registry(demo=True)] == ["echo", "add"]
    monkeypatch.setenv(DEMO_ENV, "1")
    assert [t.name for t in served_registry()] == ["echo", "add"]
