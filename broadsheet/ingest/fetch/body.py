"""Reading a response body under a cap on its decoded size, with bounded memory.

We decode Content-Encoding ourselves instead of using httpx's decoders: those inflate each
network chunk in one call, so 64 KiB of gzip can become 64 MiB, and a stacked `gzip, gzip` or a
brotli bomb can become gigabytes before any cap is checked. Here every decoding stage yields at
most STEP bytes at a time and only when asked, so however large the bomb, memory stays near
cap + STEP per stage and the work stops soon after the cap.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence
from typing import Protocol

import brotli
import httpx

from .base import FetchError, human_size

STEP = 64 * 1024


class _Stage(Protocol):
    def feed(self, data: bytes) -> Iterator[bytes]: ...


class _Zlib:
    """_Zlib inflates gzip or zlib-wrapped deflate, STEP bytes at a time."""

    def __init__(self, wbits: int) -> None:
        self._inflate = zlib.decompressobj(wbits)

    def feed(self, data: bytes) -> Iterator[bytes]:
        while not self._inflate.eof:
            out = self._inflate.decompress(data, STEP)
            data = self._inflate.unconsumed_tail
            if out:
                yield out
            # A full STEP of output may leave more pending inside zlib: go round again to drain it.
            if len(out) < STEP and not data:
                return


class _Deflate:
    """_Deflate accepts both zlib-wrapped and raw deflate, since servers send either as "deflate"."""

    def __init__(self) -> None:
        self._stage: _Zlib | None = None

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._stage is None:
            if not data:
                return
            wrapped = len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
            self._stage = _Zlib(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        yield from self._stage.feed(data)


class _Brotli:
    """_Brotli decompresses brotli, STEP bytes at a time (brotli >= 1.2 takes an output limit)."""

    def __init__(self) -> None:
        self._decompressor = brotli.Decompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        out = self._decompressor.process(data, output_buffer_limit=STEP)
        # Output held back by the limit comes out of further calls with no input, until none is left.
        while out:
            yield out
            out = self._decompressor.process(b"", output_buffer_limit=STEP)


def _stage(name: str) -> _Stage | None:
    if name in ("gzip", "x-gzip"):
        return _Zlib(16 + zlib.MAX_WBITS)
    if name == "deflate":
        return _Deflate()
    if name == "br":
        return _Brotli()
    if name in ("identity", ""):
        return None
    raise FetchError("decoding", f"unsupported Content-Encoding {name!r}")


def decoders(content_encoding: str) -> list[_Stage]:
    """decoders lists the stages that undo content_encoding, first applied last ("gzip, br")."""
    names = [name.strip().lower() for name in content_encoding.split(",")]
    stages = [_stage(name) for name in reversed(names)]
    return [stage for stage in stages if stage is not None]


def _through(stages: Sequence[_Stage], data: bytes) -> Iterator[bytes]:
    if not stages:
        yield data
        return
    for piece in stages[0].feed(data):
        yield from _through(stages[1:], piece)


async def read_capped(response: httpx.Response, cap: int, *, truncate: bool = False) -> bytes:
    """read_capped returns the decoded body, failing (or with truncate, stopping) past cap bytes."""
    too_large = FetchError("too_large", f"response exceeds {human_size(cap)}")
    declared = response.headers.get("content-length", "")
    if not truncate and declared.isdigit() and int(declared) > cap:
        raise too_large
    encoding = response.headers.get("content-encoding", "")
    stages = decoders(encoding)
    body = bytearray()
    try:
        async for raw in response.aiter_raw():
            for piece in _through(stages, raw):
                room = cap - len(body)
                if len(piece) > room:
                    if truncate:
                        return bytes(body + piece[:room])
                    raise too_large
                body += piece
    except (zlib.error, brotli.error) as exc:
        raise FetchError("decoding", f"could not decode the {encoding} body: {exc}") from exc
    return bytes(body)
