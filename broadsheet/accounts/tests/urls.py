"""The accounts and site pages, plus two staff pages, without the other apps' URLs."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from broadsheet.accounts.middleware import staff_page


def staff_by_path(request: HttpRequest) -> HttpResponse:
    return HttpResponse("staff area")


@staff_page
def staff_by_mark(request: HttpRequest) -> HttpResponse:
    return HttpResponse("moderation queue")


urlpatterns = [
    path("accounts/", include("broadsheet.accounts.urls")),
    path("staff/panel/", staff_by_path),
    path("queue/", staff_by_mark),
    path("", include("broadsheet.web.urls")),
]
