from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from lynx_cortex.atomic import write_json_atomic, write_text_atomic


def test_writes_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "a.json"
    write_json_atomic(target, {"b": 1, "a": [1, "ñ"]})
    assert target.read_text(encoding="utf-8") == '{\n  "a": [\n    1,\n    "ñ"\n  ],\n  "b": 1\n}\n'
    write_json_atomic(target, {"c": 2})
    assert json.loads(target.read_text()) == {"c": 2}
    assert [p.name for p in target.parent.iterdir()] == ["a.json"]


def test_new_files_follow_the_umask_and_existing_modes_are_kept(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        fresh = write_text_atomic(tmp_path / "fresh.txt", "x")
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o644
        secret = tmp_path / "secret.env"
        secret.write_text("KEY=1")
        secret.chmod(0o600)
        write_text_atomic(secret, "KEY=2")
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600 and secret.read_text() == "KEY=2"
    finally:
        os.umask(old)


def test_failure_keeps_the_old_file_and_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "a.json"
    target.write_text("old")

    def crash(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        write_text_atomic(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]
