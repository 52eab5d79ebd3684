"""OPML from the site: export the subscriptions (anyone), import a file (staff, size-capped)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from broadsheet.ingest.opml import Outline, render_opml
from broadsheet.ingest.parse import ParseError
from broadsheet.ingest.selectors import feeds_for_export
from broadsheet.ingest.services import feeds_import_opml

FORM_OVERHEAD = 64 * 1024  # multipart boundaries and the CSRF field around the file


def _announced(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 1 << 62


@require_GET
def opml_export(request: HttpRequest) -> HttpResponse:
    """opml_export downloads every active feed as OPML 2.0, grouped by category."""
    outlines = [
        Outline(xml_url=f.url, title=f.title, html_url=f.site_url, category=f.category)
        for f in feeds_for_export()
    ]
    response = HttpResponse(render_opml(outlines), content_type="text/x-opml; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="broadsheet.opml"'
    return response


@require_http_methods(["GET", "POST"])
def opml_import(request: HttpRequest) -> HttpResponse:
    """opml_import subscribes to every feed of an uploaded OPML file (staff only)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not request.user.is_staff:
        return HttpResponseForbidden("staff only", content_type="text/plain; charset=utf-8")
    limit = int(settings.BROADSHEET["BROADSHEET_OPML_MAX_BYTES"])
    context: dict[str, object] = {"max_bytes": limit}
    status = 200
    if request.method == "POST" and _announced(request) > limit + FORM_OVERHEAD:
        # Refused before Django reads the upload: a huge body costs us nothing.
        context["error"], status = f"That file is over {limit // 1024} KiB.", 413
    elif request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            context["error"], status = "Choose an OPML file to import.", 400
        elif upload.size is None or upload.size > limit:
            context["error"], status = f"That file is over {limit // 1024} KiB.", 413
        else:
            try:
                added, known = feeds_import_opml(content=upload.read(limit + 1))
            except ParseError as exc:
                context["error"], status = f"Not a usable OPML file: {exc}", 400
            else:
                context["added"], context["known"] = added, known
    return render(request, "api/opml_import.html", context, status=status)
