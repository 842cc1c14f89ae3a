from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from minirag.chunk import Chunk, pack, rule_id_of, sentences
from minirag.text import analyze, stem, tokenize


def words(text: str) -> int:
    return len(text.split())


def test_tokenize_keeps_accents_and_lowercases() -> None:
    assert tokenize("ÉL trabajó, ¿y tú?") == ["él", "trabajó", "y", "tú"]


def test_stemmer_joins_inflections() -> None:
    assert stem("studies") == stem("studied") == "study"
    assert stem("watches") == stem("watched") == "watch"
    assert stem("is") == "is" and stem("went") == "went"  # too short / not a suffix
    assert analyze("Studies STUDIED", stemming=True) == ["study", "study"]


def test_sentences_split_on_terminal_punctuation() -> None:
    assert sentences("One two.  Three?\nFour five! Six") == [
        "One two.",
        "Three?",
        "Four five!",
        "Six",
    ]


def test_pack_respects_budget_and_overlaps_by_hand() -> None:
    units = ["a b c.", "d e.", "f g h.", "i."]  # 3, 2, 3, 1 words
    # budget 5: [a b c. d e.] then carry "d e." (2 <= overlap 2) + "f g h." = 5, then "i." overflows:
    # carry "f g h."? 3 > overlap 2, so nothing is carried.
    assert pack(units, budget=5, overlap=2, count=words) == ["a b c. d e.", "d e. f g h.", "i."]
    assert pack(units, budget=5, overlap=0, count=words) == ["a b c. d e.", "f g h. i."]


def test_pack_cuts_an_oversized_sentence_on_whitespace() -> None:
    assert pack(["a b c d e f g."], budget=3, overlap=0, count=words) == ["a b c", "d e f", "g."]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 7), min_size=1, max_size=12), st.integers(2, 12), st.data())
def test_pack_properties(lengths: list[int], budget: int, data: st.DataObject) -> None:
    """Every chunk fits; removing each chunk's overlap with the text so far gives back the input exactly."""
    overlap = data.draw(st.integers(0, budget - 1))
    counter = iter(range(10_000))
    texts = [" ".join(f"w{next(counter)}" for _ in range(n)) + "." for n in lengths]  # unique words
    chunks = pack(texts, budget=budget, overlap=overlap, count=words)
    assert all(words(c) <= budget for c in chunks)
    seen: list[str] = []
    for c in chunks:
        ws = c.split()
        shared = seen.index(ws[0]) if ws[0] in seen else len(seen)
        carried = seen[shared:]
        assert ws[: len(carried)] == carried and len(" ".join(carried).split()) <= overlap
        seen.extend(ws[len(carried) :])
    assert seen == " ".join(texts).split()


def test_chunk_ids_name_their_rule(chunks: list[Chunk]) -> None:
    assert len({c.chunk_id for c in chunks}) == len(chunks)
    for c in chunks:
        assert rule_id_of(c.chunk_id) == c.rule_id
        assert c.chunk_id.startswith(f"{c.rule_id}.{c.lang}#")
        assert c.title in c.indexed_text and c.text in c.indexed_text


def test_stopwords_drop_question_words_but_keep_grammar_words() -> None:
    assert analyze("How do I form the present perfect?", stopwords=True) == [
        "do",
        "form",
        "present",
        "perfect",
    ]
    assert analyze("¿Cómo se forma el futuro con will?", stopwords=True) == [
        "forma",
        "futuro",
        "will",
    ]
    assert {"to", "have", "has", "will", "does"} <= set(
        analyze("to have has will does", stopwords=True)
    )


def test_markdown_lists_and_paragraphs_are_sentence_boundaries() -> None:
    body = "Eat is irregular:\n\neat → **ate** → **eaten**\n\n- one item\n- two. three\nstill three"
    assert sentences(body) == [
        "Eat is irregular:",
        "eat → **ate** → **eaten**",
        "- one item",
        "- two.",
        "three still three",
    ]
