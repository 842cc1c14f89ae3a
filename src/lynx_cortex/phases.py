"""The 42 phases of the course: number, slug, bilingual title and the packages that implement each.

This is the one table the CLI, `phase check` and the portal read; docs and quizzes are found by slug
(`docs/phase-NN-<slug>/README.md`, `data/quizzes/phase-NN-<slug>.yaml`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lynx_cortex.errors import LynxError
from lynx_cortex.paths import data_dir, docs_dir


@dataclass(frozen=True)
class Phase:
    number: int
    slug: str
    title_en: str
    title_es: str
    packages: tuple[str, ...]

    @property
    def code(self) -> str:
        return f"{self.number:02d}"

    @property
    def dirname(self) -> str:
        return f"phase-{self.code}-{self.slug}"

    @property
    def docs_path(self) -> Path:
        return docs_dir() / self.dirname / "README.md"

    @property
    def quiz_path(self) -> Path:
        return data_dir() / "quizzes" / f"{self.dirname}.yaml"

    @property
    def test_paths(self) -> tuple[str, ...]:
        """Test folders that exercise this phase's packages (tests mirror the packages)."""
        return tuple(f"tests/{package}" for package in self.packages)


def _p(number: int, slug: str, en: str, es: str, *packages: str) -> Phase:
    return Phase(number, slug, en, es, packages)


PHASES: tuple[Phase, ...] = (
    _p(0, "foundations", "Foundations", "Fundamentos", "lynx_cortex"),
    _p(
        1,
        "hardware-substrate",
        "Hardware and compute substrate",
        "Hardware y sustrato de cómputo",
        "minigrad",
    ),
    _p(
        2,
        "numerical-representation",
        "Numerical representation",
        "Representación numérica",
        "minigrad",
    ),
    _p(
        3,
        "linear-algebra",
        "Linear algebra from first principles",
        "Álgebra lineal desde cero",
        "minigrad",
    ),
    _p(
        4,
        "calculus-optimization",
        "Calculus and optimisation",
        "Cálculo y optimización",
        "minigrad",
    ),
    _p(
        5,
        "probability-information",
        "Probability and information theory",
        "Probabilidad e información",
        "minigrad",
    ),
    _p(
        6,
        "python-engineering",
        "Python for AI engineering",
        "Python para ingeniería de IA",
        "minigrad",
    ),
    _p(7, "scalar-autograd", "Scalar autograd", "Autograd escalar", "minigrad"),
    _p(8, "tensor-autograd", "Tensor autograd", "Autograd de tensores", "minigrad"),
    _p(
        9, "mlp-modules", "MLPs, modules and optimisers", "MLP, módulos y optimizadores", "minigrad"
    ),
    _p(
        10,
        "init-norm-residuals",
        "Initialisation, normalisation, residuals",
        "Inicialización, normalización, residuales",
        "minigrad",
    ),
    _p(11, "tokenization", "Tokenisation and BPE", "Tokenización y BPE", "minitoken"),
    _p(
        12,
        "corpus-design",
        "Designing the verb corpus",
        "Diseño del corpus de verbos",
        "minicorpus",
    ),
    _p(13, "embeddings", "Embeddings", "Embeddings", "minimodel"),
    _p(
        14,
        "pre-transformer-sequence",
        "Sequence models before transformers",
        "Modelos secuenciales pre-transformer",
        "minimodel",
    ),
    _p(15, "attention", "Attention from scratch", "Atención desde cero", "minimodel"),
    _p(
        16,
        "positional-encodings",
        "Positional encodings",
        "Codificaciones posicionales",
        "minimodel",
    ),
    _p(
        17,
        "mini-gpt",
        "A tiny transformer: Mini-GPT",
        "Un transformer diminuto: Mini-GPT",
        "minimodel",
    ),
    _p(
        18,
        "training-loop",
        "The training loop and checkpoints",
        "Bucle de entrenamiento y checkpoints",
        "minitrain",
    ),
    _p(
        19,
        "training-dynamics",
        "Training dynamics and debugging",
        "Dinámica de entrenamiento y depuración",
        "minitrain",
    ),
    _p(20, "evaluation-harness", "The evaluation harness", "El arnés de evaluación", "minieval"),
    _p(21, "inference-sampling", "Inference and sampling", "Inferencia y muestreo", "miniinfer"),
    _p(22, "kv-cache", "The KV cache", "La caché KV", "miniinfer", "minimodel"),
    _p(23, "gpu-fundamentals", "GPU fundamentals", "Fundamentos de GPU", "minikernel"),
    _p(24, "cuda-triton", "CUDA and Triton kernels", "Kernels en CUDA y Triton", "minikernel"),
    _p(25, "pytorch-internals", "PyTorch internals", "Interioridades de PyTorch", "minikernel"),
    _p(26, "quantization", "Quantisation", "Cuantización", "miniquant"),
    _p(
        27,
        "modern-attention",
        "Modern attention optimisations",
        "Optimizaciones modernas de atención",
        "minimodel",
    ),
    _p(
        28,
        "lora-qlora",
        "Fine-tuning with LoRA and QLoRA",
        "Ajuste fino con LoRA y QLoRA",
        "minituner",
    ),
    _p(
        29,
        "rag",
        "Retrieval-augmented generation",
        "Generación aumentada por recuperación",
        "minirag",
    ),
    _p(
        30,
        "structured-generation",
        "Structured generation",
        "Generación estructurada",
        "ministruct",
    ),
    _p(31, "tools-mcp", "Tool use and MCP", "Uso de herramientas y MCP", "miniagent"),
    _p(32, "agents", "Agents", "Agentes", "miniagent"),
    _p(33, "inference-serving", "Inference serving", "Servir inferencia", "miniserve"),
    _p(34, "observability-cost", "Observability and cost", "Observabilidad y coste", "miniobserve"),
    _p(
        35,
        "distributed",
        "Distributed training and inference",
        "Entrenamiento e inferencia distribuidos",
        "minitrain",
    ),
    _p(
        36,
        "frontier-architectures",
        "Frontier architectures",
        "Arquitecturas de frontera",
        "minimodel",
    ),
    _p(37, "security-safety", "Security and safety", "Seguridad y protección", "miniserve"),
    _p(38, "mlops", "MLOps", "MLOps", "minimlops"),
    _p(
        39,
        "capstone",
        "Capstone: the production system in miniature",
        "Proyecto final: el sistema en miniatura",
        "miniagent",
        "miniserve",
    ),
    _p(
        40,
        "hardening-postmortem",
        "Hardening and post-mortem",
        "Endurecimiento y post-mortem",
        "lynx_cortex",
    ),
    _p(
        41,
        "learner-portal",
        "The learner portal",
        "El portal del alumno",
        "miniportal",
        "minivault",
        "minireview",
    ),
)

_BY_NUMBER = {phase.number: phase for phase in PHASES}


def get_phase(number: int) -> Phase:
    try:
        return _BY_NUMBER[number]
    except KeyError:
        raise LynxError(f"phase must be a number from 00 to 41, got {number}") from None
