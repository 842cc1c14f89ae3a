"""Full Spanish sentences for the tutor set: the translation of a framed English sentence.

The v1 table pairs *forms* (`he went` ↔ `él fue`); a sentence needs three more decisions, all made here and
nowhere else:

- **ser or estar.** English `be` is one verb; Spanish picks `estar` for where someone is and how they are now
  (at home, tired) and `ser` for what they are (a doctor, tall, from Spain). The complement decides.
- **Imperfect for states.** A past state reads as the imperfect: "I wanted a coffee" → "Yo quería un café",
  "she was tired" → "ella estaba cansada". The verbs are want, like, be and have (possession); a one-off
  experience of `like` ("I liked the film") stays in the preterite ("me gustó la película"). The v1 form table
  is untouched: there the preterite is the form being taught.
- **gustar inverts.** The liker becomes an indirect object and the verb agrees with the thing liked:
  "Maria likes music" → "A Maria le gusta la música", "I like the film" → "Me gusta la película".

Adjectives and professions agree with the subject's gender; names stay as they are; `it` is dropped.
"""

from __future__ import annotations

import unicodedata
from types import MappingProxyType
from typing import Final

from minicorpus.conjugate import spanish_form
from minicorpus.frames import (
    SPANISH_ADVERBS,
    SPANISH_SUBJECT_PRONOUNS,
    Complement,
    Frame,
    complement,
    subject_gender,
)
from minicorpus.verb_table import (
    SPANISH_CLITICS,
    SPANISH_HABER,
    VERB_TABLE,
    Person,
    Tense,
    VerbEntry,
)

#: `estar`, the second Spanish `be`; it is not one of the 20 verbs, so it lives here rather than in the table.
ESTAR: Final = VerbEntry(
    "be",
    "estar",
    "irregular",
    "irregular",
    spanish_irregular_forms=MappingProxyType(
        {
            ("present_simple", "1sg"): "estoy",
            ("present_simple", "2sg"): "estás",
            ("present_simple", "3sg"): "está",
            ("past_simple", "1sg"): "estuve",
            ("past_simple", "2sg"): "estuviste",
            ("past_simple", "3sg"): "estuvo",
        }
    ),
)
#: Verbs whose English past simple is a state, rendered with the Spanish imperfect.
STATIVE_VERBS: Final = frozenset({"want", "like", "be", "have"})
_IMPERFECT_ENDINGS: Final = {
    "ar": {"1sg": "aba", "2sg": "abas", "3sg": "aba"},
    "er": {"1sg": "ía", "2sg": "ías", "3sg": "ía"},
    "ir": {"1sg": "ía", "2sg": "ías", "3sg": "ía"},
}
_SER_IMPERFECT: Final = {"1sg": "era", "2sg": "eras", "3sg": "era"}


def imperfect(lemma: str, person: Person) -> str:
    """The Spanish imperfect (quería, estaba, tenía, gustaba); `ser` is its one irregular verb here."""
    if lemma == "ser":
        return _SER_IMPERFECT[person]
    return lemma[:-2] + _IMPERFECT_ENDINGS[lemma[-2:]][person]


def spanish_entry(verb: str, item: Complement) -> VerbEntry:
    """The Spanish verb of `verb` with this complement: the table's, or `estar` for a be-of-state."""
    return ESTAR if verb == "be" and item.copula == "estar" else VERB_TABLE[verb]


def uses_imperfect(verb: str, item: Complement) -> bool:
    return verb in STATIVE_VERBS and not item.event


def spanish_verb_group(verb: str, tense: Tense, person: Person, item: Complement) -> str:
    """The Spanish verb group without its subject: `fue`, `estaba`, `ha comido`, `va a ser`."""
    entry = spanish_entry(verb, item)
    agree: Person = "3sg" if entry.spanish_inverted else person
    if tense == "past_simple" and uses_imperfect(verb, item):
        return imperfect(entry.spanish_lemma, agree)
    if tense == "past_participle":
        return f"{SPANISH_HABER[agree]} {spanish_form(entry, 'past_participle', None)}"
    if tense == "infinitive":
        raise ValueError("the infinitive has no sentence frame")
    return spanish_form(entry, tense, agree)


def _subject_words(verb: str, person: Person, subject: str) -> list[str]:
    """`yo`, `ella`, `Maria`, nothing for `it`; for gustar the clitic, after `a X` in the third person."""
    spanish = SPANISH_SUBJECT_PRONOUNS.get(subject, subject)
    if not VERB_TABLE[verb].spanish_inverted:
        return [spanish] if spanish else []
    clitic = SPANISH_CLITICS[person]
    return [f"a {spanish}", clitic] if person == "3sg" and spanish else [clitic]


def spanish_sentence(verb: str, tense: Tense, person: Person, frame: Frame) -> str:
    """The translation of a framed sentence; an erroneous sentence shares its correct sentence's Spanish."""
    item = complement(verb, frame.complement)
    words = _subject_words(verb, person, frame.subject)
    words.append(spanish_verb_group(verb, tense, person, item))
    if item.spanish:
        words.append(item.spanish_for(subject_gender(frame.subject)))
    if frame.position != "none":
        adverb = SPANISH_ADVERBS[frame.adverb]
        if frame.position == "initial":
            words.insert(0, adverb)
        else:
            words.append(adverb)
    sentence = " ".join(words)
    return unicodedata.normalize("NFC", sentence[0].upper() + sentence[1:] + ".")
