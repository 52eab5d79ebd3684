"""The resized-image cache on disk: one file per (url, width, quality, format), written atomically.

Files live under BROADSHEET_HOME/img-cache/ab/abcdef….webp; a refused source leaves a small
abcdef….refused beside them, so asking again does not fetch it again. A hit refreshes the file's mtime at
most once a day, so pruning (oldest mtime first) keeps what is still being asked for.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

from .formats import Output

PRUNE_EVERY = 256  # writes per process between two size checks
TOUCH_AFTER = 86400.0
_writes = itertools.count(1)
_prune_lock = threading.Lock()


def cache_dir() -> Path:
    """cache_dir is where resized images are kept."""
    return Path(settings.HOME) / "img-cache"


def cache_key(url: str, width: int, quality: int, output: Output) -> str:
    """cache_key is the sha256 naming one rendition of url."""
    return hashlib.sha256(f"{width}:{quality}:{output.name}:{url}".encode()).hexdigest()


def _path(key: str, output: Output) -> Path:
    return cache_dir() / key[:2] / f"{key}{output.suffix}"


def cache_open(key: str, output: Output) -> BinaryIO | None:
    """cache_open opens the cached file for key for reading, or returns None."""
    path = _path(key, output)
    try:
        f = path.open("rb")
    except OSError:
        return None
    now = time.time()
    with contextlib.suppress(OSError):
        if now - os.fstat(f.fileno()).st_mtime > TOUCH_AFTER:
            os.utime(path, (now, now))
    return f


def cache_put(key: str, output: Output, data: bytes) -> Path:
    """cache_put stores data for key (temporary file, then rename) and returns its path."""
    path = _path(key, output)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if next(_writes) % PRUNE_EVERY == 0:
        cache_prune(max_bytes=int(settings.BROADSHEET["BROADSHEET_IMAGE_CACHE_MB"]) << 20)
    return path


def refusal_put(key: str, status: int, message: str) -> None:
    """refusal_put remembers that key's source was refused, so asking again costs no fetch."""
    path = cache_dir() / key[:2] / f"{key}.refused"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "w") as f:
        f.write(f"{status}\n{message}")
    os.replace(tmp, path)


def refusal_get(key: str, *, ttl: dict[int, float]) -> tuple[int, str] | None:
    """refusal_get returns the (status, message) remembered for key if still within its status's ttl."""
    path = cache_dir() / key[:2] / f"{key}.refused"
    try:
        with path.open() as f:
            age = time.time() - os.fstat(f.fileno()).st_mtime
            status, _, message = f.read(200).partition("\n")
    except (OSError, UnicodeDecodeError):
        return None
    if not status.isdigit() or age > ttl.get(int(status), 0):
        return None
    return int(status), message


def cache_prune(*, max_bytes: int) -> int:
    """cache_prune deletes the least recently used files until the cache is within 90% of max_bytes; returns how many."""
    if not _prune_lock.acquire(blocking=False):
        return 0  # another thread of this process is already at it
    try:
        files = []
        total = 0
        for entry in _walk(cache_dir()):
            try:
                st = entry.stat()
            except OSError:
                continue
            files.append((st.st_mtime, st.st_size, entry.path))
            total += st.st_size
        if total <= max_bytes:
            return 0
        removed = 0
        target = max_bytes * 9 // 10
        for _, size, path in sorted(files):
            if total <= target:
                break
            try:
                os.unlink(path)
            except OSError:
                continue
            total -= size
            removed += 1
        return removed
    finally:
        _prune_lock.release()


def _walk(root: Path) -> list[os.DirEntry[str]]:
    out: list[os.DirEntry[str]] = []
    try:
        shards = [d for d in os.scandir(root) if d.is_dir()]
    except OSError:
        return out
    for shard in shards:
        try:
            out.extend(e for e in os.scandir(shard.path) if e.is_file())
        except OSError:
            continue
    return out
