"""Tests for the vector index: exact and HNSW paths, files, mapped views, the high-water tail."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("usearch", reason="usearch not installed")

from broadsheet.enrich import vindex  # noqa: E402
from broadsheet.enrich.vindex import VectorIndex  # noqa: E402

DIM = 32  # small vectors keep the HNSW builds in these tests well under a second


def clustered(n: int, seed: int, centers: int = 20) -> np.ndarray:
    """clustered draws unit vectors around random centres, as embeddings of related stories are."""
    rng = np.random.default_rng(seed)
    middle = np.random.default_rng(0).standard_normal((centers, DIM)).astype(np.float32)
    x = middle[rng.integers(0, centers, n)] + 0.5 * rng.standard_normal((n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def exact_top(vectors: np.ndarray, ids: np.ndarray, query: np.ndarray, k: int) -> list[int]:
    return [int(ids[i]) for i in np.argsort(-(vectors @ query))[:k]]


def recall(index: VectorIndex, vectors: np.ndarray, ids: np.ndarray, queries: np.ndarray) -> float:
    hits = 0
    for q in queries:
        hits += len({i for i, _ in index.search(q, 10)} & set(exact_top(vectors, ids, q, 10)))
    return hits / (10 * len(queries))


def test_bytes_round_trip() -> None:
    v = clustered(3, seed=1)
    blobs = [vindex.vector_to_bytes(row) for row in v]
    assert len(blobs[0]) == DIM * 4
    np.testing.assert_array_equal(vindex.vector_from_bytes(blobs[1], DIM), v[1])
    np.testing.assert_array_equal(vindex.vectors_from_bytes(blobs, DIM), v)
    with pytest.raises(ValueError):
        vindex.vector_from_bytes(b"\0" * 12, DIM)


def test_small_set_is_exact() -> None:
    v, ids = clustered(500, seed=1), np.arange(1000, 1500)
    index = VectorIndex(DIM)
    assert index.add(ids, v) == 500
    assert len(index) == 500 and index.high_water == 1499
    q = clustered(1, seed=2)[0]
    hits = index.search(q, 5)
    assert [i for i, _ in hits] == exact_top(v, ids, q, 5)
    assert hits[0][1] == pytest.approx(float(v[hits[0][0] - 1000] @ q), abs=1e-5)


def test_hnsw_recall_against_brute_force() -> None:
    v, ids = clustered(3000, seed=3), np.arange(3000)
    index = VectorIndex(DIM, exact_limit=1000)
    index.add(ids, v)
    assert index._ann is not None  # outgrew exact_limit: the graph was built
    assert recall(index, v, ids, clustered(50, seed=4)) >= 0.95


def test_add_is_idempotent_and_remove_works() -> None:
    v = clustered(10, seed=5)
    index = VectorIndex(DIM)
    index.add(np.arange(10), v)
    assert index.add(np.arange(5, 15), clustered(10, seed=6)) == 5  # 5..9 kept their vectors
    assert len(index) == 15
    index.remove(np.array([0, 14, 99]))
    assert len(index) == 13
    assert not index.contains(np.array([0, 14])).any()
    assert all(i not in (0, 14) for i, _ in index.search(v[0], 15))


def test_save_load_round_trip(tmp_path: Path) -> None:
    v, ids = clustered(2000, seed=7), np.arange(2000) * 3
    index = VectorIndex(DIM, exact_limit=500)
    index.add(ids, v)
    path = tmp_path / "vectors.usearch"
    index.save(path)
    loaded = VectorIndex.load(path)
    assert len(loaded) == 2000 and loaded.high_water == ids.max()
    q = clustered(1, seed=8)[0]
    before, after = index.search(q, 10), loaded.search(q, 10)
    # HNSW search is approximate: near-ties at the tail may swap, the head and the set may not.
    assert [i for i, _ in after[:5]] == [i for i, _ in before[:5]]
    assert len({i for i, _ in after} & {i for i, _ in before}) >= 9
    loaded.add(np.array([10**9]), q[None, :])  # a loaded index stays writable
    assert loaded.search(q, 1)[0][0] == 10**9


def test_small_index_saves_and_searches_exactly(tmp_path: Path) -> None:
    v, ids = clustered(300, seed=9), np.arange(300)
    index = VectorIndex(DIM)
    index.add(ids, v)
    index.save(tmp_path / "small.usearch")
    q = clustered(1, seed=10)[0]
    hits = VectorIndex.open(tmp_path / "small.usearch").search(q, 5)
    # int8 storage: same neighbours, scores within quantisation error.
    assert [i for i, _ in hits] == exact_top(v, ids, q, 5)
    assert hits[0][1] == pytest.approx(float(v[hits[0][0]] @ q), abs=0.02)


def test_mapped_view_merges_fresh_rows_and_tombstones(tmp_path: Path) -> None:
    v = clustered(1500, seed=11)
    owner = VectorIndex(DIM, exact_limit=500)
    owner.add(np.arange(1000), v[:1000])
    path = tmp_path / "vectors.usearch"
    owner.save(path)

    reader = VectorIndex.open(path)
    assert reader.high_water == 999 and len(reader) == 1000
    # Catch-up re-reads a margin below high_water: overlap is ignored, new rows join the tail.
    assert reader.add(np.arange(900, 1500), v[900:]) == 500
    assert len(reader) == 1500
    q = v[1200]
    assert reader.search(q, 1)[0][0] == 1200  # found through the exact tail
    nearest_old = reader.search(v[10], 1)[0][0]
    reader.remove(np.array([nearest_old, 1200]))  # a tombstone in the mapped graph, a tail delete
    assert nearest_old not in {i for i, _ in reader.search(v[10], 20)}
    assert 1200 not in {i for i, _ in reader.search(q, 20)}
    assert len(reader) == 1498
    assert (
        recall(
            reader,
            np.delete(v, [nearest_old, 1200], axis=0),
            np.delete(np.arange(1500), [nearest_old, 1200]),
            clustered(30, seed=12),
        )
        >= 0.95
    )
    with pytest.raises(RuntimeError):
        reader.save(path)

    assert not reader.is_stale()
    owner.add(np.arange(1000, 1500), v[1000:])
    owner.save(path)
    assert reader.is_stale()
    assert len(VectorIndex.open(path)) == 1500
    assert reader.search(q, 1)[0][0] != 1200  # the old mapping still answers until reopened


def test_one_at_a_time_adds_and_removes_stay_exact() -> None:
    v = clustered(400, seed=13)
    index = VectorIndex(DIM)
    for i in range(400):  # the enrichment pipeline adds one article at a time
        index.add(np.array([i]), v[i : i + 1])
    gone = np.arange(0, 400, 7)
    index.remove(gone)
    alive = np.setdiff1d(np.arange(400), gone)
    assert len(index) == len(alive)
    q = clustered(1, seed=14)[0]
    assert [i for i, _ in index.search(q, 10)] == exact_top(v[alive], alive, q, 10)
