"""Problems are data: each one names where it is (file, sheet, row, column), the value, what is
wrong and how to fix it, in Chinese. Stages collect them and return them; nothing is thrown.

Every problem has a stable ASCII ``code`` listed in :data:`CODES` with its Chinese title, the
severities it may carry and its scope; the severity is a :class:`Severity` (ASCII value, Chinese
label). A problem of ``programme`` scope concerns the programme's own data (the declared goal
against the quota table, a whole kind of input missing): those are the ``warnings[]`` of
``summary.json`` and the "注意：" lines of the terminal, and carry their figures in ``details``.
The problem frame of a run (:func:`problems_frame`) is built once, in ``pipeline.analyse``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any, Literal

import pandas as pd


class Severity(StrEnum):
    """How much a problem matters; the value is ASCII, :attr:`label` what people read."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"

    @property
    def label(self) -> str:
        return SEVERITY_LABELS[self]

    @property
    def rank(self) -> int:
        """0 for the most severe, for sorting."""
        return _SEVERITY_RANK[self]


SEVERITY_LABELS: dict[Severity, str] = {Severity.ERROR: "错误", Severity.WARNING: "警告", Severity.NOTE: "提示"}
_SEVERITY_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.NOTE: 2}
SEVERITIES: tuple[Severity, ...] = (Severity.ERROR, Severity.WARNING, Severity.NOTE)

Scope = Literal["file", "sheet", "row", "programme"]


@dataclass(frozen=True)
class CodeInfo:
    """One problem code: its Chinese title, the severities it may carry (the first is the usual
    one) and what it is about (a file, a sheet, a row, or the programme's own data)."""

    title: str
    severities: tuple[Severity, ...]
    scope: Scope = "row"


E, W, N = Severity.ERROR, Severity.WARNING, Severity.NOTE

