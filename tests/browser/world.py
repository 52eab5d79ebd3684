"""The data the browser tests read: a small, realistic newsroom built with the ORM and real services.

Three outlets cover one North Korean missile launch (an enriched story with a cross-source summary,
perspectives, key points, hashtags and related links); a Korean article says "북한은 …"; a few other
articles give the home, tag and source pages more than one row. Times are offsets from now, so the
relative times read the same on every run.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from broadsheet.articles.models import Article
from broadsheet.articles.sanitize import html_to_text, sanitize_html
from broadsheet.enrich.models import Enrichment, Story, Tag
from broadsheet.enrich.services import story_refresh
from broadsheet.enrich.summarize import key_points
from broadsheet.ingest.models import Feed, Source
from broadsheet.web.tests.factories import (
    link_related,
    make_article,
    make_feed,
    make_source,
    make_tag,
)

STORY = [
    (
        "Seoul Daily",
        "seouldaily.example",
        "North Korea fires ballistic missile into East Sea, Seoul says",
        "Kim Min-ji",
        3,
        [
            "North Korea fired a ballistic missile into the East Sea on Tuesday morning, South Korea's Joint Chiefs of Staff said.",
            "The missile flew about 1,000 kilometres before landing outside Japan's exclusive economic zone, according to the military.",
            "It was the third launch this month, and it came a day after Seoul and Washington began joint air drills.",
            "The Joint Chiefs of Staff said the South Korean military had raised its surveillance posture and was sharing information with the United States and Japan.",
            "Analysts in Seoul said Pyongyang was likely testing a solid-fuel engine that makes launches harder to detect in advance.",
        ],
    ),
    (
        "Harbor Wire",
        "harborwire.example",
        "Pyongyang launches missile as allies hold air drills",
        "Daniel Park",
        2,
        [
            "Pyongyang launched a ballistic missile on Tuesday as South Korean and US warplanes held joint drills over the peninsula.",
            "Japan's defence ministry said the missile landed in the sea about 300 kilometres off its northern coast and caused no damage.",
            "The White House condemned the launch as a violation of several United Nations Security Council resolutions.",
            "Shipping and aviation authorities in Japan issued warnings but reported no damage to vessels or aircraft.",
            "North Korea's state media did not immediately comment on the launch, which followed weeks of warnings about the drills.",
        ],
    ),
    (
        "Pacific Ledger",
        "pacificledger.example",
        "Missile launch tests alliance as talks stall",
        "Sarah Lee",
        1,
        [
            "North Korea's latest missile launch is a test of the alliance between Seoul, Tokyo and Washington, diplomats say.",
            "Talks between Pyongyang and Washington have stalled for more than five years, and no meeting is planned.",
            "China's foreign ministry urged all sides to show restraint and to return to dialogue on the Korean peninsula.",
            "Officials in Tokyo said the missile flew for about 20 minutes, which suggests an intermediate-range weapon.",
            "Diplomats expect the United Nations Security Council to meet this week, although new sanctions are unlikely.",
        ],
    ),
]

OTHERS = [
    (
        "Seoul Daily",
        "Bank of Korea holds interest rate at 3.5 percent",
        "Choi Ji-woo",
        5,
        ["economy", "bank-of-korea"],
        [
            "The Bank of Korea kept its benchmark interest rate at 3.5 percent on Thursday, as expected by most economists.",
            "The governor said inflation was easing but household debt remained a concern for the central bank.",
            "Markets expect the first cut later this year if consumer prices keep slowing.",
        ],
    ),
    (
        "Harbor Wire",
        "Ulsan port reopens after typhoon passes",
        "",
        8,
        ["ulsan", "typhoon"],
        [
            "The port of Ulsan reopened on Wednesday after a typhoon swept past the southeastern coast overnight.",
            "Port officials said cranes and berths were undamaged and ships resumed loading by noon.",
            "Forecasters said the storm weakened as it moved over the East Sea toward Japan.",
        ],
    ),
]

KOREAN = (
    "Seoul Daily",
    "북한, 동해상으로 탄도미사일 발사",
    "김민지 기자",
    4,
    [
        "북한은 화요일 오전 동해상으로 탄도미사일 한 발을 발사했다고 합동참모본부가 밝혔다.",
        "미사일은 약 1,000킬로미터를 비행한 뒤 일본 배타적경제수역 밖에 떨어진 것으로 알려졌다.",
        "합동참모본부는 한미 연합 공중훈련이 시작된 다음 날 발사가 이뤄졌다며 감시와 경계를 강화했다고 말했다.",
    ],
)

STORY_TAGS = [
    ("north-korea", "NorthKorea", Tag.Kind.PLACE),
    ("missile-launch", "MissileLaunch", Tag.Kind.EVENT),
    ("joint-chiefs-of-staff", "JointChiefsOfStaff", Tag.Kind.ORG),
]
OTHER_TAGS = {
    "economy": ("Economy", Tag.Kind.TOPIC),
    "bank-of-korea": ("BankOfKorea", Tag.Kind.ORG),
    "ulsan": ("Ulsan", Tag.Kind.PLACE),
    "typhoon": ("Typhoon", Tag.Kind.EVENT),
}


@dataclass
class World:
    """World holds the rows a test navigates: the lead article, the story, tags, sources."""

    article: Article
    story: Story
    story_articles: list[Article]
    korean: Article
    others: list[Article]
    tag: Tag
    sources: dict[str, Source]
    feed_failing: Feed
    tags: dict[str, Tag] = field(default_factory=dict)


def png(width: int = 640, height: int = 360) -> bytes:
    """png returns a flat seascape PNG (sky, sea, a grey ship), so lead images are real pictures
    served from loopback that still compress well in screenshots."""
    sky, sea, ship = bytes((176, 200, 222)), bytes((38, 70, 110)), bytes((90, 94, 100))
    horizon = height * 5 // 9
    rows = bytearray()
    for y in range(height):
        rows.append(0)
        band = sky if y < horizon else sea
        hull = horizon - height // 12 <= y < horizon + height // 40
        for x in range(width):
            rows += ship if hull and width * 3 // 5 <= x < width * 4 // 5 else band
    chunks = [
        (b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)),
        (b"IDAT", zlib.compress(bytes(rows), 9)),
        (b"IEND", b""),
    ]
    out = b"\x89PNG\r\n\x1a\n"
    for kind, data in chunks:
        out += struct.pack(">I", len(data)) + kind + data
        out += struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return out


def _paragraphs(sentences: list[str]) -> str:
    return "".join(f"<p>{s}</p>" for s in sentences)


def article_make(
    *,
    source: Source,
    title: str,
    byline: str,
    hours_ago: float,
    body_html: str,
    language: str = "en",
    lead_image: str = "",
    tags: tuple[Tag, ...] = (),
    story: Story | None = None,
    points: list[str] | None = None,
    what_changed: list[str] | None = None,
) -> Article:
    """article_make stores an article through the site's factory, as the pipeline would have: body
    through the real sanitizer, text from it, key points from the real summarizer (unless given)."""
    body = sanitize_html(body_html, base_url=f"https://{source.host}/news/")
    text = html_to_text(body)
    paragraphs = tuple(text.split("\n\n"))
    return make_article(
        source=source,
        title=title,
        paragraphs=paragraphs,
        published_at=timezone.now() - timedelta(hours=hours_ago),
        tags=tags,
        key_points=points if points is not None else key_points(text, title=title, n=3),
        story=story,
        what_changed=what_changed,
        language=language,
        lead_image=lead_image,
        body_html=body,
        summary=paragraphs[0],  # a feed's summary: the first paragraph
        byline=byline,
    )


COMMENTS = [
    ("minjun", "Min-jun", "Third launch this month. The drills clearly did not deter anything."),
    ("harbor_reader", "", "Does anyone know whether the flight path crossed over Japan this time?"),
]


def comments_add(article: Article) -> None:
    """comments_add posts a short thread on the article (and a reply), if comments are installed."""
    try:
        from broadsheet.community.models import Comment, CommentState
    except ImportError:
        return
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    first = None
    for minutes, (username, display, text) in enumerate(COMMENTS):
        user = users.create_user(username=username, password=None)
        if display and hasattr(user, "display_name"):
            user.display_name = display
            user.save(update_fields=["display_name"])
        row = Comment.objects.create(
            article=article,
            author=user,
            parent=first,
            text=text,
            state=CommentState.APPROVED,
            created_at=timezone.now() - timedelta(minutes=40 - 15 * minutes),
        )
        first = first or row


def world_build(*, image_base: str = "") -> World:
    """world_build stores the whole newsroom; image_base is a loopback URL serving /lead.png."""
    now = timezone.now()
    sources: dict[str, Source] = {}
    feeds: dict[str, Feed] = {}
    for name, host, *_ in STORY:
        sources[name] = make_source(name=name, host=host)
        # Lead images come from the loopback publisher: the resizer fetches only known hosts.
        Source.objects.filter(pk=sources[name].pk).update(image_hosts=["127.0.0.1"])
        feeds[name] = make_feed(
            source=sources[name],
            title=f"{name} — top news",
            last_success_at=now - timedelta(minutes=12),
            last_checked_at=now - timedelta(minutes=12),
            last_status=200,
            entry_count=30,
        )
    feed_failing = make_feed(
        source=make_source(name="Gone Gazette", host="gone.example"),
        title="Gone Gazette",
        last_checked_at=now - timedelta(minutes=30),
        last_error_at=now - timedelta(minutes=30),
        last_status=404,
        last_error_kind="http_status",
        last_error="HTTP 404 Not Found",
        consecutive_failures=4,
    )
    tags = {slug: make_tag(name, slug=slug, kind=kind) for slug, name, kind in STORY_TAGS}
    tags.update({slug: make_tag(n, slug=slug, kind=k) for slug, (n, k) in OTHER_TAGS.items()})
    lead_image = f"{image_base}/lead.png" if image_base else ""

    story = Story.objects.create()
    story_articles = []
    for seq, (name, _host, title, byline, hours, sentences) in enumerate(STORY, start=1):
        article = article_make(
            source=sources[name],
            title=title,
            byline=byline,
            hours_ago=hours,
            body_html=_paragraphs(sentences),
            lead_image=lead_image,
            tags=tuple(list(tags.values())[: 3 if seq == 1 else 2]),
            story=story,
        )
        Article.objects.filter(pk=article.pk).update(feed=feeds[name])
        Enrichment.objects.filter(pk=article.pk).update(seq=seq, enriched_at=now)
        story_articles.append(article)
    # The story's title, counts and cross-source summary, as enrichment computes them.
    story_refresh(story_id=story.pk)
    story.refresh_from_db()

    name, title, byline, hours, sentences = KOREAN
    korean = article_make(
        source=sources[name],
        title=title,
        byline=byline,
        hours_ago=hours,
        body_html=_paragraphs(sentences),
        language="ko",
        tags=(tags["north-korea"],),
    )
    others = [
        article_make(
            source=sources[name],
            title=title,
            byline=byline,
            hours_ago=hours,
            body_html=_paragraphs(sentences),
            tags=tuple(tags[s] for s in tag_slugs),
        )
        for name, title, byline, hours, tag_slugs, sentences in OTHERS
    ]

    # Related coverage: each story article points at the other outlets' takes, then the Korean one.
    for article in story_articles:
        link_related(
            article, [a for a in story_articles if a.source_id != article.source_id] + [korean]
        )
    link_related(korean, [story_articles[0]])
    comments_add(story_articles[0])
    for row in [*story_articles, korean, *others]:
        row.refresh_from_db()
    return World(
        article=story_articles[0],
        story=story,
        story_articles=story_articles,
        korean=korean,
        others=others,
        tag=tags["north-korea"],
        sources=sources,
        feed_failing=feed_failing,
        tags=tags,
    )
