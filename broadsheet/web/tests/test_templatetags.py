"""Template tags with their own logic: table-driven, on the rendered output."""

from __future__ import annotations

import pytest
from django.template import Context, Template

OPTIONS = Template("{% load broadsheet_web %}{% source_options sources selected %}")


@pytest.mark.parametrize(
    ("sources", "selected", "expected"),
    [
        ([], None, ""),
        ([(1, "Yonhap")], None, '<option value="1">Yonhap</option>'),
        (
            [(1, "A"), (2, "B")],
            2,
            '<option value="1">A</option><option value="2" selected>B</option>',
        ),
        (
            [(3, '<script>"x"&</script>')],
            3,
            '<option value="3" selected>&lt;script&gt;&quot;x&quot;&amp;&lt;/script&gt;</option>',
        ),
        ([(4, "D")], "4", '<option value="4">D</option>'),  # only the parsed id selects
    ],
)
def test_source_options(sources, selected, expected):
    assert OPTIONS.render(Context({"sources": sources, "selected": selected})) == expected
