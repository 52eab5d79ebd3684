"""The site's list queries on a big SQLite database (read-only): plan and time of each page's main query.

Build the database first with bench/synth.py, then:
    BROADSHEET_HOME=var/bench/sq .venv/bin/python bench/site_queries.py var/bench/site/sqlite-1000000/broadsheet.sqlite3
Each figure is the mean of 5 runs after one warm-up, straight through sqlite3 (no ORM overhead).
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db.models import Exists, OuterRef, Q, QuerySet, Value  # noqa: E402
from django.db.models.functions import Coalesce  # noqa: E402

from bench.common import emit  # noqa: E402
from broadsheet.articles.models import Article  # noqa: E402
from broadsheet.enrich.models import ArticleTag, Story  # noqa: E402


def main(path: str) -> None:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)

    def rows(sql: str, params: tuple = ()) -> list[tuple]:
        return db.execute(sql, params).fetchall()

    def measure(name: str, qs: QuerySet) -> None:
        sql, params = qs.query.sql_with_params()
        params = tuple(
            str(p.replace(tzinfo=None)) if isinstance(p, dt.datetime) else p for p in params
        )
        sql = sql.replace("%s", "?")
        plan = [r[-1] for r in rows("EXPLAIN QUERY PLAN " + sql, params)]
        rows(sql, params)
        start = time.perf_counter()
        for _ in range(5):
            rows(sql, params)
        emit(
            "site_queries",
            query=name,
            ms=round((time.perf_counter() - start) / 5 * 1000, 1),
            plan=plan,
        )

    tags = rows("select id, article_count from enrich_tag order by article_count desc")
    big, mid, rare = tags[0][0], tags[200][0], next(t for t, n in reversed(tags) if n > 0)
    source = rows(
        "select source_id from articles_article group by source_id order by count(*) desc limit 1"
    )[0][0]
    last = dt.datetime.fromisoformat(
        rows("select max(last_published_at) from enrich_story")[0][0][:19]
    )
    newest = Article.objects.order_by("-published_at", "-id")
    measure("home latest", newest[:31])
    measure("home latest page 30", newest[870:901])
    window = {"last_published_at__gte": last - dt.timedelta(hours=48), "article_count__gt": 0}
    order = ("-source_count", "-last_published_at", "-id")
    measure(
        "top stories",
        Story.objects.alias(m=Coalesce("merged_into_id", Value(0)))
        .filter(m=0, **window)
        .order_by(*order)[:6],
    )
    measure(
        "copies, OR across the join (before)",
        Article.objects.filter(Q(pk=5) | Q(enrichment__duplicate_of_id=5))[:50],
    )
    measure(
        "source, biggest",
        Article.objects.filter(source_id=source).order_by("-published_at", "-id")[:31],
    )
    for label, tag in (("biggest", big), ("200th", mid), ("rarest", rare)):
        join = Article.objects.filter(article_tags__tag_id=tag).order_by("-published_at", "-id")[
            :31
        ]
        probe = Article.objects.filter(
            Exists(ArticleTag.objects.filter(article_id=OuterRef("pk"), tag_id=tag))
        ).order_by("-published_at", "-id")[:31]
        measure(f"tag {label}, join and sort", join)
        measure(f"tag {label}, date index and probe", probe)


if __name__ == "__main__":
    main(sys.argv[1])
