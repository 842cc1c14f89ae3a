"""Phase 30: xgrammar against our masks, by hand in a scratch venv (xgrammar is in no dependency group).

    uv venv /tmp/xg && VIRTUAL_ENV=/tmp/xg uv pip install --find-links /opt/wheels "torch==2.13.0+cpu" xgrammar
    uv run python scripts/xgrammar_export.py /tmp/xgb/data.json
    OMP_NUM_THREADS=1 /tmp/xg/bin/python scripts/xgrammar_check.py /tmp/xgb/data.json

The export holds the shipped vocabulary (hex), the conjugation schema, and for four regexes 300 random legal
token paths with our allowed set at every step; this script compiles each regex with xgrammar, replays the
paths, and counts the steps where xgrammar's bitmask differs from our set, plus compile and mask times.
"""

# ruff: noqa
import json, sys, time, numpy as np, xgrammar as xgr, torch

d = json.load(open(sys.argv[1]))
vocab = [bytes.fromhex(h) if h is not None else b"" for h in d["vocab"]]
stop = d["stop"]
V = len(vocab)
info = xgr.TokenizerInfo(vocab, stop_token_ids=[stop])
comp = xgr.GrammarCompiler(info, max_threads=1, cache_enabled=False)
res = {}
ts = []
for _ in range(9):
    t0 = time.perf_counter()
    g = comp.compile_json_schema(
        json.dumps(d["schema"]), any_whitespace=False, separators=(",", ":")
    )
    ts.append(time.perf_counter() - t0)
res["schema_compile_ms"] = float(np.median(ts)) * 1e3
for name, case in d["cases"].items():
    ts = []
    for _ in range(5):
        t0 = time.perf_counter()
        cr = comp.compile_regex(case["pattern"])
        ts.append(time.perf_counter() - t0)
    bitmask = xgr.allocate_token_bitmask(1, V)
    mism = 0
    steps = 0
    t_mask = 0.0
    for path, rows in zip(case["paths"], case["allowed"]):
        mt = xgr.GrammarMatcher(cr)
        for tok, row in zip(path, rows):
            t0 = time.perf_counter()
            mt.fill_next_token_bitmask(bitmask)
            t_mask += time.perf_counter() - t0
            words = bitmask[0].numpy().view(np.uint32)
            got = set(
                np.flatnonzero(np.unpackbits(words.view(np.uint8), bitorder="little")[:V]).tolist()
            )
            if got != set(row):
                mism += 1
            steps += 1
            if tok != stop:
                assert mt.accept_token(tok), (name, tok)
    res[name] = {
        "regex_compile_ms": float(np.median(ts)) * 1e3,
        "steps": steps,
        "mismatched_steps": mism,
        "fill_us_per_token": t_mask / steps * 1e6,
    }
# schema mask timing on the schema paths
case = d["cases"]["schema"]
bitmask = xgr.allocate_token_bitmask(1, V)
steps = 0
t0 = time.perf_counter()
for path in case["paths"]:
    mt = xgr.GrammarMatcher(g)
    for tok in path:
        mt.fill_next_token_bitmask(bitmask)
        steps += 1
        if tok != stop:
            mt.accept_token(tok)
res["schema_mask_us_per_token_incl_accept"] = (time.perf_counter() - t0) / steps * 1e6
res["xgrammar"] = xgr.__version__ if hasattr(xgr, "__version__") else "?"
res["torch"] = torch.__version__
print(json.dumps(res, indent=1))
