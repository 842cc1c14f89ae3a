"""The §A13 verb table: 20 English verbs with their Spanish pairs, as data and nothing else.

Everything in the corpus, the exported `data/conjugation_table.json` and the tutor's truth table derives from
this module, so it is the one place a form can be wrong. Irregular forms are written out rather than derived
("enumerate more, compute less"): a learner auditing the table should not have to run a rule in their head.
Spanish forms that a plain -ar/-er/-ir rule would get wrong are listed per (tense, person) in
`spanish_irregular_forms`; everything absent there follows the regular paradigm in `conjugate`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final, Literal

Tense = Literal[
    "infinitive",
    "present_simple",
    "past_simple",
    "past_participle",
    "future_will",
    "future_going_to",
]
Person = Literal["1sg", "2sg", "3sg"]
Regularity = Literal["regular", "irregular"]

#: The six tense surfaces, in the order every table, plot and file lists them.
TENSES: Final[tuple[Tense, ...]] = (
    "infinitive",
    "present_simple",
    "past_simple",
    "past_participle",
    "future_will",
    "future_going_to",
)
#: Tense surfaces whose form does not depend on the person: stored once per verb with `person: null`.
PERSON_INVARIANT_TENSES: Final[frozenset[str]] = frozenset({"infinitive", "past_participle"})
#: Spellings callers may use for a tense; `future` is the tutor's name for `future_will`.
TENSE_ALIASES: Final[MappingProxyType[str, Tense]] = MappingProxyType({"future": "future_will"})

PERSONS: Final[tuple[Person, ...]] = ("1sg", "2sg", "3sg")
ENGLISH_PRONOUNS: Final[MappingProxyType[str, str]] = MappingProxyType(
    {"1sg": "I", "2sg": "you", "3sg": "he"}
)
SPANISH_PRONOUNS: Final[MappingProxyType[str, str]] = MappingProxyType(
    {"1sg": "yo", "2sg": "tú", "3sg": "él"}
)
#: Indirect-object clitics for `gustar`, whose Spanish syntax inverts subject and object (me gusta).
SPANISH_CLITICS: Final[MappingProxyType[str, str]] = MappingProxyType(
    {"1sg": "me", "2sg": "te", "3sg": "le"}
)
#: Present of `haber`, the Spanish perfect auxiliary (he/has/ha + participle).
SPANISH_HABER: Final[MappingProxyType[str, str]] = MappingProxyType(
    {"1sg": "he", "2sg": "has", "3sg": "ha"}
)
#: Present of `ir`, the Spanish near-future auxiliary (voy/vas/va a + infinitive).
SPANISH_IR: Final[MappingProxyType[str, str]] = MappingProxyType(
    {"1sg": "voy", "2sg": "vas", "3sg": "va"}
)
#: English auxiliaries that agree with the subject.
ENGLISH_BE_PRESENT: Final[MappingProxyType[str, str]] = MappingProxyType(
    {"1sg": "am", "2sg": "are", "3sg": "is"}
)
ENGLISH_HAVE_PRESENT: Final[MappingProxyType[str, str]] = MappingProxyType(
    {"1sg": "have", "2sg": "have", "3sg": "has"}
)

SpanishKey = tuple[str, str]  # (tense, person); person "-" for the participle


@dataclass(frozen=True)
class VerbEntry:
    """One verb of the table. `english_present_3sg`/`english_past` etc. are None where the rule applies."""

    english_lemma: str
    spanish_lemma: str
    english_regularity: Regularity
    spanish_regularity: Regularity
    english_past: str | None = None
    english_participle: str | None = None
    english_present: MappingProxyType[str, str] | None = None
    spanish_irregular_forms: MappingProxyType[SpanishKey, str] = field(
        default_factory=lambda: MappingProxyType({})
    )
    #: Spanish uses the inverted `me/te/le gusta` construction for this verb.
    spanish_inverted: bool = False
    note: str = ""


def _forms(**pairs: str) -> MappingProxyType[SpanishKey, str]:
    """`present_simple_1sg="quiero"` -> {("present_simple", "1sg"): "quiero"}; `past_participle` takes "-"."""
    table: dict[SpanishKey, str] = {}
    for key, form in pairs.items():
        if key == "past_participle":
            table[("past_participle", "-")] = form
            continue
        tense, person = key.rsplit("_", 1)
        table[(tense, person)] = form
    return MappingProxyType(table)


def _present(first: str, second: str, third: str) -> MappingProxyType[str, str]:
    return MappingProxyType({"1sg": first, "2sg": second, "3sg": third})


_ENTRIES: tuple[VerbEntry, ...] = (
    VerbEntry("work", "trabajar", "regular", "regular"),
    VerbEntry(
        "play",
        "jugar",
        "regular",
        "irregular",
        spanish_irregular_forms=_forms(
            present_simple_1sg="juego",
            present_simple_2sg="juegas",
            present_simple_3sg="juega",
            past_simple_1sg="jugué",
        ),
        note="stem change u→ue; g→gu before é",
    ),
    VerbEntry("walk", "caminar", "regular", "regular"),
    VerbEntry("talk", "hablar", "regular", "regular"),
    VerbEntry("listen", "escuchar", "regular", "regular"),
    VerbEntry("watch", "mirar", "regular", "regular", note="shares mirar with look"),
    VerbEntry("study", "estudiar", "regular", "regular"),
    VerbEntry("finish", "terminar", "regular", "regular"),
    VerbEntry(
        "start",
        "empezar",
        "regular",
        "irregular",
        spanish_irregular_forms=_forms(
            present_simple_1sg="empiezo",
            present_simple_2sg="empiezas",
            present_simple_3sg="empieza",
            past_simple_1sg="empecé",
        ),
        note="stem change e→ie; z→c before é",
    ),
    VerbEntry("look", "mirar", "regular", "regular", note="shares mirar with watch"),
    VerbEntry(
        "want",
        "querer",
        "regular",
        "irregular",
        spanish_irregular_forms=_forms(
            present_simple_1sg="quiero",
            present_simple_2sg="quieres",
            present_simple_3sg="quiere",
            past_simple_1sg="quise",
            past_simple_2sg="quisiste",
            past_simple_3sg="quiso",
            future_will_1sg="querré",
            future_will_2sg="querrás",
            future_will_3sg="querrá",
        ),
        note="stem change e→ie; irregular preterite and future stem",
    ),
    VerbEntry(
        "like",
        "gustar",
        "regular",
        "regular",
        spanish_inverted=True,
        note="inverted syntax: I like → me gusta",
    ),
    VerbEntry(
        "be",
        "ser",
        "irregular",
        "irregular",
        english_past="was",
        english_participle="been",
        english_present=_present("am", "are", "is"),
        spanish_irregular_forms=_forms(
            present_simple_1sg="soy",
            present_simple_2sg="eres",
            present_simple_3sg="es",
            past_simple_1sg="fui",
            past_simple_2sg="fuiste",
            past_simple_3sg="fue",
        ),
        note="past agrees with the person: I was, you were, he was",
    ),
    VerbEntry(
        "have",
        "tener",
        "irregular",
        "irregular",
        english_past="had",
        english_participle="had",
        english_present=_present("have", "have", "has"),
        spanish_irregular_forms=_forms(
            present_simple_1sg="tengo",
            present_simple_2sg="tienes",
            present_simple_3sg="tiene",
            past_simple_1sg="tuve",
            past_simple_2sg="tuviste",
            past_simple_3sg="tuvo",
            future_will_1sg="tendré",
            future_will_2sg="tendrás",
            future_will_3sg="tendrá",
        ),
    ),
    VerbEntry(
        "do",
        "hacer",
        "irregular",
        "irregular",
        english_past="did",
        english_participle="done",
        english_present=_present("do", "do", "does"),
        spanish_irregular_forms=_forms(
            present_simple_1sg="hago",
            past_simple_1sg="hice",
            past_simple_2sg="hiciste",
            past_simple_3sg="hizo",
            future_will_1sg="haré",
            future_will_2sg="harás",
            future_will_3sg="hará",
            past_participle="hecho",
        ),
    ),
    VerbEntry(
        "go",
        "ir",
        "irregular",
        "irregular",
        english_past="went",
        english_participle="gone",
        english_present=_present("go", "go", "goes"),
        spanish_irregular_forms=_forms(
            present_simple_1sg="voy",
            present_simple_2sg="vas",
            present_simple_3sg="va",
            past_simple_1sg="fui",
            past_simple_2sg="fuiste",
            past_simple_3sg="fue",
        ),
    ),
    VerbEntry(
        "come",
        "venir",
        "irregular",
        "irregular",
        english_past="came",
        english_participle="come",
        spanish_irregular_forms=_forms(
            present_simple_1sg="vengo",
            present_simple_2sg="vienes",
            present_simple_3sg="viene",
            past_simple_1sg="vine",
            past_simple_2sg="viniste",
            past_simple_3sg="vino",
            future_will_1sg="vendré",
            future_will_2sg="vendrás",
            future_will_3sg="vendrá",
        ),
    ),
    VerbEntry(
        "see",
        "ver",
        "irregular",
        "irregular",
        english_past="saw",
        english_participle="seen",
        spanish_irregular_forms=_forms(
            present_simple_1sg="veo",
            past_simple_1sg="vi",
            past_simple_3sg="vio",
            past_participle="visto",
        ),
        note="veo, vi/vio without accents, participle visto",
    ),
    VerbEntry(
        "eat", "comer", "irregular", "regular", english_past="ate", english_participle="eaten"
    ),
    VerbEntry(
        "write",
        "escribir",
        "irregular",
        "regular",
        english_past="wrote",
        english_participle="written",
        spanish_irregular_forms=_forms(past_participle="escrito"),
        note="regular except the participle escrito",
    ),
)

#: The table, keyed by English lemma, in the canonical order (12 regular, then 8 irregular).
VERB_TABLE: Final[MappingProxyType[str, VerbEntry]] = MappingProxyType(
    {entry.english_lemma: entry for entry in _ENTRIES}
)
VERBS: Final[tuple[str, ...]] = tuple(VERB_TABLE)
