from broadsheet.enrich.perspectives import perspectives

A = (
    "Unions say the pension reform will cut benefits for millions of retired workers and vow strikes. "
    "Union leaders said retired workers would lose benefits under the pension plan. The strikes begin Monday."
)
B = (
    "Markets welcomed the pension reform, which the finance ministry says will save billions and calm bond "
    "investors. Bond yields fell as investors welcomed the savings. The finance ministry said markets were reassured."
)


def test_each_source_gets_its_own_angle():
    result = {
        p.source: p
        for p in perspectives(
            [(1, "Labour Daily", "Pension reform", A), (2, "Money Times", "Pension reform", B)]
        )
    }
    assert set(result) == {"Labour Daily", "Money Times"}
    assert {"retired", "strikes"} & set(result["Labour Daily"].terms)
    assert {"bond", "investors", "markets"} & set(result["Money Times"].terms)
    assert "union" in result["Labour Daily"].sentences[0].lower()
    assert result["Money Times"].article_ids == [2]


def test_one_source_has_no_perspectives():
    assert perspectives([(1, "Only", "t", A), (2, "Only", "t", B)]) == []
    assert perspectives([]) == []


def test_empty_and_huge_texts_are_bounded():
    huge = "The council debated the harbour budget again today. " * 50_000
    result = perspectives([(1, "X", "", ""), (2, "Y", "", huge)])
    assert len(result) == 2 and all(len(p.sentences) <= 2 for p in result)
