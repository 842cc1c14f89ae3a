"""The closed word lists the parser reads a sentence with: auxiliaries, adverbs, cues, declines' triggers.

Word lists rather than a tagger because the scope is closed (20 verbs, five tenses, singular subjects): every
word the parser treats specially is named here, so a wrong reading can be traced to one list entry.
"""

from __future__ import annotations

import functools
from typing import Final

from minicorpus.conjugate import english_participle, english_past, english_present, regular_past
from minicorpus.verb_table import VERB_TABLE

BE_PRESENT: Final = {"am": "1sg", "'m": "1sg", "is": "3sg", "'s": "3sg", "are": "2sg", "'re": "2sg"}
BE_PAST: Final = frozenset({"was", "were"})
HAVE_FORMS: Final = frozenset({"have", "has", "had", "'ve"})
CONTRACTIONS: Final = {"'m": "am", "'re": "are", "'s": "is", "'ve": "have", "'ll": "will"}


def expansions(contraction: str) -> frozenset[str]:
    """What a contracted auxiliary may stand for (`'s` is `is` or `has`)."""
    if contraction == "'s":
        return frozenset({"is", "has"})
    full = CONTRACTIONS.get(contraction)
    return frozenset({full}) if full else frozenset()


#: Adverbs a learner puts between the subject and the verb, or inside the verb group.
INNER_ADVERBS: Final = frozenset(
    {
        "always",
        "usually",
        "often",
        "sometimes",
        "never",
        "also",
        "really",
        "just",
        "already",
        "still",
        "ever",
        "yesterday",
        "today",
        "tomorrow",
        "finally",
        "probably",
        "generally",
    }
)
#: One-word openers skipped before the subject (`Yesterday, she ...`).
OPENERS: Final = INNER_ADVERBS | frozenset({"tonight", "now", "then", "later", "so", "well", "ok"})
#: Openers that take the next word with them (`last week`, `every day`, `on mondays`, `in 2019`).
TWO_WORD_OPENERS: Final = frozenset({"last", "next", "every", "this", "on", "at", "in"})
ARTICLES: Final = frozenset({"the", "a", "an"})
DETERMINERS: Final = ARTICLES | frozenset(
    {"my", "your", "his", "her", "its", "our", "their", "this", "that", "some", "any", "no", "to"}
)
#: Words that cannot be in a subject: a modal, a conjunction, an imperative opener.
NOT_SUBJECT: Final = frozenset(
    {
        "please",
        "let",
        "let's",
        "lets",
        "but",
        "because",
        "if",
        "when",
        "not",
        "do",
        "does",
        "did",
        "can",
        "could",
        "should",
        "must",
        "would",
        "may",
        "might",
        "to",
        "used",
        "maybe",
        "perhaps",
    }
)
NEGATIONS: Final = frozenset(
    {"not", "n't", "don't", "doesn't", "didn't", "won't", "isn't", "aren't"}
)
QUESTION_OPENERS: Final = frozenset(
    {
        "do",
        "does",
        "did",
        "is",
        "are",
        "am",
        "was",
        "were",
        "will",
        "have",
        "has",
        "can",
    }
)
#: A sentence that opens with one of these has two clauses; the tutor checks one verb group.
SUBORDINATORS: Final = frozenset(
    [
        "when",
        "if",
        "because",
        "while",
        "after",
        "before",
        "although",
        "what",
        "where",
        "why",
        "who",
        "how",
    ]
)
#: What may follow `last/next/this/every/on/in/at` for the pair to be a time opener (`this book` is not).
TIME_NOUNS: Final = frozenset(
    [
        "morning",
        "afternoon",
        "evening",
        "night",
        "week",
        "weekend",
        "weekends",
        "month",
        "year",
        "day",
        "summer",
        "winter",
        "spring",
        "autumn",
        "time",
        "moment",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "mondays",
        "tuesdays",
        "wednesdays",
        "thursdays",
        "fridays",
        "saturdays",
        "sundays",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ]
)
#: Places after `going to` that make it the continuous of go (`she is going to school`), not the future.
PLACES: Final = frozenset(
    {
        "school",
        "bed",
        "church",
        "class",
        "town",
        "hospital",
        "university",
        "college",
        "market",
        "bank",
        "cinema",
        "park",
        "beach",
        "office",
        "shop",
        "party",
        "gym",
        "doctor",
        "airport",
        "station",
    }
)
PAST_CUES: Final = frozenset({"yesterday", "ago", "last"})
FUTURE_CUES: Final = frozenset({"tomorrow", "next"})
#: Words that show the text is not English (function words of Spanish, French, Italian, Portuguese, German).
FOREIGN_WORDS: Final = frozenset(
    {
        "el",
        "la",
        "los",
        "las",
        "es",
        "está",
        "fue",
        "yo",
        "mi",
        "en",
        "una",
        "un",
        "hola",
        "ayer",
        "que",
        "de",
        "del",
        "al",
        "muy",
        "pero",
        "je",
        "suis",
        "le",
        "les",
        "et",
        "est",
        "ich",
        "bin",
        "ist",
        "der",
        "die",
        "das",
        "und",
        "sono",
        "il",
        "eu",
        "sou",
        "vive",
        "trabajo",
        "tú",
        "él",
    }
)


