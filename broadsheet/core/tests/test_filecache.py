"""SparseCullFileCache: the size check runs once per CULL_CHECK_EVERY writes, and still culls."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

from django.core.cache.backends.filebased import FileBasedCache

from broadsheet.core.filecache import CULL_CHECK_EVERY, SparseCullFileCache


def make(tmp_path: Path, entries: int) -> SparseCullFileCache:
    return SparseCullFileCache(
        str(tmp_path), {"OPTIONS": {"MAX_ENTRIES": entries, "CULL_FREQUENCY": 2}}
    )


def test_directory_is_listed_once_per_check_interval(tmp_path):
    cache = make(tmp_path, 10_000)
    with mock.patch.object(
        FileBasedCache, "_list_cache_files", autospec=True, return_value=[]
    ) as listing:
        for i in range(2 * CULL_CHECK_EVERY):
            cache.set(f"k{i}", "v")
    assert listing.call_count == 2  # the first write, then one in CULL_CHECK_EVERY


def test_it_still_culls_past_the_bound(tmp_path):
    cache = make(tmp_path, 10)
    for i in range(3 * CULL_CHECK_EVERY):
        cache.set(f"k{i}", "v")
    files = list(tmp_path.glob("*.djcache"))
    # Bounded by the entries written since the last check, not by the whole run's writes.
    assert len(files) <= 10 + CULL_CHECK_EVERY
    assert cache.get(f"k{3 * CULL_CHECK_EVERY - 1}") == "v"
