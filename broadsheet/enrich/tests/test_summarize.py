import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from broadsheet.core.testing import FixtureRequestHandler, FixtureServer, Response
from broadsheet.enrich import llm
from broadsheet.enrich.summarize import key_points, nlp_summarize, story_summary

ARTICLE = (
    "The city council approved a new budget for public transport on Tuesday after a long debate. "
    "The budget adds forty electric buses and extends night service on three routes. "
    "Council members said the transport budget would be paid for by a parking levy. "
    "Click here to subscribe to our newsletter for more stories. "
    "Some residents complained that the parking levy would hurt small shops in the centre. "
    "The mayor, who proposed the budget in March, called the vote a victory for commuters. "
    "The first electric buses are expected on the roads next spring."
)

HUGE = " ".join(
    f"Council member {i} discussed budget item {i % 97} with residents of ward {i % 13} on Monday."
    for i in range(14_000)
)  # about 200,000 words


@pytest.mark.parametrize(
    ("text", "n", "expected"),
    [
        ("", 3, []),
        ("   \n\n  ", 3, []),
        ("Budget.", 3, ["Budget."]),
        ("Budget", 3, ["Budget"]),
        (ARTICLE, 0, []),
    ],
    ids=["empty", "blank", "one-word-sentence", "one-word", "zero-points"],
)
def test_key_points_edge_cases(text, n, expected):
    assert key_points(text, n=n) == expected


def test_key_points_are_sentences_of_the_text_in_article_order():
    points = key_points(ARTICLE, title="Council approves transport budget", n=3)
    assert 1 <= len(points) <= 3
    assert all(p in ARTICLE for p in points)
    assert sorted(points, key=ARTICLE.index) == points
    assert points[0].startswith("The city council approved")


def test_key_points_skip_boilerplate_and_are_deterministic():
    first = key_points(ARTICLE, n=5)
    assert not any("newsletter" in p for p in first)
    assert key_points(ARTICLE, n=5) == first


def test_key_points_drop_repeated_sentences():
    text = " ".join([ARTICLE.split(". ")[0] + "."] * 5) + " " + ARTICLE
    points = key_points(text, n=3)
    assert len(points) == len(set(points))


def test_one_point_is_the_gist_not_just_the_lead():
    text = (
        "It was a cold morning in the harbour town. "
        "Fishermen say the new quota rules for cod will cut their catch and their income. "
        "The quota rules for cod come into force in May, and fishermen plan a protest. "
        "Officials say cod stocks need the quota rules to recover."
    )
    assert key_points(text, n=1) != ["It was a cold morning in the harbour town."]


def test_key_points_output_is_plain_text():
    text = "The council met on Tuesday to vote on the <b>budget</b> for buses <script>x()</script> and trams next year."
    (point,) = key_points(text, n=1)
    assert "<" not in point and ">" not in point


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (
            "서울시의회는 화요일 대중교통 예산안을 통과시켰다. 예산안에는 전기버스 40대 도입이 포함됐다. 시장은 이번 표결을 통근자들의 승리라고 말했다.",
            "예산안",
        ),
        (
            "Le conseil municipal a adopté mardi un nouveau budget pour les transports. Le budget ajoute quarante bus électriques. "
            "The mayor called the vote a victory for commuters.",
            "budget",
        ),
    ],
    ids=["korean", "mixed-languages"],
)
def test_key_points_other_languages(text, needle):
    points = key_points(text, n=2)
    assert points and any(needle in p for p in points)


def test_key_points_on_200k_words_is_bounded():
    start = time.perf_counter()
    points = key_points(HUGE, n=3)
    assert time.perf_counter() - start < 5
    assert 1 <= len(points) <= 3


STORY = [
    (101, "Council approves bus budget", ARTICLE),
    (
        102,
        "Forty electric buses for the city",
        "The city will buy forty electric buses after the council approved the transport budget on Tuesday. "
        "Shop owners fear the parking levy that pays for it. The buses arrive next spring.",
    ),
    (
        103,
        "Harbour festival opens",
        "The harbour festival opened with fireworks on Saturday night.",
    ),
]


def test_story_summary_cites_its_articles():
    summary = story_summary(STORY, n=3)
    assert 1 <= len(summary) <= 3
    for sentence, cited in summary:
        assert cited and all(1 <= i <= len(STORY) for i in cited)
        assert any(sentence in STORY[i - 1][2] for i in cited)
    assert any(len(cited) > 1 for _, cited in summary), "sentences both articles report cite both"
    assert story_summary([], n=3) == []


