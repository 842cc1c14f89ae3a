"""`lynx struct`: stdout is exactly one answer in the language; bad input is one line and exit 2."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from lynx_cortex.cli import cli
from ministruct.schemas import conjugation_schema


@pytest.mark.parametrize("extra", [[], ["--temperature", "1.5", "--seed", "4"]])
def test_prints_only_json_that_validates(extra: list[str]) -> None:
    result = CliRunner().invoke(cli, ["struct", "She wrote a book.", *extra])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    jsonschema.validate(json.loads(lines[0]), conjugation_schema())


def test_regex_and_schema_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["struct", "He goed home.", "--regex", "(yes|no) [0-9]{2}"])
    assert result.exit_code == 0 and re.fullmatch("(yes|no) [0-9]{2}", result.stdout.strip())
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
    path = tmp_path / "s.json"
    path.write_text(json.dumps(schema), encoding="utf-8")
    result = CliRunner().invoke(cli, ["struct", "He goed home.", "--schema", str(path)])
    assert result.exit_code == 0 and json.loads(result.stdout) in ({"ok": True}, {"ok": False})


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["struct", "x", "--regex", "a$"], "anchor '$'"),
        (["struct", "x", "--schema", "nope"], "neither a named schema"),
        (["struct", "   "], "the sentence is empty"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert result.stderr.startswith("lynx: error:") and message in result.stderr
    assert result.stdout == ""


def test_unsupported_schema_keyword_is_named(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text('{"type": "string", "format": "email"}', encoding="utf-8")
    result = CliRunner().invoke(cli, ["struct", "x", "--schema", str(path)])
    assert result.exit_code == 2 and "'format'" in result.stderr