#: Common verbs outside the 20, so `I am agree` and `he has finish`-like groups are recognised as verbs.
OTHER_VERBS: Final = frozenset(
    {
        "agree",
        "arrive",
        "ask",
        "begin",
        "believe",
        "borrow",
        "bring",
        "buy",
        "call",
        "change",
        "clean",
        "close",
        "cook",
        "cry",
        "dance",
        "decide",
        "drink",
        "drive",
        "enjoy",
        "feel",
        "fly",
        "forget",
        "get",
        "give",
        "help",
        "hope",
        "know",
        "learn",
        "leave",
        "live",
        "love",
        "make",
        "meet",
        "move",
        "need",
        "open",
        "pay",
        "read",
        "remember",
        "rain",
        "run",
        "say",
        "sell",
        "send",
        "sing",
        "sit",
        "sleep",
        "speak",
        "spend",
        "stay",
        "stop",
        "swim",
        "take",
        "teach",
        "tell",
        "think",
        "travel",
        "try",
        "understand",
        "use",
        "visit",
        "wait",
        "wake",
        "wash",
        "wear",
        "win",
        "wish",
        "worry",
    }
)
#: Irregular pasts and participles of `OTHER_VERBS` learners use often.
OTHER_IRREGULAR: Final = frozenset(
    {
        "began",
        "begun",
        "bought",
        "brought",
        "drank",
        "drunk",
        "drove",
        "driven",
        "felt",
        "flew",
        "flown",
        "forgot",
        "forgotten",
        "got",
        "gotten",
        "gave",
        "given",
        "knew",
        "known",
        "learnt",
        "left",
        "made",
        "met",
        "paid",
        "ran",
        "said",
        "sold",
        "sent",
        "sang",
        "sung",
        "sat",
        "slept",
        "spoke",
        "spoken",
        "spent",
        "swam",
        "took",
        "taken",
        "taught",
        "told",
        "thought",
        "understood",
        "woke",
        "wore",
        "worn",
        "won",
        "broken",
        "broke",
        "read",
    }
)


#: 20-verb forms that are also everyday nouns or prepositions (`start work`, `look like`): after a verb group
#: they are read as its complement, not as a second verb.
NOUN_LIKE: Final = frozenset(
    {
        "work",
        "works",
        "play",
        "plays",
        "walk",
        "walks",
        "talk",
        "talks",
        "study",
        "look",
        "looks",
        "watch",
        "start",
        "starts",
        "finish",
        "like",
        "do",
    }
)


def other_verb(word: str) -> bool:
    """Is `word` a form of a common verb outside the 20 (`agree`, `agrees`, `agreed`, `took`)?"""
    if word in OTHER_VERBS or word in OTHER_IRREGULAR:
        return True
    for suffix, back in (("ies", "y"), ("es", ""), ("s", ""), ("ied", "y"), ("ed", ""), ("d", "")):
        if word.endswith(suffix) and word[: -len(suffix)] + back in OTHER_VERBS:
            return True
    return False


@functools.cache
def overregularised() -> dict[str, str]:
    """`goed` -> `go`: the -ed past a learner makes of each irregular verb (`be` has none, see mis_conjugate)."""
    found: dict[str, str] = {}
    for lemma, entry in VERB_TABLE.items():
        if entry.english_regularity != "irregular" or lemma == "be":
            continue
        wrong = regular_past(lemma)
        if wrong not in (english_past(entry, "3sg"), english_participle(entry)):
            found[wrong] = lemma
    return found


@functools.cache
def misspelt_forms() -> frozenset[str]:
    """Spellings of the 20 verbs' -s and past that the table never makes and the taxonomy has no code for:
    `watchs`, `studys`, `gos`, `haves` (a plain -s), `studyed` (a plain -ed), `wented`, `ated` (past + -ed)."""
    found: set[str] = set()
    for lemma, entry in VERB_TABLE.items():
        past = english_past(entry, "3sg")
        found.update({lemma + "s", lemma + "ed", past + "ed", past + "d"})
    known = set(simple_forms()) | set(overregularised()) | {"was", "were", "has", "had", "is", "am"}
    return frozenset(found - known)


@functools.cache
def simple_forms() -> dict[str, tuple[str, str]]:
    """One-word forms of the 20 verbs -> (lemma, kind): kind is base, s, past or participle."""
    found: dict[str, tuple[str, str]] = {}
    for lemma, entry in VERB_TABLE.items():
        if lemma in ("be", "have"):
            continue  # their forms are auxiliaries too; the parser reads them first
        found.setdefault(lemma, (lemma, "base"))
        found.setdefault(english_present(entry, "3sg"), (lemma, "s"))
        found.setdefault(english_past(entry, "3sg"), (lemma, "past"))
        found.setdefault(english_participle(entry), (lemma, "participle"))
    return found


def is_verbish(word: str) -> bool:
    """Could `word` open a verb group of the 20 verbs (including a learner's wrong form)?"""
    return (
        word in simple_forms()
        or word in overregularised()
        or word in BE_PRESENT
        or word in BE_PAST
        or word in HAVE_FORMS
        or word in ("will", "'ll", "be", "going", "been")
    )
