"""Dates and gestational ages from messy spreadsheet cells.

Pure and vectorised: date/datetime cells and numbers are converted with numpy/pandas in bulk,
text cells with ``.str.extract`` and ``pd.to_datetime(<year/month/day frame>)``; per-cell Python
work only happens for rare oddities (tz-aware timestamps mixed with naive ones, message texts for
invalid numbers).

Statuses are short ASCII codes for the program; ``*_message`` columns are the Chinese texts
shown to the office user.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd

from pipeline.normalize.cells import BOOL, DATETIME, FLOAT, INT, NA, OTHER, STR, cell_kinds, none_mask

__all__ = [
    "DATE_COLUMNS",
    "DATE_STATUSES",
    "GEST_COLUMNS",
    "GEST_STATUSES",
    "MAX_GEST_WEEKS",
    "MIN_GEST_WEEKS",
    "excel_serial_to_date",
    "parse_dates",
    "parse_gestation",
]

DATE_COLUMNS = ["date", "date_status", "date_message"]
DATE_STATUSES = ("ok", "empty", "invalid", "ambiguous", "serial")
GEST_COLUMNS = ["days", "gest_status", "gest_message"]
GEST_STATUSES = ("ok", "empty", "invalid")

# Excel's 1900 date system: serial 1 = 1900-01-01 as Excel shows it. With day 0 = 1899-12-30 the
# conversion is right from serial 61 (1900-03-01) on; below that Excel counts its fictitious
# 1900-02-29, so we are one day early there -- irrelevant, as those serials are never plausible.
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_EXCEL_EPOCH64 = np.datetime64("1899-12-30", "D")
_MAX_SERIAL = 2958465  # 9999-12-31
# Only serials for 1950-01-01 .. 2099-12-31 are taken as dates: a bare number outside that window
# is more likely a count, a phone fragment or an ID piece than a date.
_PLAUSIBLE_SERIALS = (18264, 73050)
# Dates written out (text, date cells, YYYYMMDD numbers) must fall in this window.
_MIN_YEAR = 1900
_MAX_YEAR = 2099
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)

MIN_GEST_WEEKS = 4
MAX_GEST_WEEKS = 42

# Cell texts meaning "nothing here". We treat "不详"/"不清楚"/"无"/"-"... as empty rather than invalid:
# the person did not know or had nothing to report, which is missing data, not a typing error
# that the clerk could correct in the sheet. Compared after NFKC + upper-casing.
_PLACEHOLDERS = [
    "不详", "不清楚", "未知", "无", "/", "-", "--", "—", "——", "NAN", "NONE", "NULL", "NAT",
]  # fmt: skip

_ZERO_WIDTH_RE = r"[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]"
_TIME = r"(?:\s*[T\s]\s*\d{1,2}\s*:\s*\d{1,2}(?:\s*:\s*\d{1,2}(?:\.\d+)?)?)?"
# 2020-04-08, 2020-4-8, 2020/4/8, 2020.4.8, 2020年4月8日/号, optional time of day.
_YMD_RE = rf"^(?P<y>\d{{4}})\s*[-/.年]\s*(?P<m>\d{{1,2}})\s*[-/.月]\s*(?P<d>\d{{1,2}})\s*[日号]?{_TIME}$"
# 4/8/2020 or 08-04-2020: day/month order unknown.
_DMY_RE = rf"^(?P<a>\d{{1,2}})\s*[-/.]\s*(?P<b>\d{{1,2}})\s*[-/.]\s*(?P<y>\d{{4}}){_TIME}$"
# 20.4.8, 20-04-08, 8/4/20: two-digit year (and so no sure order either).
_SHORT_YEAR_RE = r"^\d{1,2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*[日号]?$"
_PARTIAL_RE = r"^\d{4}\s*[-/.年]\s*\d{1,2}\s*月?$"  # 2020-04, 2020年4月
_NUMBER_RE = r"^\d+(?:\.\d+)?$"  # serials and YYYYMMDD written as text

_HOW = "请写成“年-月-日”格式，如 2020-04-08"
_MSG_NOT_EXIST = "日期 {v} 不存在"
_MSG_YEAR = "日期 {v} 的年份不合理（应在1900—2099年之间）"
_MSG_UNKNOWN = "无法识别的日期：{v}，" + _HOW
_MSG_PARTIAL = "日期 {v} 不完整（缺少日），" + _HOW
_MSG_SHORT_YEAR = "日期 {v} 的年份只写了两位，无法确定是哪年哪月哪日，" + _HOW
_MSG_ORDER = "日期 {v} 无法确定是{a}月{b}日还是{b}月{a}日，" + _HOW
_MSG_BOOL = "该格内容是逻辑值（TRUE/FALSE），不是日期"
_MSG_NUMBER = "数字 {v} 不是日期，" + _HOW
_MSG_SERIAL_RANGE = "数字 {v} 若按Excel日期算是 {d}，不在1950—2099年之间，" + _HOW





def _fmt(template: str, **columns: np.ndarray) -> np.ndarray:
    """Vectorised ``template.format(**columns)`` over object arrays of str (one row per cell)."""
    parts = template.replace("}", "{").split("{")  # literal, name, literal, name, ...
    out: Any = parts[0]
    for i in range(1, len(parts), 2):
        out = out + columns[parts[i]].astype(object) + parts[i + 1]
    return np.asarray(out, dtype=object)


def _clean(values: np.ndarray) -> pd.Series:
    """NFKC (full-width digits and punctuation -> ASCII), drop zero-width characters, collapse
    whitespace. Returns a "string" Series with a RangeIndex."""
    s = pd.Series(pd.array(values, dtype="string")).str.normalize("NFKC")
    s = s.str.replace(_ZERO_WIDTH_RE, "", regex=True)
    return s.str.replace(r"\s+", " ", regex=True).str.strip()


def _to_floats(cells: np.ndarray) -> np.ndarray:
    """Object array of Python/numpy numbers -> float64 (C-level conversion)."""
    try:
        return cells.astype(float)
    except (OverflowError, TypeError, ValueError):  # absurdly large ints
        return np.array([float(v) if abs(v) < 1e300 else math.inf for v in cells], dtype=float)


def _show_number(value: float) -> str:
    return str(int(value)) if math.isfinite(value) and value.is_integer() else f"{value:g}"


def excel_serial_to_date(serial: float) -> dt.date:
    """Excel (1900 system) serial number -> date; the fraction (time of day) is dropped.
    Day 0 is 1899-12-30. Raises ValueError outside 1..2958465."""
    if not math.isfinite(serial) or not 1 <= serial < _MAX_SERIAL + 1:
        raise ValueError(f"Excel serial out of range: {serial!r}")
    return _EXCEL_EPOCH + dt.timedelta(days=math.floor(serial))


# --- dates ----------------------------------------------------------------------------------------


class _Out:
    """Result columns being filled in, positionally."""

    def __init__(self, n: int) -> None:
        self.date = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
        self.status = np.full(n, None, dtype=object)
        self.message = np.full(n, None, dtype=object)

    def put(self, rows: np.ndarray, status: str, message: Any = None, date: Any = None) -> None:
        """Set ``rows`` (positions); ``message``/``date`` are scalars or arrays aligned to ``rows``."""
        self.status[rows] = status
        self.message[rows] = message
        if date is not None:
            self.date[rows] = date


def _ymd_dates(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """datetime64[ns] from numeric year/month/day arrays (years 1900..2099); NaT where the date
    does not exist. Pure numpy."""
    year = np.asarray(year, dtype=np.int64)
    month = np.asarray(month, dtype=np.int64)
    day = np.asarray(day, dtype=np.int64)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = _DAYS_IN_MONTH[np.clip(month, 0, 12)] + (leap & (month == 2))
    valid = (month >= 1) & (month <= 12) & (day >= 1) & (day <= month_days)
    y = np.where(valid, year, 1970) - 1970
    m = np.where(valid, month, 1) - 1
    d = np.where(valid, day, 1) - 1
    months = y.astype("datetime64[Y]").astype("datetime64[M]") + m
    dates = (months.astype("datetime64[D]") + d).astype("datetime64[ns]")
    dates[~valid] = np.datetime64("NaT")
    return dates


def _put_ymd(
    out: _Out, rows: np.ndarray, year: np.ndarray, month: np.ndarray, day: np.ndarray, shown: np.ndarray
) -> None:
    """Validate and store explicit year/month/day (status ok), with the year window."""
    bad_year = (year < _MIN_YEAR) | (year > _MAX_YEAR)
    out.put(rows[bad_year], "invalid", _fmt(_MSG_YEAR, v=shown[bad_year]))
    rows, year, month, day, shown = (a[~bad_year] for a in (rows, year, month, day, shown))
    dates = _ymd_dates(year, month, day)
    missing = np.isnat(dates)
    out.put(rows[missing], "invalid", _fmt(_MSG_NOT_EXIST, v=shown[missing]))
    out.put(rows[~missing], "ok", None, dates[~missing])


def _put_datetimes(out: _Out, rows: np.ndarray, cells: np.ndarray) -> None:
    """date/datetime/Timestamp/np.datetime64 cells: take the (wall-clock) date part."""
    series = pd.Series(cells, dtype=object)
    try:
        parsed = pd.to_datetime(series, errors="coerce")
        if isinstance(parsed.dtype, pd.DatetimeTZDtype):
            parsed = parsed.dt.tz_localize(None)
    except (TypeError, ValueError):  # e.g. tz-aware mixed with naive: one by one
        parsed = pd.to_datetime(series.map(_naive_timestamp), errors="coerce")
    lost = parsed.isna().to_numpy(dtype=bool)
    if lost.any():  # pandas sometimes coerces a tz-aware cell among naive ones to NaT instead
        again = pd.to_datetime(series[lost].map(_naive_timestamp), errors="coerce")
        parsed = parsed.astype(again.dtype) if parsed.dtype != again.dtype else parsed
        parsed[lost] = again.to_numpy()
    years = parsed.dt.year.to_numpy(dtype=float, na_value=np.nan)
    good = (years >= _MIN_YEAR) & (years <= _MAX_YEAR)
    shown = np.array([str(c)[:10] for c in cells[~good]], dtype=object)
    out.put(rows[~good], "invalid", _fmt(_MSG_YEAR, v=shown))
    days = parsed[good].dt.normalize().to_numpy(dtype="datetime64[ns]")
    out.put(rows[good], "ok", None, days)


def _naive_timestamp(value: Any) -> Any:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError, OverflowError):
        return pd.NaT
    return ts.tz_localize(None) if ts.tzinfo is not None else ts


def _put_numbers(out: _Out, rows: np.ndarray, nums: np.ndarray) -> None:
    """Numbers: YYYYMMDD (8 digits) or Excel serials."""
    finite = np.isfinite(nums)
    integral = finite & (np.floor(np.where(finite, nums, 0)) == nums)
    ymd = integral & (nums >= 19000101) & (nums <= 20991231)
    if ymd.any():
        v = nums[ymd]
        shown = v.astype(np.int64).astype(str).astype(object)
        _put_ymd(out, rows[ymd], v // 10000, v // 100 % 100, v % 100, shown)

    serial = finite & ~ymd & (nums >= 1) & (nums < _MAX_SERIAL + 1)
    lo, hi = _PLAUSIBLE_SERIALS
    plausible = serial & (nums >= lo) & (nums < hi + 1)
    if plausible.any():
        offsets = np.floor(nums[plausible]).astype(np.int64).astype("timedelta64[D]")
        out.put(rows[plausible], "serial", None, (_EXCEL_EPOCH64 + offsets).astype("datetime64[ns]"))
    far = serial & ~plausible
    if far.any():
        shown = np.array([_show_number(x) for x in nums[far]], dtype=object)
        as_dates = np.array([excel_serial_to_date(x).isoformat() for x in nums[far]], dtype=object)
        out.put(rows[far], "invalid", _fmt(_MSG_SERIAL_RANGE, v=shown, d=as_dates))
    other = ~ymd & ~serial
    if other.any():
        shown = np.array([_show_number(x) for x in nums[other]], dtype=object)
        out.put(rows[other], "invalid", _fmt(_MSG_NUMBER, v=shown))


_DIGITS_19 = np.arange(19)
_SEPARATORS = np.array([ord("-"), ord("/"), ord(".")], dtype=np.uint32)


def _fast_texts(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The common text shapes, on a code-point matrix: ``YYYYMMDD``, ``YYYY-MM-DD`` (or / .), the
    latter optionally followed by `` HH:MM`` or `` HH:MM:SS``. Returns (matched, year, month, day)
    with year/month/day aligned to the matched cells."""
    lengths = np.fromiter(map(len, cells), dtype=np.int64, count=len(cells))
    matched = np.isin(lengths, [8, 10, 16, 19])
    empty = np.zeros(0, dtype=np.int64)
    if not matched.any():
        return matched, empty, empty, empty
    codes = cells[matched].astype("U19").view(np.uint32).reshape(-1, 19)
    length = lengths[matched]
    is_digit = (codes >= ord("0")) & (codes <= ord("9"))
    digits = codes.astype(np.int64) - ord("0")

    compact = (length == 8) & is_digit[:, :8].all(axis=1)
    clock = (
        (codes[:, 10] == ord(" ")) & is_digit[:, [11, 12, 14, 15]].all(axis=1) & (codes[:, 13] == ord(":"))
    )
    seconds = (codes[:, 16] == ord(":")) & is_digit[:, [17, 18]].all(axis=1)
    dashed = (
        is_digit[:, [0, 1, 2, 3, 5, 6, 8, 9]].all(axis=1)
        & np.isin(codes[:, 4], _SEPARATORS)
        & (codes[:, 4] == codes[:, 7])
        & ((length == 10) | ((length == 16) & clock) | ((length == 19) & clock & seconds))
    )
    year = digits[:, 0] * 1000 + digits[:, 1] * 100 + digits[:, 2] * 10 + digits[:, 3]
    month = np.where(compact, digits[:, 4] * 10 + digits[:, 5], digits[:, 5] * 10 + digits[:, 6])
    day = np.where(compact, digits[:, 6] * 10 + digits[:, 7], digits[:, 8] * 10 + digits[:, 9])
    ok = compact | dashed
    matched[matched] = ok
    return matched, year[ok], month[ok], day[ok]


