"""Spanish sentences of the tutor set: hand-written translations, ser/estar, agreement, gustar, imperfect."""

from __future__ import annotations

from typing import cast

import pytest

from minicorpus.conjugate import conjugate_spanish
from minicorpus.frames import COMPLEMENTS, Frame, complement, subjects_for
from minicorpus.spanish import imperfect, spanish_sentence
from minicorpus.tutor import FRAMED_TENSES
from minicorpus.tutor_validate import copula_problem
from minicorpus.verb_table import PERSONS, Person, Tense


def es(verb: str, tense: str, person: str, subject: str, comp: str, adverb: str = "") -> str:
    """The Spanish of a frame; an adverb written `^adverb` goes first, otherwise last."""
    position = "none" if not adverb else "initial" if adverb[0] == "^" else "final"
    frame = Frame(subject, comp, adverb.lstrip("^"), position)
    return spanish_sentence(verb, cast(Tense, tense), cast(Person, person), frame)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ("go", "past_simple", "3sg", "she", "to the market", "^yesterday"),
            "Ayer ella fue al mercado.",
        ),
        (("go", "present_simple", "3sg", "Tom", "to the park"), "Tom va al parque."),
        (
            ("play", "present_simple", "1sg", "I", "football", "every day"),
            "Yo juego al fútbol todos los días.",
        ),
        (("listen", "past_simple", "2sg", "you", "to the teacher"), "Tú escuchaste al profesor."),
        (
            ("see", "future_will", "3sg", "Ana", "the doctor", "^tomorrow"),
            "Mañana Ana verá al médico.",
        ),
        (("eat", "past_participle", "3sg", "it", "fish", "today"), "Ha comido pescado hoy."),
        (("write", "future_going_to", "3sg", "he", "a letter"), "Él va a escribir una carta."),
        (("work", "present_simple", "3sg", "Carlos", ""), "Carlos trabaja."),
    ],
)
def test_hand_translations(args: tuple[str, ...], expected: str) -> None:
    assert es(*args) == expected


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # estar: where someone is, how they are now
        (("be", "present_simple", "3sg", "Tom", "tired"), "Tom está cansado."),
        (("be", "present_simple", "3sg", "Maria", "tired"), "Maria está cansada."),
        (("be", "present_simple", "1sg", "I", "at home"), "Yo estoy en casa."),
        (("be", "past_participle", "3sg", "Ana", "busy", "today"), "Ana ha estado ocupada hoy."),
        (("be", "future_will", "2sg", "you", "happy"), "Tú estarás contento."),
        (("be", "present_simple", "3sg", "it", "happy"), "Está contento."),
        # ser: what someone is
        (("be", "present_simple", "3sg", "she", "a doctor"), "Ella es médica."),
        (("be", "present_simple", "3sg", "he", "a teacher"), "Él es profesor."),
        (("be", "present_simple", "3sg", "Lucia", "kind"), "Lucia es amable."),
        (("be", "future_will", "3sg", "Laura", "from Spain"), "Laura será de España."),
        (("be", "future_going_to", "3sg", "Pedro", "a doctor"), "Pedro va a ser médico."),
        (("be", "past_participle", "1sg", "I", "tall"), "Yo he sido alto."),
    ],
)
def test_ser_or_estar_and_agreement(args: tuple[str, ...], expected: str) -> None:
    assert es(*args) == expected


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("like", "present_simple", "3sg", "Maria", "music"), "A Maria le gusta la música."),
        (("like", "present_simple", "1sg", "I", "the film"), "Me gusta la película."),
        (("like", "present_simple", "2sg", "you", "coffee"), "Te gusta el café."),
        (
            ("like", "present_simple", "3sg", "she", "football", "^on Mondays"),
            "Los lunes a ella le gusta el fútbol.",
        ),
        (("like", "past_participle", "3sg", "he", "the book"), "A él le ha gustado el libro."),
        (("like", "future_going_to", "1sg", "I", "the park"), "Me va a gustar el parque."),
        # a past state takes the imperfect; a one-off experience keeps the preterite
        (("like", "past_simple", "3sg", "Tom", "music"), "A Tom le gustaba la música."),
        (
            ("like", "past_simple", "1sg", "I", "the film", "yesterday"),
            "Me gustó la película ayer.",
        ),
    ],
)
def test_gustar_inverts(args: tuple[str, ...], expected: str) -> None:
    assert es(*args) == expected


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("want", "past_simple", "1sg", "I", "a coffee"), "Yo quería un café."),
        (("have", "past_simple", "3sg", "he", "a dog"), "Él tenía un perro."),
        (("be", "past_simple", "2sg", "you", "at home"), "Tú estabas en casa."),
        (("be", "past_simple", "3sg", "she", "tall"), "Ella era alta."),
        (
            ("be", "past_simple", "3sg", "Laura", "tired", "^last week"),
            "La semana pasada Laura estaba cansada.",
        ),
        # not a state: the preterite
        (("play", "past_simple", "1sg", "I", ""), "Yo jugué."),
        (("go", "past_simple", "1sg", "I", "home"), "Yo fui a casa."),
    ],
)
def test_states_take_the_imperfect(args: tuple[str, ...], expected: str) -> None:
    assert es(*args) == expected


