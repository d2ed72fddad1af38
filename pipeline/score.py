"""Targets, rates, ranks, lagging communities, streaks and their consequences, roster timeliness,
payments. Pure functions on DataFrames: settings, ``as_of`` and the issued history are arguments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from pipeline.calendar import completed_circular_periods, completed_periods, due_dates, quarters
from pipeline.model import Progress, Scored
from pipeline.settings import TESTS, Ranking, Settings
from pipeline.wording import org_words

EPS = 1e-9
# Appended to the lost-honours text in the periods after it was lost: a record, not a new sanction.
CARRIED = "（延续）"


# ----------------------------------------------------------------------------------------------
# Standing at a date


def expected(weekly: pd.Series | float, quota: pd.Series | float, assess_from: dt.date, day: dt.date):  # type: ignore[no-untyped-def]
    """Weekly quota × days since assess_from (inclusive) / 7, capped at the annual quota."""
    days = max((day - assess_from).days + 1, 0)
    return np.minimum(np.asarray(weekly, dtype=float) * days / 7.0, np.asarray(quota, dtype=float))


def progress(screenings: pd.DataFrame) -> Progress:
    counted = screenings[screenings["counted"]]
    if counted.empty:
        empty = pd.DataFrame(index=pd.DatetimeIndex([]))
        return Progress(empty, empty)
    daily = counted.groupby(["screen_date", "community", "test"]).size().unstack(["community", "test"], fill_value=0)
    table = daily.sort_index().cumsum()
    both_dates = counted.pivot_table(index=["pkey", "community"], columns="test", values="screen_date", aggfunc="min")
    if set(TESTS) <= set(both_dates.columns):
        complete = both_dates.dropna(subset=list(TESTS))
        when = complete[list(TESTS)].max(axis=1).rename("day").reset_index()
        both = when.groupby(["day", "community"]).size().unstack("community", fill_value=0).sort_index().cumsum()
    else:
        both = pd.DataFrame(index=pd.DatetimeIndex([]))
    return Progress(table, both)


def standings(quotas: pd.DataFrame, prog: Progress, settings: Settings, days: list[dt.date]) -> pd.DataFrame:
    """The standing of every community at each of ``days`` (long format: one row per day and
    community, in the order of ``days``), computed in one vectorised pass."""
    q = quotas.set_index("community")
    keys = list(q.index)
    n_days, n_keys = len(days), len(keys)
    stamps = pd.DatetimeIndex([pd.Timestamp(d) for d in days])
    out = pd.DataFrame(
        {
            "day": np.repeat(stamps, n_keys),
            "community": np.tile(np.asarray(keys, dtype=object), n_days),
            "name": np.tile(q["name"].to_numpy(dtype=object), n_days),
        }
    )
    # A day after the programme's end stands as its end: nothing is expected (or counted) after it.
    prog_end = settings.programme.end
    elapsed = np.maximum(
        np.array([(min(d, prog_end) - settings.programme.assess_from).days + 1 for d in days], dtype=float), 0.0
    )
    pos = prog.table.index.searchsorted(stamps, side="right") - 1 if len(prog.table) else np.full(n_days, -1)
    for t in TESTS:
        quota = q[f"quota_{t}"].to_numpy(dtype=float)
        weekly = q[f"weekly_{t}"].to_numpy(dtype=float)
        expected_t = np.minimum(np.outer(elapsed, weekly) / 7.0, quota[None, :])
        done = np.zeros((n_days, n_keys))
        if len(prog.table) and t in prog.table.columns.get_level_values("test"):
            per_test = prog.table.xs(t, axis=1, level="test").reindex(columns=keys, fill_value=0).to_numpy(dtype=float)
            valid = pos >= 0
            done[valid] = per_test[pos[valid]]
        out[f"quota_{t}"] = np.tile(quota, n_days)
        out[f"expected_{t}"] = expected_t.ravel()
        out[f"done_{t}"] = done.ravel().astype(int)
        out[f"rate_{t}"] = (out[f"done_{t}"] / out[f"expected_{t}"]).where(out[f"expected_{t}"] > 0)
        out[f"quota_rate_{t}"] = (out[f"done_{t}"] / out[f"quota_{t}"]).where(out[f"quota_{t}"] > 0)
        out[f"remaining_{t}"] = (out[f"quota_{t}"] - out[f"done_{t}"]).clip(lower=0)
    exp_total = out[[f"expected_{t}" for t in TESTS]].sum(axis=1)
    done_total = out[[f"done_{t}" for t in TESTS]].sum(axis=1)
    out["rate"] = (done_total / exp_total).where(exp_total > 0)
    # "At or above its expected count": both tests combined, the measure the ranking uses. Such a
    # community is never named lagging, criticised or sanctioned, whatever the stage reading.
    out["on_target"] = done_total + EPS >= exp_total
    # Each test at or above its own expected count (the quarterly evaluation's "两项均达到").
    out["meets"] = np.logical_and.reduce([out[f"done_{t}"] + EPS >= out[f"expected_{t}"] for t in TESTS])
    out["rank"] = _rank(out["rate"], out["day"])
    return out


def rank_rates(rate: pd.Series, groups: pd.Series | np.ndarray | None = None) -> pd.Series:
    """Ranks by rate (see :func:`_rank`), within ``groups`` or over all rows: the same rule for a
    township's ranking as for the whole organisation's."""
    return _rank(rate, groups if groups is not None else np.zeros(len(rate), dtype=int))


def _rank(rate: pd.Series, groups: pd.Series | np.ndarray) -> pd.Series:
    """Rank by rate within each group, highest first; equal rates share the best rank ("min").
    Rates are rounded first so that equal fractions computed differently (7/3 from 6/(18/7) and
    from 2/(6/7)) tie instead of differing in the last bit."""
    return rate.round(9).groupby(groups).rank(ascending=False, method="min").astype("Int64")


def standing(quotas: pd.DataFrame, prog: Progress, settings: Settings, day: dt.date) -> pd.DataFrame:
    """Per community at ``day``: quota, expected, done, rate, remaining per test; combined rate, rank."""
    return standings(quotas, prog, settings, [day]).drop(columns="day").set_index("community")


def lagging_mask(rate: pd.Series, on_target: pd.Series, count: int) -> pd.Series:
    """The ``count`` lowest rates are lagging; all tied at the cut are named; a community at or
    above its expected count (``on_target``) is never named; with nothing expected there is no
    ranking."""
    valid = rate.dropna()
    if count <= 0 or valid.empty:
        return pd.Series(False, index=rate.index)
    cutoff = valid.sort_values().iloc[min(count, len(valid)) - 1]
    return (rate.notna() & (rate <= cutoff + EPS) & ~on_target.astype(bool)).reindex(rate.index, fill_value=False)


# ----------------------------------------------------------------------------------------------
# Period histories


def history(
    quotas: pd.DataFrame, prog: Progress, settings: Settings, spans: list[tuple[dt.date, dt.date]]
) -> pd.DataFrame:
    """The standing at the end of each period (one row per period and community), with the
    period's own figures and the rank change against the previous period."""
    if not spans:
        return pd.DataFrame()
    n_keys = len(quotas)
    now = standings(quotas, prog, settings, [last for _, last in spans])
    before = standings(quotas, prog, settings, [first - dt.timedelta(days=1) for first, _ in spans])
    block = now.drop(columns="day")
    for t in TESTS:
        block[f"period_done_{t}"] = now[f"done_{t}"] - before[f"done_{t}"]
        block[f"period_expected_{t}"] = now[f"expected_{t}"] - before[f"expected_{t}"]
    pe = sum(block[f"period_expected_{t}"] for t in TESTS)
    pdone = sum(block[f"period_done_{t}"] for t in TESTS)
    block["period_rate"] = (pdone / pe).where(pe > 0)
    period = np.repeat(np.arange(1, len(spans) + 1), n_keys)
    block["period_rank"] = _rank(block["period_rate"], period)
    prev_rank = block["rank"].shift(n_keys)
    prev_rank.iloc[:n_keys] = pd.NA
    block["prev_rank"] = prev_rank.astype("Int64")
    block["rank_change"] = (block["prev_rank"] - block["rank"]).astype("Int64")
    block.insert(0, "period_end", np.repeat(pd.DatetimeIndex([pd.Timestamp(b) for _, b in spans]), n_keys))
    block.insert(0, "period_start", np.repeat(pd.DatetimeIndex([pd.Timestamp(a) for a, _ in spans]), n_keys))
    block.insert(0, "period", period)
    return block.reset_index(drop=True)


