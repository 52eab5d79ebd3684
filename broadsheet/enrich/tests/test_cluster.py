"""Story clustering and the story helpers on small handmade articles."""

from __future__ import annotations

import json
import time

import numpy as np

from broadsheet.enrich import cluster
from broadsheet.enrich.cluster import (
    OnlineStoryClusterer,
    head_years,
    is_short,
    nlp_cluster,
    story_title,
    term_counts,
    timeline,
    what_changed,
)
from broadsheet.enrich.textutil import sentences, words

VOLCANO = [
    ("Volcano erupts near Grindavik in Iceland",
     "A volcano erupted near the Icelandic town of Grindavik on Monday night, sending lava fountains into the sky. "
     "Civil protection officials said Grindavik had been evacuated and the Blue Lagoon spa was closed."),
    ("Lava reaches outskirts of Grindavik after Iceland eruption",
     "Lava from the Reykjanes volcano reached the outskirts of Grindavik on Tuesday. "
     "The Icelandic Meteorological Office said the eruption near Grindavik was weakening but still dangerous."),
    ("Iceland eruption: Grindavik residents wait to return home",
     "Residents evacuated from Grindavik waited in Reykjavik as the volcano on the Reykjanes peninsula kept erupting. "
     "Iceland's civil protection agency said the Blue Lagoon would stay closed."),
]  # fmt: skip
RATES = [
    ("Central bank raises interest rates to 4.5%",
     "The Bundesbank-led eurozone central bank raised its main interest rate to 4.5% on Thursday to fight inflation. "
     "President Lagarde said further rate rises could follow if inflation stayed high."),
    ("Lagarde signals more rate rises after ECB hike",
     "ECB President Christine Lagarde said on Thursday that the central bank's rate hike to 4.5% may not be the last, "
     "as inflation in the eurozone remains well above target."),
]  # fmt: skip
QUAKE = [
    ("Strong earthquake shakes central Chile",
     "A magnitude 6.8 earthquake struck central Chile near Valparaiso on Friday, damaging older buildings. "
     "Chile's emergency office ONEMI said no deaths had been reported."),
    ("Chile quake damages Valparaiso buildings, no deaths",
     "The 6.8 magnitude quake that hit near Valparaiso, Chile, damaged dozens of older buildings, ONEMI said, "
     "adding that there were no reports of deaths."),
]  # fmt: skip


def _stream() -> list[dict[str, str]]:
    order = [VOLCANO[0], RATES[0], QUAKE[0], VOLCANO[1], RATES[1], QUAKE[1], VOLCANO[2]]
    return [{"id": f"a{n}", "title": t, "text": x} for n, (t, x) in enumerate(order)]


def test_same_event_articles_group_and_others_stay_apart() -> None:
    out = {r["id"]: r["cluster"] for r in nlp_cluster(_stream(), embed=False)}
    assert out["a0"] == out["a3"] == out["a6"]  # volcano
    assert out["a1"] == out["a4"]  # rates
    assert out["a2"] == out["a5"]  # earthquake
    assert len({out["a0"], out["a1"], out["a2"]}) == 3


def test_stories_outside_the_window_take_no_more() -> None:
    clusterer = OnlineStoryClusterer(window_hours=24)
    first = clusterer.add("x1", *VOLCANO[0], published="2024-01-01T10:00:00Z")
    same_day = clusterer.add("x2", *VOLCANO[1], published="2024-01-01T18:00:00+00:00")
    later = clusterer.add("x3", *VOLCANO[2], published="2024-01-09T10:00:00+00:00")
    assert first == same_day != later
    assert first not in clusterer.stories  # forgotten once far outside the window
    last_seen = clusterer.stories[later].last_seen or 0.0
    assert clusterer.expire(now=last_seen + 2 * 86_400) == [later]


def test_state_round_trip_keeps_the_stories() -> None:
    clusterer = OnlineStoryClusterer()
    for row in _stream()[:-1]:
        clusterer.add(row["id"], row["title"], row["text"])
    restored = OnlineStoryClusterer.restore(json.loads(json.dumps(clusterer.state())))
    volcano = clusterer.story("a0")
    assert restored.add("a6", *VOLCANO[2]) == volcano
    assert set(restored.stories) == set(clusterer.stories)


