"""/img/ end to end against a loopback publisher: formats, caching, headers, refusals, hostile sources."""

from __future__ import annotations

import threading
from urllib.parse import urlencode

import pytest
import pyvips

from broadsheet.core.testing import FixtureRequestHandler, FixtureServer
from broadsheet.images import services
from broadsheet.images.selectors import image_hosts_forget
from broadsheet.images.signing import image_url, signature
from broadsheet.images.tests import samples
from broadsheet.ingest.models import Source

pytestmark = [pytest.mark.django_db, pytest.mark.urls("broadsheet.images.tests.urls")]
BROWSER = "image/avif,image/webp,image/apng,image/*,*/*;q=0.8"
SANDBOX = "default-src 'none'; sandbox"


@pytest.fixture(autouse=True)
def _fresh_memo():
    image_hosts_forget()
    yield
    image_hosts_forget()


@pytest.fixture
def site(publisher, settings, tmp_path):
    """site is the publisher, known as a source, with the image cache in a fresh directory."""
    settings.HOME = tmp_path
    Source.objects.create(name="Fixture", host="127.0.0.1")
    return publisher


def get(client, src: str, width: int = 640, accept: str = "image/webp", **headers: str):
    return client.get(image_url(src, width), HTTP_ACCEPT=accept, **headers)


def varies_on_accept(response) -> bool:
    # Accept alone: Accept-Language (LocaleMiddleware) or Cookie would split shared caches.
    return [v.strip().lower() for v in response["Vary"].split(",")] == ["accept"]


def decoded(response) -> pyvips.Image:
    return pyvips.Image.new_from_buffer(b"".join(response), "")


def setting(monkeypatch, **values: object) -> None:
    from django.conf import settings

    for name, value in values.items():
        monkeypatch.setitem(settings.BROADSHEET, f"BROADSHEET_IMAGE_{name}", value)


# --- success -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "content_type", "magic"),
    [
        (BROWSER, "image/avif", b"ftypavif"),
        ("image/webp,*/*", "image/webp", b"WEBP"),
        ("image/png,*/*;q=0.8", "image/jpeg", b"\xff\xd8\xff"),
        ("", "image/jpeg", b"\xff\xd8\xff"),
    ],
)
def test_format_follows_accept(client, site, accept, content_type, magic):
    src = site.add("/photo.jpg", samples.photo(), content_type="image/jpeg")
    response = get(client, src, 320, accept=accept)
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    body = b"".join(response)
    assert magic in body[:16]
    image = decoded(response)
    assert (image.width, image.height) == (320, 213)


def test_success_headers_are_ours_alone(client, site):
    headers = {"Set-Cookie": "tracker=1", "X-Upstream": "yes", "Content-Disposition": "attachment"}
    src = site.add("/a.jpg", samples.photo(), content_type="text/html", headers=headers)
    response = get(client, src)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert varies_on_accept(response)
    assert response["Content-Security-Policy"] == SANDBOX
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "max-age=31536000" in response["Cache-Control"]
    for name in ("Set-Cookie", "X-Upstream", "Content-Disposition"):
        assert name not in response
    assert not response.cookies


def test_metadata_is_stripped(client, site):
    secret = "SECRET-GPS-51.5N"
    src = site.add("/exif.jpg", samples.jpeg_with_exif(secret), content_type="image/jpeg")
    for accept in (BROWSER, "image/webp", ""):
        body = b"".join(get(client, src, 320, accept=accept))
        assert secret.encode() not in body
        assert b"Exif" not in body


def test_never_enlarged_and_every_source_format(client, site):
    for suffix in (".png", ".webp", ".gif", ".avif", ".jpg"):
        src = site.add(f"/small{suffix}", samples.photo(200, 100, suffix))
        response = get(client, src, 640)
        assert response.status_code == 200, suffix
        assert decoded(response).width == 200