def _streak(flags: pd.Series, groups: pd.Series) -> pd.Series:
    """Length of the run of True ending at each row, within each group (rows in period order)."""
    f = flags.astype(bool)
    breaks = (~f).groupby(groups).cumsum()
    return f.astype(int).groupby([groups, breaks]).cumsum()


def circulars(
    quotas: pd.DataFrame,
    prog: Progress,
    settings: Settings,
    as_of: dt.date,
    issued: Mapping[str, list[str]] | None = None,
) -> pd.DataFrame:
    """Each completed circular period: rank, lagging (as issued where a circular was issued), the
    stage target by ``ranking.stage_target``, streaks, consequences and praise/criticism per
    community. A community at or above its expected count (``on_target``) is never computed
    lagging, a stage misser, criticised or sanctioned for the period."""
    spans = completed_circular_periods(settings, as_of)
    hist = history(quotas, prog, settings, spans)
    if hist.empty:
        return hist
    r = settings.ranking
    hist = _with_issued_lagging(_with_computed_lagging(hist, r), issued)
    hist = _with_stage(hist, *stage_judgement(hist, quotas, prog, settings))
    hist = _with_streaks(hist.sort_values(["community", "period"], kind="stable"), r)
    hist = hist.assign(consequences=_consequences(hist, r), commendation=_commendation(hist, r))
    return hist.sort_values(["period", "rank", "community"], kind="stable").reset_index(drop=True)


