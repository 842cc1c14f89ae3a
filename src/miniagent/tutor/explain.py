"""What the tutor says, in English and Spanish: one template per error code, one per decline reason.

Templates, not generation: every fact in an explanation comes from the truth table (through the tools) or
from the parse, so an explanation cannot state a form the table does not hold. The rule it rests on is named
by the chunk id the retriever returned for it, and only such an id.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from minirag.lexicon import TENSE_NAMES

PERSON_NAMES: Final = {
    "1sg": {"en": "first person, I", "es": "primera persona, I"},
    "2sg": {"en": "second person, you", "es": "segunda persona, you"},
    "3sg": {"en": "third person singular", "es": "tercera persona del singular"},
}

_ERRORS: Final[Mapping[str, Mapping[str, str]]] = {
    "missing_third_person_s": {
        "en": "With he, she, it or one person or thing (here '{subject}'), the present simple adds -s: "
        "'{expected}', not '{written}'.",
        "es": "Con he, she, it o un sujeto singular (aquí '{subject}'), el presente simple añade -s: "
        "'{expected}', no '{written}'.",
    },
    "overregularization_past": {
        "en": "'{verb}' is irregular: its past simple is '{past}' and its past participle '{participle}'. "
        "'{written}' gives it the regular -ed ending; write '{expected}'.",
        "es": "'{verb}' es irregular: su pasado simple es '{past}' y su participio '{participle}'. "
        "'{written}' le pone la terminación regular -ed; escribe '{expected}'.",
    },
    "wrong_aux_will_with_to": {
        "en": "After 'will' comes the verb without 'to': '{expected}', not '{written}'.",
        "es": "Después de 'will' va el verbo sin 'to': '{expected}', no '{written}'.",
    },
    "wrong_aux_going_to_missing_ing": {
        "en": "The future with 'going to' is be + going to + verb, with -ing on 'going': "
        "'{expected}', not '{written}'.",
        "es": "El futuro con 'going to' es be + going to + verbo, con -ing en 'going': "
        "'{expected}', no '{written}'.",
    },
    "subject_verb_disagreement": {
        "en": "The verb must agree with its subject '{subject}' ({person_en}): '{expected}', "
        "not '{written}'.",
        "es": "El verbo debe concordar con su sujeto '{subject}' ({person_es}): '{expected}', "
        "no '{written}'.",
    },
    "bare_participle_missing_aux": {
        "en": "'{participle}' is a past participle and cannot follow the subject on its own; the present "
        "perfect is have/has + participle: '{expected}'.",
        "es": "'{participle}' es un participio pasado y no puede ir solo tras el sujeto; el present "
        "perfect es have/has + participio: '{expected}'.",
    },
    "none": {
        "en": "Correct: '{written}' is the {tense_en} of '{verb}' for '{subject}' ({person_en}).",
        "es": "Correcto: '{written}' es el {tense_es} de '{verb}' para '{subject}' ({person_es}).",
    },
}

_DECLINES: Final[Mapping[str, Mapping[str, str]]] = {
    "empty": {
        "en": "There is nothing to check: please type one English sentence.",
        "es": "No hay nada que revisar: escribe una frase en inglés.",
    },
    "too_long": {
        "en": "That is longer than 280 characters; please send one sentence at a time.",
        "es": "El texto pasa de 280 caracteres; envía una frase cada vez.",
    },
    "garbage": {
        "en": "I could not find English words to check in that.",
        "es": "No encuentro palabras en inglés que revisar.",
    },
    "language": {
        "en": "That does not look like English; I only check English sentences.",
        "es": "Eso no parece inglés; solo reviso frases en inglés.",
    },
    "question": {
        "en": "I only check statements for now, not questions.",
        "es": "Por ahora solo reviso afirmaciones, no preguntas.",
    },
    "negation": {
        "en": "I only check affirmative sentences for now, and '{word}' makes this one negative.",
        "es": "Por ahora solo reviso frases afirmativas, y '{word}' hace esta negativa.",
    },
    "plural": {
        "en": "I can only check singular subjects (I, you, he, she, it, or one person or thing), and "
        "'{word}' is plural.",
        "es": "Solo reviso sujetos en singular (I, you, he, she, it, o una persona o cosa), y "
        "'{word}' es plural.",
    },
    "verb": {
        "en": "I can only check the 20 verbs of the course: '{word}' is not one of them.",
        "es": "Solo reviso los 20 verbos del curso: '{word}' no es uno de ellos.",
    },
    "no_verb": {
        "en": "I can only check the 20 verbs of the course, and I found none of them here.",
        "es": "Solo reviso los 20 verbos del curso, y aquí no encuentro ninguno.",
    },
    "continuous": {
        "en": "I do not check the continuous ('{word} ...') yet: only the present and past simple, the "
        "present perfect and the futures with will and going to.",
        "es": "Todavía no reviso el continuo ('{word} ...'): solo el presente y el pasado simple, el "
        "present perfect y los futuros con will y going to.",
    },
    "tense_mismatch": {
        "en": "The time words and the verb '{word}' point to different tenses; I fix conjugations, so I "
        "will not guess which tense you meant.",
        "es": "Las palabras de tiempo y el verbo '{word}' indican tiempos distintos; corrijo "
        "conjugaciones, así que no adivino qué tiempo querías.",
    },
    "unsupported": {
        "en": "'{word}' is a construction I do not check yet, so I will not guess a correction.",
        "es": "'{word}' es una construcción que todavía no reviso, así que no adivino una corrección.",
    },
}


def explain(code: str | None, facts: Mapping[str, str], cite: Mapping[str, str]) -> dict[str, str]:
    """The EN/ES explanation of an in-scope sentence, each ending with the chunk it rests on."""
    key = code or "none"
    out = {}
    for lang in ("en", "es"):
        text = _ERRORS[key][lang].format(**facts)
        if lang in cite:
            label = "see" if lang == "en" else "ver"
            text += f" ({label} {cite[lang]})"
        out[lang] = text
    return out


def decline(reason: str, word: str) -> dict[str, str]:
    """The polite EN/ES refusal for an out-of-scope sentence."""
    templates = _DECLINES.get(reason, _DECLINES["unsupported"])
    return {lang: templates[lang].format(word=word or "?") for lang in ("en", "es")}


def tense_facts(tense: str, person: str) -> dict[str, str]:
    return {
        "tense_en": TENSE_NAMES[tense]["en"] if tense != "past_participle" else "present perfect",
        "tense_es": TENSE_NAMES[tense]["es"] if tense != "past_participle" else "present perfect",
        "person_en": PERSON_NAMES[person]["en"],
        "person_es": PERSON_NAMES[person]["es"],
    }


DECLINE_REASONS: Final = tuple(_DECLINES)
ERROR_CODES: Final = tuple(k for k in _ERRORS if k != "none")

__all__ = ["DECLINE_REASONS", "ERROR_CODES", "decline", "explain", "tense_facts"]
