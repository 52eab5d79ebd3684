"""`make bench`: every benchmark in turn; JSON lines to stdout and var/bench/results.jsonl.

Quick by default (a few minutes on 2 cores); BENCH_FULL=1 runs the sizes docs/BENCHMARKS.md quotes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FULL = os.environ.get("BENCH_FULL") == "1"

BENCHES: list[list[str]] = [
    ["bench/ingest.py", "--n", "10000" if FULL else "1000"],
    ["bench/poll.py", "--n", "10000" if FULL else "2000"],
    ["bench/crash.py", "--kills", "20" if FULL else "5"],
    ["bench/contention.py", "--seconds", "60" if FULL else "10"],
    ["bench/rss.py"],
    ["bench/enrich.py"],
    ["bench/ingest.py", "--n", "1000" if FULL else "300", "--enrich"],
    ["bench/embed.py"],
    ["bench/vindex.py", "--n", "1000000" if FULL else "100000"],
    ["bench/search.py", "--n", "1000000" if FULL else "100000"],
    ["bench/extraction.py", "--peer"],
    # Site load: synthetic database (bench/synth.py, reused from var/bench/site/), real server.
    [
        "bench/site_load.py",
        "--n",
        "1000000" if FULL else "20000",
        "--seconds",
        "20" if FULL else "5",
    ],
    # JSON API and feeds out: open loop at 200/s and wrk, synthetic database in var/bench/api/.
    ["bench/api.py", "--n", "1000000" if FULL else "100000"],
    ["bench/images.py", "--n", "400" if FULL else "100"],
    ["bench/ratelimit.py", "--hits", "1000" if FULL else "300"],
    # Comments: 50 readers posting through the real form to gunicorn; moderation quality gate.
    ["bench/comments.py", "--seconds", "60" if FULL else "15"],
    ["bench/moderation_eval.py", "--check"],
    ["bench/moderation_eval.py", "--check", "--holdout"],
]


def main() -> None:
    out_dir = ROOT / "var" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    failed = []
    with (out_dir / "results.jsonl").open("a") as results:
        for argv in BENCHES:
            if not (ROOT / argv[0]).exists():
                continue
            print(f"== {' '.join(argv)}", flush=True)
            proc = subprocess.run([sys.executable, *argv], cwd=ROOT, capture_output=True, text=True)
            sys.stderr.write(proc.stderr[-3000:])
            for line in proc.stdout.splitlines():
                print(line, flush=True)
                if line.startswith("{"):
                    results.write(line + "\n")
            if proc.returncode != 0:
                failed.append(argv[0])
    if failed:
        sys.exit(f"benchmarks failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
