"""Headers, the CSP, production settings, and hostile data that must never execute."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from broadsheet.articles.sanitize import sanitize_html
from broadsheet.enrich.models import Enrichment, Story
from broadsheet.web.tests import factories as f
from broadsheet.web.tests.htmlcheck import jsonld, parse, problems

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]
VECTORS = [
    line
    for line in (Path(__file__).parent / "testdata" / "xss_vectors.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#")
]
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def directives(policy: str) -> set[str]:
    return {part.strip() for part in policy.split(";")}


def page_urls(world) -> list[str]:
    return [
        "/",
        f"/articles/{world.articles[1].pk}/",
        f"/tags/{world.tags[0].slug}/",
        f"/sources/{world.sources[0].pk}/",
        f"/stories/{world.stories[0].pk}/",
        "/search/?q=ferry",
        "/wrapup/",
        "/health/feeds/",
    ]


def test_every_page_sends_the_csp_and_security_headers(client, world):
    for url in page_urls(world):
        response = client.get(url)
        assert response.status_code == 200, url
        assert directives(response["Content-Security-Policy"]) == directives(CSP), url
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "DENY"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"
        assert "camera=()" in response["Permissions-Policy"]


def test_no_page_has_inline_script_or_style(client, world):
    for url in page_urls(world):
        page = client.get(url).content.decode()
        assert problems(page) == [], url
        assert "<style" not in page.lower(), url
        srcs = [a.get("src") for t, a in parse(page).elements if t == "script" and a.get("src")]
        assert srcs == ["/static/web/htmx.min.js", "/static/web/site.js"], url


def test_jsonld_cannot_be_broken_out_of(client, db):
    article = f.make_article(title='</script><script>alert(1)</script> & "quotes"')
    page = client.get(f"/articles/{article.pk}/").content.decode()
    [data] = jsonld(page)
    assert isinstance(data, dict) and data["headline"] == article.title
    assert page.count("<script") == 3  # htmx, site.js and the JSON-LD block, nothing more
    assert problems(page) == []


def _plant(vector: str, n: int) -> tuple:
    # Cut to the columns' lengths, as PostgreSQL enforces them.
    source = f.make_source(name=f"{n} {vector}"[:200])
    tag = f.make_tag(f"{n}{vector}"[:120], slug=f"v{n}-" + vector.replace("/", "")[:60])
    article = f.make_article(
        source=source,
        title=vector,
        byline=vector[:500],
        summary=vector,
        body_html=sanitize_html(
            f"<p>before</p>{vector}<p>after</p>", base_url="https://x.example/a"
        ),
        lead_image=vector,
        paragraphs=(vector, "The ferry fire was in Busan harbour on Thursday."),
        key_points=[vector],
        tags=(tag,),
        what_changed=[vector],
    )
    return source, tag, article


def test_xss_vectors_never_reach_a_page_unescaped(client, db):
    planted = [_plant(v, n) for n, v in enumerate(VECTORS)]
    articles = [a for _, _, a in planted]
    story = f.make_story(articles=articles[:6], title=VECTORS[0])
    Story.objects.filter(pk=story.pk).update(summary=[[v, [1]] for v in VECTORS[:8]])
    Enrichment.objects.filter(article=articles[1]).update(duplicate_of=articles[0])
    f.link_related(articles[0], articles[1:7])
    f.make_feed(title=VECTORS[3], last_error=VECTORS[4], consecutive_failures=1)
    urls = ["/", f"/stories/{story.pk}/", "/wrapup/", "/health/feeds/"]
    for n, (source, tag, article) in enumerate(planted):
        urls.append(f"/articles/{article.pk}/")  # shows its source's and hashtags' names too
        if n % 4 == 0:
            urls += [reverse("web:tag", args=[tag.slug]), f"/sources/{source.pk}/"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert problems(response.content.decode()) == [], url
    for n, vector in enumerate(VECTORS):
        response = client.get("/search/", {"q": vector[:200]})
        assert response.status_code in (200, 400), vector
        assert problems(response.content.decode()) == [], vector
        answer = client.get(
            f"/articles/{articles[n].pk}/ask/", {"q": vector}, HTTP_HX_REQUEST="true"
        )
        assert problems(answer.content.decode()) == [], vector
        assert answer.status_code == 200, vector


def test_the_problem_finder_finds_problems():
    # The checker above is only worth something if it sees an attack when there is one.
    assert problems('<img src=x onerror="alert(1)">')
    assert problems('<a href=" java\tscript:alert(1)">x</a>')
    assert problems("<script>alert(1)</script>")
    assert problems('<div style="color:red">x</div>')
    assert problems('<script type="application/ld+json">{not json</script>')
    assert not problems(
        '<script src="/static/web/htmx.min.js"></script><a href="https://x.example/">x</a>'
    )


SECURE_SCRIPT = """
import django, io, sys
django.setup()
from django.core.management import call_command
from django.test import Client
out = io.StringIO()
try:
    call_command("check", deploy=True, fail_level="WARNING", stdout=out, stderr=out)
    print("CHECK", "ok", out.getvalue().strip().replace(chr(10), " "))
except Exception as exc:
    print("CHECK", "failed", exc, out.getvalue().strip().replace(chr(10), " "))
c = Client(SERVER_NAME="news.example")
r = c.get("/search/"); print("PLAIN", r.status_code, r.get("Location"))
r = c.get("/healthz"); print("HEALTH", r.status_code, "Strict-Transport-Security" in r)
r = c.get("/healthz", HTTP_X_FORWARDED_PROTO="https"); print("HTTPS", r.status_code, r.get("Strict-Transport-Security"))
"""


def test_secure_mode_passes_check_deploy_and_redirects_to_https(tmp_path):
    # Settings are read once at start-up, so production mode is tried in a fresh process.
    environ = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "BROADSHEET_HOME": str(tmp_path),
        "DATABASE_URL": "",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "news.example",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "BROADSHEET_SECURE": "true",
    }
    result = subprocess.run(
        [sys.executable, "-c", SECURE_SCRIPT],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=180,
    )
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines() if " " in line)
    assert lines.get("CHECK", "").startswith("ok System check identified no issues"), (
        result.stdout + result.stderr[-3000:]
    )
    assert lines["PLAIN"] == "301 https://news.example/search/"
    assert lines["HEALTH"] == "200 False"  # load balancers check over plain http
    assert lines["HTTPS"] == "200 max-age=31536000; includeSubDomains; preload"


def test_check_deploy_warns_without_secure_mode(settings):
    # The control: the same checks do object to the development settings.
    from django.core.checks import run_checks

    settings.DEBUG = False
    ids = {m.id for m in run_checks(include_deployment_checks=True)}
    assert {"security.W004", "security.W008", "security.W012", "security.W016"} <= ids
