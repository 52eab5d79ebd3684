"""/img/ takes its own lane: the security headers still apply, the page middleware does not."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_resizer_skips_page_middleware_but_keeps_security_headers(client):
    client.cookies["sessionid"] = "not-a-session"
    response = client.get("/img/", {"url": "https://x.test/a.jpg", "w": "640", "q": "75", "s": "x"})
    assert response.status_code == 403  # the view itself answered: bad signature
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "Permissions-Policy" in response and "Cross-Origin-Resource-Policy" in response
    # LocaleMiddleware, SessionMiddleware and XFrameOptionsMiddleware sit below the lane.
    for header in ("Content-Language", "X-Frame-Options", "Set-Cookie"):
        assert header not in response, header
    assert "Cookie" not in response.get("Vary", "")


def test_pages_still_take_the_whole_stack(client):
    response = client.get("/healthz")
    assert "X-Frame-Options" in response and "Permissions-Policy" in response