def test_nlp_summarize_reads_text_or_document():
    rows = [
        {"id": "a", "text": ARTICLE, "title": "Budget"},
        {"id": "b", "document": ARTICLE},
        {"id": "c", "text": ""},
    ]
    out = list(nlp_summarize(rows, sentences=2))
    assert [r["id"] for r in out] == ["a", "b", "c"]
    assert 1 <= len(out[0]["summary"].split("\n")) <= 2
    assert out[2]["summary"] == ""


# --- the LLM backend, replayed from a fake local server -----------------------------------


@dataclass
class FakeLLM:
    server: FixtureServer
    requests: list[dict] = field(default_factory=list)
    headers: list[dict] = field(default_factory=list)

    def reply(self, content: str, status: int = 200) -> None:
        body = {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": "test",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
        }
        self.server.routes["/v1/chat/completions"] = Response(
            json.dumps(body).encode(), status, {"Content-Type": "application/json"}
        )


@pytest.fixture
def fake_llm(monkeypatch, settings) -> Iterator[FakeLLM]:
    """fake_llm points the LLM backend at a loopback server that replays recorded replies."""
    fake: FakeLLM

    def do_post(handler: FixtureRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        fake.requests.append(json.loads(handler.rfile.read(length)))
        fake.headers.append(dict(handler.headers))
        handler.do_GET()

    monkeypatch.setattr(FixtureRequestHandler, "do_POST", do_post, raising=False)
    with FixtureServer() as server:
        fake = FakeLLM(server)
        settings.BROADSHEET = {
            **settings.BROADSHEET,
            "BROADSHEET_LLM_URL": server.url("/v1"),
            "BROADSHEET_LLM_MODEL": "test-model",
            "BROADSHEET_LLM_API_KEY": "fake-key",
            "BROADSHEET_LLM_TIMEOUT": 5,
        }
        llm.cache_clear()
        yield fake
        llm.cache_clear()


def test_llm_is_off_by_default(settings):
    settings.BROADSHEET = {
        k: v for k, v in settings.BROADSHEET.items() if not k.startswith("BROADSHEET_LLM_")
    }
    assert llm.llm_config() is None


def test_llm_story_summary_is_used_when_it_passes_the_guard(fake_llm):
    fake_llm.reply(
        "The council approved forty electric buses. [1][2]\nA parking levy pays for them. [2]"
    )
    assert story_summary(STORY, n=3) == [
        ("The council approved forty electric buses.", [1, 2]),
        ("A parking levy pays for them.", [2]),
    ]
    request = fake_llm.requests[0]
    assert request["model"] == "test-model"
    assert "[3] Harbour festival opens" in request["messages"][1]["content"]
    assert fake_llm.headers[0]["Authorization"] == "Bearer fake-key"
    story_summary(STORY, n=3)
    assert len(fake_llm.requests) == 1, "the second call is answered from the cache"


@pytest.mark.parametrize(
    "reply",
    [
        "The council approved buses. <script>alert(1)</script> [1]",
        "The council approved <b>forty</b> buses. [1]",
        "The council approved forty electric buses.",
        "The council approved forty electric buses. [1] Nobody knows why. ",
        "The council approved forty electric buses. [7]",
        "The council approved forty electric buses. [1] " + "And more. [1] " * 200,
        "",
    ],
    ids=[
        "script",
        "html",
        "no-citation",
        "uncited-sentence",
        "unknown-source",
        "too-long",
        "empty",
    ],
)
def test_llm_story_summary_falls_back_on_bad_output(fake_llm, reply):
    fake_llm.reply(reply)
    assert story_summary(STORY, n=3) == story_summary_extractive()
    assert fake_llm.requests, "the server was asked"


def test_llm_story_summary_falls_back_when_the_server_fails(fake_llm):
    fake_llm.reply("The council approved buses. [1]", status=500)
    assert story_summary(STORY, n=3) == story_summary_extractive()


def story_summary_extractive():
    from broadsheet.enrich.summarize import _extractive_story_summary

    return _extractive_story_summary(STORY, n=3)


def test_llm_story_summary_falls_back_when_the_server_is_too_slow(fake_llm, settings):
    def slow(handler: FixtureRequestHandler) -> None:
        time.sleep(1.5)
        handler.send_whole(Response(b"{}", 200, {"Content-Type": "application/json"}))

    fake_llm.server.routes["/v1/chat/completions"] = slow
    settings.BROADSHEET = {**settings.BROADSHEET, "BROADSHEET_LLM_TIMEOUT": 0.3}
    start = time.perf_counter()
    assert story_summary(STORY, n=3) == story_summary_extractive()
    assert time.perf_counter() - start < 1.2
