"""The tutor's question asked by sampling: framed prompts in, several decoded continuations out.

Every sampling experiment of phases 20-21 (pass@k in `lynx eval`, the temperature and top-k/top-p sweeps, the
top-p break) asks the same thing: continue `<|endoftext|>{sentence}<|sep|>` a few times and read what came
back. They share this one loop so that they share its seeding: sample `s` of sentence `r` is drawn from seed
`seed + 1000 r + s`, so two strategies compared on the same sentences see the same random numbers and any
difference between them is the strategy's.
"""

from __future__ import annotations

from collections.abc import Sequence

from lynx_cortex.progress import track
from minicorpus.framing import BOS, SEP
from miniinfer.generate import LanguageModel, generate
from miniinfer.sampling import Strategy
from minitoken.bpe import BPETokenizer


def prompt_ids(tokenizer: BPETokenizer, sentence: str) -> list[int]:
    """`minicorpus.framing.prompt(sentence)` as ids, with the sentence itself encoded as plain text.

    Only the frame's own markers become control tokens, so a `<|sep|>` typed into a learner's sentence stays
    seven characters; for any other sentence the ids equal `encode(prompt(sentence), allowed_special="all")`.
    """
    return [
        *tokenizer.encode(BOS, allowed_special={BOS}),
        *tokenizer.encode(sentence),
        *tokenizer.encode(SEP, allowed_special={SEP}),
    ]


def sample_continuations(
    model: LanguageModel,
    tokenizer: BPETokenizer,
    sentences: Sequence[str],
    *,
    strategy: Strategy,
    samples: int,
    max_new_tokens: int,
    seed: int,
    stop_at: Sequence[str] = (SEP, BOS),
) -> list[list[str]]:
    """`samples` decoded continuations of `prompt(sentence)` per sentence (the stop marker included).

    Generation stops at the first token of `stop_at` (by default the separator that closes the correction,
    or the end of the sequence); use `minicorpus.framing.correction_of` to read the correction.
    """
    if samples < 1:
        raise ValueError(f"samples must be >= 1, got {samples}")
    stops = [i for marker in stop_at for i in tokenizer.encode(marker, allowed_special="all")]
    out: list[list[str]] = []
    for r, sentence in enumerate(track(sentences, desc="sampling")):
        ids = prompt_ids(tokenizer, sentence)
        texts = []
        for s in range(samples):
            new = generate(
                model,
                ids,
                max_new_tokens=max_new_tokens,
                strategy=strategy,
                seed=seed + 1000 * r + s,
                cache=True,
                stop_ids=stops,
            )
            texts.append(tokenizer.decode(new))
        out.append(texts)
    return out


__all__ = ["prompt_ids", "sample_continuations"]
