"""JSON-Schema subset → regex → DFA: everything the DFA accepts parses and validates (jsonschema is the oracle)."""

from __future__ import annotations

import itertools
import json
import random
import re
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lynx_cortex.domain import domain
from ministruct.dfa import compile_regex
from ministruct.schema import (
    SchemaError,
    canonical,
    compile_schema,
    integer_range,
    number_range,
    to_regex,
)
from ministruct.schemas import NAMED_SCHEMAS, conjugation_schema

sys.path.insert(0, str(Path(__file__).parent))
from ministruct_sampling import sample  # noqa: E402


def _valid(schema: dict[str, Any], data: bytes) -> None:
    jsonschema.Draft202012Validator(schema).validate(json.loads(data.decode("utf-8")))


def test_conjugation_schema_accepts_every_canonical_instance() -> None:
    schema = conjugation_schema()
    dfa = compile_schema(schema)
    d = domain()
    validator = jsonschema.Draft202012Validator(schema)
    assert len(d.verbs) == 20 and len(d.tenses) == 6 and len(d.persons) == 3
    count = 0
    for verb, tense, person in itertools.product(d.verbs, d.tenses, [*d.persons, None]):
        for extra in ({}, {"spanish": "escribi\u00f3"}):
            value = {"verb": verb, "tense": tense, "person": person, **extra}
            validator.validate(value)
            assert dfa.accepts(canonical(value).encode())
            count += 1
    assert count == 20 * 6 * 4 * 2


@pytest.mark.parametrize(
    "text",
    [
        '{"verb":"drink","tense":"past_simple","person":"3sg"}',  # out of the domain
        '{"verb":"write","tense":"past_simple"}',  # person is required
        '{"tense":"past_simple","verb":"write","person":"3sg"}',  # canonical key order only
        '{"verb": "write","tense":"past_simple","person":"3sg"}',  # no whitespace
        '{"verb":"write","tense":"past_simple","person":"3sg","spanish":"' + "x" * 31 + '"}',
        '{"verb":"write","tense":"past_simple","person":"3sg","mood":"x"}',  # no extra keys
    ],
)
def test_conjugation_schema_rejects(text: str) -> None:
    assert not compile_schema(conjugation_schema()).accepts(text.encode())


def test_random_members_of_the_conjugation_language_validate() -> None:
    schema = conjugation_schema()
    dfa = compile_schema(schema)
    rng = random.Random(0)
    validator = jsonschema.Draft202012Validator(schema)
    for _ in range(300):
        validator.validate(json.loads(sample(dfa, rng)))


def test_named_schemas() -> None:
    assert NAMED_SCHEMAS["conjugation"]() == conjugation_schema()


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(st.none(), st.integers(-300, 300)),
    st.one_of(st.none(), st.integers(-300, 300)),
    st.integers(-2000, 2000),
)
def test_integer_range_regex(lo: int | None, hi: int | None, x: int) -> None:
    if lo is not None and hi is not None and hi < lo:
        lo, hi = hi, lo
    inside = (lo is None or x >= lo) and (hi is None or x <= hi)
    assert (re.fullmatch(integer_range(lo, hi), str(x)) is not None) == inside


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(st.none(), st.integers(-50, 50)),
    st.one_of(st.none(), st.integers(-50, 50)),
    st.decimals(-200, 200, places=2, allow_nan=False, allow_infinity=False),
)
def test_number_range_regex(lo: int | None, hi: int | None, x: Any) -> None:
    if lo is not None and hi is not None and hi < lo:
        lo, hi = hi, lo
    text = str(x)
    if text.startswith("-") and float(text) == 0:
        text = text[1:]
    inside = (lo is None or x >= lo) and (hi is None or x <= hi)
    assert (re.fullmatch(number_range(lo, hi), text) is not None) == inside, (lo, hi, text)


_NAMES = st.sampled_from(["a", "b", "id", "n\u00famero", "x y"])
_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-99, 99), st.text(alphabet="ab\u00e9\"\\'\n", max_size=4)
)


