"""Writes docs/SETTINGS.md from config/options.py (run after adding a setting; a test checks the two agree)."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config.options import OPTIONS  # noqa: E402

lines = [
    "# Settings",
    "",
    "Every setting is read from the environment once, at start-up, from the one list in",
    "`config/options.py` (a test fails when a setting there is missing here).",
    "Regenerate with `.venv/bin/python scripts/settings_doc.py`.",
    "",
    "| name | default | what it does |",
    "|---|---|---|",
]
for opt in OPTIONS:
    lines.append(f"| `{opt.name}` | `{opt.default or '(empty)'}` | {opt.doc} |")
(ROOT / "docs" / "SETTINGS.md").write_text("\n".join(lines) + "\n")