def _put_texts(out: _Out, rows: np.ndarray, cells: np.ndarray) -> None:
    """Text cells: the common shapes on a code-point matrix, the rest with regexes on an ever
    smaller remainder."""
    fast, year, month, day = _fast_texts(cells)
    if fast.any():
        _put_ymd(out, rows[fast], year, month, day, cells[fast])
    rows, cells = rows[~fast], cells[~fast]
    if not len(rows):
        return

    t = _clean(cells)
    tv = t.to_numpy(dtype=object)
    todo = np.ones(len(t), dtype=bool)
    rest = np.arange(len(t))  # positions still undecided

    def take(mask: np.ndarray) -> np.ndarray:
        """Claim the rows of ``mask`` (aligned to ``rest``) and drop them from the remainder."""
        nonlocal rest
        claimed = np.zeros(len(todo), dtype=bool)
        claimed[rest[mask]] = True
        todo[claimed] = False
        rest = np.flatnonzero(todo)
        return claimed

    empty = take(np.isin(t.str.upper().to_numpy(dtype=object), ["", *_PLACEHOLDERS]))
    out.put(rows[empty], "empty")

    number = take(t[rest].str.fullmatch(_NUMBER_RE).to_numpy(dtype=bool))
    if number.any():
        _put_numbers(out, rows[number], t[number].astype(float).to_numpy(dtype=float))

    if len(rest):
        ymd = t[rest].str.extract(_YMD_RE)
        is_ymd = take(ymd["y"].notna().to_numpy(dtype=bool))
        if is_ymd.any():
            parts = ymd.dropna(subset=["y"]).astype(int)
            _put_ymd(
                out,
                rows[is_ymd],
                parts["y"].to_numpy(),
                parts["m"].to_numpy(),
                parts["d"].to_numpy(),
                tv[is_ymd],
            )

    if len(rest):
        dmy = t[rest].str.extract(_DMY_RE)
        is_dmy = take(dmy["y"].notna().to_numpy(dtype=bool))
        if is_dmy.any():
            parts = dmy.dropna(subset=["y"]).astype(int)
            a, b, year = (parts[c].to_numpy() for c in ("a", "b", "y"))
            r, shown = rows[is_dmy], tv[is_dmy]
            # Chinese users write Y-M-D; D/M/Y vs M/D/Y can only be told apart by a number > 12.
            unsure = (a != b) & (a <= 12) & (b <= 12)
            a_text, b_text = a.astype(str).astype(object), b.astype(str).astype(object)
            message = _fmt(_MSG_ORDER, v=shown[unsure], a=a_text[unsure], b=b_text[unsure])
            out.put(r[unsure], "ambiguous", message)
            day = np.where(a > 12, a, b)  # a == b: either way; both > 12: month > 12, invalid below
            month = np.where(a > 12, b, a)
            sure = ~unsure
            _put_ymd(out, r[sure], year[sure], month[sure], day[sure], shown[sure])

    if len(rest):
        short = take(t[rest].str.fullmatch(_SHORT_YEAR_RE).to_numpy(dtype=bool))
        out.put(rows[short], "ambiguous", _fmt(_MSG_SHORT_YEAR, v=tv[short]))
    if len(rest):
        partial = take(t[rest].str.fullmatch(_PARTIAL_RE).to_numpy(dtype=bool))
        out.put(rows[partial], "invalid", _fmt(_MSG_PARTIAL, v=tv[partial]))
    out.put(rows[todo], "invalid", _fmt(_MSG_UNKNOWN, v=tv[todo]))


