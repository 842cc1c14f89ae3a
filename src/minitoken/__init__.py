"""Phase 11: a byte-level BPE tokenizer in pure Python, trained on the bilingual verb corpus.

`BPETokenizer` trains (incrementally), encodes (with merge ranks and a word cache), decodes and saves to
human-readable files; `Vocab` shows what each id stands for.
"""

from minitoken.bpe import DEFAULT_SPECIALS, BPETokenizer
from minitoken.vocab import Vocab

__all__ = ["DEFAULT_SPECIALS", "BPETokenizer", "Vocab"]
