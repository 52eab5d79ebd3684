"""Vector index benchmark: build time, memory, query latency p50/p99 and recall@10 vs brute force.

Synthetic data: n unit vectors (384-d) drawn around n/100 random unit centres with gaussian noise
of the same norm (neighbours within a story score ~0.5-0.6 cosine, as related headlines do), seed
fixed. Queries are 1,000 fresh draws from the same mixture, run one at a time on one thread
through VectorIndex.search on the saved file mapped read-only (the cluster-mode path).

Usage: python bench/vindex.py [--n 1000000] [--queries 1000] [--ef 64,128] [--threads 2]
(1M takes ~27 min on 2 shared cores, almost all of it the HNSW build; --n 200000 takes ~3 min.)
Prints one JSON line, then a table.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from broadsheet.enrich.vindex import CONNECTIVITY, DIM, EXPANSION_ADD, VectorIndex  # noqa: E402


def mixture(n: int, centres: np.ndarray, noise: float, rng: np.random.Generator) -> np.ndarray:
    """mixture draws n unit vectors around the given centres, in chunks to bound memory."""
    out = np.empty((n, DIM), dtype=np.float32)
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        x = centres[rng.integers(0, len(centres), stop - start)]
        x = x + rng.standard_normal((stop - start, DIM), dtype=np.float32) * (noise / np.sqrt(DIM))
        out[start:stop] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def brute_top(data: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, float]:
    """brute_top returns the exact top-k ids per query and the mean time per query."""
    best_ids = np.empty((len(queries), 0), dtype=np.int64)
    best = np.empty((len(queries), 0), dtype=np.float32)
    t0 = time.perf_counter()
    for start in range(0, len(data), 200_000):
        scores = queries @ data[start : start + 200_000].T
        top = np.argpartition(-scores, k, axis=1)[:, :k]
        best = np.hstack([best, np.take_along_axis(scores, top, 1)])
        best_ids = np.hstack([best_ids, top + start])
        keep = np.argsort(-best, axis=1)[:, :k]
        best, best_ids = np.take_along_axis(best, keep, 1), np.take_along_axis(best_ids, keep, 1)
    return best_ids, (time.perf_counter() - t0) / len(queries)


def rss_mb() -> float:
    """rss_mb is this process's resident memory now, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _num(value: float, digits: int) -> float | None:
    return None if np.isnan(value) else round(value, digits)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--ef", default="64,128", help="expansion_search values to try")
    parser.add_argument("--connectivity", type=int, default=CONNECTIVITY)
    parser.add_argument("--expansion-add", type=int, default=EXPANSION_ADD)
    parser.add_argument("--noise", type=float, default=1.0)
    parser.add_argument("--threads", type=int, default=2, help="threads for the build")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--index",
        type=Path,
        help="keep the index file here; reuse it if present (same --n, --seed)",
    )
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    centres = rng.standard_normal((max(10, args.n // 100), DIM), dtype=np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    t0 = time.perf_counter()
    data = mixture(args.n, centres, args.noise, rng)
    queries = mixture(args.queries, centres, args.noise, rng)
    gen_s = time.perf_counter() - t0
    truth, brute_ms = brute_top(data, queries, args.k)
    single = []
    for q in queries[:20]:  # one query at a time, as an exact-only index would answer
        t0 = time.perf_counter()
        np.argpartition(-(data @ q), args.k)[: args.k]
        single.append(time.perf_counter() - t0)

    rss0 = rss_mb()
    build_s = save_s = rss_build = float("nan")
    with tempfile.TemporaryDirectory() as tmp:
        path = args.index or Path(tmp) / "vectors.usearch"
        if not (args.index and path.exists()):
            index = VectorIndex(
                DIM,
                exact_limit=0,
                connectivity=args.connectivity,
                expansion_add=args.expansion_add,
                threads=args.threads,
            )
            t0 = time.perf_counter()
            index.add(np.arange(args.n, dtype=np.int64), data)
            build_s = time.perf_counter() - t0
            rss_build = rss_mb() - rss0
            t0 = time.perf_counter()
            index.save(path)
            save_s = time.perf_counter() - t0
            del index
        file_mb = path.stat().st_size / 2**20

        runs = []
        for ef in (int(e) for e in args.ef.split(",")):
            t0 = time.perf_counter()
            view = VectorIndex.open(path, expansion_search=ef)
            open_s = time.perf_counter() - t0
            for q in queries[:50]:  # warm the page cache as a long-running process would be
                view.search(q, args.k)
            latencies, hits = [], 0
            for q, want in zip(queries, truth, strict=True):
                t0 = time.perf_counter()
                found = view.search(q, args.k)
                latencies.append(time.perf_counter() - t0)
                hits += len({i for i, _ in found} & set(want.tolist()))
            ms = np.array(latencies) * 1e3
            runs.append(
                {
                    "expansion_search": ef,
                    "recall_at_10": round(hits / (args.k * len(queries)), 4),
                    "p50_ms": round(float(np.percentile(ms, 50)), 3),
                    "p99_ms": round(float(np.percentile(ms, 99)), 3),
                    "open_view_s": round(open_s, 3),
                }
            )

    result = {
        "bench": "vindex",
        "n": args.n,
        "dim": DIM,
        "dtype": "i8",
        "connectivity": args.connectivity,
        "expansion_add": args.expansion_add,
        "build_threads": args.threads,
        "generate_s": round(gen_s, 1),
        # None when the index was reused from --index rather than built.
        "build_s": _num(build_s, 1),
        "build_per_s": _num(args.n / build_s, 0),
        "save_s": _num(save_s, 2),
        "rss_delta_build_mb": _num(rss_build, 0),
        "file_mb": round(file_mb),
        "brute_force_batched_ms_per_query": round(brute_ms * 1e3, 2),
        "brute_force_single_ms_p50": round(float(np.median(single)) * 1e3, 2),
        "runs": runs,
    }
    print(json.dumps(result))
    print(
        f"n={args.n:,} build {build_s:.0f}s ({args.n / build_s:,.0f}/s, {args.threads} threads), "
        f"file {file_mb:.0f} MB, RSS +{rss_build:.0f} MB, exact numpy {np.median(single) * 1e3:.1f} ms/query"
    )
    print(f"{'ef':>5} {'recall@10':>10} {'p50 ms':>8} {'p99 ms':>8}")
    for run in runs:
        print(
            f"{run['expansion_search']:>5} {run['recall_at_10']:>10.4f} {run['p50_ms']:>8.3f} {run['p99_ms']:>8.3f}"
        )


if __name__ == "__main__":
    main()
