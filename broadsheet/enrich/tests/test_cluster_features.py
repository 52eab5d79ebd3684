"""The full-article features of story clustering: lead weighting, figures, small-story caution, lead vectors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from broadsheet.enrich import cluster, embed
from broadsheet.enrich.cluster import OnlineStoryClusterer, lead_figures, nlp_cluster, term_counts

# Two reports of one earthquake, and a report of another earthquake on the same island years apart:
# the words agree, the figures (magnitude, toll) do not.
QESHM_A = (
    "A 5.6 magnitude earthquake hit Qeshm island off southern Iran on Sunday, injuring 5 people. "
    "The quake damaged homes in villages on Qeshm island, Iranian media said. "
    "Rescue teams were sent to the island and aftershocks followed on Monday."
)
QESHM_A2 = (
    "An earthquake of magnitude 5.6 struck Qeshm island in southern Iran on Sunday and 5 people were hurt. "
    "Homes in villages on Qeshm island were damaged, Iranian media said. "
    "Rescue teams reached the island as aftershocks followed."
)
QESHM_B = (
    "A 6.1 magnitude earthquake struck Qeshm island in southern Iran, killing 10 people and destroying villages. "
    "Iranian rescue workers handed out tents and blankets to survivors on the island. "
    "The quake was felt across the Gulf."
)


def test_lead_figures_are_the_opening_numbers_without_years() -> None:
    text = "A 5.6 quake in 2005 destroyed 1,200 homes. It hit at 7. Rescuers came. Later, 99 tents."
    assert lead_figures("", text) == {"5.6", "1200", "7"}  # 4th sentence and the year left out
    assert lead_figures("Storm batters coast", "") == set()


def test_the_lead_weighs_more_than_the_tail() -> None:
    filler = " ".join(f"Sentence {n} talks about nothing much." for n in range(10))
    counts = term_counts("", f"The volcano erupted. {filler} The volcano erupted.")
    # "volcano" twice: once first (weight 1), once as the 12th sentence (weight 1 / (1 + 11/3)).
    assert counts["volcano"] == pytest.approx(1.0 + 1.0 / (1.0 + 11 / cluster.LEAD_DECAY))


def test_same_kind_events_with_other_figures_stay_apart() -> None:
    rows = [
        {"id": "a", "text": QESHM_A},
        {"id": "a2", "text": QESHM_A2},
        {"id": "b", "text": QESHM_B},
    ]
    out = {r["id"]: r["cluster"] for r in nlp_cluster(rows, embed=False)}
    assert out["a"] == out["a2"] != out["b"]


def test_without_the_figure_rule_the_two_quakes_would_merge(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cluster, "FIGURE_PENALTY", 1.0)
    rows = [{"id": "a", "text": QESHM_A}, {"id": "b", "text": QESHM_B}]
    out = {r["id"]: r["cluster"] for r in nlp_cluster(rows, embed=False)}
    assert out["a"] == out["b"]  # the words alone cannot tell them apart


def test_a_small_story_asks_more_of_a_full_article(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cluster, "FIGURE_PENALTY", 1.0)
    probe = OnlineStoryClusterer()
    probe.add("a", "", QESHM_A)
    terms = probe.weights("", QESHM_B)  # counted, as add does
    sim = probe._link(terms, None, set(), 1, 0, 1, probe.stories["s0"])
    # A threshold the pair clears, but not with the small-story margin on top: it stays apart.
    clusterer = OnlineStoryClusterer(threshold=sim - cluster.SMALL_BONUS / 2, merge=1.0)
    clusterer.add("a", "", QESHM_A)
    assert clusterer.add("b", "", QESHM_B) != clusterer.story("a")
    monkeypatch.setattr(cluster, "SMALL_BONUS", 0.0)
    clusterer = OnlineStoryClusterer(threshold=sim - 0.05, merge=1.0)
    clusterer.add("a", "", QESHM_A)
    assert clusterer.add("b", "", QESHM_B) == clusterer.story("a")


def test_full_articles_are_embedded_from_their_lead(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    def fake_embed(texts: list[str]) -> np.ndarray:
        seen.extend(texts)
        return np.tile(np.eye(1, 384, dtype=np.float32), (len(texts), 1))

    monkeypatch.setattr(cluster, "_embedder", lambda: fake_embed)
    long_text = "Lead sentence here. " + "More words follow. " * 100
    out = list(
        nlp_cluster(
            [{"id": "x", "title": "A title", "text": long_text}, {"id": "h", "title": "Headline"}]
        )
    )
    assert len(out) == 2
    assert seen[0].startswith("A title. Lead sentence here.")
    assert len(seen[0]) <= len("A title. ") + embed.ARTICLE_LEAD_CHARS
    assert seen[1] == "Headline"


def test_state_round_trip_keeps_the_figures() -> None:
    clusterer = OnlineStoryClusterer()
    clusterer.add("a", "", QESHM_A)
    state = json.loads(json.dumps(clusterer.state()))
    restored = OnlineStoryClusterer.restore(state)
    assert restored.stories["s0"].figures == {"5.6", "5"}
    assert restored.add("b", "", QESHM_B) != "s0"
    assert restored.add("a2", "", QESHM_A2) == "s0"
