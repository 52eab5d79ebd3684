"""An httpx client that can only connect to addresses the SSRF guard has checked.

The guard sits in the network backend, the one place that opens sockets: it resolves the host,
checks every address, and connects to a checked IP itself. Checking a name and then letting the
library resolve it again would let DNS answer differently the second time (rebinding). TLS still
verifies, and SNI and Host still carry, the URL's own host name, since httpcore passes that to
`start_tls` and the request separately.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import httpcore
import httpx

from broadsheet.core import netguard

from .base import FetchError, Limits

# Lookups run on threads of our own, not the loop's default executor: asyncio.run waits for that
# one on the way out, so a resolver hanging past the deadline would hold fetch() hostage.
_RESOLVER = ThreadPoolExecutor(max_workers=8, thread_name_prefix="broadsheet-resolve")


async def resolve(host: str, port: int) -> list[str]:
    """resolve returns every address host resolves to, in the resolver's preferred order."""
    loop = asyncio.get_running_loop()
    lookup = partial(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        infos = await loop.run_in_executor(_RESOLVER, lookup)
    except socket.gaierror as exc:
        raise FetchError("network", f"could not resolve {host}: {exc.strerror}") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """GuardedBackend opens TCP connections only to resolved addresses that pass the SSRF guard."""

    def __init__(self, allow: netguard.Allowlist) -> None:
        self._allow = allow
        self._sockets = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """connect_tcp resolves host, refuses if any address is off limits, then connects to one."""
        problem = netguard.check_host(host, port, self._allow)
        if problem:
            raise FetchError("refused", f"refused: {problem}")
        addresses = await resolve(host, port)
        problem = netguard.check_resolved(host, port, addresses, self._allow)
        if problem:
            raise FetchError("refused", f"refused: {problem}")
        failure: Exception = FetchError("network", f"{host} has no addresses")
        for address in addresses:
            try:
                return await self._sockets.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """connect_unix_socket always refuses: no fetch has a reason to reach a local socket."""
        raise FetchError("refused", "refused: unix sockets are never fetched")

    async def sleep(self, seconds: float) -> None:
        """sleep waits, for httpcore's retry and keep-alive bookkeeping."""
        await self._sockets.sleep(seconds)


class _Body(httpx.AsyncByteStream):
    """_Body hands httpcore's raw response stream to httpx, closing it with the response."""

    def __init__(self, response: httpcore.Response) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._response.aiter_stream():
            yield chunk

    async def aclose(self) -> None:
        await self._response.aclose()


class GuardedTransport(httpx.AsyncBaseTransport):
    """GuardedTransport is httpx's transport over a connection pool using GuardedBackend."""

    def __init__(self, limits: Limits) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.concurrency,
            network_backend=GuardedBackend(limits.allow),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """handle_async_request sends request through the guarded pool."""
        assert isinstance(request.stream, httpx.AsyncByteStream)
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        response = await self._pool.handle_async_request(core_request)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_Body(response),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        """aclose closes every pooled connection."""
        await self._pool.aclose()


def new_client(limits: Limits) -> httpx.AsyncClient:
    """new_client builds the one kind of HTTP client Broadsheet uses: guarded, identified, no magic."""
    return httpx.AsyncClient(
        transport=GuardedTransport(limits),
        follow_redirects=False,  # each hop is re-checked by the caller
        trust_env=False,  # no proxy or .netrc from the environment: the guard must see the target
        timeout=httpx.Timeout(limits.timeout),  # a backstop; the real deadline is the caller's
        headers={
            "User-Agent": limits.user_agent,
            "Accept-Encoding": "gzip, deflate, br",
        },
    )
