"""The quota per community and test: a quota table in the input wins over config; config is the
fallback; every difference, and the programme's own inconsistency (declared goal vs the sum of the
quotas, 333 vs 306 in the seed), is reported, never silently resolved.

``effective_quotas(settings, table, totals)`` takes the normalised quota table and its 合计 rows
and gives the quota frame (one row per configured community), the problems and the warnings for
summary.json. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from pipeline.problems import Problem, Severity, problem
from pipeline.settings import TEST_LABELS, TESTS, Community, Settings

QUOTA_FRAME_COLUMNS = ["community", "name", "quota_nt", "quota_serum", "weekly_nt", "weekly_serum", "source"]


def effective_quotas(
    settings: Settings,
    table: pd.DataFrame,
    totals: list[dict[str, Any]] | None = None,
    unreadable: Sequence[str] = (),
) -> tuple[pd.DataFrame, list[Problem]]:
    """Returns (quotas per community, problems); the programme-scope ones (goal vs quota sum, a
    合计 row vs the sum, quota tables that could not be read) carry their figures in ``details``
    for summary.json's ``warnings[]``.

    ``table``: the quota table's rows (one per community, ``annual_*``/``weekly_*``); ``totals``:
    its 合计 rows, checked against the sum of the communities; ``unreadable``: the files of quota
    tables whose header could not be read (never a silent fall-back to config)."""
    from_table, problems = _rows_by_community(table)
    unread = sorted(set(unreadable))
    rows = []
    for c in settings.communities:
        rec = from_table.get(c.key)
        if rec is None:
            row, found = _from_config(c, table_missing=not table.empty)
            if unread and table.empty:
                row["source"] = f"配置文件（任务分配表无法读取：{'、'.join(unread)}）"
        else:
            row, found = _from_table(c, rec)
        rows.append(row)
        problems += found
    if unread:
        problems.append(_unreadable_warning(unread, used_table=not table.empty))
    frame = pd.DataFrame(rows, columns=QUOTA_FRAME_COLUMNS)
    problems += [
        problem(
            w.pop("code"), w.pop("message"), "请办事处确认任务数口径。", severity=Severity.WARNING, details=w
        )
        for w in _total_warnings(frame, settings, totals or [])
    ]
    return frame, problems


def _unreadable_warning(files: list[str], *, used_table: bool) -> Problem:
    """The programme-scope warning for quota tables that could not be read."""
    instead = "其余任务分配表中的数字" if used_table else "配置文件中的数字"
    return problem(
        "quota_from_config",
        f"任务分配表 {'、'.join(files)} 的表头无法识别，未采用；各社区任务数使用{instead}。"
        "请按数据问题清单（问题代码 quota_header）改正表头或在 config.toml [columns] 中加入表头写法后重新运行。",
        "请改正任务分配表的表头，或在 config.toml [columns] 中加入表头的写法。",
        severity=Severity.WARNING,
        file=files[0],
        details={"files": files},
    )


def _rows_by_community(table: pd.DataFrame) -> tuple[dict[str, dict[str, Any]], list[Problem]]:
    """The table's row per community (the last one wins), and a warning per repeated community."""
    from_table: dict[str, dict[str, Any]] = {}
    problems: list[Problem] = []
    for rec in table.to_dict("records"):
        key = rec["community"]
        if key in from_table:
            problems.append(
                problem(
                    "quota_duplicate",
                    f"任务分配表中 {key} 出现多次，以最后一行为准",
                    "请删除重复的行。",
                    severity=Severity.WARNING,
                    file=rec["src_file"],
                    sheet=rec["src_sheet"],
                    row=int(rec["src_row"]),
                    value=key,
                )
            )
        from_table[key] = rec
    return from_table, problems


def _from_config(c: Community, table_missing: bool) -> tuple[dict[str, Any], list[Problem]]:
    """The configured quotas of a community the table does not list (or with no table at all)."""
    row: dict[str, Any] = {"community": c.key, "name": c.name}
    row.update({f"quota_{t}": c.quota(t) for t in TESTS})
    row.update({f"weekly_{t}": c.weekly(t) for t in TESTS})
    row["source"] = "配置文件（任务分配表中无此社区）" if table_missing else "配置文件"
    if not table_missing:
        return row, []
    return row, [
        problem(
            "quota_missing",
            f"任务分配表中没有 {c.name}，使用配置文件中的任务数",
            "请确认任务分配表是否完整。",
            severity=Severity.WARNING,
            value=c.name,
        )
    ]


def _from_table(c: Community, rec: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """The table's quotas of a community, and a warning for each figure that differs from config."""
    row: dict[str, Any] = {"community": c.key, "name": c.name}
    problems: list[Problem] = []
    for t in TESTS:
        row[f"quota_{t}"] = float(rec[f"annual_{t}"])
        row[f"weekly_{t}"] = float(rec[f"weekly_{t}"])
        for what, configured in (("quota", c.quota(t)), ("weekly", c.weekly(t))):
            got = row[f"{what}_{t}"]
            if abs(got - configured) > 1e-9:
                label = "年度" if what == "quota" else "每周"
                problems.append(
                    problem(
                        "quota_differs",
                        f"{c.name}{label}{TEST_LABELS[t]}任务数：任务分配表为 {got:g}，配置文件为 "
                        f"{configured:g}，以任务分配表为准",
                        "如任务分配表有误，请改正后重新运行；如配置文件过时，请更新 config.toml。",
                        severity=Severity.WARNING,
                        file=rec["src_file"],
                        sheet=rec["src_sheet"],
                        row=int(rec["src_row"]),
                        value=f"{got:g}",
                    )
                )
    row["source"] = f"任务分配表（{rec['src_file']} 第{int(rec['src_row'])}行）"
    return row, problems


def _total_warnings(
    frame: pd.DataFrame, settings: Settings, totals: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Per test: the programme's declared goal against the sum of the quotas, then each 合计 row
    of the table against that sum."""
    sums = {t: float(frame[f"quota_{t}"].sum()) for t in TESTS}
    # When both tests sum alike (the seed's 306 / 306), one warning speaks for both.
    labels = {"nt": "超声NT筛查和血清学筛查各", "serum": ""} if sums["nt"] == sums["serum"] else TEST_LABELS
    declared = settings.quota.declared_total or settings.programme.goal
    warnings: list[dict[str, Any]] = []
    for t in TESTS:
        total = sums[t]
        if declared and abs(total - declared) > 1e-9 and labels[t]:
            warnings.append(_goal_warning(t, labels[t], declared, total))
        for entry in totals:
            stated = entry.get(f"annual_{t}")
            if stated is not None and abs(stated - total) > 1e-9:
                warnings.append(
                    {
                        "code": "table_total_vs_sum",
                        "test": t,
                        "declared": stated,
                        "sum": total,
                        "message": (
                            f"{TEST_LABELS[t]}：任务分配表合计行为 {stated:g}，各社区之和为 {total:g}"
                            f"（{entry['file']} 第{entry['row']}行）。"
                        ),
                    }
                )
    return warnings


def _goal_warning(test: str, label: str, declared: float, total: float) -> dict[str, Any]:
    return {
        "code": "goal_vs_quota_sum",
        "test": test,
        "declared": declared,
        "sum": total,
        "message": (
            f"{label}：方案目标任务为 {declared:g} 人，但各社区任务数合计为 {total:g} 人"
            f"（相差 {declared - total:g}）。可能的解释：差额为任务分配表（年度剩余任务）制定前"
            f"已完成的数量，或为未分配到社区的任务。本工具按各社区任务数考核，不自行取舍，请办事处确认。"
        ),
    }
