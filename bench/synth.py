"""A synthetic Broadsheet database of --n articles (1,000,000 by default), for the site load benchmark.

Sources with a feed each, articles in four languages spread over 90 days, their enrichment, ~20k
hashtags (Zipf: a few tags carry a large share of all articles), stories (one per ~5 articles,
grown by preferential attachment so a few are large), related links and a few percent wire copies.
Everything comes from one seeded RNG, so the same --n and --seed give the same database.

Speed: rows are built in Python and written with raw `executemany` (SQLite, journal off) or `COPY`
(PostgreSQL, triggers off), with the secondary indexes dropped during the load and rebuilt after.
Column lists come from the Django models' `_meta`: a field added with a default is filled with it.

    .venv/bin/python bench/synth.py --n 1000000 --home var/bench/synth          # SQLite
    .venv/bin/python bench/synth.py --n 1000000 --database-url postgres://postgres@127.0.0.1:5432/bench_site --reset
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import sqlite3
import subprocess
import sys
import time
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from itertools import accumulate
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ROOT, emit, isolated_env  # noqa: E402

SOURCES = 200
TAGS = 20_000
DAYS = 90
CHUNK = 20_000
# Story sizes: Pareto(1.3) x 1.25, floored: ~40% single articles, ~5 on average, a few in the hundreds.
STORY_ALPHA = 1.3
STORY_SCALE = 1.25
STORY_MAX = 2_000
WIRE_COPY = 0.03
RELATED = 4
LANGUAGES = (("en", 0.85), ("ko", 0.10), ("ja", 0.03), ("zh", 0.02))
SOURCES_BY_LANGUAGE = {"en": 150, "ko": 25, "ja": 13, "zh": 12}
M64 = (1 << 64) - 1

# Tags at the head of the Zipf distribution (the huge ones) are real-looking; the tail is invented.
HEAD_TAGS = [
    ("North Korea", "place"), ("South Korea", "place"), ("Ukraine", "place"), ("China", "place"),
    ("United States", "place"), ("Climate Change", "topic"), ("Artificial Intelligence", "topic"),
    ("Inflation", "topic"), ("Federal Reserve", "org"), ("Election", "event"), ("Russia", "place"),
    ("Japan", "place"), ("Taiwan", "place"), ("Seoul", "place"), ("European Union", "org"),
    ("Semiconductors", "topic"), ("Interest Rates", "topic"), ("Nato", "org"), ("Israel", "place"),
    ("Gaza", "place"), ("United Nations", "org"), ("Oil Prices", "topic"), ("Tariffs", "topic"),
    ("Stock Market", "topic"), ("Samsung", "org"), ("Beijing", "place"), ("Tokyo", "place"),
    ("Public Health", "topic"), ("Housing", "topic"), ("Wildfires", "event"), ("Earthquake", "event"),
    ("World Cup", "event"), ("Olympics", "event"), ("Cybersecurity", "topic"), ("Nuclear Power", "topic"),
    ("Migration", "topic"), ("Supreme Court", "org"), ("India", "place"), ("Germany", "place"),
    ("France", "place"), ("United Kingdom", "place"), ("Iran", "place"), ("Opec", "org"),
    ("Bitcoin", "topic"), ("Space Exploration", "topic"), ("Education", "topic"), ("Kpop", "topic"),
    ("Trade", "topic"), ("Defense", "topic"), ("Diplomacy", "topic"),
]  # fmt: skip
# Word lists, one per line as `name: item|item|...`.
_WORDS = """
syllables: ka|ri|to|ne|sa|mo|lu|vi|den|har|bel|cor|dan|el|fin|gar|hol|ist|jun|kel|lor|mar|nor|ost|pel|quin|ros|sten|tal|ur|val|wen|yor|zan
first: Ana|Ben|Chloe|Daniel|Elena|Farid|Grace|Hiro|Ines|Jae|Kofi|Lena|Min|Nadia|Omar|Priya|Rafael|Sora|Tomas|Yuna
last: Park|Kim|Lee|Smith|Garcia|Tanaka|Chen|Novak|Rossi|Dubois|Okafor|Silva|Khan|Ivanova|Choi|Lopez|Sato|Wang|Berg|Moreau
en_subjects: Officials|Analysts|The ministry|Lawmakers|Investors|The company|Residents|Researchers|The central bank|Diplomats|Regulators|The opposition
en_verbs: said|warned|announced|confirmed|denied|reported|estimated|argued|signalled|acknowledged
en_objects: the plan would take effect next month|talks would resume after the holiday|prices rose faster than expected|the measure faced strong opposition|the deal was close to completion|supply problems had eased|the figures were revised upward|more funding was needed|an investigation had been opened|the decision would be reviewed
en_tails: on Tuesday|in a statement|according to local media|citing people familiar with the matter|during a briefing|late on Friday|in an interview|after weeks of negotiations
en_title: raises pressure over budget talks|faces backlash after surprise move|signals shift on trade policy|unveils plan to cut emissions|warns of slowdown as costs climb|reaches deal after marathon talks|braces for storm as warnings issued|launches inquiry into data breach|weighs new sanctions amid tensions|reports record quarterly results
ko_words: 정부|대통령|경제|국회|기업|시장|주가|선거|외교|협상|기술|반도체|수출|금리|물가|교육|의료|환경|기후|에너지|안보|정책|예산|지역
ko_sentences: {a}은 {b}에 대해 {c} 계획을 발표했다.|{a} 관계자는 {b} 문제가 {c}에 영향을 준다고 말했다.|전문가들은 {a}와 {b}의 관계를 주목하고 있다.
ko_title: {a}, {b} 관련 {c} 대책 발표
ja_words: 政府|首相|経済|国会|企業|市場|株価|選挙|外交|交渉|技術|半導体|輸出|金利|物価|教育|医療|環境|気候|エネルギー|安全保障|政策|予算|地域
ja_sentences: {a}は{b}について{c}の方針を発表した。|{a}の関係者によると、{b}の問題は{c}に影響するという。|専門家は{a}と{b}の関係に注目している。
ja_title: {a}、{b}めぐり{c}対策を発表
zh_words: 政府|总统|经济|国会|企业|市场|股价|选举|外交|谈判|技术|芯片|出口|利率|物价|教育|医疗|环境|气候|能源|安全|政策|预算|地区
zh_sentences: {a}就{b}问题发布了{c}计划。|{a}官员表示，{b}问题将影响{c}。|专家关注{a}与{b}之间的关系。
zh_title: {a}就{b}发布{c}新措施
"""  # noqa: E501
W = {k: v.split("|") for k, _, v in (line.partition(": ") for line in _WORDS.strip().splitlines())}
SYLLABLES, FIRST, LAST = W["syllables"], W["first"], W["last"]
KIND_SUFFIX = (
    ("org", "Group"),
    ("org", "Institute"),
    ("place", "Province"),
    ("event", "Summit"),
    ("topic", "Reform"),
)
EN_SUBJECTS, EN_VERBS, EN_OBJECTS = W["en_subjects"], W["en_verbs"], W["en_objects"]
EN_TAILS, EN_TITLE = W["en_tails"], W["en_title"]
CJK = {
    lang: (W[f"{lang}_words"], W[f"{lang}_sentences"], W[f"{lang}_title"][0])
    for lang in ("ko", "ja", "zh")
}


# --- schema: one place, read from the models ---------------------------------------------------


class Table:
    """Table maps the values a generator provides (by field name) onto a model's concrete columns.

    Fields the generator does not provide get their model default (or NULL), evaluated once; a new
    required field without a default makes the load fail loudly instead of writing bad rows.
    """

    def __init__(
        self, model: Any, provided: Sequence[str], adapt: Callable[[Any, Any], Any]
    ) -> None:
        fields = {f.name: f for f in model._meta.concrete_fields}
        unknown = [name for name in provided if name not in fields]
        if unknown:
            raise SystemExit(
                f"synth: {model.__name__} has no field(s) {unknown}: update bench/synth.py"
            )
        self.name = model._meta.db_table
        self.model = model
        rest = [f for name, f in fields.items() if name not in provided]
        tail = []
        for f in rest:
            if f.has_default():
                tail.append(adapt(f, f.get_default()))
            elif f.null:
                tail.append(None)
            elif f.empty_strings_allowed:  # a blank=True text field: Django's own default is ""
                tail.append(adapt(f, f.get_default()))
            else:
                raise SystemExit(f"synth: {model.__name__}.{f.name} is required and has no default")
        self.columns = [fields[name].column for name in provided] + [f.column for f in rest]
        self.tail = tuple(tail)

    def rows(self, values: Iterable[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
        tail = self.tail
        return (v + tail for v in values)


# --- loaders --------------------------------------------------------------------------------------


class SqliteLoader:
    """SqliteLoader writes with executemany in big transactions, journal and fsync off until finish()."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.conn = sqlite3.connect(path, isolation_level=None)
        for pragma in (
            "journal_mode=OFF",
            "synchronous=OFF",
            "cache_size=-400000",
            "temp_store=MEMORY",
            "locking_mode=EXCLUSIVE",
        ):
            self.conn.execute(f"PRAGMA {pragma}")
        self.indexes: list[str] = []
        self.conn.execute("BEGIN")

    @staticmethod
    def dt(ts: float) -> str:
        # Django stores SQLite datetimes as naive UTC text, 'YYYY-MM-DD HH:MM:SS.ffffff'.
        return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    def adapt(self, field: Any, value: Any) -> Any:
        kind = field.get_internal_type()
        if isinstance(value, datetime):
            return self.dt(value.timestamp())
        if kind == "JSONField":
            return json.dumps(value)
        if isinstance(value, bool):
            return int(value)
        return value

    def drop_indexes(self, tables: Sequence[str]) -> None:
        marks = ",".join("?" * len(tables))
        rows = self.conn.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL AND tbl_name IN ({marks})",
            list(tables),
        ).fetchall()
        for name, sql in rows:
            self.conn.execute(f'DROP INDEX "{name}"')
            self.indexes.append(sql)

    def insert(self, table: Table, values: Iterable[tuple[Any, ...]]) -> None:
        cols = ", ".join(f'"{c}"' for c in table.columns)
        marks = ", ".join("?" * len(table.columns))
        self.conn.executemany(
            f'INSERT INTO "{table.name}" ({cols}) VALUES ({marks})', table.rows(values)
        )

    def commit(self) -> None:
        self.conn.execute("COMMIT")
        self.conn.execute("BEGIN")

    def finish(self) -> dict[str, float]:
        timings = {}
        start = time.perf_counter()
        for sql in self.indexes:
            self.conn.execute(sql)
        self.conn.execute("COMMIT")
        timings["indexes_s"] = time.perf_counter() - start
        start = time.perf_counter()
        self.conn.execute("ANALYZE")
        timings["analyze_s"] = time.perf_counter() - start
        self.conn.execute("PRAGMA locking_mode=NORMAL")
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.close()
        return timings

    def size_mb(self) -> float:
        return (
            sum(os.path.getsize(p) for p in (self.path, self.path + "-wal") if os.path.exists(p))
            / 2**20
        )


