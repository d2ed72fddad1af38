"""The workbooks a run writes for people: the office's master workbook, one workbook per community
(only its own women, IDs masked by default), the leaders' copy (community-level sheets only) and
the health centre's checklist of its own log rows.

Everything is built from a :class:`~pipeline.model.Analysis`; the frames are prepared by small pure
functions here and written through :mod:`pipeline.outputs.xlsx` (titled tables, frozen headers, filters,
number formats, conditional colours, print setup; every input value written as text). The same
result gives byte-identical files.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from pipeline import __version__
from pipeline.model import Analysis
from pipeline.normalize.ids import mask_id, mask_ids, mask_phones, mask_text
from pipeline.outputs.readers import write_problem_sheet
from pipeline.outputs.xlsx import Column, Formats, Rule, header_row_of, new_workbook, write_block, write_table
from pipeline.problems import problems_frame
from pipeline.settings import TEST_LABELS, TESTS, Settings, seed_notes, settings_rows

SHORT = {"nt": "超声NT", "serum": "血清学"}
# Every sheet here has a title and a subtitle row: the (0-based) header row of its main table.
HEADER_ROW = header_row_of("title", "subtitle")

MASTER_SHEETS = (
    "汇总",
    "周排序",
    "三日汇总",
    "通报期",
    "随访督促名单",
    "高风险追踪",
    "花名册上报情况",
    "奖惩",
    "1-3月补助",
    "漏报与冲突",
    "随机抽查名单",
    "数据问题",
    "口径说明",
)
COMMUNITY_SHEETS = (
    "汇总",
    "随访督促名单",
    "高风险追踪",
    "漏报与冲突",
    "花名册上报情况",
    "数据问题",
    "随机抽查名单",
    "口径说明",
)
LEADER_SHEETS = ("汇总", "周排序", "通报期", "花名册上报情况", "奖惩", "口径说明")
HEALTH_CENTRE_SHEETS = ("数据问题", "窗口期外筛查", "未在花名册", "重复筛查", "口径说明")


# ----------------------------------------------------------------------------------------------
# Small helpers


def cn_date(day: dt.date | pd.Timestamp) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _title(settings: Settings, result: Analysis, what: str) -> str:
    return f"{settings.programme.name} {what}（截至{cn_date(result.as_of)}）"


def _names(settings: Settings) -> dict[str, str]:
    return {c.key: c.name for c in settings.communities}


def _order(settings: Settings) -> dict[str, int]:
    return {k: i for i, k in enumerate(settings.community_keys)}


def _community_name(values: pd.Series, settings: Settings, missing: str = "") -> pd.Series:
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


_ID_RUN = re.compile(r"(?<!\d)\d{15,}[XxＸｘ]?")


def _mask_id_text(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    return _ID_RUN.sub(lambda m: mask_id(m.group(0)), text)


def _mask_frame_ids(frame: pd.DataFrame, on: bool) -> pd.DataFrame:
    if not on or "id" not in frame.columns or frame.empty:
        return frame
    return frame.assign(id=mask_ids(frame["id"]))


def _mask_people(frame: pd.DataFrame) -> pd.DataFrame:
    """IDs and phones masked: for lists that leave the office (the health centre's)."""
    out = _mask_frame_ids(frame, True)
    if "phone" in out.columns and len(out):
        out = out.assign(phone=mask_phones(out["phone"]))
    return out


def _empty_like(columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


# ----------------------------------------------------------------------------------------------
# Frames (pure)


SUMMARY_COLUMNS = [
    Column("name", "社区"),
    *[
        col
        for t in TESTS
        for col in (
            Column(f"quota_{t}", f"{SHORT[t]}任务数", "int"),
            Column(f"expected_{t}", f"{SHORT[t]}应完成", "number"),
            Column(f"done_{t}", f"{SHORT[t]}已完成", "int"),
            Column(f"rate_{t}", f"{SHORT[t]}完成率", "percent"),
            Column(f"remaining_{t}", f"{SHORT[t]}剩余任务", "int"),
        )
    ],
    Column("rate", "综合完成率", "percent"),
    Column("rank", "排名", "int", 7),
    Column("meets", "达到应完成进度", "bool"),
    Column("lagging", "工作落后", "bool"),
    Column("consequence", "处理措施"),
    Column("commendation", "通报表扬/批评"),
]
SUMMARY_RULES = [Rule("lagging", "row", "是", "red"), *[Rule(f"rate_{t}") for t in TESTS], Rule("rate")]


def summary_frame(result: Analysis, settings: Settings) -> pd.DataFrame:
    """One row per community (config order): each test's quota, expected, done, rate, remaining;
    combined rate and rank at as_of; lagging and consequences from the latest circular period."""
    st = result.scored.standing.reset_index()
    last = result.scored.last_circular
    keys = st["community"]
    if last.empty:
        st["lagging"] = False
        st["consequence"] = ""
        st["commendation"] = ""
    else:
        st["lagging"] = [bool(last.at[k, "lagging"]) if k in last.index else False for k in keys]
        st["consequence"] = ["；".join(last.at[k, "consequences"]) if k in last.index else "" for k in keys]
        st["commendation"] = [str(last.at[k, "commendation"]) if k in last.index else "" for k in keys]
    st["name"] = _community_name(keys, settings)
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


HISTORY_COLUMNS = [
    Column("period", "期次", "int", 6),
    Column("period_start", "起", "date"),
    Column("period_end", "止", "date"),
    Column("name", "社区"),
    *[
        col
        for t in TESTS
        for col in (
            Column(f"expected_{t}", f"{SHORT[t]}累计应完成", "number"),
            Column(f"done_{t}", f"{SHORT[t]}累计完成", "int"),
            Column(f"period_done_{t}", f"{SHORT[t]}本期完成", "int"),
        )
    ],
    Column("rate", "累计综合完成率", "percent"),
    Column("period_rate", "本期完成率", "percent"),
    Column("rank", "排名", "int", 7),
    Column("rank_change_text", "名次变化", width=9),
    Column("meets", "达到应完成进度", "bool"),
]
HISTORY_RULES = [Rule("rate"), Rule("period_rate")]


def history_frame(history: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Periods (weekly ranking or three-day summaries) in order, communities by rank, with the rank
    change against the previous period as ↑/↓/—."""
    if history.empty:
        return _empty_like([c.key for c in HISTORY_COLUMNS])
    out = history.copy()
    out["name"] = _community_name(out["community"], settings)
    out["rank_change_text"] = rank_change_text(out["rank_change"])
    order = _order(settings)
    out["_o"] = out["community"].map(order)
    out = out.sort_values(["period", "rank", "_o"], kind="stable", na_position="last")
    return out.drop(columns="_o").reset_index(drop=True)


CIRCULAR_COLUMNS = [
    Column("period", "期次", "int", 6),
    Column("period_start", "起", "date"),
    Column("period_end", "止", "date"),
    Column("name", "社区"),
    Column("rate", "综合完成率", "percent"),
    Column("period_rate", "本期完成率", "percent"),
    Column("rank", "排名", "int", 7),
    Column("rank_change_text", "名次变化", width=9),
    Column("meets", "达到应完成进度", "bool"),
    Column("lagging", "工作落后", "bool"),
    Column("lag_streak", "连续落后期数", "int"),
    Column("miss_streak", "连续未达进度期数", "int"),
    Column("consequence", "处理措施"),
    Column("commendation", "通报表扬/批评"),
    Column("issued", "已印发通报", "bool"),
    Column("computed_lagging", "按数据计算为落后", "bool"),
    Column("differs_from_issued", "与已印发通报不一致", "bool"),
]
CIRCULAR_RULES = [
    Rule("lagging", "row", "是", "red"),
    Rule("differs_from_issued", "cell", "是", "amber"),
    Rule("rate"),
]


def circulars_frame(circ: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    if circ.empty:
        return _empty_like([c.key for c in CIRCULAR_COLUMNS])
    out = circ.copy()
    out["name"] = _community_name(out["community"], settings)
    out["rank_change_text"] = rank_change_text(out["rank_change"])
    out["consequence"] = ["；".join(v) if isinstance(v, list | tuple) else "" for v in out["consequences"]]
    order = _order(settings)
    out["_o"] = out["community"].map(order)
    out = out.sort_values(["period", "rank", "_o"], kind="stable", na_position="last")
    return out.drop(columns="_o").reset_index(drop=True)


def cumulative_frame(result: Analysis) -> tuple[pd.DataFrame, str]:
    """The sub-district's cumulative done and expected per test at the end of each circular period
    (three-day periods before the first circular period ends)."""
    source, label = result.scored.circulars, "通报期"
    if source.empty:
        source, label = result.scored.three_day, "三日汇总期"
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
        return _empty_like(cols), label
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
        f"第{int(p)}期（{e.month}月{e.day}日）" for p, e in zip(out["period"], out["period_end"], strict=True)
    ]
    out["done"] = sum(out[f"done_{t}"] for t in TESTS)
    out["expected"] = sum(out[f"expected_{t}"] for t in TESTS)
    out["rate"] = (out["done"] / out["expected"]).where(out["expected"] > 0)
    return out[cols], label


CUMULATIVE_COLUMNS = [
    Column("label", "期次"),
    *[
        col
        for t in TESTS
        for col in (
            Column(f"done_{t}", f"{SHORT[t]}累计完成", "int"),
            Column(f"expected_{t}", f"{SHORT[t]}累计应完成", "number"),
        )
    ],
    Column("done", "合计累计完成", "int"),
    Column("expected", "合计累计应完成", "number"),
    Column("rate", "累计完成率", "percent"),
]


FOLLOWUP_COLUMNS = [
    Column("community_name", "社区"),
    Column("name", "姓名"),
    Column("id", "身份证号"),
    Column("phone", "联系电话"),
    Column("test_label", "筛查项目"),
    Column("status_label", "状态"),
    Column("window_opens", "窗口期开始", "date"),
    Column("window_closes", "窗口期结束", "date"),
    Column("days_left", "距窗口期结束天数", "int"),
    Column("lmp_used", "末次月经（含推算）", "date"),
    Column("lmp_source", "末次月经依据"),
    Column("address", "住址"),
]
FOLLOWUP_RULES = [
    Rule("status_label", "cell", "已错过窗口期", "red"),
    Rule("status_label", "cell", "窗口期内未筛查", "amber"),
    Rule("status_label", "cell", "日期不可用", "amber"),
]


def followup_frame(followup: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """The follow-up list in the order given (by community and urgency)."""
    if followup.empty:
        return _empty_like([c.key for c in FOLLOWUP_COLUMNS])
    return followup.assign(
        community_name=_community_name(followup["community"], settings),
        test_label=_test_label(followup["test"]),
    ).reset_index(drop=True)


SCREENING_SRC = [
    Column("src_file", "来源文件"),
    Column("src_sheet", "工作表"),
    Column("src_row", "行号", "int", 7),
]

HIGH_RISK_COLUMNS = [
    Column("community_name", "社区"),
    Column("name", "姓名"),
    Column("id", "身份证号"),
    Column("phone", "联系电话"),
    Column("test_label", "筛查项目"),
    Column("screen_date", "筛查日期", "date"),
    Column("result", "筛查结果"),
    Column("ga_text", "筛查时孕周"),
    Column("address", "住址"),
    *SCREENING_SRC,
]


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
        community_name=_community_name(_col(frame, "community"), settings, missing),
        test_label=_test_label(frame["test"]),
        ga_text=weeks_text(ga),
    ).reset_index(drop=True)


ISSUE_COLUMNS = [
    Column("type", "类型"),
    Column("community_name", "社区"),
    Column("name", "姓名"),
    Column("id", "身份证号"),
    Column("phone", "联系电话"),
    Column("test_label", "筛查项目"),
    Column("date", "日期", "date"),
    Column("address", "住址"),
    Column("detail", "说明", width=50),
    *SCREENING_SRC,
]
ISSUE_TYPES = ("漏报", "无法归属", "花名册冲突", "重复筛查", "花名册重复行", "自报未核实")


def duplicates_with_community(result: Analysis) -> pd.DataFrame:
    """Later repeats of a woman's test, with the community and source of her first screening."""
    dup = result.reconciled.duplicates
    if dup.empty:
        return dup.assign(
            community=pd.Series(dtype=object),
            first_date=pd.Series(dtype="datetime64[ns]"),
            first_src=pd.Series(dtype=object),
        )
    first = result.reconciled.screenings.drop_duplicates(["pkey", "test"]).set_index(["pkey", "test"])
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


def issues_frame(
    result: Analysis, settings: Settings, types: Sequence[str] = ISSUE_TYPES, community: str | None = None
) -> pd.DataFrame:
    """漏报 / 无法归属 / conflicts / duplicate screenings / duplicate roster rows / unverified
    self-reports as one table with a 类型 column; for ``community``, only that community's rows
    (a conflict shows in every community whose roster lists the woman)."""
    rec = result.reconciled
    names = _names(settings)
    parts: list[pd.DataFrame] = []

    def add(kind: str, frame: pd.DataFrame, date_col: str, detail: Callable[[dict[str, Any]], str]) -> None:
        if kind not in types or frame.empty:
            return
        rows = frame.to_dict("records")
        parts.append(
            pd.DataFrame(
                {
                    "type": kind,
                    "community": [r.get("community") for r in rows],
                    "name": [r.get("name") for r in rows],
                    "id": [r.get("id") for r in rows],
                    "phone": [r.get("phone") for r in rows],
                    "test": [r.get("test") for r in rows],
                    "date": [r.get(date_col) for r in rows],
                    "address": [r.get("address") for r in rows],
                    "detail": [detail(r) for r in rows],
                    "src_file": [r.get("src_file") for r in rows],
                    "src_sheet": [r.get("src_sheet") for r in rows],
                    "src_row": [r.get("src_row") for r in rows],
                    "rosters": [r.get("rosters") for r in rows],
                }
            )
        )

    def cname(r: dict[str, Any]) -> str:
        c = r.get("community")
        return names.get(c, str(c)) if isinstance(c, str) else ""

    def test(r: dict[str, Any]) -> str:
        return TEST_LABELS.get(r.get("test") or "", "筛查")

    add(
        "漏报",
        rec.missing_from_roster,
        "screen_date",
        lambda r: (
            f"卫生院有{test(r)}记录，住址在{cname(r)}，但不在该社区花名册上：已按住址计入{cname(r)}，请补报到花名册"
        ),
    )
    add(
        "无法归属",
        rec.unassignable,
        "screen_date",
        lambda r: f"卫生院有{test(r)}记录，但不在任何社区的花名册上，住址中也没有社区名称，未计入任何社区",
    )
    add(
        "花名册冲突",
        rec.conflicts,
        "last_seen",
        lambda r: (
            "同时出现在"
            + "、".join(names.get(k, k) for k in str(r.get("rosters") or "").split("、") if k)
            + f"的花名册上，只计一次，计入{cname(r)}；请核实实际居住地并从不应列入的花名册中删除"
        ),
    )
    dups = duplicates_with_community(result) if "重复筛查" in types else rec.duplicates.iloc[0:0]
    add(
        "重复筛查",
        dups,
        "screen_date",
        lambda r: (
            f"同一孕妇的{test(r)}重复登记，只计第一次"
            + (
                f"（首次：{r['first_date']:%Y-%m-%d}，{r['first_src']}）"
                if isinstance(r.get("first_date"), pd.Timestamp) and r.get("first_date") is not pd.NaT
                else ""
            )
        ),
    )
    add(
        "花名册重复行",
        rec.roster_duplicates,
        "report_date",
        lambda r: "同一份花名册中重复填报了同一孕妇，只计一次；请删除重复的行",
    )
    add(
        "自报未核实",
        rec.self_unverified,
        "self_date",
        lambda r: f"花名册中填报已做{test(r)}，但卫生院登记中没有她的记录；请核实（在外地筛查的请提供报告）",
    )
    columns = [c.key for c in ISSUE_COLUMNS] + ["community", "rosters"]
    if not parts:
        return _empty_like(columns)
    out = pd.concat(parts, ignore_index=True)
    if community is not None:
        on_roster = [community in str(r or "").split("、") for r in out["rosters"]]
        mine = (out["community"] == community).fillna(False).to_numpy(dtype=bool)
        conflict_here = (out["type"] == "花名册冲突").to_numpy() & pd.Series(on_roster).to_numpy(dtype=bool)
        out = out[mine | conflict_here]
    out = out.assign(
        community_name=_community_name(out["community"], settings, "（无法归属）"),
        test_label=_test_label(out["test"]),
    )
    order = {k: i for i, k in enumerate(ISSUE_TYPES)}
    corder = _order(settings)
    out = out.assign(_t=out["type"].map(order), _c=out["community"].map(corder))
    out = out.sort_values(["_t", "_c", "src_file", "src_sheet", "src_row"], kind="stable", na_position="last")
    return out.drop(columns=["_t", "_c"]).reset_index(drop=True)


TIMELINESS_SUMMARY_COLUMNS = [
    Column("name", "社区"),
    Column("due", "应报次数", "int"),
    Column("on_time", "按时", "int"),
    Column("late", "迟报", "int"),
    Column("missing", "未报", "int"),
    Column("rate", "按时上报率", "percent"),
    Column("latest", "最近一次上报", "date"),
    Column("paper", "纸质花名册签收"),
]
TIMELINESS_COLUMNS = [
    Column("name", "社区"),
    Column("due", "应报日期", "date"),
    Column("status", "上报情况", width=9),
    Column("submitted", "实际上报日期", "date"),
    Column("days_late", "迟报天数", "int"),
]
TIMELINESS_RULES = [Rule("status", "cell", "未报", "red"), Rule("status", "cell", "迟报", "amber")]
PAPER_COLUMNS = [
    Column("name", "社区"),
    Column("event_date", "签收日期", "date"),
    Column("note", "备注"),
    Column("src_file", "登记文件"),
    Column("src_row", "行号", "int", 7),
]


def timeliness_frames(
    result: Analysis, settings: Settings, community: str | None = None, mask_notes: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(per-community summary, per due date detail, paper roster receipts) in config order."""
    sc, rec = result.scored, result.reconciled
    keys = settings.community_keys if community is None else [community]
    summ = sc.timeliness_summary.set_index("community") if len(sc.timeliness_summary) else None
    detail = sc.timeliness
    paper = rec.paper_rosters
    names = _names(settings)
    # Grouped once (not filtered once per community: thousands of communities in a county).
    by_detail = dict(tuple(detail.groupby("community", sort=False)["submitted"])) if len(detail) else {}
    by_paper = dict(tuple(paper.groupby("community", sort=False)["event_date"])) if len(paper) else {}
    summ_rows = summ.to_dict("index") if summ is not None else {}
    rows = []
    for key in keys:
        rec_row: dict[str, Any] = {"community": key, "name": names.get(key, key)}
        if key in summ_rows:
            for col in ("due", "on_time", "late", "missing", "rate"):
                rec_row[col] = summ_rows[key][col]
        mine = by_detail.get(key)
        rec_row["latest"] = mine.max() if mine is not None and len(mine) else None
        papers = by_paper.get(key)
        rec_row["paper"] = (
            "、".join(
                f"{d.month}月{d.day}日"
                if isinstance(d, pd.Timestamp) and d is not pd.NaT
                else "（未注明日期）"
                for d in papers.tolist()
            )
            if papers is not None and len(papers)
            else "未登记"
        )
        rows.append(rec_row)
    summary = pd.DataFrame(rows)
    det = (
        detail[detail["community"].isin(keys)].copy()
        if len(detail)
        else _empty_like(["community", "due", "status", "submitted", "days_late"])
    )
    det["name"] = _community_name(det["community"], settings)
    pap = (
        paper[paper["community"].isin(keys)].copy()
        if len(paper)
        else _empty_like(["community", "event_date", "note", "src_file", "src_row"])
    )
    pap["name"] = _community_name(pap["community"], settings)
    if mask_notes and len(pap):
        pap["note"] = [mask_text(v) if isinstance(v, str) else v for v in pap["note"]]
    return summary, det.reset_index(drop=True), pap.reset_index(drop=True)


PAYMENT_COLUMNS = [
    Column("name", "社区"),
    Column("date", "评比日期", "date"),
    Column("kind", "评比"),
    Column("met", "达到要求", "bool"),
    Column("cases", "例数", "int"),
    Column("case_amount", "病例补助（元）", "money"),
    Column("specialist", "专干奖励（元）", "money"),
    Column("secretary_reward", "年终奖励（元）", "money"),
    Column("fine", "罚款（元）", "money"),
    Column("rule", "计算依据", width=60),
]
MONEY = ("case_amount", "specialist", "secretary_reward", "fine")


def payments_frame(result: Analysis, settings: Settings) -> pd.DataFrame:
    pay = result.scored.payments
    if pay.empty:
        return _empty_like([c.key for c in PAYMENT_COLUMNS])
    return pay.assign(name=_community_name(pay["community"], settings)).reset_index(drop=True)


SUBSIDY_COLUMNS = [
    Column("community_name", "社区"),
    Column("name", "姓名"),
    Column("id", "身份证号"),
    Column("phone", "联系电话"),
    Column("test_label", "筛查项目"),
    Column("screen_date", "筛查日期", "date"),
    Column("amount", "补助金额（元）", "money"),
    *SCREENING_SRC,
]
SUBSIDY_SUM_COLUMNS = [
    Column("name", "社区"),
    Column("cases", "例数", "int"),
    Column("amount", "补助金额（元）", "money"),
]


def subsidy_frames(result: Analysis, settings: Settings) -> tuple[pd.DataFrame, pd.DataFrame]:
    sub = screenings_frame(result.scored.subsidy, settings)
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


SPOT_COLUMNS = [
    Column("community_name", "社区"),
    Column("name", "姓名"),
    Column("id", "身份证号"),
    Column("phone", "联系电话"),
    Column("address", "住址"),
    Column("lmp_used", "末次月经（含推算）", "date"),
    Column("last_seen", "最近一次在花名册上", "date"),
    Column("src_file", "花名册文件"),
    Column("check_result", "抽查结果（核实后填写）", width=22),
    Column("checker", "核实人", width=10),
]


def spot_check_frame(result: Analysis, settings: Settings) -> pd.DataFrame:
    spot = result.reconciled.spot_check
    if spot.empty:
        return _empty_like([c.key for c in SPOT_COLUMNS] + ["community"])
    return spot.assign(community_name=_community_name(spot["community"], settings)).reset_index(drop=True)


# --- problems by owner ---------------------------------------------------------------------------


def _owners(result: Analysis) -> tuple[dict[tuple[str, str], set[str]], dict[str, set[str]]]:
    """Roster sheets and files -> the communities they were submitted for."""
    by_sheet: dict[tuple[str, str], set[str]] = {}
    by_file: dict[str, set[str]] = {}
    for info in result.normalized.sheets:
        if info.kind == "roster" and info.community:
            by_sheet.setdefault((info.file, info.sheet), set()).add(info.community)
            by_file.setdefault(info.file, set()).add(info.community)
    for rec in result.reconciled.submissions.to_dict("records"):
        c = rec.get("community")
        if isinstance(c, str):
            by_sheet.setdefault((rec["src_file"], rec["src_sheet"]), set()).add(c)
            by_file.setdefault(rec["src_file"], set()).add(c)
    return by_sheet, by_file


def community_problems(result: Analysis, key: str) -> pd.DataFrame:
    """The problems in ``key``'s own roster submissions (matched by file and sheet; problems about a
    whole file, or another sheet of it such as 填表说明, by file)."""
    frame = problems_frame(result.problems)
    if frame.empty:
        return frame
    by_sheet, by_file = _owners(result)
    keep = []
    for f, s in zip(frame["file"].tolist(), frame["sheet"].tolist(), strict=True):
        f = f if isinstance(f, str) else ""
        s = s if isinstance(s, str) else ""
        owners = by_sheet.get((f, s)) if s and (f, s) in by_sheet else by_file.get(f, set())
        keep.append(key in (owners or set()))
    return frame[keep].reset_index(drop=True)


def log_files(result: Analysis) -> set[str]:
    return {s.file for s in result.normalized.sheets if s.kind == "log"}


def health_centre_problems(result: Analysis) -> pd.DataFrame:
    """The problems in the health centre's own screening logs (any sheet of a log file)."""
    frame = problems_frame(result.problems)
    if frame.empty:
        return frame
    files = log_files(result)
    return frame[frame["file"].isin(files)].reset_index(drop=True)


def _digit_count(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def mask_problem_ids(frame: pd.DataFrame) -> pd.DataFrame:
    """Mask ID numbers in problems: the whole value of an ID problem, and ID-like digit runs in any
    value or message."""
    if frame.empty:
        return frame
    out = frame.copy()
    is_id = out["code"].fillna("").astype(str).str.startswith(("id_", "log_id"))
    out["value"] = [
        mask_id(v) if flag and isinstance(v, str) and _digit_count(v) >= 15 else _mask_id_text(v)
        for v, flag in zip(out["value"].tolist(), is_id.tolist(), strict=True)
    ]
    out["message"] = [_mask_id_text(v) for v in out["message"].tolist()]
    return out


# ----------------------------------------------------------------------------------------------
# Sheets


def _summary_sheet(
    book: Workbook, fmt: Formats, result: Analysis, settings: Settings, *, charts: bool
) -> None:
    frame = summary_frame(result, settings)
    totals = summary_totals(frame)
    last = result.summary.get("circular_period")
    lag_note = (
        f"“工作落后”和处理措施按第{last['number']}期通报（{last['start']}至{last['end']}）"
        if last
        else "尚无已结束的通报期，暂不认定工作落后"
    )
    title = _title(settings, result, "进度汇总")
    subtitle = (
        f"应完成=每周任务×（{cn_date(settings.programme.assess_from)}起的天数÷7），不超过全年任务；"
        f"完成率=已完成÷应完成；综合完成率=两项已完成合计÷两项应完成合计。{lag_note}。"
    )
    sheet = write_table(
        book,
        fmt,
        "汇总",
        frame,
        SUMMARY_COLUMNS,
        title=title,
        subtitle=subtitle,
        rules=SUMMARY_RULES,
        totals=totals,
    )[0]
    head = header_row_of(title, subtitle)
    first, last_row = head + 1, head + len(frame)
    row = last_row + 3
    warnings = [w.get("message", "") for w in result.warnings if w.get("message")]
    for text in dict.fromkeys(warnings):
        sheet.write_string(row, 0, f"提醒：{text}", fmt.get("subtitle"))
        row += 1
    if warnings:
        row += 1
    if not charts:
        return
    cum, label = cumulative_frame(result)
    block_first = row + 1
    row = write_block(
        sheet, fmt, row, cum, CUMULATIVE_COLUMNS, title=f"全街道累计进度（各{label}末）", rules=[Rule("rate")]
    )
    _column_chart(book, sheet, first, last_row, row)
    if len(cum):
        _line_chart(book, sheet, block_first + 1, block_first + len(cum), row, label)


def _column_chart(book: Workbook, sheet: Worksheet, first: int, last: int, row: int) -> None:
    name = sheet.get_name()
    index = {col.key: c for c, col in enumerate(SUMMARY_COLUMNS)}
    chart = book.add_chart({"type": "column"})
    colours = {"nt": ("#2F5597", "#9DC3E6"), "serum": ("#C55A11", "#F4B183")}
    for t in TESTS:
        for what, label, colour in (("done", "已完成", colours[t][0]), ("expected", "应完成", colours[t][1])):
            c = index[f"{what}_{t}"]
            chart.add_series(
                {
                    "name": f"{SHORT[t]}{label}",
                    "categories": [name, first, 0, last, 0],
                    "values": [name, first, c, last, c],
                    "fill": {"color": colour},
                    "border": {"none": True},
                }
            )
    chart.set_title({"name": "各社区已完成与应完成（人）", "name_font": {"size": 12}})
    chart.set_y_axis({"name": "人数", "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 760, "height": 340})
    sheet.insert_chart(row, 0, chart)


def _line_chart(book: Workbook, sheet: Worksheet, first: int, last: int, row: int, label: str) -> None:
    name = sheet.get_name()
    index = {col.key: c for c, col in enumerate(CUMULATIVE_COLUMNS)}
    chart = book.add_chart({"type": "line"})
    colours = {"nt": "#2F5597", "serum": "#C55A11"}
    for t in TESTS:
        chart.add_series(
            {
                "name": f"{SHORT[t]}累计完成",
                "categories": [name, first, 0, last, 0],
                "values": [name, first, index[f"done_{t}"], last, index[f"done_{t}"]],
                "line": {"color": colours[t], "width": 2.25},
                "marker": {
                    "type": "circle",
                    "size": 5,
                    "fill": {"color": colours[t]},
                    "border": {"color": colours[t]},
                },
            }
        )
        chart.add_series(
            {
                "name": f"{SHORT[t]}累计应完成",
                "categories": [name, first, 0, last, 0],
                "values": [name, first, index[f"expected_{t}"], last, index[f"expected_{t}"]],
                "line": {"color": colours[t], "width": 1.5, "dash_type": "dash"},
            }
        )
    chart.set_title({"name": f"全街道累计完成与累计应完成（按{label}）", "name_font": {"size": 12}})
    chart.set_y_axis({"name": "人数", "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    chart.set_x_axis({"num_font": {"rotation": -45}})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 760, "height": 360})
    sheet.insert_chart(row + 18, 0, chart)


# An organisation with more communities than this (a county's, a province's) gets person lists
# only in the communities' workbooks, and only the latest periods in the history sheets.
LARGE_ORGANISATION = 1000
HISTORY_PERIODS_AT_SCALE = 4


def large_organisation(settings: Settings) -> bool:
    return len(settings.communities) > LARGE_ORGANISATION


COUNT_COLUMNS = [Column("parent", "上级"), Column("name", "社区"), Column("count", "人数", "int")]


def _counts_sheet(
    book: Workbook, fmt: Formats, result: Analysis, settings: Settings, name: str, what: str, frame: pd.DataFrame
) -> None:
    """A person list of a large organisation, as the number of people per community."""
    counts = frame["community"].value_counts() if len(frame) and "community" in frame.columns else pd.Series(dtype="int64")
    table = pd.DataFrame(
        {
            "parent": [c.parent for c in settings.communities],
            "name": [c.name for c in settings.communities],
            "count": [int(counts.get(c.key, 0)) for c in settings.communities],
        }
    )
    write_table(
        book,
        fmt,
        name,
        table,
        COUNT_COLUMNS,
        title=_title(settings, result, what),
        subtitle=f"共 {len(frame):,} 人。社区较多（{len(settings.communities):,} 个），名单按社区分别列在各社区的工作簿中"
        "（“社区”文件夹），此处只列各社区人数。",
    )


def _history_sheet(
    book: Workbook,
    fmt: Formats,
    result: Analysis,
    settings: Settings,
    name: str,
    history: pd.DataFrame,
    what: str,
    cadence: str,
) -> None:
    note = ""
    if large_organisation(settings) and len(history) and "period" in history.columns:
        recent = sorted(history["period"].dropna().unique())[-HISTORY_PERIODS_AT_SCALE:]
        history = history[history["period"].isin(recent)]
        note = f"社区较多，只列最近{len(recent)}期。"
    frame = history_frame(history, settings)
    subtitle = (
        f"{cadence}；每期末的累计进度与排名，“名次变化”与上一期比较（↑上升、↓下降、—不变）。{note}"
        if len(frame)
        else f"{cadence}；截至统计日尚无已结束的一期。"
    )
    write_table(
        book,
        fmt,
        name,
        frame,
        HISTORY_COLUMNS,
        title=_title(settings, result, what),
        subtitle=subtitle,
        rules=HISTORY_RULES,
    )


def _cadence_text(kind: str, settings: Settings) -> str:
    cad = getattr(settings.cadence, kind)
    if cad.kind == "days":
        return f"自{cn_date(settings.programme.assess_from)}起每{cad.every}天为一期"
    if cad.kind == "weekday":
        return f"每周以星期{'一二三四五六日'[cad.weekday - 1]}为期末"
    return "每月" + "、".join("月底" if d >= 31 else f"{d}日" for d in cad.ends) + "为期末"


def _circulars_sheet(book: Workbook, fmt: Formats, result: Analysis, settings: Settings) -> None:
    circ = result.scored.circulars
    note = ""
    if large_organisation(settings) and len(circ):
        recent = sorted(circ["period"].dropna().unique())[-HISTORY_PERIODS_AT_SCALE:]
        circ = circ[circ["period"].isin(recent)]
        note = f"社区较多，只列最近{len(recent)}期。"
    frame = circulars_frame(circ, settings)
    r = settings.ranking
    subtitle = (
        f"{_cadence_text('circular', settings)}；每期综合完成率最低的{r.lagging_count}个社区为工作落后"
        f"（已达到应完成进度的不列入）；已印发通报的期次以印发的名单为准。{note}"
    )
    write_table(
        book,
        fmt,
        "通报期",
        frame,
        CIRCULAR_COLUMNS,
        title=_title(settings, result, "半月通报情况"),
        subtitle=subtitle,
        rules=CIRCULAR_RULES,
    )


def _followup_sheet(
    book: Workbook, fmt: Formats, result: Analysis, settings: Settings, frame: pd.DataFrame, *, mask: bool
) -> None:
    w = settings.windows
    subtitle = (
        f"尚未筛查的孕妇，按紧急程度排列。窗口期：超声NT筛查孕{w.nt_from}至{w.nt_to}周，"
        f"血清学筛查孕{w.serum_from}至{w.serum_to}周；“即将进入窗口期”指{settings.followup.opening_within_days}天内进入。"
    )
    write_table(
        book,
        fmt,
        "随访督促名单",
        _mask_frame_ids(followup_frame(frame, settings), mask),
        FOLLOWUP_COLUMNS,
        title=_title(settings, result, "随访督促名单"),
        subtitle=subtitle,
        rules=FOLLOWUP_RULES,
    )


def _high_risk_sheet(
    book: Workbook, fmt: Formats, result: Analysis, settings: Settings, frame: pd.DataFrame, *, mask: bool
) -> None:
    subtitle = (
        "筛查结果为"
        + "、".join(settings.tests.high_risk)
        + "、尚未登记产前诊断或结案的孕妇：请督促其及时到有资质的医疗机构做产前诊断。"
    )
    write_table(
        book,
        fmt,
        "高风险追踪",
        _mask_frame_ids(screenings_frame(frame, settings), mask),
        HIGH_RISK_COLUMNS,
        title=_title(settings, result, "高风险孕妇追踪"),
        subtitle=subtitle,
    )


def _timeliness_sheet(
    book: Workbook,
    fmt: Formats,
    result: Analysis,
    settings: Settings,
    community: str | None = None,
    *,
    mask_notes: bool = False,
) -> None:
    summary, detail, paper = timeliness_frames(result, settings, community, mask_notes=mask_notes)
    r = settings.rosters
    subtitle = (
        f"首次花名册应于{cn_date(r.first_due)}前上报，此后每月"
        + "、".join(f"{d}日" for d in r.update_days)
        + "上报更新名单；应报日当天或之前报送为按时，下一个应报日之前补报为迟报，否则为未报。"
    )
    sheet = write_table(
        book,
        fmt,
        "花名册上报情况",
        summary,
        TIMELINESS_SUMMARY_COLUMNS,
        title=_title(settings, result, "花名册上报情况"),
        subtitle=subtitle,
        rules=[Rule("rate")],
    )[0]
    row = HEADER_ROW + max(len(summary), 1) + 2
    if community is None and large_organisation(settings):
        # Thousands of communities × every due date: the details are in each community's workbook.
        detail = detail.iloc[0:0]
        detail_title = "逐次上报明细（社区较多，见各社区工作簿）"
    else:
        detail_title = "逐次上报明细"
    row = write_block(sheet, fmt, row, detail, TIMELINESS_COLUMNS, title=detail_title, rules=TIMELINESS_RULES)
    write_block(
        sheet,
        fmt,
        row,
        paper,
        PAPER_COLUMNS,
        title="纸质花名册（支部书记签字盖章）签收登记",
        note="" if len(paper) else "办事处登记簿中没有纸质花名册签收记录。",
    )


def _payments_sheet(book: Workbook, fmt: Formats, result: Analysis, settings: Settings) -> None:
    frame = payments_frame(result, settings)
    rw = settings.rewards
    evaluations = "、".join(cn_date(d) for d in rw.evaluations)
    subtitle = (
        f"季度评比（{evaluations}）：两项均达到应完成进度的社区按每例{rw.per_case:g}元补助并奖励专干{rw.specialist:g}元；"
        f"年终（{cn_date(rw.year_end)}）完成全年任务奖励{rw.year_end_reward:g}元，未完成罚{rw.year_end_fine:g}元。"
    )
    if frame.empty:
        subtitle += "截至统计日尚未到第一次评比。"
    totals = {
        "name": "合计",
        "cases": float(frame["cases"].sum()) if len(frame) else 0.0,
        **{k: float(frame[k].sum()) if len(frame) else 0.0 for k in MONEY},
    }
    write_table(
        book,
        fmt,
        "奖惩",
        frame,
        PAYMENT_COLUMNS,
        title=_title(settings, result, "奖惩兑现"),
        subtitle=subtitle,
        rules=[Rule("met", "cell", "否", "red"), Rule("met", "cell", "是", "green")],
        totals=totals,
    )


def _subsidy_sheet(
    book: Workbook, fmt: Formats, result: Analysis, settings: Settings, *, mask: bool
) -> None:
    detail, by_community = subsidy_frames(result, settings)
    p = settings.programme
    unit = "每项筛查" if p.subsidy_case == "each" else "两项均完成的孕妇"
    subtitle = (
        f"{cn_date(p.subsidy_from)}至{cn_date(p.subsidy_to)}已完成的筛查不计入任务进度，"
        f"按{unit}每例{p.subsidy_per_case:g}元补助。"
    )
    sheet = write_table(
        book,
        fmt,
        "1-3月补助",
        _mask_frame_ids(detail, mask),
        SUBSIDY_COLUMNS,
        title=_title(settings, result, "1—3月已完成筛查补助"),
        subtitle=subtitle,
        totals={"community_name": "合计", "amount": float(detail["amount"].sum()) if len(detail) else 0.0},
    )[-1]
    row = HEADER_ROW + max(len(detail), 1) + 3
    write_block(
        sheet,
        fmt,
        row,
        by_community,
        SUBSIDY_SUM_COLUMNS,
        title="各社区补助合计",
        totals={
            "name": "合计",
            "cases": float(by_community["cases"].sum()),
            "amount": float(by_community["amount"].sum()),
        },
    )


def _issues_sheet(
    book: Workbook,
    fmt: Formats,
    result: Analysis,
    settings: Settings,
    frame: pd.DataFrame,
    *,
    name: str,
    what: str,
    subtitle: str,
    mask: bool,
) -> None:
    write_table(
        book,
        fmt,
        name,
        _mask_frame_ids(frame, mask),
        ISSUE_COLUMNS,
        title=_title(settings, result, what),
        subtitle=subtitle,
    )


def _spot_sheet(
    book: Workbook, fmt: Formats, result: Analysis, settings: Settings, frame: pd.DataFrame, *, mask: bool
) -> None:
    s = settings.spot_check
    subtitle = (
        f"每个社区从花名册中随机抽取{s.size}人（随机种子{s.seed}，同样的数据得到同样的名单），"
        "请电话或入户核实其居住地、孕情和筛查情况，并填写抽查结果。"
    )
    write_table(
        book,
        fmt,
        "随机抽查名单",
        _mask_frame_ids(frame, mask),
        SPOT_COLUMNS,
        title=_title(settings, result, "随机抽查名单"),
        subtitle=subtitle,
    )


def _problems_sheet(
    book: Workbook, fmt: Formats, result: Analysis, settings: Settings, frame: pd.DataFrame
) -> None:
    write_problem_sheet(book, fmt, frame, title=_title(settings, result, "数据问题清单"))


SETTINGS_COLUMNS = [Column("c0", "配置项"), Column("c1", "取值", width=60), Column("c2", "来源")]
FILES_COLUMNS = [
    Column("file", "文件"),
    Column("sha256", "SHA-256 校验值", width=60),
    Column("format", "格式"),
    Column("size", "大小（字节）", "int"),
    Column("readable", "已读取", "bool"),
]
INFO_COLUMNS = [Column("c0", "项目"), Column("c1", "内容", width=60)]


def _explanation_sheet(
    book: Workbook,
    fmt: Formats,
    result: Analysis,
    settings: Settings,
    *,
    rows: list[tuple[str, str, str]] | None = None,
    files: list[Any] | None = None,
) -> None:
    """口径说明: the settings in force (``rows``: a precomputed subset), the plan's rules, run
    information and the input files (``files``: a subset; default all)."""
    table = pd.DataFrame(settings_rows(settings) if rows is None else rows, columns=["c0", "c1", "c2"])
    subtitle = (
        f"本工作簿所有数字均按以下口径计算（配置文件 {Path(settings.source).name or 'config.toml'}，"
        "“来源”为配置文件中的行号）；改变口径请修改配置文件中对应的行后重新运行。"
    )
    sheet = write_table(
        book,
        fmt,
        "口径说明",
        table,
        SETTINGS_COLUMNS,
        title=_title(settings, result, "口径说明"),
        subtitle=subtitle,
    )[0]
    row = HEADER_ROW + max(len(table), 1) + 2
    notes = pd.DataFrame(seed_notes(settings), columns=["c0", "c1"])
    row = write_block(
        sheet, fmt, row, notes, [Column("c0", "方案条款"), Column("c1", "本工具的处理", width=60)],
        title="实施方案各条款的处理方式（含不计算的条款）",
    )
    acc = result.summary.get("accounting", {})
    info = pd.DataFrame(
        [
            ("统计截止日期", result.as_of.isoformat()),
            ("程序版本", f"screening {__version__}"),
            ("输入文件夹", result.input_dir.name),
            ("读取的数据行", str(acc.get("input_rows", ""))),
            ("采用的数据行", str(acc.get("accepted_rows", ""))),
            ("未采用的数据行（见数据问题）", str(acc.get("rejected_rows", ""))),
        ],
        columns=["c0", "c1"],
    )
    row = write_block(sheet, fmt, row, info, INFO_COLUMNS, title="运行信息")
    files = pd.DataFrame(
        [
            {"file": f.path, "sha256": f.sha256, "format": f.format, "size": f.size, "readable": f.readable}
            for f in sorted(result.files if files is None else files, key=lambda f: f.path)
        ],
        columns=[c.key for c in FILES_COLUMNS],
    )
    row = write_block(
        sheet, fmt, row, files, FILES_COLUMNS, title="输入文件（可用 SHA-256 校验值核对所用文件）"
    )
    warnings = pd.DataFrame(
        [(str(w.get("code", "")), str(w.get("message", ""))) for w in result.warnings], columns=["c0", "c1"]
    )
    write_block(
        sheet,
        fmt,
        row,
        warnings,
        [Column("c0", "代码"), Column("c1", "提醒", width=60)],
        title="需要办事处确认的口径问题",
        note="" if len(warnings) else "无。",
    )


# ----------------------------------------------------------------------------------------------
# Workbooks


# A workbook with more table rows than this is written with xlsxwriter's constant_memory (rows
# flushed to disk as they are written, so memory stays flat at province size).
CONSTANT_MEMORY_ROWS = 100_000


def _table_rows(result: Analysis) -> int:
    rec, sc = result.reconciled, result.scored
    frames = (rec.followup, rec.high_risk, rec.missing_from_roster, rec.conflicts, rec.duplicates,
              rec.spot_check, sc.weekly, sc.three_day, sc.circulars, sc.subsidy)
    return sum(len(f) for f in frames) + len(result.problems)


def _open(
    path: Path, title: str, *, in_memory: bool = False, constant_memory: bool = False
) -> tuple[Workbook, Formats]:
    path.parent.mkdir(parents=True, exist_ok=True)
    return new_workbook(str(path), title=title, in_memory=in_memory, constant_memory=constant_memory)


def write_master(path: Path, result: Analysis, settings: Settings) -> Path:
    """The office's master workbook: every sheet, full IDs and phones (IDs masked only when
    ``privacy.mask_ids_in_master_workbook``)."""
    mask = settings.privacy.mask_ids_in_master_workbook
    rec = result.reconciled
    big = _table_rows(result) > CONSTANT_MEMORY_ROWS
    book, fmt = _open(path, f"两筛进度汇总 {result.as_of.isoformat()}", constant_memory=big)
    _summary_sheet(book, fmt, result, settings, charts=True)
    _history_sheet(
        book,
        fmt,
        result,
        settings,
        "周排序",
        result.scored.weekly,
        "每周排序",
        _cadence_text("ranking", settings),
    )
    _history_sheet(
        book,
        fmt,
        result,
        settings,
        "三日汇总",
        result.scored.three_day,
        "三日汇总",
        _cadence_text("summary", settings),
    )
    _circulars_sheet(book, fmt, result, settings)
    if large_organisation(settings):
        # Person lists of thousands of communities are for the communities: each community's
        # workbook has its own; the master counts them per community.
        _counts_sheet(book, fmt, result, settings, "随访督促名单", "随访督促名单", rec.followup)
        _counts_sheet(book, fmt, result, settings, "高风险追踪", "高风险孕妇追踪", rec.high_risk)
    else:
        _followup_sheet(book, fmt, result, settings, rec.followup, mask=mask)
        _high_risk_sheet(book, fmt, result, settings, rec.high_risk, mask=mask)
    _timeliness_sheet(book, fmt, result, settings)
    _payments_sheet(book, fmt, result, settings)
    if large_organisation(settings):
        _counts_sheet(book, fmt, result, settings, "1-3月补助", "1—3月已完成筛查补助", result.scored.subsidy)
    else:
        _subsidy_sheet(book, fmt, result, settings, mask=mask)
    issues = issues_frame(result, settings)
    if large_organisation(settings):
        _counts_sheet(book, fmt, result, settings, "漏报与冲突", "漏报、冲突与待核实", issues)
        _counts_sheet(book, fmt, result, settings, "随机抽查名单", "随机抽查名单", result.reconciled.spot_check)
    else:
        _issues_sheet(
            book,
            fmt,
            result,
            settings,
            issues,
            name="漏报与冲突",
            what="漏报、冲突与待核实",
            mask=mask,
            subtitle="类型：漏报（已筛查但未列入花名册，按住址计入社区）、无法归属、花名册冲突（同一人在两个社区）、"
            "重复筛查、花名册重复行、自报未核实（花名册称已做但卫生院无记录）。",
        )
        _spot_sheet(book, fmt, result, settings, spot_check_frame(result, settings), mask=mask)
    problems = problems_frame(result.problems)
    _problems_sheet(book, fmt, result, settings, mask_problem_ids(problems) if mask else problems)
    _explanation_sheet(book, fmt, result, settings)
    book.close()
    return path


@dataclass
class CommunityContext:
    """Pieces of one community's workbook computed once for all communities (see
    :mod:`pipeline.outputs.parallel`), so that writing thousands of workbooks does not repeat work
    proportional to all communities or all rows for each one."""

    everyone: pd.DataFrame  # summary_frame rows of the communities in its ranking block
    problems: pd.DataFrame  # community_problems(result, key)
    settings_rows: list[tuple[str, str, str]]  # rows of its 口径说明 table
    files: list[Any]  # the input files listed in its 口径说明


def write_community(
    path: Path, result: Analysis, settings: Settings, community_key: str, context: CommunityContext | None = None
) -> Path:
    """One community's workbook: its own figures and rank, its own women only (IDs masked when
    ``privacy.mask_ids_in_community_workbooks``), the problems in its own roster submissions."""
    community = settings.community(community_key)
    mask = settings.privacy.mask_ids_in_community_workbooks
    rec = result.reconciled
    book, fmt = _open(path, f"{community.name} 两筛 {result.as_of.isoformat()}", in_memory=True)

    def own(frame: pd.DataFrame) -> pd.DataFrame:
        if frame.empty or "community" not in frame.columns:
            return frame.iloc[0:0] if "community" not in frame.columns else frame
        return frame[(frame["community"] == community_key).fillna(False).to_numpy(dtype=bool)]

    # 汇总: its own row, then the community-level ranking of all communities (no personal data).
    everyone = context.everyone if context is not None else summary_frame(result, settings)
    mine = everyone[everyone["community"] == community_key]
    title = _title(settings, result, f"{community.name}进度")
    n = len(everyone)
    rank = mine["rank"].iloc[0] if len(mine) else None
    subtitle = (
        f"{community.name}在全街道{n}个社区中排名第{int(rank)}位。"
        if rank is not None and rank is not pd.NA
        else "尚无排名。"
    ) + "完成率=已完成÷应完成。"
    sheet = write_table(
        book, fmt, "汇总", mine, SUMMARY_COLUMNS, title=title, subtitle=subtitle, rules=SUMMARY_RULES
    )[0]
    row = header_row_of(title, subtitle) + max(len(mine), 1) + 2
    ranking = everyone.sort_values(["rank", "community"], kind="stable", na_position="last")
    write_block(
        sheet,
        fmt,
        row,
        ranking,
        [
            Column("name", "社区"),
            Column("rate", "综合完成率", "percent"),
            Column("rank", "排名", "int", 7),
            Column("lagging", "工作落后", "bool"),
        ],
        title="全街道各社区排名",
        rules=[Rule("rate")],
    )

    _followup_sheet(book, fmt, result, settings, own(rec.followup), mask=mask)
    _high_risk_sheet(book, fmt, result, settings, own(rec.high_risk), mask=mask)
    issues = issues_frame(
        result, settings, ("漏报", "花名册冲突", "花名册重复行", "自报未核实"), community=community_key
    )
    _issues_sheet(
        book,
        fmt,
        result,
        settings,
        issues,
        name="漏报与冲突",
        what=f"{community.name}漏报、冲突与待核实",
        mask=mask,
        subtitle="漏报：卫生院有筛查记录、住址在本社区，但未列入花名册，请补报；花名册冲突：同一人也在其他社区花名册上，"
        "请核实居住地；自报未核实：花名册称已筛查但卫生院没有记录，请核实。",
    )
    _timeliness_sheet(book, fmt, result, settings, community_key)
    problems = context.problems if context is not None else community_problems(result, community_key)
    _problems_sheet(book, fmt, result, settings, mask_problem_ids(problems) if mask else problems)
    _spot_sheet(book, fmt, result, settings, own(spot_check_frame(result, settings)), mask=mask)
    if context is not None:
        _explanation_sheet(book, fmt, result, settings, rows=context.settings_rows, files=context.files)
    else:
        _explanation_sheet(book, fmt, result, settings)
    book.close()
    return path


def write_leaders(path: Path, result: Analysis, settings: Settings) -> Path:
    """The leaders' copy: community-level sheets only, no personal data."""
    big = _table_rows(result) > CONSTANT_MEMORY_ROWS
    book, fmt = _open(path, f"两筛进度（领导版） {result.as_of.isoformat()}", constant_memory=big)
    _summary_sheet(book, fmt, result, settings, charts=True)
    _history_sheet(
        book,
        fmt,
        result,
        settings,
        "周排序",
        result.scored.weekly,
        "每周排序",
        _cadence_text("ranking", settings),
    )
    _circulars_sheet(book, fmt, result, settings)
    _timeliness_sheet(book, fmt, result, settings, mask_notes=True)
    _payments_sheet(book, fmt, result, settings)
    _explanation_sheet(book, fmt, result, settings)
    book.close()
    return path


WINDOW_COLUMNS = [
    Column("window_flag", "问题"),
    Column("name", "姓名"),
    Column("id", "身份证号"),
    Column("phone", "联系电话"),
    Column("test_label", "筛查项目"),
    Column("screen_date", "筛查日期", "date"),
    Column("lmp_used", "末次月经（含推算）", "date"),
    Column("ga_text", "筛查时孕周"),
    Column("community_name", "社区"),
    *SCREENING_SRC,
]


def write_health_centre(path: Path, result: Analysis, settings: Settings) -> Path:
    """The health centre's checklist: problems in its own log rows, its screenings outside the
    gestational window, on no roster, and repeated, so that it can correct its records. Rows are
    found by file, sheet and row number; ID numbers are masked (the list travels by email)."""
    rec = result.reconciled
    big = _table_rows(result) > CONSTANT_MEMORY_ROWS
    book, fmt = _open(path, f"卫生院核对清单 {result.as_of.isoformat()}", constant_memory=big)
    problems = mask_problem_ids(health_centre_problems(result))
    problems["value"] = problems["value"].map(lambda v: mask_text(v) if isinstance(v, str) else v)
    _problems_sheet(book, fmt, result, settings, problems)
    scr = rec.screenings
    out = scr[scr["window_flag"].fillna("") != ""] if len(scr) else scr
    frame = _mask_people(screenings_frame(out, settings))
    if len(frame):
        # The roster's LMP (as used for the window), else the log's own.
        lookup = dict(zip(rec.women["pkey"].tolist(), rec.women["lmp_used"].tolist(), strict=True))
        used = pd.Series([lookup.get(k) for k in frame["pkey"].tolist()], index=frame.index, dtype=object)
        frame["lmp_used"] = pd.to_datetime(used).fillna(frame["lmp"])
        frame = frame.sort_values(["src_file", "src_sheet", "src_row"], kind="stable").reset_index(drop=True)
    w = settings.windows
    write_table(
        book,
        fmt,
        "窗口期外筛查",
        frame,
        WINDOW_COLUMNS,
        title=_title(settings, result, "窗口期外或孕周未知的筛查"),
        subtitle=f"窗口期：超声NT筛查孕{w.nt_from}至{w.nt_to}周，血清学筛查孕{w.serum_from}至{w.serum_to}周；"
        "请核对筛查日期和末次月经是否登记正确。",
    )
    none = _mask_people(issues_frame(result, settings, ("漏报", "无法归属")))
    write_table(
        book,
        fmt,
        "未在花名册",
        none,
        ISSUE_COLUMNS,
        title=_title(settings, result, "未在社区花名册上的筛查"),
        subtitle="这些孕妇有筛查记录但不在任何社区的花名册上；请核对姓名、身份证号和住址（写明社区），便于归属到社区。",
    )
    dups = _mask_people(issues_frame(result, settings, ("重复筛查",)))
    write_table(
        book,
        fmt,
        "重复筛查",
        dups,
        ISSUE_COLUMNS,
        title=_title(settings, result, "重复登记的筛查"),
        subtitle="同一孕妇同一项目登记了不止一次，只计第一次；请核对是否为重复录入。",
    )
    _explanation_sheet(book, fmt, result, settings)
    book.close()
    return path
