"""The tables people read, as frames: the result's frames (:mod:`pipeline.model`) turned into rows
with display columns (community names, test labels, 12+3 weeks, ↑2 rank changes), in the order a
sheet shows them, and the masking of IDs and phones for lists that leave the office.

Takes result frames (or the few records they come from) and the settings; gives new frames whose
columns are the keys of :mod:`pipeline.outputs.columns`. Pure: never writes a file and never
changes its inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pipeline.fmt import cn_date
from pipeline.model import Reconciled, Scored, SheetInfo
from pipeline.normalize.ids import mask_id, mask_id_text, mask_ids, mask_phones, mask_text
from pipeline.outputs.columns import (
    CIRCULAR_COLUMNS,
    FOLLOWUP_COLUMNS,
    HISTORY_COLUMNS,
    ISSUE_COLUMNS,
    PAYMENT_COLUMNS,
    SPOT_COLUMNS,
)
from pipeline.settings import TEST_LABELS, TESTS, Settings

# ----------------------------------------------------------------------------------------------
# Display columns


def _names(settings: Settings) -> dict[str, str]:
    """Community key -> the name people read: the shortest path unique in the organisation
    (城关镇王庄村 where two townships have a 王庄村; the plain name in a flat organisation)."""
    return settings.display


def _order(settings: Settings) -> dict[str, int]:
    return {k: i for i, k in enumerate(settings.community_keys)}


def community_names(values: pd.Series, settings: Settings, missing: str = "") -> pd.Series:
    """Community keys as names (a key not in the settings as itself; no key as ``missing``)."""
    names = _names(settings)
    out = [names.get(v, str(v)) if isinstance(v, str) else missing for v in values.tolist()]
    return pd.Series(out, index=values.index, dtype=object)


def rank_change_text(change: pd.Series) -> pd.Series:
    """``prev_rank - rank`` as ↑2 (moved up two places), ↓1, or — (unchanged / first period)."""

    def one(v: Any) -> str:
        if v is None or v is pd.NA or (isinstance(v, float) and v != v) or int(v) == 0:
            return "—"
        return f"↑{int(v)}" if int(v) > 0 else f"↓{-int(v)}"

    return pd.Series([one(v) for v in change.tolist()], index=change.index, dtype=object)


def weeks_text(days: pd.Series) -> pd.Series:
    """Gestational age in days as ``12+3`` (weeks+days); blank when unknown."""
    out: list[str | None] = []
    for v in days.tolist():
        if v is None or v is pd.NA or (isinstance(v, float) and v != v):
            out.append(None)
        else:
            d = int(v)
            out.append(f"{d // 7}+{d % 7}" if d >= 0 else f"-{(-d) // 7}+{(-d) % 7}")
    return pd.Series(out, index=days.index, dtype=object)


def _test_label(values: pd.Series) -> pd.Series:
    return pd.Series(
        [TEST_LABELS.get(v, "") if isinstance(v, str) else "" for v in values.tolist()],
        index=values.index,
        dtype=object,
    )


def _col(frame: pd.DataFrame, key: str) -> pd.Series:
    if key in frame.columns:
        return frame[key]
    return pd.Series([None] * len(frame), index=frame.index, dtype=object)


def empty_frame(columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def _by_period_and_rank(frame: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Periods in order, communities by rank within each, ties in config order."""
    out = frame.assign(_o=frame["community"].map(_order(settings)))
    out = out.sort_values(["period", "rank", "_o"], kind="stable", na_position="last")
    return out.drop(columns="_o").reset_index(drop=True)


# ----------------------------------------------------------------------------------------------
# Masking


def mask_frame_ids(frame: pd.DataFrame, on: bool) -> pd.DataFrame:
    """The ``id`` column masked when ``on``."""
    if not on or "id" not in frame.columns or frame.empty:
        return frame
    return frame.assign(id=mask_ids(frame["id"]))


