"""The tool contract: arguments validated against the schema, every refusal a structured result."""

from __future__ import annotations

from typing import Any

import pytest

from miniagent.tools.base import Registry, Tool, ToolError, call


def _double(n: int) -> dict[str, Any]:
    if n < 0:
        raise ToolError("negative", f"n must be >= 0, got {n}")
    return {"value": 2 * n}


DOUBLE = Tool(
    "double",
    "Twice a non-negative integer.",
    {
        "type": "object",
        "properties": {"n": {"type": "integer"}},
        "required": ["n"],
        "additionalProperties": False,
    },
    _double,
)


def test_a_good_call_returns_the_result() -> None:
    assert call(DOUBLE, {"n": 21}).to_json() == {"ok": True, "result": {"value": 42}}


@pytest.mark.parametrize(
    ("arguments", "code", "says"),
    [
        ({}, "invalid_arguments", "'n' is a required property"),
        ({"n": "x"}, "invalid_arguments", "argument `n`: 'x' is not of type 'integer'"),
        ({"n": 1, "m": 2}, "invalid_arguments", "Additional properties"),
        ({"n": -1}, "negative", "n must be >= 0, got -1"),
    ],
)
def test_every_refusal_is_structured(arguments: dict[str, Any], code: str, says: str) -> None:
    result = call(DOUBLE, arguments)
    assert not result.ok and result.error_code == code and says in result.error


def test_the_registry_names_unknown_tools_and_refuses_duplicates() -> None:
    registry = Registry([DOUBLE])
    assert registry.call("triple", {}).error_code == "unknown_tool"
    assert [t.descriptor()["name"] for t in registry] == ["double"]
    with pytest.raises(ValueError, match="twice"):
        registry.add(DOUBLE)


def test_a_schema_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(ValueError, match="object"):
        Tool("bad", "x", {"type": "integer"}, _double)


def test_arguments_that_are_not_an_object_are_refused() -> None:
    assert call(DOUBLE, [1, 2]).error_code == "invalid_arguments"
