"""Django's file cache, checking its size every so many writes instead of before each one.

FileBasedCache lists its whole directory before every write to decide whether to cull: 2.5 ms at
4,000 entries here, several times the cost of writing the compressed page itself, and paid by
every page-cache miss. This backend checks once per CULL_CHECK_EVERY writes in each process (the
first write included), so the directory may pass MAX_ENTRIES by at most that many entries per
process; a check that finds it full deletes random entries down to MAX_ENTRIES less one
CULL_FREQUENCY-th (Django's cull removes a fraction of what is there, which with sparse checks
would let the directory settle above the bound).
"""

from __future__ import annotations

import itertools
import random

from django.core.cache.backends.filebased import FileBasedCache

CULL_CHECK_EVERY = 64


class SparseCullFileCache(FileBasedCache):
    """SparseCullFileCache is FileBasedCache with its size check on one write in CULL_CHECK_EVERY."""

    def __init__(self, dir: str, params: dict[str, object]) -> None:
        super().__init__(dir, params)
        self._writes = itertools.count()  # next() is atomic under the GIL

    def _cull(self) -> None:
        if next(self._writes) % CULL_CHECK_EVERY:
            return
        files = self._list_cache_files()  # type: ignore[attr-defined]  # private in the stubs
        if len(files) < self._max_entries:
            return
        if self._cull_frequency == 0:
            self.clear()
            return
        keep = self._max_entries - self._max_entries // self._cull_frequency
        for name in random.sample(files, len(files) - keep):
            self._delete(name)  # type: ignore[attr-defined]
