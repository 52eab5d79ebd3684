"""Source images for the resizer's tests, made in code: ordinary ones, and hostile ones."""

from __future__ import annotations

import io
import struct
import zlib

import pyvips
from PIL import Image


def photo(width: int = 1200, height: int = 800, fmt: str = ".jpg", **save: object) -> bytes:
    """photo is a smooth colour gradient with some texture, encoded as fmt."""
    xyz = pyvips.Image.xyz(width, height)
    red = (xyz[0] * 255 / max(width - 1, 1)).cast("uchar")
    green = (xyz[1] * 255 / max(height - 1, 1)).cast("uchar")
    blue = pyvips.Image.gaussnoise(width, height, mean=128, sigma=30).cast("uchar")
    image = red.bandjoin([green, blue]).copy(interpretation="srgb")
    return bytes(image.write_to_buffer(fmt, **save))


def jpeg_with_exif(secret: str) -> bytes:
    """jpeg_with_exif is a small JPEG whose EXIF Artist and comment carry secret."""
    image = Image.new("RGB", (800, 600), (200, 30, 40))
    exif = Image.Exif()
    exif[0x013B] = secret  # Artist
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), comment=secret.encode())
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int, rows: int = 4) -> bytes:
    """png_claiming is a valid, tiny PNG whose header says width × height (greyscale, few rows of data)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = (b"\x00" + b"\x00" * width) * rows
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", zlib.compress(raw, 9))
        + _chunk(b"IEND", b"")
    )


def jpeg_claiming(width: int, height: int) -> bytes:
    """jpeg_claiming is a small JPEG with its frame header edited to say width × height."""
    data = bytearray(photo(64, 64))
    sof = data.index(b"\xff\xc0")
    # SOFn: marker, length (2), precision (1), height (2), width (2)
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def gif_frames(frames: int) -> bytes:
    """gif_frames is an animated 1×1 GIF with that many frames, written by hand (it is tiny)."""
    head = b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    loop = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    frame = (
        b"\x21\xf9\x04\x00\x01\x00\x00\x00"  # graphic control: 1/100 s delay
        + b"\x2c"
        + struct.pack("<HHHHB", 0, 0, 1, 1, 0)
        + b"\x02\x02\x44\x01\x00"  # LZW min code 2, one sub-block: clear, pixel 0, end
    )
    return head + loop + frame * frames + b"\x3b"


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(document.cookie)</script><rect width='10' height='10'/></svg>"
)
HTML = b"<!doctype html><html><body><script>alert(1)</script><img src=x></body></html>"
# A FITS primary header: 36 cards of 80 characters, padded to 2880 bytes, then a small data unit.
FITS = (
    "".join(
        card.ljust(80)
        for card in (
            "SIMPLE  =                    T",
            "BITPIX  =                    8",
            "NAXIS   =                    2",
            "NAXIS1  =                   16",
            "NAXIS2  =                   16",
            "END",
        )
    )
    .ljust(2880)
    .encode("ascii")
    + b"\x00" * 2880
)
GARBAGE = bytes(range(256)) * 40
