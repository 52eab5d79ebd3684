"""Sniffing sources by their bytes, and choosing the output format from Accept."""

from __future__ import annotations

import pytest

from broadsheet.images.formats import AVIF, JPEG, WEBP, negotiate, sniff
from broadsheet.images.tests import samples


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (samples.photo(32, 32, ".jpg"), "jpeg"),
        (samples.photo(32, 32, ".png"), "png"),
        (samples.photo(32, 32, ".webp"), "webp"),
        (samples.photo(32, 32, ".gif"), "gif"),
        (samples.photo(32, 32, ".avif"), "heif"),
        (samples.gif_frames(2), "gif"),
        (samples.SVG, None),
        (samples.HTML, None),
        (samples.FITS, None),
        (samples.GARBAGE, None),
        (samples.photo(32, 32, ".tif"), None),
        (b"", None),
        (b"\xff\xd8", None),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", None),
        (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom", None),
        (b"\x00\x00\xff\xffftypavif", None),
    ],
)
def test_sniff(data, kind):
    assert sniff(data) == kind


@pytest.mark.parametrize(
    ("accept", "output"),
    [
        ("image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8", AVIF),
        ("image/webp,*/*", WEBP),
        ("image/avif;q=0, image/webp", WEBP),
        ("IMAGE/WEBP", WEBP),
        ("image/png,image/*;q=0.8,*/*;q=0.5", JPEG),
        ("*/*", JPEG),
        ("", JPEG),
        ("image/webp;q=0.0", JPEG),
        ("image/webp;q=bogus", JPEG),
        ("image/avif2,image/webpx", JPEG),
    ],
)
def test_negotiate(accept, output):
    assert negotiate(accept) is output
