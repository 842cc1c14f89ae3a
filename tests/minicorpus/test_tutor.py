"""Corpus v1.1, the tutor set: rows, byte-identical regeneration, the validator and the split invariants."""

from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lynx_cortex.cli import cli
from lynx_cortex.paths import data_dir
from minicorpus.frames import Frame
from minicorpus.manifest import MANIFEST_FILE
from minicorpus.mis_conjugate import MIS_CONJUGATION_TYPES
from minicorpus.split import HELDOUT_VERBS
from minicorpus.tutor import (
    FRAMED_CELLS,
    TUTOR_FIELDS,
    frame_rows,
    generate_tutor_rows,
    pinned_texts,
    render,
    wrong_core,
)
from minicorpus.tutor_build import (
    load_frame_split,
    load_tutor_split,
    shard,
    validate_tutor_dir,
)
from minicorpus.tutor_split import atoms, frame_parts, split_frames, unseen_atoms
from minicorpus.tutor_validate import (
    check_copula_and_agreement,
    check_error_types_heldout,
    check_frame_leakage,
    check_frames_complete,
    check_seen_in_train,
    check_tutor_fields,
    check_tutor_truth_table,
)

Rows = list[dict[str, Any]]
CHECKED_IN = data_dir() / "tutor"


@pytest.fixture(scope="module")
def parts() -> dict[str, Rows]:
    return load_frame_split(CHECKED_IN)


