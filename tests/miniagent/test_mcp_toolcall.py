"""The tool-call grammar: calls it accepts are valid calls, shortest instances validate, break 31's edit."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from miniagent.mcp.demo import ADD_SCHEMA, ECHO_SCHEMA, demo_registry
from miniagent.mcp.toolcall import call_grammar, call_schema, example_instance, without_required
from ministruct.schema import SchemaError

DESCRIPTORS = [t.descriptor() for t in demo_registry()]


def _accepts(text: str) -> bool:
    dfa = call_grammar(DESCRIPTORS).dfa
    return bool(dfa.accepting[dfa.walk(dfa.start, text.encode())])


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ('{"name":"add","arguments":{"a":1,"b":-2}}', True),
        ('{"name":"echo","arguments":{"text":"comió"}}', True),
        ('{"name":"add","arguments":{"text":"x"}}', False),  # echo's arguments under add's name
        ('{"name":"add","arguments":{"a":1}}', False),
        ('{"name":"add","arguments":{"a":1000,"b":0}}', False),
        ('{"name":"sub","arguments":{}}', False),
    ],
)
def test_the_union_grammar_ties_arguments_to_the_named_tool(text: str, ok: bool) -> None:
    assert _accepts(text) == ok
    call = json.loads(text)
    schema = {t["name"]: call_schema(t["name"], t["inputSchema"]) for t in DESCRIPTORS}.get(
        call["name"]
    )
    valid = schema is not None and jsonschema.Draft202012Validator(schema).is_valid(call)
    assert valid == ok  # jsonschema, the oracle, agrees with the DFA


@pytest.mark.parametrize(
    "schema",
    [
        ADD_SCHEMA,
        ECHO_SCHEMA,
        {
            "type": "object",
            "properties": {"tense": {"enum": ["past", "future"]}},
            "required": ["tense"],
        },
        {
            "type": "object",
            "properties": {"xs": {"type": "array", "items": {"type": "boolean"}, "minItems": 2}},
            "required": ["xs"],
        },
    ],
)
def test_example_instances_validate(schema: dict[str, Any]) -> None:
    instance = example_instance(schema)
    jsonschema.validate(instance, schema)
    assert set(instance) == set(schema["required"])  # shortest: nothing optional


def test_without_required_keeps_a_valid_schema_that_admits_incomplete_calls() -> None:
    loose = without_required(call_schema("add", ADD_SCHEMA))
    jsonschema.Draft202012Validator.check_schema(loose)
    assert "required" not in loose and "required" not in loose["properties"]["arguments"]
    assert loose["properties"]["arguments"]["properties"] == ADD_SCHEMA["properties"]
    assert example_instance(without_required(ADD_SCHEMA)) == {}


def test_unmaskable_tools_are_skipped_and_named() -> None:
    odd = {
        "name": "odd",
        "inputSchema": {
            "type": "object",
            "properties": {"x": {"type": "string", "format": "date"}},
        },
    }
    grammar = call_grammar([*DESCRIPTORS, odd])
    assert grammar.tools == ("echo", "add")
    assert "format" in grammar.skipped["odd"]
    with pytest.raises(SchemaError):
        call_grammar([odd])
