"""One view that is always over its limit, for the middleware test."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from broadsheet.core.ratelimit import RateLimited


def limited(request: HttpRequest) -> HttpResponse:
    raise RateLimited(7)


urlpatterns = [path("limited", limited)]