# The catalogue of every code the pipeline emits (a test checks the pipeline against it and it
# against the README). Codes are never renamed: other tools may filter on them.
CODES: dict[str, CodeInfo] = {
    # --- files and sheets (load) ---
    "input_missing": CodeInfo("输入文件夹不存在或无法打开", (E,), "file"),
    "walk_error": CodeInfo("子文件夹无法读取", (W,), "file"),
    "skipped_lock": CodeInfo("Excel/WPS 临时锁文件，已跳过", (N,), "file"),
    "skipped_hidden": CodeInfo("隐藏文件，已跳过", (N,), "file"),
    "skipped_excluded": CodeInfo("输出文件夹中的文件，已跳过", (N,), "file"),
    "skipped_special": CodeInfo("不是普通文件，已跳过", (N,), "file"),
    "symlink_broken": CodeInfo("快捷方式（链接）指向的文件不存在", (W,), "file"),
    "symlink_outside": CodeInfo("快捷方式（链接）指向输入文件夹以外", (N,), "file"),
    "symlink_duplicate": CodeInfo("快捷方式（链接）与已读取的文件相同", (N,), "file"),
    "empty_file": CodeInfo("空文件", (E,), "file"),
    "file_too_large": CodeInfo("文件过大", (E,), "file"),
    "unknown_format": CodeInfo("文件格式无法识别", (E, N), "file"),
    "format_mismatch": CodeInfo("文件扩展名与实际格式不符", (N,), "file"),
    "encrypted": CodeInfo("文件有密码保护", (E,), "file"),
    "corrupt_zip": CodeInfo("文件已损坏或不完整", (E,), "file"),
    "zip_too_large": CodeInfo("文件解压后过大", (E,), "file"),
    "zip_bomb": CodeInfo("文件压缩比异常", (E,), "file"),
    "too_many_sheets": CodeInfo("工作表过多", (E,), "file"),
    "sheet_too_large": CodeInfo("工作表范围过大", (E,), "sheet"),
    "unreadable": CodeInfo("文件无法读取", (E,), "file"),
    "sheet_unreadable": CodeInfo("工作表无法读取", (E,), "sheet"),
    "chart_sheet": CodeInfo("图表工作表，没有数据", (N,), "sheet"),
    "all_sheets_empty": CodeInfo("工作表都是空的", (W,), "file"),
    "encoding_replaced": CodeInfo("个别字符无法识别，已替换", (W,), "file"),
    "nul_bytes": CodeInfo("文本文件中有空字符", (W,), "file"),
    "csv_line_too_long": CodeInfo("文本文件中有一行过长", (E,), "file"),
    "not_a_table": CodeInfo("文本文件不是表格", (E, N), "file"),
    "no_tables": CodeInfo("网页文件中没有表格", (E,), "file"),
    "no_sheets": CodeInfo("文件中没有可读取的工作表", (E,), "file"),
    # --- sheets and rows (normalize) ---
    "sheet_unknown": CodeInfo("无法识别的工作表", (N, W), "sheet"),
    "sheet_instructions": CodeInfo("填表说明等说明性工作表，已跳过", (N,), "sheet"),
    "row_skipped": CodeInfo("合计、示例、重复表头等行，未采用", (N,)),
    "formula_uncached": CodeInfo("公式没有计算结果", (E,)),
    "header_too_low": CodeInfo("表头超出查找范围，本表未读取", (E,), "sheet"),
    "header_in_one_cell": CodeInfo("表头写在一个单元格里，本表未读取", (E,), "sheet"),
    "tables_side_by_side": CodeInfo("同一工作表中并排有几个表，已分别读取", (N,), "sheet"),
    "hidden_sheet": CodeInfo("隐藏的工作表，已读取", (N,), "sheet"),
    "community_missing": CodeInfo("无法确定所属社区", (E,)),
    "community_unknown": CodeInfo("社区名称无法识别", (E,)),
    "community_ambiguous": CodeInfo("村（社区）名称在多个乡镇都有，无法确定", (E,)),
    "township_unknown": CodeInfo("乡镇名称无法识别", (W,)),
    "id_float": CodeInfo("身份证号被Excel存成了数字", (E,)),
    "id_length": CodeInfo("身份证号位数不对", (E,)),
    "id_chars": CodeInfo("身份证号含有不该有的字符", (E,)),
    "id_checksum": CodeInfo("身份证号校验位不对", (E,)),
    "id_birthdate": CodeInfo("身份证号中的出生日期无效", (E,)),
    "id_male": CodeInfo("身份证号第17位是单数（男性）", (E,)),
    "id_missing": CodeInfo("缺少身份证号，按姓名+电话识别", (W,)),
    "no_identity": CodeInfo("缺少身份证号且姓名或电话不全", (E,)),
    "phone_invalid": CodeInfo("联系电话无效", (N,)),
    "gest_invalid": CodeInfo("孕周无法识别", (W,)),
    "dates_unusable": CodeInfo("没有可用于推算孕周的日期", (W,)),
    "lmp_invalid": CodeInfo("末次月经日期无法识别", (W, N)),
    "edd_invalid": CodeInfo("预产期无法识别", (W,)),
    "reg_date_invalid": CodeInfo("登记日期无法识别", (W,)),
    "test_unknown": CodeInfo("无法确定筛查项目", (E,)),
    "screen_date_invalid": CodeInfo("筛查日期无法识别", (E,)),
    "log_id_fallback": CodeInfo("身份证号无法使用，已按姓名+电话匹配", (W,)),
    "quota_number": CodeInfo("任务数不是有效数字", (E,)),
    "quota_header": CodeInfo("任务分配表表头无法识别", (E,), "sheet"),
    "register_kind": CodeInfo("登记类型无法识别", (E,)),
    "close_reason": CodeInfo("销号原因无法识别", (E,)),
    # --- quotas ---
    "quota_duplicate": CodeInfo("任务分配表中社区重复", (W,)),
    "quota_missing": CodeInfo("任务分配表中缺少社区", (W,)),
    "quota_differs": CodeInfo("任务分配表与配置文件的任务数不同", (W,)),
    "quota_from_config": CodeInfo("任务分配表无法使用，任务数来自配置文件", (W,), "programme"),
    "goal_vs_quota_sum": CodeInfo("方案目标任务与各社区任务数合计不一致", (W,), "programme"),
    "table_total_vs_sum": CodeInfo("任务分配表合计行与各社区之和不一致", (W,), "programme"),
    # --- people and screenings (reconcile) ---
    "roster_undated": CodeInfo("花名册没有填报日期", (W,), "sheet"),
    "roster_conflict": CodeInfo("同一孕妇在两个社区的花名册上", (W,)),
    "screening_unassignable": CodeInfo("筛查无法计入任何社区", (W,)),
    # --- plausibility review (pipeline.review): questioned before anything is drafted ---
    "no_screening_log": CodeInfo("输入中没有筛查登记", (W,), "programme"),
    "no_quota_table": CodeInfo("输入中没有任务分配表，使用配置文件中的任务数", (W,), "programme"),
    "community_no_roster": CodeInfo("社区没有报送任何花名册", (W,), "programme"),
    "review_all_penalised": CodeInfo("所有社区都将被通报批评或处理", (W,), "programme"),
    "review_top_penalised": CodeInfo("排名第一的社区将被通报批评或处理", (W,), "programme"),
    "review_carried_on_target": CodeInfo("已达序时进度的社区仍延续此前的处理", (W,), "programme"),
}

