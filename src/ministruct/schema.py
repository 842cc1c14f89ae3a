"""Phase 30: a JSON-Schema subset compiled to one regex (then to a DFA) with a canonical whitespace policy.

The output language is the *canonical* serialisation of the instances the schema accepts: no whitespace (what
`json.dumps(value, separators=(",", ":"), ensure_ascii=False)` writes), object properties in the schema's
`properties` order, strings without `\\u` escapes. Canonical form keeps the DFA small and makes the model spend
no tokens on layout; every string the regex accepts parses and validates, which the tests check with
`jsonschema` — the regex may exclude some valid spellings (other key orders, spaces), never admit an invalid one.

Supported: `type` (object, string, integer, number, boolean, null, array, or a list of them), `properties`,
`required`, `additionalProperties: false` (or absent: no extra keys are generated), `enum`, `const`, string
`minLength`/`maxLength` or `pattern` (our regex subset; `^`/`$` anchor it, otherwise it may match anywhere),
integer `minimum`/`maximum`/`exclusiveMinimum`/`exclusiveMaximum`, number `minimum`/`maximum` with integer
bounds, array `items`/`minItems`/`maxItems`, nesting. Annotations (`title`, `description`, `$schema`, `$id`,
`default`, `examples`) are ignored. Every other keyword raises `SchemaError` naming it: a mask that silently
ignored `uniqueItems` would let through outputs the caller's validator then rejects.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from lynx_cortex.errors import LynxError
from ministruct.dfa import DFA, compile_regex
from ministruct.regex import Alt, Byte, Concat, Node, escape, parse

ANNOTATIONS = frozenset(
    {"title", "description", "$schema", "$id", "default", "examples", "$comment"}
)
_KEYWORDS: dict[str, frozenset[str]] = {
    "object": frozenset({"type", "properties", "required", "additionalProperties"}),
    "string": frozenset({"type", "minLength", "maxLength", "pattern"}),
    "integer": frozenset({"type", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}),
    "number": frozenset({"type", "minimum", "maximum"}),
    "boolean": frozenset({"type"}),
    "null": frozenset({"type"}),
    "array": frozenset({"type", "items", "minItems", "maxItems"}),
}
MAX_STRING_LENGTH = 200  # `{0,n}` unrolls n copies of the character automaton

#: One character inside a JSON string: anything but `"`, `\\` and control characters, or a short escape.
STRING_CHAR = r'(?:[^"\\\x00-\x1f]|\\["\\/bfnrt])'
_PLAIN_CHAR = r'[^"\\\x00-\x1f]'
INTEGER = r"-?(?:0|[1-9][0-9]*)"
NUMBER = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"


class SchemaError(LynxError):
    """The schema uses something outside the supported subset; the message names the keyword and where."""


def canonical(value: Any) -> str:
    """The canonical serialisation the masks produce (and accept)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _fail(path: str, what: str) -> SchemaError:
    return SchemaError(f"schema at {path or '#'}: {what}")


