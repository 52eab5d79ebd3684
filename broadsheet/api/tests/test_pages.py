"""OPML export and import from the site, the tokens page, and the OpenAPI schema and docs."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from broadsheet.accounts.models import ApiToken
from broadsheet.api.tests.conftest import Newsroom
from broadsheet.ingest.models import Feed
from broadsheet.ingest.opml import parse_opml

OPML = b"""<?xml version="1.0"?>
<opml version="2.0"><head><title>t</title></head><body>
<outline text="World"><outline text="New &amp; Co" type="rss" xmlUrl="https://new.example/feed.xml" htmlUrl="https://new.example/"/></outline>
<outline text="Dup" type="rss" xmlUrl="https://koreaherald.example/rss"/>
</body></opml>"""


def test_opml_export_round_trips(newsroom: Newsroom, client: Client) -> None:
    response = client.get("/api/opml/export.opml")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/x-opml")
    outlines = parse_opml(response.content)
    assert {o.xml_url for o in outlines} == {f.url for f in newsroom.feeds}
    assert {o.category for o in outlines} == {"Korea", ""}


def test_opml_import_is_staff_only(newsroom: Newsroom, client: Client) -> None:
    assert client.get("/api/opml/import/").status_code == 302  # to sign-in
    client.force_login(newsroom.reader)
    assert client.get("/api/opml/import/").status_code == 403
    newsroom.reader.is_staff = True
    newsroom.reader.save()
    assert client.get("/api/opml/import/").status_code == 200
    upload = SimpleUploadedFile("subs.opml", OPML, content_type="text/x-opml")
    response = client.post("/api/opml/import/", {"file": upload})
    assert response.status_code == 200
    assert b"Added 1 feeds; 1 were already known." in response.content
    feed = Feed.objects.get(url="https://new.example/feed.xml")
    assert (feed.title, feed.category) == ("New & Co", "World")


@pytest.mark.parametrize(
    ("content", "status"),
    [
        (b"<html>not opml</html>", 400),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><opml><body/></opml>',
            400,
        ),
        (b"<opml>" + b" " * (1024 * 1024 + 10) + b"</opml>", 413),
    ],
)
def test_opml_import_refuses_bad_files(
    newsroom: Newsroom, client: Client, content: bytes, status: int
) -> None:
    newsroom.reader.is_staff = True
    newsroom.reader.save()
    client.force_login(newsroom.reader)
    before = Feed.objects.count()
    response = client.post("/api/opml/import/", {"file": SimpleUploadedFile("x.opml", content)})
    assert response.status_code == status
    assert Feed.objects.count() == before


def test_tokens_page_shows_a_new_token_once(newsroom: Newsroom, client: Client) -> None:
    assert client.get("/api/tokens/").status_code == 302
    client.force_login(newsroom.reader)
    page = client.get("/api/tokens/")
    assert page.status_code == 200 and b"/feeds/foryou/" in page.content
    created = client.post("/api/tokens/", {"action": "create", "name": "cli"})
    raw = created.context["created"]
    assert raw.startswith("bsk_") and raw.encode() in created.content
    again = client.get("/api/tokens/")
    assert raw.encode() not in again.content and raw[:12].encode() in again.content
    token = ApiToken.objects.get(user=newsroom.reader)
    assert token.digest != raw and raw not in token.digest
    client.post("/api/tokens/", {"action": "revoke", "id": str(token.pk)})
    assert not ApiToken.objects.filter(pk=token.pk).exists()


def test_openapi_schema_and_docs(client: Client, db: None) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["info"]["title"] == "Broadsheet API"
    assert "/api/v1/articles" in schema["paths"]
    assert "422" in schema["paths"]["/api/v1/articles"]["get"]["responses"]
    assert client.get("/api/v1/docs").status_code == 200