def test_sentence_vectors_group_paraphrased_headlines() -> None:
    # Headlines sharing no word, with vectors that say they mean the same (as an embedder would).
    rng = np.random.default_rng(0)
    base = rng.normal(size=384)
    other = rng.normal(size=384)

    def near(v: np.ndarray) -> list[float]:
        w = v + rng.normal(scale=0.3, size=384)
        return list(w / np.linalg.norm(w))

    rows = [
        {"id": "h1", "title": "Storm batters coast", "vector": near(base)},
        {"id": "h2", "title": "Gales lash seaside towns", "vector": near(base)},
        {"id": "h3", "title": "Parliament passes budget", "vector": near(other)},
    ]
    out = {r["id"]: r["cluster"] for r in nlp_cluster(rows, embed=False)}
    assert out["h1"] == out["h2"] != out["h3"]


def test_merges_relabel_the_later_story() -> None:
    clusterer = OnlineStoryClusterer(threshold=0.99, merge=0.05)
    a = clusterer.add("m1", *QUAKE[0])
    b = clusterer.add("m2", *QUAKE[1])
    # The second article starts its own story (s1), which then merges into the first (s0).
    assert a == b == clusterer.story("m2") == "s0"
    assert clusterer.merged_into == {"s1": "s0"}
    assert list(clusterer.stories) == ["s0"]


def _reclaim_stream() -> list[tuple[str, str, np.ndarray]]:
    """Headlines of two storms; b1, the first report of the second, reads a little like the first."""
    rng = np.random.default_rng(1)
    first, second = rng.normal(size=384), rng.normal(size=384)
    first /= np.linalg.norm(first)
    second -= second @ first * first
    second /= np.linalg.norm(second)

    def unit(v: np.ndarray) -> np.ndarray:
        w = v + rng.normal(scale=0.02, size=384)
        return w / np.linalg.norm(w)

    return [
        ("a1", "Storm floods Lisbon streets", unit(first)),
        ("a2", "Lisbon streets flooded as storm hits", unit(first)),
        ("a3", "Lisbon cleans up after storm floods", unit(first)),
        ("b1", "Storm hits Porto harbour", unit(0.6 * first + 0.8 * second)),
        ("b2", "Porto harbour storm wrecks boats", unit(second)),
        ("b3", "Boats wrecked in Porto harbour", unit(second)),
    ]


def test_a_young_story_takes_back_the_first_report_of_its_event(monkeypatch) -> None:
    def run() -> tuple[dict[str, str], list[list[tuple[str, str, str]]]]:
        clusterer = OnlineStoryClusterer()
        moves = []
        for aid, title, vector in _reclaim_stream():
            clusterer.add(aid, title, "", None, vector)
            moves.append(clusterer.take_moves())
        return {aid: clusterer.story(aid) for aid, _, _ in _reclaim_stream()}, moves

    stories, moves = run()
    # b1 arrived when only the Lisbon story existed and joined it; b2 starts the Porto story,
    # which takes b1 back (and nothing else), and says so once.
    assert stories["a1"] == stories["a2"] == stories["a3"] != stories["b1"]
    assert stories["b1"] == stories["b2"] == stories["b3"]
    assert moves == [[], [], [], [], [("b1", stories["a1"], stories["b1"])], []]

    monkeypatch.setattr(cluster, "RECLAIM_SIZE", 0)  # without the reclaim step b1 stays put
    stories, moves = run()
    assert stories["b1"] == stories["a1"] != stories["b2"]
    assert not any(moves)


def test_members_follow_merges_and_are_forgotten_when_their_story_expires() -> None:
    clusterer = OnlineStoryClusterer(threshold=0.99, merge=0.05, window_hours=24)
    clusterer.add("m1", *QUAKE[0], published="2024-01-01T10:00:00Z")
    clusterer.add("m2", *QUAKE[1], published="2024-01-01T11:00:00Z")
    assert clusterer.members == {"s0": ["m1", "m2"]}  # s1 merged into s0, with its member
    assert set(clusterer.features) == {"m1", "m2"}
    clusterer.add("v1", *VOLCANO[0], published="2024-01-09T10:00:00Z")
    assert "s0" not in clusterer.members and set(clusterer.features) == {"v1"}


def test_a_long_story_keeps_only_its_latest_members_features(monkeypatch) -> None:
    monkeypatch.setattr(cluster, "RECLAIM_RECENT", 2)
    clusterer = OnlineStoryClusterer()
    for n, (title, text) in enumerate(VOLCANO):
        clusterer.add(f"v{n}", title, text)
    assert clusterer.story("v0") == clusterer.story("v2")  # all three in one story
    assert clusterer.members == {clusterer.story("v0"): ["v1", "v2"]}
    assert set(clusterer.features) == {"v1", "v2"}


