"""reverse_cached and the {% url %} builtin answer exactly what Django's reverse answers."""

from __future__ import annotations

import pytest
from django.template import Context, Template, engines
from django.test import override_settings
from django.urls import NoReverseMatch, reverse, set_script_prefix

from broadsheet.core.urls import reverse_cached

CASES = [
    ("web:home", ()),
    ("web:article", (0,)),
    ("web:article", (7,)),
    ("web:article", (123456789012,)),
    ("web:article", (42, "some-slug")),
    ("web:story", (9_187_340_000,)),  # a sentinel's own value
    ("web:tag", ("north-korea",)),
    ("web:tag", ("북한",)),
    ("web:tag", ("a b&c?d",)),
    ("web:source", (3,)),
    ("web:language", ("ko",)),
]


@pytest.mark.parametrize(("name", "args"), CASES)
def test_same_answer_as_reverse(name, args):
    expected = reverse(name, args=args)
    assert reverse_cached(name, args=args) == expected
    assert reverse_cached(name, args=args) == expected  # from the memo


@pytest.mark.parametrize(
    ("name", "args"),
    [("web:article", (-1,)), ("web:article", ("x/y",)), ("web:tag", ()), ("web:nothing", (1,))],
)
def test_refusals_are_the_same(name, args):
    with pytest.raises(NoReverseMatch):
        reverse(name, args=args)
    with pytest.raises(NoReverseMatch):
        reverse_cached(name, args=args)


def test_script_prefix_is_part_of_the_key():
    plain = reverse_cached("web:article", args=[5])
    set_script_prefix("/news/")
    try:
        assert (
            reverse_cached("web:article", args=[5])
            == "/news" + plain
            == reverse("web:article", args=[5])
        )
    finally:
        set_script_prefix("/")
    assert reverse_cached("web:article", args=[5]) == plain


def test_a_new_urlconf_forgets_the_memo():
    before = reverse_cached("web:article", args=[5])
    with override_settings(ROOT_URLCONF="broadsheet.core.tests.moved_urls"):
        assert reverse_cached("web:article", args=[5]) == "/moved/articles/5/"
    assert reverse_cached("web:article", args=[5]) == before


def test_url_tag_is_the_memoised_one_with_the_same_output():
    source = (
        "{% url 'web:article' pk %}|{% url 'web:tag' slug %}|{% url 'web:nothing' as gone %}"
        "[{{ gone }}]|{% url 'web:article' pk as a %}{{ a }}"
    )
    template = engines["django"].from_string(source)
    out = template.render({"pk": 12, "slug": "<b>&"})
    tag = reverse("web:tag", args=["<b>&"])
    assert out == f"/articles/12/|{tag.replace('&', '&amp;')}|[]|/articles/12/"
    node_types = {type(node).__name__ for node in template.template.nodelist}  # type: ignore[attr-defined]
    assert "CachedURLNode" in node_types


def test_url_tag_still_raises_without_as():
    with pytest.raises(NoReverseMatch):
        engines["django"].from_string("{% url 'web:nothing' %}").render({})
    # The plain Template class uses the default engine, builtins included.
    assert Template("{% url 'web:home' %}").render(Context()) == "/"
