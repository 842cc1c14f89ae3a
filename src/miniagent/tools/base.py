"""What a tool is here: a name, a description, a JSON Schema for its arguments, and a function.

The same `Tool` serves three callers: the tutor calls it in process, the MCP server lists and calls it for any
MCP client, and a planner's masked generator emits calls that must fit its schema. `call` is the one way in: it
validates the arguments against the schema first and turns every failure into a structured `ToolError` result,
so a bad call is an answer the caller can read ("argument `verb`: 'flyy' is not one of ..."), never an
exception that crosses a process boundary.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator

ToolFunc = Callable[..., Mapping[str, Any]]


class ToolError(Exception):
    """A tool's refusal with a machine-readable `code` (e.g. `invalid_arguments`, `unknown_verb`)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    input_schema: Mapping[str, Any]  # a JSON Schema for an object: the keyword arguments of `func`
    func: ToolFunc
    output_schema: Mapping[str, Any] | None = None  # the result contract, when the tool states one

    def __post_init__(self) -> None:
        Draft202012Validator.check_schema(dict(self.input_schema))
        if self.input_schema.get("type") != "object":
            raise ValueError(f"tool {self.name}: input_schema must describe an object")

    def descriptor(self) -> dict[str, Any]:
        """The MCP `tools/list` entry (name, description, inputSchema[, outputSchema])."""
        entry: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "inputSchema": dict(self.input_schema),
        }
        if self.output_schema is not None:
            entry["outputSchema"] = dict(self.output_schema)
        return entry


@dataclass(frozen=True)
class ToolResult:
    ok: bool
    value: Mapping[str, Any] = field(default_factory=dict)  # the result when ok
    error_code: str = ""
    error: str = ""

    def to_json(self) -> dict[str, Any]:
        if self.ok:
            return {"ok": True, "result": dict(self.value)}
        return {"ok": False, "error": {"code": self.error_code, "message": self.error}}


def _argument_problem(tool: Tool, arguments: Mapping[str, Any]) -> str | None:
    errors = sorted(
        Draft202012Validator(dict(tool.input_schema)).iter_errors(dict(arguments)),
        key=lambda e: list(e.absolute_path),
    )
    if not errors:
        return None
    first = errors[0]
    where = ".".join(str(p) for p in first.absolute_path)
    return f"argument `{where}`: {first.message}" if where else first.message


def call(tool: Tool, arguments: object) -> ToolResult:
    """Validate, run, and wrap: every outcome is a `ToolResult` (a bug in the tool still raises)."""
    if not isinstance(arguments, Mapping):
        return ToolResult(
            False, error_code="invalid_arguments", error="arguments must be an object"
        )
    problem = _argument_problem(tool, arguments)
    if problem is not None:
        return ToolResult(False, error_code="invalid_arguments", error=problem)
    try:
        value = tool.func(**arguments)
    except ToolError as exc:
        return ToolResult(False, error_code=exc.code, error=exc.message)
    return ToolResult(True, value=value)


class Registry:
    """Tools by name, in registration order (the order `tools/list` shows)."""

    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        for tool in tools:
            self.add(tool)

    def add(self, tool: Tool) -> None:
        if tool.name in self._tools:
            raise ValueError(f"tool {tool.name!r} registered twice")
        self._tools[tool.name] = tool

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def __iter__(self) -> Any:
        return iter(self._tools.values())

    def __len__(self) -> int:
        return len(self._tools)

    def call(self, name: str, arguments: object) -> ToolResult:
        tool = self._tools.get(name)
        if tool is None:
            known = ", ".join(self._tools) or "none"
            return ToolResult(
                False, error_code="unknown_tool", error=f"no tool {name!r} (tools: {known})"
            )
        return call(tool, arguments)


__all__ = ["Registry", "Tool", "ToolError", "ToolFunc", "ToolResult", "call"]
