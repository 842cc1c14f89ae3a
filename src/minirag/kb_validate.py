"""The knowledge-base validator: a rule file that teaches a wrong form must not pass.

A RAG tutor is only as right as its knowledge base: a reader that faithfully cites a rule saying "the past of eat
is eated" is faithful and wrong. So every claim the KB makes about the 20 verbs is checked against the truth
table (`data/conjugation_table.json`), the same source the corpus and the models learn from:

- front matter: keys unique, both languages present and agreeing, verbs/tenses/persons named as the table
  names them, the file named `<topic>/<id>.<lang>.md`;
- `examples:` in the front matter (correct examples as data) equal the table's cell, English and Spanish, and
  appear in the body;
- `~~…~~` spans in the body are the deliberately wrong examples: each must really be wrong;
- any other word of the body that is a regularised or misspelt form of one of the 20 verbs (`eated`, `goed`,
  `studyed`, `watchs`) is a typo the validator names, because it is not marked as a wrong example. Bold
  (`**…**`) spans may not hold one of the six error codes' wrong phrases (`he work`, `I will to go`).

The misspellings are generated from the table, never typed: regular endings applied where the table says
otherwise, the spelling rules (-es, -ies, -d, doubling) applied wrongly. The wrong phrases are the error
taxonomy's own (`minicorpus.mis_conjugate`), so the KB and the tutor corpus mean the same thing by each code.
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lynx_cortex.domain import TABLE_FILE
from lynx_cortex.paths import data_dir
from minicorpus.conjugate import conjugate_english, regular_past
from minicorpus.mis_conjugate import APPLY
from minicorpus.verb_table import VERB_TABLE
from minirag.kb import KBError, Rule, load_rules

MIN_WORDS = 40
MAX_WORDS = 200
WRONG = re.compile(r"~~(.+?)~~", re.DOTALL)
BOLD = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)
WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
VOWELS = frozenset("aeiou")
#: Generated misspellings that are real words a rule may use in their own sense (a saw cuts; dos = two).
REAL_WORDS = frozenset({"bed", "ben", "god", "seed", "sawed", "dos"})
#: Subjects the KB writes that the table spells `he` (it uses one pronoun per person).
THIRD_PERSON = frozenset(
    {"she", "it", "maria", "tom", "ana", "pedro", "lucia", "laura", "david", "carlos"}
)
THIRD_PERSON_ES = frozenset({"ella"})  # the table's Spanish 3sg subject is `él`
#: Words after which a subject + bare verb is a question or a negative, not an error (`does he work?`).
AUXILIARIES = frozenset(
    {
        "do",
        "does",
        "did",
        "will",
        "can",
        "to",
        "not",
        "has",
        "have",
        "had",
        "am",
        "is",
        "are",
        "was",
        "were",
        "doesn't",
        "didn't",
        "won't",
    }
)


@dataclass(frozen=True)
class Problem:
    path: Path
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(frozen=True)
class Truth:
    """What the validator compares the KB with, all derived from the truth table."""

    verbs: frozenset[str]
    tenses: frozenset[str]
    persons: frozenset[str]
    invariant: frozenset[str]  # tenses whose form does not depend on the person
    forms: dict[tuple[str, str, str], tuple[str, str]]  # (verb, tense, person) -> (en, es)
    correct: frozenset[str]  # every English and Spanish form, normalised
    #: every word of the English forms, pronouns and auxiliaries included
    english_words: frozenset[str]
    misspelt: dict[str, str]  # a wrong word -> the lemma it deforms
    #: the six error codes' wrong texts (and a few more), as normalised word tuples
    wrong_phrases: frozenset[tuple[str, ...]]


def words(text: str) -> list[str]:
    return [w.lower() for w in WORD.findall(text)]


def normalise(text: str) -> tuple[str, ...]:
    """Lower-case words with a third-person subject spelt `he`, so `She eats.` compares equal to `he eats`."""
    out = words(text)
    if out and out[0] in THIRD_PERSON:
        out[0] = "he"
    elif out and out[0] in THIRD_PERSON_ES:
        out[0] = "él"
    return tuple(out)


def misspellings(lemma: str, correct_words: Iterable[str], past: str, participle: str) -> set[str]:
    """The ways a learner (or a typo) bends `lemma`: every regular ending where the table says otherwise, and
    the spelling rules misapplied (-s for -es, -ys for -ies, -eed, doubling, -yed, writen for written)."""
    base = {
        lemma + "ed",
        lemma + "d",
        regular_past(lemma),
        lemma + "s",
        lemma + "es",
        past + "ed",  # wented, ated
        past + "d",
    }
    if lemma.endswith("y"):
        stem = lemma[:-1]
        base |= {lemma + "ed", stem + "ies", stem + "ied", lemma + "es"}  # studyed, plaies, plaied
    if lemma[-1] not in VOWELS:
        base.add(lemma + lemma[-1] + "ed")  # listenned, workked
    for i in range(1, len(participle)):
        if participle[i] == participle[i - 1]:
            base.add(participle[:i] + participle[i + 1 :])  # writen
    return base - set(correct_words) - REAL_WORDS - {lemma}


def _helper_errors(
    forms: dict[tuple[str, str, str], tuple[str, str]], verbs: Iterable[str]
) -> set[tuple[str, ...]]:
    """Wrong outside the six codes: tense marked twice (`will goes`, `doesn't works`, `didn't went`) and the
    past after have where the participle differs (`has went`), going to without its be (`I going to`)."""
    out: set[tuple[str, ...]] = {(subject, "going", "to") for subject in ("i", "you", "he")}
    for verb in verbs:
        third = forms[(verb, "present_simple", "3sg")][0].split()[-1]
        past = forms[(verb, "past_simple", "1sg")][0].split()[-1]
        if third != verb:
            out |= {("will", third), ("does", "he", third), ("doesn't", third)}
        if past != verb:
            out |= {("will", past), ("did", "he", past), ("did", "you", past), ("did", "i", past)}
            out |= {("didn't", past)}
        participle = forms[(verb, "past_participle", "1sg")][0]
        if past != participle:
            out |= {("has", past), ("have", past), ("had", past)}
    return out


@cache
def truth(data: Path | None = None) -> Truth:
    """Read once per data folder; the KB tests plant files in a tmp folder but share this table."""
    path = (data if data is not None else data_dir()) / TABLE_FILE
    table = json.loads(path.read_text(encoding="utf-8"))
    tenses, persons = tuple(table["tenses"]), tuple(table["persons"])
    forms: dict[tuple[str, str, str], tuple[str, str]] = {}
    for verb, entry in table["verbs"].items():
        for tense in tenses:
            for person in persons:
                cell = entry["forms"][tense][person]
                forms[(verb, tense, person)] = (cell["en"], cell["es"])
    english_words = frozenset(w for en, _ in forms.values() for w in words(en))
    misspelt: dict[str, str] = {}
    for verb in table["verbs"]:
        past = forms[(verb, "past_simple", "1sg")][0].split()[-1]
        participle = forms[(verb, "past_participle", "1sg")][0]
        for wrong in sorted(misspellings(verb, english_words, past, participle)):
            misspelt.setdefault(wrong, verb)
    wrong_phrases: set[tuple[str, ...]] = set()
    for verb, entry in VERB_TABLE.items():
        for tense in tenses:
            for person in persons:
                form = conjugate_english(verb, tense, person)
                for apply in APPLY.values():
                    text = apply(form, entry, tense, person)
                    if text is not None:
                        wrong_phrases.add(normalise(text))
    wrong_phrases |= _helper_errors(forms, table["verbs"])
    return Truth(
        verbs=frozenset(table["verbs"]),
        tenses=frozenset(tenses),
        persons=frozenset(persons),
        invariant=frozenset(table["person_invariant_tenses"]),
        forms=forms,
        correct=frozenset(" ".join(normalise(text)) for pair in forms.values() for text in pair),
        english_words=english_words,
        misspelt=misspelt,
        wrong_phrases=frozenset(wrong_phrases),
    )


def _contains(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    """`needle` occurs in `haystack` and is not a question or negative (`does he work`)."""
    n = len(needle)
    return any(
        tuple(haystack[i : i + n]) == tuple(needle)
        and (i == 0 or haystack[i - 1] not in AUXILIARIES)
        for i in range(len(haystack) - n + 1)
    )


def _has_wrong_phrase(tokens: Sequence[str], t: Truth) -> bool:
    return any(_contains(tokens, phrase) for phrase in t.wrong_phrases)


def _check_front(rule: Rule, t: Truth) -> list[Problem]:
    out = []
    if rule.path.name != f"{rule.id}.{rule.lang}.md":
        out.append(Problem(rule.path, f"file should be named {rule.id}.{rule.lang}.md"))
    if rule.path.parent.name != rule.topic:
        out.append(
            Problem(rule.path, f"topic {rule.topic!r} but the file is in {rule.path.parent.name}/")
        )
    for name, allowed in (("verbs", t.verbs), ("tenses", t.tenses), ("persons", t.persons)):
        for value in getattr(rule, name):
            if value not in allowed:
                out.append(Problem(rule.path, f"{name}: {value!r} is not in the truth table"))
    n = len(words(rule.body))
    if not MIN_WORDS <= n <= MAX_WORDS:
        out.append(
            Problem(rule.path, f"body has {n} words; a rule is {MIN_WORDS}-{MAX_WORDS} words")
        )
    return out


def _check_examples(rule: Rule, t: Truth) -> list[Problem]:
    out = []
    body = " ".join(rule.body.lower().split())
    for ex in rule.examples:
        where = f"example {ex.en!r}"
        if ex.verb not in rule.verbs or ex.tense not in rule.tenses:
            out.append(
                Problem(
                    rule.path, f"{where}: its verb and tense must be in the rule's front matter"
                )
            )
        person = (
            ex.person if ex.person is not None else ("1sg" if ex.tense in t.invariant else None)
        )
        cell = t.forms.get((ex.verb, ex.tense, person)) if person is not None else None
        if cell is None:
            out.append(Problem(rule.path, f"{where}: no cell ({ex.verb}, {ex.tense}, {ex.person})"))
            continue
        if normalise(ex.en) != normalise(cell[0]):
            out.append(Problem(rule.path, f"{where}: the truth table says {cell[0]!r}"))
        if ex.es is not None and normalise(ex.es) != normalise(cell[1]):
            out.append(Problem(rule.path, f"{where}: the Spanish is {cell[1]!r}, not {ex.es!r}"))
        shown = ex.en if rule.lang == "en" or ex.es is None else ex.es
        if " ".join(shown.lower().split()) not in body:
            out.append(Problem(rule.path, f"{where}: {shown!r} does not appear in the body"))
    return out


def _check_body(rule: Rule, t: Truth) -> list[Problem]:
    out = []
    marked = [m.span() for m in WRONG.finditer(rule.body)]
    for m in WRONG.finditer(rule.body):
        span = m.group(1)
        tokens = normalise(span)
        if " ".join(tokens) in t.correct or (len(tokens) == 1 and tokens[0] in t.english_words):
            out.append(Problem(rule.path, f"~~{span}~~ is marked wrong but is a truth-table form"))
        elif (
            not any(w in t.misspelt for w in tokens)
            and not _has_wrong_phrase(tokens, t)
            and all(w in t.english_words for w in tokens)
        ):
            out.append(
                Problem(rule.path, f"~~{span}~~ is marked wrong but shows none of the known errors")
            )
    for m in WORD.finditer(rule.body):
        word = m.group(0).lower()
        inside = any(a <= m.start() < b for a, b in marked)
        if word in t.misspelt and not inside:
            out.append(
                Problem(
                    rule.path,
                    f"{m.group(0)!r} is a misspelt form of {t.misspelt[word]!r}: "
                    "fix it, or mark it as a wrong example with ~~…~~",
                )
            )
    for word in words(rule.title):
        if word in t.misspelt:
            out.append(
                Problem(rule.path, f"title: {word!r} is a misspelt form of {t.misspelt[word]!r}")
            )
    for m in BOLD.finditer(rule.body):
        if _has_wrong_phrase(normalise(m.group(1)), t):
            out.append(
                Problem(rule.path, f"**{m.group(1)}** is shown as correct but is a known error")
            )
    return out


def _check_pairs(rules: Sequence[Rule]) -> list[Problem]:
    out = []
    seen: dict[str, Path] = {}
    by_id: dict[str, list[Rule]] = defaultdict(list)
    for rule in rules:
        if rule.key in seen:
            out.append(Problem(rule.path, f"rule {rule.key} is also defined in {seen[rule.key]}"))
        seen[rule.key] = rule.path
        by_id[rule.id].append(rule)
    for rid, versions in sorted(by_id.items()):
        langs = {r.lang for r in versions}
        for missing in sorted({"en", "es"} - langs):
            out.append(Problem(versions[0].path, f"rule {rid} has no {missing} version"))
        first = versions[0]
        for other in versions[1:]:
            for name in ("topic", "verbs", "tenses", "persons"):
                if getattr(other, name) != getattr(first, name):
                    out.append(Problem(other.path, f"{name} differs from {first.path.name}"))
    return out


def validate(rules: Sequence[Rule], data: Path | None = None) -> list[Problem]:
    """Every problem of the KB, in file order; `[]` means it may be served."""
    t = truth(data)
    out = _check_pairs(rules)
    for rule in rules:
        out += _check_front(rule, t) + _check_examples(rule, t) + _check_body(rule, t)
    return sorted(out, key=lambda p: (str(p.path), p.message))


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m minirag.kb_validate [folder]`: print each problem, exit 1 if there is any."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        rules = load_rules(Path(args[0]) if args else None)
    except KBError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    problems = validate(rules)
    for problem in problems:
        print(problem)
    print(f"{len(rules)} rule files, {len(problems)} problem(s)", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["Problem", "Truth", "misspellings", "normalise", "truth", "validate"]