def test_names_numbers_and_head_years() -> None:
    counts = term_counts("", "The quake hit Valparaiso, Chile on Friday with magnitude 6.8.")
    assert counts["valparaiso"] > counts["quake"]
    assert counts.get("valparaiso_chile", 0) > 0
    assert head_years("Quake hits Iran", "November 27, 2005 | A quake ...") == {"2005"}
    assert is_short("Storm batters coast", "") and not is_short("", " ".join(["word"] * 40))


def test_story_title_is_the_most_central_headline() -> None:
    articles = [
        {"title": "ECB raises rates to 4.5%"},
        {"title": "ECB raises rates to 4.5%, Lagarde signals more hikes"},
        {"title": "Lagarde signals more hikes"},
        {"title": "Markets slip"},
    ]
    assert story_title(articles) == "ECB raises rates to 4.5%, Lagarde signals more hikes"
    assert story_title([]) == ""
    assert story_title([{"title": "Only one"}]) == "Only one"


def test_timeline_orders_by_time_and_keeps_undated_last() -> None:
    articles = [
        {"id": "b", "published": "2024-05-02T08:00:00Z"},
        {"id": "none"},
        {"id": "a", "published": "2024-05-01T08:00:00+00:00"},
    ]
    assert [a["id"] for a in timeline(articles)] == ["a", "b", "none"]


def test_what_changed_finds_the_new_sentence() -> None:
    earlier = [
        "A magnitude 6.8 earthquake struck central Chile near Valparaiso on Friday. "
        "Chile's emergency office said no deaths had been reported.",
    ]
    update = (
        "A magnitude 6.8 earthquake struck central Chile near Valparaiso on Friday. "
        "Rescuers found two people dead in a collapsed house in Vina del Mar on Saturday. "
        "Chile's emergency office said no deaths had been reported. "
        "Follow us on Twitter for more updates. "
        "Rescuers found two people dead in a collapsed house in Vina del Mar on Saturday."
    )
    assert what_changed(earlier, update) == [
        "Rescuers found two people dead in a collapsed house in Vina del Mar on Saturday."
    ]
    assert what_changed([], "") == []


def test_bounded_on_empty_tiny_huge_and_korean_texts() -> None:
    clusterer = OnlineStoryClusterer()
    empty = clusterer.add("e", "", "")
    word = clusterer.add("w", "", "Volcano")
    assert empty != word
    syllables = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "ze"]
    vocabulary = [a + b + c for a in syllables for b in syllables for c in syllables]
    huge = ". ".join(
        " ".join(vocabulary[(n * 31 + k) % len(vocabulary)] for k in range(20)).capitalize()
        for n in range(10_000)
    )  # 200,000 words in 10,000 sentences
    start = time.monotonic()
    clusterer.add("huge", "", huge)
    what_changed([huge], huge)
    assert time.monotonic() - start < 5.0
    korean = [
        ("서울 지하철 2호선 신호 장애로 운행 중단", "서울 지하철 2호선이 신호 장애로 출근 시간에 멈췄다. 서울교통공사는 강남역 신호 설비 고장이라고 밝혔다."),
        ("지하철 2호선 신호 장애 복구", "서울교통공사는 강남역 신호 설비 고장을 복구했다고 밝혔다. 지하철 2호선 운행이 재개됐다."),
        ("부산 해운대 해수욕장 개장", "부산 해운대 해수욕장이 다음 달 개장한다. 부산시는 안전 요원을 배치했다."),
    ]  # fmt: skip
    out = {r["id"]: r["cluster"] for r in nlp_cluster(
        [{"id": f"k{n}", "title": t, "text": x} for n, (t, x) in enumerate(korean)], embed=False
    )}  # fmt: skip
    assert out["k0"] == out["k1"] != out["k2"]


def test_textutil_words_and_sentences() -> None:
    assert words("Iceland's volcano, 2024") == ["iceland's", "volcano", "2024"]
    assert words("东京 地震") == ["东", "京", "地", "震"]
    assert sentences("Mr. Smith went to Washington. He said yes!\nNext line") == [
        "Mr. Smith went to Washington.",
        "He said yes!",
        "Next line",
    ]
