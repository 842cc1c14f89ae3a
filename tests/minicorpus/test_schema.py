"""The row schema embedded in data/corpus_spec.md, enforced with the jsonschema library."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lynx_cortex.errors import LynxError
from minicorpus.rows import CORPUS_VERSION, ROW_FIELDS
from minicorpus.schema import check_schema, load_schema, schema_errors, spec_version


def test_spec_holds_the_schema(schema: dict[str, Any]) -> None:
    assert schema["required"] == list(ROW_FIELDS)
    assert set(schema["properties"]) == set(ROW_FIELDS)
    assert spec_version() == CORPUS_VERSION


def test_spec_file_is_nfc() -> None:
    import unicodedata

    from minicorpus.schema import default_spec_path

    assert unicodedata.is_normalized("NFC", default_spec_path().read_text(encoding="utf-8"))


def test_schema_errors_name_the_field(schema: dict[str, Any], rows42: list[dict[str, Any]]) -> None:
    row = rows42[0]
    assert schema_errors(row, schema) == []
    bad = {**row, "tense": "pluperfect"}
    assert any(e.startswith("tense:") for e in schema_errors(bad, schema))
    missing = {k: v for k, v in row.items() if k != "spanish"}
    assert "spanish: required field missing" in schema_errors(missing, schema)
    assert any(e.startswith("seed:") for e in schema_errors({**row, "seed": True}, schema))
    assert any(e.startswith("id:") for e in schema_errors({**row, "id": "42"}, schema))


def test_if_then_else() -> None:
    schema = {
        "if": {"properties": {"a": {"const": 1}}},
        "then": {"required": ["b"]},
        "else": {"required": ["c"]},
    }
    assert schema_errors({"a": 1, "b": 0}, schema) == []
    assert schema_errors({"a": 1}, schema) == ["b: required field missing"]
    assert schema_errors({"a": 2}, schema) == ["c: required field missing"]


def test_invalid_schema_is_refused() -> None:
    with pytest.raises(ValueError, match="invalid row schema at properties/x/type"):
        check_schema({"properties": {"x": {"type": "str"}}})
    check_schema({"properties": {"x": {"oneOf": [{"type": "string"}]}}})


def test_missing_or_bad_spec(tmp_path: Path) -> None:
    with pytest.raises(LynxError, match="corpus spec not found"):
        load_schema(tmp_path / "nope.md")
    spec = tmp_path / "spec.md"
    spec.write_text('# spec\n\n```json\n{"a": 1}\n```\n', encoding="utf-8")
    with pytest.raises(LynxError, match="no ```json block"):
        load_schema(spec)
    with pytest.raises(LynxError, match="no 'Spec version:"):
        spec_version(spec)
    spec.write_text('Spec version: 1.0\n```json\n{"$schema": 1,}\n```\n', encoding="utf-8")
    with pytest.raises(LynxError, match="json block #1 is not valid JSON"):
        load_schema(spec)
    with pytest.raises(LynxError, match="not semver"):
        spec_version(spec)
