"""safe_next sends readers only to paths on this site."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from broadsheet.core.redirects import safe_next


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("/articles/1/", "/articles/1/"),
        ("/articles/1/#comments", "/articles/1/#comments"),
        ("https://evil.example/", "/home"),
        ("//evil.example/", "/home"),
        ("/\\evil.example", "/home"),
        ("/%2F%2Fevil.example", "/home"),
        ("/%5Cevil.example", "/home"),
        ("javascript:alert(1)", "/home"),
        ("", "/home"),
    ],
)
def test_safe_next(given: str, expected: str) -> None:
    request = RequestFactory().post("/x", {"next": given})
    assert safe_next(request, "/home") == expected
