"""Lab `29-index-scaling`: exact flat search against approximate indexes from 10³ to 10⁶ vectors.

Vectors are synthetic but clustered (a mixture of unit-sphere Gaussians, like real embeddings and unlike
uniform noise, which no approximate index can exploit). For each size: build time, per-query time, recall@10
against the exact answer, and bytes held, for our `FlatIndex` and `IVFIndex` and, when installed, faiss
`IndexFlatIP`, faiss `IndexHNSWFlat` and `hnswlib` — one thread each, same data, same queries, one run.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from lynx_cortex.labkit import settings
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.progress import track
from lynx_cortex.registry import LabContext, lab
from minirag.embed import l2_normalize
from minirag.index import FlatIndex, IVFIndex

Search = Callable[[npt.NDArray[np.float32], int], npt.NDArray[np.int64]]
K = 10


def clustered(
    rng: np.random.Generator, n: int, d: int, clusters: int = 256
) -> npt.NDArray[np.float32]:
    centres = l2_normalize(rng.normal(size=(clusters, d)))  # (C, d)
    which = rng.integers(0, clusters, size=n)
    return l2_normalize(centres[which] + rng.normal(scale=0.6 / np.sqrt(d), size=(n, d)))  # (n, d)


def _builders(
    d: int, seed: int
) -> dict[str, Callable[[npt.NDArray[np.float32]], tuple[Search, int]]]:
    """name -> build(vectors) -> (search, bytes); the libraries only when importable."""

    def flat(x: npt.NDArray[np.float32]) -> tuple[Search, int]:
        index = FlatIndex(x)
        return (lambda q, k: index.search(q, k)[0]), index.nbytes

    def ivf(x: npt.NDArray[np.float32]) -> tuple[Search, int]:
        index = IVFIndex(x, n_lists=max(1, int(np.sqrt(len(x)))), n_probe=8, seed=seed)
        return (lambda q, k: index.search(q, k)[0]), index.nbytes

    out: dict[str, Callable[[npt.NDArray[np.float32]], tuple[Search, int]]] = {
        "ours: flat": flat,
        "ours: IVF (nprobe 8)": ivf,
    }
    try:
        import faiss

        faiss.omp_set_num_threads(1)

        def faiss_flat(x: npt.NDArray[np.float32]) -> tuple[Search, int]:
            index = faiss.IndexFlatIP(d)
            index.add(x)
            return (lambda q, k: index.search(q, k)[1]), int(faiss.serialize_index(index).nbytes)

        def faiss_hnsw(x: npt.NDArray[np.float32]) -> tuple[Search, int]:
            index = faiss.IndexHNSWFlat(d, 32, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = 100
            index.add(x)
            index.hnsw.efSearch = 64
            return (lambda q, k: index.search(q, k)[1]), int(faiss.serialize_index(index).nbytes)

        out["faiss: IndexFlatIP"] = faiss_flat
        out["faiss: HNSW (M 32)"] = faiss_hnsw
    except ImportError:
        pass
    try:
        import hnswlib

        def hnsw(x: npt.NDArray[np.float32]) -> tuple[Search, int]:
            index = hnswlib.Index(space="ip", dim=d)
            index.init_index(max_elements=len(x), ef_construction=100, M=16, random_seed=seed)
            index.set_num_threads(1)
            index.add_items(x)
            index.set_ef(64)
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "hnsw.bin"
                index.save_index(str(path))
                size = path.stat().st_size
            return (lambda q, k: index.knn_query(q, k=k)[0].astype(np.int64)), size

        out["hnswlib (M 16)"] = hnsw
    except ImportError:
        pass
    return out


def _recall(found: npt.NDArray[np.int64], exact: npt.NDArray[np.int64]) -> float:
    return float(
        np.mean([len(set(a) & set(b)) / exact.shape[1] for a, b in zip(found, exact, strict=True)])
    )


@lab("29-index-scaling", title="Flat against approximate vector indexes, 10³ to 10⁶ vectors")
def index_scaling(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(
        ctx,
        {
            "smoke": {"sizes": [500, 2000], "dim": 16, "queries": 30},
            "default": {"sizes": [1000, 10_000, 100_000], "dim": 64, "queries": 200},
            "full": {"sizes": [1000, 10_000, 100_000, 1_000_000], "dim": 64, "queries": 200},
        },
    )
    d, n_queries = int(cfg["dim"]), int(cfg["queries"])
    builders = _builders(d, ctx.seed)
    results: dict[str, dict[str, list[float]]] = {
        name: {"build_s": [], "query_ms": [], "recall@10": [], "bytes": []} for name in builders
    }
    for n in track([int(x) for x in cfg["sizes"]], desc="index sizes"):
        x = clustered(ctx.rng, n, d)
        q = clustered(ctx.rng, n_queries, d)
        exact = FlatIndex(x).search(q, K)[0]
        for name, build in builders.items():
            t0 = time.perf_counter()
            search, nbytes = build(x)
            built = time.perf_counter() - t0
            t0 = time.perf_counter()
            found = np.vstack(
                [search(q[i : i + 1], K) for i in range(n_queries)]
            )  # one query at a time
            per_query = (time.perf_counter() - t0) / n_queries
            row = results[name]
            row["build_s"].append(built)
            row["query_ms"].append(1000 * per_query)
            row["recall@10"].append(_recall(found, exact))
            row["bytes"].append(float(nbytes))
    sizes = [int(x) for x in cfg["sizes"]]
    fig, axes = figure(1, 3, width=13.0)
    for name, row in results.items():
        axes[0].plot(sizes, row["query_ms"], marker="o", label=name)
        axes[1].plot(sizes, row["recall@10"], marker="o", label=name)
        axes[2].plot(sizes, row["build_s"], marker="o", label=name)
    axes[0].set(xscale="log", yscale="log", xlabel="vectors", ylabel="ms per query (1 thread)")
    axes[1].set(xscale="log", xlabel="vectors", ylabel="recall@10", ylim=(0, 1.05))
    axes[2].set(xscale="log", yscale="log", xlabel="vectors", ylabel="build seconds")
    axes[0].legend(fontsize=7)
    save_png(
        fig, ctx.path("index_scaling.png"), title="Exact flat search against approximate indexes"
    )
    flat = results["ours: flat"]["query_ms"]
    return {
        "sizes": sizes,
        "dim": d,
        "indexes": results,
        "query_time_over_our_flat": {
            name: [t / f for t, f in zip(row["query_ms"], flat, strict=True)]
            for name, row in results.items()
        },
    }


__all__ = ["clustered", "index_scaling"]
