"""Phase 12: the bilingual verb corpus (the truth table of 20 verbs x 6 tenses x 3 persons),
its mis-conjugation taxonomy, generator, validator and splitter.
"""
