"""The English and Spanish tables, checked form by form against values written out by hand."""

from __future__ import annotations

import unicodedata

import pytest

from minicorpus.conjugate import (
    conjugate_english,
    conjugate_spanish,
    english_present_perfect,
    regular_past,
    resolve_tense,
    spanish_present_perfect,
    third_person_s,
)
from minicorpus.verb_table import PERSONS, TENSES, VERB_TABLE, VERBS

# verb: (present I/you/he, past I/you/he, participle) — written by hand, not computed.
ENGLISH = {
    "work": (("work", "work", "works"), ("worked",) * 3, "worked"),
    "play": (("play", "play", "plays"), ("played",) * 3, "played"),
    "walk": (("walk", "walk", "walks"), ("walked",) * 3, "walked"),
    "talk": (("talk", "talk", "talks"), ("talked",) * 3, "talked"),
    "listen": (("listen", "listen", "listens"), ("listened",) * 3, "listened"),
    "watch": (("watch", "watch", "watches"), ("watched",) * 3, "watched"),
    "study": (("study", "study", "studies"), ("studied",) * 3, "studied"),
    "finish": (("finish", "finish", "finishes"), ("finished",) * 3, "finished"),
    "start": (("start", "start", "starts"), ("started",) * 3, "started"),
    "look": (("look", "look", "looks"), ("looked",) * 3, "looked"),
    "want": (("want", "want", "wants"), ("wanted",) * 3, "wanted"),
    "like": (("like", "like", "likes"), ("liked",) * 3, "liked"),
    "be": (("am", "are", "is"), ("was", "were", "was"), "been"),
    "have": (("have", "have", "has"), ("had",) * 3, "had"),
    "do": (("do", "do", "does"), ("did",) * 3, "done"),
    "go": (("go", "go", "goes"), ("went",) * 3, "gone"),
    "come": (("come", "come", "comes"), ("came",) * 3, "come"),
    "see": (("see", "see", "sees"), ("saw",) * 3, "seen"),
    "eat": (("eat", "eat", "eats"), ("ate",) * 3, "eaten"),
    "write": (("write", "write", "writes"), ("wrote",) * 3, "written"),
}

# verb: (present yo/tú/él, preterite, future, participle) — bare verb forms, written by hand.
SPANISH = {
    "work": (
        ("trabajo", "trabajas", "trabaja"),
        ("trabajé", "trabajaste", "trabajó"),
        ("trabajaré", "trabajarás", "trabajará"),
        "trabajado",
    ),
    "play": (
        ("juego", "juegas", "juega"),
        ("jugué", "jugaste", "jugó"),
        ("jugaré", "jugarás", "jugará"),
        "jugado",
    ),
    "walk": (
        ("camino", "caminas", "camina"),
        ("caminé", "caminaste", "caminó"),
        ("caminaré", "caminarás", "caminará"),
        "caminado",
    ),
    "talk": (
        ("hablo", "hablas", "habla"),
        ("hablé", "hablaste", "habló"),
        ("hablaré", "hablarás", "hablará"),
        "hablado",
    ),
    "listen": (
        ("escucho", "escuchas", "escucha"),
        ("escuché", "escuchaste", "escuchó"),
        ("escucharé", "escucharás", "escuchará"),
        "escuchado",
    ),
    "watch": (
        ("miro", "miras", "mira"),
        ("miré", "miraste", "miró"),
        ("miraré", "mirarás", "mirará"),
        "mirado",
    ),
    "study": (
        ("estudio", "estudias", "estudia"),
        ("estudié", "estudiaste", "estudió"),
        ("estudiaré", "estudiarás", "estudiará"),
        "estudiado",
    ),
    "finish": (
        ("termino", "terminas", "termina"),
        ("terminé", "terminaste", "terminó"),
        ("terminaré", "terminarás", "terminará"),
        "terminado",
    ),
    "start": (
        ("empiezo", "empiezas", "empieza"),
        ("empecé", "empezaste", "empezó"),
        ("empezaré", "empezarás", "empezará"),
        "empezado",
    ),
    "look": (
        ("miro", "miras", "mira"),
        ("miré", "miraste", "miró"),
        ("miraré", "mirarás", "mirará"),
        "mirado",
    ),
    "want": (
        ("quiero", "quieres", "quiere"),
        ("quise", "quisiste", "quiso"),
        ("querré", "querrás", "querrá"),
        "querido",
    ),
    "be": (("soy", "eres", "es"), ("fui", "fuiste", "fue"), ("seré", "serás", "será"), "sido"),
    "have": (
        ("tengo", "tienes", "tiene"),
        ("tuve", "tuviste", "tuvo"),
        ("tendré", "tendrás", "tendrá"),
        "tenido",
    ),
    "do": (
        ("hago", "haces", "hace"),
        ("hice", "hiciste", "hizo"),
        ("haré", "harás", "hará"),
        "hecho",
    ),
    "go": (("voy", "vas", "va"), ("fui", "fuiste", "fue"), ("iré", "irás", "irá"), "ido"),
    "come": (
        ("vengo", "vienes", "viene"),
        ("vine", "viniste", "vino"),
        ("vendré", "vendrás", "vendrá"),
        "venido",
    ),
    "see": (("veo", "ves", "ve"), ("vi", "viste", "vio"), ("veré", "verás", "verá"), "visto"),
    "eat": (
        ("como", "comes", "come"),
        ("comí", "comiste", "comió"),
        ("comeré", "comerás", "comerá"),
        "comido",
    ),
    "write": (
        ("escribo", "escribes", "escribe"),
        ("escribí", "escribiste", "escribió"),
        ("escribiré", "escribirás", "escribirá"),
        "escrito",
    ),
}
EN_PRONOUN = {"1sg": "I", "2sg": "you", "3sg": "he"}
ES_PRONOUN = {"1sg": "yo", "2sg": "tú", "3sg": "él"}
BE = {"1sg": "am", "2sg": "are", "3sg": "is"}
IR = {"1sg": "voy", "2sg": "vas", "3sg": "va"}