def parse_dates(values: pd.Series) -> pd.DataFrame:
    """Parse raw date cells.

    Returns a frame with the index of ``values`` and columns ``date`` (datetime64[ns], midnight;
    NaT unless status is ok/serial), ``date_status`` ("string": ok/empty/invalid/ambiguous/serial)
    and ``date_message`` ("string", Chinese; NA for ok/empty/serial).
    """
    raw = values.to_numpy(dtype=object)
    n = len(raw)
    kinds = cell_kinds(raw)
    out = _Out(n)
    out.put(np.flatnonzero(kinds == NA), "empty")
    out.put(np.flatnonzero(kinds == BOOL), "invalid", _MSG_BOOL)

    rows = np.flatnonzero(kinds == DATETIME)
    if len(rows):
        _put_datetimes(out, rows, raw[rows])
    rows = np.flatnonzero((kinds == INT) | (kinds == FLOAT))
    if len(rows):
        _put_numbers(out, rows, _to_floats(raw[rows]))
    rows = np.flatnonzero((kinds == STR) | (kinds == OTHER))
    if len(rows):
        cells = raw[rows]
        other = kinds[rows] == OTHER
        cells[other] = [str(v) for v in cells[other]]  # rare: Decimal, bytes ...
        _put_texts(out, rows, cells)

    return pd.DataFrame(
        {
            "date": out.date,
            "date_status": pd.array(out.status, dtype="string"),
            "date_message": pd.array(out.message, dtype="string"),
        },
        index=values.index,
    )


