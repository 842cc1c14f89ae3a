from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minimodel.ngram import NGramLM

BOS, I_ID, WORK, WALK, WORKED = 0, 1, 2, 3, 4


def test_add_alpha_matches_the_hand_computation() -> None:
    """Context (<bos>, I) seen 20 times, 14 followed by `work`: (14 + 0.01) / (20 + 0.01 * 64)."""
    sequences = [[BOS, I_ID, WORK]] * 14 + [[BOS, I_ID, WALK]] * 3 + [[BOS, I_ID, WORKED]] * 3
    lm = NGramLM(3, vocab_size=64, alpha=0.01).fit(sequences)
    assert lm.prob([BOS, I_ID], WORK) == pytest.approx(14.01 / 20.64)
    assert lm.prob([BOS, I_ID], 40) == pytest.approx(0.01 / 20.64)


def test_unigram_and_padding() -> None:
    lm = NGramLM(1, vocab_size=5, alpha=1.0).fit([[BOS, I_ID, WORK, WORK]])
    # three predicted tokens: I, WORK, WORK; add-one over 5 ids
    assert lm.prob([], WORK) == pytest.approx(3 / 8)
    bigram = NGramLM(2, vocab_size=5, alpha=1.0).fit([[BOS, I_ID]])
    assert bigram.prob([BOS], I_ID) == pytest.approx(
        2 / 6
    )  # first token predicted from a <bos> context


@given(
    st.integers(1, 5),
    st.lists(st.lists(st.integers(0, 7), min_size=2, max_size=12), min_size=1, max_size=8),
)
def test_distribution_sums_to_one_and_matches_prob(n: int, sequences: list[list[int]]) -> None:
    lm = NGramLM(n, vocab_size=8, alpha=0.1).fit(sequences)
    context = sequences[0][: max(0, n - 1)]
    probs = lm.distribution(context)
    assert probs.sum() == pytest.approx(1.0)
    assert all(probs[t] == pytest.approx(lm.prob(context, t)) for t in range(8))


def test_perplexity_of_uniform_model_is_vocab_size() -> None:
    lm = NGramLM(2, vocab_size=10, alpha=0.01)
    assert lm.perplexity([[BOS, 1, 2, 3]]) == pytest.approx(10.0)


def test_perplexity_is_exp_of_mean_nll() -> None:
    data = [[BOS, I_ID, WORK], [BOS, I_ID, WALK]]
    lm = NGramLM(2, vocab_size=6, alpha=0.5).fit(data)
    total, count = lm.nll(data)
    assert count == 4
    manual = -(
        math.log(lm.prob([BOS], I_ID)) * 2
        + math.log(lm.prob([I_ID], WORK))
        + math.log(lm.prob([I_ID], WALK))
    )
    assert total == pytest.approx(manual)
    assert lm.perplexity(data) == pytest.approx(math.exp(manual / 4))
    assert lm.logp_sequence(data[0]) == pytest.approx(-lm.nll([data[0]])[0])


def test_more_context_fits_training_data_better() -> None:
    rng = np.random.default_rng(0)
    data = [[0, *rng.integers(1, 6, size=10).tolist()] for _ in range(50)]
    train_ppl = [NGramLM(n, 6, alpha=0.01).fit(data).perplexity(data) for n in (1, 2, 3)]
    assert train_ppl[0] > train_ppl[1] > train_ppl[2]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": 0, "vocab_size": 5}, "n must be"),
        ({"n": 2, "vocab_size": 0}, "vocab_size"),
        ({"n": 2, "vocab_size": 5, "alpha": 0}, "alpha"),
    ],
)
def test_bad_configuration(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        NGramLM(**kwargs)  # type: ignore[arg-type]


def test_out_of_vocabulary_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="token id 9 is outside the vocabulary 0..4"):
        NGramLM(2, 5).fit([[0, 9]])
    with pytest.raises(ValueError, match="at least one predicted token"):
        NGramLM(2, 5).perplexity([[0]])
