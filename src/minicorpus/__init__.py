"""Phase 12: the bilingual verb corpus (the truth table of 20 verbs x 6 tenses x 3 persons),
its mis-conjugation taxonomy, generator, validator and splitter.

The names below are the package's public surface; the modules hold the details.
"""

from minicorpus.conjugate import conjugate_english, conjugate_spanish
from minicorpus.generate import generate_rows
from minicorpus.mis_conjugate import (
    MIS_CONJUGATION_TYPES,
    apply_bare_participle_missing_aux,
    apply_missing_third_person_s,
    apply_overregularization_past,
    apply_subject_verb_disagreement,
    apply_wrong_aux_going_to_missing_ing,
    apply_wrong_aux_will_with_to,
    eligible_mis_conjugations,
)
from minicorpus.split import heldout_verbs_split, stratified_split_by_verb_tense
from minicorpus.truth_table import Analysis, analyze_english, analyze_spanish, table_as_json
from minicorpus.validate import CheckResult, ValidationReport, validate_rows
from minicorpus.verb_table import PERSONS, TENSES, VERB_TABLE, VerbEntry

__all__ = [
    "MIS_CONJUGATION_TYPES",
    "PERSONS",
    "TENSES",
    "VERB_TABLE",
    "Analysis",
    "CheckResult",
    "ValidationReport",
    "VerbEntry",
    "analyze_english",
    "analyze_spanish",
    "apply_bare_participle_missing_aux",
    "apply_missing_third_person_s",
    "apply_overregularization_past",
    "apply_subject_verb_disagreement",
    "apply_wrong_aux_going_to_missing_ing",
    "apply_wrong_aux_will_with_to",
    "conjugate_english",
    "conjugate_spanish",
    "eligible_mis_conjugations",
    "generate_rows",
    "heldout_verbs_split",
    "stratified_split_by_verb_tense",
    "table_as_json",
    "validate_rows",
]