class PostgresLoader:
    """PostgresLoader writes with COPY, foreign-key triggers off (session_replication_role=replica)."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.conn = psycopg.connect(url)
        self.conn.execute("SET session_replication_role = replica")
        self.conn.execute("SET maintenance_work_mem = '512MB'")
        self.indexes: list[str] = []
        self.tables: list[tuple[str, bool]] = []

    @staticmethod
    def dt(ts: float) -> datetime:
        return datetime.fromtimestamp(ts, UTC)

    def adapt(self, field: Any, value: Any) -> Any:
        if field.get_internal_type() == "JSONField":
            return json.dumps(value)
        return value

    def drop_indexes(self, tables: Sequence[str]) -> None:
        rows = self.conn.execute(
            """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
               FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
               WHERE c.relname = ANY(%s)
                 AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)""",
            [list(tables)],
        ).fetchall()
        for name, sql in rows:
            self.conn.execute(f"DROP INDEX {name}")
            self.indexes.append(sql)

    def insert(self, table: Table, values: Iterable[tuple[Any, ...]]) -> None:
        cols = ", ".join(f'"{c}"' for c in table.columns)
        with self.conn.cursor().copy(f'COPY "{table.name}" ({cols}) FROM STDIN') as copy:
            for row in table.rows(values):
                copy.write_row(row)
        serial = table.model._meta.pk.get_internal_type() in {"AutoField", "BigAutoField"}
        if (table.name, serial) not in self.tables:
            self.tables.append((table.name, serial))

    def commit(self) -> None:
        self.conn.commit()

    def finish(self) -> dict[str, float]:
        timings = {}
        start = time.perf_counter()
        for sql in self.indexes:
            self.conn.execute(sql)
        for name, serial in self.tables:
            if serial:  # ids were ours: move the identity sequence past them
                self.conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
                    f'COALESCE((SELECT max(id) FROM "{name}"), 1))'
                )
        self.conn.commit()
        timings["indexes_s"] = time.perf_counter() - start
        start = time.perf_counter()
        self.conn.autocommit = True
        self.conn.execute("VACUUM ANALYZE")
        timings["analyze_s"] = time.perf_counter() - start
        return timings

    def size_mb(self) -> float:
        row = self.conn.execute("SELECT pg_database_size(current_database())").fetchone()
        return float(row[0] if row else 0) / 2**20


# --- the generator --------------------------------------------------------------------------------


def _title_case_words(rng: random.Random) -> str:
    return " ".join(
        "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
        for _ in range(rng.randint(1, 2))
    )


def make_tags(rng: random.Random) -> list[tuple[str, str, str]]:
    """make_tags returns TAGS (display words, slug, kind), the head of the Zipf ranking first."""
    from django.utils.text import slugify

    tags: list[tuple[str, str, str]] = []
    seen: set[str] = set()

    def add(words: str, kind: str) -> None:
        slug = slugify(words, allow_unicode=True)
        if slug and slug not in seen:
            seen.add(slug)
            tags.append((words, slug, kind))

    for words, kind in HEAD_TAGS:
        add(words, kind)
    while len(tags) < TAGS:
        roll = rng.random()
        if roll < 0.3:
            add(
                f"{rng.choice(FIRST)} {rng.choice(LAST)}{rng.choice(['', ' ' + _title_case_words(rng)])}",
                "person",
            )
        elif roll < 0.5:
            kind, suffix = rng.choice(KIND_SUFFIX)
            add(f"{_title_case_words(rng)} {suffix}", kind)
        else:
            add(_title_case_words(rng), rng.choice(["place", "org", "topic"]))
    return tags


class Corpus:
    """Corpus holds sentence pools per language and builds an article's text from a 64-bit seed."""

    def __init__(self, rng: random.Random, tags: list[tuple[str, str, str]]) -> None:
        entities = [t[0] for t in tags[:300]]
        self.pools: dict[str, list[str]] = {
            "en": [
                f"{rng.choice(EN_SUBJECTS + entities)} {rng.choice(EN_VERBS)} {rng.choice(EN_OBJECTS)}"
                f" {rng.choice(EN_TAILS)}."
                for _ in range(20_000)
            ]
        }
        for lang, (words, templates, _title) in CJK.items():
            self.pools[lang] = [
                rng.choice(templates).format(
                    a=rng.choice(words), b=rng.choice(words), c=rng.choice(words)
                )
                for _ in range(3_000)
            ]

    def sentences(self, language: str, seed: int) -> list[str]:
        pool = self.pools[language]
        x = (seed * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E9) & M64
        out = []
        for _ in range(5 + x % 4):
            x = (x * 6364136223846793005 + 1442695040888963407) & M64
            out.append(pool[(x >> 33) % len(pool)])
        return out


