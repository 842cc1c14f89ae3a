"""tests/conftest.py under CI: a skip for want of torch (or of a PostgreSQL that CI found) fails the run.

Each case runs a tiny test session with a copy of the real conftest (in process: pytester restores
`sys.modules` afterwards); torch is hidden there by putting None in `sys.modules`, which makes `import torch`
raise ImportError exactly as a missing wheel does. A failing module-level skip is a collection error, which
interrupts a real session; these runs pass `--continue-on-collection-errors` to see every outcome at once.
"""

from __future__ import annotations

from pathlib import Path

import pytest

CONFTEST = Path(__file__).with_name("conftest.py")

HIDDEN_AT_COLLECTION = """
import sys
sys.modules["torch"] = None
import pytest
torch = pytest.importorskip("torch", reason="PyTorch is the oracle")

def test_uses_torch():
    pass
"""

HIDDEN_IN_TEST = """
import sys
import pytest

def test_oracle():
    sys.modules["torch"] = None
    pytest.importorskip("torch", reason="torch is the fp64 oracle")

def test_other_skip():
    pytest.skip("no GPU here")

def test_postgres():
    pytest.skip("PostgreSQL at LYNX_TEST_POSTGRES_URL is not reachable: OperationalError")
"""


@pytest.fixture
def session(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST.read_text(encoding="utf-8"))
    pytester.makepyfile(test_hidden_module=HIDDEN_AT_COLLECTION, test_hidden_call=HIDDEN_IN_TEST)
    wheels = pytester.mkdir("wheels")
    (wheels / "torch-2.13.0+cpu-cp311-cp311-linux_x86_64.whl").write_bytes(b"")
    for name in ("CI", "LYNX_REQUIRE_TORCH", "LYNX_TEST_POSTGRES_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheels))
    return pytester


def _run(pytester: pytest.Pytester) -> pytest.RunResult:
    return pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "--continue-on-collection-errors", "-rA"
    )


def test_outside_ci_torch_skips_stay_skips(session: pytest.Pytester) -> None:
    result = _run(session)
    result.assert_outcomes(skipped=4)


def test_under_ci_with_a_torch_wheel_a_torch_skip_fails(
    session: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    result = _run(session)
    result.assert_outcomes(
        failed=1, errors=1, skipped=2
    )  # the module-level skip is a collection error
    result.stdout.fnmatch_lines(["*torch is required here*PyTorch is the oracle*"])
    result.stdout.fnmatch_lines(["*FAILED test_hidden_call.py::test_oracle*"])
    assert result.ret != 0


def test_under_ci_without_a_wheel_torch_may_skip(
    session: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("PIP_FIND_LINKS", str(session.mkdir("empty")))
    _run(session).assert_outcomes(skipped=4)


def test_the_variable_forces_or_waives_the_requirement(
    session: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIP_FIND_LINKS", str(session.mkdir("empty")))
    monkeypatch.setenv("LYNX_REQUIRE_TORCH", "1")
    _run(session).assert_outcomes(failed=1, errors=1, skipped=2)
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("PIP_FIND_LINKS", str(session.path / "wheels"))
    monkeypatch.setenv("LYNX_REQUIRE_TORCH", "0")
    _run(session).assert_outcomes(skipped=4)


def test_under_ci_a_postgres_skip_fails_only_when_ci_found_a_server(
    session: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("LYNX_REQUIRE_TORCH", "0")
    _run(session).assert_outcomes(skipped=4)  # no URL: no server was found, skipping is honest
    monkeypatch.setenv("LYNX_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:1/test")
    result = _run(session)
    result.assert_outcomes(failed=1, skipped=3)
    result.stdout.fnmatch_lines(["*CI set LYNX_TEST_POSTGRES_URL*"])


def test_every_torch_importorskip_names_torch_in_its_reason() -> None:
    """The guard recognises a torch skip by its reason; a reason that hid the word would slip past it."""
    import ast

    missing = []
    for path in sorted(Path(__file__).parent.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and ast.unparse(node.func) == "pytest.importorskip"):
                continue
            module = ast.literal_eval(node.args[0]) if node.args else ""
            reason = next((k.value for k in node.keywords if k.arg == "reason"), None)
            if "torch" not in str(module):
                continue
            if reason is not None and "torch" not in ast.literal_eval(reason).lower():
                missing.append(f"{path.name}:{node.lineno}")
    assert not missing
