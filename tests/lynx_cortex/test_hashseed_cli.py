"""README commands are reproducible without the user knowing PYTHONHASHSEED: `lynx` fixes it by re-executing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lynx_cortex.cli import wants_fixed_hash_seed


def _lynx(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONHASHSEED", "LYNX_HASHSEED_SET_BY", "LYNX_LAB_MODE")
    }
    clean.update(LYNX_EXPERIMENTS_DIR=str(tmp_path / "experiments"), **env)
    return subprocess.run(
        [sys.executable, "-c", "from lynx_cortex.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=clean,
        timeout=300,
        check=False,
    )


def test_without_pythonhashseed_nothing_warns_the_manifest_records_zero_and_break_00_still_shows(
    tmp_path: Path,
) -> None:
    # Phase 00's break launches its own children with and without the variable: the effect must survive.
    proc = _lynx(["break", "run", "00", "--out", str(tmp_path / "break")], tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "warning" not in proc.stderr.lower() and "PYTHONHASHSEED" not in proc.stderr
    assert "verdict: DETECTED" in proc.stdout
    env = json.loads((tmp_path / "break" / "manifest.json").read_text())["env"]
    assert env["PYTHONHASHSEED"] == "0" and env["LYNX_HASHSEED_SET_BY"] == "lynx"
    results = json.loads((tmp_path / "break" / "results.json").read_text())
    assert results["healthy"]["hash_order_identical"] is True
    assert results["broken"]["hash_order_identical"] is False


#: A program that registers a one-line lab, then runs `lynx` on it: the re-exec repeats the same program, so
#: the lab exists in the new process too, and the run stays cheap (no NumPy work, no child processes).
_PROBE = """
from lynx_cortex.cli import main
from lynx_cortex.registry import lab
lab("99-hash-probe", title="probe")(lambda ctx: {"hash_of_a": hash("a")})
main()
"""


def test_a_hash_seed_the_user_chose_is_kept_and_not_marked(tmp_path: Path) -> None:
    def run(out: str, **env: str) -> tuple[dict[str, str], int]:
        clean = {
            k: v
            for k, v in os.environ.items()
            if k not in ("PYTHONHASHSEED", "LYNX_HASHSEED_SET_BY")
        }
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                _PROBE,
                "lab",
                "run",
                "99-hash-probe",
                "--out",
                str(tmp_path / out),
            ],
            capture_output=True,
            text=True,
            env={**clean, "LYNX_EXPERIMENTS_DIR": str(tmp_path), **env},
            timeout=300,
            check=True,
        )
        assert "warning" not in proc.stderr.lower(), proc.stderr
        manifest = json.loads((tmp_path / out / "manifest.json").read_text())
        return manifest["env"], json.loads((tmp_path / out / "results.json").read_text())[
            "hash_of_a"
        ]

    chosen, chosen_hash = run("chosen", PYTHONHASHSEED="7")
    assert chosen["PYTHONHASHSEED"] == "7" and chosen["LYNX_HASHSEED_SET_BY"] == "<unset>"
    fixed, fixed_hash = run("fixed")
    again, again_hash = run("again")
    assert fixed["PYTHONHASHSEED"] == again["PYTHONHASHSEED"] == "0"
    assert fixed["LYNX_HASHSEED_SET_BY"] == "lynx"
    assert (
        fixed_hash == again_hash != chosen_hash
    )  # string hashing really is fixed, and by the seed


@pytest.mark.parametrize(
    ("args", "fixed"),
    [
        (["lab", "run", "x"], True),
        (["break", "run", "0"], True),
        (["phase", "check", "0"], True),
        (["train", "--steps", "1"], True),
        (["lab", "list"], False),
        (["phase", "list"], False),
        (["--help"], False),
        (["sample", "he work"], False),
    ],
)
def test_which_commands_are_re_executed(args: list[str], fixed: bool) -> None:
    assert wants_fixed_hash_seed(args) is fixed