def test_imperfect_paradigm() -> None:
    assert [imperfect("querer", p) for p in PERSONS] == ["quería", "querías", "quería"]
    assert [imperfect("estar", p) for p in PERSONS] == ["estaba", "estabas", "estaba"]
    assert [imperfect("ser", p) for p in PERSONS] == ["era", "eras", "era"]
    assert imperfect("gustar", "3sg") == "gustaba"


def test_v1_form_table_keeps_the_preterite() -> None:
    """The imperfect is a sentence decision; the v1 form table still teaches `quise` and `fui`."""
    assert conjugate_spanish("want", "past_simple", "1sg") == "yo quise"
    assert conjugate_spanish("be", "past_simple", "3sg") == "él fue"


def test_every_frame_word_renders_cleanly() -> None:
    """Each complement of each verb, in every tense and person, gives one well-formed sentence."""
    for verb, items in COMPLEMENTS.items():
        assert 7 <= len(items) <= 10, verb
        for item in items:
            assert bool(item.english) == bool(item.spanish), (verb, item)
            for tense in FRAMED_TENSES:
                for person in PERSONS:
                    subject = subjects_for(person)[0]
                    text = spanish_sentence(
                        verb, tense, person, Frame(subject, item.english, "", "none")
                    )
                    assert text[0].isupper() and text.endswith(".") and "  " not in text, text


def _be_row(subject: str, comp: str, spanish: str) -> dict[str, str]:
    return {"verb_lemma": "be", "subject": subject, "complement": comp, "spanish": spanish}


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        (_be_row("Tom", "tired", "Tom está cansado."), None),
        (_be_row("Tom", "tired", "Tom es cansado."), "copula"),
        (_be_row("Maria", "at home", "Maria es en casa."), "copula"),
        (_be_row("she", "a doctor", "Ella está médica."), "copula"),
        (_be_row("she", "a doctor", "Ella es médico."), "agreement"),
        (_be_row("Pedro", "tall", "Pedro era alta."), "agreement"),
        (_be_row("Ana", "busy", "Ana ha estado ocupado hoy."), "agreement"),
        (_be_row("Lucia", "kind", "Lucia es amable."), None),
    ],
)
def test_copula_check_on_hand_cases(row: dict[str, str], problem: str | None) -> None:
    assert copula_problem(row) == problem


def test_complement_lookup_names_the_problem() -> None:
    assert complement("be", "tired").copula == "estar"
    with pytest.raises(KeyError, match="'go' has no complement 'tired'"):
        complement("go", "tired")
