"""What the circular says: the summary dict (``Analysis.summary`` / summary.json) and the settings
turned into the context the circular templates render.

Takes the summary and the settings only, so the circular carries community-level figures and
never a woman's name, ID or phone. Gives a dict in which every key is always present (values may
be None or empty), so that templates rendered with StrictUndefined fail only on a real mistake.
Pure: reads and writes no file.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from pipeline.calendar import circular_periods, due_dates
from pipeline.fmt import cn_date, cn_span, fmt_num, fmt_pct
from pipeline.outputs.circular import findings
from pipeline.settings import STAGE_TARGET_LABELS, STAGE_TARGET_RULES, TEST_LABELS, TESTS, Ranking, Settings
from pipeline.wording import cadence_requirement, every_period, health_centre, org_words, plan_citation

# The title's words: a title that needs two lines breaks only between them (GB/T 9704: 回行时词意完整).
TITLE_WORDS = ("关于", "{period}", "“两筛”工作", "进展情况的通报")
TITLE_BREAK = "\u200b"  # a zero-width space marks where the title may break (invisible in HTML, text)
REVIEW_TITLE = "审核提示（供办事处审核，不属于通报正文，印发时不含本页）"

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def _clean(value: Any) -> str:
    """A text from the summary, made safe for the line-based body template: no line breaks or
    control characters, no "|" (the table-cell separator)."""
    return _CONTROL.sub(" ", str(value)).replace("|", "｜").strip()


def _ratio(done: float, base: float | None) -> float | None:
    return done / base if base else None


def document_number(settings: Settings, number: str | None) -> str:
    """The 文号: "唐洲文〔2020〕 号" in a draft (blank, filled in when issued), else e.g.
    "唐洲文〔2020〕12号" from "12" (a full number such as "唐洲文〔2020〕12号" is kept)."""
    prefix = settings.programme.doc_number_prefix
    if number is None or not str(number).strip():
        return f"{prefix} 号"
    text = _clean(number)
    if prefix and text.startswith(prefix):
        return text if text.endswith("号") else f"{text}号"
    return f"{prefix}{text}" if text.endswith("号") else f"{prefix}{text}号"


def _next_after(days: list[dt.date], after: dt.date) -> dt.date | None:
    later = sorted(d for d in days if d > after)
    return later[0] if later else None


def _period_entry(summary: dict[str, Any], number: int) -> dict[str, Any] | None:
    for entry in summary.get("periods") or []:
        if entry.get("number") == number:
            return entry
    return None


def _match(entries: list[dict[str, Any]], community: dict[str, Any]) -> dict[str, Any] | None:
    """The period-ranking entry of a community, by key when the summary carries one, else name."""
    for key in ("key", "name"):
        for entry in entries:
            if key in entry and entry[key] == community.get(key):
                return entry
    return None


# ----------------------------------------------------------------------------------------------
# The period and the dates


def _period(summary: dict[str, Any]) -> dict[str, Any] | None:
    """The circular period the summary reports on (its dates written out), or None before the
    first period has ended."""
    raw = summary.get("circular_period")
    if not raw:
        return None
    start = dt.date.fromisoformat(raw["start"])
    end = dt.date.fromisoformat(raw["end"])
    return {
        "number": raw["number"],
        "start": start.isoformat(),
        "end": end.isoformat(),
        "start_text": cn_date(start),
        "end_text": cn_date(end, year=end.year != start.year),
        "text": cn_span(start, end),
    }


def _first_period(settings: Settings) -> dict[str, Any] | None:
    spans = circular_periods(settings)
    return {"text": cn_span(*spans[0]), "end_text": cn_date(spans[0][1], year=False)} if spans else None


def _next_text(day: dt.date | None, date: dt.date) -> str | None:
    """A coming date, with its year only when the year changes."""
    return cn_date(day, year=day.year != date.year) if day else None


# ----------------------------------------------------------------------------------------------
# The communities' rows


def _figures(source: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Done and expected per test, when the source carries them."""
    has_figures = source is not None and "done" in source and "expected" in source
    figures: dict[str, dict[str, Any]] = {}
    for t in TESTS:
        done = source["done"].get(t) if source is not None and has_figures else None
        expected = source["expected"].get(t) if source is not None and has_figures else None
        figures[t] = {
            "done": done,
            "expected": expected,
            "text": f"{fmt_num(done)}/{fmt_num(expected)}" if has_figures else "—",
            "done_text": fmt_num(done) if has_figures else "—",
            "expected_text": fmt_num(expected) if has_figures else "—",
            "rate_text": fmt_pct(_ratio(float(done), expected)) if has_figures and done is not None else "—",
        }
    return figures


