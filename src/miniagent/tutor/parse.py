"""Read a learner's sentence deterministically: subject → person, verb group → (verb, tense), error → fix.

The parser is the tutor's ground truth, so it only claims what the truth table can settle. It finds the first
verb group of the 20 verbs after a singular subject, reads which (verb, tense) the learner meant from the
group's shape (`will to go`, `is go to`, `has eated`, `goed`, `gone`), asks the table for the group that
subject needs, and names the difference with one code of the closed taxonomy. Anything it cannot settle —
a plural subject, another verb, the continuous, a question, a negation, a tense the time words contradict,
another language — is a `Decline` with a reason, never a guess.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

from miniagent.tools.forms import PRONOUN_PERSON, correct_group, subject_person
from miniagent.tutor import lexicon as lx
from minicorpus.conjugate import english_participle, english_past, get_entry
from minicorpus.verb_table import VERB_TABLE, Person, Tense

MAX_CHARS: Final = 280
CANDIDATE_TENSES: Final[tuple[Tense, ...]] = (
    "present_simple",
    "past_simple",
    "past_participle",
    "future_will",
    "future_going_to",
)
_TOKEN = re.compile(r"n't|'(?:m|re|s|ve|ll)\b|[^\W\d_]+(?:-[^\W\d_]+)*|\d+|\S", re.UNICODE)
_SPANISH_MARKS: Final = frozenset("¿¡ñáíóúé")
_PARTICIPLES: Final = frozenset(english_participle(entry) for entry in VERB_TABLE.values())


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int

    @property
    def low(self) -> str:
        return self.text.lower()


@dataclass(frozen=True)
class Decline:
    """Why a sentence is out of scope: a `reason` code and the word that shows it (may be empty)."""

    reason: str
    word: str = ""


@dataclass(frozen=True)
class Parse:
    """An in-scope reading: who, which cell, and the learner's group against the table's."""

    sentence: str
    subject: str
    person: Person
    verb: str
    tense: Tense
    start: int  # the learner's verb group is sentence[start:end]
    end: int
    expected: str  # the table's verb group for this subject and cell
    error_type: str | None

    @property
    def written(self) -> str:
        return self.sentence[self.start : self.end]

    @property
    def correction(self) -> str:
        if self.error_type is None:
            return self.sentence
        return self.with_group(self.expected)

    def with_group(self, group: str) -> str:
        """The sentence with its verb group replaced by `group` (the learner's contraction kept)."""
        return (
            self.sentence[: self.start]
            + _keep_case(self.written, group)
            + self.sentence[self.end :]
        )

    def candidates(self) -> tuple[str, ...]:
        """The sentence with each table group of its verb for its subject, one per tense: all the model
        may choose from, so its proposal is a truth-table form by construction."""
        return tuple(
            self.with_group(table_group(self.written, self.verb, tense, self.person))
            for tense in CANDIDATE_TENSES
        )


def _expand(written: str, tense: Tense) -> str:
    """The learner's group with a contracted auxiliary spelled out (`'s gone` → `has gone`)."""
    words = written.lower().split()
    if words and words[0] in lx.CONTRACTIONS:
        words[0] = (
            "has" if words[0] == "'s" and tense == "past_participle" else lx.CONTRACTIONS[words[0]]
        )
    return " ".join(words)


def _keep_case(written: str, expected: str) -> str:
    """Keep a learner's contraction when its auxiliary is right (`I'm go to` → `I'm going to`), else spell
    the auxiliary out after a space; keep an all-caps group's shouting."""
    if written.startswith("'"):
        head = written.split()[0]
        first, _, rest = expected.partition(" ")
        if first in lx.expansions(head.lower()):
            return f"{head} {rest}".rstrip()
        return f" {expected}"
    return expected.upper() if written.isupper() and len(written) > 1 else expected


def normalise(sentence: str) -> str:
    """NFC, one space between words, straight apostrophes: the text every later step indexes into."""
    text = unicodedata.normalize("NFC", sentence).replace("’", "'").replace("‘", "'")
    return " ".join(text.split())


def tokenize(text: str) -> list[Token]:
    return [Token(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _words(tokens: list[Token]) -> list[Token]:
    return [t for t in tokens if t.text[0].isalnum() or t.text[0] == "'" or t.low == "n't"]


def _screen(text: str, tokens: list[Token]) -> Decline | None:
    """The declines that need no parse: empty, too long, garbage, another language, question, negation."""
    if not text:
        return Decline("empty")
    if len(text) > MAX_CHARS:
        return Decline("too_long")
    words = [t.low for t in _words(tokens)]
    if not any(len(w) > 1 and w[0].isalpha() for w in words):
        return Decline("garbage")
    marked = [t.text for t in _words(tokens) if any(ch in _SPANISH_MARKS for ch in t.text.lower())]
    if (
        "¿" in text
        or "¡" in text
        or any(not w[0].isupper() for w in marked)  # a capitalised `Lucía` is a name, not Spanish
        or sum(w in lx.FOREIGN_WORDS for w in words) >= 2
    ):
        return Decline("language")
    if text.rstrip().endswith("?") or words[0] in lx.QUESTION_OPENERS:
        return Decline("question")
    negation = (
        "n't" if "n't" in text.lower() else next((w for w in words if w in lx.NEGATIONS), None)
    )
    if negation is not None:
        return Decline("negation", negation)
    return None


def _skip_openers(words: list[Token]) -> int:
    i = 0
    while i < len(words):
        w = words[i].low
        ago = next((k for k in range(i + 1, min(i + 4, len(words))) if words[k].low == "ago"), None)
        if ago is not None:
            i = ago + 1  # `two years ago`, `a week ago`
        elif w in lx.OPENERS:
            i += 1
            if w in ("yesterday", "tomorrow") and i < len(words) and words[i].low in lx.TIME_NOUNS:
                i += 1  # `yesterday night`, a common learner calque of `ayer por la noche`
        elif w in lx.TWO_WORD_OPENERS and _time_word(words, i + 1):
            i += 2
            if words[i - 1].low in lx.ARTICLES:
                i += 1  # `in the morning`
        else:
            break
    return i


def _time_word(words: list[Token], k: int) -> bool:
    """Is words[k] (after an optional article) a time noun or a number (`last week`, `in the morning`)?"""
    if k < len(words) and words[k].low in lx.ARTICLES:
        k += 1
    return k < len(words) and (words[k].low in lx.TIME_NOUNS or words[k].text.isdigit())


def _group_start(words: list[Token], first: int) -> int | None:
    """The first word after the subject's first word that can open a verb group: not a noun after `the`,
    and `'s` only after he/she/it (`my mother's friend` is a possessive)."""
    for j in range(first + 1, len(words)):
        low, before = words[j].low, words[j - 1].low
        if low == "'s" and before not in ("he", "she", "it"):
            continue
        if lx.is_verbish(low) and before not in lx.DETERMINERS:
            return j
    return None


def _next(words: list[Token], k: int) -> int:
    while k < len(words) and words[k].low in lx.INNER_ADVERBS:
        k += 1
    return k


def _low(words: list[Token], k: int) -> str:
    return words[k].low if k < len(words) else ""


@dataclass(frozen=True)
class _Group:
    verb: str
    tense: Tense
    last: int  # index of the group's last word
    error_type: (
        str | None
    )  # an error the shape shows on its own (will to, go to, goed, bare participle)


def _read_group(words: list[Token], j: int, person: Person) -> _Group | Decline:
    """Which cell the learner meant, from the group's shape; agreement is settled afterwards."""
    head = words[j].low
    k = _next(words, j + 1)
    nxt = _low(words, k)
    if head == "'s" and (nxt in lx.overregularised() or nxt in _PARTICIPLES):
        head = "has"  # `she's gone`: the contracted `has`, not `is`
    if head in ("will", "'ll"):
        with_to = nxt == "to"
        k = _next(words, k + 1) if with_to else k
        verb = _low(words, k)
        if verb not in VERB_TABLE:
            return Decline("unsupported" if lx.is_verbish(verb) else "verb", verb)
        return _Group(verb, "future_will", k, "wrong_aux_will_with_to" if with_to else None)
    if head in lx.BE_PRESENT or head in lx.BE_PAST or head == "be":
        if nxt in ("going", "go") and _low(words, k + 1) == "to":
            if head in lx.BE_PAST or head == "be":
                return Decline("unsupported", f"{head} going to")
            verb = _low(words, k + 2)
            if verb in VERB_TABLE:
                missing_ing = "wrong_aux_going_to_missing_ing" if nxt == "go" else None
                return _Group(verb, "future_going_to", k + 2, missing_ing)
            if (
                verb in lx.DETERMINERS
                or verb in lx.PLACES
                or not verb
                or words[k + 2].text[0].isupper()
            ):
                return Decline("continuous", f"{head} going")
            # `going to eats`: a form of the 20 in a shape the taxonomy has no code for; else another verb
            return Decline("unsupported" if lx.is_verbish(verb) else "verb", verb)
        if nxt.endswith("ing") and len(nxt) > 4:
            return Decline("continuous", f"{head} {nxt}")
        if _is_verb_form(nxt) or nxt == "been":
            return Decline("unsupported", f"{head} {nxt}")  # `is work`, `am agree`, `is gone`
        if head == "be" and person != "3sg":
            return Decline("unsupported", head)
        return _Group("be", "past_simple" if head in lx.BE_PAST else "present_simple", j, None)
    if head in lx.HAVE_FORMS:
        if nxt == "to" or nxt == "got":
            return Decline("unsupported", f"{head} {nxt}")
        if nxt in lx.overregularised():
            if head == "had":
                return Decline("unsupported", f"had {nxt}")
            return _Group(
                lx.overregularised()[nxt], "past_participle", k, "overregularization_past"
            )
        reading = lx.simple_forms().get(nxt)
        participle_of = (
            reading[0]
            if reading and english_participle(get_entry(reading[0])) == nxt
            else ("be" if nxt == "been" else "have" if nxt == "had" else None)
        )
        if participle_of is not None and not (reading and reading[1] == "base" and nxt != "come"):
            if head == "had":
                return Decline("unsupported", f"had {nxt}")
            return _Group(participle_of, "past_participle", k, None)
        if reading is not None and reading[1] in ("past", "participle"):
            return Decline("unsupported", f"{head} {nxt}")
        if _is_verb_form(nxt):
            return Decline("unsupported", f"{head} {nxt}")  # `has finish`, `have see`
        if head == "had":
            return _Group("have", "past_simple", j, None)
        return _Group("have", "present_simple", j, None)
    if head == "going":
        return Decline("unsupported", head)
    if head in lx.overregularised():
        return _Group(lx.overregularised()[head], "past_simple", j, "overregularization_past")
    if head == "been":
        return _Group("be", "past_participle", j, "bare_participle_missing_aux")
    lemma, kind = lx.simple_forms()[head]
    entry = get_entry(lemma)
    if kind == "participle" and english_participle(entry) != english_past(entry, person):
        return _Group(lemma, "past_participle", j, "bare_participle_missing_aux")
    if kind == "past":
        return _Group(lemma, "past_simple", j, None)
    return _Group(lemma, "present_simple", j, None)


def _is_verb_form(word: str) -> bool:
    return (
        word in lx.simple_forms()
        or word in lx.overregularised()
        or word in lx.HAVE_FORMS
        or word in lx.BE_PRESENT
        or word in lx.BE_PAST
        or word == "be"
        or lx.other_verb(word)
    )


def _second_verb(words: list[Token], last: int) -> str | None:
    """A verb error the tutor does not check, after the group: a verb right after it (`I want go`), a
    non-base form after `to` (`want to going`), or a learner's -ed past anywhere (`...when she goed`)."""
    after = [w.low for w in words[last + 1 :]]
    first = lx.simple_forms().get(after[0]) if after else None
    if first is not None and after[0] not in lx.NOUN_LIKE and first[1] != "participle":
        return after[0]
    if (
        len(after) > 1
        and after[0] == "to"
        and lx.is_verbish(after[1])
        and after[1] not in VERB_TABLE
    ):
        return f"to {after[1]}"
    return next((w for w in after if w in lx.overregularised()), None)


def _tense_conflict(words: list[Token], tense: Tense) -> bool:
    """Time words that contradict the group: `yesterday` with a present or future, `tomorrow` with a past."""
    lows = {w.low for w in words}
    if lows & lx.PAST_CUES and tense != "past_simple":
        return True
    return bool(lows & lx.FUTURE_CUES) and tense in ("past_simple", "past_participle")


def parse(sentence: str) -> Parse | Decline:
    """The in-scope reading of `sentence`, or why it is out of scope."""
    text = normalise(sentence)
    tokens = tokenize(text)
    screened = _screen(text, tokens)
    if screened is not None:
        return screened
    words = _words(tokens)
    first = _skip_openers(words)
    if first >= len(words):
        return Decline("no_verb")
    j = _group_start(words, first)
    if j is None:
        misspelt = next((w.low for w in words if w.low in lx.misspelt_forms()), None)
        if misspelt is not None:
            return Decline("unsupported", misspelt)  # `watchs`, `wented`: never a table spelling
        other = next((w.low for w in words[first:] if lx.other_verb(w.low)), None)
        if other is not None:
            return Decline("verb", other)  # `my father drink coffee`: a verb outside the 20
        return Decline("no_verb", _guess_verb(words, first))
    subject_end = j
    while subject_end > first + 1 and words[subject_end - 1].low in lx.INNER_ADVERBS:
        subject_end -= 1
    subject_words = words[first:subject_end]
    subject = text[subject_words[0].start : subject_words[-1].end]
    lows = [w.low for w in subject_words]
    if "and" in lows:
        return Decline("plural", subject)  # `Tom and I`, `my friend and me`
    if lows[0] in lx.SUBORDINATORS:
        return Decline("unsupported", lows[0])  # `When I was young, ...`: two clauses
    if len(lows) > 1 and lows[0] in PRONOUN_PERSON:
        return Decline("verb", lows[1])  # `She can play`, `He drinks coffee`: a verb outside the 20
    inner = [w for w in lows[1:] if w in PRONOUN_PERSON or lx.other_verb(w)]
    if inner:
        return Decline(
            "unsupported", inner[0]
        )  # `my teacher says I talk`: another clause's subject
    bad = [
        w
        for n, w in enumerate(lows)
        if w in lx.NOT_SUBJECT
        or (lx.is_verbish(w) and w != "'s" and (n == 0 or lows[n - 1] not in lx.DETERMINERS))
    ]
    if bad:
        return Decline("verb", bad[0])
    person = subject_person(subject)
    if person is None:
        return Decline("plural", subject)
    group = _read_group(words, j, person)
    if isinstance(group, Decline):
        return group
    second = _second_verb(words, group.last)
    if second is not None:
        return Decline("unsupported", second)
    if _tense_conflict(words, group.tense):
        return Decline("tense_mismatch", words[j].text)
    start, end = words[j].start, words[group.last].end
    expected = table_group(text[start:end], group.verb, group.tense, person)
    written = _expand(text[start:end], group.tense)
    error = group.error_type
    if error is None and written != expected:
        error = _agreement_error(group, person, written)
    return Parse(text, subject, person, group.verb, group.tense, start, end, expected, error)


def table_group(written: str, verb: str, tense: Tense, person: Person) -> str:
    """The table's group for the cell, keeping adverbs the learner put inside it (`has already gone`)."""
    table = correct_group(verb, tense, person)
    inner = [w for w in written.lower().split() if w in lx.INNER_ADVERBS]
    if not inner or " " not in table:
        return table
    head, rest = table.split(" ", 1)
    if tense == "future_going_to":
        return table  # adverbs inside `is going to` are rare; the group is rewritten whole
    return f"{head} {' '.join(inner)} {rest}"


def _agreement_error(group: _Group, person: Person, written: str) -> str:
    """The right cell, the wrong person: a 3sg bare lemma lost its -s (`he go`, `he have`); anything else
    (`I goes`, `he are`, `you was`, `I has gone`) is a disagreement."""
    if person == "3sg" and group.tense == "present_simple" and written.split()[-1] == group.verb:
        return "missing_third_person_s"
    return "subject_verb_disagreement"


def _guess_verb(words: list[Token], first: int) -> str:
    """The word after a pronoun subject — the likeliest verb — for the decline's message."""
    if first + 1 < len(words) and words[first].low in PRONOUN_PERSON:
        return words[first + 1].text
    return ""


__all__ = ["MAX_CHARS", "Decline", "Parse", "normalise", "parse", "tokenize"]
