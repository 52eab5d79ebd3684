"""The fetch step against a loopback publisher: guards, caps, deadlines, redirects, statuses, robots.

Every test talks only to 127.0.0.1 (`_loopback_only` fails any other connection, should the guard
ever regress). Hostile routes write raw bytes and stop as soon as the test ends (`hangup`).
"""

from __future__ import annotations

import asyncio
import gzip
import ipaddress
import socket
import ssl
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from email.utils import formatdate
from pathlib import Path
from typing import Any

import brotli
import httpcore
import httpx
import pytest
from django.conf import settings

from broadsheet.core.testing import FixtureRequestHandler, FixtureServer, Response
from broadsheet.ingest.fetch import (
    FetchRequest,
    FetchResult,
    fetch,
    fetch_iter,
    fetch_many,
    robots,
    transport,
)

MiB = 1 << 20
TLS = Path(__file__).parent / "testdata" / "fetch" / "tls"
Route = Callable[[FixtureRequestHandler], None]


# --- helpers -------------------------------------------------------------------------------------


def setting(monkeypatch: pytest.MonkeyPatch, **values: Any) -> None:
    """setting changes BROADSHEET_<NAME> settings for one test."""
    for name, value in values.items():
        monkeypatch.setitem(settings.BROADSHEET, f"BROADSHEET_{name}", value)


def send(handler: FixtureRequestHandler, data: bytes) -> bool:
    """send writes raw bytes, returning False once the client has gone (which hostile routes expect)."""
    try:
        handler.wfile.write(data)
        return True
    except OSError:
        return False


def head(status: str = "200 OK", **headers: str) -> bytes:
    lines = [f"HTTP/1.1 {status}"] + [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def serve(data: bytes, **headers: str) -> Route:
    """serve sends head and body in two writes, so a 10 MB body is never copied and a hang-up is quiet."""

    def route(handler: FixtureRequestHandler) -> None:
        handler.close_connection = True
        if send(handler, head(**headers)):
            send(handler, data)

    return route


def silent(hangup: threading.Event) -> Route:
    """silent reads the request and answers nothing until the test ends."""

    def route(handler: FixtureRequestHandler) -> None:
        hangup.wait(10)

    return route


def deflate_bomb(wbits: int, mebibytes: int) -> bytes:
    """deflate_bomb is ~1 KiB of compressed data per MiB of zeros, built in milliseconds.

    After a full flush the compressor starts afresh, so compressing the same MiB again gives the
    same bytes: one block repeated is a valid stream. It has no trailer; readers must stop first.
    """
    zeros = bytes(MiB)
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    first = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)
    block = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)
    return first + block * (mebibytes - 1)


def gzip_bomb(mebibytes: int) -> bytes:
    return deflate_bomb(16 + zlib.MAX_WBITS, mebibytes)


def connections(listener: socket.socket) -> int:
    """connections counts (and drops) the connections waiting in listener's backlog."""
    count = 0
    while True:
        try:
            conn, _ = listener.accept()
        except BlockingIOError:
            return count
        conn.close()
        count += 1


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def _shared_server() -> Iterator[FixtureServer]:
    with FixtureServer() as server:
        yield server


@pytest.fixture
def publisher(_shared_server: FixtureServer, monkeypatch: pytest.MonkeyPatch) -> FixtureServer:
    """publisher is one loopback server for the module, emptied and allowlisted for each test.

    It stands in for the shared fixture because stopping a FixtureServer takes half a second
    (serve_forever's poll interval), which across this file's tests would add half a minute.
    """
    _shared_server.routes.clear()
    _shared_server.hits.clear()
    allow = settings.BROADSHEET["BROADSHEET_FETCH_ALLOW"]
    setting(monkeypatch, FETCH_ALLOW=[*allow, _shared_server.netloc])
    return _shared_server


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """_loopback_only is a safety net: even if the guard regressed, no test reaches another host."""
    connect = httpcore.AnyIOBackend.connect_tcp

    async def loopback_connect(
        self: httpcore.AnyIOBackend, host: str, port: int, *args: Any, **kwargs: Any
    ) -> httpcore.AsyncNetworkStream:
        if not ipaddress.ip_address(host).is_loopback:
            raise AssertionError(f"a test tried to connect to {host}")
        return await connect(self, host, port, *args, **kwargs)

    monkeypatch.setattr(httpcore.AnyIOBackend, "connect_tcp", loopback_connect)


