"""The CLI-wide rule: bad input to any `lynx` command ends as one line `lynx: error: …` and exit 2, never a traceback.

Every leaf command of the click tree is enumerated (lazy groups included), so a new command or a new option
cannot be forgotten: `test_every_command_and_parameter_is_in_the_table` fails until its bad inputs are listed
below (or the parameter is declared free text). Out-of-range numbers, unknown choices, bad phase numbers and an
unknown option are generated from the commands' own parameter types; files, folders and ids come from the
table. Each case runs in-process through click's CliRunner; a few run as real processes at the end.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from lynx_cortex.cli import cli
from lynx_cortex.cli._common import PhaseType
from lynx_cortex.paths import project_root
from lynx_cortex.phases import get_phase

LATIN1 = "régimen: café, niño\n".encode("latin-1")  # not UTF-8 (0xe9 starts no valid sequence here)
GARBAGE = bytes(range(256)) * 4  # NUL, control bytes and invalid UTF-8


@dataclass(frozen=True)
class Case:
    """`lynx <command> <argv>` with `{placeholders}` filled from the `bad` fixture; `target` names the parameter
    the case attacks (or an environment variable)."""

    command: str
    target: str
    argv: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)
    root: str = (
        ""  # "root" or "badquiz_root": a throwaway project root (LYNX_ROOT) instead of the checkout
    )

    @property
    def id(self) -> str:
        return (
            f"{self.command}:{self.target}:{' '.join(self.argv)}{' ' if self.env else ''}{self.env}"
        )


def case(command: str, target: str, *argv: str, root: str = "", **env: str) -> Case:
    return Case(command, target, tuple(argv), dict(env), root)


PORTAL = "root"  # portal cases never touch the checkout's var/
BAD_QUIZ = "badquiz_root"  # a root whose phase-00 quiz file is not UTF-8


# The plain bad-file kinds every input file gets, and every input folder.
FILES = ("{missing}", "{folder}", "{empty}", "{garbage}", "{latin1}")
FOLDERS = ("{missing}", "{garbage}", "{folder}")

CASES: list[Case] = [
    # --- lab / break / phase
    *(
        case("lab run", "lab_id", lab)
        for lab in ("99-no-such-lab", "../../etc/passwd", "", "00-env-check\x00")
    ),
    case("lab run", "out", "00-env-check", "--out", "{under_file}"),
    case("lab run", "out", "00-env-check", "--out", "{garbage}"),
    case("lab run", "out", "00-env-check", "--out", "{full_folder}"),
    case("lab run", "LYNX_LAB_MODE", "00-env-check", LYNX_LAB_MODE="huge"),
    case("lab run", "LYNX_EXPERIMENTS_DIR", "00-env-check", LYNX_EXPERIMENTS_DIR="{garbage}"),
    case("break run", "phase", "41"),  # a phase without a break
    case("break run", "out", "00", "--out", "{under_file}"),
    case("break run", "out", "00", "--out", "{full_folder}"),
    case("phase check", "out", "00", "--skip-tests", "--out", "{under_file}"),
    case("phase check", "out", "00", "--skip-tests", "--out", "{full_folder}"),
    # --- quiz, learners, journal, manifests
    case("quiz", "learner", "00", "--learner", "nobody"),
    case("quiz", "learner", "00", "--learner", "../escape"),
    case("quiz", "quiz file", "00", "--no-record", root=BAD_QUIZ),
    *(case("learner init", "name", name) for name in ("../escape", "", "Has Space", "x" * 40)),
    case("learner list", "LYNX_LEARNERS_DIR", LYNX_LEARNERS_DIR="{garbage}"),
    case("journal", "learner", "--learner", "nobody", "-m", "hi"),
    case("journal", "day", "--learner", "ana", "--date", "2024-02-30", "-m", "hi"),
    case("journal", "message", "--learner", "ana", "-m", "bad\x00byte"),
    *(case("manifest diff", "a", f, "{garbage}") for f in (*FILES, "{json_list}")),
    case("manifest diff", "b", "{manifest}", "{latin1}"),
    # --- corpus
    *(case("corpus build", "spec", "--out", "{new}", "--spec", f) for f in FILES),
    case("corpus build", "out", "--out", "{garbage}"),
    case("corpus build", "out", "--out", "{under_file}"),
    *(
        case("corpus validate", "folder", f)
        for f in (*FOLDERS, "{corpus_garbage}", "{corpus_latin1}")
    ),
    *(case("corpus validate", "spec", "--spec", f) for f in FILES),
    case("corpus validate", "report", "--report", "{under_file}"),
    *(case("corpus stats", "folder", f) for f in (*FOLDERS, "{corpus_garbage}", "{corpus_latin1}")),
    case("corpus stats", "out", "--out", "{under_file}"),
    case("corpus export-table", "out", "--out", "{under_file}"),
    case("corpus export-table", "out", "--out", "{folder}"),
    case("corpus export-table", "out", "--out", "{folder}", "--check"),
    # --- tokenizer
    *(
        case("tokenizer encode", "directory", "--tokenizer", f, "he works")
        for f in (*FOLDERS, "{tok_latin1}", "{tok_bad_config}", "{tok_bad_merges}")
    ),
    case("tokenizer encode", "text", "lone \ud800 surrogate"),
    *(
        case("tokenizer decode", "directory", "--tokenizer", f, "5")
        for f in (*FOLDERS, "{tok_latin1}")
    ),
    *(case("tokenizer decode", "ids", ids) for ids in ("abc", "99999", "-5", "1.5")),
    *(
        case("tokenizer train", "corpus", "--out", "{new}", "--corpus", f)
        for f in (*FILES, "{corpus_garbage}")
    ),
    case("tokenizer train", "out", "--out", "{under_file}", "--corpus", "{tiny_jsonl}"),
    case("tokenizer train", "languages", "--out", "{new}", "--languages", "fr"),
    # --- training, sampling, evaluation
    *(
        case("sample", "first", f, "he work")
        for f in (*FOLDERS, "{ckpt_empty}", "{ckpt_truncated}", "{ckpt_garbage}", "{ckpt_state}")
    ),
    case("sample", "second", "{shipped}", "   "),
    case("sample", "second", "{shipped}", "bad \ud800 surrogate"),
    # --- constrained decoding (phase 30)
    case("struct", "sentence", "   "),
    case("struct", "sentence", "bad \ud800 surrogate"),
    *(case("struct", "schema_spec", "he work", "--schema", f) for f in (*FILES, "no-such-schema")),
    *(case("struct", "regex", "he work", "--regex", r) for r in ("a$", "(a", "a**", "\\1")),
    *(case("struct", "temperature", "he work", "--temperature", t) for t in ("-1", "11", "hot")),
    # --- the grammar tutor (issue 21)
    case("tutor", "sentence", ""),
    case("tutor", "sentence", "   "),
    case("tutor", "sentence", "x" * 281),
    case("tutor", "sentence", "she goed\x00 home"),
    case("tutor", "sentence", "bad \ud800 surrogate"),
    *(
        case("eval", "checkpoint", f)
        for f in (*FOLDERS, "{ckpt_empty}", "{ckpt_truncated}", "{ckpt_garbage}", "{ckpt_state}")
    ),
    case("eval", "out", "{shipped}", "--out", "{under_file}"),
    *(
        case("eval", "checkpoint", f, "--task", "tutor")
        for f in (*FOLDERS, "{ckpt_empty}", "{ckpt_garbage}")
    ),
    case("eval", "out", "{shipped}", "--task", "tutor", "--out", "{under_file}"),
    *(case("eval", "compare", "{shipped}", "--compare", f) for f in ("{missing}", *FILES[2:])),
    case("train", "out", "--out", "{under_file}"),
    case("train", "out", "--out", "{garbage}"),
    case("train", "out", "--out", "{full_folder}"),
    *(case("train", "resume", "--resume", f) for f in (*FOLDERS, "{ckpt_garbage}")),
    # --- retrieval (phase 29)
    case("rag ask", "query", "   "),
    case("rag ask", "query", "bad \ud800 surrogate"),
    *(case("rag ask", "index_dir", "x", "--index", f) for f in (*FOLDERS, "{full_folder}")),
    *(case("rag eval", "index_dir", "--index", f) for f in (*FOLDERS, "{full_folder}")),
    *(case("rag eval", "queries", "--queries", f) for f in (*FOLDERS, "{full_folder}")),
    case("rag eval", "out", "--out", "{under_file}"),
    case("rag eval", "out", "--out", "{garbage}"),
    *(case("rag index", "kb", "--kb", f, "--out", "{new}") for f in (*FOLDERS, "{full_folder}")),
    case("rag index", "out", "--out", "{under_file}"),
    case("rag index", "out", "--out", "{garbage}"),
    # --- the portal (a throwaway root: nothing of the checkout's var/ is touched)
    *(case("portal verify", "snapshot", f, root=PORTAL) for f in FILES),
    *(case("portal restore", "snapshot", f, root=PORTAL) for f in FILES),
    case("portal backup", "dest", "--dest", "{garbage}", root=PORTAL),
    case("portal backup", "dest", "--dest", "{under_file}", root=PORTAL),
    case("portal create-admin", "username", "", root=PORTAL),
    case("portal create-admin", "username", "bad\x00name", root=PORTAL),
    case("portal invite", "username", "", root=PORTAL),
    case("portal rotate-key", "new_key_env", "--new-key-env", "LYNX_TEST_UNSET_KEY", root=PORTAL),
    case(
        "portal rotate-key", "new_key_env", "--new-key-env", "SHORT_KEY", root=PORTAL, SHORT_KEY="x"
    ),
    case("portal serve", "host", "--host", "no such host!", root=PORTAL),
    case("portal serve", "quiz file", "--port", "8765", root=BAD_QUIZ),
    case(
        "portal migrate",
        "LYNX_PORTAL_DATABASE_URL",
        root=PORTAL,
        LYNX_PORTAL_DATABASE_URL="nope://x",
    ),
    case(
        "portal migrate",
        "LYNX_PORTAL_DATABASE_URL",
        root=PORTAL,
        LYNX_PORTAL_DATABASE_URL="sqlite:///{garbage}",
    ),
    case(
        "portal migrate",
        "LYNX_PORTAL_DATABASE_URL",
        root=PORTAL,
        LYNX_PORTAL_DATABASE_URL="sqlite:///{under_file}/portal.db",
    ),
    case("up", "host", "--host", "no such host!", root=PORTAL),
    # --- MCP (phase 31): each case starts a real demo server; refusals never reach a tool
    *(
        case("mcp call", "tool", t, "{{}}", "--demo")
        for t in ("no_such_tool", "", "bad \ud800 surrogate")
    ),
    *(
        case("mcp call", "arguments", "add", a, "--demo")
        for a in (
            "not json",
            "[1, 2]",
            '{{"a": 1}}',
            '{{"a": "x", "b": 2}}',
            '{{"a": 1e999, "b": 0}}',
        )
    ),
    # --- benchmarks: every bad argument is refused before any lab runs
    *(case("bench", "baseline", "--baseline", f, "--out", "{new}") for f in FILES),
    case("bench", "labs", "--lab", "99-nope", "--out", "{new}"),
    case("bench", "out", "--out", "{under_file}"),
    case("bench", "out", "--out", "{garbage}"),
    case("portal serve", "port", "--port", "{busy_port}", root=PORTAL),
    # --- the tutor service (phase 33) and its load generator: refused before a model loads or a request leaves
    case("serve", "host", "--host", "no such host!"),
    case("serve", "port", "--port", "{busy_port}"),
    case("serve", "LYNX_SERVE_MAX_BATCH", LYNX_SERVE_MAX_BATCH="0"),
    case("bench serve", "url", "--url", "notaurl", "--duration", "1"),
    case("bench serve", "url", "--url", "http://example.com:80", "--duration", "1"),
    *(case("bench serve", "rate", "--rate", r) for r in ("-5", "abc", "0")),
    *(case("bench serve", "duration", "--duration", d) for d in ("0", "-1", "1e9")),
    *(case("tutor", "learner", "--learner", n, "he work") for n in ("../evil", "a/b", "Ana!")),
]

#: Parameters whose every value is acceptable input (free text) or that only switch behaviour.
FREE_TEXT = {
    ("tokenizer encode", "text"): "any text encodes (a lone surrogate is covered above)",
}


def _leaves(group: click.Group, prefix: str = "") -> Iterator[tuple[str, click.Command]]:
    ctx = click.Context(group, info_name="lynx")
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, name
        path = f"{prefix} {name}".strip()
        if isinstance(command, click.Group):
            yield from _leaves(command, path)
        else:
            yield path, command


LEAVES = dict(_leaves(cli))


def _generated() -> list[Case]:
    """Cases every command gets from its own parameter types: an unknown option, out-of-range numbers, an
    unknown choice, a phase outside 00..41."""
    required = {  # a syntactically complete command line to hang each bad option on
        "lab run": ["00-env-check"],
        "break run": ["00"],
        "phase check": ["00"],
        "phase show": ["00"],
        "quiz": ["00"],
        "sample": ["he work"],
        "struct": ["he work"],
        "tutor": ["he work"],
        "eval": ["{missing}"],
        "tokenizer decode": ["5"],
        "tokenizer train": ["--out", "{new}"],
        "manifest diff": ["{missing}", "{missing}"],
        "portal verify": ["{missing}"],
        "portal restore": ["{missing}"],
        "portal create-admin": ["ana"],
        "portal invite": ["ana"],
        "learner init": ["ana"],
        "tokenizer encode": ["x"],
        "rag ask": ["x"],
        "mcp call": ["add", "{{}}", "--demo"],
    }
    cases = []
    for path, command in LEAVES.items():
        portal = PORTAL if path.startswith(("portal", "up")) else ""
        base = required.get(path, [])
        cases.append(Case(path, "unknown option", (*base, "--no-such-option"), {}, portal))
        for param in command.params:
            if not isinstance(param, click.Option | click.Argument) or param.name is None:
                continue
            flag = param.opts[0] if isinstance(param, click.Option) else None
            values: list[str] = []
            if isinstance(param.type, click.IntRange):
                low, high = param.type.min, param.type.max
                values += [str(low - 1)] if low is not None else []
                values += [str(high + 1)] if high is not None else []
                values.append("twelve")
            elif isinstance(param.type, click.Choice):
                values.append("no-such-choice")
            elif isinstance(param.type, PhaseType):
                values += ["42", "-1", "x", "phase-7.5"]
            for value in values:
                # An option is appended; a positional phase replaces the base's first argument.
                argv = (*base, flag, value) if flag is not None else (value, *base[1:])
                cases.append(Case(path, param.name, argv, {}, portal))
    return cases


ALL_CASES = CASES + _generated()


def test_every_command_and_parameter_is_in_the_table() -> None:
    covered = {(c.command, c.target) for c in ALL_CASES}
    assert set(LEAVES) <= {c.command for c in ALL_CASES}
    missing = []
    for path, command in LEAVES.items():
        for param in command.params:
            if param.name in (None, "help") or getattr(param, "is_flag", False):
                continue
            if (path, param.name) not in covered and (path, param.name) not in FREE_TEXT:
                missing.append(f"{path} {param.name}")
    assert not missing, f"add bad-input cases (or a FREE_TEXT entry) for: {', '.join(missing)}"


@pytest.fixture(scope="module")
def busy_port() -> Iterator[int]:
    """A port something is already listening on."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory, busy_port: int) -> dict[str, str]:
    """The bad inputs, made once: files, folders, damaged checkpoints, tokenizers and corpora."""
    tmp = tmp_path_factory.mktemp("bad-input")
    real = project_root()
    (tmp / "empty.txt").write_bytes(b"")
    (tmp / "garbage.bin").write_bytes(GARBAGE)
    (tmp / "latin1.txt").write_bytes(LATIN1)
    (tmp / "list.json").write_text("[1, 2]\n")
    (tmp / "a-folder").mkdir()
    (tmp / "full-folder").mkdir()
    (tmp / "full-folder" / "keep.txt").write_text("x")
    (tmp / "manifest.json").write_text('{"seed": 1}\n')
    (tmp / "tiny.jsonl").write_text('{"text": "he works", "spanish": "él trabaja"}\n')

    shipped = real / "artifacts" / "checkpoints" / "grammar"
    weights = (shipped / "model.safetensors").read_bytes()
    state = (shipped / "state.json").read_bytes()
    for name, model, state_bytes in (
        ("ckpt-empty", b"", state),
        ("ckpt-truncated", weights[: len(weights) // 3], state),
        ("ckpt-garbage", GARBAGE, state),
        ("ckpt-state", weights[:64], LATIN1),
    ):
        (tmp / name).mkdir()
        (tmp / name / "model.safetensors").write_bytes(model)
        (tmp / name / "state.json").write_bytes(state_bytes)

    tokenizer = real / "artifacts" / "tokenizer"
    for name, broken, content in (
        ("tok-latin1", "merges.txt", LATIN1),
        ("tok-bad-config", "config.json", b'{"special_tokens": 3}'),
        ("tok-bad-merges", "merges.txt", b"not a merges file\n"),
    ):
        shutil.copytree(tokenizer, tmp / name)
        (tmp / name / broken).write_bytes(content)

    for name, content in (("corpus-garbage", GARBAGE), ("corpus-latin1", LATIN1)):
        (tmp / name / "raw").mkdir(parents=True)
        (tmp / name / "raw" / "all_rows.jsonl").write_bytes(content)

    # Throwaway project roots: an empty one for the portal, one whose phase-00 quiz is not UTF-8.
    quiz = get_phase(0).quiz_path.relative_to(real)
    for name in ("root", "badquiz-root"):
        (tmp / name / quiz.parent).mkdir(parents=True)
        (tmp / name / "docs").mkdir()
        (tmp / name / "pyproject.toml").write_text("")
    (tmp / "badquiz-root" / quiz).write_bytes(LATIN1)
    learners = tmp / "learners"
    shutil.copytree(real / "learners" / "_template", learners / "_template")
    shutil.copytree(real / "learners" / "_template", learners / "ana")

    return {
        "missing": str(tmp / "no-such-file"),
        "folder": str(tmp / "a-folder"),
        "full_folder": str(tmp / "full-folder"),
        "empty": str(tmp / "empty.txt"),
        "garbage": str(tmp / "garbage.bin"),
        "latin1": str(tmp / "latin1.txt"),
        "json_list": str(tmp / "list.json"),
        "manifest": str(tmp / "manifest.json"),
        "under_file": str(tmp / "garbage.bin" / "out"),
        "tiny_jsonl": str(tmp / "tiny.jsonl"),
        "new": str(tmp / "fresh-output"),
        "shipped": str(shipped),
        **{
            key.replace("-", "_"): str(tmp / key)
            for key in (
                "ckpt-empty",
                "ckpt-truncated",
                "ckpt-garbage",
                "ckpt-state",
                "tok-latin1",
                "tok-bad-config",
                "tok-bad-merges",
                "corpus-garbage",
                "corpus-latin1",
            )
        },
        "root": str(tmp / "root"),
        "badquiz_root": str(tmp / "badquiz-root"),
        "busy_port": str(busy_port),
        "tmp": str(tmp),
    }


def _environment(case: Case, bad: dict[str, str]) -> dict[str, str]:
    tmp = Path(bad["tmp"])
    env = {
        "LYNX_EXPERIMENTS_DIR": str(tmp / "experiments"),
        "LYNX_LEARNERS_DIR": str(tmp / "learners"),
        "LYNX_PORTAL_SESSION_SECRET": "s" * 48,
        "LYNX_PORTAL_PEPPER": "p" * 48,
        "LYNX_PORTAL_MASTER_KEY": "m" * 48,
        "LYNX_PORTAL_DATABASE_URL": f"sqlite:///{tmp / 'portal.db'}",
    }
    if case.root:
        env["LYNX_ROOT"] = bad[case.root]
    env.update({key: value.format(**bad) for key, value in case.env.items()})
    return env


#: Commands whose job is to judge the file they are given: a damaged one is a check that ran and failed
#: (exit 1, still one line), not input they could not use.
JUDGES = ("portal verify",)


def _assert_one_line_error(
    what: str, code: int | None, stderr: str, everything: str, *, codes: tuple[int, ...] = (2,)
) -> None:
    assert "Traceback" not in everything, f"{what} printed a traceback:\n{everything}"
    lines = stderr.strip().splitlines()
    assert code in codes and len(lines) == 1 and lines[0].startswith("lynx: error: "), (
        f"{what}: exit {code}, stderr {stderr!r}"
    )


#: Commands that would serve forever if a bad input slipped through: they run as a process with a timeout.
SERVING = ("portal serve", "up")


def _in_process(case: Case, bad: dict[str, str]) -> tuple[int | None, str, str]:
    argv = [*case.command.split(), *(arg.format(**bad) for arg in case.argv)]
    result = CliRunner().invoke(cli, argv, env=_environment(case, bad))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"lynx {argv} raised") from result.exception
    return result.exit_code, result.stderr, result.output


def _as_process(case: Case, bad: dict[str, str]) -> tuple[int | None, str, str]:
    """The installed entry point, with Python's own warning and exception printing in place."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LYNX_", "PYTHONHASHSEED"))}
    env.update(_environment(case, bad))
    argv = [*case.command.split(), *(arg.format(**bad) for arg in case.argv)]
    proc = subprocess.run(
        [sys.executable, "-c", "from lynx_cortex.cli import main; main()", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    return proc.returncode, proc.stderr, proc.stdout + proc.stderr


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda c: c.id)
def test_bad_input_is_one_line_and_exit_2(
    case: Case, bad: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("LYNX_LEARNER", "LYNX_LAB_MODE", "LYNX_ROOT"):
        monkeypatch.delenv(name, raising=False)
    run = _as_process if case.command in SERVING else _in_process
    code, stderr, everything = run(case, bad)
    judged = case.command in JUDGES and case.argv[0] not in ("{missing}", "{folder}")
    _assert_one_line_error(
        f"lynx {case.command} {case.argv}",
        code,
        stderr,
        everything,
        codes=(1, 2) if judged else (2,),
    )


REAL_PROCESS = [
    case("sample", "first", "{ckpt_truncated}", "he work"),
    case("eval", "checkpoint", "{ckpt_empty}"),
    case("tokenizer encode", "directory", "--tokenizer", "{tok_latin1}", "he works"),
    case("quiz", "quiz file", "00", "--no-record", root=BAD_QUIZ),
    case("manifest diff", "a", "{latin1}", "{latin1}"),
    case("lab run", "lab_id", "99-no-such-lab"),
]


@pytest.mark.parametrize("case", REAL_PROCESS, ids=lambda c: c.id)
def test_bad_input_in_a_real_process(case: Case, bad: dict[str, str]) -> None:
    code, stderr, everything = _as_process(case, bad)
    _assert_one_line_error(f"lynx {case.command} {case.argv}", code, stderr, everything)
