"""What the terminal shows after a run: short, Chinese, and never a full ID number or phone."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from pipeline.ids import mask_text
from pipeline.normalize import KIND_LABELS
from pipeline.problems import problems_frame

if TYPE_CHECKING:
    from pipeline.run import RunResult

TOP_PROBLEMS = 8


def run_report(result: RunResult) -> list[str]:
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
    frame = problems_frame(result.problems)
    top = frame[frame["severity"] != "提示"].head(TOP_PROBLEMS)
    for rec in top.to_dict("records"):
        where = rec["file"]
        if rec["sheet"]:
            where += f" [{rec['sheet']}]"
        if rec["row"] is not None and rec["row"] == rec["row"]:
            where += f" 第{int(rec['row'])}行"
        if rec["column"]:
            where += f" {rec['column']}"
        value = f"“{rec['value']}”" if rec["value"] else ""
        lines.append(mask_text(f"  [{rec['severity']}] {where} {value}：{rec['message']}"))
    remaining = len(frame[frame["severity"] != "提示"]) - len(top)
    if remaining > 0:
        lines.append(f"  …… 另有 {remaining} 条，见 数据问题.xlsx")
    for w in result.warnings:
        lines.append(f"注意：{w['message']}")
    return lines