def _combined(frame: pd.DataFrame, prefix: str) -> pd.Series:
    """Both tests added: ``done``, ``expected``, ``period_done``, ``period_expected``."""
    return sum((frame[f"{prefix}_{t}"].astype(float) for t in TESTS), start=pd.Series(0.0, index=frame.index))


def stage_judgement(
    hist: pd.DataFrame, quotas: pd.DataFrame, prog: Progress, settings: Settings
) -> tuple[pd.Series, pd.Series]:
    """(judged, missed) per row of a period history: whether the stage target is judged in the
    period and whether the reading counts it as missed, before the on-target rule."""
    reading = settings.ranking.stage_target
    behind = ~hist["on_target"].astype(bool)
    slipping = _combined(hist, "period_done") + EPS < _combined(hist, "period_expected")
    every = pd.Series(True, index=hist.index)
    if reading == "behind_and_slipping":
        return every, behind & slipping
    if reading == "period_share":
        return every, slipping
    if reading == "cumulative_combined":
        return every, behind
    if reading == "cumulative_each_test":
        return every, ~hist["meets"].astype(bool)
    return _quarterly_judgement(hist, quotas, prog, settings)


def _quarterly_judgement(
    hist: pd.DataFrame, quotas: pd.DataFrame, prog: Progress, settings: Settings
) -> tuple[pd.Series, pd.Series]:
    """The stage is the quarter ending at an evaluation date: judged in the circular period that
    contains the date (the latest such quarter when one period holds two), missed when the
    quarter's completions, both tests combined, are below the quarter's expected count."""
    spans = quarters(settings)
    if not spans:
        return pd.Series(False, index=hist.index), pd.Series(False, index=hist.index)
    at_end = standings(quotas, prog, settings, [last for _, last in spans])
    before = standings(quotas, prog, settings, [first - dt.timedelta(days=1) for first, _ in spans])
    quarter_done = _combined(at_end, "done") - _combined(before, "done")
    quarter_expected = _combined(at_end, "expected") - _combined(before, "expected")
    short = pd.Series(
        (quarter_done + EPS < quarter_expected).to_numpy(),
        index=pd.MultiIndex.from_arrays([at_end["day"], at_end["community"]]),
    )
    days = pd.DatetimeIndex([pd.Timestamp(last) for _, last in spans])
    held: dict[int, pd.Timestamp] = {}  # period -> the evaluation date it holds (the latest of two)
    for period, first, last in hist[["period", "period_start", "period_end"]].drop_duplicates("period").itertuples(
        index=False
    ):
        inside = days[(days >= first) & (days <= last)]
        if len(inside):
            held[period] = inside.max()
    day = pd.to_datetime(hist["period"].map(held))
    judged = day.notna()
    keys = pd.MultiIndex.from_arrays([day, hist["community"]])
    missed = pd.Series(short.reindex(keys).fillna(False).to_numpy(dtype=bool), index=hist.index) & judged
    return judged, missed