def mask_people(frame: pd.DataFrame) -> pd.DataFrame:
    """IDs and phones masked: for lists that leave the office (the health centre's)."""
    out = mask_frame_ids(frame, True)
    if "phone" in out.columns and len(out):
        out = out.assign(phone=mask_phones(out["phone"]))
    return out


def _digit_count(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def mask_problem_ids(frame: pd.DataFrame, *, phones: bool = False) -> pd.DataFrame:
    """Mask ID numbers in problems: the whole value of an ID problem (also an ID failing its check
    digit: one typo does not make it anonymous), and every digit run that normalises to an ID in
    any value or message, whatever separators it carries; with ``phones``, mobiles too (for the
    lists that leave the office's master workbook)."""
    if frame.empty:
        return frame
    out = frame.copy()
    mask_free = mask_text if phones else mask_id_text
    is_id = out["code"].fillna("").astype(str).str.startswith(("id_", "log_id"))
    out["value"] = [
        mask_id(v) if flag and isinstance(v, str) and _digit_count(v) >= 15 else _masked(v, mask_free)
        for v, flag in zip(out["value"].tolist(), is_id.tolist(), strict=True)
    ]
    out["message"] = [_masked(v, mask_free) for v in out["message"].tolist()]
    return out


def _masked(value: Any, mask_free: Callable[[str], str]) -> Any:
    return mask_free(value) if isinstance(value, str) else value


def mask_rejected(frame: pd.DataFrame) -> pd.DataFrame:
    """Rejected rows as listed outside the master workbook: IDs and mobiles in the reason masked."""
    if frame.empty or "reason" not in frame.columns:
        return frame
    return frame.assign(reason=[_masked(v, mask_text) for v in frame["reason"].tolist()])


# ----------------------------------------------------------------------------------------------
# Progress and ranking


def summary_frame(scored: Scored, settings: Settings) -> pd.DataFrame:
    """One row per community (config order): each test's quota, expected, done, rate, remaining;
    combined rate and rank at as_of; lagging and consequences from the latest circular period."""
    st = scored.standing.reset_index()
    last = scored.last_circular
    keys = st["community"]
    if last.empty:
        st["lagging"] = False
        st["consequence"] = ""
        st["commendation"] = ""
    else:
        st["lagging"] = [bool(last.at[k, "lagging"]) if k in last.index else False for k in keys]
        st["consequence"] = ["；".join(last.at[k, "consequences"]) if k in last.index else "" for k in keys]
        st["commendation"] = [str(last.at[k, "commendation"] or "") if k in last.index else "" for k in keys]
    st["name"] = community_names(keys, settings)
    return st


def summary_totals(frame: pd.DataFrame) -> dict[str, Any]:
    totals: dict[str, Any] = {"name": "合计"}
    for t in TESTS:
        for what in ("quota", "expected", "done", "remaining"):
            totals[f"{what}_{t}"] = float(frame[f"{what}_{t}"].sum())
        exp = totals[f"expected_{t}"]
        totals[f"rate_{t}"] = totals[f"done_{t}"] / exp if exp > 0 else None
    exp_all = sum(totals[f"expected_{t}"] for t in TESTS)
    totals["rate"] = sum(totals[f"done_{t}"] for t in TESTS) / exp_all if exp_all > 0 else None
    return totals


def history_frame(history: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Periods (weekly ranking or three-day summaries) in order, communities by rank, with the rank
    change against the previous period as ↑/↓/—."""
    if history.empty:
        return empty_frame([c.key for c in HISTORY_COLUMNS])
    out = history.copy()
    out["name"] = community_names(out["community"], settings)
    out["rank_change_text"] = rank_change_text(out["rank_change"])
    return _by_period_and_rank(out, settings)


def circulars_frame(circ: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    if circ.empty:
        return empty_frame([c.key for c in CIRCULAR_COLUMNS])
    out = circ.copy()
    out["name"] = community_names(out["community"], settings)
    out["rank_change_text"] = rank_change_text(out["rank_change"])
    out["consequence"] = ["；".join(v) if isinstance(v, list | tuple) else "" for v in out["consequences"]]
    return _by_period_and_rank(out, settings)


def cumulative_frame(scored: Scored) -> tuple[pd.DataFrame, str]:
    """The sub-district's cumulative done and expected per test at the end of each circular period
    (three-day periods before the first circular period ends)."""
    source, label = scored.circulars, "通报期"
    if source.empty:
        source, label = scored.three_day, "三日汇总期"
    cols = [
        "period",
        "period_start",
        "period_end",
        "label",
        *[f"{w}_{t}" for t in TESTS for w in ("done", "expected")],
        "done",
        "expected",
        "rate",
    ]
    if source.empty:
        return empty_frame(cols), label
    sums = {f"{w}_{t}": (f"{w}_{t}", "sum") for t in TESTS for w in ("done", "expected")}
    out = (
        source.groupby("period", sort=True)
        .agg(
            period_start=("period_start", "first"),
            period_end=("period_end", "first"),
            **sums,  # type: ignore[arg-type]
        )
        .reset_index()
    )
    out["label"] = [
        f"第{int(p)}期（{cn_date(e, year=False)}）" for p, e in zip(out["period"], out["period_end"], strict=True)
    ]
    out["done"] = sum(out[f"done_{t}"] for t in TESTS)
    out["expected"] = sum(out[f"expected_{t}"] for t in TESTS)
    out["rate"] = (out["done"] / out["expected"]).where(out["expected"] > 0)
    return out[cols], label


# ----------------------------------------------------------------------------------------------
# People


def followup_frame(followup: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """The follow-up list in the order given (by community and urgency)."""
    if followup.empty:
        return empty_frame([c.key for c in FOLLOWUP_COLUMNS])
    return followup.assign(
        community_name=community_names(followup["community"], settings),
        test_label=_test_label(followup["test"]),
    ).reset_index(drop=True)


def screenings_frame(frame: pd.DataFrame, settings: Settings, missing: str = "（无法归属）") -> pd.DataFrame:
    """Screening rows with display columns: community name, test label, gestational age text."""
    if frame.empty:
        return frame.assign(
            community_name=pd.Series(dtype=object),
            test_label=pd.Series(dtype=object),
            ga_text=pd.Series(dtype=object),
        )
    ga = _col(frame, "ga_days")
    if "ga_days" not in frame.columns and "gest_days" in frame.columns:
        ga = frame["gest_days"]
    return frame.assign(
        community_name=community_names(_col(frame, "community"), settings, missing),
        test_label=_test_label(frame["test"]),
        ga_text=weeks_text(ga),
    ).reset_index(drop=True)


def window_frame(screenings: pd.DataFrame, women: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Screenings outside the gestational window (or of unknown gestational age), by source row,
    with the LMP the window was computed from: the roster's when she is on one, else the log's."""
    out = screenings[screenings["window_flag"].fillna("") != ""] if len(screenings) else screenings
    frame = screenings_frame(out, settings)
    if not len(frame):
        return frame
    lookup = dict(zip(women["pkey"].tolist(), women["lmp_used"].tolist(), strict=True))
    used = pd.Series([lookup.get(k) for k in frame["pkey"].tolist()], index=frame.index, dtype=object)
    frame["lmp_used"] = pd.to_datetime(used).fillna(frame["lmp"])
    return frame.sort_values(["src_file", "src_sheet", "src_row"], kind="stable").reset_index(drop=True)


def spot_check_frame(spot: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    if spot.empty:
        return empty_frame([c.key for c in SPOT_COLUMNS] + ["community"])
    return spot.assign(community_name=community_names(spot["community"], settings)).reset_index(drop=True)


# ----------------------------------------------------------------------------------------------
# Issues: 漏报, 无法归属, conflicts, duplicate screenings, duplicate roster rows, self-reports


ISSUE_TYPES = ("漏报", "待核实", "无法归属", "项目期外", "花名册冲突", "重复筛查", "花名册重复行", "自报未核实")


def duplicates_with_community(rec: Reconciled) -> pd.DataFrame:
    """Later repeats of a woman's test, with the community and source of her first screening."""
    dup = rec.duplicates
    if dup.empty:
        return dup.assign(
            community=pd.Series(dtype=object),
            first_date=pd.Series(dtype="datetime64[ns]"),
            first_src=pd.Series(dtype=object),
        )
    first = rec.screenings.drop_duplicates(["pkey", "test"]).set_index(["pkey", "test"])
    idx = pd.MultiIndex.from_arrays([dup["pkey"], dup["test"]])
    found = first.reindex(idx)
    src = [
        f"{f} {s} 第{int(r)}行" if isinstance(f, str) and r == r else ""
        for f, s, r in zip(found["src_file"], found["src_sheet"], found["src_row"], strict=True)
    ]
    return dup.assign(
        community=found["community"].to_numpy(),
        first_date=found["screen_date"].to_numpy(),
        first_src=src,
    )


def issue_sources(rec: Reconciled, types: Sequence[str] = ISSUE_TYPES) -> dict[str, pd.DataFrame]:
    """Issue type -> the result's rows of that type, for the ``types`` asked for."""
    sources = {
        "漏报": rec.missing_from_roster,
        "待核实": rec.pending_roster,
        "无法归属": rec.unassignable,
        "项目期外": rec.out_of_programme,
        "花名册冲突": rec.conflicts,
        "花名册重复行": rec.roster_duplicates,
        "自报未核实": rec.self_unverified,
    }
    if "重复筛查" in types:  # the only type that costs a lookup
        sources["重复筛查"] = duplicates_with_community(rec)
    return {kind: frame for kind, frame in sources.items() if kind in types}


Row = dict[str, Any]


def _test_text(r: Row) -> str:
    return TEST_LABELS.get(r.get("test") or "", "筛查")


def _name_of(r: Row, names: Mapping[str, str]) -> str:
    c = r.get("community")
    return names.get(c, str(c)) if isinstance(c, str) else ""


def _due_text(r: Row) -> str:
    due = r.get("list_by")
    return cn_date(due, year=False) if isinstance(due, pd.Timestamp) and due is not pd.NaT else ""


def _missing_detail(r: Row, names: Mapping[str, str]) -> str:
    where = _name_of(r, names)
    due = _due_text(r)
    # The row's own columns say the test, the date and the address: the note says only what to do.
    return f"{due + '应报的' if due else ''}花名册中没有她；已按住址计入{where}，请补报到花名册"


def _pending_detail(r: Row, names: Mapping[str, str]) -> str:
    where = _name_of(r, names)
    due = _due_text(r)
    return (
        f"筛查后尚未到花名册上报日；已按住址计入{where}，"
        f"请在{due + '上报的' if due else '下次上报的'}花名册中列入（届时仍未列入即为漏报）"
    )


def _out_of_programme_detail(r: Row, names: Mapping[str, str]) -> str:
    return str(r.get("scope_note") or "筛查日期在项目期外，不计入任务")


def _unassignable_detail(r: Row, names: Mapping[str, str]) -> str:
    return "住址中没有可识别的名称，无法计入；请核对住址"


def _conflict_detail(r: Row, names: Mapping[str, str]) -> str:
    rosters = "、".join(names.get(k, k) for k in str(r.get("rosters") or "").split("、") if k)
    return (
        f"同时出现在{rosters}的花名册上，只计一次，计入{_name_of(r, names)}；"
        "请核实实际居住地并从不应列入的花名册中删除"
    )


def _duplicate_detail(r: Row, names: Mapping[str, str]) -> str:
    first = r.get("first_date")
    known = isinstance(first, pd.Timestamp) and first is not pd.NaT
    return f"同一孕妇的{_test_text(r)}重复登记，只计第一次" + (
        f"（首次：{r['first_date']:%Y-%m-%d}，{r['first_src']}）" if known else ""
    )


def _roster_duplicate_detail(r: Row, names: Mapping[str, str]) -> str:
    return "同一份花名册中重复填报了同一孕妇，只计一次；请删除重复的行"


def _self_report_detail(r: Row, names: Mapping[str, str]) -> str:
    return f"花名册中填报已做{_test_text(r)}，但筛查登记中没有她的记录；请核实（在外地筛查的请提供报告）"


# Issue type -> (the column holding its date, the 说明 text of one row).
_ISSUES: dict[str, tuple[str, Callable[[Row, Mapping[str, str]], str]]] = {
    "漏报": ("screen_date", _missing_detail),
    "待核实": ("screen_date", _pending_detail),
    "无法归属": ("screen_date", _unassignable_detail),
    "项目期外": ("screen_date", _out_of_programme_detail),
    "花名册冲突": ("last_seen", _conflict_detail),
    "重复筛查": ("screen_date", _duplicate_detail),
    "花名册重复行": ("report_date", _roster_duplicate_detail),
    "自报未核实": ("self_date", _self_report_detail),
}
assert tuple(_ISSUES) == ISSUE_TYPES


def _issue_rows(kind: str, frame: pd.DataFrame, names: Mapping[str, str]) -> pd.DataFrame:
    """The rows of one issue type in the issue table's columns."""
    date_col, detail = _ISSUES[kind]
    rows = frame.to_dict("records")
    return pd.DataFrame(
        {
            "type": kind,
            "community": [r.get("community") for r in rows],
            "pkey": [r.get("pkey") for r in rows],
            "name": [r.get("name") for r in rows],
            "id": [r.get("id") for r in rows],
            "phone": [r.get("phone") for r in rows],
            "test": [r.get("test") for r in rows],
            "date": [r.get(date_col) for r in rows],
            "address": [r.get("address") for r in rows],
            "detail": [detail(r, names) for r in rows],
            "src_file": [r.get("src_file") for r in rows],
            "src_sheet": [r.get("src_sheet") for r in rows],
            "src_row": [r.get("src_row") for r in rows],
            "rosters": [r.get("rosters") for r in rows],
        }
    )


def _seen_by(issues: pd.DataFrame, community: str) -> pd.DataFrame:
    """The rows of ``community``: its own, and the conflicts its roster takes part in."""
    on_roster = [community in str(r or "").split("、") for r in issues["rosters"]]
    mine = (issues["community"] == community).fillna(False).to_numpy(dtype=bool)
    conflict_here = (issues["type"] == "花名册冲突").to_numpy() & pd.Series(on_roster).to_numpy(dtype=bool)
    return issues[mine | conflict_here]


def _labelled_in_order(issues: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Community names and test labels added; by type, community (config order) and source row."""
    out = issues.assign(
        community_name=community_names(issues["community"], settings, "（无法归属）"),
        test_label=_test_label(issues["test"]),
    )
    order = {k: i for i, k in enumerate(ISSUE_TYPES)}
    out = out.assign(_t=out["type"].map(order), _c=out["community"].map(_order(settings)))
    out = out.sort_values(["_t", "_c", "src_file", "src_sheet", "src_row"], kind="stable", na_position="last")
    return out.drop(columns=["_t", "_c"]).reset_index(drop=True)


def issues_frame(
    sources: Mapping[str, pd.DataFrame],
    settings: Settings,
    types: Sequence[str] = ISSUE_TYPES,
    community: str | None = None,
) -> pd.DataFrame:
    """漏报 / 无法归属 / conflicts / duplicate screenings / duplicate roster rows / unverified
    self-reports (``sources``: see :func:`issue_sources`) as one table with a 类型 column; for
    ``community``, only that community's rows (a conflict shows in every community whose roster
    lists the woman)."""
    names = _names(settings)
    parts = [
        _issue_rows(kind, sources[kind], names)
        for kind in ISSUE_TYPES
        if kind in types and kind in sources and not sources[kind].empty
    ]
    if not parts:
        return empty_frame([c.key for c in ISSUE_COLUMNS] + ["community", "rosters", "pkey"])
    out = pd.concat(parts, ignore_index=True)
    if community is not None:
        out = _seen_by(out, community)
    return _labelled_in_order(out, settings)


# ----------------------------------------------------------------------------------------------
# Roster timeliness, payments, subsidy


@dataclass(frozen=True)
class RosterTimeliness:
    """What 花名册上报情况 is made of: each community's submissions against its due dates."""

    summary: pd.DataFrame  # Scored.timeliness_summary: per community
    detail: pd.DataFrame  # Scored.timeliness: per community and due date
    paper: pd.DataFrame  # Reconciled.paper_rosters: signed paper rosters received

    @classmethod
    def of(cls, scored: Scored, rec: Reconciled) -> RosterTimeliness:
        return cls(scored.timeliness_summary, scored.timeliness, rec.paper_rosters)


def _paper_text(dates: pd.Series | None) -> str:
    if dates is None or not len(dates):
        return "未登记"
    return "、".join(
        cn_date(d, year=False) if isinstance(d, pd.Timestamp) and d is not pd.NaT else "（未注明日期）"
        for d in dates.tolist()
    )


def _timeliness_summary(t: RosterTimeliness, keys: Sequence[str], names: Mapping[str, str]) -> pd.DataFrame:
    """One row per community in ``keys``: due, on time, late, missing, rate, latest, paper."""
    summ = t.summary.set_index("community").to_dict("index") if len(t.summary) else {}
    # Grouped once (not filtered once per community: thousands of communities in a county).
    by_detail = dict(tuple(t.detail.groupby("community", sort=False)["submitted"])) if len(t.detail) else {}
    by_paper = dict(tuple(t.paper.groupby("community", sort=False)["event_date"])) if len(t.paper) else {}
    rows = []
    for key in keys:
        row: dict[str, Any] = {"community": key, "name": names.get(key, key)}
        if key in summ:
            for col in ("due", "on_time", "late", "missing", "rate"):
                row[col] = summ[key][col]
        mine = by_detail.get(key)
        row["latest"] = mine.max() if mine is not None and len(mine) else None
        row["paper"] = _paper_text(by_paper.get(key))
        rows.append(row)
    return pd.DataFrame(rows)


def timeliness_frames(
    t: RosterTimeliness, settings: Settings, community: str | None = None, mask_notes: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(per-community summary, per due date detail, paper roster receipts) in config order."""
    keys = settings.community_keys if community is None else [community]
    summary = _timeliness_summary(t, keys, _names(settings))
    det = (
        t.detail[t.detail["community"].isin(keys)].copy()
        if len(t.detail)
        else empty_frame(["community", "due", "status", "submitted", "days_late"])
    )
    det["name"] = community_names(det["community"], settings)
    pap = (
        t.paper[t.paper["community"].isin(keys)].copy()
        if len(t.paper)
        else empty_frame(["community", "event_date", "note", "src_file", "src_row"])
    )
    pap["name"] = community_names(pap["community"], settings)
    if mask_notes and len(pap):
        pap["note"] = [mask_text(v) if isinstance(v, str) else v for v in pap["note"]]
    return summary, det.reset_index(drop=True), pap.reset_index(drop=True)


def payments_frame(payments: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    if payments.empty:
        return empty_frame([c.key for c in PAYMENT_COLUMNS])
    return payments.assign(name=community_names(payments["community"], settings)).reset_index(drop=True)


def subsidy_frames(subsidy: pd.DataFrame, settings: Settings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(each subsidised screening, cases and amount per community in config order)."""
    sub = screenings_frame(subsidy, settings)
    if "amount" not in sub.columns:
        sub["amount"] = pd.Series(dtype=float)
    rows = []
    names = _names(settings)
    by_community = dict(tuple(sub.groupby("community", sort=False)["amount"])) if len(sub) else {}
    for key in settings.community_keys:
        mine = by_community.get(key)
        rows.append(
            {
                "community": key,
                "name": names[key],
                "cases": int((mine > 0).sum()) if mine is not None else 0,
                "amount": float(mine.sum()) if mine is not None and len(mine) else 0.0,
            }
        )
    return sub, pd.DataFrame(rows)


# ----------------------------------------------------------------------------------------------
# Problems by owner


def _owners(
    sheets: Sequence[SheetInfo], submissions: pd.DataFrame
) -> tuple[dict[tuple[str, str], set[str]], dict[str, set[str]]]:
    """Roster sheets and files -> the communities they were submitted for."""
    by_sheet: dict[tuple[str, str], set[str]] = {}
    by_file: dict[str, set[str]] = {}
    for info in sheets:
        if info.kind == "roster" and info.community:
            by_sheet.setdefault((info.file, info.sheet), set()).add(info.community)
            by_file.setdefault(info.file, set()).add(info.community)
    for rec in submissions.to_dict("records"):
        c = rec.get("community")
        if isinstance(c, str):
            by_sheet.setdefault((rec["src_file"], rec["src_sheet"]), set()).add(c)
            by_file.setdefault(rec["src_file"], set()).add(c)
    return by_sheet, by_file


def problems_by_community(
    problems: pd.DataFrame,
    sheets: Sequence[SheetInfo],
    submissions: pd.DataFrame,
    keys: Sequence[str],
    rows: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """For every key, the problems (a problems frame) in its own roster submissions, in one pass:
    matched by file and sheet; problems about a whole file, or another sheet of it such as
    填表说明, by file. In a sheet that lists several communities (a township's file of all its
    villages) a row's problem goes to the row's own community only (``rows``: the roster rows,
    accepted and rejected, with ``src_file``, ``src_sheet``, ``src_row`` and ``community``), and
    to none when the row's community is not known: no village sees another's women."""
    if problems.empty:
        return {k: problems for k in keys}
    by_sheet, by_file = _owners(sheets, submissions)
    by_row = _row_owners(rows, {k for k, owners in by_sheet.items() if len(owners) > 1})
    out: dict[str, list[int]] = {}
    columns = (problems[c].tolist() for c in ("file", "sheet", "row"))
    for i, (f, s, r) in enumerate(zip(*columns, strict=True)):
        f = f if isinstance(f, str) else ""
        s = s if isinstance(s, str) else ""
        owners = by_sheet.get((f, s)) if s and (f, s) in by_sheet else by_file.get(f, set())
        if owners and len(owners) > 1 and isinstance(r, int | float) and r == r:
            owner = by_row.get((f, s, int(r)))
            owners = {owner} if owner else set()
        for owner in owners or ():
            out.setdefault(owner, []).append(i)
    return {k: problems.iloc[out.get(k, [])].reset_index(drop=True) for k in keys}


def _row_owners(rows: pd.DataFrame | None, shared: set[tuple[str, str]]) -> dict[tuple[str, str, int], str]:
    """(file, sheet, row) -> community, for the rows of ``shared`` sheets only (a province's
    roster rows would make a needlessly large table)."""
    if rows is None or rows.empty or not shared:
        return {}
    pairs = pd.Series(list(zip(rows["src_file"], rows["src_sheet"], strict=True)), index=rows.index)
    mine = rows[pairs.isin(shared) & rows["community"].notna()]
    return {
        (f, s, int(r)): c
        for f, s, r, c in zip(mine["src_file"], mine["src_sheet"], mine["src_row"], mine["community"], strict=True)
    }


def log_files(sheets: Sequence[SheetInfo]) -> set[str]:
    """The files holding the health centre's screening logs."""
    return {s.file for s in sheets if s.kind == "log"}


def health_centre_problems(problems: pd.DataFrame, sheets: Sequence[SheetInfo]) -> pd.DataFrame:
    """The problems (a problems frame) in the health centre's own screening logs (any sheet of a
    log file)."""
    if problems.empty:
        return problems
    return problems[problems["file"].isin(log_files(sheets))].reset_index(drop=True)
