"""One raw sheet -> the frame of its data rows, mapped to field names, for the validators.

Takes a :class:`RawSheet`, the :class:`Vocabulary` and the settings; gives a :class:`SheetExtract`:
the sheet's kind; its data rows as raw cells under field names, with ``src_file``/``src_sheet``/
``src_row`` and the sheet-level hints (community, 乡镇, test and report date, read from the sheet
name, the title rows and the file name); the rows rejected for what they are (subtotal, example,
repeated header, footer note, serial-only rows); the :class:`SheetInfo`; the quota subtotal
lines. Never parses or checks a field's value (``validate`` does) and never opens a file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pipeline.model import SRC, RawSheet, SheetInfo
from pipeline.normalize.header import HEADER_SCAN_ROWS, Header, Vocabulary, find_header, quota_figures
from pipeline.normalize.shapes import (
    FormulaRows,
    formula_rows,
    formula_sheet_rows,
    hidden_note,
    split_side_by_side,
    unread_rows,
    unread_table,
)
from pipeline.problems import Problem, Severity, problem
from pipeline.settings import TEST_LABELS, TESTS, Settings
from pipeline.text import EXAMPLE_WORDS, SUBTOTAL_WORDS, clean, header_key

# ----------------------------------------------------------------------------------------------
# Sheet-level context: community, test, report date


_DATE_IN_TEXT = re.compile(
    r"(20\d{2})\s*[年\-./]\s*(\d{1,2})\s*[月\-./]\s*(\d{1,2})|(20\d{2})(\d{2})(\d{2})(?!\d)"
)
_SHORT_DATE = re.compile(r"(?<!\d)(\d{2})(\d{2})(?!\d)|(?<!\d)(\d{1,2})月(\d{1,2})[日号]")


def date_in_text(text: str, year: int | None = None) -> str | None:
    """The first date written in a title or file name, as ISO text; MMDD needs ``year``."""
    s = clean(text)
    m = _DATE_IN_TEXT.search(s)
    parts: tuple[str | None, ...]
    if m:
        parts = m.groups()[:3] if m.group(1) else m.groups()[3:]
        y, mo, d = (int(p) for p in parts if p is not None)
    elif year is not None and (m2 := _SHORT_DATE.search(s)):
        month, day = (m2.group(1), m2.group(2)) if m2.group(1) else (m2.group(3), m2.group(4))
        y, mo, d = year, int(month), int(day)
    else:
        return None
    try:
        return pd.Timestamp(year=y, month=mo, day=d).date().isoformat()
    except ValueError:
        return None


def _title_texts(rows: list[list[Any]], header_first: int) -> list[str]:
    """The filled cells above the header (titles, notes such as 填报日期), cleaned."""
    texts: list[str] = []
    for r in range(header_first):
        for v in rows[r]:
            if v is not None and str(v).strip():
                texts.append(clean(v))
    return texts


def _report_date(titles: list[str], file: str, year: int) -> tuple[str | None, str]:
    """A roster's report date and where it was read: after 填报日期 (or the like) in a title,
    else any full date in a title, else a date in the file name (MMDD taken in ``year``)."""
    for t in titles:
        if re.search(r"(填报|上报|报送)(日期|时间)", t):
            found = date_in_text(re.split(r"(填报|上报|报送)(日期|时间)", t, maxsplit=1)[-1], year)
            if found:
                return found, "标题中的填报日期"
    for t in titles:
        found = date_in_text(t)
        if found:
            return found, "标题中的日期"
    stem = file.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    found = date_in_text(stem, year)
    if found:
        return found, "文件名中的日期"
    return None, ""


# ----------------------------------------------------------------------------------------------
# Per-sheet extraction


@dataclass
class SheetExtract:
    """What one sheet gives the stage; ``frame`` and ``rejected`` together hold every non-blank row
    below the header."""

    kind: str
    frame: pd.DataFrame  # mapped raw columns + src + hints
    rejected: pd.DataFrame  # src + reason, rows rejected at sheet level (subtotal, footer...)
    problems: list[Problem]
    info: SheetInfo
    headers: dict[str, str]  # field -> the header label the user sees
    quota_totals: list[dict[str, Any]]


@dataclass(frozen=True)
class _Hints:
    """What a sheet says about all its rows outside its table: in its name, title rows, file name."""

    parent: str | None  # the 乡镇 (multi-level organisations only)
    community: str | None
    test: str | None  # screening logs only
    report_date: str | None  # rosters only
    context: str  # sheet name, titles and file path: where a 乡镇 column is resolved


@dataclass(frozen=True)
class _RowMarks:
    """What each data row's cells look like as text: filled, subtotal word, note text (per cell);
    example row, repeated header row (per row)."""

    filled: np.ndarray
    subtotal: np.ndarray
    note: np.ndarray
    example: np.ndarray
    repeated: np.ndarray

    def take(self, rows: np.ndarray) -> _RowMarks:
        return _RowMarks(*(a[rows] for a in (self.filled, self.subtotal, self.note, self.example, self.repeated)))

    @property
    def subtotal_rows(self) -> np.ndarray:
        return np.asarray(self.subtotal.any(axis=1), dtype=bool)


def extract_sheets(sheet: RawSheet, vocab: Vocabulary, settings: Settings) -> list[SheetExtract]:
    """One sheet, or each table of a sheet holding tables side by side, as :func:`extract_sheet`."""
    parts, notes = split_side_by_side(sheet, vocab)
    extracts = [extract_sheet(part, vocab, settings) for part in parts]
    extracts[0].problems[:0] = notes
    return extracts


def extract_sheet(sheet: RawSheet, vocab: Vocabulary, settings: Settings) -> SheetExtract:
    """One sheet: its header, its hints, its data rows under field names and the rows skipped
    for what they are (``rejected``; ``quiet`` rows have problems of their own). An empty sheet or
    one of unknown kind gives no rows, unless it still holds a table it cannot read (a header out
    of reach, formulas without values): then its rows are counted and rejected."""
    rows = sheet.rows
    if not rows or all(all(v is None or str(v).strip() == "" for v in r) for r in rows):
        return _formula_extract(sheet) if sheet.uncached else _empty_extract(sheet)
    header = find_header(rows, vocab)
    if header is None or header.kind == "unknown":
        return _unknown_extract(sheet, header, vocab)
    titles = _title_texts(rows, header.first_row)
    hints = _sheet_hints(sheet, header, titles, vocab, settings.programme.start.year)
    frame = _sheet_frame(rows, header.row + 1, len(header.labels))
    marks = _row_marks(frame.to_numpy(dtype=object), header)
    keep = np.asarray(marks.filled.any(axis=1), dtype=bool)
    frame, marks = frame[keep], marks.take(keep)
    reason, data_rows = _skip_reasons(marks, header)
    # A 合计 row of =SUM() stays a 合计 row; a row that only looked empty (its serial number or a
    # note the one value left) is a row of formulas.
    what_it_is = np.asarray(marks.subtotal_rows | marks.example | marks.repeated, dtype=bool)
    formulas = _formulas_in_data(sheet, header, frame.index, what_it_is)
    in_frame = frame.index.isin(list(formulas.columns))
    data_rows &= ~in_frame
    reason[in_frame] = None
    quota_problems: list[Problem] = []
    if header.kind == "quota" and (missing := _missing_quota_figures(_given_figures(header))):
        # Without a column for each figure no line of the table can be read: one error for the
        # sheet, naming its header and the aliases to add, and every line rejected for it.
        quota_problems.append(_quota_header_problem(sheet, header, missing, community=True))
        reason = np.where(data_rows, QUOTA_HEADER_REASON, reason)
        data_rows = np.zeros(len(data_rows), dtype=bool)
    quota_totals = _quota_totals(sheet, frame[marks.subtotal_rows], header) if header.kind == "quota" else []
    skipped = pd.DataFrame(
        {
            "src_file": sheet.file,
            "src_sheet": sheet.sheet,
            "src_row": frame.index[~data_rows & (reason != None)].to_numpy(dtype=np.int64),  # noqa: E711
            "reason": reason[~data_rows & (reason != None)],  # noqa: E711
            "quiet": False,
        }
    )
    headers = {f: header.labels[c] for f, c in header.fields.items()}
    # Rows holding nothing but formulas without values were not in the frame: they count too.
    hidden_rows = len(set(formulas.columns) - set(frame.index))
    info = SheetInfo(
        file=sheet.file,
        sheet=sheet.sheet,
        kind=header.kind,
        header_row=header.row + 1,
        columns=dict(headers),
        community=hints.community,
        test=hints.test,
        report_date=hints.report_date,
        rows=len(frame) + hidden_rows,
    )
    problems = [*quota_problems, *formulas.problems(sheet)]
    if sheet.hidden and info.rows:
        problems.append(hidden_note(sheet, info.rows))
    rejected = pd.concat([skipped, formulas.frame(sheet)], ignore_index=True) if formulas.columns else skipped
    mapped = _mapped_frame(sheet, frame[data_rows], header, hints, vocab)
    return SheetExtract(header.kind, mapped, rejected, problems, info, headers, quota_totals)


def _formulas_in_data(sheet: RawSheet, header: Header, index: pd.Index, what_it_is: np.ndarray) -> FormulaRows:
    """The rows below the header to reject for formulas without values: rows whose read columns
    hold one, and rows holding nothing but such formulas; not the rows ``what_it_is`` marks
    (subtotal, example, repeated header rows)."""
    if not sheet.uncached:
        return FormulaRows({})
    # Columns whose value the rules read (a serial number or a note written as a formula is no loss).
    mapped = {c for f, c in header.fields.items() if f not in ("serial", "note")} | set(header.test_columns)
    filled = {int(r) - 1 for r in index}  # 0-based rows with some content
    found = formula_rows(sheet, header.row + 1, header.labels, mapped, filled)
    skipped = {int(r) for r, marked in zip(index, what_it_is, strict=True) if marked}
    return FormulaRows({r: cols for r, cols in found.columns.items() if r not in skipped})


def _no_skipped_rows() -> pd.DataFrame:
    return pd.DataFrame(columns=[*SRC, "reason", "quiet"])


def _empty_extract(sheet: RawSheet) -> SheetExtract:
    info = SheetInfo(file=sheet.file, sheet=sheet.sheet, kind="empty", reason="工作表为空")
    return SheetExtract("empty", pd.DataFrame(), _no_skipped_rows(), [], info, {}, [])


# ----------------------------------------------------------------------------------------------
# A quota table that cannot be read

QUOTA_HEADER_REASON = "任务分配表表头无法识别"
_FIGURE_LABELS = {"annual": "年度", "weekly": "每周"}
_QUOTA_WORDS = re.compile(r"任务分配|分配表|任务数|应完成人数")


def _missing_quota_figures(given: set[tuple[str, str]]) -> list[tuple[str, str]]:
    """The (test, "annual"/"weekly") figures not among ``given``, in the order people read them."""
    return [(t, what) for what in ("annual", "weekly") for t in TESTS if (t, what) not in given]


def _given_figures(header: Header) -> set[tuple[str, str]]:
    return {pair for pairs in header.test_columns.values() for pair in pairs}


def _quota_header_problem(
    sheet: RawSheet, header: Header | None, missing: list[tuple[str, str]], *, community: bool
) -> Problem:
    """The error for a quota table whose header does not give every figure (or, ``community``
    False, names no community column): its file and sheet, its header as written, what is
    missing and which ``[columns]`` aliases to add."""
    if header is not None:
        labels = [label for label in header.labels if label]
        mapped = set(header.fields.values()) | set(header.test_columns)
        unread = [label for c, label in enumerate(header.labels) if label and c not in mapped]
    else:
        labels = unread = _likely_header(sheet.rows)
    wanted = [f"{_FIGURE_LABELS[what]}{TEST_LABELS[t]}任务数" for t, what in missing]
    if not community:
        wanted.insert(0, "社区名称")
    unread_text = "、".join(f"“{label}”" for label in unread[:8])
    shown = "｜".join(labels[:12])
    return problem(
        "quota_header",
        f"任务分配表的表头无法识别：找不到{'、'.join(wanted)}的列（表头：{shown or '无'}）。"
        "此表未采用，各社区任务数改用配置文件中的数字。",
        "请把表头中各列的写法加入 config.toml 的 [columns]：社区名称列加入 community，年度任务数列加入 annual，"
        "每周任务数列加入 weekly；列名需写明超声NT或血清学（写“超声NT筛查及血清学筛查各应完成人数”表示两项相同）"
        + (f"。未识别的列：{unread_text}。" if unread_text else "。"),
        severity=Severity.ERROR,
        file=sheet.file,
        sheet=sheet.sheet,
        row=header.row + 1 if header is not None else None,
        value=shown[:80],
    )


def _likely_header(rows: list[list[Any]]) -> list[str]:
    """The texts of the first row that looks like a header (two or more filled cells, all text),
    for a sheet where no row names two known columns."""
    for row in rows[:HEADER_SCAN_ROWS]:
        cells = [v for v in row if v is not None and str(v).strip()]
        if len(cells) >= 2 and all(isinstance(v, str) for v in cells):
            return [clean(v) for v in cells]
    return []


def _looks_like_quota(sheet: RawSheet, header: Header | None) -> bool:
    """An unrecognised sheet that is probably a quota table: its name, file name or first rows
    speak of 任务分配 / 应完成人数, and it names no person."""
    if header is not None and {"name", "id"} & set(header.fields):
        return False
    texts = [sheet.sheet, sheet.file.rsplit("/", 1)[-1], *(v for r in sheet.rows[:5] for v in r if v is not None)]
    return any(_QUOTA_WORDS.search(clean(t)) for t in texts)


def _counted_unknown(sheet: RawSheet, src_rows: list[int], reason: str, problems: list[Problem],
                     header_row: int | None = None) -> SheetExtract:
    """A sheet of unknown kind whose rows are counted and rejected with ``reason`` (the problems
    say why and how to fix it)."""
    rejected = pd.DataFrame(
        {
            "src_file": sheet.file,
            "src_sheet": sheet.sheet,
            "src_row": pd.Series(src_rows, dtype="int64"),
            "reason": reason,
            "quiet": True,
        }
    )
    info = SheetInfo(
        file=sheet.file, sheet=sheet.sheet, kind="unknown", reason=reason, header_row=header_row,
        rows=len(src_rows), rejected=len(src_rows),
    )
    return SheetExtract("unknown", pd.DataFrame(), rejected, problems, info, {}, [])


def _formula_extract(sheet: RawSheet) -> SheetExtract:
    """A sheet whose every filled cell is a formula without a value: its rows counted and
    rejected, each with its problem."""
    formulas = formula_sheet_rows(sheet)
    extract = _counted_unknown(sheet, sorted(formulas.columns), "公式没有计算结果，本行未读取", formulas.problems(sheet))
    extract.rejected = formulas.frame(sheet)
    return extract


def _unknown_extract(sheet: RawSheet, header: Header | None, vocab: Vocabulary) -> SheetExtract:
    """A sheet with no header in reach, or one whose columns fit no kind: a table it still holds
    is counted and rejected; otherwise one problem, no rows."""
    unread = unread_table(sheet, vocab)
    if unread is not None:
        rows = unread_rows(sheet, unread)
        return _counted_unknown(sheet, rows, unread.reason, [unread.problem], unread.header_row + 1)
    if sheet.uncached:
        return _formula_extract(sheet)
    return _plain_unknown_extract(sheet, header, vocab)


def _plain_unknown_extract(sheet: RawSheet, header: Header | None, vocab: Vocabulary) -> SheetExtract:
    """A sheet with no header, or one whose columns fit no kind: one problem, no rows."""
    reason = (
        "未找到可识别的表头（需要如 姓名、身份证号、末次月经、筛查日期、社区名称 等列名）"
        if header is None or not header.fields
        else "表头中的列不足以判断是花名册、筛查登记、任务分配表还是办事处登记"
    )
    info = SheetInfo(file=sheet.file, sheet=sheet.sheet, kind="unknown", reason=reason)
    if header is not None:
        info.header_row = header.row + 1
        info.columns = {f: header.labels[c] for f, c in header.fields.items()}
    if _looks_like_quota(sheet, header):
        info.reason = QUOTA_HEADER_REASON
        given = quota_figures(header.labels, vocab) if header is not None else set()
        community = header is not None and "community" in header.fields
        found = _quota_header_problem(sheet, header, _missing_quota_figures(given), community=community)
        return SheetExtract("unknown", pd.DataFrame(), _no_skipped_rows(), [found], info, {}, [])
    texts = [clean(v) for r in sheet.rows[:5] for v in r if v is not None]
    if _is_instructions(sheet.sheet, texts) and (header is None or not header.fields):
        note = problem(
            "sheet_instructions",
            "填表说明等说明性工作表，不含数据，已跳过。",
            "无需处理。",
            file=sheet.file,
            sheet=sheet.sheet,
            value=sheet.sheet,
        )
        info.kind = "instructions"
        return SheetExtract("instructions", pd.DataFrame(), _no_skipped_rows(), [note], info, {}, [])
    unknown = problem(
        "sheet_unknown",
        f"无法识别此工作表：{reason}。",
        "如果这是需要统计的表，请确认表头包含规定的列名（见配置文件 [columns]），否则可忽略。",
        severity=Severity.NOTE if len(sheet.rows) < 40 else Severity.WARNING,
        file=sheet.file,
        sheet=sheet.sheet,
        value="；".join(texts[:3])[:80],
    )
    return SheetExtract("unknown", pd.DataFrame(), _no_skipped_rows(), [unknown], info, {}, [])


_INSTRUCTION_WORDS = ("填表说明", "填写说明", "说明", "注意事项", "填报要求")


def _is_instructions(name: str, texts: list[str]) -> bool:
    """An instructions sheet (the tool's own templates carry one, many offices' forms too): its name
    or its first line says so."""
    first = texts[0] if texts else ""
    return any(w in name for w in _INSTRUCTION_WORDS) or any(first.endswith(w) or w in first[:12] for w in _INSTRUCTION_WORDS[:2])


def _sheet_hints(
    sheet: RawSheet, header: Header, titles: list[str], vocab: Vocabulary, year: int
) -> _Hints:
    """The parent (乡镇), community and test from the sheet name, titles and file path; a roster's
    report date from its titles or file name (``year`` for a date written as MMDD)."""
    context = " ".join((sheet.sheet, *titles, sheet.file))
    parent = _sheet_parent(sheet, titles, vocab, context)
    community = _first(vocab.resolver.in_text(source, parent).key for source in (sheet.sheet, *titles, sheet.file))
    test = None
    if header.kind == "log":
        date_label = header.labels[header.fields["screen_date"]]
        sources = (date_label, sheet.sheet, *titles, sheet.file.rsplit("/", 1)[-1])
        test = _first(vocab.test_in(source) for source in sources)
    report_date = _report_date(titles, sheet.file, year)[0] if header.kind == "roster" else None
    return _Hints(parent, community, test, report_date, context)


def _sheet_parent(sheet: RawSheet, titles: list[str], vocab: Vocabulary, context: str) -> str | None:
    """The parent (乡镇) the sheet names, from its most specific source: the folder, then the
    sheet name, the title rows, the file name. A township name that several counties share is
    decided by the county named anywhere in ``context`` (folder path, titles)."""
    if not vocab.parents:
        return None
    folder, _, name = sheet.file.rpartition("/")
    return vocab.parents.first_of((folder, sheet.sheet, *titles, name), context)


def _first(values: Iterable[str | None]) -> str | None:
    return next((v for v in values if v), None)


def _sheet_frame(rows: list[list[Any]], start: int, width: int) -> pd.DataFrame:
    """The rows from ``start`` on as an object frame ``width`` columns wide, indexed by row number."""
    body = [(r + [None] * (width - len(r)))[:width] for r in rows[start:]]
    frame = pd.DataFrame(body, columns=range(width), dtype=object)
    frame.index = pd.RangeIndex(start + 1, start + 1 + len(body))  # Excel row numbers
    return frame


def _row_marks(values: np.ndarray, header: Header) -> _RowMarks:
    """Row-level tests on the cells as text. Most rows are plain records: a cheap scan of each
    row's text finds the few that may be a subtotal, example, repeated header or note row, or hold
    a blank-looking cell, and only those are examined cell by cell (the same tests on every row
    would cost a Python call per cell)."""
    header_cells = np.array([header_key(x) for x in header.labels], dtype=object)
    filled = np.asarray(values != None, dtype=bool)  # noqa: E711 - elementwise, not identity
    candidate = _candidate_rows(values, [k for k in header_cells if k]) | (filled.sum(axis=1) <= 1)
    subtotal = np.zeros(values.shape, dtype=bool)
    note = np.zeros(values.shape, dtype=bool)
    example = np.zeros(len(values), dtype=bool)
    repeated = np.zeros(len(values), dtype=bool)
    if candidate.any():
        found = _examine_rows(values[candidate], header_cells)
        filled[candidate], subtotal[candidate], note[candidate] = found.filled, found.subtotal, found.note
        example[candidate], repeated[candidate] = found.example, found.repeated
    return _RowMarks(filled, subtotal, note, example, repeated)


def _examine_rows(cells: np.ndarray, header_cells: np.ndarray) -> _RowMarks:
    """The cell-by-cell tests of :func:`_row_marks` on the candidate rows' cells."""
    text = pd.Series(cells.ravel(), dtype=object).map(lambda v: "" if v is None else str(v).strip())
    text = text.astype("string")
    filled = text.to_numpy(dtype=object).reshape(cells.shape) != ""
    squashed_flat = text.str.replace(r"[\s\u3000:：]+", "", regex=True)
    squashed = squashed_flat.to_numpy(dtype=object).reshape(cells.shape)
    subtotal = squashed_flat.str.match(r"^(合计|小计|总计)") | squashed_flat.isin(list(SUBTOTAL_WORDS))
    note = text.str.contains(r"[:：]|说明|备注|填表人|审核人", regex=True)
    return _RowMarks(
        filled=filled,
        subtotal=subtotal.to_numpy(dtype=bool).reshape(cells.shape),
        note=note.to_numpy(dtype=bool).reshape(cells.shape),
        example=np.asarray(np.isin(squashed, list(EXAMPLE_WORDS)).any(axis=1), dtype=bool),
        repeated=((squashed == header_cells[None, :]) & filled).sum(axis=1) >= 2,
    )