def _community_row(
    c: dict[str, Any], source: dict[str, Any] | None, leader: str | None, stage_texts: set[str]
) -> dict[str, Any]:
    """One community: rank and rate from ``source`` (its figures at the period end), the rest
    (streaks, consequences, commendation, rosters) from its summary entry ``c``."""
    rank = source.get("rank") if source else None
    rate = source.get("rate") if source else None
    streaks = c.get("streaks") or {}
    consequences = [_clean(x) for x in c.get("consequences") or []]
    return {
        # The name people read: the shortest path unique in the organisation (城关镇王庄村).
        "name": _clean(c.get("display_name") or c["name"]),
        "key": c.get("key", c["name"]),
        "leader": _clean(leader) if leader else None,
        "rank": rank,
        "rank_text": fmt_num(rank),
        "rate": rate,
        "rate_text": fmt_pct(rate),
        "figures": _figures(source),
        "awaiting_diagnosis": int(c.get("high_risk_awaiting_diagnosis") or 0),
        "lagging": bool(c.get("lagging")),
        "on_target": bool(c.get("on_target")),
        "stage_judged": bool(c.get("stage_judged", True)),
        "stage_target_missed": bool(c.get("stage_target_missed")),
        "lag_streak": int(streaks.get("lagging") or 0),
        "stage_missed": int(streaks.get("stage_missed") or 0),
        "consequences": consequences,
        "lag_actions": [x for x in consequences if x not in stage_texts],
        "stage_actions": [x for x in consequences if x in stage_texts],
        "commendation": _clean(c["commendation"]) if c.get("commendation") else None,
        "roster_timeliness": c.get("roster_timeliness"),
        # Women, not screenings; only those judged 漏报 (not the 待核实 ones).
        "missing_from_roster": int(c.get("missing_from_roster_women", c.get("missing_from_roster")) or 0),
    }