def test_png_with_alpha_to_jpeg_is_flattened(client, site):
    rgba = pyvips.Image.black(300, 200, bands=4).copy(interpretation="srgb")
    src = site.add("/alpha.png", bytes(rgba.write_to_buffer(".png")))
    response = get(client, src, 160, accept="")
    assert response["Content-Type"] == "image/jpeg"
    image = decoded(response)
    assert image.bands == 3 and image.avg() > 250  # transparent became white


def test_animated_gif_keeps_first_frame(client, site):
    src = site.add("/anim.gif", samples.gif_frames(20), content_type="image/gif")
    response = get(client, src, 160)
    assert response.status_code == 200
    image = pyvips.Image.new_from_buffer(b"".join(response), "", n=-1)
    assert image.get("n-pages") == 1 if "n-pages" in image.get_fields() else True
    assert image.height == image.width == 1


def test_url_with_odd_characters(client, site):
    site.add("/ph%C3%B6to%20one.jpg", samples.photo(), content_type="image/jpeg")
    src = site.url("/phöto one.jpg?a=1&b=ü%2F#frag")
    response = get(client, src, 160)
    assert response.status_code == 200
    assert site.hits == ["/ph%C3%B6to%20one.jpg?a=1&b=%C3%BC%2F"]


# --- cache ---------------------------------------------------------------------------------------