def _with_stage(hist: pd.DataFrame, judged: pd.Series, missed: pd.Series) -> pd.DataFrame:
    """``stage_judged``, ``stage_missed`` (never while on target) and ``stage_met``."""
    stage_missed = judged & missed & ~hist["on_target"].astype(bool)
    return hist.assign(stage_judged=judged, stage_missed=stage_missed, stage_met=judged & ~stage_missed)


def _with_computed_lagging(hist: pd.DataFrame, r: Ranking) -> pd.DataFrame:
    """``computed_lagging``: the lagging communities of each period by the ranking rule."""
    rate_col = "rate" if r.rank_by == "cumulative" else "period_rate"
    parts = []
    for _, block in hist.groupby("period", sort=True):
        lag = lagging_mask(block[rate_col], block["on_target"], r.lagging_count)
        parts.append(block.assign(computed_lagging=lag.to_numpy()))
    return pd.concat(parts, ignore_index=True)


def _with_issued_lagging(hist: pd.DataFrame, issued: Mapping[str, list[str]] | None) -> pd.DataFrame:
    """``issued``, ``lagging`` and ``differs_from_issued``: where a circular was issued for the
    period, its list of lagging communities stands, whatever the computation now says."""
    if issued:
        key = hist["period_end"].dt.strftime("%Y-%m-%d")
        has = key.isin(list(issued))
        named = [(c in issued.get(k, [])) for k, c in zip(key, hist["community"], strict=True)]
        hist = hist.assign(issued=has, lagging=np.where(has, named, hist["computed_lagging"]))
    else:
        hist = hist.assign(issued=False, lagging=hist["computed_lagging"])
    return hist.assign(differs_from_issued=hist["issued"] & (hist["lagging"] != hist["computed_lagging"]))


def _with_streaks(hist: pd.DataFrame, r: Ranking) -> pd.DataFrame:
    """``lag_streak`` and ``miss_streak`` (periods in a row lagging, missing the stage target) and
    ``honours_lost`` (lagging as many periods in a row as there are lagging texts: lost for the
    rest of the year). Rows in period order within each community. A period in which the stage
    is not judged (the quarterly reading) neither extends nor breaks a run of missed stages."""
    lag_streak = _streak(hist["lagging"], hist["community"])
    judged = hist["stage_judged"].astype(bool)
    miss_streak = (
        _streak(hist.loc[judged, "stage_missed"], hist.loc[judged, "community"])
        .reindex(hist.index, fill_value=0)
        .astype(int)
    )
    texts = r.lagging_texts
    lasts = bool(texts) and r.last_text_lasts  # the plan's 取消年底评先资格: once lost, lost to the end
    honours_lost = (lag_streak >= len(texts)).groupby(hist["community"]).cummax() if lasts else False
    return hist.assign(lag_streak=lag_streak, miss_streak=miss_streak, honours_lost=honours_lost)


def _commendation(hist: pd.DataFrame, r: Ranking) -> list[str]:
    """Criticism for the lagging and the stage missers; praise for those at or above their
    expected count; neither ("") for a community that is neither, or where the plan praises or
    criticises nobody by name (an empty text)."""
    criticised = hist["lagging"].astype(bool) | hist["stage_missed"].astype(bool)
    praised = hist["on_target"].astype(bool) & hist["rate"].notna() & ~criticised
    return [
        r.criticism_text if c else r.praise_text if p else ""
        for c, p in zip(criticised, praised, strict=True)
    ]


