"""Break 11: train the tokenizer on the English half only. It still has 512 tokens and still encodes anything,
but Spanish now falls apart into bytes: tokens per Spanish word jump (about 1.9×) while English, which now
owns every merge, gets only a little cheaper."""

from __future__ import annotations

from lynx_cortex.registry import BreakOutcome, LabContext, breaks
from minitoken.bpe import BPETokenizer
from minitoken.labs.measures import tokens_per_word
from minitoken.labs.textsource import corpus_lines

#: Spanish must cost at least this much more per word in the broken run for the symptom to count.
SYMPTOM_RATIO = 1.25


def _measure(
    training: list[str], english: list[str], spanish: list[str], size: int
) -> dict[str, float]:
    tokenizer = BPETokenizer().train(training, size)
    en, es = tokens_per_word(tokenizer, english), tokens_per_word(tokenizer, spanish)
    return {
        "en_tokens_per_word": round(en, 4),
        "es_tokens_per_word": round(es, 4),
        "es_over_en": round(es / en, 4),
    }


@breaks(
    11,
    title="BPE trained on the English half only",
    change="train the tokenizer on `text` only, not `spanish`",
)
def english_only(ctx: LabContext) -> BreakOutcome:
    size = int(ctx.config.setdefault("vocab_size", 512))
    english, spanish = corpus_lines(("en",)), corpus_lines(("es",))
    healthy = _measure(english + spanish, english, spanish, size)
    broken = _measure(english, english, spanish, size)
    jump = broken["es_tokens_per_word"] / healthy["es_tokens_per_word"]
    detected = jump >= SYMPTOM_RATIO
    return BreakOutcome(
        healthy=healthy,
        broken=broken,
        symptom=f"Spanish costs {jump:.2f}x more tokens per word when the tokenizer never saw Spanish "
        f"(ES/EN {healthy['es_over_en']:.2f} -> {broken['es_over_en']:.2f})",
        detected=detected,
    )