def _skip_reasons(marks: _RowMarks, header: Header) -> tuple[np.ndarray, np.ndarray]:
    """Rows rejected for what they are, before any field is read (the first reason applies):
    the reason per row (None for a data row) and the mask of the data rows."""
    n_filled = marks.filled.sum(axis=1)
    reason = np.full(len(n_filled), None, dtype=object)
    data_rows = np.ones(len(n_filled), dtype=bool)
    row_tests = [
        (marks.subtotal_rows, "合计行（不是个人记录）"),
        (marks.example, "示例行（填表示例，不计入）"),
        (marks.repeated, "重复的表头行"),
        ((n_filled == 1) & marks.note.any(axis=1), "表尾说明行（不是个人记录）"),
    ]
    if "serial" in header.fields:
        row_tests.append(((n_filled == 1) & marks.filled[:, header.fields["serial"]], "只有序号的空行"))
    for mask, text in row_tests:
        hit = mask & data_rows
        reason[hit] = text
        data_rows &= ~hit
    return reason, data_rows


def _quota_totals(sheet: RawSheet, subtotals: pd.DataFrame, header: Header) -> list[dict[str, Any]]:
    """The numbers on a quota table's subtotal rows, per test column (kept to compare with the
    sum of the table's lines)."""
    totals: list[dict[str, Any]] = []
    for r in subtotals.index:
        entry: dict[str, Any] = {"file": sheet.file, "sheet": sheet.sheet, "row": int(r)}
        for c, pairs in header.test_columns.items():
            for t, what in pairs:
                entry[f"{what}_{t}"] = _number(subtotals.at[r, c])
        totals.append(entry)
    return totals


