"""What the terminal shows after a run: short, Chinese, never a full ID number or phone, and never a
control character from a file name, sheet name or cell (escaped: a name cannot forge a line)."""

from __future__ import annotations

from collections import Counter

from pipeline.fmt import fmt_pct, printable, terminal_width
from pipeline.model import KIND_LABELS, Analysis
from pipeline.normalize.ids import mask_text
from pipeline.problems import Severity, for_display, is_programme_scope

TOP_PROBLEMS = 8


def run_report(result: Analysis) -> list[str]:
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
    counts = result.summary["problems"]
    lines.append(f"数据问题：错误 {counts['错误']} 条，警告 {counts['警告']} 条，提示 {counts['提示']} 条")
    frame = for_display(result.problems)
    serious = frame[(result.problems["severity"] != Severity.NOTE) & ~frame["code"].map(is_programme_scope)]
    # The same defect repeated in every submission (a wrong ID carried from roster to roster) is one line.
    groups = serious.groupby(["severity", "code", "column", "value", "message"], sort=False, dropna=False)
    shown = 0
    for (_sev, _code, _col, _val, _msg), block in groups:
        if shown == TOP_PROBLEMS:
            break
        rec = block.iloc[0]
        where = rec["file"]
        if rec["sheet"]:
            where += f" [{rec['sheet']}]"
        if rec["row"] is not None and rec["row"] == rec["row"]:
            where += f" 第{int(rec['row'])}行"
        if rec["column"]:
            where += f" {rec['column']}"
        value = f"“{rec['value']}”" if rec["value"] else ""
        more = f"（另有 {len(block) - 1} 处相同）" if len(block) > 1 else ""
        lines.append(printable(mask_text(f"  [{rec['severity']}] {where} {value}：{rec['message']}{more}")))
        shown += 1
    if groups.ngroups > shown:
        lines.append(f"  …… 另有 {groups.ngroups - shown} 类问题，完整清单见 数据问题.xlsx")
    for w in result.warnings:
        lines.append(printable(f"注意：{w['message']}"))
    lines.extend(ranking_lines(result.summary))
    return lines


def _pad(text: str, width: int) -> str:
    """Left-align in a terminal where CJK characters take two columns."""
    return text + " " * max(width - terminal_width(text), 1)


def ranking_lines(summary: dict) -> list[str]:  # type: ignore[type-arg]
    """The ranking as of the as-of date and the lagging communities of the last circular period."""
    communities = summary.get("communities") or []
    if not communities:
        return []
    lines = ["", f"排名（截至 {summary['as_of']}，按两项合计完成率）："]
    lines.append("  名次  社区        NT 完成/应完成   血清学 完成/应完成    完成率")
    for c in sorted(communities, key=lambda c: (c["rank"] is None, c["rank"] or 0, c["name"])):
        rank = "—" if c["rank"] is None else str(c["rank"])
        nt = f"{c['done']['nt']}/{c['expected']['nt']:.1f}"
        serum = f"{c['done']['serum']}/{c['expected']['serum']:.1f}"
        lines.append(f"  {rank:>3}   {_pad(c['name'], 12)}{nt:>10}   {serum:>14}      {fmt_pct(c['rate']):>6}")
    period = summary.get("circular_period")
    if period is None:
        lines.append("尚无已结束的通报期。")
        return lines
    lines.append("")
    lines.append(f"第{period['number']}期通报（{period['start']} 至 {period['end']}）：")
    lagging = [c for c in communities if c["lagging"]]
    if lagging:
        lines.append("  工作落后的社区：" + "、".join(c["name"] for c in lagging))
    else:
        lines.append("  本期没有落后社区（均达到应完成进度或无可比排名）。")
    for c in communities:
        if c["consequences"]:
            lines.append(f"  {c['name']}：{c['consequence']}")
    return lines
