"""HTML views: thin pass-throughs to selectors."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from broadsheet.articles import selectors as article_selectors
from broadsheet.ingest import selectors as ingest_selectors


def home(request: HttpRequest) -> HttpResponse:
    return render(
        request, "web/home.html", {"articles": article_selectors.article_list_latest(limit=50)}
    )


def feed_health(request: HttpRequest) -> HttpResponse:
    return render(request, "web/feed_health.html", {"feeds": ingest_selectors.feed_health_list()})


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})
