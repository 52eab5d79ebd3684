"""Which hosts the resizer may fetch from: a source's host or image host, or a subdomain of one."""

from __future__ import annotations

import pytest

from broadsheet.images.selectors import image_host_allowed, image_hosts_forget
from broadsheet.ingest.models import Source

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def sources():
    image_hosts_forget()
    Source.objects.create(
        name="Org", host="example.org", image_hosts=["cdn.pics.net", "X.Img.COM."]
    )
    Source.objects.create(name="Other", host="other.example", image_hosts="not a list")
    yield
    image_hosts_forget()


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("example.org", True),
        ("www.example.org", True),
        ("a.b.example.org", True),
        ("EXAMPLE.ORG.", True),
        ("other.example", True),
        ("cdn.pics.net", True),
        ("eu.cdn.pics.net", True),
        ("x.img.com", True),
        ("pics.net", False),
        ("img.com", False),
        ("badexample.org", False),
        ("example.org.evil.com", False),
        ("evilcdn.pics.net", False),
        ("org", False),
        ("", False),
        (".", False),
        ("127.0.0.1", False),
    ],
)
def test_image_host_allowed(host, allowed):
    assert image_host_allowed(host=host) is allowed


def test_image_host_found_is_remembered_and_refusal_is_not(django_assert_num_queries):
    assert image_host_allowed(host="cdn.pics.net")
    with django_assert_num_queries(1):  # the indexed host lookup only
        assert image_host_allowed(host="cdn.pics.net")
    assert not image_host_allowed(host="new.example")
    Source.objects.filter(host="example.org").update(image_hosts=["new.example"])
    assert image_host_allowed(host="new.example")
