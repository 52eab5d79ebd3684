"""Wire-copy detection on small handmade texts: edited copies group, other outlets' reports do not."""

from __future__ import annotations

import time

from broadsheet.enrich.neardup import (
    DuplicateIndex,
    nlp_dedupe,
    normal_words,
    shingles,
    strip_furniture,
)

WIRE = """Harbour crane collapses onto container ship in Rotterdam
A towering harbour crane collapsed onto a container ship in the port of Rotterdam on Tuesday morning, injuring four dock workers and halting traffic at the busiest terminal in Europe for several hours.
The port authority said the crane, which was installed in 1998, buckled during high winds shortly after seven o'clock while lifting a forty-foot container.
Two of the injured workers were taken to the Erasmus medical centre with broken bones, a spokeswoman for the emergency services said. The other two were treated at the scene.
Investigators from the Dutch safety board arrived in the afternoon to examine the wreckage and the maintenance records of the terminal operator.
The operator said it would halt all crane work at the terminal until inspections of its remaining twelve cranes were complete, which could take until Friday.
Shipping lines warned customers of delays of up to three days for cargo bound for Germany and Switzerland."""

# The same wire story as an agency subscriber runs it: dateline, copy edits, a footer.
LIGHT = (
    "ROTTERDAM (Reuters) - "
    + WIRE.replace("said", "says").replace("forty-foot", "40-foot").replace("twelve", "12")
    + "\nReporting by staff; editing by the desk."
)
# A rewritten headline and the bottom third cut away.
TRUNCATED = "Crane falls on ship in Rotterdam, four hurt\n" + "\n".join(WIRE.split("\n")[1:4])
# OCR-like garbling, a dropped paragraph and a local paragraph added by the subscriber.
GARBLED = (
    WIRE.replace("container ship", "contaner shlp")
    .replace("Investigators", "lnvestigators")
    .replace("the port", "th e port")
    .replace("medical centre", "medical cenlre")
    .replace(
        "Shipping lines warned customers of delays of up to three days for cargo bound for Germany and Switzerland.",
        "Local hauliers in Antwerp said they expected extra trucks at their gates by Thursday as cargo is rerouted.",
    )
)
# Another outlet's own report of the same event, quoting the same spokeswoman.
OTHER_OUTLET = """Four hurt as Rotterdam crane gives way in storm
Strong gusts brought down a crane at a Rotterdam container terminal on Tuesday, the second accident at the port this year.
Two of the injured workers were taken to the Erasmus medical centre with broken bones, a spokeswoman for the emergency services said.
Unions have long complained about the age of the equipment and demanded an independent review of safety at the terminal.
The crane's manufacturer declined to comment while the investigation was under way, and the terminal's owners said they were cooperating fully.
Freight forwarders said the disruption came at a bad time, weeks before the holiday peak in container traffic."""

UNRELATED = """City council approves new cycling lanes
The city council voted on Wednesday to build forty kilometres of protected cycling lanes over the next five years.
Council members said the plan would be paid for by a parking levy and a grant from the regional government.
Shop owners on the main shopping street said they feared losing customers who arrive by car and asked for more delivery bays."""


def test_edited_copies_join_the_original_group() -> None:
    index = DuplicateIndex()
    assert index.add("wire", WIRE) is None
    assert index.add("light", LIGHT) == "wire"
    assert index.add("truncated", TRUNCATED) == "wire"
    assert index.add("garbled", GARBLED) == "wire"


def test_same_event_from_another_outlet_stays_apart() -> None:
    index = DuplicateIndex()
    index.add("wire", WIRE)
    index.add("light", LIGHT)
    assert index.add("other", OTHER_OUTLET) is None
    assert index.add("unrelated", UNRELATED) is None
    assert index.group("other") == "other"


def test_a_copy_arriving_before_its_original_ends_in_one_group() -> None:
    rows = [
        {"id": "a", "text": TRUNCATED},
        {"id": "b", "text": GARBLED},
        {"id": "c", "text": OTHER_OUTLET},
        {"id": "d", "text": WIRE},
    ]
    groups = {r["id"]: r["group"] for r in nlp_dedupe(rows)}
    assert groups["a"] == groups["b"] == groups["d"] == "a"  # the earliest member names the group
    assert groups["c"] == "c"


def test_matches_does_not_index() -> None:
    index = DuplicateIndex()
    index.add("wire", WIRE)
    assert [m[0] for m in index.matches(LIGHT)] == ["wire"]
    assert len(index) == 1


def test_remove_and_capacity_forget_old_articles() -> None:
    index = DuplicateIndex(capacity=1)
    index.add("wire", WIRE)
    index.add("unrelated", UNRELATED)  # pushes "wire" out
    assert index.add("light", LIGHT) is None
    assert len(index) == 1
    index.remove("light")
    assert len(index) == 0 and not index.matches(LIGHT)


def test_boilerplate_shingles_stop_counting() -> None:
    footer = "\nCopyright 2024 The Example Press. All rights reserved. This material may not be published."
    index = DuplicateIndex(common=2)
    texts = [UNRELATED, OTHER_OUTLET, WIRE]
    for n, text in enumerate(texts):
        index.add(str(n), text.split("\n")[1] + footer)
    assert len({index.group(str(n)) for n in range(3)}) == 3


def test_furniture_and_normalisation() -> None:
    assert (
        strip_furniture("WASHINGTON (AP) \u2014 Text here.\nFollow us on Twitter for more.")
        == "Text here."
    )
    assert normal_words("He says 5 miles, five per cent") == normal_words("He said 8 km, 5 percent")


def test_empty_and_one_word_texts_are_nobody_s_copy() -> None:
    index = DuplicateIndex()
    assert index.add("empty", "") is None
    assert index.add("word", "Rotterdam") is None
    assert index.add("word2", "Rotterdam") is None  # too short to call a copy
    assert shingles("") == frozenset()


def test_huge_text_is_bounded() -> None:
    syllables = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "ze"]
    vocabulary = [a + b + c for a in syllables for b in syllables for c in syllables]
    huge = " ".join(vocabulary[(n * 7919) % len(vocabulary)] for n in range(200_000))
    index = DuplicateIndex()
    start = time.monotonic()
    index.add("huge", huge)
    index.add("huge-copy", huge)
    assert time.monotonic() - start < 3.0
    assert index.group("huge-copy") == "huge"


def test_korean_copies_group() -> None:
    story = (
        "서울 지하철 2호선이 신호 장애로 출근 시간에 한 시간 넘게 멈춰 승객 수천 명이 불편을 겪었다. "
        "서울교통공사는 강남역과 역삼역 사이 신호 설비에서 고장이 발생했다고 밝혔다. "
        "공사 측은 오전 9시쯤 복구를 마쳤으며 정확한 원인을 조사하고 있다고 말했다."
    )
    other = (
        "부산 해운대 해수욕장이 다음 달 1일 개장을 앞두고 안전 요원 배치와 시설 점검을 마쳤다. "
        "부산시는 올해 피서객이 지난해보다 늘어날 것으로 내다봤다."
    )
    index = DuplicateIndex()
    index.add("ko", story)
    assert index.add("ko-copy", "(연합뉴스) - " + story + "\n무단 전재 및 재배포 금지.") == "ko"
    assert index.add("ko-other", other) is None