def title_for(rng: random.Random, language: str, entity: str) -> str:
    if language == "en":
        return f"{entity} {rng.choice(EN_TITLE)}"
    words, _templates, template = CJK[language]
    return template.format(a=rng.choice(words), b=rng.choice(words), c=rng.choice(words))


def zipf_cum(n: int, s: float) -> list[float]:
    return list(accumulate(1.0 / (k**s) for k in range(1, n + 1)))


def fill(loader: SqliteLoader | PostgresLoader, *, n: int, seed: int) -> dict[str, float]:
    """fill writes the whole synthetic database through loader; returns timings in seconds."""
    from broadsheet.articles.models import Article
    from broadsheet.enrich.models import ArticleTag, Enrichment, RelatedArticle, Story, Tag
    from broadsheet.ingest.models import Feed, Source

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    rng = random.Random(seed)
    now = time.time()
    start_ts = now - DAYS * 86400
    dt = loader.dt
    adapt = loader.adapt
    T = {
        "source": Table(Source, ["id", "name", "homepage", "host", "image_hosts", "created_at"], adapt),
        "feed": Table(
            Feed, ["id", "source", "url", "host", "title", "site_url", "last_success_at", "entry_count"], adapt
        ),
        "tag": Table(Tag, ["id", "slug", "name", "kind", "article_count", "created_at"], adapt),
        "story": Table(
            Story,
            ["id", "title", "lead_article", "first_published_at", "last_published_at", "article_count",
             "source_count", "summary", "updated_at"],
            adapt,
        ),
        "article": Table(
            Article,
            ["id", "source", "feed", "url", "canonical_url", "title", "byline", "published_at", "fetched_at",
             "language", "body_html", "text", "summary", "lead_image", "word_count", "content_hash"],
            adapt,
        ),
        "enrichment": Table(
            Enrichment,
            ["article", "state", "attempts", "updated_at", "enriched_at", "seq", "key_points", "keyphrases",
             "story", "duplicate_of", "what_changed"],
            adapt,
        ),
        "article_tag": Table(ArticleTag, ["id", "article", "tag", "rank", "score"], adapt),
        "related": Table(RelatedArticle, ["id", "article", "related", "rank", "score"], adapt),
    }  # fmt: skip
    loader.drop_indexes([t.name for t in T.values()])

    # Sources and feeds: per language, Zipf-weighted so some outlets publish far more than others.
    sources: list[tuple[int, str, str]] = []  # (id, name, host)
    by_language: dict[str, list[int]] = {}
    for lang, count in SOURCES_BY_LANGUAGE.items():
        for _ in range(count):
            sid = len(sources) + 1
            words = _title_case_words(rng)
            name = f"The {words} {rng.choice(['Herald', 'Times', 'Post', 'Daily', 'Journal', 'Tribune', 'News'])}"
            host = f"{words.lower().replace(' ', '')}{sid}.example"
            sources.append((sid, name, host))
            by_language.setdefault(lang, []).append(sid)
    source_cum = {lang: zipf_cum(len(ids), 0.8) for lang, ids in by_language.items()}
    created = dt(start_ts - 86400)
    loader.insert(
        T["source"],
        (
            (sid, name, f"https://{host}/", host, json.dumps([f"img.{host}"]), created)
            for sid, name, host in sources
        ),
    )
    loader.insert(
        T["feed"],
        (
            (sid, sid, f"https://{host}/rss.xml", host, name, f"https://{host}/", dt(now - 600), 50)
            for sid, name, host in sources
        ),
    )
    tags = make_tags(rng)
    tag_cum = zipf_cum(len(tags), 1.0)
    tag_total = tag_cum[-1]
    corpus = Corpus(rng, tags)
    lang_cum = list(accumulate(p for _, p in LANGUAGES))
    languages = [code for code, _ in LANGUAGES]
    timings["setup_s"] = time.perf_counter() - t0

    # Pass 1: who publishes what, when, in which story (small per-article facts only).
    # Pass 1: stories first (heavy-tailed sizes, members spread over hours to days), then articles in
    # time order, so ids rise with publication time as they do in a live instance.
    t1 = time.perf_counter()
    span = DAYS * 86400
    placed: list[tuple[float, int]] = []
    story_lang = bytearray(1)
    story_tags: list[tuple[int, ...]] = [()]
    while len(placed) < n:
        s = len(story_tags)
        size = max(
            1, min(STORY_MAX, int(rng.paretovariate(STORY_ALPHA) * STORY_SCALE), n - len(placed))
        )
        begin = start_ts + rng.random() * span
        gap = 6 * 3600 * (1 + math.log2(size))
        placed.append((begin, s))
        for _ in range(size - 1):
            at = begin + rng.expovariate(1 / gap)
            placed.append((at if at < now else now - rng.random() * 3600, s))
        story_lang.append(bisect_left(lang_cum, rng.random() * lang_cum[-1]))
        story_tags.append(
            tuple(
                {
                    bisect_left(tag_cum, rng.random() * tag_total) + 1
                    for _ in range(rng.randint(2, 4))
                }
            )
        )
    placed.sort()
    pub = array("d", bytes(8 * (n + 1)))
    src = array("H", bytes(2 * (n + 1)))
    lang_of = bytearray(n + 1)
    story_of = array("i", bytes(4 * (n + 1)))
    dup_of = array("i", bytes(4 * (n + 1)))
    titles: list[str] = [""] * (n + 1)
    story_lead = array("i", bytes(4 * len(story_tags)))
    story_members: list[list[int]] = [[] for _ in story_tags]
    for i, (at, s) in enumerate(placed, start=1):
        pub[i] = at
        story_of[i] = s
        story_members[s].append(i)
        lang = languages[story_lang[s]]
        lang_of[i] = story_lang[s]
        src[i] = by_language[lang][
            bisect_left(source_cum[lang], rng.random() * source_cum[lang][-1])
        ]
        lead = story_lead[s]
        if not lead:
            story_lead[s] = i
            titles[i] = title_for(rng, lang, tags[min(story_tags[s]) - 1][0])
        elif rng.random() < WIRE_COPY and src[lead] != src[i]:
            dup_of[i] = lead
            titles[i] = titles[lead]
        else:
            titles[i] = title_for(rng, lang, tags[min(story_tags[s]) - 1][0])
    del placed
    stories = len(story_tags) - 1
    timings["plan_s"] = time.perf_counter() - t1

    # Stories: the lead's title, counts, time span and a cited summary, as story_refresh writes them.
    t2 = time.perf_counter()
    en_pool = corpus.pools["en"]

    def story_rows() -> Iterator[tuple[Any, ...]]:
        for s in range(1, stories + 1):
            members = story_members[s]
            lead = members[0]
            summary = []
            if len(members) >= 2:
                summary = [
                    [en_pool[(s * 7 + k) % len(en_pool)], [1 + k % len(members)]] for k in range(3)
                ]
            yield (
                s, titles[lead], lead, dt(pub[lead]), dt(pub[members[-1]]), len(members),
                len({src[m] for m in members}), json.dumps(summary), dt(pub[members[-1]] + 300),
            )  # fmt: skip

    loader.insert(T["story"], story_rows())
    loader.commit()
    timings["stories_s"] = time.perf_counter() - t2

    # Pass 2: articles, enrichment, tags and related links, CHUNK articles per transaction.
    t3 = time.perf_counter()
    hosts = {sid: host for sid, _name, host in sources}
    tag_counts = array("i", bytes(4 * (len(tags) + 1)))
    counters = {"article_tag": 0, "related": 0}
    for lo in range(1, n + 1, CHUNK):
        hi = min(n + 1, lo + CHUNK)
        articles, enrichments, article_tags, related = [], [], [], []
        for i in range(lo, hi):
            lang = languages[lang_of[i]]
            host = hosts[src[i]]
            s = story_of[i]
            text_seed = dup_of[i] or i
            sents = corpus.sentences(lang, text_seed)
            sep = "" if lang != "en" else " "
            paras = [sep.join(sents[k : k + 3]) for k in range(0, len(sents), 3)]
            text = "\n\n".join(paras)
            body = "".join(f"<p>{p}</p>" for p in paras)
            stamp = datetime.fromtimestamp(pub[i], UTC)
            url = f"https://{host}/{stamp:%Y/%m/%d}/story-{i}"
            published = dt(pub[i])
            articles.append((
                i, src[i], src[i], url, url, titles[i],
                f"By {FIRST[i % len(FIRST)]} {LAST[(i // 7) % len(LAST)]}", published, dt(pub[i] + 420),
                lang, body, text, sents[0], f"https://img.{host}/{stamp:%Y/%m}/{i}.jpg" if i % 5 else "",
                len(text.split()) if lang == "en" else len(text) // 2,
                hashlib.sha256(text.encode()).hexdigest(),
            ))  # fmt: skip
            # Tags: the story's, plus a few of the article's own, 3-8 in all.
            own = set(story_tags[s])
            for _ in range(1 + int(rng.random() * 4)):
                own.add(bisect_left(tag_cum, rng.random() * tag_total) + 1)
            mine = sorted(own)[:8]
            while len(mine) < 3:
                extra = 1 + int(rng.random() * len(tags))
                if extra not in mine:
                    mine.append(extra)
            for rank, tag_id in enumerate(mine):
                counters["article_tag"] += 1
                tag_counts[tag_id] += 1
                article_tags.append(
                    (counters["article_tag"], i, tag_id, rank, round(1.0 - rank * 0.1, 2))
                )
            enriched = dt(pub[i] + 480)
            lead = story_lead[s]
            enrichments.append((
                i, "done", 1, enriched, enriched, i, json.dumps(sents[:3], ensure_ascii=False),
                json.dumps([tags[t - 1][0].lower() for t in mine[:5]]), s, dup_of[i] or None,
                "[]" if lead == i else json.dumps(sents[-1:], ensure_ascii=False),
            ))  # fmt: skip
            # Related: earlier coverage of the same story first, then recent articles.
            chosen: list[int] = []
            for m in story_members[s]:
                if m >= i or len(chosen) == 2:
                    break
                if m != dup_of[i]:
                    chosen.append(m)
            tries = 0
            while len(chosen) < RELATED and i > RELATED + 1 and tries < 20:
                tries += 1
                cand = i - 1 - int(rng.random() * min(i - 1, 5000))
                if cand not in chosen:
                    chosen.append(cand)
            for rank, rid in enumerate(chosen):
                counters["related"] += 1
                related.append((counters["related"], i, rid, rank, round(0.9 - rank * 0.1, 2)))
        loader.insert(T["article"], articles)
        loader.insert(T["enrichment"], enrichments)
        loader.insert(T["article_tag"], article_tags)
        loader.insert(T["related"], related)
        loader.commit()
        if (lo // CHUNK) % 10 == 0:
            done = hi - 1
            rate = done / (time.perf_counter() - t3)
            print(f"synth: {done:,}/{n:,} articles ({rate:,.0f}/s)", file=sys.stderr, flush=True)
    timings["articles_s"] = time.perf_counter() - t3

    created = dt(start_ts)
    loader.insert(
        T["tag"],
        (
            (tid, slug, words.replace(" ", ""), kind, tag_counts[tid], created)
            for tid, (words, slug, kind) in enumerate(tags, start=1)
        ),
    )
    loader.commit()
    timings.update(loader.finish())
    timings["stories"] = stories
    timings["article_tags"] = counters["article_tag"]
    timings["related"] = counters["related"]
    timings["wire_copies"] = sum(1 for d in dup_of if d)
    timings["biggest_tag_articles"] = max(tag_counts)
    timings["biggest_story_articles"] = max(len(m) for m in story_members)
    return timings


# --- entry point ----------------------------------------------------------------------------------


def sqlite_path(env: dict[str, str]) -> Path:
    """sqlite_path is where the instance env describes keeps its SQLite database."""
    url = env.get("DATABASE_URL", "")
    if url.startswith("sqlite:"):
        path = url.split(":", 1)[1].lstrip("/")
        return Path("/" + path) if url.startswith("sqlite:////") else ROOT / path
    return Path(env["BROADSHEET_HOME"]) / "broadsheet.sqlite3"


def reset(env: dict[str, str]) -> None:
    """reset empties the target database: the SQLite file is removed, a PostgreSQL database recreated."""
    url = env.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        base, name = url.rsplit("/", 1)
        with psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return
    path = sqlite_path(env)
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        p.unlink(missing_ok=True)


def prepare(env: dict[str, str]) -> None:
    """prepare creates or migrates the schema and the cache table, as `broadsheet setup` does."""
    # --skip-checks: the schema does not depend on the URLconf, which may be mid-change in a checkout.
    for command in (["migrate", "--noinput", "--skip-checks"], ["createcachetable"]):
        subprocess.run(
            [sys.executable, "manage.py", *command, "-v0"], cwd=ROOT, env=env, check=True
        )


def search_rebuild() -> float | None:
    """search_rebuild runs the search app's own full rebuild; None when the search app lacks one."""
    try:
        from broadsheet.search.services import search_index_rebuild
    except ImportError:
        print(
            "synth: broadsheet.search.services.search_index_rebuild is absent: no search index",
            file=sys.stderr,
        )
        return None
    from django.db import connections

    start = time.perf_counter()
    try:
        search_index_rebuild(batch_size=5000)
    except Exception as exc:  # noqa: BLE001 - the data stays usable; say why search will be empty
        print(f"synth: the search index rebuild failed: {exc!r}", file=sys.stderr)
        return None
    finally:
        connections.close_all()
    return round(time.perf_counter() - start, 1)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1_000_000, help="articles")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--home", default=os.environ.get("BROADSHEET_HOME", "var/bench/synth"))
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--reset", action="store_true", help="empty the database first")
    parser.add_argument("--no-search", action="store_true", help="skip the search index rebuild")
    parser.add_argument(
        "--update",
        action="store_true",
        help="only migrate a filled database, and index it if it never was",
    )
    args = parser.parse_args()
    home = Path(args.home).resolve()
    home.mkdir(parents=True, exist_ok=True)
    marker = home / "synth.json"
    env = isolated_env(database_url=args.database_url, home=str(home))
    if args.reset:
        reset(env)
    start = time.perf_counter()
    prepare(env)
    migrate_s = time.perf_counter() - start
    os.environ.update(
        {k: env[k] for k in ("BROADSHEET_HOME", "DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    )
    import django

    django.setup()
    from django.db import connections

    from broadsheet.articles.models import Article

    pg = args.database_url.startswith("postgres")
    if args.update:
        state = json.loads(marker.read_text()) if marker.exists() else {}
        state.setdefault("n", Article.objects.count())
        if not state.get("search") and not args.no_search:
            state["search"] = search_rebuild() is not None
            marker.write_text(json.dumps(state))
        return
    if Article.objects.exists():
        raise SystemExit("synth: the database already holds articles; pass --reset to start over")
    connections.close_all()
    loader = PostgresLoader(args.database_url) if pg else SqliteLoader(str(sqlite_path(env)))
    timings = fill(loader, n=args.n, seed=args.seed)
    generate_s = time.perf_counter() - start
    search_s = None if args.no_search else search_rebuild()
    size_mb = loader.size_mb()
    emit(
        "synth",
        db="postgres" if pg else "sqlite",
        n=args.n,
        generate_s=round(generate_s, 1),
        articles_per_s=round(args.n / generate_s),
        migrate_s=round(migrate_s, 1),
        search_index_s=search_s,
        db_size_mb=round(size_mb),
        **{k: round(v, 1) if isinstance(v, float) else v for k, v in timings.items()},
    )
    marker.write_text(
        json.dumps(
            {
                "n": args.n,
                "seed": args.seed,
                "database_url": args.database_url,
                "search": search_s is not None,
            }
        )
    )


if __name__ == "__main__":
    main()
