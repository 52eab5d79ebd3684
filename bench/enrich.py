"""Enrichment cost per article, step by step, and the enrichment worker's peak memory.

Articles are the extraction dev pages, extracted by the pipeline's own extractor and stored under
several sources; they are then enriched as the worker does it, in tasks of --batch articles (the
pipeline's batch by default), with a timer around every step; a step's time is its total over the
run divided by the number of articles, so batched steps (NER) count their share (wall time; the
whole run's CPU time per article is reported too).

    .venv/bin/python bench/enrich.py [--n 122] [--batch 20]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import dev_pages, django_setup, emit, isolated_env, peak_rss_mb  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=122)
    parser.add_argument(
        "--batch", type=int, default=0, help="articles per task (default: ENRICH_BATCH)"
    )
    args = parser.parse_args()
    pages = dev_pages(args.n)
    if not pages:
        print("SKIPPED: ../shared/data/extraction-dev is absent", file=sys.stderr)
        return
    django_setup(isolated_env())
    import os

    from django.conf import settings

    from broadsheet.articles.extract import ChallengePage, NotAnArticle, extract_article
    from broadsheet.articles.models import Article
    from broadsheet.enrich import decisions, services
    from broadsheet.enrich.hashtags import TagInput
    from broadsheet.enrich.modelbuild import models_build
    from broadsheet.ingest.models import Source

    models_build(settings.HOME)
    sources = [
        Source.objects.create(name=f"Outlet {i}", host=f"outlet{i}.example") for i in range(8)
    ]
    articles = []
    for i, (pid, html) in enumerate(pages):
        try:
            ex = extract_article(html, url=f"https://outlet{i % 8}.example/{pid}")
        except (ChallengePage, NotAnArticle):
            continue
        articles.append(
            Article.objects.create(
                source=sources[i % 8],
                url=f"https://outlet{i % 8}.example/{pid}",
                canonical_url=f"https://outlet{i % 8}.example/{pid}",
                title=ex.title or pid,
                text=ex.text,
                language=ex.lang,
                published_at=ex.published,
                content_hash=pid,
            )
        )
    steps: dict[str, list[float]] = defaultdict(list)
    timed_steps = [  # (module, function, step); a step's time is summed over its calls
        (services, "_embed", "embed"),
        (services, "hashtags_many", "hashtags"),
        (services, "keyphrases", "keyphrases"),
        (services, "key_points", "key_points"),
        (decisions, "copy_signature", "copy_signature"),
        (services, "_store", "decide+story+related"),
    ]
    for module, name, step in timed_steps:
        fn = getattr(module, name)

        def timed(*a, _fn=fn, _step=step, **kw):  # type: ignore[no-untyped-def]
            start = time.perf_counter()
            try:
                return _fn(*a, **kw)
            finally:
                steps[_step].append(time.perf_counter() - start)

        setattr(module, name, timed)
    services.key_points(
        articles[0].text, title=articles[0].title
    )  # warm-up: model loads are not per article
    services._embed(articles[0].title, articles[0].text)
    services.hashtags_many([TagInput(articles[0].title, articles[0].text)])
    steps.clear()
    batch = args.batch or services.ENRICH_BATCH
    ids = [article.pk for article in articles]
    start, cpu_start = time.perf_counter(), time.process_time()
    for first in range(0, len(ids), batch):
        services.articles_enrich(article_ids=ids[first : first + batch])
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    per_step = {k: round(1000 * sum(v) / len(articles), 1) for k, v in steps.items()}
    emit(
        "enrichment",
        articles=len(articles),
        batch=batch,
        articles_per_s=round(len(articles) / elapsed, 1),
        # This process's CPU time: what a busy shared machine moves least.
        cpu_ms_per_article=round(1000 * cpu / len(articles), 1),
        ms_per_article_by_step=per_step,
        peak_rss_mb=round(peak_rss_mb(os.getpid()), 1),
    )


if __name__ == "__main__":
    main()
