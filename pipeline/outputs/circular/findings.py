"""What the office used to write into the circular by hand: the problems of the period (存在的问题),
the quarterly evaluation and the year-end results in the circular of the period holding their
date, and the consequences carried over from earlier periods.

Takes the summary dict and the context's community rows (:mod:`.context`); gives plain dicts the
templates render. Pure: reads and writes no file. Counts are whole numbers (women, cases, yuan);
an expected count is never called people (it is a pace, 应完成数, not women).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pipeline.fmt import fmt_num, round_half_up

# The last of an evaluation's rows the year end writes (pipeline.score._year_end_payments).
YEAR_END_KIND = "年终考核"


def behind(communities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The communities below the pace (综合完成率 under 100%), furthest behind first, with how far:
    the gap in percentage points and, per test, done against expected."""
    out = []
    for c in communities:
        rate = c["rate"]
        if rate is None or rate >= 1:
            continue
        out.append(
            {
                "name": c["name"],
                "rate_text": c["rate_text"],
                "gap": f"{round_half_up((1 - rate) * 100)}",
                "rate": rate,
            }
        )
    return sorted(out, key=lambda b: b["rate"])


def awaiting_diagnosis(communities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """High-risk screenings still waiting for a prenatal diagnosis (待产前诊断), per community."""
    return [{"name": c["name"], "count": c["awaiting_diagnosis"]} for c in communities if c["awaiting_diagnosis"]]


def _in_period(day: str, period: dict[str, Any]) -> bool:
    return period["start"] <= day <= period["end"]


def _money(value: Any) -> str:
    return fmt_num(value or 0)


def evaluation_results(summary: dict[str, Any], period: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The quarterly evaluations dated inside the period: who met the task and was paid (cases,
    the case money and the specialist's reward), who missed."""
    if period is None:
        return []
    out = []
    for event in summary.get("evaluations") or []:
        if event["kind"] == YEAR_END_KIND or not _in_period(event["date"], period):
            continue
        rows = event["communities"]
        paid = [
            {
                "name": r.get("display_name") or r["name"],
                "cases": int(r["cases"]),
                "case_amount": _money(r["case_amount"]),
                "specialist": _money(r["specialist"]) if r["specialist"] else None,
                "total": _money((r["case_amount"] or 0) + (r["specialist"] or 0)),
            }
            for r in rows
            if r["met"]
        ]
        day = dt.date.fromisoformat(event["date"])
        out.append(
            {
                "kind": event["kind"],
                "date_text": f"{day.month}月{day.day}日",
                "paid": paid,
                "missed": [r.get("display_name") or r["name"] for r in rows if not r["met"]],
                "total": _money(sum((r["case_amount"] or 0) + (r["specialist"] or 0) for r in rows)),
            }
        )
    return out


def year_end_results(summary: dict[str, Any], period: dict[str, Any] | None) -> dict[str, Any] | None:
    """The year-end reward and fine (3000/2000 in the seed), in the circular of the period holding
    the year-end date; None in every other circular or when the plan has no year-end money."""
    if period is None:
        return None
    for event in summary.get("evaluations") or []:
        if event["kind"] != YEAR_END_KIND or not _in_period(event["date"], period):
            continue
        rows = event["communities"]
        return {
            "rewarded": [
                {"name": r.get("display_name") or r["name"], "amount": _money(r["year_end_reward"])}
                for r in rows
                if r["met"]
            ],
            "fined": [
                {"name": r.get("display_name") or r["name"], "amount": _money(r["fine"])} for r in rows if not r["met"]
            ],
        }
    return None