PROBLEM_COLUMNS = ["file", "sheet", "row", "column", "value", "severity", "code", "message", "fix"]
PROBLEM_HEADERS = {
    "file": "文件",
    "sheet": "工作表",
    "row": "行号",
    "column": "列",
    "value": "内容",
    "severity": "严重程度",
    "code": "问题代码",
    "message": "问题",
    "fix": "如何改正",
}

DISPLAY_MAX_CHARS = 200


def shorten(text: str) -> str:
    """A value as shown in a problem: a very long text is cut (a 10 MB cell must not be printed in
    full or copied into every list), never leaving part of a number behind (no partial ID)."""
    if len(text) <= DISPLAY_MAX_CHARS:
        return text
    head = text[:DISPLAY_MAX_CHARS].rstrip("0123456789Xx")
    return f"{head}…（共 {len(text)} 个字符）"


@dataclass(frozen=True)
class Problem:
    """One data problem. ``row`` is the row number as the user sees it in Excel (1-based);
    ``details`` carries the figures of a programme-scope problem (for ``summary.json``)."""

    file: str
    sheet: str
    row: int | None
    column: str
    value: str
    severity: Severity
    code: str
    message: str
    fix: str
    details: tuple[tuple[str, Any], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def problem(
    code: str,
    message: str,
    fix: str = "",
    *,
    severity: Severity | None = None,
    file: str = "",
    sheet: str = "",
    row: int | None = None,
    column: str = "",
    value: Any = "",
    details: Mapping[str, Any] | None = None,
) -> Problem:
    """A problem of a catalogued ``code``; ``severity`` defaults to the code's usual one."""
    info = CODES[code]
    chosen = info.severities[0] if severity is None else Severity(severity)
    if chosen not in info.severities:
        raise ValueError(f"problem code {code!r} is not catalogued with severity {chosen.value!r}")
    return Problem(
        file=file,
        sheet=sheet,
        row=row,
        column=column,
        value="" if value is None else shorten(str(value)),
        severity=chosen,
        code=code,
        message=message,
        fix=fix,
        details=tuple((details or {}).items()),
    )


def is_programme_scope(code: str) -> bool:
    info = CODES.get(code)
    return info is not None and info.scope == "programme"


def problems_frame(*parts: Iterable[Problem] | pd.DataFrame) -> pd.DataFrame:
    """Problems (lists of objects and already-built frames, in that order) as one frame with the
    standard columns plus ``details`` and ``subject`` (who a row problem is about, for grouping), sorted by severity, file, sheet, row (stable: equal keys keep
    the order of ``parts``). Severity values are ASCII; :func:`for_display` gives the labels."""
    columns = [*PROBLEM_COLUMNS, "details", "subject"]
    frames = [
        part.reindex(columns=columns) if isinstance(part, pd.DataFrame)
        else pd.DataFrame([p.as_dict() for p in part], columns=columns)
        for part in parts
    ]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=columns)
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].reset_index(drop=True)
    frame["subject"] = frame["subject"].astype(object).where(frame["subject"].notna(), "")
    severity = frame["severity"].map(lambda s: Severity(s))
    frame = frame.assign(
        severity=severity.map(lambda s: s.value),
        _order=severity.map(lambda s: s.rank),
        _row=pd.to_numeric(frame["row"], errors="coerce").fillna(-1),
    )
    frame = frame.sort_values(["_order", "file", "sheet", "_row"], kind="stable")
    return frame.drop(columns=["_order", "_row"]).reset_index(drop=True)


def for_display(frame: pd.DataFrame) -> pd.DataFrame:
    """The problem frame as people read it: the severity as its Chinese label."""
    if frame.empty:
        return frame
    return frame.assign(severity=frame["severity"].map(lambda s: Severity(s).label))


def severity_counts(frame: pd.DataFrame) -> dict[str, int]:
    """``{"错误": n, "警告": n, "提示": n}`` (the keys of ``summary.json``'s ``problems``)."""
    counts = frame["severity"].value_counts() if len(frame) else pd.Series(dtype="int64")
    return {s.label: int(counts.get(s.value, 0)) for s in SEVERITIES}