# --- gestational age --------------------------------------------------------------------------------

# 12, 12.0, 12周, 孕12周, 12+3, 12周+3天, 12周3天, 12W3D, 12W+3, 孕12+3周 (clinical notation),
# 12周零3天. Days need a "+" or a week unit before them, so "123" is not 12+3.
_GEST_RE = (
    r"^(?:孕周?)?(?P<w>\d{1,2})(?:\.0+)?(?:周|W)?"
    r"(?:(?:\+|(?<=[周W])[零又]?)(?P<d>\d{1,2})(?:天|D|周)?)?$"
)
_GEST_DECIMAL_RE = r"^(?:孕周?)?\d{1,2}\.\d+(?:周|W)?$"

_GEST_HOW = "请写成“周+天”，如 12+3"
_MSG_GEST_DECIMAL = "孕周 {v} 带小数，无法确定是几周几天，" + _GEST_HOW
_MSG_GEST_RANGE = f"孕周 {{v}} 不在合理范围（{MIN_GEST_WEEKS}—{MAX_GEST_WEEKS}周）内"
_MSG_GEST_DAYS = "孕周 {v} 的天数应为0—6天，" + _GEST_HOW
_MSG_GEST_UNKNOWN = "无法识别的孕周：{v}，" + _GEST_HOW
_MSG_GEST_TYPE = "该格内容不是孕周，" + _GEST_HOW


