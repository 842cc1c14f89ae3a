#!/usr/bin/env python3
"""Pre-commit hook: reject code that can unpickle data.

Unpickling runs arbitrary code from the file being loaded, so a downloaded checkpoint or array could own the
machine. The project stores tensors as safetensors and everything else as JSON. This hook flags, in Python
files given on the command line:

- `pickle.load(...)` / `pickle.loads(...)` (also through `import pickle as p`, `from pickle import load`,
  `cPickle`, `_pickle`, `dill`);
- `torch.load(...)` without `weights_only=True`;
- any call passing `allow_pickle=True` (e.g. `np.load`).

It reads the syntax tree, not the text, so strings and comments that mention these names are fine. A line that
really must do it can end with `# nosec safe-source: <reason>`. Output is `path:line:col: message`; exit 1 on
any finding. Stdlib only, so it runs before the project is installed.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

PICKLE_MODULES = frozenset({"pickle", "cPickle", "_pickle", "dill"})
LOADERS = frozenset({"load", "loads"})
WAIVER = "# nosec safe-source:"
HINT = "use safetensors for tensors and JSON for everything else"


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.message}"


class _Visitor(ast.NodeVisitor):
    def __init__(self) -> None:
        self.pickle_aliases: set[str] = set(PICKLE_MODULES)
        self.loader_aliases: dict[str, str] = {}
        self.torch_aliases: set[str] = {"torch"}
        self.torch_load_aliases: set[str] = set()
        self.hits: list[tuple[int, int, str]] = []

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name in PICKLE_MODULES:
                self.pickle_aliases.add(alias.asname or alias.name)
            elif alias.name == "torch":
                self.torch_aliases.add(alias.asname or alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            if node.module in PICKLE_MODULES and alias.name in LOADERS:
                self.loader_aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif node.module == "torch" and alias.name == "load":
                self.torch_load_aliases.add(alias.asname or alias.name)

    def _flag(self, node: ast.AST, message: str) -> None:
        self.hits.append((getattr(node, "lineno", 0), getattr(node, "col_offset", 0) + 1, message))

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            owner, attr = func.value.id, func.attr
            if owner in self.pickle_aliases and attr in LOADERS:
                self._flag(node, f"LX001 {owner}.{attr}() unpickles untrusted bytes; {HINT}")
            if owner in self.torch_aliases and attr == "load" and not _weights_only(node):
                self._flag(
                    node,
                    "LX002 torch.load() without weights_only=True can unpickle code; pass it or use safetensors",
                )
        elif isinstance(func, ast.Name):
            if func.id in self.loader_aliases:
                self._flag(
                    node,
                    f"LX001 {self.loader_aliases[func.id]}() unpickles untrusted bytes; {HINT}",
                )
            if func.id in self.torch_load_aliases and not _weights_only(node):
                self._flag(
                    node,
                    "LX002 torch.load() without weights_only=True can unpickle code; pass it or use safetensors",
                )
        for keyword in node.keywords:
            if keyword.arg == "allow_pickle" and not _is_false(keyword.value):
                self._flag(
                    keyword.value,
                    "LX003 allow_pickle=True lets np.load run pickled code; store plain arrays",
                )
        self.generic_visit(node)


def _is_true(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _is_false(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def _weights_only(call: ast.Call) -> bool:
    return any(k.arg == "weights_only" and _is_true(k.value) for k in call.keywords)


def scan_source(source: str, path: str) -> list[Finding]:
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as exc:
        return [Finding(path, exc.lineno or 0, (exc.offset or 0), f"LX000 cannot parse: {exc.msg}")]
    visitor = _Visitor()
    visitor.visit(tree)
    lines = source.splitlines()
    findings = []
    for line, col, message in sorted(set(visitor.hits)):
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        if WAIVER in text:
            continue
        findings.append(Finding(path, line, col, message))
    return findings


def iter_findings(paths: Sequence[str]) -> Iterator[Finding]:
    for name in paths:
        path = Path(name)
        if path.suffix != ".py" or not path.is_file():
            continue
        yield from scan_source(path.read_text(encoding="utf-8", errors="replace"), name)


def main(argv: Sequence[str] | None = None) -> int:
    findings = list(iter_findings(sys.argv[1:] if argv is None else argv))
    for finding in findings:
        print(finding)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
