"""The phase 21 lab at smoke size through the real runner, judged on its numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lynx_cortex.runner import run_lab


@pytest.fixture(autouse=True)
def _smoke(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LYNX_LAB_MODE", "smoke")


def test_sampling_strategies_lab(tmp_path: Path) -> None:
    record = run_lab("21-sampling-strategies", out=tmp_path / "run")
    res = record.results
    assert res["worked_example"]["top_p_support"] == {"0.5": 1, "0.9": 3, "0.95": 4, "1.0": 10}
    assert res["entropy_non_decreasing"] is True
    assert res["entropy"][0] < 0.01 and res["entropy"][-1] < res["ln_v"]
    assert res["entropy"][-1] > 0.95 * res["ln_v"]
    assert res["unique_tokens"][0] == 1 and res["unique_tokens"][-1] >= 8  # tau 0.05 vs tau 10
    for sizes in res["top_p_sizes"].values():
        assert np.all(np.diff(sizes) >= 0)  # nucleus size non-decreasing in p
    assert res["top_p_sizes"]["tau=1.5"][-10] >= res["top_p_sizes"]["tau=0.7"][-10]
    assert res["peaked_vs_flat"]["flat"] == {"top_k2": 2, "top_p0.9": 4}
    for name in (
        "distributions.png",
        "entropy_vs_tau.png",
        "top_p_support.png",
        "diversity_vs_tau.png",
    ):
        assert (record.out_dir / name).read_bytes()[:4] == b"\x89PNG"
