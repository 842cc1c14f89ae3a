from __future__ import annotations

import json
import random
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lynx_cortex.errors import LynxError
from minitoken import DEFAULT_SPECIALS, BPETokenizer, Vocab
from minitoken.training import count_pairs, pick_winner

TOY = ["I work"] * 2 + ["I worked", "he works", "he worked"]
MIXED = [
    "I work every day",
    "yo trabajo cada día",
    "he worked yesterday",
    "él trabajó ayer",
    "you will study tomorrow",
    "tú estudiarás mañana",
    "she is going to eat",
    "ella va a comer",
    "I have written",
    "he escrito",
] * 3


TRAINED_WITH_SPECIALS = BPETokenizer().train(
    ["<|endoftext|>he works<|sep|>he works<|endoftext|>", *MIXED], 320
)


def toy_tokenizer(n_merges: int, algorithm: str = "fast") -> BPETokenizer:
    return BPETokenizer(()).train(TOY, 256 + n_merges, special_tokens=(), algorithm=algorithm)  # type: ignore[arg-type]


def shown(t: BPETokenizer) -> list[tuple[bytes, bytes]]:
    return [(t.token_bytes(a), t.token_bytes(b)) for a, b in t.merges]


def test_toy_trace_recomputed_by_hand() -> None:
    # Words: "I"x3, " work"x2, " worked"x2, "he"x2, " works"x1. Step 1: ( ,w) (w,o) (o,r) (r,k) all count 5;
    # the smallest pair of ids is (0x20, 0x77). Step 2: (" w",o), (o,r), (r,k) tie at 5; (0x6f, 0x72) is the
    # smallest pair of ids (" w" has id 256). Steps 3-4 finish " work"; then (e,d), (h,e), (" work","ed") tie at 2.
    assert shown(toy_tokenizer(8)) == [
        (b" ", b"w"),
        (b"o", b"r"),
        (b" w", b"or"),
        (b" wor", b"k"),
        (b"e", b"d"),
        (b"h", b"e"),
        (b" work", b"ed"),
        (b" work", b"s"),
    ]


def test_tie_break_prefers_smallest_pair_of_ids() -> None:
    counts = {(9, 3): 4, (5, 7): 4, (5, 6): 4, (1, 2): 3}
    assert pick_winner(counts) == (5, 6)
    assert pick_winner(dict(reversed(list(counts.items())))) == (5, 6)


def test_pair_counting_weights_words() -> None:
    assert count_pairs({(1, 2, 1, 2): 3, (2, 1): 1}) == {(1, 2): 6, (2, 1): 4}


@pytest.mark.parametrize("corpus", [TOY, MIXED])
def test_fast_and_naive_trainers_agree(corpus: list[str]) -> None:
    fast = BPETokenizer().train(corpus, 340)
    naive = BPETokenizer().train(corpus, 340, algorithm="naive")
    assert fast.merges == naive.merges


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.text(alphabet="abcñé ád\n", min_size=1, max_size=30), min_size=1, max_size=25),
    st.integers(1, 60),
)
def test_fast_and_naive_agree_on_random_text(corpus: list[str], merges: int) -> None:
    size = len(DEFAULT_SPECIALS) + 256 + merges
    assert (
        BPETokenizer().train(corpus, size).merges
        == BPETokenizer().train(corpus, size, algorithm="naive").merges
    )


def test_fast_and_naive_agree_on_overlapping_runs() -> None:
    corpus = ["aaaa aaa aa", "abababab", "aaab baaa"]
    fast = BPETokenizer().train(corpus, 280)
    assert fast.merges == BPETokenizer().train(corpus, 280, algorithm="naive").merges
    assert fast.encode("aaaaa baaa") == fast.encode_naive("aaaaa baaa")


def test_vocab_size_is_reached_exactly() -> None:
    t = BPETokenizer().train(MIXED, 300)
    assert t.vocab_size == 300 == len(t.vocab)
    assert len(t.merges) == 300 - 4 - 256


def test_training_stops_when_no_pairs_are_left() -> None:
    t = BPETokenizer().train(["ab"], 400)
    assert t.vocab_size == 4 + 256 + 1


def test_vocab_size_floor() -> None:
    with pytest.raises(ValueError, match="at least 260"):
        BPETokenizer().train(MIXED, 259)


def test_training_is_deterministic() -> None:
    a = BPETokenizer().train(MIXED, 320)
    b = BPETokenizer().train(list(MIXED), 320)
    assert a.merges == b.merges and a.vocab == b.vocab


