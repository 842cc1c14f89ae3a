"""What the phase-30 labs share: the held-out sentences, the shipped model, and the validity check."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import jsonschema
import numpy as np

from lynx_cortex.paths import data_dir
from minicorpus.tutor_build import load_tutor_split


def val_rows(count: int) -> list[dict[str, Any]]:
    """`count` rows spread evenly over the tutor set's validation split (cycled when count exceeds it)."""
    val = load_tutor_split(data_dir() / "tutor", "frames")["val"]
    picks = np.arange(count) * max(len(val) // max(count, 1), 1) % len(val)
    return [val[int(i)] for i in picks]


def verdict(text: str, schema: Mapping[str, Any]) -> str:
    """`valid`, `not_json` (json.loads fails) or `schema` (parses, does not validate)."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return "not_json"
    try:
        jsonschema.validate(value, schema)
    except jsonschema.ValidationError:
        return "schema"
    return "valid"


def tally(texts: list[str], schema: Mapping[str, Any]) -> dict[str, Any]:
    counts = {"valid": 0, "not_json": 0, "schema": 0}
    for text in texts:
        counts[verdict(text, schema)] += 1
    n = max(len(texts), 1)
    return {"n": len(texts), **counts, "invalid_rate": 1 - counts["valid"] / n}