def _leaf() -> st.SearchStrategy[dict[str, Any]]:
    bounds = st.tuples(st.integers(-40, 40), st.integers(0, 60)).map(lambda t: (t[0], t[0] + t[1]))
    return st.one_of(
        st.just({"type": "boolean"}),
        st.just({"type": "null"}),
        st.just({"type": "integer"}),
        st.just({"type": "number"}),
        bounds.map(lambda b: {"type": "integer", "minimum": b[0], "maximum": b[1]}),
        bounds.map(lambda b: {"type": "number", "minimum": b[0], "maximum": b[1]}),
        st.integers(-5, 5).map(lambda m: {"type": "integer", "exclusiveMinimum": m}),
        st.integers(0, 6).map(lambda n: {"type": "string", "maxLength": n}),
        st.just({"type": "string", "minLength": 1, "maxLength": 3}),
        st.just({"type": "string", "pattern": "^[a-c]+-[0-9]{2}$"}),
        st.just({"type": "string", "pattern": "[0-9]"}),
        st.just({"type": ["string", "null"], "maxLength": 2}),
        st.lists(_SCALARS, min_size=1, max_size=4, unique_by=canonical).map(lambda v: {"enum": v}),
        _SCALARS.map(lambda v: {"const": v}),
    )


def _object(children: list[tuple[str, dict[str, Any], bool]]) -> dict[str, Any]:
    props: dict[str, Any] = {}
    required = []
    for name, child, needed in children:
        if name not in props:
            props[name] = child
            if needed:
                required.append(name)
    return {
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": False,
    }


def schemas() -> st.SearchStrategy[dict[str, Any]]:
    def extend(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
        return st.one_of(
            st.lists(st.tuples(_NAMES, children, st.booleans()), max_size=4).map(_object),
            st.tuples(children, st.integers(0, 2), st.integers(0, 3)).map(
                lambda t: {
                    "type": "array",
                    "items": t[0],
                    "minItems": t[1],
                    "maxItems": t[1] + t[2],
                }
            ),
        )

    return st.recursive(_leaf(), extend, max_leaves=6)


@settings(max_examples=60, deadline=None)
@given(schemas(), st.integers(0, 2**16))
def test_every_accepted_string_parses_and_validates(schema: dict[str, Any], seed: int) -> None:
    dfa = compile_regex(to_regex(schema))
    rng = random.Random(seed)
    for _ in range(10):
        _valid(schema, sample(dfa, rng, stop=0.4))


@settings(max_examples=60, deadline=None)
@given(schemas(), st.integers(0, 2**16))
def test_canonical_of_an_accepted_value_is_accepted(schema: dict[str, Any], seed: int) -> None:
    """Round trip: parse an accepted string, re-serialise canonically, the DFA still accepts it."""
    dfa = compile_regex(to_regex(schema))
    value = json.loads(sample(dfa, random.Random(seed)).decode())
    assert dfa.accepts(canonical(value).encode()) or isinstance(value, float) or _has_float(value)


def _has_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(_has_float(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_float(v) for v in value)
    return False


@pytest.mark.parametrize(
    ("schema", "keyword"),
    [
        ({"type": "array", "items": {"type": "null"}, "uniqueItems": True}, "uniqueItems"),
        ({"anyOf": [{"type": "null"}]}, "anyOf"),
        ({"type": "string", "format": "email"}, "format"),
        ({"type": "object", "additionalProperties": True}, "additionalProperties"),
        ({"type": "number", "minimum": 0.5}, "minimum"),
        ({"type": "string", "pattern": "^a.b$"}, "pattern"),
        ({"type": "object", "properties": {"a": {"type": "tuple"}}}, "'tuple'"),
    ],
)
def test_unsupported_keywords_fail_loudly_naming_them(schema: dict[str, Any], keyword: str) -> None:
    with pytest.raises(SchemaError, match=re.escape(keyword)):
        to_regex(schema)