def _int(value: Any, path: str, keyword: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise _fail(path, f"{keyword} must be an integer here, got {value!r} (unsupported)")
    return int(value)


def _range_digits(lo: str, hi: str) -> str:
    """Digit strings of equal length from lo to hi (inclusive), as a regex, by the classic prefix split."""
    if not lo:
        return ""
    if lo[0] == hi[0]:
        return escape(lo[0]) + _range_digits(lo[1:], hi[1:])
    rest = len(lo) - 1
    parts = []
    low_tail_all_zero = lo[1:] == "0" * rest
    high_tail_all_nine = hi[1:] == "9" * rest
    first_full = int(lo[0]) + (0 if low_tail_all_zero else 1)
    last_full = int(hi[0]) - (0 if high_tail_all_nine else 1)
    if not low_tail_all_zero:
        parts.append(lo[0] + _range_digits(lo[1:], "9" * rest))
    if first_full <= last_full:
        digit = str(first_full) if first_full == last_full else f"[{first_full}-{last_full}]"
        parts.append(digit + (f"[0-9]{{{rest}}}" if rest else ""))
    if not high_tail_all_nine:
        parts.append(hi[0] + _range_digits("0" * rest, hi[1:]))
    return "(?:" + "|".join(parts) + ")"


def natural_range(lo: int, hi: int | None) -> str:
    """Canonical decimal naturals in [lo, hi] (hi None: unbounded), no leading zeros."""
    if lo < 0 or (hi is not None and hi < lo):
        raise ValueError(f"bad natural range [{lo}, {hi}]")
    parts = []
    top = hi if hi is not None else 10 ** len(str(lo)) - 1
    for width in range(len(str(lo)), len(str(top)) + 1):
        start = max(lo, 10 ** (width - 1) if width > 1 else 0)
        end = min(top, 10**width - 1)
        if start <= end:
            parts.append(_range_digits(str(start), str(end)))
    if hi is None:
        parts.append(f"[1-9][0-9]{{{len(str(lo))},}}")
    return "(?:" + "|".join(parts) + ")"


def integer_range(lo: int | None, hi: int | None) -> str:
    """Canonical integers in [lo, hi] (None: unbounded on that side); `-0` is never produced."""
    if lo is None and hi is None:
        return INTEGER
    parts = []
    if hi is None or hi >= 0:  # the non-negative side
        parts.append(natural_range(max(lo, 0) if lo is not None else 0, hi))
    if lo is None or lo < 0:  # the negative side: -m with m in [max(1, -hi), -lo]
        m_lo = max(1, -hi) if hi is not None else 1
        parts.append("-" + natural_range(m_lo, -lo if lo is not None else None))
    return "(?:" + "|".join(parts) + ")"


def number_range(lo: int | None, hi: int | None) -> str:
    """Canonical decimals (no exponent) in [lo, hi] for integer bounds."""
    if lo is None and hi is None:
        return NUMBER
    frac, zeros = r"(?:\.[0-9]+)?", r"(?:\.0+)?"
    parts = []
    if (
        hi is None or hi >= 0
    ):  # x >= 0: integer part in [max(lo,0), hi-1] with any fraction, or hi itself
        start = max(lo, 0) if lo is not None else 0
        if hi is None:
            parts.append(natural_range(start, None) + frac)
        else:
            if start <= hi - 1:
                parts.append(natural_range(start, hi - 1) + frac)
            parts.append(natural_range(hi, hi) + zeros)
    if lo is None or lo < 0:  # x < 0: -m, m in (max(0, -hi), -lo] (m >= -hi when hi < 0)
        m_lo = -hi if hi is not None and hi < 0 else 0
        if lo is None:
            parts.append("-" + natural_range(m_lo, None) + frac)
        else:
            m_hi = -lo
            inner = [natural_range(m_hi, m_hi) + zeros]
            if m_lo <= m_hi - 1:
                inner.insert(0, natural_range(m_lo, m_hi - 1) + frac)
            parts.append("-(?:" + "|".join(inner) + ")")
    return "(?:" + "|".join(parts) + ")"


def _check_keywords(schema: Mapping[str, Any], allowed: frozenset[str], path: str) -> None:
    for key in schema:
        if key not in allowed and key not in ANNOTATIONS:
            raise _fail(path, f"keyword {key!r} is not supported")


def _string(schema: Mapping[str, Any], path: str) -> str:
    pattern = schema.get("pattern")
    lo = _int(schema.get("minLength", 0), path, "minLength")
    hi = schema.get("maxLength")
    if pattern is not None:
        if "maxLength" in schema or "minLength" in schema:
            raise _fail(path, "pattern together with minLength/maxLength is not supported")
        if not isinstance(pattern, str):
            raise _fail(path, f"pattern must be a string, got {pattern!r}")
        return '"' + _string_pattern(pattern, path) + '"'
    top = _int(hi, path, "maxLength") if hi is not None else None
    if (top is not None and (top < lo or top > MAX_STRING_LENGTH)) or lo > MAX_STRING_LENGTH:
        raise _fail(
            path, f"string lengths must satisfy 0 <= minLength <= maxLength <= {MAX_STRING_LENGTH}"
        )
    count = f"{{{lo},{top}}}" if top is not None else f"{{{lo},}}"
    return f'"{STRING_CHAR}{count}"'


def _string_pattern(pattern: str, path: str) -> str:
    """The pattern inside the quotes: JSON Schema patterns search, so unanchored sides admit any text."""
    body = pattern
    start = body.startswith("^")
    if start:
        body = body[1:]
    end = body.endswith("$") and not body.endswith("\\$")
    if end:
        body = body[:-1]
    if _can_match_forbidden(parse(body)):
        raise _fail(
            path,
            f"pattern {pattern!r} can match '\"', '\\\\' or a control character (not supported: "
            'use a class that excludes them, e.g. [^"\\\\\\x00-\\x1f])',
        )
    filler = f"{_PLAIN_CHAR}*"
    return ("" if start else filler) + f"(?:{body})" + ("" if end else filler)


_FORBIDDEN_IN_STRING = frozenset(range(0x20)) | {ord('"'), ord("\\")}


def _can_match_forbidden(node: Node) -> bool:
    if isinstance(node, Byte):
        return not node.values.isdisjoint(_FORBIDDEN_IN_STRING)
    if isinstance(node, Concat):
        return any(_can_match_forbidden(n) for n in node.items)
    if isinstance(node, Alt):
        return any(_can_match_forbidden(n) for n in node.options)
    return _can_match_forbidden(node.node)


def _enum(values: Sequence[Any], path: str) -> str:
    if not isinstance(values, list) or not values:
        raise _fail(path, "enum must be a non-empty list")
    return "(?:" + "|".join(escape(canonical(v)) for v in values) + ")"


def _object(schema: Mapping[str, Any], path: str) -> str:
    properties = schema.get("properties", {})
    required = schema.get("required", [])
    extra = schema.get("additionalProperties", False)
    if extra is not False:
        raise _fail(path, "additionalProperties other than false is not supported")
    if not isinstance(properties, dict) or not isinstance(required, list):
        raise _fail(path, "properties must be an object and required a list")
    missing = [r for r in required if r not in properties]
    if missing:
        raise _fail(path, f"required names undeclared properties {missing}")
    names = list(properties)
    items = [
        escape(canonical(name)) + ":" + to_regex(properties[name], f"{path}/properties/{name}")
        for name in names
    ]
    optional = [name not in required for name in names]
    firsts = []  # one alternative per choice of the first property present
    for i in range(len(names)):
        rest = "".join(
            f"(?:,{items[j]})?" if optional[j] else f",{items[j]}" for j in range(i + 1, len(names))
        )
        firsts.append(items[i] + rest)
        if not optional[i]:
            break  # a required property must be present, so no later one can come first
    body = "(?:" + "|".join(firsts) + ")" if firsts else ""
    if all(optional) and firsts:
        body += "?"
    return r"\{" + body + r"\}"


def _array(schema: Mapping[str, Any], path: str) -> str:
    if "items" not in schema:
        raise _fail(path, "array needs an items schema")
    item = to_regex(schema["items"], f"{path}/items")
    lo = _int(schema.get("minItems", 0), path, "minItems")
    hi = schema.get("maxItems")
    top = _int(hi, path, "maxItems") if hi is not None else None
    if top is not None and top < lo:
        raise _fail(path, "maxItems < minItems")
    if top == 0:
        return r"\[\]"
    more = f"{{{max(lo - 1, 0)},{top - 1 if top is not None else ''}}}"
    body = f"{item}(?:,{item}){more}"
    return r"\[" + (body if lo >= 1 else f"(?:{body})?") + r"\]"


def _typed(kind: str, schema: Mapping[str, Any], path: str, *, check: bool = True) -> str:
    if kind not in _KEYWORDS:
        raise _fail(path, f"type {kind!r} is not supported")
    if check:
        _check_keywords(schema, _KEYWORDS[kind], path)
    if kind == "object":
        return _object(schema, path)
    if kind == "string":
        return _string(schema, path)
    if kind == "integer":
        lo = schema.get("minimum")
        hi = schema.get("maximum")
        lo_i = _int(lo, path, "minimum") if lo is not None else None
        hi_i = _int(hi, path, "maximum") if hi is not None else None
        if "exclusiveMinimum" in schema:
            x = _int(schema["exclusiveMinimum"], path, "exclusiveMinimum") + 1
            lo_i = x if lo_i is None else max(lo_i, x)
        if "exclusiveMaximum" in schema:
            x = _int(schema["exclusiveMaximum"], path, "exclusiveMaximum") - 1
            hi_i = x if hi_i is None else min(hi_i, x)
        if lo_i is not None and hi_i is not None and hi_i < lo_i:
            raise _fail(path, "the integer range is empty")
        return integer_range(lo_i, hi_i)
    if kind == "number":
        lo = schema.get("minimum")
        hi = schema.get("maximum")
        lo_i = _int(lo, path, "minimum") if lo is not None else None
        hi_i = _int(hi, path, "maximum") if hi is not None else None
        if lo_i is not None and hi_i is not None and hi_i < lo_i:
            raise _fail(path, "the number range is empty")
        return number_range(lo_i, hi_i)
    if kind == "boolean":
        return "(?:true|false)"
    if kind == "null":
        return "null"
    return _array(schema, path)


def to_regex(schema: Any, path: str = "") -> str:
    """The regex (our subset) of the canonical serialisations of the instances `schema` accepts."""
    if not isinstance(schema, Mapping):
        raise _fail(path, f"a schema must be an object, got {type(schema).__name__}")
    if "enum" in schema or "const" in schema:
        _check_keywords(schema, frozenset({"enum", "const", "type"}), path)
        if "const" in schema:
            return escape(canonical(schema["const"]))
        return _enum(schema["enum"], path)
    kind = schema.get("type")
    if isinstance(kind, list):
        if not kind:
            raise _fail(path, "type list is empty")
        allowed = frozenset().union(*(_KEYWORDS.get(k, frozenset()) for k in kind))
        _check_keywords(schema, allowed, path)
        return "(?:" + "|".join(_typed(k, schema, path, check=False) for k in kind) + ")"
    if not isinstance(kind, str):
        missing = [k for k in schema if k not in ANNOTATIONS]
        raise _fail(path, f"needs a type, enum or const (got keywords {missing})")
    return _typed(kind, schema, path)


def compile_schema(schema: Mapping[str, Any]) -> DFA:
    """The minimal DFA of the schema's canonical serialisations."""
    return compile_regex(to_regex(schema))


__all__ = [
    "INTEGER",
    "NUMBER",
    "STRING_CHAR",
    "SchemaError",
    "canonical",
    "compile_schema",
    "integer_range",
    "natural_range",
    "number_range",
    "to_regex",
]
