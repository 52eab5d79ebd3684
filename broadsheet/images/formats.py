"""Which image formats come in (sniffed from the bytes) and which go out (from the Accept header)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Output:
    """Output is one format we encode: its name, MIME type and file suffix."""

    name: str
    content_type: str
    suffix: str


AVIF = Output("avif", "image/avif", ".avif")
WEBP = Output("webp", "image/webp", ".webp")
JPEG = Output("jpeg", "image/jpeg", ".jpg")
OUTPUTS = {o.name: o for o in (AVIF, WEBP, JPEG)}

# ISO-BMFF brands of AVIF and HEIF still images and sequences.
_HEIF_BRANDS = {
    b"avif",
    b"avis",
    b"heic",
    b"heix",
    b"heim",
    b"heis",
    b"hevc",
    b"hevx",
    b"mif1",
    b"msf1",
}


def sniff(data: bytes) -> str | None:
    """sniff names the allowed source format data starts with (jpeg, png, webp, gif, heif), or None.

    Only the leading magic bytes count, never a name or a Content-Type: SVG, HTML, FITS, TIFF, PDF
    and everything else return None and are never handed to a decoder.
    """
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[4:8] == b"ftyp" and _heif_brand(data):
        return "heif"
    return None


def _heif_brand(data: bytes) -> bool:
    size = int.from_bytes(data[:4], "big")
    if not 16 <= size <= min(len(data), 4096):
        return False
    # major brand, minor version, then compatible brands, four bytes each
    brands = [data[8:12]] + [data[i : i + 4] for i in range(16, size - 3, 4)]
    return any(brand in _HEIF_BRANDS for brand in brands)


def negotiate(accept: str) -> Output:
    """negotiate picks AVIF when Accept names it, else WebP when it names that, else JPEG."""
    named = set()
    for part in accept.lower().split(","):
        media, *params = (p.strip() for p in part.split(";"))
        if any(_zero_q(p) for p in params):
            continue
        named.add(media)
    # Wildcards do not count: browsers send image/* whatever they can decode.
    if "image/avif" in named:
        return AVIF
    if "image/webp" in named:
        return WEBP
    return JPEG


def _zero_q(param: str) -> bool:
    name, _, value = param.partition("=")
    if name.strip() != "q":
        return False
    try:
        return float(value) <= 0
    except ValueError:
        return True