@pytest.mark.parametrize(
    "text",
    [
        "",
        "a",
        "I work",
        "he worked yesterday.",
        "  two  spaces ",
        "tabs\tand\nnewlines\r\n",
        "it's",
        "x=1+2",
        "mañana",
        "¿cómo estás?",
        "🦊",
        "e\u0301",
        "NFD: " + unicodedata.normalize("NFD", "canción"),
        "\ufeffBOM",
        "\x00\x7f",
        "日本語のテキスト",
        "👩‍👩‍👧‍👦 family",
        "I work" * 50,
    ],
)
def test_round_trip_examples(text: str) -> None:
    t = BPETokenizer().train(MIXED, 330)
    assert t.decode(t.encode(text)) == text
    assert t.encode(text) == t.encode_naive(text)


TRAINED = BPETokenizer().train(MIXED, 330)


@settings(max_examples=1000, deadline=None)
@given(st.text())
def test_round_trip_property(text: str) -> None:
    ids = TRAINED.encode(text)
    assert TRAINED.decode(ids) == text
    assert all(0 <= i < TRAINED.vocab_size for i in ids)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8")))
def test_fast_encoder_equals_naive(text: str) -> None:
    assert TRAINED.encode(text) == TRAINED.encode_naive(text)


def test_bytes_of_multibyte_characters() -> None:
    t = BPETokenizer(())
    assert t.encode("mañana") == [ord("m"), ord("a"), 0xC3, 0xB1, ord("a"), ord("n"), ord("a")]
    assert t.encode("🦊") == [0xF0, 0x9F, 0xA6, 0x8A]
    assert len(BPETokenizer().encode("a")) == 1
    assert BPETokenizer().encode("") == [] and BPETokenizer().decode([]) == ""


def test_special_tokens_are_atomic_when_allowed() -> None:
    corpus = ["<|endoftext|>he works<|sep|>he works<|endoftext|>"] * 5
    t = BPETokenizer().train(corpus, 300)
    assert all(b"<|" not in t.token_bytes(i) for i in range(4, t.vocab_size))
    framed = "<|endoftext|>he work <|sep|> he works<|endoftext|>"
    ids = t.encode(framed, allowed_special="all")
    assert ids[0] == 1 and ids[-1] == 1 and 3 in ids
    assert t.decode(ids) == framed
    assert t.encode_naive(framed, allowed_special="all") == ids
    assert t.encode("<|endoftext", allowed_special="all") != [1]  # a partial special is plain text


def test_user_text_never_becomes_a_special_token_by_default() -> None:
    # The example: today's special id 3 must not come out of a user's sentence.
    t = BPETokenizer().train(MIXED, 300)
    text = "he goed <|sep|> home"
    ids = t.encode(text)
    assert min(ids) >= len(DEFAULT_SPECIALS)
    assert t.decode(ids) == text and t.encode_naive(text) == ids
    # The special's text costs exactly the bytes-level tokens of "<|sep|>" inside the sentence.
    assert t.encode(text, allowed_special="all") == t.encode("he goed ") + [3] + t.encode(" home")


def test_allowed_special_can_name_a_subset() -> None:
    t = BPETokenizer().train(MIXED, 300)
    ids = t.encode("<|endoftext|>a<|sep|>", allowed_special={"<|sep|>"})
    assert ids[-1] == 3 and 1 not in ids
    assert t.decode(ids) == "<|endoftext|>a<|sep|>"
    with pytest.raises(ValueError, match="not special tokens"):
        t.encode("x", allowed_special={"<|nope|>"})
    with pytest.raises(ValueError, match="not the string"):
        t.encode("x", allowed_special="<|sep|>")  # type: ignore[arg-type]


_SPECIAL_TEXT = st.sampled_from(DEFAULT_SPECIALS)
_USER_TEXT = st.lists(st.one_of(st.text(max_size=12), _SPECIAL_TEXT), max_size=8).map("".join)


@settings(max_examples=300, deadline=None)
@given(_USER_TEXT)
def test_property_user_strings_never_produce_special_ids(text: str) -> None:
    # Any mix of ordinary text and the exact text of every special token (and pieces of them glued to it).
    t = TRAINED_WITH_SPECIALS
    ids = t.encode(text)
    assert all(i >= len(DEFAULT_SPECIALS) for i in ids)
    assert t.decode(ids) == text


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="abc ñé<|>", max_size=10), min_size=1, max_size=4))
def test_property_framing_opted_in_still_produces_specials(parts: list[str]) -> None:
    # What framing code does: join fields with specials and opt in; every special shows up as its id.
    t = TRAINED_WITH_SPECIALS
    framed = "<|endoftext|>" + "<|sep|>".join(parts) + "<|endoftext|>"
    ids = t.encode(framed, allowed_special="all")
    assert ids[0] == 1 and ids[-1] == 1
    assert ids.count(3) >= len(parts) - 1
    assert t.decode(ids) == framed


