"""The KB validator on planted defects: each must be named with its file, and a clean rule must pass."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lynx_cortex.paths import data_dir
from minirag.kb import Rule, kb_dir, load_rules
from minirag.kb_validate import WRONG, main, misspellings, truth, validate

FILLER = (
    "This sentence is here so the rule has the length of a real chunk, which the validator also checks, "
    "because a rule that is too short cannot be retrieved on its own words and one that is too long mixes rules."
)
TABLE = json.loads((data_dir() / "conjugation_table.json").read_text(encoding="utf-8"))


def _front(lang: str, examples: str = "", verbs: str = "[eat]") -> str:
    return (
        f"---\nid: irregular-eat\nlang: {lang}\ntopic: irregular\ntitle: eat\nverbs: {verbs}\n"
        f"tenses: [past_simple, past_participle]\npersons: [1sg]\n{examples}---\n"
    )


GOOD_EXAMPLES = (
    "examples:\n"
    "  - {verb: eat, tense: past_simple, person: 1sg, en: I ate, es: yo comí}\n"
    "  - {verb: eat, tense: past_participle, en: eaten, es: comido}\n"
)
EN_BODY = (
    f"The past of eat is **I ate** and its participle is **eaten**: not ✗ ~~I eated~~. {FILLER}"
)
ES_BODY = f"Pasado **yo comí** (I ate), participio **comido** (eaten), nunca ✗ ~~eated~~. {FILLER}"


def _kb(
    tmp_path: Path, en_body: str = EN_BODY, es_body: str = ES_BODY, examples: str = GOOD_EXAMPLES
) -> Path:
    folder = tmp_path / "kb" / "irregular"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "irregular-eat.en.md").write_text(_front("en", examples) + en_body, encoding="utf-8")
    (folder / "irregular-eat.es.md").write_text(_front("es", examples) + es_body, encoding="utf-8")
    return tmp_path / "kb"


def _messages(folder: Path) -> list[str]:
    return [str(p) for p in validate(load_rules(folder))]


def test_a_clean_rule_pair_validates(tmp_path: Path) -> None:
    assert _messages(_kb(tmp_path)) == []


@pytest.mark.parametrize(
    "typo", ["eated", "goed", "writed", "studyed", "watchs", "comed", "writen", "plaies"]
)
def test_an_unmarked_misspelt_form_is_named_with_its_file(tmp_path: Path, typo: str) -> None:
    folder = _kb(tmp_path, en_body=EN_BODY + f" Yesterday I {typo} it.")
    problems = _messages(folder)
    assert len(problems) == 1
    assert "irregular-eat.en.md" in problems[0] and repr(typo) in problems[0]


@pytest.mark.parametrize("typo", ["eated", "goed", "watchs"])
def test_the_same_form_marked_as_wrong_passes(tmp_path: Path, typo: str) -> None:
    assert _messages(_kb(tmp_path, en_body=EN_BODY + f" ✗ ~~I {typo}~~ is wrong.")) == []


@pytest.mark.parametrize(
    ("span", "named"),
    [
        ("I ate", "is a truth-table form"),
        ("she eats", "is a truth-table form"),
        ("went", "is a truth-table form"),
        ("I will work to go", "none of the known errors"),
    ],
)
def test_a_wrong_example_that_is_right_fails(tmp_path: Path, span: str, named: str) -> None:
    problems = _messages(_kb(tmp_path, en_body=EN_BODY + f" ✗ ~~{span}~~"))
    assert len(problems) == 1 and named in problems[0]


@pytest.mark.parametrize(
    "span", ["he work", "she will to go", "I am go to eat", "you was", "he gone"]
)
def test_each_error_code_phrase_counts_as_wrong(tmp_path: Path, span: str) -> None:
    assert _messages(_kb(tmp_path, en_body=EN_BODY + f" ✗ ~~{span}~~")) == []
    problems = _messages(_kb(tmp_path, en_body=EN_BODY + f" **{span}**"))
    assert len(problems) == 1 and "shown as correct" in problems[0]


def test_a_question_in_bold_is_not_an_error(tmp_path: Path) -> None:
    assert _messages(_kb(tmp_path, en_body=EN_BODY + " **Does she work?** **Has he gone?**")) == []


@pytest.mark.parametrize(
    ("example", "named"),
    [
        (
            "{verb: eat, tense: past_simple, person: 1sg, en: I eated}",
            "the truth table says 'I ate'",
        ),
        (
            "{verb: eat, tense: past_simple, person: 1sg, en: I ate, es: yo comió}",
            "the Spanish is 'yo comí'",
        ),
        ("{verb: eat, tense: past_simple, en: I ate}", "no cell"),
        ("{verb: eat, tense: future_will, person: 1sg, en: I will eat}", "front matter"),
        ("{verb: eat, tense: past_participle, en: eaten, es: comida}", "the Spanish is 'comido'"),
    ],
)
def test_an_example_off_the_truth_table_fails(tmp_path: Path, example: str, named: str) -> None:
    folder = _kb(tmp_path, examples=f"examples:\n  - {example}\n")
    problems = [p for p in _messages(folder) if "irregular-eat.en.md" in p]
    assert any(named in p for p in problems), problems


def test_an_example_missing_from_the_body_fails(tmp_path: Path) -> None:
    body = f"A rule that forgot to show its example. {FILLER}"
    problems = _messages(_kb(tmp_path, en_body=body))
    assert problems == [
        f"{tmp_path}/kb/irregular/irregular-eat.en.md: example 'I ate': 'I ate' does not appear in the body",
        f"{tmp_path}/kb/irregular/irregular-eat.en.md: example 'eaten': 'eaten' does not appear in the body",
    ]


def test_front_matter_off_the_table_and_a_missing_language_fail(tmp_path: Path) -> None:
    folder = _kb(tmp_path)
    es = folder / "irregular" / "irregular-eat.es.md"
    es.unlink()
    en = folder / "irregular" / "irregular-eat.en.md"
    en.write_text(
        en.read_text(encoding="utf-8").replace("verbs: [eat]", "verbs: [eat, run]"),
        encoding="utf-8",
    )
    problems = _messages(folder)
    assert any("has no es version" in p for p in problems)
    assert any("verbs: 'run' is not in the truth table" in p for p in problems)


def test_the_two_versions_must_agree(tmp_path: Path) -> None:
    folder = _kb(tmp_path)
    es = folder / "irregular" / "irregular-eat.es.md"
    es.write_text(
        es.read_text(encoding="utf-8").replace("persons: [1sg]", "persons: [2sg]"), encoding="utf-8"
    )
    assert any("persons differs" in p and "irregular-eat.es.md" in p for p in _messages(folder))


def test_a_rule_too_short_to_be_a_chunk_fails(tmp_path: Path) -> None:
    problems = _messages(_kb(tmp_path, en_body="**I ate**, **eaten**."))
    assert any("words; a rule is" in p for p in problems)


def test_misspellings_of_go_and_study_by_hand() -> None:
    words = truth().english_words
    go = misspellings("go", words, "went", "gone")
    assert {"goed", "gos", "wented"} <= go and not {"goes", "went", "gone", "go"} & go
    study = misspellings("study", words, "studied", "studied")
    assert {"studyed", "studys", "studyes"} <= study and not {"studies", "studied"} & study
    write = misspellings("write", words, "wrote", "written")
    assert {"writed", "writen", "wroted"} <= write


def _cells() -> st.SearchStrategy[tuple[str, str, str]]:
    return st.tuples(
        st.sampled_from(sorted(TABLE["verbs"])),
        st.sampled_from(TABLE["tenses"]),
        st.sampled_from(TABLE["persons"]),
    )


@settings(max_examples=25, deadline=None)
@given(cell=_cells(), extra=st.sampled_from(["s", "ed", "d"]))
def test_any_table_cell_passes_and_a_bent_one_fails(
    tmp_path_factory: pytest.TempPathFactory, cell: tuple[str, str, str], extra: str
) -> None:
    verb, tense, person = cell
    form = TABLE["verbs"][verb]["forms"][tense][person]
    en, es = form["en"], form["es"]
    for text, ok in ((en, True), (en + extra, False)):
        tmp = tmp_path_factory.mktemp("kb")
        folder = tmp / "irregular"
        folder.mkdir()
        front = (
            f"---\nid: irregular-eat\nlang: {{lang}}\ntopic: irregular\ntitle: t\nverbs: [{verb}]\n"
            f"tenses: [{tense}]\npersons: [{person}]\nexamples:\n"
            f"  - {{{{verb: {verb}, tense: {tense}, person: '{person}', en: '{text}', es: '{es}'}}}}\n---\n"
        )
        body = f"{FILLER} {text} / {es}"
        for lang in ("en", "es"):
            (folder / f"irregular-eat.{lang}.md").write_text(
                front.format(lang=lang) + body, encoding="utf-8"
            )
        problems = [p for p in validate(load_rules(tmp)) if "truth table says" in p.message]
        assert (problems == []) is ok, (text, problems)


# --- the committed knowledge base -------------------------------------------------------------------------

REQUIRED_TOPICS = {"tenses", "spelling", "irregular", "auxiliaries", "errors", "spanish"}


@cache
def _committed() -> list[Rule]:
    return load_rules()


@pytest.fixture
def kb() -> list[Rule]:
    return _committed()


def test_the_committed_kb_validates_clean(kb: list[Rule]) -> None:
    assert [str(p) for p in validate(kb)] == []


def test_the_committed_kb_has_the_size_and_topics_the_issue_asks_for(kb: list[Rule]) -> None:
    ids = {r.id for r in kb}
    assert len(ids) >= 35 and len(kb) == 2 * len(ids)
    assert {r.topic for r in kb} >= REQUIRED_TOPICS
    t = truth()
    irregular = {v for v in t.verbs if TABLE["verbs"][v]["english_regularity"] == "irregular"}
    assert {f"irregular-{v}" for v in irregular} <= ids
    codes = {"error-" + c.replace("_", "-") for c in TABLE["mis_conjugation_types"]}
    assert codes <= ids
    assert {f"{t}".replace("_", "-") for t in TABLE["tenses"]} <= ids
    assert {
        "ser-estar",
        "gustar",
        "present-perfect",
        "will-bare-infinitive",
        "going-to-auxiliary",
    } <= ids


def test_eated_planted_in_a_copy_of_the_kb_is_named(tmp_path: Path) -> None:
    copy = tmp_path / "kb"
    shutil.copytree(kb_dir(), copy, ignore=shutil.ignore_patterns("queries"))
    target = copy / "irregular" / "irregular-eat.en.md"
    text = target.read_text(encoding="utf-8")
    target.write_text(text.replace("**I ate** an apple", "I eated an apple"), encoding="utf-8")
    problems = validate(load_rules(copy))
    assert problems and all(p.path == target for p in problems)
    assert any("'eated' is a misspelt form of 'eat'" in p.message for p in problems)
    assert any(
        "does not appear in the body" in p.message for p in problems
    )  # the example lost its text


def _outside_wrong_spans(body: str, where: int) -> int:
    """Move `where` to the start of a word that is not inside a ~~wrong~~ span."""
    for m in WRONG.finditer(body):
        if m.start() < where < m.end():
            where = m.start()
    while where > 0 and body[where - 1].isalnum():
        where -= 1
    return where


@pytest.mark.parametrize("index", range(0, 82, 9))
@settings(max_examples=8, deadline=None)
@given(wrong=st.sampled_from(sorted(truth().misspelt)), where=st.floats(0, 1))
def test_any_misspelling_planted_in_any_rule_is_named(index: int, wrong: str, where: float) -> None:
    kb = _committed()
    victim = kb[index % len(kb)]
    at = _outside_wrong_spans(victim.body, int(where * len(victim.body)))
    planted = replace(victim, body=f"{victim.body[:at]} {wrong} {victim.body[at:]}")
    problems = validate([planted if r is victim else r for r in kb if r.id == victim.id])
    assert problems and {p.path for p in problems} == {victim.path}
    assert any(repr(wrong) in p.message for p in problems)


def test_the_command_prints_each_problem_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _kb(tmp_path)
    assert main([str(folder)]) == 0
    en = folder / "irregular" / "irregular-eat.en.md"
    en.write_text(en.read_text(encoding="utf-8") + " He goed.", encoding="utf-8")
    assert main([str(folder)]) == 1
    out = capsys.readouterr()
    assert (
        out.out
        == f"{en}: 'goed' is a misspelt form of 'go': fix it, or mark it as a wrong example with ~~…~~\n"
    )
    assert main([str(tmp_path / "nowhere")]) == 2
