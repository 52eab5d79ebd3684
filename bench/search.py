"""Full-text search at scale: index rebuild rate and in-process query latency, SQLite and PostgreSQL.

Synthetic corpus, seed fixed: --n articles (80% English-like pseudo-words drawn from a Zipf
vocabulary of 30,000, 15% Korean nouns with particles attached, 5% Japanese kana/kanji runs),
~1,500 characters of text each, 200 sources, dates spread over two years, two tags per article
from 1,000 (Zipf). Each database gets its own fresh instance (a temporary SQLite file; a
PostgreSQL database named bench_search when one answers), filled with bulk inserts, then
`search_index_rebuild` is timed and each query class runs --queries times, one at a time, through
`search_articles` (the site's call), after a warm-up. Each query reports wall time and this
process's CPU time (on SQLite that is all the work; on PostgreSQL the server's share is not in it),
so a figure taken on a busy machine can still be read.

    .venv/bin/python bench/search.py [--n 100000] [--queries 200] [--db sqlite|postgres|both]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import django_setup, emit, fresh_pg_database, isolated_env  # noqa: E402

PG_NAME = "bench_search"
SOURCES = 200
TAGS = 1000
START = datetime(2025, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=730)


def _zipf_weights(n: int, s: float = 1.07) -> list[float]:
    weights, total = [], 0.0
    for rank in range(1, n + 1):
        total += 1 / rank**s
        weights.append(total)
    return weights


class Corpus:
    """Corpus draws synthetic articles in three languages, the same ones for every run."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        consonants, vowels = "bcdfghjklmnprstvwz", "aeiou"
        words: set[str] = set()
        while len(words) < 30_000:
            syl = self.rng.randint(1, 4)
            words.add(
                "".join(self.rng.choice(consonants) + self.rng.choice(vowels) for _ in range(syl))
            )
        self.en = sorted(words, key=lambda w: (len(w), w))
        self.rng.shuffle(self.en)
        hangul = [chr(c) for c in range(0xAC00, 0xD7A4, 7)]
        ko: set[str] = {"북한", "정부", "대통령", "경제", "서울"}
        while len(ko) < 5_000:
            ko.add("".join(self.rng.choice(hangul) for _ in range(self.rng.randint(2, 3))))
        self.ko = [
            "북한",
            "정부",
            "대통령",
            "경제",
            "서울",
            *sorted(ko - {"북한", "정부", "대통령", "경제", "서울"}),
        ]
        self.particles = ["", "은", "는", "이", "가", "을", "를", "의", "에서", "와"]
        kana = [chr(c) for c in range(0x3041, 0x3097)] + [
            chr(c) for c in range(0x4E00, 0x4E00 + 3000, 3)
        ]
        self.ja = [
            "".join(self.rng.choice(kana) for _ in range(self.rng.randint(2, 5)))
            for _ in range(5_000)
        ]
        self.en_cum = _zipf_weights(len(self.en))
        self.ko_cum = _zipf_weights(len(self.ko))
        self.ja_cum = _zipf_weights(len(self.ja))
        self.tag_cum = _zipf_weights(TAGS)

    def article(self, i: int, n: int) -> dict[str, object]:
        rng = self.rng
        roll = rng.random()
        if roll < 0.8:
            words = rng.choices(self.en, cum_weights=self.en_cum, k=240)
            title, text, lang = " ".join(words[:9]).capitalize(), " ".join(words[9:]), "en"
        elif roll < 0.95:
            nouns = rng.choices(self.ko, cum_weights=self.ko_cum, k=260)
            words = [w + rng.choice(self.particles) for w in nouns]
            title, text, lang = " ".join(words[:7]), " ".join(words[7:]), "ko"
        else:
            runs = rng.choices(self.ja, cum_weights=self.ja_cum, k=300)
            title, text, lang = (
                "".join(runs[:6]),
                "。".join("".join(runs[k : k + 8]) for k in range(6, 300, 8)),
                "ja",
            )
        published = START + SPAN * (i / n) + timedelta(hours=rng.uniform(-72, 72))
        return {"title": title[:1000], "text": text, "language": lang, "published_at": published,
                "source_id": 1 + rng.randrange(SOURCES)}  # fmt: skip

    def tags(self) -> list[int]:
        return sorted(set(self.rng.choices(range(1, TAGS + 1), cum_weights=self.tag_cum, k=2)))


def fill(n: int) -> None:
    from broadsheet.articles.models import Article
    from broadsheet.enrich.models import ArticleTag, Tag
    from broadsheet.ingest.models import Source

    Source.objects.bulk_create(
        [Source(id=k, name=f"Source {k} Daily", host=f"s{k}.test") for k in range(1, SOURCES + 1)]
    )
    Tag.objects.bulk_create(
        [Tag(id=k, slug=f"tag-{k}", name=f"Tag{k}") for k in range(1, TAGS + 1)]
    )
    corpus = Corpus()
    batch: list[Article] = []
    tags: list[ArticleTag] = []
    for i in range(n):
        fields = corpus.article(i, n)
        batch.append(Article(id=i + 1, url=f"https://s.test/{i}", canonical_url=f"https://s.test/{i}",
                             content_hash=str(i), **fields))  # type: ignore[arg-type]  # fmt: skip
        tags += [ArticleTag(article_id=i + 1, tag_id=t) for t in corpus.tags()]
        if len(batch) == 5000 or i == n - 1:
            Article.objects.bulk_create(batch)
            ArticleTag.objects.bulk_create(tags)
            batch, tags = [], []


