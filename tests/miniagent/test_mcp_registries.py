"""`served_registry`: the tutor's registry when its module is importable, the demo one otherwise or on request."""

from __future__ import annotations

import importlib.machinery
import sys
import types

import pytest

from miniagent.mcp.registries import DEFAULT_MODULE, DEMO_ENV, served_registry
from miniagent.tools.base import Registry, Tool


@pytest.fixture
def tutor_module(monkeypatch: pytest.MonkeyPatch) -> Registry:
    registry = Registry([Tool("ping_tool", "answers", {"type": "object"}, lambda: {"pong": True})])
    module = types.ModuleType(DEFAULT_MODULE)
    module.__spec__ = importlib.machinery.ModuleSpec(DEFAULT_MODULE, loader=None)
    module.default_registry = lambda: registry  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, DEFAULT_MODULE, module)
    monkeypatch.delenv(DEMO_ENV, raising=False)
    return registry


def test_the_tutor_registry_wins_when_present(tutor_module: Registry) -> None:
    assert served_registry() is tutor_module


def test_demo_on_request(tutor_module: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    assert [t.name for t in served_registry(demo=True)] == ["echo", "add"]
    monkeypatch.setenv(DEMO_ENV, "1")
    assert [t.name for t in served_registry()] == ["echo", "add"]


def test_a_wrong_type_is_refused(tutor_module: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        sys.modules[DEFAULT_MODULE], "default_registry", lambda: ["not", "a", "registry"]
    )
    with pytest.raises(TypeError, match="default_registry"):
        served_registry()
