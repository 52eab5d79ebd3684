"""A nearest-neighbour index over article vectors: exact numpy for small sets, HNSW (usearch) for large.

The database is the source of truth (`ArticleEmbedding.vector`, written with `vector_to_bytes`);
the index file under BROADSHEET_HOME is a cache that may be deleted and rebuilt at any time.
Scores are cosine similarities (vectors are unit length).

Freshness rule, for SQLite alone or several PostgreSQL workers alike:
- One job owns the file. It loads it writable (`VectorIndex.load`), or starts empty, adds the
  rows newer than `index.high_water`, removes deleted articles, and `save`s: the file is written
  aside and renamed over the old one, so readers never see half a file.
- Every other process maps the file read-only (`VectorIndex.open`; the OS shares the pages).
  Before querying it catches up: rows newer than `high_water` go to `add`, which keeps them in an
  in-memory tail searched exactly and merged with the HNSW results; deletions go to `remove`,
  which tombstones them. When `is_stale()` says the owner has saved a newer file, reopen.
- Concurrent transactions commit out of id order, so catch-up should re-read a margin below
  `high_water` (or by time). `add` ignores ids already present, so the overlap costs nothing.
- The tail is exact but costs O(tail) per query: save more often than ~EXACT_LIMIT new rows.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

DIM = 384
# Below this many vectors a numpy matmul is exact and fast enough (~1 ms here at 10k; 20k
# already took 6 ms p50 on the shared 2-core test machine, where HNSW takes 0.2 ms).
EXACT_LIMIT = 10_000
# HNSW settings from bench/vindex.py at 1M clustered vectors, 2 shared cores: recall@10 0.987,
# query p50 1.0 ms / p99 1.7 ms; build 25 min from scratch (new rows are added incrementally).
# M=16 / expansion_add=64 builds 3.4x faster but recall stalls at 0.945 even at ef=512.
CONNECTIVITY = 32
EXPANSION_ADD = 128
EXPANSION_SEARCH = 64


def vector_to_bytes(vector: np.ndarray) -> bytes:
    """vector_to_bytes encodes one vector as little-endian float32 for a BinaryField."""
    return np.asarray(vector, dtype="<f4").reshape(-1).tobytes()


def vector_from_bytes(data: bytes, ndim: int = DIM) -> np.ndarray:
    """vector_from_bytes decodes one vector written by vector_to_bytes."""
    if len(data) != ndim * 4:
        raise ValueError(f"expected {ndim * 4} bytes for a {ndim}-d vector, got {len(data)}")
    return np.frombuffer(data, dtype="<f4").astype(np.float32)


def vectors_from_bytes(blobs: Iterable[bytes], ndim: int = DIM) -> np.ndarray:
    """vectors_from_bytes decodes many stored vectors into one (n, ndim) float32 array."""
    joined = b"".join(bytes(b) for b in blobs)
    if len(joined) % (ndim * 4):
        raise ValueError(f"stored vectors are not all {ndim}-d float32")
    return np.frombuffer(joined, dtype="<f4").reshape(-1, ndim).astype(np.float32)


def quantize_i8(vectors: np.ndarray) -> np.ndarray:
    """quantize_i8 scales each vector so its largest component is 127 and rounds to int8."""
    # A fixed x127 scale (what usearch does for float input) leaves unit 384-d vectors, whose
    # components are ~0.05, with a handful of levels: recall stalls near 0.89. The cosine metric
    # ignores each vector's scale, so a per-vector scale is free.
    peak = np.maximum(np.abs(vectors).max(axis=-1, keepdims=True), 1e-12)
    return np.rint(vectors * (127.0 / peak)).astype(np.int8)


class VectorIndex:
    """VectorIndex maps int64 ids to unit vectors and finds the nearest ones by cosine."""

    def __init__(
        self,
        ndim: int = DIM,
        *,
        exact_limit: int = EXACT_LIMIT,
        connectivity: int = CONNECTIVITY,
        expansion_add: int = EXPANSION_ADD,
        expansion_search: int = EXPANSION_SEARCH,
        threads: int = 0,
    ) -> None:
        self.ndim = ndim
        self.exact_limit = exact_limit
        self.threads = threads  # for add/save; 0 = all cores. Queries use one thread.
        self.connectivity = connectivity
        self.expansion_add = expansion_add
        self.expansion_search = expansion_search
        self._ann: Any = None  # usearch.index.Index, created once the set outgrows exact_limit
        self._view = False
        self._dead: set[int] = set()  # tombstones for ids inside a read-only _ann
        self._tail = _Tail(ndim)  # searched exactly: small sets, and rows added to a mapped file
        self._path: Path | None = None
        self._stat: tuple[int, int] | None = None  # the file's (inode, mtime) when opened
        self.high_water = -1

    # -- building -----------------------------------------------------------------------

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> int:
        """add inserts vectors under ids (ids already present are skipped); returns how many were new."""
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(ids), self.ndim)
        if len(ids) and ids.min() < 0:
            raise ValueError("ids must be non-negative")
        # A bulk build passes a million fresh, increasing ids: that path copies no vectors.
        if len(ids) > 1 and not (np.diff(ids) > 0).all():
            ids, first = np.unique(ids, return_index=True)
            vectors = vectors[first]
        fresh = ~self.contains(ids)
        if not fresh.all():
            ids, vectors = ids[fresh], vectors[fresh]
        if not len(ids):
            return 0
        self.high_water = max(self.high_water, int(ids.max()))
        if self._view or (self._ann is None and len(self._tail) + len(ids) < self.exact_limit):
            self._tail.append(ids, _unit(vectors))
        else:
            self._fold_tail()
            self._add_to_graph(ids, vectors)
        return len(ids)

    def remove(self, ids: np.ndarray) -> None:
        """remove drops ids from the index (a tombstone when the file is mapped read-only)."""
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        self._tail.discard(ids)
        if self._ann is None or not len(ids):
            return
        in_ann = ids[self._ann.contains(ids.astype(np.uint64))]
        if self._view:
            self._dead.update(int(i) for i in in_ann)
        elif len(in_ann):
            self._ann.remove(in_ann.astype(np.uint64))

    def contains(self, ids: np.ndarray) -> np.ndarray:
        """contains says, for each id, whether the index holds a live vector for it."""
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        found = self._tail.contains(ids)
        if self._ann is not None and len(ids):
            in_ann = np.asarray(self._ann.contains(ids.astype(np.uint64)), dtype=bool).reshape(-1)
            if self._dead:
                in_ann &= ~np.isin(ids, np.fromiter(self._dead, dtype=np.int64))
            found |= in_ann
        return found

    def __len__(self) -> int:
        ann = 0 if self._ann is None else len(self._ann) - len(self._dead)
        return ann + len(self._tail)

    # -- querying -----------------------------------------------------------------------

    def search(self, vector: np.ndarray, k: int = 10) -> list[tuple[int, float]]:
        """search returns up to k (id, cosine) pairs nearest to vector, best first."""
        if k <= 0:
            return []
        query = _unit(np.asarray(vector, dtype=np.float32).reshape(1, self.ndim))[0]
        hits: list[tuple[int, float]] = []
        if self._ann is not None and len(self._ann):
            count = min(len(self._ann), k + len(self._dead))
            exact = len(self._ann) <= self.exact_limit
            found = self._ann.search(quantize_i8(query), count, threads=1, exact=exact)
            hits = [
                (int(key), 1.0 - float(dist))
                for key, dist in zip(found.keys, found.distances, strict=True)
                if int(key) not in self._dead
            ]
        hits += self._tail.top(query, k)
        hits.sort(key=lambda hit: -hit[1])
        return hits[:k]

    # -- files --------------------------------------------------------------------------

    def save(self, path: Path) -> None:
        """save writes the whole index to path (and path.json) by renaming finished files into place."""
        if self._view:
            raise RuntimeError("a mapped index is read-only: load() it to save a new version")
        if len(self._tail) or self._ann is None:
            self._fold_tail()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        self._ann.save(str(tmp))
        meta = {
            "ndim": self.ndim,
            "high_water": self.high_water,
            "count": len(self),
            "connectivity": self.connectivity,
            "expansion_add": self.expansion_add,
            "expansion_search": self.expansion_search,
        }
        meta_tmp = tmp.with_suffix(".json.tmp")
        meta_tmp.write_text(json.dumps(meta))
        # Index first, then metadata: a reader takes the metadata first, so the index it then
        # maps is never older than the high_water it read (at worst it re-adds a few rows).
        os.replace(tmp, path)
        os.replace(meta_tmp, _meta_path(path))

    @classmethod
    def load(cls, path: Path, **options: Any) -> VectorIndex:
        """load reads the index at path into memory, writable (the owner's way to update it)."""
        return cls._from_file(Path(path), view=False, **options)

    @classmethod
    def open(cls, path: Path, *, view: bool = True, **options: Any) -> VectorIndex:
        """open maps the index at path read-only (view=True), sharing its pages with other processes."""
        return cls._from_file(Path(path), view=view, **options)

    def is_stale(self) -> bool:
        """is_stale says whether the file this index came from has been replaced since."""
        return self._path is not None and self._stat != _file_stamp(self._path)

    @classmethod
    def _from_file(cls, path: Path, *, view: bool, **options: Any) -> VectorIndex:
        meta = json.loads(_meta_path(path).read_text())
        params = {
            name: meta[name] for name in ("connectivity", "expansion_add", "expansion_search")
        }
        index = cls(meta["ndim"], **{**params, **options})
        index._stat = _file_stamp(path)
        index._path = path
        index._ann = index._new_graph()
        if view:
            index._ann.view(str(path))
        else:
            index._ann.load(str(path))
        index._view = view
        index.high_water = int(meta["high_water"])
        return index

    # -- internals ----------------------------------------------------------------------

    def _fold_tail(self) -> None:
        """_fold_tail moves the exact tail into the HNSW graph, creating the graph if needed."""
        if self._ann is None:
            self._ann = self._new_graph()
        self._add_to_graph(*self._tail.rows())
        self._tail = _Tail(self.ndim)

    def _new_graph(self) -> Any:
        from usearch.index import Index

        return Index(
            ndim=self.ndim,
            metric="cos",
            dtype="i8",
            connectivity=self.connectivity,
            expansion_add=self.expansion_add,
            expansion_search=self.expansion_search,
        )

    def _add_to_graph(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        # In slices, so a million-row build holds one small int8 copy at a time.
        for start in range(0, len(ids), 65_536):
            part = slice(start, start + 65_536)
            self._ann.add(
                ids[part].astype(np.uint64), quantize_i8(vectors[part]), threads=self.threads
            )


class _Tail:
    """_Tail holds exactly searched vectors in arrays that grow by doubling, with an id -> row map."""

    def __init__(self, ndim: int) -> None:
        self.ids = np.empty(0, dtype=np.int64)
        self.vecs = np.empty((0, ndim), dtype=np.float32)
        self.row: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self.row)

    def rows(self) -> tuple[np.ndarray, np.ndarray]:
        n = len(self.row)
        return self.ids[:n], self.vecs[:n]

    def append(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        # One article at a time is the common call: doubling keeps that O(1) amortised.
        n, need = len(self.row), len(self.row) + len(ids)
        if need > len(self.ids):
            capacity = max(need, 2 * len(self.ids), 64)
            grown_ids = np.empty(capacity, dtype=np.int64)
            grown_vecs = np.empty((capacity, self.vecs.shape[1]), dtype=np.float32)
            grown_ids[:n], grown_vecs[:n] = self.ids[:n], self.vecs[:n]
            self.ids, self.vecs = grown_ids, grown_vecs
        self.ids[n:need], self.vecs[n:need] = ids, vectors
        self.row.update((int(i), n + j) for j, i in enumerate(ids.tolist()))

    def contains(self, ids: np.ndarray) -> np.ndarray:
        if not self.row:
            return np.zeros(len(ids), dtype=bool)
        return np.fromiter((i in self.row for i in ids.tolist()), dtype=bool, count=len(ids))

    def discard(self, ids: np.ndarray) -> None:
        for i in ids.tolist():
            j = self.row.pop(i, None)
            last = len(self.row)  # the row count after the pop
            if j is not None and j != last:  # move the last row into the hole
                moved = int(self.ids[last])
                self.ids[j], self.vecs[j] = moved, self.vecs[last]
                self.row[moved] = j

    def top(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        ids, vecs = self.rows()
        if not len(ids):
            return []
        scores = vecs @ query
        best = np.argpartition(-scores, k)[:k] if len(scores) > k else np.arange(len(scores))
        return [(int(ids[i]), float(scores[i])) for i in best]


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    if np.allclose(norms, 1.0, atol=1e-4):
        return vectors
    return vectors / np.maximum(norms, 1e-12)


def _meta_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def _file_stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns)
