from pathlib import Path

import pytest

from config.options import OPTIONS, option, read_all

DOCS = Path(__file__).resolve().parents[3] / "docs" / "SETTINGS.md"


@pytest.mark.parametrize("opt", OPTIONS, ids=lambda o: o.name)
def test_every_setting_is_documented(opt):
    assert f"`{opt.name}`" in DOCS.read_text(), f"{opt.name} is missing from docs/SETTINGS.md"
    assert opt.doc.strip(), f"{opt.name} has no doc sentence"


def test_every_default_parses():
    values = read_all({})
    assert values["BROADSHEET_FETCH_MAX_BYTES"] == 15 * 1024 * 1024
    assert values["BROADSHEET_FETCH_ALLOW"] == []


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("DEBUG", "yes", True),
        ("DEBUG", "0", False),
        ("ALLOWED_HOSTS", " a.example , b.example ,", ["a.example", "b.example"]),
        ("BROADSHEET_FETCH_TIMEOUT", "2.5", 2.5),
    ],
)
def test_options_parse(name, raw, expected):
    assert option(name).read({name: raw}) == expected


@pytest.mark.parametrize(
    ("name", "raw"),
    [("DEBUG", "maybe"), ("BROADSHEET_FETCH_TIMEOUT", "-1"), ("WEB_CONCURRENCY", "x")],
)
def test_bad_values_name_the_setting(name, raw):
    with pytest.raises(ValueError, match=name):
        option(name).read({name: raw})