def _percentiles(samples: list[float]) -> dict[str, float]:
    samples = sorted(samples)
    return {
        "p50_ms": round(statistics.median(samples) * 1000, 2),
        "p99_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.99))] * 1000, 2),
        "max_ms": round(samples[-1] * 1000, 2),
    }


def query_classes(corpus: Corpus, count: int) -> dict[str, list[dict[str, object]]]:
    rng = random.Random(11)
    end = START + SPAN
    common = [corpus.en[rng.randrange(50)] for _ in range(count)]
    return {
        "common": [{"query": w} for w in common],
        "common_new": [{"query": w, "sort": "new"} for w in common],
        "rare": [{"query": corpus.en[rng.randrange(5_000, 30_000)]} for _ in range(count)],
        "two_words": [{"query": f"{corpus.en[rng.randrange(50)]} {corpus.en[rng.randrange(50, 2000)]}"} for _ in range(count)],
        "phrase": [{"query": f'"{corpus.en[rng.randrange(20)]} {corpus.en[rng.randrange(20)]}"'} for _ in range(count)],
        "korean": [{"query": corpus.ko[rng.randrange(30)]} for _ in range(count)],
        "filter_source": [{"query": w, "source_id": 1 + rng.randrange(SOURCES)} for w in common],
        "filter_tag": [{"query": w, "tag_slug": f"tag-{1 + rng.randrange(20)}"} for w in common],
        "filter_rare_tag": [{"query": w, "tag_slug": f"tag-{rng.randrange(500, TAGS)}"} for w in common],
        "filter_month": [{"query": w, "since": end - timedelta(days=30), "until": end} for w in common],
        "filter_language": [{"query": w, "language": "ko"} for w in corpus.ko[:count]],
        "deep_page": [{"query": w, "offset": 500, "limit": 20} for w in common],
    }  # fmt: skip


def run_child(db: str, url: str, n: int, count: int) -> None:
    env = isolated_env(database_url=url)
    django_setup(env)
    from django.db import connection

    from broadsheet.search.selectors import search_articles
    from broadsheet.search.services import search_index_rebuild

    t0 = time.perf_counter()
    fill(n)
    fill_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    indexed = search_index_rebuild(batch_size=1000)
    rebuild_s = time.perf_counter() - t0
    with connection.cursor() as cursor:
        if db == "postgres":
            cursor.execute("SELECT pg_total_relation_size('search_searchdocument')")
            index_mb = cursor.fetchone()[0] / 1e6
        else:
            path = Path(env["BROADSHEET_HOME"]) / "broadsheet.sqlite3"
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            index_mb = path.stat().st_size / 1e6  # the whole file: articles, tags and index
    emit(f"search_rebuild_{db}", n=n, indexed=indexed, fill_s=round(fill_s, 1),
         rebuild_s=round(rebuild_s, 1), articles_per_s=round(indexed / rebuild_s),
         size_mb=round(index_mb), size_of="search table" if db == "postgres" else "database file")  # fmt: skip
    corpus = Corpus()
    for name, calls in query_classes(corpus, count).items():
        for kwargs in calls[:10]:
            search_articles(**kwargs)  # type: ignore[arg-type]
        samples, cpu, hits = [], [], 0
        for kwargs in calls:
            t, c = time.perf_counter(), time.process_time()
            page = search_articles(**kwargs)  # type: ignore[arg-type]
            samples.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
            hits += bool(page.articles)
        emit(f"search_query_{db}", n=n, kind=name, queries=len(calls), with_results=hits,
             **_percentiles(samples), **{f"cpu_{k}": v for k, v in _percentiles(cpu).items()})  # fmt: skip
    connection.close()
    shutil.rmtree(env["BROADSHEET_HOME"], ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    full = os.environ.get("BENCH_FULL") == "1"
    parser.add_argument("--n", type=int, default=1_000_000 if full else 100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    targets = []
    if args.db in {"sqlite", "both"}:
        targets.append(("sqlite", ""))
    if args.db in {"postgres", "both"}:
        url = fresh_pg_database(PG_NAME)
        if url:
            targets.append(("postgres", url))
    failed = False
    for db, url in targets:
        # Django configures itself once per process: each database gets its own.
        out = subprocess.run(
            [sys.executable, __file__, "--child", db, url, str(args.n), str(args.queries)],
            capture_output=True,
            text=True,
        )
        failed = failed or out.returncode != 0
        sys.stderr.write(out.stderr[-3000:])
        for line in out.stdout.splitlines():
            if line.startswith("{"):
                row = json.loads(line)
                emit(row.pop("bench"), **row)
    if failed:
        sys.exit("a search run failed (see above)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _, _, db_name, db_url, n, queries = sys.argv
        run_child(db_name, db_url, int(n), int(queries))
    else:
        main()