def test_decode_rejects_bad_ids() -> None:
    t = BPETokenizer()
    with pytest.raises(ValueError, match="99999 at position 1 is outside 0..259"):
        t.decode([5, 99999])
    with pytest.raises(ValueError, match="-1"):
        t.decode([-1])


def test_lone_surrogates_are_refused() -> None:
    with pytest.raises(ValueError, match="lone surrogate at index 1"):
        BPETokenizer().encode("a\ud800")


def test_hand_made_invalid_utf8_decodes_with_replacement() -> None:
    t = BPETokenizer(())
    assert t.decode([0xFF, ord("a")]) == "\ufffda"


def test_save_load_round_trip(tmp_path: Path) -> None:
    t = BPETokenizer().train(MIXED + ["\xff\xfe"], 330)
    loaded = BPETokenizer.load(t.save(tmp_path / "tok"))
    assert loaded.vocab == t.vocab and loaded.merges == t.merges
    assert loaded.special_tokens == t.special_tokens
    for text in MIXED:
        assert loaded.encode(text) == t.encode(text)
    merges = (tmp_path / "tok" / "merges.txt").read_text().splitlines()
    assert merges[0].startswith("#") and all(len(line.split("\t")) == 2 for line in merges[1:])
    config = json.loads((tmp_path / "tok" / "config.json").read_text())
    assert config["vocab_size"] == 330 and config["special_tokens"] == list(DEFAULT_SPECIALS)


def test_load_names_a_merges_file_that_is_not_utf8_or_not_merges(tmp_path: Path) -> None:
    directory = BPETokenizer().train(MIXED, 300).save(tmp_path / "tok")
    merges = directory / "merges.txt"
    merges.write_bytes(merges.read_bytes() + b"\xff\xfe\n")
    with pytest.raises(LynxError, match=r"merges.txt: not UTF-8 text \(byte \d+ is 0xff\)"):
        BPETokenizer.load(directory)
    merges.write_text("")
    with pytest.raises(LynxError, match=r"merges.txt:1: not a minitoken merges file"):
        BPETokenizer.load(directory)
    (directory / "config.json").write_text(
        '{"special_tokens": ["a", "a"], "vocab_size": 1, "version": 1}'
    )
    with pytest.raises(LynxError, match=r"config.json: special tokens must be distinct"):
        BPETokenizer.load(directory)
    (directory / "config.json").write_text("[1, 2]")
    with pytest.raises(LynxError, match=r"config.json: not a minitoken config"):
        BPETokenizer.load(directory)


def test_load_reports_damage(tmp_path: Path) -> None:
    directory = BPETokenizer().train(MIXED, 300).save(tmp_path / "tok")
    merges = directory / "merges.txt"
    lines = merges.read_text().splitlines()
    merges.write_text("\n".join([*lines[:3], "zz\t61", *lines[3:]]) + "\n")
    with pytest.raises(LynxError, match=r"merges.txt:4: not a merge"):
        BPETokenizer.load(directory)
    with pytest.raises(LynxError, match="tokenizer file not found"):
        BPETokenizer.load(tmp_path / "missing")


def test_vocab_display_and_file(tmp_path: Path) -> None:
    t = BPETokenizer().train(MIXED, 330)
    vocab = t.vocab
    assert vocab.display(1) == "<|endoftext|>"
    assert vocab.display(4 + 0x20) == "␣" and vocab.display(4 + 0xC3) == "\\xc3"
    assert Vocab.load(vocab.save(tmp_path / "vocab.json")) == vocab
    assert vocab.bytes_to_id[b" work"] in range(260, 330)


def test_random_corpus_training_is_reproducible() -> None:
    rng = random.Random(3)
    corpus = ["".join(rng.choice("abc déñ") for _ in range(rng.randint(1, 40))) for _ in range(200)]
    a = BPETokenizer().train(corpus, 400)
    assert a.merges == BPETokenizer().train(corpus, 400, algorithm="naive").merges


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_pretokenizer_covers_every_character(text: str) -> None:
    from minitoken.pretokenize import words

    assert "".join(words(text)) == text
