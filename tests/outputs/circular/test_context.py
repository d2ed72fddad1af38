"""The circular's context (pipeline.outputs.circular.context) from a summary built by hand."""

from __future__ import annotations

from typing import Any

from pipeline.outputs.circular import circular_context, document_number
from pipeline.settings import Settings


def community(name: str, rank: int, done: int, *, lagging: bool = False, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "key": name,
        "rank": rank,
        "rate": done / 10,
        "done": {"nt": done, "serum": done},
        "expected": {"nt": 10, "serum": 10},
        "lagging": lagging,
        "consequences": [],
        "commendation": "",
        "streaks": {"lagging": 1 if lagging else 0, "stage_missed": 0},
        "roster_timeliness": {"due": 2, "on_time": 2, "late": 0, "missing": 0},
        "followup": {"open": 1, "soon": 2, "missed": 3},
        "missing_from_roster": 0,
        **extra,
    }


SUMMARY: dict[str, Any] = {
    "as_of": "2020-06-30",
    "circular_period": {"number": 6, "start": "2020-06-16", "end": "2020-06-30"},
    "periods": [],
    "communities": [
        community("乙社区", 2, 5, lagging=True, roster_timeliness={"due": 2, "on_time": 1, "late": 1, "missing": 0}),
        community("甲社区", 1, 12, commendation="通报表扬", missing_from_roster=3),
        community("丁社区", 4, 1, lagging=True, consequences=["社区相关责任人表态发言"]),
        community("丙社区", 2, 5, lagging=True, commendation="通报批评"),
    ],
    "totals": {"quota": {"nt": 36, "serum": 36}, "goal": 40},
}


def test_context_of_a_hand_built_summary(settings: Settings) -> None:
    ctx = circular_context(SUMMARY, settings)
    assert ctx["title"] == "关于2020年6月16日至6月30日“两筛”工作进展情况的通报"
    assert ctx["draft"] is True and ctx["doc_number"] == "唐洲文〔2020〕 号"
    assert ctx["figures_at_period_end"] is True and ctx["figures_date_text"] == "6月30日"
    # The ranking table: by rank, ties in the summary's order.
    assert [c["name"] for c in ctx["rows"]] == ["甲社区", "乙社区", "丙社区", "丁社区"]
    assert ctx["rows"][0]["figures"]["nt"]["text"] == "12/10" and ctx["rows"][0]["rate_text"] == "120.0%"
    # Three lagging for two places (lagging_count = 2): the two tied at rank 2 are named.
    assert [c["name"] for c in ctx["lagging"]] == ["丁社区", "乙社区", "丙社区"]
    assert ctx["lagging_tie"] == {"rank": "2", "names": ["乙社区", "丙社区"]}
    # Done 12 + 5 + 5 + 1 = 23 of 4 × 10 = 40 expected, of the quota sum 36, of the goal 40.
    nt = ctx["tests"][0]
    assert (nt["done"], nt["expected"], nt["expected_pct"]) == ("23", "40", "57.5%")
    assert (nt["quota"], nt["quota_pct"], nt["goal_pct"]) == ("36", "63.9%", "57.5%")
    assert ctx["goal_notes"] == [
        {"tests": ["超声NT筛查", "血清学筛查"], "goal": "40", "quota": "36", "difference": "4",
         "labels": "超声NT筛查和血清学筛查各"}
    ]
    assert ctx["followup"] == {"open": 4, "soon": 8, "missed": 12}
    assert ctx["roster_late"] == [{"name": "乙社区", "due": 2, "on_time": 1, "late": 1, "missing": 0}]
    assert ctx["missing_from_roster"] == [{"name": "甲社区", "count": 3}]
    assert (ctx["praised"], ctx["criticised"]) == (["甲社区"], ["丙社区"])
    assert ctx["rows"][3]["lag_actions"] == ["社区相关责任人表态发言"]


def test_context_before_the_first_period(settings: Settings) -> None:
    early = {**SUMMARY, "as_of": "2020-04-12", "circular_period": None}
    ctx = circular_context(early, settings)
    assert ctx["period"] is None and ctx["title"] == "关于“两筛”工作进展情况的通报"
    assert ctx["date_text"] == "2020年4月12日" and ctx["figures_date_text"] == "4月12日"


def test_document_number(settings: Settings) -> None:
    assert document_number(settings, None) == "唐洲文〔2020〕 号"
    assert document_number(settings, "12") == "唐洲文〔2020〕12号"
    assert document_number(settings, "唐洲文〔2020〕12") == "唐洲文〔2020〕12号"
    assert document_number(settings, "7|\n号") == "唐洲文〔2020〕7｜ 号"