def _fast_gestation(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The common shapes ``12``, ``12+3``, ``12周`` on a code-point matrix. Returns (matched,
    weeks, days) with weeks/days aligned to the matched cells."""
    lengths = np.fromiter(map(len, cells), dtype=np.int64, count=len(cells))
    matched = (lengths >= 1) & (lengths <= 4)
    empty = np.zeros(0, dtype=np.int64)
    if not matched.any():
        return matched, empty, empty
    codes = cells[matched].astype("U4").view(np.uint32).reshape(-1, 4)
    length = lengths[matched]
    is_digit = (codes >= ord("0")) & (codes <= ord("9"))
    digits = codes.astype(np.int64) - ord("0")
    plus = codes == ord("+")
    week_sign = codes == ord("周")
    ndig = is_digit.sum(axis=1)
    # Number of leading week digits (1 or 2) and what follows them.
    two = is_digit[:, 0] & is_digit[:, 1]
    w_len = np.where(two, 2, 1)
    rows = np.arange(len(codes))
    after = np.minimum(w_len, 3)
    weeks = np.where(two, digits[:, 0] * 10 + digits[:, 1], digits[:, 0])
    only_weeks = is_digit[:, 0] & (ndig == length) & (length <= 2)
    with_unit = is_digit[:, 0] & (length == w_len + 1) & week_sign[rows, after] & (ndig == w_len)
    with_days = (
        is_digit[:, 0]
        & (length == w_len + 2)
        & plus[rows, after]
        & is_digit[rows, np.minimum(w_len + 1, 3)]
        & (ndig == w_len + 1)
    )
    days = np.where(with_days, digits[rows, np.minimum(w_len + 1, 3)], 0)
    ok = only_weeks | with_unit | with_days
    matched[matched] = ok
    return matched, weeks[ok], days[ok]


class _Gestation:
    """Result columns being filled in, positionally: weeks and extra days as parsed, status,
    message, and the cell as the user wrote it (after cleaning) for the messages."""

    def __init__(self, n: int) -> None:
        self.weeks = np.full(n, np.nan)
        self.extra = np.zeros(n)
        self.status = np.full(n, None, dtype=object)
        self.message = np.full(n, None, dtype=object)
        self.shown = np.full(n, None, dtype=object)

    def put(self, rows: np.ndarray, status: str, message: Any = None) -> None:
        self.status[rows] = status
        self.message[rows] = message


def parse_gestation(values: pd.Series) -> pd.DataFrame:
    """Parse raw gestational-age cells.

    Returns a frame with the index of ``values`` and columns ``days`` (Int64, weeks*7+days; NA
    unless ok), ``gest_status`` ("string": ok/empty/invalid) and ``gest_message`` ("string",
    Chinese; NA for ok/empty). Decimal weeks other than x.0 are invalid (12.5 may mean 12+5).
    """
    raw = values.to_numpy(dtype=object)
    kinds = cell_kinds(raw)
    out = _Gestation(len(raw))
    out.status[kinds == NA] = "empty"
    out.put((kinds == BOOL) | (kinds == DATETIME), "invalid", _MSG_GEST_TYPE)
    num_rows = np.flatnonzero((kinds == INT) | (kinds == FLOAT))
    if len(num_rows):
        _gest_numbers(out, num_rows, _to_floats(raw[num_rows]))
    text_rows = np.flatnonzero((kinds == STR) | (kinds == OTHER))
    if len(text_rows):
        cells = raw[text_rows]
        other = kinds[text_rows] == OTHER
        cells[other] = [str(v) for v in cells[other]]  # rare: Decimal, bytes ...
        _gest_texts(out, text_rows, cells)
    good = _check_gest_range(out)
    total = np.where(good, out.weeks, 0) * 7 + np.where(good, out.extra, 0)
    days = pd.array(np.where(good, total, np.nan), dtype="Float64").astype("Int64")
    return pd.DataFrame(
        {
            "days": days,
            "gest_status": pd.array(out.status, dtype="string"),
            "gest_message": pd.array(out.message, dtype="string"),
        },
        index=values.index,
    )


def _gest_numbers(out: _Gestation, rows: np.ndarray, nums: np.ndarray) -> None:
    """Numbers: whole weeks; a decimal is invalid (12.5 may mean 12+5)."""
    whole = np.isfinite(nums) & (np.floor(np.where(np.isfinite(nums), nums, 0)) == nums)
    out.weeks[rows[whole]] = nums[whole]
    decimal_rows = rows[~whole]
    out.shown[decimal_rows] = [_show_number(x) for x in nums[~whole]]
    out.put(decimal_rows, "invalid", _fmt(_MSG_GEST_DECIMAL, v=out.shown[decimal_rows]))


def _gest_texts(out: _Gestation, rows: np.ndarray, cells: np.ndarray) -> None:
    """Text cells: the common shapes on a code-point matrix, the rest with regexes."""
    fast, fast_weeks, fast_days = _fast_gestation(cells)
    out.weeks[rows[fast]] = fast_weeks
    out.extra[rows[fast]] = fast_days
    out.shown[rows[fast]] = cells[fast]
    rows, cells = rows[~fast], cells[~fast]
    if not len(rows):
        return
    t = _clean(cells).str.replace(" ", "", regex=False).str.upper()
    tv = t.to_numpy(dtype=object)
    out.shown[rows] = tv
    empty = np.isin(tv, ["", *_PLACEHOLDERS])
    out.status[rows[empty]] = "empty"
    parts = t.str.extract(_GEST_RE)
    matched = parts["w"].notna().to_numpy(dtype=bool) & ~empty
    out.weeks[rows[matched]] = parts["w"][matched].astype(float).to_numpy()
    out.extra[rows[matched]] = parts["d"][matched].astype(float).fillna(0).to_numpy()
    decimal = t.str.fullmatch(_GEST_DECIMAL_RE).to_numpy(dtype=bool) & ~matched & ~empty
    out.put(rows[decimal], "invalid", _fmt(_MSG_GEST_DECIMAL, v=tv[decimal]))
    unknown = ~(matched | empty | decimal)
    out.put(rows[unknown], "invalid", _fmt(_MSG_GEST_UNKNOWN, v=tv[unknown]))


def _check_gest_range(out: _Gestation) -> np.ndarray:
    """Mark the parsed ages with more than 6 extra days or weeks out of range invalid, the rest
    ok; returns the mask of the ok ones."""
    parsed = none_mask(out.status) & ~np.isnan(out.weeks)
    bad_days = parsed & (out.extra > 6)
    bad_range = parsed & ~bad_days & ((out.weeks < MIN_GEST_WEEKS) | (out.weeks > MAX_GEST_WEEKS))
    bad = bad_days | bad_range
    if bad.any():
        unseen = bad & none_mask(out.shown)  # whole numbers: shown only when needed
        out.shown[unseen] = [_show_number(x) for x in out.weeks[unseen]]
        out.status[bad] = "invalid"
        out.message[bad_days] = _fmt(_MSG_GEST_DAYS, v=out.shown[bad_days])
        out.message[bad_range] = _fmt(_MSG_GEST_RANGE, v=out.shown[bad_range])
    good = parsed & ~bad
    out.status[good] = "ok"
    return good