@pytest.fixture(autouse=True)
def _fetch_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    setting(monkeypatch, FETCH_TIMEOUT=2.0)
    robots.clear_cache()


@pytest.fixture
def hangup(publisher: FixtureServer) -> Iterator[threading.Event]:
    """hangup is set when the test ends, releasing routes that drip or never finish."""
    event = threading.Event()
    yield event
    event.set()


@pytest.fixture
def bystander() -> Iterator[socket.socket]:
    """bystander listens on a loopback port nobody allowlisted; a connect attempt would queue here."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.setblocking(False)
    yield listener
    listener.close()


# --- the happy path ------------------------------------------------------------------------------


def test_fetch_returns_body_headers_and_identifies_itself(publisher: FixtureServer) -> None:
    seen: list[dict[str, str]] = []

    def feed(handler: FixtureRequestHandler) -> None:
        seen.append(dict(handler.headers.items()))
        headers = {
            "Content-Type": "application/rss+xml",
            "ETag": '"v1"',
            "Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT",
        }
        handler.send_whole(Response(b"<rss/>", 200, headers))

    publisher.routes["/feed.xml"] = feed
    url = publisher.url("/feed.xml")
    result = fetch(url, accept="application/rss+xml")
    assert result.ok, result.error
    assert (result.status, result.content, result.final_url) == (200, b"<rss/>", url)
    assert result.content_type == "application/rss+xml"
    assert (result.etag, result.last_modified) == ('"v1"', "Mon, 01 Jan 2024 00:00:00 GMT")
    assert result.headers["etag"] == '"v1"'
    assert seen[0]["User-Agent"] == settings.BROADSHEET["BROADSHEET_USER_AGENT"]
    assert seen[0]["Accept-Encoding"] == "gzip, deflate, br"
    assert seen[0]["Accept"] == "application/rss+xml"
    assert "If-None-Match" not in seen[0]


def test_wrong_charset_header_does_not_matter(publisher: FixtureServer) -> None:
    body = "café".encode("latin-1")
    result = fetch(publisher.add("/odd", body, content_type="text/html; charset=no-such-charset"))
    assert result.ok and result.content == body


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some servers send
        ("br", brotli.compress),
        ("gzip, gzip", lambda data: gzip.compress(gzip.compress(data))),
        ("br, gzip", lambda data: gzip.compress(brotli.compress(data))),
        ("identity", lambda data: data),
    ],
)
def test_content_encodings_are_decoded(
    publisher: FixtureServer, encoding: str, encode: Callable[[bytes], bytes]
) -> None:
    text = b"<p>" + b"news " * 20_000 + b"</p>"
    url = publisher.add("/enc", encode(text), headers={"Content-Encoding": encoding})
    result = fetch(url)
    assert result.ok, result.error
    assert result.content == text


@pytest.mark.parametrize(
    ("encoding", "body", "message"),
    [
        ("zstd", b"whatever", "unsupported Content-Encoding 'zstd'"),
        ("gzip", b"this is not gzip", "could not decode the gzip body"),
        ("br", b"this is not brotli", "could not decode the br body"),
    ],
)
def test_undecodable_bodies_are_decoding_errors(
    publisher: FixtureServer, encoding: str, body: bytes, message: str
) -> None:
    result = fetch(publisher.add("/bad", body, headers={"Content-Encoding": encoding}))
    assert result.error is not None and result.error.kind == "decoding"
    assert message in result.error.message


# --- the SSRF guard ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("http://127.0.0.1:{port}/", "refused: 127.0.0.1 is a loopback address"),
        ("http://0.0.0.0:{port}/", "refused: 0.0.0.0 is an unspecified address"),
        ("http://[::1]:{port}/", "refused: ::1 is a loopback address"),
        (
            "http://[::ffff:127.0.0.1]:{port}/",
            "::ffff:127.0.0.1 is IPv4-mapped 127.0.0.1, a loopback",
        ),
        ("http://2130706433:{port}/", "127.0.0.1 is a loopback address (written 2130706433)"),
        ("http://0x7f.1:{port}/", "127.0.0.1 is a loopback address (written 0x7f.1)"),
        ("http://0177.0.0.1:{port}/", "is not a valid URL"),
        ("http://localhost:{port}/", "refused: localhost is a loopback name"),
        ("http://localhost.:{port}/", "refused: localhost. is a loopback name"),
        ("file:///etc/passwd", "refused: file:// URLs are not fetched"),
        ("gopher://127.0.0.1:{port}/_GET", "refused: gopher:// URLs are not fetched"),
        ("//127.0.0.1:{port}/", "refused: the URL has no scheme"),
    ],
)
def test_ssrf_targets_are_refused_before_connecting(
    bystander: socket.socket, template: str, message: str
) -> None:
    url = template.format(port=bystander.getsockname()[1])
    result = fetch(url)
    assert result.error is not None and result.error.kind == "refused"
    assert message in result.error.message
    assert connections(bystander) == 0


def test_the_bystander_does_see_connections_once_allowlisted(
    bystander: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The control for the test above: the same check counts a connection when one is made.
    host, port = bystander.getsockname()
    setting(monkeypatch, FETCH_ALLOW=[f"{host}:{port}"], FETCH_TIMEOUT=0.3)
    result = fetch(f"http://{host}:{port}/")
    assert result.error is not None and result.error.kind == "timeout"
    assert connections(bystander) == 1


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        (["127.0.0.1"], "refused: rebind.example resolves to 127.0.0.1, a loopback address"),
        (["93.184.216.34", "10.0.0.8"], "rebind.example resolves to 10.0.0.8, a private address"),
        (["93.184.216.34", "127.0.0.1"], "rebind.example resolves to 127.0.0.1, a loopback"),
        (["::ffff:127.0.0.1"], "resolves to ::ffff:127.0.0.1, IPv4-mapped 127.0.0.1"),
    ],
)
def test_names_resolving_to_private_addresses_are_refused_before_connecting(
    bystander: socket.socket,
    monkeypatch: pytest.MonkeyPatch,
    answers: list[str],
    message: str,
) -> None:
    async def fake_resolve(host: str, port: int) -> list[str]:
        return answers

    # Refused before any connection, so the public answers here are never contacted.
    monkeypatch.setattr(transport, "resolve", fake_resolve)
    result = fetch(f"http://rebind.example:{bystander.getsockname()[1]}/")
    assert result.error is not None and result.error.kind == "refused"
    assert message in result.error.message
    assert connections(bystander) == 0


def test_connects_to_the_checked_address_with_the_original_host_header(
    publisher: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # publisher.test exists in no DNS: the only way to reach the server is the address we checked.
    lookups: list[str] = []

    async def fake_resolve(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"]

    monkeypatch.setattr(transport, "resolve", fake_resolve)
    setting(monkeypatch, FETCH_ALLOW=[f"publisher.test:{publisher.port}"])
    hosts: list[str] = []

    def page(handler: FixtureRequestHandler) -> None:
        hosts.append(handler.headers["Host"])
        handler.send_whole(Response(b"hello"))

    publisher.routes["/"] = page
    result = fetch(f"http://publisher.test:{publisher.port}/")
    assert result.ok, result.error
    assert hosts == [f"publisher.test:{publisher.port}"]
    assert lookups == ["publisher.test"]


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:{port}/admin",
        "http://[::1]:{port}/",
        "http://169.254.169.254/latest/meta-data/",
        "file:///etc/passwd",
    ],
)
def test_redirect_to_a_forbidden_target_is_refused(
    publisher: FixtureServer, bystander: socket.socket, target: str
) -> None:
    location = target.format(port=bystander.getsockname()[1])
    url = publisher.add("/go", b"", 302, headers={"Location": location})
    result = fetch(url)
    assert result.error is not None and result.error.kind == "refused"
    assert httpx.URL(result.final_url) == httpx.URL(location)
    assert connections(bystander) == 0


def test_unreachable_allowlisted_port_is_a_network_error(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        port = spare.getsockname()[1]
    setting(monkeypatch, FETCH_ALLOW=[f"127.0.0.1:{port}"])
    result = fetch(f"http://127.0.0.1:{port}/")
    assert result.error is not None and result.error.kind == "network"
    assert "could not connect" in result.error.message


class TLSPublisher:
    """TLSPublisher answers "ok" over TLS as publisher.test, recording the SNI and Host it was sent."""

    def __init__(self) -> None:
        self.server_names: list[str | None] = []
        self.hosts: list[str] = []
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(TLS / "leaf.pem", TLS / "leaf.key")
        self.context.sni_callback = lambda conn, name, ctx: self.server_names.append(name)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return  # closed at the end of the test
            try:
                with self.context.wrap_socket(conn, server_side=True) as tls:
                    request = b""
                    while b"\r\n\r\n" not in request:
                        chunk = tls.recv(4096)
                        if not chunk:
                            break
                        request += chunk
                    for line in request.decode("latin-1").split("\r\n"):
                        if line.lower().startswith("host:"):
                            self.hosts.append(line[5:].strip())
                    tls.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                    )
            except (OSError, ssl.SSLError):
                conn.close()  # e.g. the client rejected our certificate


@pytest.fixture
def tls_publisher(monkeypatch: pytest.MonkeyPatch) -> Iterator[TLSPublisher]:
    """tls_publisher serves HTTPS on loopback for names resolving there, trusted through a test CA."""

    async def fake_resolve(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    monkeypatch.setattr(transport, "resolve", fake_resolve)
    trusted = ssl.create_default_context(cafile=str(TLS / "ca.pem"))
    monkeypatch.setattr(httpx, "create_ssl_context", lambda: trusted)
    server = TLSPublisher()
    setting(
        monkeypatch,
        FETCH_ALLOW=[f"publisher.test:{server.port}", f"impostor.test:{server.port}"],
    )
    yield server
    server.listener.close()


def test_tls_keeps_the_host_name_for_sni_and_verification(tls_publisher: TLSPublisher) -> None:
    port = tls_publisher.port
    result = fetch(f"https://publisher.test:{port}/")
    assert result.ok, result.error
    assert result.content == b"ok"
    assert tls_publisher.server_names == ["publisher.test"]
    assert tls_publisher.hosts == [f"publisher.test:{port}"]
    # The same address under another name: the certificate is checked against the URL's name.
    impostor = fetch(f"https://impostor.test:{port}/")
    assert impostor.error is not None and impostor.error.kind == "network"
    assert "CERTIFICATE_VERIFY_FAILED" in impostor.error.message


# --- redirects -----------------------------------------------------------------------------------


def test_redirects_are_followed(publisher: FixtureServer) -> None:
    publisher.add("/a", b"", 301, headers={"Location": "/b"})
    publisher.add("/b", b"", 307, headers={"Location": publisher.url("/c")})
    final = publisher.add("/c", b"here")
    result = fetch(publisher.url("/a"))
    assert result.ok and result.content == b"here"
    assert result.final_url == final
    assert publisher.hits == ["/a", "/b", "/c"]


def test_redirect_loop_stops_after_the_limit(publisher: FixtureServer) -> None:
    for hop in range(50):
        publisher.add(f"/hop/{hop}", b"", 302, headers={"Location": f"/hop/{hop + 1}"})
    result = fetch(publisher.url("/hop/0"))
    assert result.error is not None and result.error.kind == "too_many_redirects"
    assert result.error.message == "more than 5 redirects"
    assert len(publisher.hits) == 6  # the first request and five redirects


# --- size caps -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "bomb"),
    [
        ("gzip", lambda: gzip_bomb(64)),
        ("deflate", lambda: deflate_bomb(zlib.MAX_WBITS, 64)),
        ("br", lambda: brotli.compress(bytes(64 * MiB), quality=1)),
        # 200 KiB-ish inner bomb gzipped again: httpx's own decoders would hold ~200 MiB at once.
        ("gzip, gzip", lambda: gzip.compress(gzip_bomb(200))),
    ],
)
def test_compression_bombs_stop_at_the_cap_with_bounded_memory(
    publisher: FixtureServer,
    monkeypatch: pytest.MonkeyPatch,
    encoding: str,
    bomb: Callable[[], bytes],
) -> None:
    setting(monkeypatch, FETCH_MAX_BYTES=MiB)
    publisher.routes["/bomb"] = serve(bomb(), Content_Encoding=encoding)
    tracemalloc.start()
    try:
        result = fetch(publisher.url("/bomb"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.error is not None and result.error.kind == "too_large"
    assert result.error.message == "response exceeds 1 MiB"
    assert peak < 6 * MiB


def test_ten_megabyte_gzip_bomb_stops_at_the_default_cap(publisher: FixtureServer) -> None:
    body = gzip_bomb(10_000)  # ~10 MB on the wire, ~10 GiB inflated
    assert 9_000_000 < len(body) < 11_000_000
    publisher.routes["/bomb"] = serve(body, Content_Encoding="gzip", Content_Length=str(len(body)))
    result = fetch(publisher.url("/bomb"))
    assert result.error is not None and result.error.kind == "too_large"
    assert result.error.message == "response exceeds 15 MiB"


def test_body_exactly_at_the_cap_is_accepted(
    publisher: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    setting(monkeypatch, FETCH_MAX_BYTES=1000)
    assert fetch(publisher.add("/exact", b"x" * 1000)).content == b"x" * 1000
    result = fetch(publisher.add("/over", b"x" * 1001))
    assert result.error is not None and result.error.message == "response exceeds 1000 bytes"


def test_declared_50_mb_page_is_refused_without_reading_it(
    publisher: FixtureServer, hangup: threading.Event
) -> None:
    def huge(handler: FixtureRequestHandler) -> None:
        handler.close_connection = True
        send(handler, head(Content_Length=str(50 * 1000 * 1000), Content_Type="text/html"))
        hangup.wait(10)  # sends no body: a reader that waited for one would time out instead

    publisher.routes["/huge"] = huge
    result = fetch(publisher.url("/huge"))
    assert result.error is not None and result.error.kind == "too_large"
    assert result.error.message == "response exceeds 15 MiB"
    assert result.elapsed < 1.5  # had it waited for the body, the 2 s deadline would have hit


def chunked(hangup: threading.Event, total: int | None) -> Route:
    """chunked streams zeros in 64 KiB chunks, `total` bytes in all or without end."""

    def route(handler: FixtureRequestHandler) -> None:
        handler.close_connection = True
        chunk = b"%x\r\n%s\r\n" % (64 * 1024, bytes(64 * 1024))
        if not send(handler, head(Transfer_Encoding="chunked")):
            return
        sent = 0
        while not hangup.is_set() and (total is None or sent < total):
            if not send(handler, chunk):
                return
            sent += 64 * 1024
        send(handler, b"0\r\n\r\n")

    return route


def test_50_mb_chunked_page_is_cut_at_the_cap(
    publisher: FixtureServer, hangup: threading.Event
) -> None:
    publisher.routes["/chunked"] = chunked(hangup, 50 * 1000 * 1000)
    result = fetch(publisher.url("/chunked"))
    assert result.error is not None and result.error.kind == "too_large"
    assert result.error.message == "response exceeds 15 MiB"


def test_endless_chunked_body_is_cut_at_the_cap(
    publisher: FixtureServer, hangup: threading.Event, monkeypatch: pytest.MonkeyPatch
) -> None:
    setting(monkeypatch, FETCH_MAX_BYTES=2 * MiB)
    publisher.routes["/endless"] = chunked(hangup, None)
    result = fetch(publisher.url("/endless"))
    assert result.error is not None and result.error.message == "response exceeds 2 MiB"


# --- the total deadline --------------------------------------------------------------------------


@pytest.mark.parametrize("interval", [5.0, 0.2])
def test_drip_feed_is_cut_by_the_total_deadline(
    publisher: FixtureServer,
    hangup: threading.Event,
    monkeypatch: pytest.MonkeyPatch,
    interval: float,
) -> None:
    # At 0.2 s a byte, no single read ever waits long: only a deadline on the whole fetch ends it.
    setting(monkeypatch, FETCH_TIMEOUT=1.0)

    def drip(handler: FixtureRequestHandler) -> None:
        handler.close_connection = True
        send(handler, head(Content_Length="1000", Content_Type="text/html"))
        while not hangup.wait(interval) and send(handler, b"x"):
            pass

    publisher.routes["/drip"] = drip
    result = fetch(publisher.url("/drip"))
    assert result.error is not None and result.error.kind == "timeout"
    assert result.error.message == "timed out after 1 s"
    assert 0.9 < result.elapsed < 2.5


def test_server_that_never_answers_times_out(
    publisher: FixtureServer, hangup: threading.Event, monkeypatch: pytest.MonkeyPatch
) -> None:
    setting(monkeypatch, FETCH_TIMEOUT=0.5)
    publisher.routes["/silent"] = silent(hangup)
    result = fetch(publisher.url("/silent"))
    assert result.error is not None and result.error.message == "timed out after 0.5 s"


def test_hanging_name_lookup_is_cut_by_the_deadline(
    hangup: threading.Event, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host: str, *args: Any, **kwargs: Any) -> Any:
        if host == "slow-dns.example":
            hangup.wait(10)  # a resolver that never answers (until the test ends)
            raise socket.gaierror(socket.EAI_AGAIN, "gave up")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    setting(monkeypatch, FETCH_TIMEOUT=0.5)
    started = time.monotonic()
    result = fetch("http://slow-dns.example/")
    assert result.error is not None and result.error.message == "timed out after 0.5 s"
    assert time.monotonic() - started < 1.5  # fetch() itself returned, not just the result


def test_connection_dropped_mid_body_is_a_network_error(publisher: FixtureServer) -> None:
    publisher.routes["/cut"] = serve(b"only part", Content_Length="1000")
    result = fetch(publisher.url("/cut"))
    assert result.error is not None and result.error.kind == "network"
    assert publisher.netloc in result.error.message


# --- statuses ------------------------------------------------------------------------------------


def test_not_modified_is_success_and_sends_validators(publisher: FixtureServer) -> None:
    seen: list[dict[str, str]] = []

    def conditional(handler: FixtureRequestHandler) -> None:
        seen.append(dict(handler.headers.items()))
        if handler.headers.get("If-None-Match") == '"v1"':
            handler.send_whole(Response(b"", 304, {}))
        else:
            handler.send_whole(Response(b"fresh", 200, {"ETag": '"v2"'}))

    publisher.routes["/feed"] = conditional
    since = "Mon, 01 Jan 2024 00:00:00 GMT"
    result = fetch(publisher.url("/feed"), etag='"v1"', last_modified=since)
    assert result.ok and result.not_modified
    assert (result.status, result.content) == (304, b"")
    assert (result.etag, result.last_modified) == ('"v1"', since)
    assert seen[0]["If-None-Match"] == '"v1"' and seen[0]["If-Modified-Since"] == since

    changed = fetch(publisher.url("/feed"), etag='"v0"')
    assert changed.ok and not changed.not_modified
    assert (changed.content, changed.etag) == (b"fresh", '"v2"')


@pytest.mark.parametrize(
    ("status", "retry_header", "message", "retry_after"),
    [
        (429, "120", "HTTP 429 Too Many Requests (retry after 120 s)", 120.0),
        (503, "in a while", "HTTP 503 Service Unavailable", None),
        (404, "", "HTTP 404 Not Found", None),
        (500, "60", "HTTP 500 Internal Server Error", None),  # Retry-After only counts on 429/503
        (410, "", "HTTP 410 Gone", None),
    ],
)
def test_error_statuses_carry_a_readable_message(
    publisher: FixtureServer,
    status: int,
    retry_header: str,
    message: str,
    retry_after: float | None,
) -> None:
    headers = {"Retry-After": retry_header} if retry_header else {}
    result = fetch(publisher.add("/status", b"nope", status, headers=headers))
    assert result.error is not None and result.error.kind == "http_status"
    assert result.error.message == message
    assert result.status == result.error.status == status
    assert result.retry_after == result.error.retry_after == retry_after
    assert result.content == b""


def test_retry_after_as_an_http_date(publisher: FixtureServer) -> None:
    later = formatdate(time.time() + 90, usegmt=True)
    result = fetch(publisher.add("/busy", b"", 503, headers={"Retry-After": later}))
    assert result.error is not None and result.error.kind == "http_status"
    assert result.retry_after is not None and 85 <= result.retry_after <= 91


# --- robots.txt ----------------------------------------------------------------------------------


def test_robots_disallow_is_honoured_and_cached(publisher: FixtureServer) -> None:
    publisher.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    publisher.add("/private/a", b"secret")
    publisher.add("/public/b", b"open")
    refused = fetch(publisher.url("/private/a"), robots=True)
    allowed = fetch(publisher.url("/public/b"), robots=True)
    assert refused.error is not None and refused.error.kind == "robots"
    assert refused.error.message == "robots.txt of 127.0.0.1 disallows /private/a"
    assert allowed.ok and allowed.content == b"open"
    assert publisher.hits == ["/robots.txt", "/public/b"]  # fetched once, the page never


def test_robots_groups_match_our_product_token(publisher: FixtureServer) -> None:
    rules = "User-agent: Broadsheet\nDisallow: /\n\nUser-agent: *\nAllow: /\n"
    publisher.add("/robots.txt", rules, content_type="text/plain")
    result = fetch(publisher.add("/page", b"x"), robots=True)
    assert result.error is not None and result.error.kind == "robots"


def test_robots_is_skipped_when_not_asked_or_switched_off(
    publisher: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    publisher.add("/robots.txt", "User-agent: *\nDisallow: /\n", content_type="text/plain")
    url = publisher.add("/page", b"x")
    assert fetch(url).ok  # feeds are fetched without asking robots.txt
    setting(monkeypatch, RESPECT_ROBOTS=False)
    assert fetch(url, robots=True).ok
    assert "/robots.txt" not in publisher.hits


def test_missing_or_broken_robots_means_allowed(
    publisher: FixtureServer, hangup: threading.Event, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = publisher.add("/page", b"x")
    assert fetch(url, robots=True).ok  # /robots.txt 404s
    robots.clear_cache()
    setting(monkeypatch, FETCH_TIMEOUT=1.5)
    publisher.routes["/robots.txt"] = silent(hangup)
    slow = fetch(url, robots=True)
    assert slow.ok, slow.error
    assert slow.elapsed > 0.4  # it waited out robots.txt's third of the deadline, then went on


def test_huge_robots_is_read_up_to_its_cap(publisher: FixtureServer) -> None:
    padding = "# nothing to see\n" * 60_000  # ~1 MiB, over robots.MAX_BYTES
    publisher.add(
        "/robots.txt", "User-agent: *\nDisallow: /private/\n" + padding, content_type="text/plain"
    )
    result = fetch(publisher.add("/private/x", b"x"), robots=True)
    assert result.error is not None and result.error.kind == "robots"


# --- batches -------------------------------------------------------------------------------------


def test_fetch_many_keeps_order_and_survives_hostile_urls(
    publisher: FixtureServer,
    hangup: threading.Event,
    bystander: socket.socket,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    setting(monkeypatch, FETCH_TIMEOUT=1.0, FETCH_MAX_BYTES=MiB)
    publisher.routes["/silent"] = silent(hangup)
    publisher.routes["/bomb"] = serve(gzip_bomb(64), Content_Encoding="gzip")
    urls = [
        publisher.add("/one", b"first"),
        publisher.url("/silent"),
        f"http://127.0.0.1:{bystander.getsockname()[1]}/",
        publisher.url("/bomb"),
        "not a url at all",
        publisher.add("/two", b"second"),
    ]
    started = time.monotonic()
    results = fetch_many([FetchRequest(url) for url in urls])
    assert time.monotonic() - started < 2.5  # all within about one deadline
    assert [r.url for r in results] == urls
    kinds = [r.error.kind if r.error else None for r in results]
    assert kinds == [None, "timeout", "refused", "too_large", "refused", None]
    assert (results[0].content, results[-1].content) == (b"first", b"second")


def test_fetch_iter_hands_out_early_pages_while_later_ones_load(
    publisher: FixtureServer,
) -> None:
    release = threading.Event()

    def late(handler: FixtureRequestHandler) -> None:
        release.wait(5)
        send(handler, head(Content_Length="4") + b"late")

    publisher.routes["/late"] = late
    urls = [publisher.add("/early", b"early"), publisher.url("/late")]
    results = fetch_iter([FetchRequest(url) for url in urls])
    first = next(results)  # arrives although /late has not answered yet
    assert (first.url, first.content) == (urls[0], b"early")
    release.set()
    second = next(results)
    assert (second.url, second.content, second.error) == (urls[1], b"late", None)
    assert list(results) == []
    assert list(fetch_iter([])) == []


def test_fetch_iter_reports_a_broken_loop_instead_of_hanging(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import broadsheet.ingest.fetch as fetch_module

    def broken(limits: Any) -> Any:
        raise OSError("no sockets left")

    monkeypatch.setattr(fetch_module, "new_client", broken)
    with pytest.raises(OSError, match="no sockets left"):
        list(fetch_iter([FetchRequest("http://127.0.0.1:9/")]))


def test_fetch_many_limits_fetches_per_host(
    publisher: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    setting(monkeypatch, PER_HOST_CONCURRENCY=2)
    lock = threading.Lock()
    in_flight = [0, 0]  # now, most

    def slow(handler: FixtureRequestHandler) -> None:
        with lock:
            in_flight[0] += 1
            in_flight[1] = max(in_flight)
        time.sleep(0.1)
        with lock:
            in_flight[0] -= 1
        handler.send_whole(Response(b"ok"))

    publisher.routes["/slow"] = slow
    results = fetch_many([FetchRequest(publisher.url(f"/slow?n={n}")) for n in range(6)])
    assert all(r.ok for r in results)
    assert in_flight[1] == 2


def test_fetch_many_of_nothing() -> None:
    assert fetch_many([]) == []


def test_fetch_works_inside_a_running_event_loop(publisher: FixtureServer) -> None:
    url = publisher.add("/page", b"async caller")

    async def caller() -> FetchResult:
        return fetch(url)

    assert asyncio.run(caller()).content == b"async caller"