def test_cache_hit_serves_identical_bytes_without_refetch(client, site, tmp_path):
    src = site.add("/c.jpg", samples.photo(), content_type="image/jpeg")
    first = get(client, src)
    second = get(client, src)
    assert first.status_code == second.status_code == 200
    assert b"".join(second) == first.content
    assert second["Content-Type"] == "image/webp" and varies_on_accept(second)
    assert second["Content-Security-Policy"] == SANDBOX
    assert "Content-Disposition" not in second
    assert len(site.hits) == 1
    get(client, src, accept="")  # another format is another rendition
    assert len(site.hits) == 2
    files = [p for p in (tmp_path / "img-cache").rglob("*") if p.is_file()]
    assert sorted(p.suffix for p in files) == [".jpg", ".webp"]
    assert not [p for p in files if p.name.startswith(".tmp")]
    # A matching ETag gets a 304, still without a fetch.
    again = get(client, src, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and len(site.hits) == 2


def test_cache_prune_drops_oldest(site, tmp_path):
    import os

    from broadsheet.images.cache import cache_dir, cache_key, cache_open, cache_prune, cache_put
    from broadsheet.images.formats import WEBP

    keys = [cache_key(f"http://x/{i}", 640, 75, WEBP) for i in range(10)]
    for age, key in enumerate(keys):
        path = cache_put(key, WEBP, b"x" * 1000)
        os.utime(path, (1000 + age, 1000 + age))
    assert cache_prune(max_bytes=5000) == 6  # down to 90% of the cap: the 4 newest stay
    assert [cache_open(k, WEBP) is not None for k in keys] == [False] * 6 + [True] * 4
    assert sum(p.stat().st_size for p in cache_dir().rglob("*.webp")) == 4000


# --- refusals ------------------------------------------------------------------------------------


def assert_refused(response, status: int) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Security-Policy"] == SANDBOX
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "no-store"
    assert len(response.content) < 200


def raw_get(client, **query: str):
    return client.get("/img/?" + urlencode(query), HTTP_ACCEPT="image/webp")


@pytest.mark.parametrize(
    ("w", "q"),
    [
        ("640.0", "75"),
        ("abc", "75"),
        ("", "75"),
        ("-640", "75"),
        ("1e3", "75"),
        ("６４０", "75"),
        (" 640", "75"),
        ("641", "75"),
        ("0640", "75"),
        ("99999999999999999999", "75"),
        ("640", "76"),
        ("640", "x"),
    ],
)
def test_bad_width_or_quality(client, site, w, q):
    src = site.url("/a.jpg")
    response = raw_get(client, url=src, w=w, q=q, s=signature(src, 640, 75))
    assert_refused(response, 400)
    assert site.hits == []


@pytest.mark.parametrize(
    "src",
    [
        "javascript:alert(1)",
        "file:///etc/passwd",
        "data:image/png;base64,AA",
        "ftp://h/a.jpg",
        "//h/a",
    ],
)
def test_non_http_schemes(client, site, src):
    assert_refused(raw_get(client, url=src, w="640", q="75", s=signature(src, 640, 75)), 400)


def test_missing_and_repeated_parameters(client, site):
    src = site.url("/a.jpg")
    s = signature(src, 640, 75)
    assert_refused(raw_get(client, url=src, w="640", q="75"), 400)
    assert_refused(client.get("/img/"), 400)
    twice = f"/img/?url={src}&url={src}&w=640&q=75&s={s}"
    assert_refused(client.get(twice), 400)
    assert (
        client.post("/img/?" + urlencode({"url": src, "w": 640, "q": 75, "s": s})).status_code
        == 405
    )


def test_bad_signature(client, site):
    src = site.add("/a.jpg", samples.photo(), content_type="image/jpeg")
    assert_refused(raw_get(client, url=src, w="640", q="75", s="A" * 22), 403)
    assert_refused(raw_get(client, url=src, w="320", q="75", s=signature(src, 640, 75)), 403)
    assert site.hits == []


def test_unknown_host_is_not_fetched(client, publisher, settings, tmp_path):
    settings.HOME = tmp_path
    Source.objects.create(name="Elsewhere", host="example.org", image_hosts=["cdn.example.net"])
    src = publisher.add("/a.jpg", samples.photo(), content_type="image/jpeg")
    assert_refused(get(client, src), 403)
    assert publisher.hits == []


def test_redirect_to_an_unknown_host_is_refused(client, site):
    with FixtureServer(host="localhost") as other:
        from django.conf import settings

        allow = settings.BROADSHEET["BROADSHEET_FETCH_ALLOW"]
        settings.BROADSHEET["BROADSHEET_FETCH_ALLOW"] = [*allow, other.netloc]
        try:
            target = other.add("/img.jpg", samples.photo(), content_type="image/jpeg")
            src = site.add("/moved.jpg", b"", status=302, headers={"Location": target})
            assert_refused(get(client, src), 403)
            # Known as an image host of the source, the same redirect is fine.
            Source.objects.filter(host="127.0.0.1").update(image_hosts=["localhost"])
            assert get(client, src).status_code == 200
        finally:
            settings.BROADSHEET["BROADSHEET_FETCH_ALLOW"] = allow


@pytest.mark.parametrize("status", [404, 500, 403])
def test_upstream_failure_is_a_generic_404(client, site, status):
    src = site.add("/gone.jpg", b"<h1>upstream secret page</h1>", status=status)
    response = get(client, src)
    assert_refused(response, 404)
    assert b"secret" not in response.content


def test_upstream_deadline(client, site, monkeypatch):
    setting(monkeypatch, TIMEOUT=0.3)
    stop = threading.Event()

    def drip(handler: FixtureRequestHandler) -> None:
        handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n\xff\xd8\xff")
        stop.wait(5)

    site.routes["/slow.jpg"] = drip
    try:
        assert_refused(get(client, site.url("/slow.jpg")), 404)
    finally:
        stop.set()


def test_busy_gives_503_with_retry_after(client, site, monkeypatch):
    setting(monkeypatch, CONCURRENCY=1)
    monkeypatch.setattr(services, "QUEUE_WAIT", 0.05)
    src = site.add("/busy.jpg", samples.photo(), content_type="image/jpeg")
    slot = services._semaphore()
    slot.acquire()
    try:
        response = get(client, src)
    finally:
        slot.release()
    assert_refused(response, 503)
    assert response["Retry-After"] == "1"
    assert get(client, src).status_code == 200


# --- hostile sources -----------------------------------------------------------------------------


def _oversized() -> bytes:
    return samples.photo(64, 64) + b"\x00" * (300 * 1024)


HOSTILE = [
    ("png-64000x64000", samples.png_claiming(64000, 64000), "image/png", 413),
    ("jpeg-65000x65000", samples.jpeg_claiming(65000, 65000), "image/jpeg", 413),
    ("gif-5000-frames", samples.gif_frames(5000), "image/gif", 413),
    ("oversized-body", _oversized(), "image/jpeg", 413),
    ("svg-with-script", samples.SVG, "image/svg+xml", 415),
    ("html", samples.HTML, "text/html", 415),
    ("fits-named-jpg", samples.FITS, "image/jpeg", 415),
    ("garbage", samples.GARBAGE, "image/jpeg", 415),
    ("png-magic-then-garbage", b"\x89PNG\r\n\x1a\n" + samples.GARBAGE, "image/png", 415),
    ("png-zero-width", samples.png_claiming(0, 10), "image/png", 415),
    (
        "webp-magic-then-garbage",
        b"RIFF\x00\x10\x00\x00WEBPVP8 " + samples.GARBAGE,
        "image/webp",
        415,
    ),
    ("empty", b"", "image/jpeg", 415),
]


@pytest.mark.parametrize(
    ("name", "body", "content_type", "status"), HOSTILE, ids=[h[0] for h in HOSTILE]
)
def test_hostile_source(client, site, monkeypatch, name, body, content_type, status):
    setting(monkeypatch, MAX_BYTES=256 * 1024, MAX_FRAMES=1000)
    src = site.add(f"/{name}.jpg", body, content_type=content_type)
    response = get(client, src, accept=BROWSER)
    assert_refused(response, status)
    # The server is fine afterwards, and nothing was cached for the refused source.
    ok = site.add("/fine.jpg", samples.photo(), content_type="image/jpeg")
    assert get(client, ok, accept=BROWSER).status_code == 200


@pytest.mark.parametrize(
    "body",
    [samples.photo()[:3000], samples.photo(400, 300, ".png")[:-5] + b"XXXXX"],
    ids=["truncated-jpeg", "png-bad-end"],
)
def test_damaged_but_decodable_is_rendered(client, site, body):
    # As browsers do: what decodes is shown, freshly encoded (the rest is grey).
    src = site.add("/damaged", body, content_type="image/jpeg")
    response = get(client, src, 160)
    assert response.status_code == 200
    assert decoded(response).width == 160


def test_refusals_are_remembered(client, site, monkeypatch):
    bad = site.add("/bad.jpg", samples.SVG, content_type="image/jpeg")
    gone = site.add("/gone.jpg", b"no", status=404)
    for _ in range(3):
        assert_refused(get(client, bad), 415)
        assert_refused(get(client, gone), 404)
    assert sorted(site.hits) == ["/bad.jpg", "/gone.jpg"]
    # Past its time a refusal is asked again: a missing image may have appeared.
    monkeypatch.setitem(services.REFUSAL_TTL, 404, 0.0)
    site.add("/gone.jpg", samples.photo(), content_type="image/jpeg")
    assert get(client, gone).status_code == 200
    assert_refused(get(client, bad), 415)
    assert sorted(site.hits) == ["/bad.jpg", "/gone.jpg", "/gone.jpg"]


def test_body_over_cap_without_length(client, site, monkeypatch):
    setting(monkeypatch, MAX_BYTES=64 * 1024)
    stop = threading.Event()

    def endless(handler: FixtureRequestHandler) -> None:
        handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8\xff")
        try:
            while not stop.is_set():
                handler.wfile.write(b"\x00" * 16384)
        except OSError:
            pass

    site.routes["/endless.jpg"] = endless
    try:
        assert_refused(get(client, site.url("/endless.jpg")), 413)
    finally:
        stop.set()
