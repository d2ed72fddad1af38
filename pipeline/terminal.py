"""What the terminal shows after a run: short, Chinese, never a full ID number or phone, and never a
control character from a file name, sheet name or cell (escaped: a name cannot forge a line)."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from pipeline.fmt import fmt_num, fmt_pct, printable, terminal_width
from pipeline.model import KIND_LABELS, Analysis
from pipeline.normalize.ids import mask_text
from pipeline.problems import Severity, for_display, is_programme_scope
from pipeline.settings import Settings
from pipeline.wording import OrgWords, org_words

TOP_PROBLEMS = 8


def run_report(result: Analysis, settings: Settings) -> list[str]:
    acc = result.summary["accounting"]
    norm = result.normalized
    readable = sum(1 for f in result.files if f.readable)
    kinds = Counter(s.kind for s in norm.sheets)
    lines = [
        f"截至日期：{result.as_of.isoformat()}",
        f"读取文件：{len(result.files)} 个（可读 {readable} 个），工作表 {len(norm.sheets)} 个："
        + "，".join(f"{KIND_LABELS[k]} {n}" for k, n in kinds.items()),
        f"数据行：共 {acc['input_rows']} 行 = 采用 {acc['accepted_rows']} 行 + 未采用 {acc['rejected_rows']} 行"
        f"（花名册 {acc['roster_rows']}，筛查登记 {acc['log_rows']}，任务分配 {acc['quota_rows']}，"
        f"办事处登记 {acc['register_rows']}）",
    ]
    lines += problem_lines(result)
    lines.extend(quota_source_lines(result.summary))
    for w in result.warnings:
        lines.append(printable(f"注意：{w['message']}"))
    lines.extend(ranking_lines(result.summary, org_words(settings)))
    return lines


def problem_lines(result: Analysis, limit: int | None = TOP_PROBLEMS) -> list[str]:
    """The problems counted by what the clerk must fix (a typo repeated in every roster snapshot is
    one), the most severe first; ``limit`` groups at most (None: every error and warning)."""
    groups, rows = result.summary["problem_groups"], result.summary["problems"]
    lines = [
        "数据问题："
        + "，".join(f"{label} {groups[label]} 项（{rows[label]} 处）" for label in groups)
        + "；同一问题在多份花名册中重复出现只算一项，逐处清单见 数据问题.xlsx"
    ]
    frame = result.problem_groups
    serious = frame[(frame["severity"] != Severity.NOTE) & ~frame["code"].map(is_programme_scope)]
    shown = serious if limit is None else serious.head(limit)
    for rec in for_display(shown).to_dict("records"):
        lines.append(printable(mask_text(f"  [{rec['severity']}] {location(rec)}：{rec['message']}" + (
            f"；{rec['where']}" if rec["where"] else ""))))
    if len(serious) > len(shown):
        lines.append(f"  …… 另有 {len(serious) - len(shown)} 项错误和警告，完整清单见 数据问题.xlsx")
    return lines


def location(rec: dict[str, Any]) -> str:
    """file [sheet] 第N行 column “value”, as the problem lists show it."""
    where = rec["file"]
    if rec["sheet"]:
        where += f" [{rec['sheet']}]"
    if rec["row"] is not None and rec["row"] == rec["row"]:
        where += f" 第{int(rec['row'])}行"
    if rec["column"]:
        where += f" {rec['column']}"
    return where + (f" “{rec['value']}”" if rec["value"] else "")
# "任务分配表（任务分配表.xlsx 第4行）" -> "任务分配表（任务分配表.xlsx）": one table, one source.
_TABLE_ROW = re.compile(r"^(任务分配表（.*) 第\d+行）$")


def quota_source_lines(summary: dict) -> list[str]:  # type: ignore[type-arg]
    """Where the quotas in force came from (summary.json's ``quotas[].source``), as one line:
    the quota table, or the config file and why."""
    sources = Counter(_TABLE_ROW.sub(r"\1）", str(q["source"])) for q in summary.get("quotas") or [])
    if not sources:
        return []
    return ["任务数来源：" + "，".join(f"{s}{'' if s.endswith('）') else ' '}{n} 个" for s, n in sources.items())]


def display_name(community: dict) -> str:  # type: ignore[type-arg]
    """The name people read (the shortest unambiguous path), for summaries written before it."""
    return str(community.get("display_name") or community["name"])


def _pad(text: str, width: int) -> str:
    """Left-align in a terminal where CJK characters take two columns."""
    return text + " " * max(width - terminal_width(text), 1)


def ranking_lines(summary: dict, org: OrgWords) -> list[str]:  # type: ignore[type-arg]
    """The ranking as of the as-of date and the lagging communities of the last circular period,
    in the organisation's words (``org``: 社区, 村（社区）)."""
    communities = summary.get("communities") or []
    if not communities:
        return []
    lines = ["", f"排名（截至 {summary['as_of']}，按两项合计完成率）："]
    lines.append(f"  名次  {_pad(org.unit, 12)}NT 完成/应完成   血清学 完成/应完成    完成率")
    for c in sorted(communities, key=lambda c: (c["rank"] is None, c["rank"] or 0, c["name"])):
        rank = "—" if c["rank"] is None else str(c["rank"])
        nt = f"{c['done']['nt']}/{fmt_num(c['expected']['nt'])}"
        serum = f"{c['done']['serum']}/{fmt_num(c['expected']['serum'])}"
        lines.append(f"  {rank:>3}   {_pad(display_name(c), 12)}{nt:>10}   {serum:>14}      {fmt_pct(c['rate']):>6}")
    period = summary.get("circular_period")
    if period is None:
        lines.append("尚无已结束的通报期。")
        return lines
    lines.append("")
    lines.append(f"第{period['number']}期通报（{period['start']} 至 {period['end']}）：")
    lagging = [c for c in communities if c["lagging"]]
    if lagging:
        lines.append(f"  工作落后的{org.unit}：" + "、".join(display_name(c) for c in lagging))
    else:
        lines.append(f"  本期没有落后{org.unit}（均达到序时进度或无可比排名）。")
    # 通报表扬 / 通报批评 (the configured texts), each with its communities; neither for the rest.
    by_text: dict[str, list[str]] = {}
    for c in communities:
        if c.get("commendation"):
            by_text.setdefault(c["commendation"], []).append(display_name(c))
    lines.extend(f"  {text}：" + "、".join(names) for text, names in by_text.items())
    for c in communities:
        if c["consequences"]:
            lines.append(f"  {display_name(c)}：{c['consequence']}")
    return lines
