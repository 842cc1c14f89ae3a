from __future__ import annotations

from pathlib import Path

import pytest

from lynx_cortex.errors import LynxError
from lynx_cortex.files import check_output, output_problem, read_text
from lynx_cortex.quiz import QuizError, load_quiz


def test_read_text_names_the_file_and_the_byte(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"ok\ncaf\xe9\n")
    with pytest.raises(LynxError, match=r"notes.txt: not UTF-8 text \(byte 6 is 0xe9\)"):
        read_text(path, what="spec")
    with pytest.raises(LynxError, match=r"^spec .*missing.txt not found$"):
        read_text(tmp_path / "missing.txt", what="spec")
    with pytest.raises(LynxError, match="is a folder, not a file"):
        read_text(tmp_path)
    path.write_text("café\n", encoding="utf-8")
    assert read_text(path) == "café\n"


def test_output_problem_covers_every_kind(tmp_path: Path) -> None:
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    assert output_problem(tmp_path / "new" / "deeper", folder=True) is None
    assert output_problem(tmp_path, folder=True) is None
    assert output_problem(a_file, folder=False) is None
    assert output_problem(a_file, folder=True) == f"{a_file} is a file, not a folder"
    assert output_problem(tmp_path, folder=False) == f"{tmp_path} is a folder, not a file"
    problem = output_problem(a_file / "sub" / "out", folder=True)
    assert (
        problem == f"{a_file / 'sub' / 'out'} cannot be created: {a_file} is a file, not a folder"
    )
    with pytest.raises(LynxError, match=r"^--out: .* is a file, not a folder$"):
        check_output(a_file, folder=True, what="--out")
    assert not (tmp_path / "new").exists()  # checking creates nothing


def test_a_quiz_file_that_is_not_utf8_is_one_quiz_error(tmp_path: Path) -> None:
    path = tmp_path / "phase-00-foundations.yaml"
    path.write_bytes("title: régimen\n".encode("latin-1"))
    with pytest.raises(
        QuizError, match=r"phase-00-foundations.yaml: not UTF-8 text \(byte 8 is 0xe9\)"
    ):
        load_quiz(path)
