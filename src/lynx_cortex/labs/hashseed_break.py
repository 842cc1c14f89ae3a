"""Break 00: seed every RNG but launch processes without a fixed PYTHONHASHSEED.

`random` and NumPy draws still agree between processes, so a naive test passes; anything ordered by `hash()`
(sets of strings, hash-keyed sorts, dict-of-set iteration) comes out in a different order in every process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from lynx_cortex.domain import domain
from lynx_cortex.registry import BreakOutcome, LabContext, breaks

_CHILD = """
import json, random, warnings
import numpy as np
from lynx_cortex.seeding import seed_everything
warnings.simplefilter("ignore")
seed_everything({seed})
verbs = {verbs!r}
print(json.dumps({{
    "hash_order": sorted(verbs, key=hash),
    "set_order": list(set(verbs)),
    "random": [random.random() for _ in range(3)],
    "numpy": np.random.rand(3).tolist(),
}}))
"""


def child_observation(seed: int, hash_seed: str | None) -> dict[str, Any]:
    """Run a fresh interpreter that calls `seed_everything(seed)` and report what it saw."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"}
    if hash_seed is not None:
        env["PYTHONHASHSEED"] = hash_seed
    code = _CHILD.format(seed=seed, verbs=list(domain().verbs))
    proc = subprocess.run(  # noqa: S603 - our own interpreter running our own code
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    first = runs[0]
    return {
        "processes": len(runs),
        "hash_order_identical": all(r["hash_order"] == first["hash_order"] for r in runs),
        "set_order_identical": all(r["set_order"] == first["set_order"] for r in runs),
        "random_identical": all(r["random"] == first["random"] for r in runs),
        "numpy_identical": all(r["numpy"] == first["numpy"] for r in runs),
        "first_five_by_hash": [r["hash_order"][:5] for r in runs],
    }


@breaks(
    0,
    title="seed_everything without PYTHONHASHSEED",
    change="launch each process without PYTHONHASHSEED (seed_everything still seeds random and NumPy)",
)
def hashseed_break(ctx: LabContext, processes: int = 3) -> BreakOutcome:
    seed = ctx.seed
    healthy = _summary([child_observation(seed, str(seed)) for _ in range(processes)])
    broken = _summary([child_observation(seed, None) for _ in range(processes)])
    ctx.config.update({"processes": processes, "verbs": len(domain().verbs)})
    detected = (
        healthy["hash_order_identical"]
        and not broken["hash_order_identical"]
        and broken["random_identical"]
        and broken["numpy_identical"]
    )
    symptom = (
        "without PYTHONHASHSEED the hash-ordered verb list differs between processes while random and NumPy "
        "draws still match: a test that only checks RNG draws would pass"
        if detected
        else "no divergence observed: hash-ordered output matched across processes"
    )
    return BreakOutcome(healthy=healthy, broken=broken, symptom=symptom, detected=detected)
