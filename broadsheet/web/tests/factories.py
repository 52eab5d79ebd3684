"""Small factories for pages with realistic data: sources, articles with hashtags, stories, related links.

Shared with the browser and load tests: `make_world()` builds a front page's worth of everything.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import F
from django.utils import timezone

from broadsheet.articles.models import Article
from broadsheet.enrich.models import ArticleTag, Enrichment, RelatedArticle, Story, Tag
from broadsheet.ingest.models import Feed, Source

_seq = itertools.count(1)

PARAGRAPHS = (
    "A fire broke out on a passenger ferry in Busan harbour on Thursday morning, forcing 212 "
    "passengers to evacuate onto rescue boats.",
    "The coast guard said the blaze started in the engine room shortly after the ship left the "
    "terminal. Eleven people were treated for smoke inhalation.",
    "Investigators from the Korea Maritime Safety Tribunal arrived at the scene by noon, and the "
    "operator suspended its Busan to Jeju service while the vessel is inspected.",
)


def make_source(*, name: str = "", host: str = "") -> Source:
    """make_source creates a publisher with a unique host."""
    n = next(_seq)
    return Source.objects.create(
        name=name or f"Outlet {n}",
        host=host or f"outlet{n}.example",
        homepage=f"https://{host or f'outlet{n}.example'}/",
    )


def make_feed(*, source: Source | None = None, **fields: object) -> Feed:
    """make_feed creates a feed for a source."""
    n = next(_seq)
    source = source or make_source()
    return Feed.objects.create(
        source=source, url=f"https://{source.host}/feed{n}.xml", host=source.host, **fields
    )


def make_tag(name: str, *, slug: str = "", kind: str = Tag.Kind.TOPIC) -> Tag:
    """make_tag returns the hashtag called name (created once)."""
    tag, _ = Tag.objects.get_or_create(
        slug=slug or name.lower(), defaults={"name": name, "kind": kind}
    )
    return tag


def make_article(
    *,
    source: Source | None = None,
    title: str = "",
    paragraphs: tuple[str, ...] = PARAGRAPHS,
    published_at: datetime | None = None,
    tags: tuple[Tag, ...] = (),
    key_points: list[str] | None = None,
    state: str = Enrichment.State.DONE,
    story: Story | None = None,
    duplicate_of: Article | None = None,
    what_changed: list[str] | None = None,
    language: str = "en",
    lead_image: str = "",
    body_html: str | None = None,
    summary: str = "",
    byline: str = "Kim Min-ji",
) -> Article:
    """make_article creates an article with its enrichment (state, key points, story) and hashtags."""
    n = next(_seq)
    source = source or make_source()
    url = f"https://{source.host}/news/{n}"
    text = "\n\n".join(paragraphs)
    article = Article.objects.create(
        source=source,
        url=url,
        canonical_url=url,
        title=title or f"Ferry fire in Busan harbour, report {n}",
        byline=byline,
        published_at=published_at or timezone.now() - timedelta(minutes=16),
        language=language,
        body_html=body_html
        if body_html is not None
        else "".join(f"<p>{p}</p>" for p in paragraphs),
        text=text,
        summary=summary or paragraphs[0],
        lead_image=lead_image,
        word_count=len(text.split()),
        content_hash=f"h{n}",
    )
    Enrichment.objects.create(
        article=article,
        state=state,
        key_points=key_points if key_points is not None else list(paragraphs[:3]),
        story=story,
        duplicate_of=duplicate_of,
        what_changed=what_changed or [],
    )
    ArticleTag.objects.bulk_create(
        [ArticleTag(article=article, tag=t, rank=i) for i, t in enumerate(tags)]
    )
    Tag.objects.filter(pk__in=[t.pk for t in tags]).update(article_count=F("article_count") + 1)
    search_index(article)
    return article


def search_index(article: Article) -> None:
    """search_index puts an article in the search index, as the pipeline's signal would (when search is installed)."""
    try:
        from broadsheet.search.services import search_index_article
    except ImportError:
        return
    search_index_article(article_id=article.pk)


def make_story(*, articles: list[Article], title: str = "") -> Story:
    """make_story files articles under one story, summarised with citations, as story_refresh would."""
    ordered = sorted(articles, key=lambda a: (a.published_at, a.id))
    story = Story.objects.create(
        title=title or ordered[0].title,
        lead_article=ordered[0],
        first_published_at=ordered[0].published_at,
        last_published_at=ordered[-1].published_at,
        article_count=len(ordered),
        source_count=len({a.source_id for a in ordered}),
        summary=[
            [f"Sentence {i} of the summary.", [i]] for i in range(1, min(len(ordered), 3) + 1)
        ],
    )
    Enrichment.objects.filter(article__in=ordered).update(story=story)
    return story


def link_related(article: Article, others: list[Article]) -> None:
    """link_related records others as article's related coverage, in order."""
    RelatedArticle.objects.bulk_create(
        [RelatedArticle(article=article, related=o, rank=i) for i, o in enumerate(others)]
    )


@dataclass
class World:
    sources: list[Source] = field(default_factory=list)
    tags: list[Tag] = field(default_factory=list)
    articles: list[Article] = field(default_factory=list)
    stories: list[Story] = field(default_factory=list)


def make_world(*, articles: int = 30, sources: int = 5) -> World:
    """make_world builds a front page: sources, tagged articles in stories, related links, copies."""
    now = timezone.now()
    world = World()
    world.sources = [make_source(name=f"Outlet {i}") for i in range(sources)]
    world.tags = [make_tag(name) for name in ("Busan", "Ferry", "Korea", "Weather", "Economy")]
    for i in range(articles):
        world.articles.append(
            make_article(
                source=world.sources[i % sources],
                title=f"Story {i}: ferry fire update from outlet {i % sources}",
                published_at=now - timedelta(minutes=5 * i + 1),
                tags=tuple(world.tags[j % len(world.tags)] for j in range(i, i + 3)),
                lead_image=f"https://{world.sources[i % sources].host}/img/{i}.jpg",
                what_changed=[f"New detail number {i}."],
            )
        )
    for start in range(0, articles, 5):
        group = world.articles[start : start + 5]
        if len(group) >= 2:
            world.stories.append(make_story(articles=group))
    for i, article in enumerate(world.articles):
        link_related(article, [a for a in world.articles[i + 1 : i + 7]])
    if articles >= 2:
        Enrichment.objects.filter(article=world.articles[1]).update(duplicate_of=world.articles[0])
    Tag.objects.update(article_count=articles)
    return world
