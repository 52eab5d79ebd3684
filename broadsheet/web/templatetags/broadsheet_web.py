"""{% load broadsheet_web %}: times, optional links, JSON-LD and citations for the site's templates."""

from __future__ import annotations

import html
import json
import re
from datetime import datetime
from typing import Any

from django import template
from django.urls import NoReverseMatch
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext
from lxml import etree
from lxml import html as lxml_html

from broadsheet.core.urls import reverse_cached
from broadsheet.images.signing import image_url

register = template.Library()

# The escapes json_script uses: no "<", ">" or "&" survives, so "</script>" in data cannot end the block.
_JSON_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}
_CITATION = re.compile(r"\[(\d{1,3})\]")
_MARK = re.compile(r"(</?mark>)")
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8}){0,4}")


def relative_time(moment: datetime, *, now: datetime | None = None) -> str:
    """relative_time says how long ago (or until) a moment is, in the active language ("16 minutes ago")."""
    now = now or timezone.now()
    seconds = (now - moment).total_seconds()
    if abs(seconds) < 60:
        return gettext("just now")
    if seconds > 0:
        return gettext("%(delta)s ago") % {"delta": timesince(moment, now, depth=1)}
    return gettext("in %(delta)s") % {"delta": timeuntil(moment, now, depth=1)}


@register.simple_tag
def when(moment: datetime | None) -> str:
    """when renders <time> with the relative time shown and the absolute one in datetime and title."""
    if moment is None:
        return ""
    local = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        moment.isoformat(),
        date_format(local, "DATETIME_FORMAT"),
        relative_time(moment),
    )


@register.simple_tag
def optional_url(name: str, *args: Any, **kwargs: Any) -> str:
    """optional_url reverses a URL name, or gives "" when that part of the site is not installed."""
    try:
        return reverse_cached(name, args=args, kwargs=kwargs or None)
    except NoReverseMatch:
        return ""


@register.simple_tag
def jsonld(data: Any) -> SafeString:
    """jsonld renders a JSON-LD data block escaped as json_script does."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_JSON_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))


@register.simple_tag
def source_options(sources: Any, selected: int | None) -> SafeString:
    """source_options writes one <option> per (id, name), marking selected: a template loop over
    200 sources cost a search page ~8 ms; this costs well under one."""
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((pk, mark_safe(" selected") if pk == selected else "", name) for pk, name in sources),  # noqa: S308 - a constant
    )


@register.filter
def cite(text: str, links: dict[int, str]) -> SafeString:
    """cite escapes plain text and turns each [n] with a link in links into a citation link."""
    out: list[str] = []
    last = 0
    for match in _CITATION.finditer(text):
        out.append(conditional_escape(text[last : match.start()]))
        number = int(match.group(1))
        href = links.get(number)
        if href:
            out.append(format_html('<a class="cite" href="{}">[{}]</a>', href, number))
        else:
            out.append(conditional_escape(match.group(0)))
        last = match.end()
    out.append(conditional_escape(text[last:]))
    return mark_safe("".join(out))


@register.filter
def lang_attr(code: str | None) -> str:
    """lang_attr is ` lang="CODE"` for a well-formed language tag, else "" (feeds send anything)."""
    if not code or not _LANGUAGE_TAG.fullmatch(code):
        return ""
    return format_html(' lang="{}"', code)


@register.filter
def initial(name: str) -> str:
    """initial is the first letter of a name, for a source's letter badge."""
    stripped = (name or "").strip()
    return stripped[:1].upper() if stripped else "?"


@register.filter
def body_images(body_html: str) -> SafeString:
    """body_images serves a sanitized body's images through our resizer (dropping those it cannot).

    Takes only Article.body_html, already sanitized; the page's CSP allows no other image host.
    """
    if "<img" not in body_html:
        return mark_safe(body_html)  # sanitized by articles.sanitize before storage
    root = lxml_html.fragment_fromstring(body_html, create_parent="div")
    for img in list(root.iter("img")):
        src = image_url(img.get("src", ""), 960)
        if src:
            img.set("src", src)
            img.set("loading", "lazy")
            img.set("alt", img.get("alt", ""))
        else:
            img.drop_tree()
    html = (root.text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    html += "".join(etree.tostring(child, encoding="unicode", method="html") for child in root)
    return mark_safe(html)  # the sanitized tree, re-serialized with only img src changed


@register.filter
def marks(snippet: str) -> SafeString:
    """marks renders a search snippet's <mark> tags and escapes everything else, whatever it holds.

    The snippet is HTML-escaped text with <mark> around hits; each piece between the tags is
    unescaped and escaped again, so a snippet that was not escaped still cannot inject markup.
    """
    out: list[str] = []
    open_mark = False
    for piece in _MARK.split(snippet):
        if piece == "<mark>" and not open_mark:
            out.append(piece)
            open_mark = True
        elif piece == "</mark>" and open_mark:
            out.append(piece)
            open_mark = False
        elif piece not in ("<mark>", "</mark>"):
            out.append(conditional_escape(html.unescape(piece)))
    if open_mark:
        out.append("</mark>")
    return mark_safe("".join(out))


@register.filter
def http_url(url: str) -> str:
    """http_url passes an http(s) URL through and turns anything else (javascript:, data:) into ""."""
    stripped = (url or "").strip()
    return stripped if stripped.lower().startswith(("http://", "https://")) else ""
