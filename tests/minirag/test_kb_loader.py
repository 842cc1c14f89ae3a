"""The rule loader: front matter in, `Rule` out, and every defect named with its file."""

from __future__ import annotations

from pathlib import Path

import pytest

from minirag.kb import KBError, load_rules, parse_rule

GOOD = """---
id: past-ed-spelling
lang: en
topic: spelling
title: Spelling the regular past
verbs: [study, stop]
tenses: [past_simple]
persons: [1sg, 2sg, 3sg]
---
Add -ed: *walked*. A consonant + y becomes -ied: *studied*.
"""


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / "spelling" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_rule_round_trips_its_front_matter(tmp_path: Path) -> None:
    _write(tmp_path, "past-ed-spelling.en.md", GOOD)
    _write(tmp_path, "past-ed-spelling.es.md", GOOD.replace("lang: en", "lang: es"))
    (tmp_path / "README.md").write_text("# not a rule\n", encoding="utf-8")
    rules = load_rules(tmp_path)
    assert [r.key for r in rules] == ["past-ed-spelling.en", "past-ed-spelling.es"]
    rule = rules[0]
    assert rule.verbs == ("study", "stop") and rule.tenses == ("past_simple",)
    assert rule.body.startswith("Add -ed") and rule.topic == "spelling"


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("no front matter\n", "front-matter block"),
        ("---\nid: x\n", "never closed"),
        (GOOD.replace("lang: en", "lang: fr"), "lang 'fr'"),
        (GOOD.replace("title: Spelling the regular past\n", ""), "`title`"),
        (GOOD.replace("verbs: [study, stop]", "verbs: study"), "`verbs`"),
        (GOOD.split("---\nAdd")[0] + "---\n", "no body"),
        ("---\nid: [unclosed\n---\nbody\n", "not valid YAML"),
    ],
)
def test_a_bad_rule_file_is_named(tmp_path: Path, text: str, named: str) -> None:
    path = _write(tmp_path, "bad.en.md", text)
    with pytest.raises(KBError, match=named) as info:
        parse_rule(path)
    assert str(path) in str(info.value)


def test_the_same_rule_twice_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, "a.en.md", GOOD)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "b.en.md").write_text(GOOD, encoding="utf-8")
    with pytest.raises(KBError, match="also defined"):
        load_rules(tmp_path)


@pytest.mark.parametrize(
    ("examples", "named"),
    [
        ("examples: {verb: eat}", "must be a list"),
        ("examples: [eat]", "example 1 must be a mapping"),
        ("examples:\n  - {verb: eat, tense: past_simple, en: I ate, colour: red}", "unknown field"),
        ("examples:\n  - {verb: eat, tense: past_simple}", "needs `verb`, `tense` and `en`"),
        ("examples:\n  - {verb: eat, tense: past_simple, en: [I ate]}", "`en` must be a string"),
    ],
)
def test_a_bad_example_list_is_named(tmp_path: Path, examples: str, named: str) -> None:
    path = _write(
        tmp_path,
        "bad.en.md",
        GOOD.replace("persons: [1sg, 2sg, 3sg]\n", f"persons: [1sg]\n{examples}\n"),
    )
    with pytest.raises(KBError, match=named) as info:
        parse_rule(path)
    assert str(path) in str(info.value)


def test_examples_are_read_as_cells(tmp_path: Path) -> None:
    text = GOOD.replace(
        "persons: [1sg, 2sg, 3sg]\n",
        "persons: [1sg]\nexamples:\n  - {verb: study, tense: past_simple, person: 1sg, en: I studied, es: yo estudié}\n"
        "  - {verb: study, tense: past_participle, en: studied}\n",
    )
    rule = parse_rule(_write(tmp_path, "past-ed-spelling.en.md", text))
    assert [(e.verb, e.tense, e.person, e.en, e.es) for e in rule.examples] == [
        ("study", "past_simple", "1sg", "I studied", "yo estudié"),
        ("study", "past_participle", None, "studied", None),
    ]
