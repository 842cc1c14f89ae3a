"""Phase 20: the probe schema — the data contract every number in an eval report rests on.

A probe is one sentence with a blank (`___`) at the verb, a list of candidate forms, and the sentence the model is
shown: the blank filled with `given`, which is either the right form (label `correct`), a wrong one (`incorrect`)
or one of several acceptable forms (`ambiguous`, e.g. "will go" where "am going to go" is expected too, or a
plural subject outside the singular grid). The model answers by which candidate it would write back (see
`minieval.scoring`); a pick in `acceptable` counts as right.

Vocabularies follow DESIGN.md §4: 20 verbs, 6 tense surfaces (`future` is accepted as an alias of `future_will`),
persons 1sg/2sg/3sg, `person` null for the person-invariant infinitive and past participle. `regularity` is the
English verb's class (the Spanish verb can differ: jugar changes its stem). Adversarial probes carry their
category key in `reason_code`; categories are fixed here, never invented at aggregation time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lynx_cortex.jsonl import JsonlError, iter_jsonl
from minicorpus.verb_table import (
    PERSON_INVARIANT_TENSES,
    PERSONS,
    TENSE_ALIASES,
    TENSES,
    VERB_TABLE,
    VERBS,
)

# The verbs, tenses and persons are the truth table's (`minicorpus.verb_table`), never a copy of them.
TARGET_VERBS = frozenset(VERBS)
IRREGULAR_VERBS = frozenset(v for v in VERBS if VERB_TABLE[v].english_regularity == "irregular")
LANGUAGES = ("en", "es")
LABELS = ("correct", "incorrect", "ambiguous")
CATEGORIES = ("core", "adversarial")
ADVERSARIAL_CATEGORIES = (
    "over_regularization",
    "wrong_person_agreement",
    "wrong_tense_marker",
    "auxiliary_mismatch",
    "en_es_mismatch",
    "plural_or_oos",
)
BLANK = "___"
# Minimum core-probe counts per slice value (the seed's coverage matrix).
COVERAGE_MINIMA: Mapping[str, tuple[Sequence[str], int]] = {
    "language": (LANGUAGES, 30),
    "regularity": (("regular", "irregular"), 30),
    "tense": (TENSES, 10),
    "person": (PERSONS, 15),
}
MIN_ADVERSARIAL = 20

_REQUIRED = (
    "id",
    "language",
    "verb",
    "regularity",
    "tense",
    "person",
    "prompt",
    "candidates",
    "expected",
    "given",
    "label",
    "category",
)


class ProbeError(ValueError):
    """A probe file that breaks the schema; the message names the file, line and field."""


@dataclass(frozen=True)
class Probe:
    id: str
    language: str
    verb: str
    regularity: str
    tense: str
    person: str | None
    prompt: str
    candidates: tuple[str, ...]
    expected: str
    acceptable: tuple[str, ...]
    given: str
    label: str
    category: str
    reason_code: str | None = None
    explanation: str | None = None
    source: str = "hand"

    @property
    def before_blank(self) -> str:
        """The text before the blank (the scoring prefix; the seed used the whole sentence minus the blank)."""
        return self.prompt.split(BLANK, 1)[0]

    def fill(self, form: str) -> str:
        return self.prompt.replace(BLANK, form, 1)

    @property
    def shown(self) -> str:
        """The sentence the model reads: the blank filled with `given`."""
        return self.fill(self.given)


def _field_errors(raw: Mapping[str, Any]) -> list[str]:
    errors = [f"missing field {key!r}" for key in _REQUIRED if key not in raw]
    if errors:
        return errors
    strings = (
        "id",
        "language",
        "verb",
        "regularity",
        "tense",
        "prompt",
        "expected",
        "given",
        "label",
    )
    errors += [
        f"{k} must be a non-empty string"
        for k in strings
        if not isinstance(raw[k], str) or not raw[k]
    ]
    cands = raw["candidates"]
    if not isinstance(cands, list) or not all(isinstance(c, str) and c for c in cands):
        errors.append("candidates must be a list of non-empty strings")
    elif not 2 <= len(cands) <= 5 or len(set(cands)) != len(cands):
        errors.append(f"candidates must hold 2-5 distinct forms, got {cands}")
    if "acceptable" in raw and not (
        isinstance(raw["acceptable"], list) and all(isinstance(c, str) for c in raw["acceptable"])
    ):
        errors.append("acceptable must be a list of strings")
    return errors


def _semantic_errors(p: Probe) -> list[str]:
    errors: list[str] = []

    def check(ok: bool, message: str) -> None:
        if not ok:
            errors.append(message)

    check(p.language in LANGUAGES, f"language {p.language!r} not in {LANGUAGES}")
    check(p.verb in TARGET_VERBS, f"verb {p.verb!r} is not one of the 20 target verbs")
    if p.verb in TARGET_VERBS:
        want = "irregular" if p.verb in IRREGULAR_VERBS else "regular"
        check(p.regularity == want, f"regularity {p.regularity!r} but {p.verb!r} is {want}")
    check(p.tense in TENSES, f"tense {p.tense!r} not in {TENSES}")
    check(p.label in LABELS, f"label {p.label!r} not in {LABELS}")
    check(p.category in CATEGORIES, f"category {p.category!r} not in {CATEGORIES}")
    check(p.source in ("hand", "generated"), f"source {p.source!r} must be hand or generated")
    plural = p.category == "adversarial" and p.reason_code == "plural_or_oos"
    if p.tense == "infinitive" or (p.tense not in PERSON_INVARIANT_TENSES and plural):
        check(p.person is None, f"person must be null for {p.tense} probes, got {p.person!r}")
    elif p.tense != "past_participle" or p.person is not None:
        check(p.person in PERSONS, f"person {p.person!r} not in {PERSONS}")
    check(p.prompt.count(BLANK) == 1, f"prompt must contain exactly one {BLANK!r}")
    check(p.expected in p.candidates, f"expected {p.expected!r} is not among the candidates")
    check(p.given in p.candidates, f"given {p.given!r} is not among the candidates")
    check(p.expected in p.acceptable, "acceptable must include expected")
    check(set(p.acceptable) <= set(p.candidates), "acceptable forms must all be candidates")
    in_ok = p.given in p.acceptable
    if p.label == "correct":
        check(in_ok, f"label correct but given {p.given!r} is not acceptable")
    elif p.label == "incorrect":
        check(not in_ok, f"label incorrect but given {p.given!r} is acceptable")
    elif p.label == "ambiguous":
        check(in_ok, f"label ambiguous but given {p.given!r} is not acceptable")
    if p.category == "adversarial":
        check(
            p.reason_code in ADVERSARIAL_CATEGORIES,
            f"adversarial reason_code {p.reason_code!r} must be one of {ADVERSARIAL_CATEGORIES}",
        )
    return errors


def parse_probe(raw: Mapping[str, Any], where: str) -> Probe:
    """One probe from a decoded JSON object, or a ProbeError naming `where` and every problem found."""
    errors = _field_errors(raw)
    if not errors:
        probe = Probe(
            id=raw["id"],
            language=raw["language"],
            verb=raw["verb"],
            regularity=raw["regularity"],
            tense=TENSE_ALIASES.get(raw["tense"], raw["tense"]),
            person=raw["person"],
            prompt=raw["prompt"],
            candidates=tuple(raw["candidates"]),
            expected=raw["expected"],
            acceptable=tuple(raw.get("acceptable") or [raw["expected"]]),
            given=raw["given"],
            label=raw["label"],
            category=raw["category"],
            reason_code=raw.get("reason_code"),
            explanation=raw.get("explanation"),
            source=raw.get("source", "hand"),
        )
        errors = _semantic_errors(probe)
        if not errors:
            return probe
    raise ProbeError(f"{where} (probe {raw.get('id', '?')!r}): " + "; ".join(errors))


def load_probes(path: Path) -> list[Probe]:
    """Every probe of a JSONL file, validated one by one; fails on the first bad line, naming it."""
    if not path.is_file():
        raise ProbeError(f"probe file {path} does not exist")
    try:
        return [parse_probe(raw, f"{path}:{n}") for n, raw in iter_jsonl(path)]
    except JsonlError as exc:
        raise ProbeError(str(exc)) from exc


def coverage_errors(probes: Iterable[Probe]) -> list[str]:
    """Which coverage minima the core probes miss (adversarial probes are counted separately)."""
    all_probes = list(probes)
    core = [p for p in all_probes if p.category == "core"]
    errors = []
    for attr, (values, minimum) in COVERAGE_MINIMA.items():
        counts = Counter(getattr(p, attr) for p in core)
        errors += [
            f"only {counts[v]} core probes with {attr}={v} (need >= {minimum})"
            for v in values
            if counts[v] < minimum
        ]
    missing = {(lang, v) for lang in LANGUAGES for v in TARGET_VERBS} - {
        (p.language, p.verb) for p in core
    }
    errors += [f"no core probe for verb {v!r} in {lang}" for lang, v in sorted(missing)]
    adversarial = [p for p in all_probes if p.category == "adversarial"]
    if len(adversarial) < MIN_ADVERSARIAL:
        errors.append(f"only {len(adversarial)} adversarial probes (need >= {MIN_ADVERSARIAL})")
    by_cat = Counter(p.reason_code for p in adversarial)
    errors += [
        f"adversarial category {c} has {by_cat[c]} probes (need >= 3)"
        for c in ADVERSARIAL_CATEGORIES
        if by_cat[c] < 3
    ]
    return errors


def validate_probe_sets(core: Sequence[Probe], adversarial: Sequence[Probe]) -> list[str]:
    """Cross-file checks: categories in the right file, unique ids across both, coverage minima."""
    errors = [
        f"{p.id} is in the core file but has category {p.category}"
        for p in core
        if p.category != "core"
    ]
    errors += [
        f"{p.id} is in the adversarial file but has category {p.category}"
        for p in adversarial
        if p.category != "adversarial"
    ]
    ids = Counter(p.id for p in [*core, *adversarial])
    errors += [f"duplicate probe id {i!r} ({n} times)" for i, n in sorted(ids.items()) if n > 1]
    return errors + coverage_errors([*core, *adversarial])


__all__ = [
    "ADVERSARIAL_CATEGORIES",
    "BLANK",
    "IRREGULAR_VERBS",
    "LABELS",
    "LANGUAGES",
    "TARGET_VERBS",
    "Probe",
    "ProbeError",
    "coverage_errors",
    "load_probes",
    "parse_probe",
    "validate_probe_sets",
]
