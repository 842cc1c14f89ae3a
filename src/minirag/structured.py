"""Structured retrieval: rank rules by how well their front matter matches the question's facets.

A rule's front matter says which verbs and tenses it covers, and an error rule is named after its error code,
so the question "past of comer" can be matched to `irregular-eat` by meaning even though it shares no word with
it. The ranking is lexicographic, each step a plain IR/grammar reason:

1. facets matched: an error code of the question names the rule, a verb of the question is among the rule's
   verbs, the question's tense is among its tenses (a rule that matches more of the question comes first);
2. specificity: among those, the rule about fewer verbs, then fewer tenses, is the more specific answer
   (`eat → ate → eaten` before the 13-verb future rule);
3. words: BM25 breaks the remaining ties, and picks which chunk of the rule is shown.

Rules that match no facet are left out, so fused with BM25 by RRF this list only promotes; a question with no
facet (a "why" question) leaves BM25's ranking as it was.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from minirag.chunk import Chunk
from minirag.facets import Facets, error_rule_id


class StructuredScorer:
    def __init__(self, chunks: Sequence[Chunk]) -> None:
        self.verbs = [frozenset(c.verbs) for c in chunks]
        self.tenses = [frozenset(c.tenses) for c in chunks]
        self.rule_ids = [c.rule_id for c in chunks]

    def keys(self, f: Facets) -> tuple[np.ndarray, np.ndarray]:
        """(facets matched, specificity) per chunk, both (N,): the first two sort keys above."""
        n = len(self.rule_ids)
        matched = np.zeros(n)
        specific = np.zeros(n)
        wanted = {error_rule_id(code) for code in f.errors}
        for i in range(n):
            verbs, tenses = self.verbs[i], self.tenses[i]
            verb_hit = bool(f.verbs & verbs)
            tense_hit = f.tense is not None and f.tense in tenses
            matched[i] = (self.rule_ids[i] in wanted) + verb_hit + tense_hit
            # Fewer verbs first, then fewer tenses: 1/|V| dominates, 1/|T| only breaks its ties.
            specific[i] = (1.0 / len(verbs) if verb_hit else 0.0) + (
                0.01 / len(tenses) if tense_hit else 0.0
            )
        return matched, specific

    def order(self, f: Facets, lexical: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Chunk indices that match some facet, best first, and their number of facets matched (the score)."""
        matched, specific = self.keys(f)
        order = np.lexsort((np.arange(len(matched)), -lexical, -specific, -matched))
        return order[matched[order] > 0], matched


__all__ = ["StructuredScorer"]
