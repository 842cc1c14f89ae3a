"""Phase 30: the canonical conjugation schema, the contract the tools, agent and service of phases 31-33 share.

`{"verb": <one of the 20 lemmas>, "tense": <one of the 6 tenses>, "person": "1sg" | "2sg" | "3sg" | null,
"spanish"?: <string of at most 30 characters>}`, in that key order, with no other keys. The enums come from
the §A13 truth table through `lynx_cortex.domain` (never a hand-typed copy), so a verb added to the course
reaches the schema, the mask and every consumer at once. `person` is nullable because an infinitive or a
participle has no person; `spanish` is optional because the tutor may not know the translation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lynx_cortex.domain import domain

CONJUGATION = "conjugation"
SPANISH_MAX_LENGTH = 30


def conjugation_schema(data: Path | None = None) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12 subset) of one conjugation, built from the truth table in `data`."""
    d = domain(data)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "conjugation",
        "type": "object",
        "properties": {
            "verb": {"type": "string", "enum": list(d.verbs)},
            "tense": {"type": "string", "enum": list(d.tenses)},
            "person": {"enum": [*d.persons, None]},
            "spanish": {"type": "string", "maxLength": SPANISH_MAX_LENGTH},
        },
        "required": ["verb", "tense", "person"],
        "additionalProperties": False,
    }


#: Schemas addressable by name (`lynx struct --schema NAME`).
NAMED_SCHEMAS = {CONJUGATION: conjugation_schema}


__all__ = ["CONJUGATION", "NAMED_SCHEMAS", "SPANISH_MAX_LENGTH", "conjugation_schema"]
