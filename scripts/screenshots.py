"""Re-take the site's screenshots in docs/screenshots/: python scripts/screenshots.py [FOLDER].

Runs tests/browser/test_screenshots.py (headless Chromium against a live server holding the
browser tests' newsroom), then shrinks each PNG to a 256-colour palette when that makes it smaller.
Needs what the browser tests need: Playwright and /usr/bin/chromium (make browser-deps).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def shrink(png: Path) -> None:
    """shrink re-encodes a PNG with a palette (libvips + libimagequant) if that is smaller."""
    import pyvips  # heavy: only here

    image = pyvips.Image.new_from_file(str(png), access="sequential")
    data = image.pngsave_buffer(palette=True, Q=90, effort=10, compression=9, strip=True)
    if len(data) < png.stat().st_size:
        png.write_bytes(data)


def main() -> int:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
    folder = folder.resolve()
    env = {
        **os.environ,
        "BROADSHEET_SCREENSHOTS": str(folder),
        "BROADSHEET_HOME": os.environ.get("BROADSHEET_HOME", str(ROOT / "var" / "screenshots")),
    }
    Path(env["BROADSHEET_HOME"]).mkdir(parents=True, exist_ok=True)
    test = ROOT / "tests" / "browser" / "test_screenshots.py"
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", str(test)], cwd=ROOT, env=env)
    if done.returncode != 0:
        return done.returncode
    pngs = sorted(folder.glob("*.png"))
    for png in pngs:
        shrink(png)
    total = sum(p.stat().st_size for p in pngs)
    print(f"{len(pngs)} screenshots in {folder}, {total / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
