"""Phase 30: export what `scripts/xgrammar_check.py` compares against (project venv; see that script).

uv run python scripts/xgrammar_export.py OUT.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from minimodel.data import load_tokenizer
from ministruct.dfa import compile_regex
from ministruct.labs.phase30_overhead import _random_path
from ministruct.mask import TokenMask, Vocabulary
from ministruct.schema import to_regex
from ministruct.schemas import conjugation_schema

PATTERNS = {
    "schema": to_regex(conjugation_schema()),
    "digits": "[0-9]{5}(-[0-9]{4})?",
    "json-ish": '\\{"verb":"(work|write|walk)","n":-?(0|[1-9][0-9]*)\\}',
    "date": "[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])",
}


def main(out: Path) -> None:
    vocab = Vocabulary.from_tokenizer(load_tokenizer())
    data: dict[str, object] = {
        "vocab": [t.hex() if t is not None else None for t in vocab.tokens],
        "stop": vocab.stop_id,
        "schema": conjugation_schema(),
        "cases": {},
    }
    rng = np.random.default_rng(0)
    cases: dict[str, object] = {}
    for name, pattern in PATTERNS.items():
        mask = TokenMask(compile_regex(pattern), vocab)
        paths = [_random_path(mask, rng) for _ in range(300)]
        allowed = []
        for path in paths:
            state, rows = mask.start, []
            for token in path:
                rows.append(np.flatnonzero(mask.allowed(state)).tolist())
                if token != vocab.stop_id:
                    state = mask.advance(state, token)
            allowed.append(rows)
        cases[name] = {"pattern": pattern, "paths": paths, "allowed": allowed}
    data["cases"] = cases
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