def _mapped_frame(
    sheet: RawSheet, data: pd.DataFrame, header: Header, hints: _Hints, vocab: Vocabulary
) -> pd.DataFrame:
    """The data rows' cells under field names, with their source and the sheet's hints."""
    # The mapped columns in one object block (column by column assignment costs per sheet).
    pairs = [(c, f"{what}_{t}") for c, figures in header.test_columns.items() for t, what in figures]
    names = [*header.fields, *(name for _, name in pairs)]
    positions = [*header.fields.values(), *(c for c, _ in pairs)]
    block = data.to_numpy(dtype=object)[:, positions] if positions else np.empty((len(data), 0), dtype=object)
    mapped = pd.DataFrame(block, columns=names, index=data.index, dtype=object)
    mapped.insert(0, "src_row", data.index.to_numpy(dtype=np.int64))
    mapped.insert(0, "src_sheet", sheet.sheet)
    mapped.insert(0, "src_file", sheet.file)
    mapped["sheet_community"] = hints.community
    mapped["sheet_parent"] = hints.parent
    if vocab.parents:
        # Where the sheet came from (sheet name, titles, folder path): a 乡镇 column naming a
        # township that several counties have is resolved within the county named here.
        mapped["sheet_context"] = hints.context
    mapped["sheet_test"] = hints.test
    mapped["report_date"] = hints.report_date
    return mapped.reset_index(drop=True)


