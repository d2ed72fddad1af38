"""Raw cell grids -> typed frames of roster people, screening records, quota lines and register
entries, plus the rejected rows (each with its reason) and the problems.

Pure: no file I/O, no clock. Every non-blank row below a recognised header ends in exactly one
place: one of the accepted frames or ``rejected``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pipeline.model import (
    LOG_COLUMNS,
    QUOTA_COLUMNS,
    REGISTER_COLUMNS,
    REJECTED_COLUMNS,
    ROSTER_COLUMNS,
    SRC,
    FileResult,
    Normalized,
    RawSheet,
    SheetInfo,
)
from pipeline.normalize.dates import parse_dates, parse_gestation
from pipeline.normalize.ids import normalize_ids, normalize_phones
from pipeline.problems import Problem, problem, shorten
from pipeline.settings import TEST_LABELS, Settings
from pipeline.text import (
    EXAMPLE_WORDS,
    SUBTOTAL_WORDS,
    CommunityResolver,
    ParentResolver,
    clean,
    clean_series,
    header_key,
    header_key_without_parens,
    squash,
)

REGISTER_KINDS = {
    "个案销号": "close",
    "销号": "close",
    "人工合并": "merge",
    "合并": "merge",
    "产前诊断结果": "diagnosis",
    "产前诊断": "diagnosis",
    "纸质花名册": "paper",
    "纸质花名册签收": "paper",
}
CLOSE_REASONS = ("分娩", "流产", "迁出", "外院已筛", "拒检")
HEADER_SCAN_ROWS = 40

# ----------------------------------------------------------------------------------------------
# Headers


class Vocabulary:
    """The header aliases and test words from the settings, keyed for comparison."""

    def __init__(self, settings: Settings) -> None:
        self.aliases: dict[str, set[str]] = {}
        for name, aliases in vars(settings.columns).items():
            for alias in aliases:
                self.aliases.setdefault(header_key(alias), set()).add(name)
        self.test_words = {
            test: sorted({header_key(w) for w in getattr(settings.tests, test)}, key=len, reverse=True)
            for test in ("nt", "serum")
        }
        self.high_risk = tuple(squash(w) for w in settings.tests.high_risk)
        self.resolver = CommunityResolver(
            (c.key, c.name, c.short, c.variants) for c in settings.communities
        )
        self.communities = list(settings.communities)
        self._fields_cache: dict[str, frozenset[str]] = {}
        # Parents (乡镇) of a multi-level organisation; empty for a flat one.
        self.parents = ParentResolver(c.parent for c in settings.communities)
        self.weekly_keys = {header_key(a) for a in settings.columns.weekly}
        self.annual_keys = {header_key(a) for a in settings.columns.annual}

    def fields(self, text: object) -> set[str]:
        if isinstance(text, str):
            if text.isascii() and not any(ch.isalpha() for ch in text):
                return set()  # digits and punctuation (IDs, phones, dates) name no field
            cached = self._fields_cache.get(text)
            if cached is None:
                cached = self._fields_cache[text] = frozenset(self._fields(text))
            return set(cached)
        return self._fields(text)

    def _fields(self, text: object) -> set[str]:
        key = header_key(text)
        if not key:
            return set()
        found = self.aliases.get(key) or self.aliases.get(header_key_without_parens(text))
        return set(found) if found else set()

    def test_in(self, text: object) -> str | None:
        """Which test a free text names (a header, sheet or file name), if exactly one."""
        key = header_key(text)
        hits = {t for t, words in self.test_words.items() if any(w in key for w in words)}
        return hits.pop() if len(hits) == 1 else None


def _is_text_cell(value: Any) -> bool:
    return isinstance(value, str) and not re.fullmatch(r"[\d\s.\-/年月日]+", value.strip() or "0")


def _row_cells(rows: list[list[Any]], r: int, width: int) -> list[Any]:
    row = rows[r] if r < len(rows) else []
    return [(row[c] if c < len(row) else None) for c in range(width)]


def _nonempty(cells: Sequence[Any]) -> list[int]:
    return [i for i, v in enumerate(cells) if v is not None and str(v).strip() != ""]


def _header_like(cells: Sequence[Any], vocab: Vocabulary) -> bool:
    filled = _nonempty(cells)
    if len(filled) < 2:
        return False
    if not all(_is_text_cell(cells[i]) for i in filled):
        return False
    return not any(re.search(r"[:：]", str(cells[i])) for i in filled)


def _forward_fill(cells: Sequence[Any]) -> list[str]:
    out: list[str] = []
    last = ""
    for v in cells:
        text = clean(v)
        if text:
            last = text
        out.append(text or last)
    return out


@dataclass
class Header:
    row: int  # 0-based index of the last header row
    first_row: int
    labels: list[str]  # per column, the text shown to users
    fields: dict[str, int]  # field -> column index
    kind: str
    test_columns: dict[int, tuple[str, str]] = field(default_factory=dict)  # quota columns


def _score(cells: Sequence[Any], vocab: Vocabulary) -> int:
    found: set[str] = set()
    for v in cells:
        if isinstance(v, str):
            found |= vocab.fields(v)
    return len(found)


def _classify(fields: set[str]) -> str:
    ident = bool({"name", "id"} & fields)
    if {"register_kind", "merge_id", "reason"} & fields and ident | ("community" in fields):
        return "register"
    if "screen_date" in fields and ident:
        return "log"
    if ident and ({"lmp", "edd", "gest_weeks", "phone", "self_nt", "self_serum"} & fields):
        return "roster"
    if "community" in fields and not ident and (
        {"annual", "weekly", "quota_nt", "quota_serum"} & fields
    ):
        return "quota"
    return "unknown"


# Field preference when a header names several fields, per kind.
_PREFER = {
    "quota": ["quota_nt", "quota_serum", "annual", "weekly", "community", "note", "serial"],
    "roster": ["self_nt", "self_serum"],
    "log": ["screen_date", "test"],
    "register": ["register_kind", "reason", "event_date"],
}


def find_header(rows: list[list[Any]], vocab: Vocabulary) -> Header | None:
    width = max((len(r) for r in rows[:HEADER_SCAN_ROWS]), default=0)
    if width == 0:
        return None
    best, best_score = -1, 1
    for r in range(min(len(rows), HEADER_SCAN_ROWS)):
        score = _score(_row_cells(rows, r, width), vocab)
        if score > best_score:
            best, best_score = r, score
    if best < 0:
        return None
    # All data rows may be wider than the header scan window: widen to the sheet's real width.
    width = max(width, max((len(r) for r in rows), default=0))
    first, last = best, best
    if best > 0 and _header_like(_row_cells(rows, best - 1, width), vocab):
        first = best - 1
    below = _row_cells(rows, best + 1, width)
    if best + 1 < len(rows) and _header_like(below, vocab) and _score(below, vocab) > 0:
        last = best + 1
    layers = [_forward_fill(_row_cells(rows, r, width)) if r < last else
              [clean(v) for v in _row_cells(rows, r, width)] for r in range(first, last + 1)]
    labels: list[str] = []
    candidates: list[list[set[str]]] = []
    for c in range(width):
        parts = [layer[c] for layer in layers if layer[c]]
        unique = list(dict.fromkeys(parts))
        labels.append("/".join(unique))
        options = [vocab.fields(p) for p in reversed(unique)]
        if len(unique) > 1:
            options.append(vocab.fields("".join(unique)))
        candidates.append(options)
    all_fields: set[str] = set()
    for options in candidates:
        for o in options:
            all_fields |= o
    kind = _classify(all_fields)
    prefer = _PREFER.get(kind, [])
    fields: dict[str, int] = {}
    test_columns: dict[int, tuple[str, str]] = {}
    for c, options in enumerate(candidates):
        if kind == "quota":
            test = vocab.test_in(labels[c])
            if test and not (vocab.fields(labels[c]) & {"community", "note", "serial"}):
                key = header_key(labels[c])
                is_weekly = any(w in key for w in vocab.weekly_keys)
                test_columns[c] = (test, "weekly" if is_weekly else "annual")
                continue
        chosen = next((o for o in options if o), set())
        if not chosen:
            continue
        ranked = sorted(chosen, key=lambda f: prefer.index(f) if f in prefer else len(prefer))
        name = ranked[0]
        if kind == "roster" and name in ("quota_nt", "quota_serum"):
            name = "self_nt" if name == "quota_nt" else "self_serum"
        fields.setdefault(name, c)
    return Header(last, first, labels, fields, kind, test_columns)


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
    texts: list[str] = []
    for r in range(header_first):
        for v in rows[r]:
            if v is not None and str(v).strip():
                texts.append(clean(v))
    return texts


def _report_date(titles: list[str], file: str, year: int) -> tuple[str | None, str]:
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
class _Extract:
    kind: str
    frame: pd.DataFrame  # mapped raw columns + src + hints
    rejected: pd.DataFrame  # src + reason, rows rejected at sheet level (subtotal, footer...)
    problems: list[Problem]
    info: SheetInfo
    headers: dict[str, str]
    quota_totals: list[dict[str, Any]]


def _sheet_frame(rows: list[list[Any]], start: int, width: int) -> pd.DataFrame:
    body = [(r + [None] * (width - len(r)))[:width] for r in rows[start:]]
    frame = pd.DataFrame(body, columns=range(width), dtype=object)
    frame.index = pd.RangeIndex(start + 1, start + 1 + len(body))  # Excel row numbers
    return frame


def extract_sheet(sheet: RawSheet, vocab: Vocabulary, settings: Settings) -> _Extract:
    rows = sheet.rows
    info = SheetInfo(file=sheet.file, sheet=sheet.sheet, kind="empty")
    empty = pd.DataFrame(columns=[*SRC, "reason"])
    if not rows or all(all(v is None or str(v).strip() == "" for v in r) for r in rows):
        info.reason = "工作表为空"
        return _Extract("empty", pd.DataFrame(), empty, [], info, {}, [])
    header = find_header(rows, vocab)
    if header is None or header.kind == "unknown":
        info.kind = "unknown"
        info.reason = (
            "未找到可识别的表头（需要如 姓名、身份证号、末次月经、筛查日期、社区名称 等列名）"
            if header is None or not header.fields
            else "表头中的列不足以判断是花名册、筛查登记、任务分配表还是办事处登记"
        )
        if header is not None:
            info.header_row = header.row + 1
            info.columns = {f: header.labels[c] for f, c in header.fields.items()}
        texts = [clean(v) for r in rows[:5] for v in r if v is not None]
        return _Extract(
            "unknown",
            pd.DataFrame(),
            empty,
            [
                problem(
                    "sheet_unknown",
                    f"无法识别此工作表：{info.reason}。",
                    "如果这是需要统计的表，请确认表头包含规定的列名（见配置文件 [columns]），否则可忽略。",
                    severity="提示" if len(rows) < 40 else "警告",
                    file=sheet.file,
                    sheet=sheet.sheet,
                    value="；".join(texts[:3])[:80],
                )
            ],
            info,
            {},
            [],
        )
    kind = header.kind
    info.kind = kind
    info.header_row = header.row + 1
    width = len(header.labels)
    headers = {f: header.labels[c] for f, c in header.fields.items()}
    info.columns = dict(headers)
    titles = _title_texts(rows, header.first_row)
    year = settings.programme.start.year

    # Sheet-level hints: parent (乡镇), community and test from the sheet name, titles, file path.
    context = " ".join((sheet.sheet, *titles, sheet.file))
    parent = vocab.parents.find(context) if vocab.parents else None
    community = None
    for source in (sheet.sheet, *titles, sheet.file):
        match = vocab.resolver.in_text(source, parent)
        if match.key:
            community = match.key
            break
    test = None
    if kind == "log":
        date_label = header.labels[header.fields["screen_date"]]
        for source in (date_label, sheet.sheet, *titles, sheet.file.rsplit("/", 1)[-1]):
            test = vocab.test_in(source)
            if test:
                break
    report_date = None
    problems: list[Problem] = []
    if kind == "roster":
        report_date, _how = _report_date(titles, sheet.file, year)
    info.community, info.test, info.report_date = community, test, report_date

    frame = _sheet_frame(rows, header.row + 1, width)
    # Row-level tests on the cells as text. Most rows are plain records: a cheap scan of each row's
    # text finds the few that may be a subtotal, example, repeated header or note row, or hold a
    # blank-looking cell, and only those are examined cell by cell (the same tests on every row
    # would cost a Python call per cell).
    values = frame.to_numpy(dtype=object)
    header_cells = np.array([header_key(x) for x in header.labels], dtype=object)
    filled = np.asarray(values != None, dtype=bool)  # noqa: E711 - elementwise, not identity
    n_filled_all = filled.sum(axis=1)
    candidate = _candidate_rows(values, [k for k in header_cells if k]) | (n_filled_all <= 1)
    subtotal_all = np.zeros(values.shape, dtype=bool)
    note_all = np.zeros(values.shape, dtype=bool)
    example_all = np.zeros(len(values), dtype=bool)
    repeated_all = np.zeros(len(values), dtype=bool)
    if candidate.any():
        sub = values[candidate]
        flat = pd.Series(sub.ravel(), dtype=object)
        text = flat.map(lambda v: "" if v is None else str(v).strip()).astype("string")
        grid = text.to_numpy(dtype=object).reshape(sub.shape)
        sub_filled = grid != ""
        squashed_flat = text.str.replace(r"[\s\u3000:：]+", "", regex=True)
        squashed = squashed_flat.to_numpy(dtype=object).reshape(sub.shape)
        marks_flat = squashed_flat.str.match(r"^(合计|小计|总计)") | squashed_flat.isin(list(SUBTOTAL_WORDS))
        subtotal_all[candidate] = marks_flat.to_numpy(dtype=bool).reshape(sub.shape)
        note_all[candidate] = (
            text.str.contains(r"[:：]|说明|备注|填表人|审核人", regex=True).to_numpy(dtype=bool).reshape(sub.shape)
        )
        example_all[candidate] = np.isin(squashed, list(EXAMPLE_WORDS)).any(axis=1)
        repeated_all[candidate] = ((squashed == header_cells[None, :]) & sub_filled).sum(axis=1) >= 2
        filled[candidate] = sub_filled
    keep = filled.any(axis=1)
    frame = frame[keep]
    info.rows = len(frame)
    subtotal_cells = subtotal_all[keep]
    note_cells = note_all[keep]
    filled = filled[keep]
    n_filled = filled.sum(axis=1)
    # Rows rejected for what they are, before any field is read (the first reason applies).
    reason = np.full(len(frame), None, dtype=object)
    open_rows = np.ones(len(frame), dtype=bool)
    subtotal = subtotal_cells.any(axis=1)
    row_tests = [
        (subtotal, "合计行（不是个人记录）"),
        (example_all[keep], "示例行（填表示例，不计入）"),
        (repeated_all[keep], "重复的表头行"),
        ((n_filled == 1) & note_cells.any(axis=1), "表尾说明行（不是个人记录）"),
    ]
    if "serial" in header.fields:
        row_tests.append(((n_filled == 1) & filled[:, header.fields["serial"]], "只有序号的空行"))
    for mask, text in row_tests:
        hit = mask & open_rows
        reason[hit] = text
        open_rows &= ~hit

    quota_totals: list[dict[str, Any]] = []
    if kind == "quota" and subtotal.any():
        for r in frame.index[subtotal]:
            entry: dict[str, Any] = {"file": sheet.file, "sheet": sheet.sheet, "row": int(r)}
            for c, (t, what) in header.test_columns.items():
                entry[f"{what}_{t}"] = _number(frame.at[r, c])
            quota_totals.append(entry)

    pre_rejected = frame.index[~open_rows]
    rejected = pd.DataFrame(
        {
            "src_file": sheet.file,
            "src_sheet": sheet.sheet,
            "src_row": pre_rejected.to_numpy(dtype=np.int64),
            "reason": reason[~open_rows],
        }
    )
    data = frame[open_rows]
    # The mapped columns in one object block (column by column assignment costs per sheet).
    names = [*header.fields, *(f"{what}_{t}" for t, what in header.test_columns.values())]
    positions = [*header.fields.values(), *header.test_columns]
    block = data.to_numpy(dtype=object)[:, positions] if positions else np.empty((len(data), 0), dtype=object)
    mapped = pd.DataFrame(block, columns=names, index=data.index, dtype=object)
    mapped.insert(0, "src_row", data.index.to_numpy(dtype=np.int64))
    mapped.insert(0, "src_sheet", sheet.sheet)
    mapped.insert(0, "src_file", sheet.file)
    mapped["sheet_community"] = community
    mapped["sheet_parent"] = parent
    if vocab.parents:
        # Where the sheet came from (sheet name, titles, folder path): a 乡镇 column naming a
        # township that several counties have is resolved within the county named here.
        mapped["sheet_context"] = context
    mapped["sheet_test"] = test
    mapped["report_date"] = report_date
    return _Extract(kind, mapped.reset_index(drop=True), rejected, problems, info, headers, quota_totals)


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


# ----------------------------------------------------------------------------------------------
# Vectorised row validation per kind


class _Rows:
    """Collects accepted frames, rejected rows and problems while validating one kind."""

    def __init__(self, frame: pd.DataFrame, kind: str, headers: dict[tuple[str, str], dict[str, str]]):
        self.frame = frame.reset_index(drop=True)
        self.kind = kind
        self.headers = headers
        self.reason = pd.Series(pd.NA, index=self.frame.index, dtype="string")
        self.problem_frames: list[pd.DataFrame] = []

    def col(self, name: str) -> pd.Series:
        if name in self.frame.columns:
            return self.frame[name]
        return pd.Series(None, index=self.frame.index, dtype=object)

    def _header(self, field_name: str, idx: pd.Index | None = None) -> pd.Series:
        rows = self.frame if idx is None else self.frame.loc[idx]
        keys = list(zip(rows["src_file"], rows["src_sheet"], strict=True))
        return pd.Series([self.headers.get(k, {}).get(field_name, "") for k in keys], index=rows.index)

    def note(
        self,
        mask: pd.Series,
        *,
        code: pd.Series | str,
        severity: str,
        field_name: str,
        message: pd.Series | str,
        fix: pd.Series | str,
        reject: str | None = None,
        value: pd.Series | None = None,
    ) -> None:
        """Record a problem for the rows in ``mask`` (only those not yet rejected); optionally reject them."""
        mask = mask.fillna(False).astype(bool) & self.reason.isna()
        if not mask.any():
            return
        idx = mask[mask].index
        raw = value if value is not None else self.col(field_name)
        frame = pd.DataFrame(
            {
                "file": self.frame.loc[idx, "src_file"],
                "sheet": self.frame.loc[idx, "src_sheet"],
                "row": self.frame.loc[idx, "src_row"],
                "column": self._header(field_name, idx),
                "value": raw.loc[idx].map(display_value),
                "severity": severity,
                "code": code.loc[idx] if isinstance(code, pd.Series) else code,
                "message": message.loc[idx] if isinstance(message, pd.Series) else message,
                "fix": fix.loc[idx] if isinstance(fix, pd.Series) else fix,
            }
        )
        self.problem_frames.append(frame)
        if reject:
            self.reason = self.reason.mask(mask, reject)

    def accepted(self) -> pd.DataFrame:
        return self.frame[self.reason.isna()].reset_index(drop=True)

    def rejected(self) -> pd.DataFrame:
        keep = [*SRC, *(c for c in ("_name", "_phone", "_community") if c in self.frame.columns)]
        out = self.frame.loc[self.reason.notna(), keep].copy()
        out = out.rename(columns={"_name": "name", "_phone": "phone", "_community": "community"})
        out["kind"] = self.kind
        out["reason"] = self.reason[self.reason.notna()]
        return out.reset_index(drop=True)




def display_value(v: Any) -> str:
    """A cell as the user sees it in Excel: 4.11328E+17 for a long number, 12 for 12.0. A very
    long text is shortened (a 10 MB cell must not be printed in full on the terminal or copied
    into every problem list); the cut never leaves part of a number behind (no partial ID)."""
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e11:
            return str(int(v))
        if abs(v) >= 1e11:
            return f"{v:.5E}"
    return shorten(str(v))


def _text(series: pd.Series) -> pd.Series:
    """``clean`` for a column of raw cells. Text cells are cleaned once per distinct value (a
    column of community or test names repeats a few values many times)."""
    values = series.to_numpy(dtype=object)
    is_str = np.fromiter((type(v) is str for v in values), dtype=bool, count=len(values))
    if len(values) < 64 or not is_str.any():
        return clean_series(series.map(_cell_text, na_action="ignore"))
    codes, uniques = pd.factorize(values[is_str])
    cleaned = clean_series(pd.Series(uniques, dtype=object)).to_numpy(dtype=object)
    out = np.empty(len(values), dtype=object)
    out[is_str] = cleaned[codes]
    if not is_str.all():
        rest = series[~is_str]
        out[~is_str] = clean_series(rest.map(_cell_text, na_action="ignore")).to_numpy(dtype=object)
    return pd.Series(pd.array(out, dtype="string"), index=series.index)


def _cell_text(v: Any) -> Any:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return v


def _community_column(rows: _Rows, vocab: Vocabulary, field_name: str = "community") -> pd.Series:
    """Resolve each row's community: its own column first, else the sheet's. In a multi-level
    organisation the name is resolved within the row's parent: its 乡镇 column, else the sheet's."""
    raw = _text(rows.col(field_name))
    if vocab.parents:
        township = _text(rows.col("township")).astype(object)
        context = rows.col("sheet_context").astype(object)
        pairs_t = pd.DataFrame({"t": township, "x": context}).fillna("\x00")
        codes_t, uniq_t = pd.factorize(pd.MultiIndex.from_frame(pairs_t))
        found_t: list[Any] = []
        for t_value, x_value in uniq_t:
            if t_value == "\x00":
                found_t.append(None)
                continue
            found_t.append(
                vocab.parents.exact(t_value)
                or vocab.parents.find(t_value)
                or (vocab.parents.find(f"{t_value} {x_value}") if x_value != "\x00" else None)
            )
        parent = pd.Series(np.asarray(found_t, dtype=object)[codes_t], index=raw.index, dtype=object)
        parent = parent.where(parent.notna(), rows.col("sheet_parent").astype(object))
        pairs = pd.DataFrame({"p": parent.astype(object), "c": raw.astype(object)})
        codes, uniq = pd.factorize(pd.MultiIndex.from_frame(pairs.fillna("\x00")))
        found: list[Any] = []
        for p_value, c_value in uniq:
            if c_value == "\x00":
                found.append(None)
                continue
            within = None if p_value == "\x00" else p_value
            found.append(vocab.resolver.exact(c_value, within).key or vocab.resolver.in_text(c_value, within).key)
        resolved = pd.Series(np.asarray(found, dtype=object)[codes], index=raw.index, dtype=object)
    else:
        uniques = raw.dropna().unique()
        lookup = {u: vocab.resolver.exact(u).key or vocab.resolver.in_text(u).key for u in uniques}
        # astype: with no community column at all the mapped column has no values to infer a dtype from.
        resolved = raw.map(lookup, na_action="ignore").astype(object)
    unknown = raw.notna() & resolved.isna()
    names = "、".join(c.name for c in vocab.communities[:30]) + ("等" if len(vocab.communities) > 30 else "")
    rows.note(
        unknown,
        code="community_unknown",
        severity="错误",
        field_name=field_name,
        message=raw.map(lambda v: f"社区名称“{v}”无法识别，不会新建社区").astype(object),
        fix=f"请改为配置中的社区名称之一：{names}；如是新的写法，请在 config.toml 该社区的 variants 中加入。",
        reject="社区名称无法识别",
    )
    sheet = rows.col("sheet_community")
    return resolved.where(raw.notna(), sheet)


def _ids(rows: _Rows) -> pd.DataFrame:
    if "id" not in rows.frame.columns:
        return pd.DataFrame(
            {"id": pd.array([pd.NA] * len(rows.frame), dtype="string"),
             "id_status": pd.array(["empty"] * len(rows.frame), dtype="string"),
             "id_message": pd.array([pd.NA] * len(rows.frame), dtype="string"),
             "id_fix": pd.array([pd.NA] * len(rows.frame), dtype="string")},
            index=rows.frame.index,
        )
    return normalize_ids(rows.frame["id"])


def _phones(rows: _Rows) -> pd.DataFrame:
    if "phone" not in rows.frame.columns:
        return pd.DataFrame(
            {"phone": pd.array([pd.NA] * len(rows.frame), dtype="string"),
             "phone_status": pd.array(["empty"] * len(rows.frame), dtype="string")},
            index=rows.frame.index,
        )
    return normalize_phones(rows.frame["phone"])


def _dates(rows: _Rows, field_name: str, label: str, *, severity: str = "警告") -> pd.Series:
    if field_name not in rows.frame.columns:
        return pd.Series(pd.NaT, index=rows.frame.index, dtype="datetime64[ns]")
    parsed = parse_dates(rows.frame[field_name])
    bad = parsed["date_status"].isin(["invalid", "ambiguous"])
    rows.note(
        bad,
        code=f"{field_name}_invalid",
        severity=severity,
        field_name=field_name,
        message=parsed["date_message"].fillna(f"{label}无法识别").astype(object).map(lambda m: f"{label}：{m}"),
        fix=f"请按 2020-04-08 的格式填写{label}（年-月-日）。",
    )
    return parsed["date"].astype("datetime64[ns]")


_ID_USABLE = ("ok", "upgraded")


def _validate_roster(frame: pd.DataFrame, vocab: Vocabulary, headers: dict) -> tuple[pd.DataFrame, _Rows]:
    rows = _Rows(frame, "roster", headers)
    community = _community_column(rows, vocab)
    rows.note(
        community.isna(),
        code="community_missing",
        severity="错误",
        field_name="community",
        message="无法确定此行属于哪个社区（表中无社区列，工作表名、标题和文件名中也没有社区名称）",
        fix="请在文件名或标题中写明社区名称（如“新民社区花名册”），或增加“社区”列。",
        reject="无法确定所属社区",
    )
    ids = _ids(rows)
    phones = _phones(rows)
    name = _text(rows.col("name")).str.replace(" ", "", regex=False)
    bad_id = ~ids["id_status"].isin([*_ID_USABLE, "empty"])
    rows.note(
        bad_id,
        code="id_" + ids["id_status"].fillna(""),
        severity="错误",
        field_name="id",
        message=ids["id_message"].astype(object),
        fix=ids["id_fix"].fillna("请核对身份证号后在原表中改正。").astype(object),
        reject="身份证号无法使用",
    )
    no_ident = (ids["id_status"] == "empty") & (name.isna() | phones["phone"].isna())
    rows.note(
        no_ident,
        code="no_identity",
        severity="错误",
        field_name="id",
        message="缺少身份证号，且姓名或联系电话不全，无法确定是哪一位孕妇",
        fix="请补填身份证号（或至少填写姓名和手机号）。",
        reject="缺少身份证号且姓名或电话不全",
    )
    rows.note(
        (ids["id_status"] == "empty") & ~no_ident,
        code="id_missing",
        severity="警告",
        field_name="id",
        message="缺少身份证号，按姓名+电话识别",
        fix="请补填身份证号。",
    )
    rows.note(
        phones["phone_status"].isin(["invalid", "float"]),
        code="phone_invalid",
        severity="提示",
        field_name="phone",
        message="联系电话不是有效的手机号或固定电话",
        fix="请填写11位手机号。",
    )
    lmp = _dates(rows, "lmp", "末次月经")
    edd = _dates(rows, "edd", "预产期")
    reg = _dates(rows, "reg_date", "登记日期")
    gest = (
        parse_gestation(rows.frame["gest_weeks"])
        if "gest_weeks" in rows.frame.columns
        else pd.DataFrame({"days": pd.array([pd.NA] * len(rows.frame), dtype="Int64"),
                           "gest_status": "empty", "gest_message": pd.NA}, index=rows.frame.index)
    )
    rows.note(
        gest["gest_status"] == "invalid",
        code="gest_invalid",
        severity="警告",
        field_name="gest_weeks",
        message="孕周无法识别（应为 4 到 42 周，如 12 或 12+3）",
        fix="请填写孕周，如 12+3（12周3天）。",
    )
    no_dates = lmp.isna() & edd.isna() & (gest["days"].isna() | reg.isna())
    rows.note(
        no_dates,
        code="dates_unusable",
        severity="警告",
        field_name="lmp",
        message="没有可用的末次月经、预产期或（孕周+登记日期），无法推算筛查时间",
        fix="请补填末次月经日期（或预产期）。",
    )
    # Kept with rejected rows, so that a screening of a woman whose roster row was rejected can
    # point at that row.
    rows.frame["_name"], rows.frame["_phone"], rows.frame["_community"] = name, phones["phone"], community
    self_nt, self_nt_date = _self_report(rows, "self_nt")
    self_serum, self_serum_date = _self_report(rows, "self_serum")
    out = pd.DataFrame(
        {
            "src_file": rows.frame["src_file"],
            "src_sheet": rows.frame["src_sheet"],
            "src_row": rows.frame["src_row"].astype("int64"),
            "community": community.astype("string"),
            "name": name.astype("string"),
            "id": ids["id"],
            "id_status": ids["id_status"],
            "phone": phones["phone"],
            "lmp": lmp,
            "edd": edd,
            "gest_days": gest["days"].astype("Int64"),
            "reg_date": reg,
            "address": _text(rows.col("address")).astype("string"),
            "residence": _text(rows.col("residence")).astype("string"),
            "report_date": pd.to_datetime(rows.col("report_date"), errors="coerce"),
            "self_nt": self_nt,
            "self_nt_date": self_nt_date,
            "self_serum": self_serum,
            "self_serum_date": self_serum_date,
        }
    )
    return out[rows.reason.isna()].reset_index(drop=True), rows


_YES = {"是", "已筛", "已做", "已检", "√", "✓", "Y", "YES", "有", "1"}
_NO = {"否", "未筛", "未做", "未检", "×", "N", "NO", "无", "0"}


def _self_report(rows: _Rows, field_name: str) -> tuple[pd.Series, pd.Series]:
    """A self-report column holds yes/no or a date; returns (reported: boolean, date)."""
    n = len(rows.frame)
    if field_name not in rows.frame.columns:
        return pd.Series(pd.array([pd.NA] * n, dtype="boolean")), pd.Series(pd.NaT, index=rows.frame.index)
    raw = rows.frame[field_name]
    text = _text(raw).str.upper()
    parsed = parse_dates(raw)
    has_date = parsed["date"].notna()
    yes = text.isin(list(_YES)) | has_date
    no = text.isin(list(_NO))
    flag = pd.Series(pd.NA, index=rows.frame.index, dtype="boolean")
    flag = flag.mask(yes, True).mask(no & ~yes, False)
    return flag, parsed["date"].astype("datetime64[ns]").where(has_date)


def _test_of(rows: _Rows, vocab: Vocabulary) -> pd.Series:
    raw = _text(rows.col("test"))
    uniques = raw.dropna().unique()
    lookup = {u: vocab.test_in(u) for u in uniques}
    from_column = raw.map(lookup, na_action="ignore")
    return from_column.where(from_column.notna(), rows.col("sheet_test")).astype("string")


def _validate_log(frame: pd.DataFrame, vocab: Vocabulary, headers: dict) -> tuple[pd.DataFrame, _Rows]:
    rows = _Rows(frame, "log", headers)
    test = _test_of(rows, vocab)
    rows.note(
        test.isna(),
        code="test_unknown",
        severity="错误",
        field_name="test",
        message="无法判断此行是超声NT筛查还是血清学筛查",
        fix="请增加“筛查项目”列（填 NT 或 血清学），或在文件名/工作表名中写明筛查项目。",
        reject="无法判断筛查项目",
    )
    screen = parse_dates(rows.col("screen_date"))
    rows.note(
        screen["date"].isna(),
        code="screen_date_invalid",
        severity="错误",
        field_name="screen_date",
        message=screen["date_message"].fillna("缺少筛查日期").astype(object).map(lambda m: f"筛查日期：{m}"),
        fix="请按 2020-04-08 的格式填写筛查日期。",
        reject="筛查日期缺失或无效",
    )
    ids = _ids(rows)
    phones = _phones(rows)
    name = _text(rows.col("name")).str.replace(" ", "", regex=False)
    usable = ids["id_status"].isin(_ID_USABLE)
    fallback = name.notna() & phones["phone"].notna()
    rows.note(
        ~usable & ~fallback,
        code="no_identity",
        severity="错误",
        field_name="id",
        message=ids["id_message"].fillna("缺少身份证号").astype(object).map(
            lambda m: f"{m}；且姓名或电话不全，无法确定是哪一位孕妇"
        ),
        fix="请卫生院核对登记本，补全身份证号或姓名+手机号。",
        reject="身份证号不可用且姓名或电话不全",
    )
    rows.note(
        ~usable & fallback & (ids["id_status"] != "empty"),
        code="log_id_fallback",
        severity="警告",
        field_name="id",
        message=ids["id_message"].fillna("").astype(object).map(lambda m: f"{m}；已按姓名+电话匹配"),
        fix=ids["id_fix"].fillna("请卫生院核对身份证号后在登记本中改正。").astype(object),
    )
    lmp = _dates(rows, "lmp", "末次月经", severity="提示")
    gest = (
        parse_gestation(rows.frame["gest_weeks"])["days"]
        if "gest_weeks" in rows.frame.columns
        else pd.Series(pd.NA, index=rows.frame.index, dtype="Int64")
    )
    out = pd.DataFrame(
        {
            "src_file": rows.frame["src_file"],
            "src_sheet": rows.frame["src_sheet"],
            "src_row": rows.frame["src_row"].astype("int64"),
            "test": test,
            "screen_date": screen["date"].astype("datetime64[ns]"),
            "name": name.astype("string"),
            "id": ids["id"].where(usable),
            "id_status": ids["id_status"],
            "phone": phones["phone"],
            "address": _text(rows.col("address")).astype("string"),
            "log_community": _text(rows.col("community")).astype("string"),
            "lmp": lmp,
            "gest_days": gest.astype("Int64"),
            "result": _text(rows.col("result")).astype("string"),
        }
    )
    return out[rows.reason.isna()].reset_index(drop=True), rows


def _validate_quota(frame: pd.DataFrame, vocab: Vocabulary, headers: dict) -> tuple[pd.DataFrame, _Rows]:
    rows = _Rows(frame, "quota", headers)
    community = _community_column(rows, vocab)
    rows.note(
        community.isna(),
        code="community_missing",
        severity="错误",
        field_name="community",
        message="任务分配表中此行没有社区名称",
        fix="请填写社区名称。",
        reject="缺少社区名称",
    )
    out = pd.DataFrame({c: rows.frame[c] for c in SRC})
    out["community"] = community.astype("string")
    for what in ("annual", "weekly"):
        for test in ("nt", "serum"):
            col = f"{what}_{test}"
            values = pd.to_numeric(_text(rows.col(col)), errors="coerce")
            rows.note(
                values.isna() | (values < 0),
                code="quota_number",
                severity="错误",
                field_name=col,
                value=rows.col(col),
                message=f"{'每周' if what == 'weekly' else '年度'}{TEST_LABELS[test]}任务数不是有效数字",
                fix="请填写数字。",
                reject="任务数无效",
            )
            out[col] = values
    return out[rows.reason.isna()].reset_index(drop=True), rows


def _validate_register(frame: pd.DataFrame, vocab: Vocabulary, headers: dict) -> tuple[pd.DataFrame, _Rows]:
    rows = _Rows(frame, "register", headers)
    kind_text = _text(rows.col("register_kind")).str.replace(" ", "", regex=False)
    reason = _text(rows.col("reason"))
    action = kind_text.map(REGISTER_KINDS, na_action="ignore")
    # A row with a closing reason but no kind is a closing.
    action = action.where(action.notna() | reason.isna() | kind_text.notna(), "close")
    rows.note(
        action.isna(),
        code="register_kind",
        severity="错误",
        field_name="register_kind",
        message="登记类型无法识别",
        fix="登记类型请填：个案销号、人工合并、产前诊断结果 或 纸质花名册。",
        reject="登记类型无法识别",
    )
    bad_reason = (action == "close") & ~reason.isin(list(CLOSE_REASONS))
    rows.note(
        bad_reason,
        code="close_reason",
        severity="错误",
        field_name="reason",
        message="销号原因不在规定范围内",
        fix=f"销号原因请填：{'、'.join(CLOSE_REASONS)}。",
        reject="销号原因无效",
    )
    community = _community_column(rows, vocab)
    ids = _ids(rows)
    phones = _phones(rows)
    name = _text(rows.col("name")).str.replace(" ", "", regex=False)
    needs_person = action.isin(["close", "merge", "diagnosis"])
    ident = ids["id_status"].isin(_ID_USABLE) | (name.notna() & phones["phone"].notna())
    rows.note(
        needs_person & ~ident,
        code="no_identity",
        severity="错误",
        field_name="id",
        message=ids["id_message"].fillna("缺少身份证号").astype(object).map(lambda m: f"{m}；无法确定是哪一位孕妇"),
        fix="请填写正确的身份证号（或姓名+手机号）。",
        reject="无法确定是哪一位孕妇",
    )
    rows.note(
        (action == "paper") & community.isna(),
        code="community_missing",
        severity="错误",
        field_name="community",
        message="纸质花名册登记缺少社区",
        fix="请填写社区名称。",
        reject="缺少社区名称",
    )
    merge = normalize_ids(rows.col("merge_id")) if "merge_id" in rows.frame.columns else None
    event = parse_dates(rows.col("event_date"))
    out = pd.DataFrame({c: rows.frame[c] for c in SRC})
    out["action"] = action.astype("string")
    out["community"] = community.astype("string")
    out["name"] = name.astype("string")
    out["id"] = ids["id"].where(ids["id_status"].isin(_ID_USABLE))
    out["phone"] = phones["phone"]
    out["reason"] = reason.astype("string")
    out["event_date"] = event["date"].astype("datetime64[ns]")
    out["merge_id"] = merge["id"] if merge is not None else pd.Series(pd.NA, index=out.index, dtype="string")
    out["merge_name"] = _text(rows.col("merge_name")).astype("string")
    out["diagnosis"] = _text(rows.col("diagnosis")).astype("string")
    out["note"] = _text(rows.col("note")).astype("string")
    return out[rows.reason.isna()].reset_index(drop=True), rows


_VALIDATORS = {
    "roster": (_validate_roster, ROSTER_COLUMNS),
    "log": (_validate_log, LOG_COLUMNS),
    "quota": (_validate_quota, QUOTA_COLUMNS),
    "register": (_validate_register, REGISTER_COLUMNS),
}


def normalize(files: Iterable[FileResult], settings: Settings, *, release_rows: bool = False) -> Normalized:
    """``release_rows``: empty each sheet's cell grid once it is extracted (the caller's
    FileResults lose their rows), so that the grids and the frames are not all in memory at once."""
    vocab = Vocabulary(settings)
    sheets: list[SheetInfo] = []
    problems: list[Problem] = []
    per_kind: dict[str, list[pd.DataFrame]] = {k: [] for k in _VALIDATORS}
    headers: dict[tuple[str, str], dict[str, str]] = {}
    sheet_rejected: list[pd.DataFrame] = []
    quota_totals: list[dict[str, Any]] = []
    for f in files:
        for sheet in f.sheets:
            ex = extract_sheet(sheet, vocab, settings)
            if release_rows:
                sheet.rows.clear()
            sheets.append(ex.info)
            problems.extend(ex.problems)
            quota_totals.extend(ex.quota_totals)
            if ex.kind in per_kind:
                per_kind[ex.kind].append(ex.frame)
                headers[(sheet.file, sheet.sheet)] = ex.headers
                if not ex.rejected.empty:
                    rej = ex.rejected.assign(kind=ex.kind)
                    sheet_rejected.append(rej)
    accepted: dict[str, pd.DataFrame] = {}
    rejected_parts = list(sheet_rejected)
    problem_frames: list[pd.DataFrame] = []
    for kind, (validate, columns) in _VALIDATORS.items():
        frames = [f for f in per_kind[kind] if not f.empty]
        if not frames:
            accepted[kind] = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
            continue
        frame = pd.concat(frames, ignore_index=True)
        out, rows = validate(frame, vocab, headers)
        accepted[kind] = out[columns] if set(columns) <= set(out.columns) else out
        rejected_parts.append(rows.rejected())
        problem_frames.extend(rows.problem_frames)
    rejected = (
        pd.concat([r for r in rejected_parts if not r.empty], ignore_index=True)
        if any(not r.empty for r in rejected_parts)
        else pd.DataFrame(columns=REJECTED_COLUMNS)
    )
    # Sheet-level rejections (subtotal, example, footer rows) are problems too, as notes.
    for part in sheet_rejected:
        problem_frames.append(
            pd.DataFrame(
                {
                    "file": part["src_file"],
                    "sheet": part["src_sheet"],
                    "row": part["src_row"],
                    "column": "",
                    "value": "",
                    "severity": "提示",
                    "code": "row_skipped",
                    "message": part["reason"].map(lambda r: f"{r}，已跳过"),
                    "fix": "无需处理。",
                }
            )
        )
    for info in sheets:
        if info.kind in _VALIDATORS:
            mask = (rejected["src_file"] == info.file) & (rejected["src_sheet"] == info.sheet)
            info.rejected = int(mask.sum())
            info.accepted = info.rows - info.rejected
    for frame in problem_frames:
        problems.extend(Problem(**rec) for rec in frame.to_dict("records"))
    return Normalized(
        roster=accepted["roster"],
        log=accepted["log"],
        quota=accepted["quota"],
        register=accepted["register"],
        rejected=rejected,
        sheets=sheets,
        problems=problems,
        quota_totals=quota_totals,
    )