def _consequences(hist: pd.DataFrame, r: Ranking) -> list[list[str]]:
    """Each row's consequences, from its streaks (one list per row, in row order)."""
    miss_rules = sorted((int(k), v) for k, v in r.stage_miss_texts.items())
    return [
        _row_consequences(lag_n, miss_n, lost, r.lagging_texts, miss_rules)
        for lag_n, miss_n, lost in zip(hist["lag_streak"], hist["miss_streak"], hist["honours_lost"], strict=True)
    ]


def _row_consequences(
    lag_n: int, miss_n: int, lost: bool, texts: tuple[str, ...], miss_rules: list[tuple[int, str]]
) -> list[str]:
    """The lagging text for this streak length (the last one repeats), the lost honours carried
    on, and the strongest rule for periods in a row below the expected count."""
    items: list[str] = []
    if lag_n >= 1 and texts:
        items.append(texts[min(lag_n, len(texts)) - 1])
    if lost and texts and texts[-1] not in items:
        items.append(f"{texts[-1]}{CARRIED}")
    rule = [text for k, text in miss_rules if miss_n >= k]
    if rule:
        items.append(rule[-1])
    return items


# ----------------------------------------------------------------------------------------------
# Roster timeliness


def timeliness(submissions: pd.DataFrame, settings: Settings, as_of: dt.date) -> pd.DataFrame:
    """Per community and due date up to as_of: on time, late (days) or missing.

    A submission after the previous due date and by this one is on time. Otherwise the first one
    after this due date and before the next is late for this due date, and it is used up: it does
    not also count as the next due date's update (a roster due 04-18 sent on 04-20 is late; the 04-28
    update is still owed)."""
    columns = ["community", "due", "status", "submitted", "days_late"]
    dues = [pd.Timestamp(d) for d in due_dates(settings, as_of)]
    keys = [c.key for c in settings.communities]
    if not dues:
        return pd.DataFrame(columns=columns)
    subs = submissions.dropna(subset=["report_date", "community"])
    subs = subs[subs["report_date"] <= pd.Timestamp(as_of)]
    sent = {k: sorted(pd.to_datetime(g).tolist()) for k, g in subs.groupby("community")["report_date"]}
    rows = []
    for key in keys:
        dates = sent.get(key, [])
        i = 0  # the first submission not yet used
        prev = pd.Timestamp.min
        for n, due in enumerate(dues):
            nxt = dues[n + 1] if n + 1 < len(dues) else pd.Timestamp.max
            while i < len(dates) and dates[i] <= prev:
                i += 1
            if i < len(dates) and dates[i] <= due:
                rows.append((key, due, "按时", dates[i], pd.NA))
                while i < len(dates) and dates[i] <= due:
                    i += 1
            elif i < len(dates) and dates[i] < nxt:
                rows.append((key, due, "迟报", dates[i], (dates[i] - due).days))
                i += 1
            else:
                rows.append((key, due, "未报", pd.NaT, pd.NA))
            prev = due
    table = pd.DataFrame(rows, columns=columns)
    table["due"] = table["due"].astype("datetime64[ns]")
    table["submitted"] = pd.to_datetime(table["submitted"]).astype("datetime64[ns]")
    table["days_late"] = table["days_late"].astype("Int64")
    return table


def timeliness_summary(table: pd.DataFrame) -> pd.DataFrame:
    if table.empty:
        return pd.DataFrame(columns=["community", "due", "on_time", "late", "missing", "rate"])
    counts = table.pivot_table(index="community", columns="status", values="due", aggfunc="size", fill_value=0)
    for col in ("按时", "迟报", "未报"):
        if col not in counts.columns:
            counts[col] = 0
    out = pd.DataFrame(
        {
            "due": counts[["按时", "迟报", "未报"]].sum(axis=1),
            "on_time": counts["按时"],
            "late": counts["迟报"],
            "missing": counts["未报"],
        }
    )
    out["rate"] = out["on_time"] / out["due"]
    return out.reset_index()


# ----------------------------------------------------------------------------------------------
# Payments