def programme_warnings(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The programme-scope problems as ``summary.json``'s ``warnings[]``: code, figures, message."""
    if frame.empty:
        return []
    rows = frame[frame["code"].map(is_programme_scope)]
    return [{"code": r["code"], **dict(r["details"] or ()), "message": r["message"]} for r in rows.to_dict("records")]


def problem_records(frame: pd.DataFrame) -> list[Problem]:
    """The rows of a problem frame as :class:`Problem` objects (for code that reads a few)."""
    out = []
    for rec in frame.to_dict("records"):
        row = rec["row"]
        out.append(
            Problem(
                file=rec["file"], sheet=rec["sheet"], row=None if pd.isna(row) else int(row), column=rec["column"],
                value=rec["value"], severity=Severity(rec["severity"]), code=rec["code"], message=rec["message"],
                fix=rec["fix"], details=tuple(rec["details"]) if isinstance(rec["details"], tuple) else (),
            )
        )
    return out


GROUP_COLUMNS = [*PROBLEM_COLUMNS, "count", "files", "first", "last", "where", "locations"]


def problem_groups(
    frame: pd.DataFrame,
    report_dates: Mapping[tuple[str, str], str | None] | None = None,
    kinds: Mapping[tuple[str, str], str] | None = None,
) -> pd.DataFrame:
    """Problems counted by what the clerk must fix: the same problem of the same woman (or of the
    same cell value) repeated across submissions (every roster snapshot carries last month's typo
    again) is one group. Each group shows its latest occurrence (file, sheet, row: where to fix it),
    ``count`` occurrences in ``files`` files, the ``first`` and ``last`` file (by report date, then
    name), ``where`` ("出现在 N 份花名册（最早…，最新…）") and every location in ``locations``.
    Problems with neither a person nor a value (a whole sheet, a file) stay one group each."""
    if frame.empty:
        return pd.DataFrame(columns=GROUP_COLUMNS)
    dates = report_dates or {}
    sheet_kinds = kinds or {}
    work = frame.assign(
        _date=[dates.get((f, s)) or "" for f, s in zip(frame["file"], frame["sheet"], strict=True)],
        _key=_group_keys(frame),
    ).sort_values(["_date", "file", "sheet"], kind="stable")
    groups = []
    for (_sev, _code, _msg, _key), block in work.groupby(["severity", "code", "message", "_key"], sort=False, dropna=False):
        groups.append(_group_row(block, sheet_kinds))
    out = pd.DataFrame(groups, columns=GROUP_COLUMNS)
    order = out["severity"].map(lambda s: Severity(s).rank)
    out = out.assign(_order=order).sort_values(["_order", "file", "sheet"], kind="stable")
    return out.drop(columns="_order").reset_index(drop=True)


def _group_keys(frame: pd.DataFrame) -> pd.Series:
    """The person (row problems of rosters, logs, registers), else the value with its column,
    else the location itself (one group per problem)."""
    subject = frame["subject"].fillna("").astype(str) if "subject" in frame.columns else pd.Series("", index=frame.index)
    value = frame["value"].fillna("").astype(str)
    by_value = "V:" + frame["column"].fillna("").astype(str) + "|" + value
    by_place = "P:" + frame["file"].fillna("").astype(str) + "|" + frame["sheet"].fillna("").astype(str) + "|" + (
        frame["row"].astype(str)
    )
    keyed = subject.where(subject != "", by_value.where(value != "", by_place))
    return keyed


def _group_row(block: pd.DataFrame, kinds: Mapping[tuple[str, str], str]) -> dict[str, Any]:
    latest = block.iloc[-1]
    files = list(dict.fromkeys(block["file"].tolist()))
    locations = [
        f"{f}" + (f" [{s}]" if s else "") + (f" 第{int(r)}行" if r == r and r is not None else "")
        for f, s, r in zip(block["file"], block["sheet"], block["row"], strict=True)
    ]
    rosters = all(kinds.get((f, s)) == "roster" for f, s in zip(block["file"], block["sheet"], strict=True))
    what = "花名册" if rosters else "表格"
    where = f"出现在 {len(files)} 份{what}（最早 {files[0]}，最新 {files[-1]}）" if len(files) > 1 else ""
    return {
        **{c: latest[c] for c in PROBLEM_COLUMNS},
        "count": len(block),
        "files": len(files),
        "first": files[0],
        "last": files[-1],
        "where": where,
        "locations": "；".join(locations),
    }


def group_counts(groups: pd.DataFrame) -> dict[str, int]:
    """``{"错误": n, ...}`` over problem groups (``summary.json``'s ``problem_groups``)."""
    return severity_counts(groups)