def test_table_shape() -> None:
    assert len(VERBS) == 20
    assert [v for v in VERBS if VERB_TABLE[v].english_regularity == "regular"] == list(VERBS[:12])
    assert set(ENGLISH) == set(VERBS)
    assert set(SPANISH) == set(VERBS) - {"like"}


@pytest.mark.parametrize("verb", VERBS)
def test_english_every_cell(verb: str) -> None:
    present, past, participle = ENGLISH[verb]
    for i, person in enumerate(PERSONS):
        who = EN_PRONOUN[person]
        assert conjugate_english(verb, "present_simple", person) == f"{who} {present[i]}"
        assert conjugate_english(verb, "past_simple", person) == f"{who} {past[i]}"
        assert conjugate_english(verb, "future_will", person) == f"{who} will {verb}"
        assert (
            conjugate_english(verb, "future_going_to", person)
            == f"{who} {BE[person]} going to {verb}"
        )
        # person-invariant surfaces answer every person with the same bare form
        assert conjugate_english(verb, "infinitive", person) == f"to {verb}"
        assert conjugate_english(verb, "past_participle", person) == participle
    assert conjugate_english(verb, "infinitive", None) == f"to {verb}"
    assert conjugate_english(verb, "past_participle", None) == participle


@pytest.mark.parametrize("verb", sorted(SPANISH))
def test_spanish_every_cell(verb: str) -> None:
    present, preterite, future, participle = SPANISH[verb]
    lemma = VERB_TABLE[verb].spanish_lemma
    for i, person in enumerate(PERSONS):
        who = ES_PRONOUN[person]
        assert conjugate_spanish(verb, "present_simple", person) == f"{who} {present[i]}"
        assert conjugate_spanish(verb, "past_simple", person) == f"{who} {preterite[i]}"
        assert conjugate_spanish(verb, "future_will", person) == f"{who} {future[i]}"
        assert conjugate_spanish(verb, "future_going_to", person) == f"{who} {IR[person]} a {lemma}"
    assert conjugate_spanish(verb, "infinitive", None) == lemma
    assert conjugate_spanish(verb, "past_participle", None) == participle


def test_gustar_is_inverted() -> None:
    assert conjugate_english("like", "present_simple", "1sg") == "I like"
    assert conjugate_spanish("like", "present_simple", "1sg") == "me gusta"
    assert conjugate_spanish("like", "present_simple", "2sg") == "te gusta"
    assert conjugate_spanish("like", "past_simple", "3sg") == "le gustó"
    assert conjugate_spanish("like", "future_will", "1sg") == "me gustará"
    assert conjugate_spanish("like", "future_going_to", "2sg") == "te va a gustar"
    assert conjugate_spanish("like", "infinitive", None) == "gustar"
    assert conjugate_spanish("like", "past_participle", None) == "gustado"
    assert spanish_present_perfect("like", "1sg") == "me ha gustado"


def test_stem_changes_named_in_the_issue() -> None:
    firsts = {
        v: conjugate_spanish(v, "present_simple", "1sg")
        for v in ("want", "start", "play", "have", "come")
    }
    assert firsts == {
        "want": "yo quiero",
        "start": "yo empiezo",
        "play": "yo juego",
        "have": "yo tengo",
        "come": "yo vengo",
    }


@pytest.mark.parametrize(
    ("lemma", "third", "past"),
    [
        ("work", "works", "worked"),
        ("watch", "watches", "watched"),
        ("finish", "finishes", "finished"),
        ("go", "goes", "goed"),
        ("fix", "fixes", "fixed"),
        ("buzz", "buzzes", "buzzed"),
        ("pass", "passes", "passed"),
        ("study", "studies", "studied"),
        ("play", "plays", "played"),
        ("like", "likes", "liked"),
        ("see", "sees", "seed"),
    ],
)
def test_spelling_rules(lemma: str, third: str, past: str) -> None:
    assert third_person_s(lemma) == third
    assert regular_past(lemma) == past


def test_present_perfect() -> None:
    assert english_present_perfect("go", "3sg") == "he has gone"
    assert english_present_perfect("work", "2sg") == "you have worked"
    assert spanish_present_perfect("go", "3sg") == "él ha ido"
    assert spanish_present_perfect("write", "1sg") == "yo he escrito"


def test_future_alias() -> None:
    assert resolve_tense("future") == "future_will"
    assert conjugate_english("go", "future", "1sg") == "I will go"


def test_everything_is_nfc() -> None:
    for verb in VERBS:
        for tense in TENSES:
            for person in PERSONS:
                for form in (
                    conjugate_english(verb, tense, person),
                    conjugate_spanish(verb, tense, person),
                ):
                    assert unicodedata.is_normalized("NFC", form)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("swim", "present_simple", "1sg"), "unknown verb 'swim'"),
        (("work", "pluperfect", "1sg"), "unknown tense 'pluperfect'"),
        (("work", "present_simple", "1pl"), "unknown person '1pl'"),
        (("work", "present_simple", None), "needs a person"),
        (("work", "future_going_to", None), "needs a person"),
    ],
)
def test_bad_input_raises(args: tuple[str, str, str | None], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        conjugate_english(*args)
    with pytest.raises(ValueError, match=message):
        conjugate_spanish(*args)