PAYMENT_COLUMNS = ["community", "name", "date", "kind", "met", "cases", "case_amount", "specialist",
                   "secretary_reward", "fine", "rule"]


def payments(quotas: pd.DataFrame, prog: Progress, screenings: pd.DataFrame, settings: Settings, as_of: dt.date) -> pd.DataFrame:
    """Quarterly evaluations and the year end, each with the rule that produced the figure."""
    rows = _evaluation_payments(quotas, prog, screenings, settings, as_of) if settings.rewards.quarterly else []
    year_end = settings.rewards.year_end
    if settings.rewards.year_end_money and year_end is not None and year_end <= as_of:
        rows += _year_end_payments(quotas, prog, settings, year_end)
    return pd.DataFrame(rows, columns=PAYMENT_COLUMNS)


def _evaluation_payments(
    quotas: pd.DataFrame, prog: Progress, screenings: pd.DataFrame, settings: Settings, as_of: dt.date
) -> list[dict[str, Any]]:
    """Each quarterly evaluation up to ``as_of``: a community that met its task (by
    ``rewards.evaluation_basis``) is paid per case completed since the previous evaluation, plus
    the specialist's reward."""
    rw = settings.rewards
    rows = []
    prev = settings.programme.count_from - dt.timedelta(days=1)
    completions = _case_dates(screenings[screenings["counted"]], rw.case)
    unit = "例（两项均完成的孕妇）" if rw.case == "both" else "例（每项筛查）"
    for n, day in enumerate(sorted(rw.evaluations), start=1):
        if day > as_of:
            break
        met, names = _evaluation_met(quotas, prog, settings, prev, day)
        window = completions[(completions["day"] > pd.Timestamp(prev)) & (completions["day"] <= pd.Timestamp(day))]
        cases = window.groupby("community").size()
        span = f"{prev + dt.timedelta(days=1):%m月%d日}至{day:%m月%d日}"
        if rw.evaluation_basis == "standing":
            met_text, unmet_text = "两项均达到应完成进度", "未达到应完成进度，本次不奖励"
        else:
            met_text, unmet_text = "本季度两项均完成应完成数", "本季度未完成应完成数（两项均须完成），本次不奖励"
        for community, ok in met.items():
            n_cases = int(cases.get(community, 0))
            rows.append(
                {
                    "community": community,
                    "name": names[community],
                    "date": pd.Timestamp(day),
                    "kind": f"第{n}次季度评比",
                    "met": bool(ok),
                    "cases": n_cases,
                    "case_amount": n_cases * rw.per_case if ok else 0.0,
                    "specialist": rw.specialist if ok else 0.0,
                    "secretary_reward": 0.0,
                    "fine": 0.0,
                    "rule": (
                        f"{span}完成{n_cases}{unit}×{rw.per_case:g}元"
                        + (f"，另奖励专干{rw.specialist:g}元" if rw.specialist else "")
                        + f"（{met_text}）"
                        if ok
                        else unmet_text
                    ),
                }
            )
        prev = day
    return rows


def _evaluation_met(
    quotas: pd.DataFrame, prog: Progress, settings: Settings, prev: dt.date, day: dt.date
) -> tuple[pd.Series, pd.Series]:
    """(met, name) per community at an evaluation: each test at or above its expected count at
    ``day`` ("standing"), or each test's completions after ``prev`` at or above that quarter's
    expected count ("quarter")."""
    st = standing(quotas, prog, settings, day)
    if settings.rewards.evaluation_basis == "standing":
        return st["meets"].astype(bool), st["name"]
    before = standing(quotas, prog, settings, prev)
    met = np.logical_and.reduce(
        [
            (st[f"done_{t}"] - before[f"done_{t}"]) + EPS >= (st[f"expected_{t}"] - before[f"expected_{t}"])
            for t in TESTS
        ]
    )
    return pd.Series(met, index=st.index), st["name"]


