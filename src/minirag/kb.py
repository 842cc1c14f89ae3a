"""The grammar-rule knowledge base: markdown files with YAML front matter under `data/kb/`, read into `Rule`s.

One rule is one file, `data/kb/<topic>/<id>.<lang>.md`; its English and Spanish versions share the `id`, so a
relevance label names a rule, not a language (a Spanish query is answered by either version). The front matter
says what the rule covers in the truth table's own words (verbs, tenses, persons), which is what lets a
validator check it and a coverage table be generated instead of typed.

    ---
    id: past-ed-spelling
    lang: en
    topic: spelling
    title: Spelling the regular past (-ed)
    verbs: [study, stop]
    tenses: [past_simple, past_participle]
    persons: [1sg, 2sg, 3sg]
    examples:
      - {verb: study, tense: past_simple, person: 1sg, en: I studied, es: yo estudié}
    ---
    Markdown body ...

`examples` is optional: each entry is one cell of the truth table written out, which the validator
(`minirag.kb_validate`) compares with `data/conjugation_table.json`. `data/kb/README.md` documents the markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lynx_cortex.errors import LynxError
from lynx_cortex.paths import data_dir

LANGS = ("en", "es")
FRONT = "---"
REQUIRED = ("id", "lang", "topic", "title")


class KBError(LynxError, ValueError):
    """A knowledge-base file that cannot be read as a rule; the message names the file."""


@dataclass(frozen=True)
class Example:
    """A correct example as data, so it can be checked against the truth table instead of trusted."""

    verb: str
    tense: str
    person: str | None  # None only for the person-invariant tenses (infinitive, past participle)
    en: str
    es: str | None  # the Spanish of the cell, when the rule gives it


@dataclass(frozen=True)
class Rule:
    id: str  # shared by the English and Spanish versions
    lang: str  # "en" | "es"
    topic: str
    title: str
    verbs: tuple[str, ...]
    tenses: tuple[str, ...]
    persons: tuple[str, ...]
    body: str  # markdown, front matter removed
    path: Path
    examples: tuple[Example, ...] = ()

    @property
    def key(self) -> str:
        """`<id>.<lang>`: unique across the KB; the chunker's chunk ids start with it."""
        return f"{self.id}.{self.lang}"


def kb_dir() -> Path:
    return data_dir() / "kb"


def _strings(path: Path, meta: dict[str, Any], name: str) -> tuple[str, ...]:
    value = meta.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise KBError(f"{path}: front matter `{name}` must be a list of strings")
    return tuple(value)


def _examples(path: Path, meta: dict[str, Any]) -> tuple[Example, ...]:
    value = meta.get("examples", [])
    if not isinstance(value, list):
        raise KBError(f"{path}: front matter `examples` must be a list of mappings")
    out = []
    for i, item in enumerate(value, start=1):
        if not isinstance(item, dict):
            raise KBError(f"{path}: example {i} must be a mapping with verb, tense, person, en, es")
        fields: dict[str, str | None] = {}
        for name in ("verb", "tense", "person", "en", "es"):
            raw = item.get(name)
            if raw is not None and not isinstance(raw, str):
                raise KBError(f"{path}: example {i} field `{name}` must be a string")
            fields[name] = raw
        unknown = sorted(set(item) - set(fields))
        if unknown:
            raise KBError(
                f"{path}: example {i} has unknown field(s) {', '.join(map(str, unknown))}"
            )
        verb, tense, en = fields["verb"], fields["tense"], fields["en"]
        if not verb or not tense or not en:
            raise KBError(f"{path}: example {i} needs `verb`, `tense` and `en`")
        out.append(Example(verb, tense, fields["person"], en, fields["es"]))
    return tuple(out)


def parse_rule(path: Path) -> Rule:
    """One rule file; any defect is a `KBError` naming the file and the field."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KBError(f"{path}: cannot read it as UTF-8 text ({exc})") from exc
    lines = text.splitlines()
    if not lines or lines[0].strip() != FRONT:
        raise KBError(f"{path}: must start with a `---` front-matter block")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == FRONT)
    except StopIteration:
        raise KBError(f"{path}: the front-matter block is never closed with `---`") from None
    try:
        meta = yaml.safe_load("\n".join(lines[1:end]))
    except yaml.YAMLError as exc:
        raise KBError(f"{path}: front matter is not valid YAML ({exc})") from exc
    if not isinstance(meta, dict):
        raise KBError(f"{path}: front matter must be a mapping")
    for name in REQUIRED:
        if not isinstance(meta.get(name), str) or not meta[name].strip():
            raise KBError(f"{path}: front matter needs a non-empty `{name}`")
    if meta["lang"] not in LANGS:
        raise KBError(f"{path}: lang {meta['lang']!r} is not one of {', '.join(LANGS)}")
    body = "\n".join(lines[end + 1 :]).strip()
    if not body:
        raise KBError(f"{path}: the rule has no body")
    return Rule(
        id=meta["id"],
        lang=meta["lang"],
        topic=meta["topic"],
        title=meta["title"],
        verbs=_strings(path, meta, "verbs"),
        tenses=_strings(path, meta, "tenses"),
        persons=_strings(path, meta, "persons"),
        body=body,
        path=path,
        examples=_examples(path, meta),
    )


def load_rules(folder: Path | None = None) -> list[Rule]:
    """Every `*.md` rule under `folder` (default `data/kb/`), sorted by key; duplicate keys are an error.
    Files named in capitals (`README.md`, `COVERAGE.md`) document the KB and are not rules."""
    root = folder if folder is not None else kb_dir()
    if not root.is_dir():
        raise KBError(f"no knowledge base at {root}")
    rules = [parse_rule(p) for p in sorted(root.rglob("*.md")) if p.name[0].islower()]
    seen: dict[str, Path] = {}
    for rule in rules:
        if rule.key in seen:
            raise KBError(f"{rule.path}: rule {rule.key} is also defined in {seen[rule.key]}")
        seen[rule.key] = rule.path
    return sorted(rules, key=lambda r: r.key)


__all__ = ["LANGS", "Example", "KBError", "Rule", "kb_dir", "load_rules", "parse_rule"]