_ROW_GAP = r"[\s\u3000:：]*"
_BLANK_CELL = re.compile(r"[\x00\x01]\s+(?=[\x00\x01])")


def _candidate_rows(values: np.ndarray, header_keys: Sequence[str]) -> np.ndarray:
    """Rows whose text may make them a subtotal, example or repeated header row, or that hold a
    cell of only spaces: a superset of the rows the cell-by-cell tests in :func:`extract_sheet`
    can reject (a note row has one filled cell and is added by the caller)."""
    if not len(values):
        return np.zeros(0, dtype=bool)
    words = {*SUBTOTAL_WORDS, *EXAMPLE_WORDS, *header_keys}
    pattern = re.compile(
        "|".join(_ROW_GAP.join(map(re.escape, w)) for w in sorted(words, key=len, reverse=True) if w)
    )
    lines = ["\x00".join(map(str, r)) for r in values.tolist()]
    text = "\x01" + "\x01".join(lines) + "\x01"
    starts = np.cumsum([1] + [len(line) + 1 for line in lines[:-1]])
    hits = [m.start() for m in pattern.finditer(text)]
    hits += [m.start() + 1 for m in _BLANK_CELL.finditer(text)]
    out = np.zeros(len(lines), dtype=bool)
    if hits:
        out[np.searchsorted(starts, np.asarray(hits), side="right") - 1] = True
    return out


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(clean(value))
    except ValueError:
        return None
