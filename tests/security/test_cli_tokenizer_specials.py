"""A user cannot forge a control token by typing its text: the shipped tokenizer, `lynx tokenizer encode` and
the prompt `lynx sample` builds all keep special-token text in user strings as plain bytes."""

from __future__ import annotations

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from lynx_cortex.cli import cli
from minicorpus.framing import BOS, SEP, prompt
from miniinfer.prompting import prompt_ids
from minitoken import DEFAULT_SPECIALS
from minitoken.shipped import load_shipped

SHIPPED = load_shipped()
N_SPECIALS = len(DEFAULT_SPECIALS)
USER_TEXT = st.lists(
    st.one_of(st.text(max_size=10), st.sampled_from(DEFAULT_SPECIALS)), max_size=6
).map("".join)


def test_the_issues_example_yields_no_special_id() -> None:
    ids = SHIPPED.encode("he goed <|sep|> home")
    assert 3 not in ids and min(ids) >= N_SPECIALS
    assert SHIPPED.decode(ids) == "he goed <|sep|> home"


def test_lynx_tokenizer_encode_keeps_specials_plain_unless_asked() -> None:
    plain = CliRunner().invoke(cli, ["tokenizer", "encode", "he goed <|sep|> home"])
    assert plain.exit_code == 0, plain.output
    ids = [int(x) for x in plain.stdout.split()]
    assert ids == SHIPPED.encode("he goed <|sep|> home") and min(ids) >= N_SPECIALS
    framed = CliRunner().invoke(cli, ["tokenizer", "encode", "--allow-special", "a<|sep|>b"])
    assert [int(x) for x in framed.stdout.split()] == SHIPPED.encode("a") + [3] + SHIPPED.encode(
        "b"
    )


@settings(max_examples=200, deadline=None)
@given(USER_TEXT)
def test_property_sample_prompt_has_specials_only_in_the_frame(text: str) -> None:
    ids = prompt_ids(SHIPPED, text)
    bos, sep = DEFAULT_SPECIALS.index(BOS), DEFAULT_SPECIALS.index(SEP)
    assert ids[0] == bos and ids[-1] == sep
    assert all(i >= N_SPECIALS for i in ids[1:-1])
    assert SHIPPED.decode(ids) == prompt(text)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="abcdefghij klmnño,.'", max_size=30))
def test_property_sample_prompt_equals_the_opted_in_frame_for_ordinary_text(text: str) -> None:
    # Without special-token text in the sentence, nothing changed for the model: the same ids as training saw.
    assert prompt_ids(SHIPPED, text) == SHIPPED.encode(prompt(text), allowed_special="all")
