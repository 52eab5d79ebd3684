"""A publisher on loopback for tests and benchmarks: a threaded HTTP server whose routes the test owns.

Routes map a path (without query) to either a `Response` or a callable taking the request handler
(for hostile behaviour: drips, endless bodies, raw socket writes). Each response goes out in one
write with TCP_NODELAY set, since Nagle plus delayed ACK adds ~40 ms per keep-alive response.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Response:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(
        default_factory=lambda: {"Content-Type": "text/html; charset=utf-8"}
    )


Handler = Callable[["FixtureRequestHandler"], None]


class FixtureRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet in tests
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.server.hits.append(self.path)
        path = urlsplit(self.path).path
        route = self.server.routes.get(path) or self.server.routes.get(self.path)
        if route is None:
            route = Response(b"not found", 404, {"Content-Type": "text/plain"})
        if callable(route):
            route(self)
            return
        self.send_whole(route)

    do_HEAD = do_GET
    # A route serves every method the same way; a callable route can read the method and body.
    do_POST = do_GET

    def send_whole(self, response: Response) -> None:
        """send_whole writes status line, headers and body in a single send."""
        head = [f"HTTP/1.1 {response.status} {self.responses.get(response.status, ('X',))[0]}"]
        headers = dict(response.headers)
        headers.setdefault("Content-Length", str(len(response.body)))
        head += [f"{k}: {v}" for k, v in headers.items()]
        payload = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
        if self.command != "HEAD":
            payload += response.body
        self.wfile.write(payload)
        self.wfile.flush()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr: tuple[str, int]) -> None:
        super().__init__(addr, FixtureRequestHandler)
        self.routes: dict[str, Response | Handler] = {}
        self.hits: list[str] = []


class FixtureServer:
    """FixtureServer serves the routes a test gives it on 127.0.0.1 at a free port."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._server = _Server((host, 0))
        self.host = host
        self.port = self._server.server_address[1]
        # A short poll interval: shutdown() waits for it, and tests start and stop many servers.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def routes(self) -> dict[str, Response | Handler]:
        return self._server.routes

    @property
    def hits(self) -> list[str]:
        return self._server.hits

    @property
    def netloc(self) -> str:
        return f"{self.host}:{self.port}"

    def url(self, path: str = "/") -> str:
        return f"http://{self.netloc}{path}"

    def add(
        self,
        path: str,
        body: bytes | str = b"",
        status: int = 200,
        content_type: str = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> str:
        """add serves body at path and returns the route's full URL."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        all_headers = {"Content-Type": content_type, **(headers or {})}
        self.routes[path] = Response(data, status, all_headers)
        return self.url(path)

    def __enter__(self) -> FixtureServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
