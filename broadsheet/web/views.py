"""HTML views: thin pass-throughs to selectors."""

from __future__ import annotations

import importlib
import mimetypes
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.core.exceptions import BadRequest
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from broadsheet.articles.models import Article
from broadsheet.core.redirects import safe_next
from broadsheet.enrich import selectors as enrich_selectors
from broadsheet.enrich.models import Story, Tag
from broadsheet.ingest import selectors as ingest_selectors
from broadsheet.ingest.models import Source
from broadsheet.web import selectors
from broadsheet.web.pagecache import cache_for_anonymous
from broadsheet.web.pages import article_context, parse_day, search_params

PAGE_SIZE = 30
MAX_PAGE = 1000
MAX_QUESTION = 500
STORY_SUMMARY_ARTICLES = 8
TIMELINE_PAGE = 50  # enrich.services.story_refresh summarises the story's last 8 articles


def _page(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise BadRequest("page must be a number from 1 to 1000")
    return int(raw)


def _paged(rows: list[Any], page: int) -> dict[str, Any]:
    return {
        "items": rows[:PAGE_SIZE],
        "page": page,
        "next_page": page + 1 if len(rows) > PAGE_SIZE else None,
        "prev_page": page - 1 if page > 1 else None,
    }


@require_GET
@cache_for_anonymous
def home(request: HttpRequest) -> HttpResponse:
    page = _page(request)
    rows = selectors.articles_latest(offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    stories = selectors.stories_top(now=timezone.now()) if page == 1 else []
    return render(request, "web/home.html", {"stories": stories, "latest": _paged(rows, page)})


@require_GET
@cache_for_anonymous
def article(request: HttpRequest, pk: int, slug: str = "") -> HttpResponse:
    try:
        item = selectors.article_get(pk=pk)
    except Article.DoesNotExist as exc:
        raise Http404("no such article") from exc
    return render(request, "web/article.html", article_context(request, item))


@require_GET
@cache_for_anonymous
def ask(request: HttpRequest, pk: int) -> HttpResponse:
    # A GET: asking changes nothing, so the form needs no CSRF token and the page stays cacheable.
    try:
        item = selectors.article_get(pk=pk)
    except Article.DoesNotExist as exc:
        raise Http404("no such article") from exc
    question = request.GET.get("q", "").strip()
    status = 200
    result: dict[str, Any] = {"question": question}
    if not question or len(question) > MAX_QUESTION:
        result["error"] = _("Ask a question of 1 to 500 characters.")
        status = 400
    else:
        answer = enrich_selectors.article_ask(article=item, question=question)
        result["text"] = answer.text if answer.supported else _("The coverage doesn't say.")
        result["links"] = {
            n: reverse("web:article", args=[article_id])
            for n, article_id in answer.citations.items()
        }
    if request.headers.get("HX-Request") == "true":
        return render(
            request, "web/_answer.html", {"article": item, "answer": result}, status=status
        )
    context = article_context(request, item)
    context["answer"] = result
    return render(request, "web/article.html", context, status=status)


@require_GET
def language(request: HttpRequest, code: str) -> HttpResponse:
    """language switches the reader's language by a plain link (no form, so pages stay cacheable)."""
    if code not in dict(settings.LANGUAGES):
        raise Http404("no such language")
    response = redirect(safe_next(request))
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


@require_GET
@cache_for_anonymous
def tag(request: HttpRequest, slug: str) -> HttpResponse:
    item = get_object_or_404(Tag, slug=slug)
    page = _page(request)
    rows = selectors.articles_for_tag(tag=item, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    return render(request, "web/tag.html", {"tag": item, "articles": _paged(rows, page)})


@require_GET
@cache_for_anonymous
def source(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(Source, pk=pk)
    page = _page(request)
    rows = selectors.articles_for_source(
        source=item, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    return render(request, "web/source.html", {"source": item, "articles": _paged(rows, page)})


@require_GET
@cache_for_anonymous
def story(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        item = selectors.story_get(pk=pk)
    except Story.DoesNotExist as exc:
        raise Http404("no such story") from exc
    if item.pk != pk:
        return redirect("web:story", pk=item.pk, permanent=True)
    page = _page(request)
    # Newest page first, each page in time order: a story of 2,000 articles rendered whole cost
    # 0.6-1.8 s of CPU (docs/BENCHMARKS.md); a page of TIMELINE_PAGE costs what a small story does.
    articles = enrich_selectors.story_articles(story=item)
    newest_first = articles.reverse()[(page - 1) * TIMELINE_PAGE : page * TIMELINE_PAGE + 1]
    rows = list(newest_first)
    timeline = rows[:TIMELINE_PAGE][::-1]
    latest = timeline if page == 1 else list(articles.reverse()[:STORY_SUMMARY_ARTICLES])[::-1]
    summarised = latest[-STORY_SUMMARY_ARTICLES:]
    links = {n: reverse("web:article", args=[a.pk]) for n, a in enumerate(summarised, start=1)}
    summary = [(str(s), [(n, links.get(n, "")) for n in cites]) for s, cites in item.summary]
    key = f"web:perspectives:{item.pk}:{item.updated_at.timestamp()}"
    views = cache.get_or_set(key, lambda: enrich_selectors.story_perspectives(story=item), 600)
    title_language = next((a.language for a in timeline if a.pk == item.lead_article_id), None)
    if title_language is None and item.lead_article_id is not None:
        # The headline's article is on another page of the timeline.
        lead = Article.objects.filter(pk=item.lead_article_id).values_list("language", flat=True)
        title_language = next(iter(lead), None)
    return render(
        request,
        "web/story.html",
        {
            "story": item,
            "timeline": timeline,
            "pager": {
                "page": page,
                "prev_page": page - 1 if page > 1 else None,
                "next_page": page + 1 if len(rows) > TIMELINE_PAGE else None,
            },
            "summary": summary,
            "perspectives": views,
            "title_language": title_language or "",
        },
    )


@require_GET
@cache_for_anonymous
def search(request: HttpRequest) -> HttpResponse:
    params = search_params(request.GET)
    context: dict[str, Any] = {
        "params": params,
        "sources": Source.objects.order_by("name").values_list("id", "name")[:500],
        "available": True,
        "results": [],
    }
    try:
        engine = importlib.import_module("broadsheet.search.selectors")
    except ImportError:
        context["available"] = False
        return render(request, "web/search.html", context)
    if params["q"]:
        page = params["page"]
        try:
            found = engine.search_articles(
                query=params["q"],
                source_id=params["source"],
                tag_slug=params["tag"] or None,
                since=params["since_dt"],
                until=params["until_dt"],
                language=params["language"] or None,
                sort=params["sort"],
                limit=PAGE_SIZE,
                offset=(page - 1) * PAGE_SIZE,
                load=selectors.article_cards(Article.objects.all(), with_text=True),
            )
        except ValueError as exc:
            raise BadRequest(str(exc)) from exc
        context["results"] = [
            (a, engine.highlight(a.text or a.summary, found.query_tokens)) for a in found.articles
        ]
        context["next_page"] = page + 1 if found.has_next else None
        context["prev_page"] = page - 1 if page > 1 else None
    return render(request, "web/search.html", context)


@require_GET
@cache_for_anonymous
def wrapup(request: HttpRequest) -> HttpResponse:
    day = parse_day(request.GET.get("date", ""), "date") or timezone.localdate()
    return render(
        request,
        "web/wrapup.html",
        {
            "day": day,
            "stories": enrich_selectors.wrapup(day=day),
            "prev_day": day - timedelta(days=1),
            "next_day": day + timedelta(days=1) if day < timezone.localdate() else None,
        },
    )


@require_GET
def feed_health(request: HttpRequest) -> HttpResponse:
    return render(request, "web/feed_health.html", {"feeds": ingest_selectors.feed_health_list()})


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


@require_GET
def static_file(request: HttpRequest, path: str) -> FileResponse:
    """static_file serves the apps' static files when no front server does (gunicorn alone)."""
    if ".." in path.split("/") or "\\" in path:
        raise Http404("no such file")
    found = finders.find(path)
    if not found or not isinstance(found, str) or not Path(found).is_file():
        raise Http404("no such file")
    kind, _encoding = mimetypes.guess_type(found)
    # FileResponse closes the file when the response is done.
    response = FileResponse(open(found, "rb"), content_type=kind or "application/octet-stream")  # noqa: SIM115
    response["Cache-Control"] = "public, max-age=3600"
    return response