def _community_rows(
    summary: dict[str, Any], settings: Settings, period: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """The communities in the ranking table's order, with their figures at the period end.

    The communities' figures in the summary are at ``as_of``; they are the period-end figures when
    the run is as of the period end. Otherwise the period's own ranking is used (rank and rate;
    per-test figures only when the summary carries them)."""
    entry = _period_entry(summary, period["number"]) if period else None
    at_end = period is None or summary["as_of"] == period["end"]
    ranking_entries = (entry or {}).get("ranking") or []
    leaders = {c.key: c.leader for c in settings.communities}
    order = {c.key: i for i, c in enumerate(settings.communities)}
    stage_texts = set(settings.ranking.stage_miss_texts.values())
    keyed = []
    for index, c in enumerate(summary.get("communities") or []):
        key = c.get("key", c["name"])
        source = c if at_end else _match(ranking_entries, c)
        row = _community_row(c, source, leaders.get(key) or None, stage_texts)
        rank = row["rank"]
        keyed.append(((rank is None, rank if rank is not None else 0, order.get(key, len(order) + index)), row))
    keyed.sort(key=lambda pair: pair[0])
    return [row for _, row in keyed]


def _lagging(
    communities: list[dict[str, Any]], ranking: Ranking
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The lagging communities, lowest rank first, and the tie at the cut when more communities
    than ``lagging_count`` share the last places."""
    lagging = sorted((c for c in communities if c["lagging"]), key=lambda c: -(c["rank"] or 0))
    lag_ranks = [c["rank"] for c in lagging if c["rank"] is not None]
    if len(lagging) > ranking.lagging_count and lag_ranks:
        cut = min(lag_ranks)
        tied = [c["name"] for c in communities if c["lagging"] and c["rank"] == cut]
        if len(tied) > 1:
            return lagging, {"rank": fmt_num(cut), "names": tied}
    return lagging, None


# ----------------------------------------------------------------------------------------------
# The sub-district's progress against the goal and the quota sum


def _test_totals(
    summary: dict[str, Any], communities: list[dict[str, Any]], goal: Any, *, from_rows: bool
) -> list[dict[str, Any]]:
    """Done, expected, quota and goal per test: summed over the rows when every row has its
    period-end figures (``from_rows``), else the summary's totals at as-of."""
    totals = summary.get("totals") or {}
    tests: list[dict[str, Any]] = []
    for t in TESTS:
        if from_rows:
            done = sum(float(c["figures"][t]["done"]) for c in communities)
            expected = sum(float(c["figures"][t]["expected"] or 0) for c in communities)
        else:
            done = float((totals.get("done") or {}).get(t) or 0)
            expected = float((totals.get("expected") or {}).get(t) or 0)
        quota = (totals.get("quota") or {}).get(t)
        tests.append(
            {
                "key": t,
                "label": TEST_LABELS[t],
                "done": fmt_num(done),
                "expected": fmt_num(expected),
                "expected_pct": fmt_pct(_ratio(done, expected)),
                "quota": fmt_num(quota),
                "quota_pct": fmt_pct(_ratio(done, quota)),
                "goal": fmt_num(goal),
                "goal_pct": fmt_pct(_ratio(done, goal)),
                "mismatch": quota is not None and goal is not None and float(quota) != float(goal),
            }
        )
    return tests


def _total_rate(communities: list[dict[str, Any]]) -> str:
    """The sub-district's combined rate: both tests' done over both tests' expected."""
    done = sum(float(c["figures"][t]["done"] or 0) for c in communities for t in TESTS)
    expected = sum(float(c["figures"][t]["expected"] or 0) for c in communities for t in TESTS)
    return fmt_pct(_ratio(done, expected))


def _goal_notes(tests: list[dict[str, Any]], summary: dict[str, Any], goal: Any) -> list[dict[str, Any]]:
    """Declared goal vs the sum of the communities' quotas (333 vs 306 in the seed): noted, not
    resolved; tests with the same quota sum share one note."""
    quotas = (summary.get("totals") or {}).get("quota") or {}
    notes: list[dict[str, Any]] = []
    for item in tests:
        if not item["mismatch"]:
            continue
        same = next((n for n in notes if n["quota"] == item["quota"]), None)
        if same:
            same["tests"].append(item["label"])
            continue
        diff = float(goal) - float(quotas[item["key"]])
        notes.append(
            {"tests": [item["label"]], "goal": item["goal"], "quota": item["quota"], "difference": fmt_num(abs(diff))}
        )
    for n in notes:
        n["labels"] = "和".join(n["tests"]) + ("各" if len(n["tests"]) > 1 else "")
    return notes


# ----------------------------------------------------------------------------------------------
# Follow-up and rosters


def _followup_counts(summary: dict[str, Any]) -> dict[str, int]:
    """Women (not rows: a woman is listed once per test) in each follow-up status, summed over the
    communities; "missed" counts only the women who can still be screened. A summary without
    ``followup_women`` (written before it existed) gives its row counts."""
    follow = {"open": 0, "soon": 0, "missed": 0}
    for c in summary.get("communities") or []:
        women = c.get("followup_women")
        source = {**women, "missed": women.get("missed_screenable", 0)} if women else c.get("followup") or {}
        for k in follow:
            follow[k] += int(source.get(k) or 0)
    return follow


def _roster_late(communities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The communities with a late or missing roster submission."""
    late = []
    for c in communities:
        tl = c["roster_timeliness"] or {}
        if tl.get("late") or tl.get("missing"):
            late.append(
                {
                    "name": c["name"],
                    "due": int(tl.get("due") or 0),
                    "on_time": int(tl.get("on_time") or 0),
                    "late": int(tl.get("late") or 0),
                    "missing": int(tl.get("missing") or 0),
                }
            )
    return late


def _rules(ranking: Ranking) -> dict[str, Any]:
    """The consequences the plan sets for lagging and for missed stage targets."""
    return {
        "lagging_rules": [
            {"count": i, "count_text": str(i), "text": t} for i, t in enumerate(ranking.lagging_texts, 1)
        ],
        "stage_rules": [
            {"count": int(k), "count_text": str(int(k)), "text": v}
            for k, v in sorted(ranking.stage_miss_texts.items(), key=lambda kv: int(kv[0]))
        ],
    }


# ----------------------------------------------------------------------------------------------
# The context


def default_date(summary: dict[str, Any]) -> dt.date:
    """The 成文日期 when none is given: the day after the period end (before the first period has
    ended: the as-of date)."""
    period = summary.get("circular_period")
    if period:
        return dt.date.fromisoformat(period["end"]) + dt.timedelta(days=1)
    return dt.date.fromisoformat(summary["as_of"])


def _title(period: dict[str, Any] | None) -> tuple[str, str]:
    """The title, and the same with the places it may break marked (:data:`TITLE_BREAK`)."""
    words = [w.format(period=period["text"]) for w in TITLE_WORDS] if period else [TITLE_WORDS[0], *TITLE_WORDS[2:]]
    return "".join(words), TITLE_BREAK.join(words)


def _heading(summary: dict[str, Any], settings: Settings, number: str | None, date: dt.date) -> dict[str, Any]:
    """The 版头 and 版记: issuing organs, 期号, 文号, the draft mark, 抄送, 印发机关 and 印发日期."""
    p = settings.programme
    period = summary.get("circular_period")
    organs = list(p.issuing_organs)
    return {
        "issuer": "、".join(organs),
        "issuers": organs,
        "issue_text": f"第{period['number']}期" if period else None,
        "doc_number": document_number(settings, number),
        "draft_mark": "征求意见稿" if number is None or not str(number).strip() else None,
        "copy_to": _clean(p.copy_to) or None,
        "printed_by": _clean(p.printed_by) or organs[0],
        "printed_date_text": f"{cn_date(date)}印发",
    }


def _closing(summary: dict[str, Any], settings: Settings, period: dict[str, Any] | None, date: dt.date) -> dict[str, Any]:
    """What depends on the 成文日期 and the programme's end: the next deadlines after the date,
    and whether there is any "continue" to ask for (none after the programme has ended)."""
    p = settings.programme
    over = period is not None and dt.date.fromisoformat(period["end"]) >= p.end
    return {
        "programme_over": over,
        "next_roster_due": None if over else _next_text(_next_after(due_dates(settings, p.end), date), date),
        "next_evaluation": (
            _next_text(_next_after(list(settings.rewards.evaluations), date), date)
            if settings.rewards.quarterly and not over
            else None
        ),
        "evaluations": findings.evaluation_results(summary, period),
        "year_end": findings.year_end_results(summary, period),
        "year_end_reward_to": settings.rewards.year_end_reward_to,
    }


def circular_context(
    summary: dict[str, Any], settings: Settings, *, number: str | None = None, date: dt.date | None = None
) -> dict[str, Any]:
    """Everything the circular templates need, from the summary dict and the settings only.

    ``date`` is the 成文日期 (default :func:`default_date`); ``number`` the 文号 (None: a draft).
    Every key is always present (values may be None or empty) so that templates rendered with
    StrictUndefined fail only on a real mistake."""
    p, r = settings.programme, settings.ranking
    as_of = dt.date.fromisoformat(summary["as_of"])
    period = _period(summary)
    date = date or default_date(summary)
    figures_day = dt.date.fromisoformat(period["end"]) if period else as_of
    communities = _community_rows(summary, settings, period)
    lagging, lagging_tie = _lagging(communities, r)
    at_period_end = bool(communities) and all(
        c["figures"][t]["done"] is not None for c in communities for t in TESTS
    )
    goal = (summary.get("totals") or {}).get("goal", p.goal)
    tests = _test_totals(summary, communities, goal, from_rows=at_period_end)
    draft = number is None or not str(number).strip()
    title, title_marked = _title(period)
    return {
        **_plan_words(settings),
        **_heading(summary, settings, number, date),
        **_closing(summary, settings, period, date),
        "draft": draft,
        # The plausibility review: a page before the draft, never part of the issued text.
        "review": [_clean(w["message"]) for w in summary.get("warnings") or [] if w.get("message")] if draft else [],
        "review_title": REVIEW_TITLE,
        "programme_name": p.name,
        "recipients": p.recipients,
        "hotline": p.hotline or None,
        "as_of": as_of.isoformat(),
        "as_of_text": cn_date(as_of),
        "period": period,
        "first_period": _first_period(settings),
        "date": date.isoformat(),
        "date_text": cn_date(date),
        "title": title,
        "title_marked": title_marked,
        "figures_date_text": cn_date(figures_day if at_period_end else as_of, year=False),
        "figures_at_period_end": at_period_end,
        "tests": tests,
        "goal": fmt_num(goal),
        "total_rate_text": _total_rate(communities) if at_period_end else "—",
        "goal_notes": _goal_notes(tests, summary, goal),
        "ranking_basis": "累计综合完成率" if r.rank_by == "cumulative" else "本期综合完成率",
        "rows": communities,
        "communities": communities,
        "lagging_count": r.lagging_count,
        "lagging_count_text": str(r.lagging_count),
        "lagging": lagging,
        "lagging_tie": lagging_tie,
        # Consequences that stand although the community is not lagging now (a lost honour, 延续):
        # the same list the terminal and the workbooks show (summary communities[].consequences).
        "carried": [c for c in communities if not c["lagging"] and c["lag_actions"]],
        **_rules(r),
        "stage_actions": [c for c in communities if c["stage_actions"]],
        "stage_target_label": STAGE_TARGET_LABELS[r.stage_target],
        "stage_target_rule": STAGE_TARGET_RULES[r.stage_target],
        "stage_judged": any(c["stage_judged"] for c in communities),
        "stage_missers": [c["name"] for c in communities if c["stage_target_missed"]],
        "praise_text": r.praise_text,
        "criticism_text": r.criticism_text,
        "praised": [c["name"] for c in communities if c["commendation"] == r.praise_text],
        "criticised": [c["name"] for c in communities if c["commendation"] == r.criticism_text],
        "behind": findings.behind(communities),
        "awaiting_diagnosis": findings.awaiting_diagnosis(communities),
        "followup": _followup_counts(summary),
        "roster_late": _roster_late(communities),
        "missing_from_roster": [
            {"name": c["name"], "count": c["missing_from_roster"]} for c in communities if c["missing_from_roster"]
        ],
        "rewards": {
            "per_case": fmt_num(settings.rewards.per_case),
            "specialist": fmt_num(settings.rewards.specialist) if settings.rewards.specialist else None,
            "case": settings.rewards.case,
        },
    }


def _plan_words(settings: Settings) -> dict[str, Any]:
    """The plan's own words (:mod:`pipeline.wording`): what the circular cites and how it names
    the organisation, the period and the health centre."""
    return {
        "plan": plan_citation(settings),
        "cadence_requirement": cadence_requirement(settings),
        "circular_every": every_period(settings.cadence.circular),
        "org": org_words(settings).context(),
        "health_centre": health_centre(settings),
        "paper_roster": settings.rosters.paper,
    }