@pytest.fixture(scope="module")
def rows(parts: dict[str, Rows]) -> Rows:
    return [row for name in ("train", "val", "test") for row in parts[name]]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`lynx corpus build --tutor` into a fresh folder (it validates everything before writing)."""
    out = tmp_path_factory.mktemp("corpus")
    result = CliRunner().invoke(cli, ["corpus", "build", "--tutor", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "tutor set:" in result.output
    return out / "tutor"


def _listed(folder: Path) -> list[str]:
    files = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))["files"]
    return sorted([*files, MANIFEST_FILE])


def test_checked_in_tutor_set_is_regenerated_byte_identically(built: Path) -> None:
    names = _listed(CHECKED_IN)
    assert names == _listed(built)
    on_disk = sorted(
        p.relative_to(CHECKED_IN).as_posix() for p in CHECKED_IN.rglob("*") if p.is_file()
    )
    assert on_disk == names  # nothing unlisted is checked in
    for name in names:
        assert (built / name).read_bytes() == (CHECKED_IN / name).read_bytes(), name


def test_sizes_fit_the_repository(built: Path) -> None:
    sizes = [p.stat().st_size for p in CHECKED_IN.rglob("*") if p.is_file()]
    assert max(sizes) <= 1024 * 1024  # the pre-commit limit for added files
    assert sum(sizes) <= 12_000_000


def test_manifest_counts_agree_with_the_rows(rows: Rows) -> None:
    manifest = json.loads((CHECKED_IN / MANIFEST_FILE).read_text(encoding="utf-8"))
    assert manifest["total_rows"] == len(rows)
    assert manifest["total_frames"] == sum(1 for r in rows if r["error_type"] is None)
    by_type = Counter(r["error_type"] for r in rows if r["error_type"] is not None)
    assert manifest["error_type_counts"] == {c: by_type[c] for c in MIS_CONJUGATION_TYPES}
    assert all(manifest["validation"].values())
    for name in ("frames", "keys", "heldout-verbs"):
        assert sum(part["rows"] for part in manifest["splits"][name].values()) == len(rows)


def test_rows_carry_the_four_training_strings(rows: Rows) -> None:
    assert 30_000 <= len(rows) <= 45_000
    assert check_tutor_fields(rows).passed
    assert all(set(row) == set(TUTOR_FIELDS) for row in rows)
    assert Counter(r["error_type"] for r in rows).keys() == {None, *MIS_CONJUGATION_TYPES}
    for row in rows[:2000]:
        for field in ("text", "correct_text", "spanish"):
            assert row[field] and row[field][0].isupper() and row[field].endswith(".")
    # a correct sentence is its own correction
    assert all(r["text"] == r["correct_text"] for r in rows if r["error_type"] is None)


def test_the_design_example_is_in_training(parts: dict[str, Rows]) -> None:
    by_text = {r["text"]: r for r in parts["train"]}
    row = by_text["Yesterday she goed to the market."]
    assert row["correct_text"] == "Yesterday she went to the market."
    assert row["error_type"] == "overregularization_past"
    assert row["spanish"] == "Ayer ella fue al mercado."
    assert (row["verb_lemma"], row["tense"], row["person"]) == ("go", "past_simple", "3sg")
    assert by_text["Maria likes music."]["spanish"] == "A Maria le gusta la música."
    assert by_text["I wanted a coffee."]["spanish"] == "Yo quería un café."
    assert by_text["Tom is tired."]["spanish"] == "Tom está cansado."
    assert pinned_texts() <= {r["correct_text"] for r in parts["train"]}


def test_render() -> None:
    frame = Frame("Tom", "football", "every day", "final")
    assert render("he plays", "3sg", frame) == "Tom plays football every day."
    assert render("I play", "1sg", Frame("I", "", "every day", "initial")) == "Every day I play."
    with pytest.raises(ValueError, match="does not start with 'he'"):
        render("I play", "3sg", frame)


def test_participle_errors_use_the_perfect() -> None:
    assert wrong_core("overregularization_past", "eat", "past_participle", "3sg") == "he has eated"
    assert wrong_core("bare_participle_missing_aux", "eat", "past_participle", "3sg") == "he eaten"
    assert wrong_core("wrong_aux_will_with_to", "eat", "past_participle", "3sg") is None
    group = frame_rows(("eat", "past_participle", "3sg"), Frame("Maria", "fish", "today", "final"))
    assert [r["text"] for r in group] == [
        "Maria has eaten fish today.",
        "Maria has eated fish today.",
        "Maria have eaten fish today.",
        "Maria eaten fish today.",
    ]
    assert {r["spanish"] for r in group} == {"Maria ha comido pescado hoy."}
    assert {r["correct_text"] for r in group} == {"Maria has eaten fish today."}


def test_sampling_is_seeded_and_keeps_whole_frames() -> None:
    a, b, c = (generate_tutor_rows(seed, size=3) for seed in (1, 1, 2))
    assert a == b
    assert {r["correct_text"] for r in a} != {r["correct_text"] for r in c}
    assert check_frames_complete(a).passed
    frames = Counter(
        (r["verb_lemma"], r["tense"], r["person"]) for r in a if r["error_type"] is None
    )
    assert set(frames) == set(FRAMED_CELLS)
    assert max(frames.values()) <= 3 + 1  # the sample, plus a pinned frame in its cell


# ------------------------------------------------------------------------------- the validator bites


def test_validator_catches_a_swapped_error_type(rows: Rows) -> None:
    broken = copy.deepcopy(rows[:300])
    assert check_tutor_truth_table(broken).passed
    victim = next(r for r in broken if r["error_type"] not in (None, "missing_third_person_s"))
    victim["error_type"] = "missing_third_person_s"
    assert check_tutor_truth_table(broken).failures == (victim["id"],)


def test_validator_catches_a_wrong_copula_and_a_wrong_gender(rows: Rows) -> None:
    be = copy.deepcopy([r for r in rows if r["verb_lemma"] == "be"])
    assert check_copula_and_agreement(be).passed
    tired = next(r for r in be if r["complement"] == "tired" and " está " in f" {r['spanish']}")
    tired["spanish"] = tired["spanish"].replace("está", "es")
    feminine = next(r for r in be if r["spanish"].endswith("cansada."))
    feminine["spanish"] = feminine["spanish"].replace("cansada", "cansado")
    assert set(check_copula_and_agreement(be).failures) == {tired["id"], feminine["id"]}
    assert {tired["id"], feminine["id"]} <= set(check_tutor_truth_table(be).failures)


def test_validator_catches_a_lost_error_variant_and_a_drifted_translation(rows: Rows) -> None:
    group = frame_rows(("go", "past_simple", "3sg"), Frame("Ana", "home", "", "none"))
    assert check_frames_complete(group).passed
    assert not check_frames_complete(group[:-1]).passed
    drifted = copy.deepcopy(group)
    drifted[1]["spanish"] = "Ana va a casa."
    assert check_frames_complete(drifted).failures == ("Ana went home.",)


def test_tampered_folder_fails_validation(built: Path, tmp_path: Path) -> None:
    import shutil

    copy_dir = tmp_path / "tutor"
    shutil.copytree(built, copy_dir)
    shard_path = copy_dir / "frames" / "val-00.jsonl"
    text = shard_path.read_text(encoding="utf-8")
    shard_path.write_text(text.replace("está", "es", 1), encoding="utf-8")
    report = validate_tutor_dir(copy_dir)
    assert [c.name for c in report.failed] == ["manifest_hashes"]
    assert "frames/val-00.jsonl" in report.failed[0].failures


# --------------------------------------------------------------------------------- split invariants


def test_frames_never_straddle_splits(parts: dict[str, Rows]) -> None:
    owner: dict[str, set[str]] = {}
    for name, part in parts.items():
        for row in part:
            owner.setdefault(row["correct_text"], set()).add(name)
    assert all(len(names) == 1 for names in owner.values())
    assert check_frame_leakage(parts).passed


def test_held_out_parts_were_all_seen_in_training(parts: dict[str, Rows]) -> None:
    assert unseen_atoms(parts) == {"val": [], "test": []}
    train_cells = {(r["verb_lemma"], r["tense"], r["person"]) for r in parts["train"]}
    assert train_cells == set(FRAMED_CELLS)
    train_words = {w for r in parts["train"] for w in r["spanish"].removesuffix(".").split(" ")}
    for row in parts["test"]:
        assert set(row["spanish"].removesuffix(".").split(" ")) <= train_words


def test_held_out_sizes_and_error_types(parts: dict[str, Rows]) -> None:
    frames = {name: sum(1 for r in part if r["error_type"] is None) for name, part in parts.items()}
    total = sum(frames.values())
    for name in ("val", "test"):
        assert 0.07 <= frames[name] / total <= 0.09, (name, frames)
        assert {r["error_type"] for r in parts[name]} == {None, *MIS_CONJUGATION_TYPES}
    assert check_error_types_heldout(parts).passed


def test_split_checks_bite() -> None:
    train = frame_rows(("go", "past_simple", "3sg"), Frame("Ana", "home", "", "none"))
    test = frame_rows(("go", "past_simple", "3sg"), Frame("Tom", "to the beach", "", "none"))
    parts = {"train": train, "val": [], "test": test}
    failures = check_seen_in_train(parts).failures
    assert "test:complement/to the beach" in failures
    assert "test:subject/Tom" in failures
    assert not check_error_types_heldout(parts).passed
    leaky = {"train": train, "val": train[:1], "test": []}
    assert not check_frame_leakage(leaky).passed


def test_split_repair_moves_frames_with_unseen_parts_to_train() -> None:
    """Half the frames are drawn for val/test; a frame whose parts only it has must come back to train."""
    lonely = Frame("Tom", "to the beach", "", "none")
    frames = [
        Frame(s, "home", a, p)
        for s in ("Ana", "Pedro")
        for a, p in (("", "none"), ("yesterday", "final"))
    ]
    sample = [
        row
        for frame in [*frames, lonely]
        for row in frame_rows(("go", "past_simple", "3sg"), frame)
    ]
    for seed in range(5):
        assignment = split_frames(sample, seed=seed, ratios=(0.3, 0.3))
        assert assignment["Tom went to the beach."] == "train"
        assert unseen_atoms(frame_parts(sample, assignment)) == {"val": [], "test": []}
    assert ("complement", "to the beach") in atoms(sample[-1])


def test_generalisation_splits(rows: Rows) -> None:
    heldout = load_tutor_split(CHECKED_IN, "heldout-verbs")
    assert {r["verb_lemma"] for r in heldout["test"]} == set(HELDOUT_VERBS)
    assert not {r["verb_lemma"] for r in heldout["train"]} & set(HELDOUT_VERBS)
    keys = load_tutor_split(CHECKED_IN, "keys")
    v1 = json.loads((data_dir() / "processed" / "split_log.json").read_text(encoding="utf-8"))
    for name in ("train", "val", "test"):
        assert {f"{r['verb_lemma']}:{r['tense']}" for r in keys[name]} <= set(
            v1["assignment"][name]
        )
    assert sum(len(p) for p in keys.values()) == len(rows)


def test_shard_packs_lines_under_the_limit() -> None:
    lines = ["a" * 4 + "\n", "b" * 4 + "\n", "c" * 9 + "\n"]
    assert shard(lines, max_bytes=10) == ["aaaa\nbbbb\n", "ccccccccc\n"]
    with pytest.raises(ValueError, match="over the shard limit"):
        shard(["x" * 20 + "\n"], max_bytes=10)
