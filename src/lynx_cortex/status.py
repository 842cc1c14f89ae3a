"""Which packages and phases are built: derived from the phase table and the files that exist, never typed.

README.md and docs/ARCHITECTURE.md carry a block between `<!-- status:begin -->` and `<!-- status:end -->`
that this module renders, so a claim about what the project holds cannot drift from the code: a test renders
the blocks again and compares them with the committed files, and `uv run python scripts/gen_status.py`
rewrites them.

The rules (also stated in the generated blocks):

- a **package** is built when `src/<package>/` holds at least one Python module besides `__init__.py` files
  (a package that is only its one-line docstring is planned);
- a **phase** is built when its page `docs/phase-NN-<slug>/README.md` and its quiz
  `data/quizzes/phase-NN-<slug>.yaml` exist, every package `PHASES` lists for it is built, and at least one lab
  with an id starting `NN-` is declared (`@lab("NN-…")`) in a `labs/` folder under `src/`.

Only the filesystem is read (the lab scan is textual): nothing is imported, so the check is fast and works on
a checkout whose optional pieces fail to import.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from lynx_cortex.errors import LynxError
from lynx_cortex.paths import project_root
from lynx_cortex.phases import PHASES, Phase

BEGIN: Final = "<!-- status:begin -->"
END: Final = "<!-- status:end -->"
REGENERATE: Final = "uv run python scripts/gen_status.py"

#: What each package holds once built (or is planned to hold); the status column is computed, never written here.
SUMMARIES: Final[dict[str, str]] = {
    "lynx_cortex": "the `lynx` CLI, seeding, run manifests and diff, lab/break/phase registries, quizzes, learner workspace",
    "minigrad": "numerics, linear algebra, probability, scalar and tensor autograd, modules, init, optimisers",
    "minitoken": "byte-level BPE tokenizer",
    "minicorpus": "the bilingual verb corpus and its truth table",
    "minimodel": "embeddings, n-gram/RNN baselines, attention, positions, MiniGPT, KV cache, FlashAttention reference, GQA/MQA, sliding window, paged KV; later MoE",
    "minitrain": "batching, training loop, checkpoints, inspector, dashboard; later distributed training",
    "minieval": "evaluation harness: probe sets, candidate scoring, slices, calibration, reports",
    "miniinfer": "sampling strategies and generation with the KV cache",
    "minikernel": "device query, bandwidth and roofline tools, fused kernels with NumPy fallbacks",
    "miniquant": "INT8/INT4 quantisation, GPTQ, NF4",
    "minituner": "LoRA and QLoRA fine-tuning",
    "minirag": "retrieval over a grammar-rule knowledge base",
    "ministruct": "constrained decoding: regex and JSON-Schema logit masks",
    "miniagent": "tools, MCP, the agent loop and the grammar tutor",
    "miniserve": "the tutor's HTTP service and its security middleware",
    "miniobserve": "metrics, tracing, logs and cost tracking",
    "minimlops": "model registry, lineage, drift, deploy gates",
    "miniportal": "the learner portal (web app, accounts, quizzes, exams, review, dashboard, backups)",
    "minivault": "password hashing and column encryption for the portal",
    "minireview": "spaced repetition: SM-2 and FSRS schedulers, simulated learners",
}

_LAB_ID = re.compile(r"""@lab\(\s*["'](\d{2})-""")


@dataclass(frozen=True)
class PhaseStatus:
    phase: Phase
    docs: bool
    quiz: bool
    labs: int
    packages_built: bool

    @property
    def built(self) -> bool:
        return self.docs and self.quiz and self.labs > 0 and self.packages_built


@dataclass(frozen=True)
class PackageStatus:
    name: str
    built: bool
    phases: tuple[PhaseStatus, ...]


@dataclass(frozen=True)
class Status:
    packages: tuple[PackageStatus, ...]
    phases: tuple[PhaseStatus, ...]


def package_built(root: Path, name: str) -> bool:
    """True when `src/<name>/` holds a module other than `__init__.py` (a stub is only its docstring)."""
    folder = root / "src" / name
    return any(path.name != "__init__.py" for path in folder.rglob("*.py"))


def lab_counts(root: Path) -> dict[int, int]:
    """Labs declared per phase, read from the text of every `labs/` module under `src/`."""
    counts: dict[int, int] = {}
    for path in sorted((root / "src").glob("*/labs/**/*.py")):
        for code in _LAB_ID.findall(path.read_text(encoding="utf-8")):
            counts[int(code)] = counts.get(int(code), 0) + 1
    return counts


def _phase_paths(root: Path, phase: Phase) -> tuple[Path, Path]:
    return (
        root / "docs" / phase.dirname / "README.md",
        root / "data" / "quizzes" / f"{phase.dirname}.yaml",
    )


def collect(root: Path | None = None) -> Status:
    """The status of every package and phase in the checkout at `root` (default: the project root)."""
    base = project_root() if root is None else root
    labs = lab_counts(base)
    names = list(dict.fromkeys(p for phase in PHASES for p in phase.packages))
    built = {name: package_built(base, name) for name in names}
    phases = []
    for phase in PHASES:
        docs, quiz = _phase_paths(base, phase)
        phases.append(
            PhaseStatus(
                phase=phase,
                docs=docs.is_file(),
                quiz=quiz.is_file(),
                labs=labs.get(phase.number, 0),
                packages_built=all(built[name] for name in phase.packages),
            )
        )
    packages = tuple(
        PackageStatus(name, built[name], tuple(s for s in phases if name in s.phase.packages))
        for name in names
    )
    return Status(packages=packages, phases=tuple(phases))


def unlisted_packages(root: Path | None = None) -> list[str]:
    """Top-level packages under `src/` that no phase lists (each should belong to a phase)."""
    base = project_root() if root is None else root
    listed = {p for phase in PHASES for p in phase.packages}
    return sorted(
        path.parent.name
        for path in (base / "src").glob("*/__init__.py")
        if path.parent.name not in listed
    )


def ranges(numbers: Iterable[int]) -> str:
    """Phase numbers as compact ranges: [0, 1, 2, 5, 7, 8] -> '00–02, 05, 07–08'."""
    runs: list[list[int]] = []
    for n in sorted(set(numbers)):
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ", ".join(f"{r[0]:02d}" if len(r) == 1 else f"{r[0]:02d}–{r[-1]:02d}" for r in runs)


def _phases_cell(package: PackageStatus) -> str:
    built = [s.phase.number for s in package.phases if s.built]
    planned = [s.phase.number for s in package.phases if not s.built]
    if not built:
        return ranges(planned)
    return ranges(built) + (f" (planned: {ranges(planned)})" if planned else "")


def _word(built: bool) -> str:
    return "built" if built else "planned"


_NOTE = (
    f"<!-- Generated from lynx_cortex.phases.PHASES and the files that exist by `{REGENERATE}`. -->"
)
_WIDTH = 110
_RULE = (
    "A package is *built* when `src/<package>/` holds modules beyond its `__init__.py`; a phase is *built* "
    "when its page (`docs/phase-NN-<slug>/`), its quiz (`data/quizzes/`), at least one `NN-` lab and all its "
    "packages exist. Everything else is *planned*: described here, not yet in the code."
)


def _headline(status: Status) -> str:
    built = [s.phase.number for s in status.phases if s.built]
    planned = [s.phase.number for s in status.phases if not s.built]
    line = f"**Built: {len(built)} of {len(status.phases)} phases** ({ranges(built) or 'none'})"
    return line + (f"; planned: {ranges(planned)}." if planned else ".")


def _prose(*sentences: str) -> list[str]:
    """Sentences as one paragraph wrapped like the hand-written Markdown around it."""
    return textwrap.wrap(" ".join(sentences), _WIDTH, break_on_hyphens=False)


def render_readme(status: Status) -> str:
    """The README block: the headline and one row per package."""
    rows = [
        "| package | phases | status | what it holds |",
        "|---|---|---|---|",
        *(
            f"| `{p.name}` | {_phases_cell(p)} | {_word(p.built)} | {SUMMARIES.get(p.name, '')} |"
            for p in status.packages
        ),
    ]
    return "\n".join([_NOTE, *_prose(_headline(status), _RULE), "", *rows])


def render_architecture(status: Status) -> str:
    """The ARCHITECTURE block: which packages are built, then every phase with what exists for it."""
    built = ", ".join(f"`{p.name}`" for p in status.packages if p.built)
    planned = ", ".join(f"`{p.name}`" for p in status.packages if not p.built)
    rows = [
        "| phase | title | packages | page | quiz | labs | status |",
        "|---|---|---|---|---|---|---|",
        *(
            f"| {s.phase.code} | {s.phase.title_en} | "
            f"{', '.join(f'`{name}`' for name in s.phase.packages)} | "
            f"{'yes' if s.docs else '—'} | {'yes' if s.quiz else '—'} | {s.labs or '—'} | "
            f"{_word(s.built)} |"
            for s in status.phases
        ),
    ]
    packages = [f"Built packages: {built}."]
    if planned:
        packages.append(f"Planned packages (a docstring-only `__init__.py` so far): {planned}.")
    return "\n".join([_NOTE, *_prose(_headline(status), _RULE), "", *_prose(*packages), "", *rows])


def replace_block(text: str, block: str, where: str) -> str:
    """`text` with everything between the status markers replaced by `block`."""
    if text.count(BEGIN) != 1 or text.count(END) != 1 or text.index(BEGIN) > text.index(END):
        raise LynxError(
            f"{where} must hold exactly one {BEGIN} … {END} pair, in that order, to receive the status block"
        )
    head, rest = text.split(BEGIN)
    _, tail = rest.split(END)
    return f"{head}{BEGIN}\n{block}\n{END}{tail}"


def rendered(root: Path | None = None) -> dict[Path, str]:
    """Every file that carries a status block, with the content it should have now."""
    base = project_root() if root is None else root
    status = collect(base)
    out = {}
    for rel, render in (
        ("README.md", render_readme),
        ("docs/ARCHITECTURE.md", render_architecture),
    ):
        path = base / rel
        if not path.is_file():
            raise LynxError(f"{path} is missing; it should carry the status block")
        out[path] = replace_block(path.read_text(encoding="utf-8"), render(status), rel)
    return out


def stale_blocks(root: Path | None = None) -> dict[Path, str]:
    """The files whose status block differs from what the code says now, with the content they should have."""
    return {
        path: text
        for path, text in rendered(root).items()
        if path.read_text(encoding="utf-8") != text
    }
