"""The words around the verb in corpus v1.1: subjects, complements and time adverbs, in both languages.

A frame is everything in a tutor sentence except the verb group. Each piece is stored with its Spanish next to
it, so a sentence and its translation are built from one table and cannot drift apart. Every complement was
chosen because it translates word for word *with the table's Spanish verb* ("play football" → "jugar al
fútbol"; "play the piano" is out, since Spanish plays an instrument with `tocar`, not `jugar`).

Two details need more than a string. `be` translates to `ser` or `estar` by the complement's meaning (where or
how someone is right now → estar; what or who they are → ser), and its adjectives and professions agree in
gender with the subject, so those complements carry a feminine form. `like` complements that name one
experience ("the film") take the preterite in the past; the rest are states and take the imperfect.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

from minicorpus.verb_table import Person, Tense

Copula = Literal["ser", "estar"]
Gender = Literal["masculine", "feminine"]
Position = Literal["none", "initial", "final"]

POSITIONS: Final[tuple[Position, ...]] = ("none", "initial", "final")


@dataclass(frozen=True)
class Complement:
    """One complement of a verb. `feminine` is its Spanish after a feminine subject (`cansada`), when it
    differs; `copula` says which Spanish `be` it takes; `event` marks a one-off experience (`like`)."""

    english: str
    spanish: str
    feminine: str | None = None
    copula: Copula | None = None
    event: bool = False

    def spanish_for(self, gender: Gender) -> str:
        return self.feminine if gender == "feminine" and self.feminine else self.spanish


def _c(english: str, spanish: str, *, event: bool = False) -> Complement:
    return Complement(english, spanish, event=event)


def _estar(english: str, masculine: str, feminine: str | None = None) -> Complement:
    return Complement(english, masculine, feminine, "estar")


def _ser(english: str, masculine: str, feminine: str | None = None) -> Complement:
    return Complement(english, masculine, feminine, "ser")


NONE: Final = Complement("", "")

#: 7 complements per verb (10 for `be`: five of each copula). "" is the verb on its own ("She works.").
COMPLEMENTS: Final[Mapping[str, tuple[Complement, ...]]] = MappingProxyType(
    {
        "work": (
            NONE,
            _c("at home", "en casa"),
            _c("hard", "mucho"),
            _c("in an office", "en una oficina"),
            _c("at the hospital", "en el hospital"),
            _c("in the garden", "en el jardín"),
            _c("at the shop", "en la tienda"),
        ),
        "play": (
            NONE,
            _c("football", "al fútbol"),
            _c("tennis", "al tenis"),
            _c("chess", "al ajedrez"),
            _c("cards", "a las cartas"),
            _c("in the park", "en el parque"),
            _c("with the dog", "con el perro"),
        ),
        "walk": (
            NONE,
            _c("to school", "a la escuela"),
            _c("in the park", "en el parque"),
            _c("to the station", "a la estación"),
            _c("home", "a casa"),
            _c("to the market", "al mercado"),
            _c("with the dog", "con el perro"),
        ),
        "talk": (
            NONE,
            _c("to the teacher", "con el profesor"),
            _c("about music", "de música"),
            _c("on the phone", "por teléfono"),
            _c("about the film", "de la película"),
            _c("with the doctor", "con el médico"),
            _c("in English", "en inglés"),
        ),
        "listen": (
            NONE,
            _c("to music", "música"),
            _c("to the radio", "la radio"),
            _c("to the teacher", "al profesor"),
            _c("to the song", "la canción"),
            _c("to the news", "las noticias"),
            _c("carefully", "con atención"),
        ),
        "watch": (
            NONE,
            _c("TV", "la televisión"),
            _c("a film", "una película"),
            _c("the game", "el partido"),
            _c("the birds", "los pájaros"),
            _c("the sea", "el mar"),
            _c("the news", "las noticias"),
        ),
        "study": (
            NONE,
            _c("English", "inglés"),
            _c("for the exam", "para el examen"),
            _c("history", "historia"),
            _c("maths", "matemáticas"),
            _c("at the library", "en la biblioteca"),
            _c("at home", "en casa"),
        ),
        "finish": (
            NONE,
            _c("the book", "el libro"),
            _c("the homework", "los deberes"),
            _c("the project", "el proyecto"),
            _c("the letter", "la carta"),
            _c("the game", "el partido"),
            _c("early", "temprano"),
        ),
        "start": (
            NONE,
            _c("the lesson", "la clase"),
            _c("at nine", "a las nueve"),
            _c("the project", "el proyecto"),
            _c("a new job", "un trabajo nuevo"),
            _c("the book", "el libro"),
            _c("early", "temprano"),
        ),
        "look": (
            NONE,
            _c("at the map", "el mapa"),
            _c("at the sky", "el cielo"),
            _c("at the photo", "la foto"),
            _c("at the board", "la pizarra"),
            _c("at the clock", "el reloj"),
            _c("at the teacher", "al profesor"),
        ),
        "want": (
            _c("a coffee", "un café"),
            _c("a new bike", "una bicicleta nueva"),
            _c("a dog", "un perro"),
            _c("some water", "agua"),
            _c("a book", "un libro"),
            _c("the red car", "el coche rojo"),
            _c("a sandwich", "un bocadillo"),
        ),
        "like": (
            _c("music", "la música"),
            _c("the film", "la película", event=True),
            _c("football", "el fútbol"),
            _c("the book", "el libro", event=True),
            _c("coffee", "el café"),
            _c("the park", "el parque"),
            _c("chocolate", "el chocolate"),
        ),
        "be": (
            _estar("at home", "en casa"),
            _estar("at school", "en la escuela"),
            _estar("tired", "cansado", "cansada"),
            _estar("happy", "contento", "contenta"),
            _estar("busy", "ocupado", "ocupada"),
            _ser("a doctor", "médico", "médica"),
            _ser("a teacher", "profesor", "profesora"),
            _ser("tall", "alto", "alta"),
            _ser("kind", "amable"),
            _ser("from Spain", "de España"),
        ),
        "have": (
            _c("a dog", "un perro"),
            _c("a cat", "un gato"),
            _c("a car", "un coche"),
            _c("a new bike", "una bicicleta nueva"),
            _c("a sister", "una hermana"),
            _c("a big house", "una casa grande"),
            _c("a question", "una pregunta"),
        ),
        "do": (
            _c("the homework", "los deberes"),
            _c("the shopping", "la compra"),
            _c("exercise", "ejercicio"),
            _c("the exam", "el examen"),
            _c("yoga", "yoga"),
            _c("the project", "el proyecto"),
            _c("the cleaning", "la limpieza"),
        ),
        "go": (
            _c("home", "a casa"),
            _c("to the market", "al mercado"),
            _c("to school", "a la escuela"),
            _c("to the park", "al parque"),
            _c("to the beach", "a la playa"),
            _c("to the cinema", "al cine"),
            _c("to work", "al trabajo"),
        ),
        "come": (
            _c("home", "a casa"),
            _c("to the party", "a la fiesta"),
            _c("to school", "a la escuela"),
            _c("to the park", "al parque"),
            _c("here", "aquí"),
            _c("late", "tarde"),
            _c("early", "temprano"),
        ),
        "see": (
            _c("the film", "la película"),
            _c("a bird", "un pájaro"),
            _c("the sea", "el mar"),
            _c("the doctor", "al médico"),
            _c("the teacher", "al profesor"),
            _c("a dog", "un perro"),
            _c("the mountains", "las montañas"),
        ),
        "eat": (
            NONE,
            _c("an apple", "una manzana"),
            _c("bread", "pan"),
            _c("fish", "pescado"),
            _c("a sandwich", "un bocadillo"),
            _c("some fruit", "fruta"),
            _c("at home", "en casa"),
        ),
        "write": (
            NONE,
            _c("a letter", "una carta"),
            _c("an email", "un correo"),
            _c("a story", "un cuento"),
            _c("a poem", "un poema"),
            _c("a song", "una canción"),
            _c("in English", "en inglés"),
        ),
    }
)

#: Third-person subjects and their grammatical gender; `it` (an animal) is masculine and dropped in Spanish.
THIRD_PERSON_SUBJECTS: Final[Mapping[str, Gender]] = MappingProxyType(
    {
        "he": "masculine",
        "she": "feminine",
        "Maria": "feminine",
        "Tom": "masculine",
        "Lucia": "feminine",
        "Pedro": "masculine",
        "Ana": "feminine",
        "David": "masculine",
        "Laura": "feminine",
        "Carlos": "masculine",
        "it": "masculine",
    }
)
#: I and you carry no gender in English; the Spanish uses the masculine (a recorded default).
DEFAULT_GENDER: Final[Gender] = "masculine"
SPANISH_SUBJECT_PRONOUNS: Final[Mapping[str, str]] = MappingProxyType(
    {"I": "yo", "you": "tú", "he": "él", "she": "ella", "it": ""}
)
#: The complements `it` (a dog, a cat, a lesson) can take: "It is tired.", "It starts at nine."
IT_COMPLEMENTS: Final[Mapping[str, frozenset[str]]] = MappingProxyType(
    {
        "be": frozenset({"at home", "tired", "happy"}),
        "start": frozenset({"", "at nine", "early"}),
        "eat": frozenset({"", "bread", "fish", "an apple"}),
        "come": frozenset({"home", "here", "late"}),
    }
)

#: Four time adverbs per framed tense, with their Spanish; the two futures share theirs.
_FUTURE = (
    ("tomorrow", "mañana"),
    ("next week", "la semana que viene"),
    ("tonight", "esta noche"),
    ("next year", "el año que viene"),
)
ADVERBS: Final[Mapping[str, tuple[tuple[str, str], ...]]] = MappingProxyType(
    {
        "present_simple": (
            ("every day", "todos los días"),
            ("on Mondays", "los lunes"),
            ("every week", "cada semana"),
            ("in the morning", "por la mañana"),
        ),
        "past_simple": (
            ("yesterday", "ayer"),
            ("last week", "la semana pasada"),
            ("last night", "anoche"),
            ("last year", "el año pasado"),
        ),
        "past_participle": (
            ("today", "hoy"),
            ("this week", "esta semana"),
            ("this morning", "esta mañana"),
            ("this year", "este año"),
        ),
        "future_will": _FUTURE,
        "future_going_to": _FUTURE,
    }
)
SPANISH_ADVERBS: Final[Mapping[str, str]] = MappingProxyType(
    {english: spanish for pairs in ADVERBS.values() for english, spanish in pairs}
)


@dataclass(frozen=True, order=True)
class Frame:
    """Everything around the verb group: who, what, when and where the adverb goes."""

    subject: str
    complement: str
    adverb: str
    position: str


def complement(verb: str, english: str) -> Complement:
    """The complement `english` of `verb`; KeyError when the verb does not take it."""
    for item in COMPLEMENTS[verb]:
        if item.english == english:
            return item
    raise KeyError(f"{verb!r} has no complement {english!r}")


def subject_gender(subject: str) -> Gender:
    return THIRD_PERSON_SUBJECTS.get(subject, DEFAULT_GENDER)


def subjects_for(person: Person) -> tuple[str, ...]:
    if person == "1sg":
        return ("I",)
    if person == "2sg":
        return ("you",)
    return tuple(THIRD_PERSON_SUBJECTS)


def _timeless(verb: str, item: Complement) -> bool:
    """What someone *is* (a doctor, tall) does not change by the day: such sentences take no time adverb."""
    return verb == "be" and item.copula == "ser"


def all_frames(verb: str, tense: Tense, person: Person) -> Iterator[Frame]:
    """Every frame of a cell, in a fixed order: subjects × complements × (no adverb, or adverb × position)."""
    for subject in subjects_for(person):
        for item in COMPLEMENTS[verb]:
            if subject == "it" and item.english not in IT_COMPLEMENTS.get(verb, frozenset()):
                continue
            yield Frame(subject, item.english, "", "none")
            if _timeless(verb, item):
                continue
            for adverb, _ in ADVERBS[tense]:
                for position in ("initial", "final"):
                    yield Frame(subject, item.english, adverb, position)


def sample_frames(verb: str, tense: Tense, person: Person, size: int, seed: int) -> list[Frame]:
    """A seeded sample of `size` frames of the cell (all of them when it has fewer), sorted.

    The cell's name is part of the seed, so adding a verb or a tense leaves every other cell's sample alone.
    """
    frames = list(all_frames(verb, tense, person))
    if len(frames) <= size:
        return frames
    rng = random.Random(f"tutor-frames:{seed}:{verb}:{tense}:{person}")
    return sorted(rng.sample(frames, size))