def _year_end_payments(
    quotas: pd.DataFrame, prog: Progress, settings: Settings, year_end: dt.date
) -> list[dict[str, Any]]:
    """The year end: a community that met its annual quotas rewards its secretary and specialist;
    one that did not is fined."""
    rw = settings.rewards
    rows = []
    st = standing(quotas, prog, settings, year_end)
    rewarded, fined = _year_end_rules(settings)
    for community, rec in st.iterrows():
        done = all(rec[f"done_{t}"] + EPS >= rec[f"quota_{t}"] for t in TESTS)
        reward = rw.year_end_reward * (2 if rw.year_end_reward_split == "each" else 1)
        rows.append(
            {
                "community": community,
                "name": rec["name"],
                "date": pd.Timestamp(year_end),
                "kind": "年终考核",
                "met": done,
                "cases": 0,
                "case_amount": 0.0,
                "specialist": 0.0,
                "secretary_reward": reward if done else 0.0,
                "fine": 0.0 if done else rw.year_end_fine,
                "rule": rewarded if done else fined,
            }
        )
    return rows


def _year_end_rules(settings: Settings) -> tuple[str, str]:
    """The year-end rule as applied to a community that completed its task and to one that did not
    (an amount of 0: the plan has no reward, or no fine)."""
    rw, unit = settings.rewards, org_words(settings).unit
    each = "共" if rw.year_end_reward_split == "together" else "各"
    rewarded = (
        f"完成年度任务，一次性奖励{rw.year_end_reward_to}{each}{rw.year_end_reward:g}元"
        if rw.year_end_reward
        else "完成年度任务"
    )
    fined = f"未完成年度任务，罚{unit}{rw.year_end_fine:g}元（从经费中扣除）" if rw.year_end_fine else "未完成年度任务"
    return rewarded, fined


def _case_dates(counted: pd.DataFrame, case: str) -> pd.DataFrame:
    """When each case was completed: a woman's later test for "both", each screening for "each"."""
    if counted.empty:
        return pd.DataFrame(columns=["community", "day"])
    if case == "each":
        return counted[["community"]].assign(day=counted["screen_date"])
    wide = counted.pivot_table(index=["pkey", "community"], columns="test", values="screen_date", aggfunc="min")
    if not set(TESTS) <= set(wide.columns):
        return pd.DataFrame(columns=["community", "day"])
    wide = wide.dropna(subset=list(TESTS))
    return wide[list(TESTS)].max(axis=1).rename("day").reset_index()[["community", "day"]]


def subsidy(screenings: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Screenings in the subsidy window (the plan's 1–3月 completions: not counted, paid per case);
    none when the plan has no subsidy (reconcile flags none)."""
    p = settings.programme
    rows = screenings[screenings["subsidy"] & screenings["community"].notna()].copy()
    if p.subsidy_case == "each":
        rows["amount"] = p.subsidy_per_case
    else:
        both = rows.groupby("pkey")["test"].transform("nunique") == len(TESTS)
        last = rows.groupby("pkey")["screen_date"].transform("max") == rows["screen_date"]
        first_of_last = ~rows.duplicated(["pkey"], keep="last")
        rows["amount"] = np.where(both & last & first_of_last, p.subsidy_per_case, 0.0)
    return rows.sort_values(["community", "screen_date"]).reset_index(drop=True)


# ----------------------------------------------------------------------------------------------
# Everything at once


def score(
    screenings: pd.DataFrame,
    submissions: pd.DataFrame,
    quotas: pd.DataFrame,
    settings: Settings,
    as_of: dt.date,
    issued: Mapping[str, list[str]] | None = None,
) -> Scored:
    prog = progress(screenings)
    table = timeliness(submissions, settings, as_of)
    return Scored(
        as_of=as_of,
        standing=standing(quotas, prog, settings, as_of),
        circulars=circulars(quotas, prog, settings, as_of, issued),
        weekly=history(quotas, prog, settings, completed_periods(settings.cadence.ranking, settings, as_of)),
        three_day=history(quotas, prog, settings, completed_periods(settings.cadence.summary, settings, as_of)),
        timeliness=table,
        timeliness_summary=timeliness_summary(table),
        payments=payments(quotas, prog, screenings, settings, as_of),
        subsidy=subsidy(screenings, settings),
        progress=prog,
    )
