from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from lynx_cortex.paths import project_root

SCRIPT = project_root() / "scripts" / "forbid_pickle.py"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("forbid_pickle", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


guard = load_script()


@pytest.mark.parametrize(
    ("source", "codes"),
    [
        ("import pickle\npickle.load(open('m', 'rb'))\n", ["LX001"]),
        ("import pickle\ndata = pickle.loads(b'x')\n", ["LX001"]),
        ("import pickle as pk\npk.loads(b'x')\n", ["LX001"]),
        ("from pickle import loads as l\nl(b'x')\n", ["LX001"]),
        ("import dill\ndill.load(f)\n", ["LX001"]),
        ("import torch\ntorch.load('ckpt.pt')\n", ["LX002"]),
        ("import torch\ntorch.load('ckpt.pt', weights_only=False)\n", ["LX002"]),
        ("from torch import load\nload('x')\n", ["LX002"]),
        ("import numpy as np\nnp.load('a.npy', allow_pickle=True)\n", ["LX003"]),
        ("import numpy as np\nnp.load('a.npy', allow_pickle=flag)\n", ["LX003"]),
        ("import pickle\npickle.loads(b'x')  # nosec safe-source: fixture we wrote\n", []),
        ("import pickle\n", []),
        ("import torch\ntorch.load('ckpt.pt', weights_only=True)\n", []),
        ("import numpy as np\nnp.load('a.npy', allow_pickle=False)\n", []),
        ("msg = 'never call pickle.load(x) or torch.load(p)'\n", []),
    ],
)
def test_detections(source: str, codes: list[str]) -> None:
    findings = guard.scan_source(source, "mod.py")
    assert [f.message.split()[0] for f in findings] == codes
    for finding in findings:
        assert str(finding).startswith("mod.py:2:")


def test_cli_output_and_exit(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import pickle\nx = pickle.load(f)\n")
    good = tmp_path / "good.py"
    good.write_text("import json\n")
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), str(bad), str(good)], capture_output=True, text=True
    )
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        f"{bad}:2:5: LX001 pickle.load() unpickles untrusted bytes; use safetensors for tensors and JSON for everything else"
    ]
    clean = subprocess.run([sys.executable, str(SCRIPT), str(good)], capture_output=True, text=True)
    assert clean.returncode == 0 and clean.stdout == ""
    nothing = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True)
    assert nothing.returncode == 0


def test_the_repository_has_no_pickle() -> None:
    files = []
    for folder, subfolders, names in os.walk(project_root()):
        subfolders[:] = [d for d in subfolders if d not in {".venv", ".git"}]  # not walked at all
        files += [os.path.join(folder, name) for name in names if name.endswith(".py")]
    findings = list(guard.iter_findings(files))
    assert findings == [], "\n".join(map(str, findings))
