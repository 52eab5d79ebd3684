"""Decoding and re-encoding with libvips: the only module that imports pyvips.

Before anything is decoded, the header is read (libvips loads lazily) and checked against the
pixel and frame caps. Only the five loaders we sniff for are unblocked in libvips itself, so even
a sniffing mistake cannot reach another decoder. Output is always freshly encoded, metadata
stripped, first frame only.
"""

from __future__ import annotations

import threading

import pyvips
from django.conf import settings

from .errors import ImageError
from .formats import AVIF, JPEG, WEBP, Output

VIPS_MAX_COORD = 10_000_000  # "no limit" for the height: width alone sets the scale
_LOADERS = {
    "jpeg": "jpegload_buffer",
    "png": "pngload_buffer",
    "webp": "webpload_buffer",
    "gif": "gifload_buffer",
    "heif": "heifload_buffer",
}
_UNBLOCKED = (
    "VipsForeignLoadJpeg",
    "VipsForeignLoadPng",
    "VipsForeignLoadWebp",
    "VipsForeignLoadNsgif",
    "VipsForeignLoadHeif",
)
_configured = threading.Lock()
_done = False


def configure() -> None:
    """configure sets libvips up for a server once per process: no operation cache, few threads, five loaders."""
    global _done
    with _configured:
        if _done:
            return
        # The operation cache would keep decoded sources (ours are all distinct) in memory.
        pyvips.cache_set_max(0)
        pyvips.cache_set_max_mem(0)
        pyvips.cache_set_max_files(0)
        pyvips.concurrency_set(int(settings.BROADSHEET["BROADSHEET_IMAGE_THREADS"]))
        pyvips.block_untrusted_set(True)
        pyvips.operation_block_set("VipsForeignLoad", True)
        for loader in _UNBLOCKED:
            pyvips.operation_block_set(loader, False)
        _done = True


def header_check(data: bytes, kind: str, *, max_pixels: int, max_frames: int) -> tuple[int, int]:
    """header_check reads the width and height of data's first frame, refusing it past the caps."""
    configure()
    try:
        probe = getattr(pyvips.Image, _LOADERS[kind])(data, access="sequential")
        width, height = int(probe.width), int(probe.height)
        fields = probe.get_fields()
        frames = int(probe.get("n-pages")) if "n-pages" in fields else 1
    except pyvips.Error as exc:
        raise ImageError(415, "unsupported image") from exc
    if width <= 0 or height <= 0:
        raise ImageError(415, "unsupported image")
    if width * height > max_pixels:
        raise ImageError(413, "image too large")
    if frames > max_frames:
        raise ImageError(413, "too many frames")
    return width, height


def render(data: bytes, *, width: int, quality: int, output: Output) -> bytes:
    """render scales data down to width (never up), first frame only, and encodes it as output."""
    configure()
    try:
        image = pyvips.Image.thumbnail_buffer(
            data, width, height=VIPS_MAX_COORD, size="down", fail_on="error"
        )
        image = _to_srgb(image)
        if output is JPEG and image.hasalpha():
            image = image.flatten(background=255)
        return bytes(_encode(image, quality, output))
    except pyvips.Error as exc:
        raise ImageError(415, "unsupported image") from exc


def _to_srgb(image: pyvips.Image) -> pyvips.Image:
    grey = image.interpretation in ("b-w", "grey16")
    target = "b-w" if grey else "srgb"
    if image.interpretation != target:
        image = image.colourspace(target)
    if image.format != "uchar":
        image = image.cast("uchar")
    return image


def _encode(image: pyvips.Image, quality: int, output: Output) -> bytes:
    if output is AVIF:
        # AVIF at Q50 looks like WebP/JPEG at Q75-80. Effort 0 costs ~35 ms of CPU for 640 wide,
        # effort 2 ~300 ms, for files within a few percent of each other in size.
        return image.heifsave_buffer(
            Q=max(20, quality - 25), effort=0, compression="av1", keep="none"
        )
    if output is WEBP:
        return image.webpsave_buffer(Q=quality, effort=2, keep="none")
    return image.jpegsave_buffer(Q=quality, optimize_coding=True, keep="none")
