"""`make run`'s process set: web server, worker and scheduler start together and Ctrl-C stops them all."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_procfile_starts_everything_and_ctrl_c_stops_it(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "BROADSHEET_HOME": str(tmp_path),
        "BROADSHEET_PORT": str(port),
        "DATABASE_URL": "",
    }
    # migrate, not setup: setup would subscribe to real publishers, and tests never leave loopback.
    subprocess.run(
        [str(BIN / "broadsheet"), "manage", "migrate", "-v0"], env=env, check=True, cwd=ROOT
    )
    proc = subprocess.Popen(
        [str(BIN / "honcho"), "-f", "Procfile", "start"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            raise AssertionError("web server did not answer within 60 s")
        assert "Latest" in httpx.get(f"http://127.0.0.1:{port}/").text
        time.sleep(2)  # let the worker and scheduler finish starting
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        output = proc.communicate(timeout=30)[0].decode()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    for name in ("web.1", "worker.1", "scheduler.1"):
        assert f"{name} | " in output or f"{name}" in output, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    # Nothing of the process group is left running (gunicorn workers, db_worker, scheduler).
    time.sleep(0.5)
    left = subprocess.run(
        ["pgrep", "-g", str(proc.pid)], capture_output=True, text=True
    ).stdout.split()
    assert left == [], f"still running after Ctrl-C: {left}"
