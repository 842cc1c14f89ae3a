"""The row JSON Schema lives in `data/corpus_spec.md`; this module finds it and checks rows against it.

The spec is the contract people read, so the schema is embedded there (a fenced `json` block holding a
`$schema` key) rather than duplicated in code. Validation is the `jsonschema` library (draft 2020-12); the
schema itself is checked against the metaschema when loaded, so a typo in the spec fails loudly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, ValidationError

from lynx_cortex.errors import LynxError
from lynx_cortex.files import read_text
from lynx_cortex.paths import data_dir

SPEC_NAME: Final = "corpus_spec.md"
_VERSION_LINE = "Spec version:"


def default_spec_path() -> Path:
    return data_dir() / SPEC_NAME


def _fenced_blocks(text: str, language: str) -> list[str]:
    blocks: list[str] = []
    current: list[str] | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if current is None and stripped == f"```{language}":
            current = []
        elif current is not None and stripped == "```":
            blocks.append("\n".join(current))
            current = None
        elif current is not None:
            current.append(line)
    return blocks


def load_schema(spec_path: Path | None = None) -> dict[str, Any]:
    """The row schema embedded in the corpus spec; LynxError if the file or the block is missing or bad."""
    path = spec_path or default_spec_path()
    if not path.is_file():
        raise LynxError(f"corpus spec not found: {path}")
    for number, block in enumerate(_fenced_blocks(read_text(path, what="corpus spec"), "json"), 1):
        try:
            parsed = json.loads(block)
        except json.JSONDecodeError as exc:
            raise LynxError(f"{path}: json block #{number} is not valid JSON ({exc.msg})") from exc
        if isinstance(parsed, dict) and "$schema" in parsed:
            check_schema(parsed)
            return parsed
    raise LynxError(f'{path}: no ```json block with a "$schema" key (the row schema) found')


def spec_version(spec_path: Path | None = None) -> str:
    """The version in the spec's preamble line `Spec version: X.Y.Z`."""
    path = spec_path or default_spec_path()
    if not path.is_file():
        raise LynxError(f"corpus spec not found: {path}")
    for line in read_text(path, what="corpus spec").splitlines():
        cleaned = line.strip().strip("*_ ")
        if cleaned.startswith(_VERSION_LINE):
            version = cleaned.removeprefix(_VERSION_LINE).strip().strip("*_` ")
            if re.fullmatch(r"\d+\.\d+\.\d+", version):
                return version
            raise LynxError(f"{path}: spec version {version!r} is not semver X.Y.Z")
    raise LynxError(f"{path}: no '{_VERSION_LINE} X.Y.Z' line in the preamble")


def check_schema(schema: Mapping[str, Any]) -> None:
    """Refuse a schema that is not valid JSON Schema 2020-12 (ValueError naming the problem and where)."""
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(part) for part in exc.path) or "#"
        raise ValueError(f"invalid row schema at {where}: {exc.message}") from exc


def _field(error: ValidationError, prefix: str) -> str:
    """`tense`, or `row` for problems with the object as a whole (e.g. a missing field)."""
    parts = [str(part) for part in error.absolute_path]
    if error.validator == "required":
        missing = str(error.message).split("'")[1] if "'" in error.message else "?"
        parts.append(missing)
    return ".".join([prefix, *parts] if prefix else parts) or "row"


def schema_errors(value: Any, schema: Mapping[str, Any], where: str = "") -> list[str]:
    """Every violation of `schema` by `value`, each as `field: problem` (empty list = valid)."""
    messages = []
    for error in sorted(
        Draft202012Validator(schema).iter_errors(value),
        key=lambda e: [str(p) for p in e.absolute_path],
    ):
        field = _field(error, where)
        problem = "required field missing" if error.validator == "required" else error.message
        messages.append(f"{field}: {problem}")
    return messages
