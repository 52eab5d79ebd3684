"""The quality gates, run in CI: extraction F1 and the NLP floors, measured on ../shared/data.

Each gate is a benchmark script that exits non-zero when a figure falls under its floor; the floors
live in those scripts with their anchors. Skipped, with a message, where ../shared is absent.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"

pytestmark = pytest.mark.skipif(
    not DATA.is_dir(), reason=f"quality gates need {DATA}, which is absent here"
)


@pytest.mark.parametrize("script", ["bench/extraction.py", "bench/eval_nlp.py"])
def test_gate(script: str) -> None:
    if not (ROOT / script).exists():
        pytest.skip(f"{script} is not written yet")
    proc = subprocess.run(
        [sys.executable, script], cwd=ROOT, capture_output=True, text=True, timeout=1200
    )
    print(proc.stdout[-4000:])
    assert proc.returncode == 0, (
        f"{script} failed its gate:\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}"
    )
