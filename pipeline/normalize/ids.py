"""Chinese resident ID numbers (GB 11643) and phone numbers from messy spreadsheet cells.

Everything here is pure and vectorised. The common path (a text cell that already looks like an
18-digit ID or an 11-digit mobile) runs entirely in numpy on a fixed-width code-point matrix; the
odd text cells go through pandas ``.str`` methods; only non-text cells (numbers, dates, booleans),
which are rare, are looked at one by one.

Statuses are short ASCII codes for the program; ``id_message`` / ``id_fix`` are the Chinese texts
shown to the office user. Nothing here prints or logs personal data: use :func:`mask_id`,
:func:`mask_phone` and :func:`mask_text` for anything shown outside the office's own tables.
"""

from __future__ import annotations

import decimal
import math
import re
from typing import Any

import numpy as np
import pandas as pd

from pipeline.normalize.cells import BOOL, DATETIME, FLOAT, INT, NA, STR, cell_kinds, none_mask

__all__ = [
    "CHECK_CHARS",
    "ID_COLUMNS",
    "ID_STATUSES",
    "PHONE_COLUMNS",
    "PHONE_STATUSES",
    "WEIGHTS",
    "birth_date",
    "check_digit",
    "mask_id",
    "mask_id_text",
    "mask_ids",
    "mask_phone",
    "mask_phones",
    "mask_text",
    "normalize_ids",
    "normalize_phones",
    "upgrade15",
]

# ISO 7064 MOD 11-2 as used by GB 11643-1999.
WEIGHTS: tuple[int, ...] = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
_WEIGHTS_ARR = np.array(WEIGHTS, dtype=np.int32)
_CHECK_CODES = np.array([ord(c) for c in CHECK_CHARS], dtype=np.uint32)
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int32)

ID_COLUMNS = ["id", "id_status", "id_message", "id_fix"]
ID_STATUSES = ("ok", "empty", "upgraded", "float", "length", "chars", "checksum", "birthdate", "male")
PHONE_COLUMNS = ["phone", "phone_status"]
PHONE_STATUSES = ("ok", "empty", "landline", "invalid", "float")

# A birth date in an ID must be a real calendar date in this window.
_MIN_YEAR = 1900
_MAX_YEAR = 2099

# --- Chinese texts (each template has at most one placeholder) ----------------------------------

_MSG_FLOAT = "身份证号被Excel存成了数字，后几位已丢失（如 {value}）"
_MSG_FLOAT_000 = "身份证号末三位是000，很可能被Excel存成数字后丢失了后几位"
_MSG_LENGTH = "身份证号位数不对：应为18位（旧证15位），现在是{n}位"
_MSG_CHARS = "身份证号含有不该有的字符（只能是数字，最后一位可以是X）"
_MSG_BOOL = "该格内容是逻辑值（TRUE/FALSE），不是身份证号"
_MSG_DATE = "该格内容是日期，不是身份证号"
_MSG_CHECKSUM = "身份证号校验位不对（最后一位应为 {check}），也可能是前面的数字录错了"
_MSG_BIRTHDATE = "身份证号中的出生日期（第7—14位）{date} 不是有效日期"
_MSG_BIRTHDATE_15 = "15位旧身份证号中的出生日期（第7—12位，年份前补19）{date} 不是有效日期"
_MSG_MALE = "身份证号第17位是单数（男性的号码），孕妇本人的应为双数，可能填成了丈夫的身份证号"
_MSG_UPGRADED = "15位旧身份证号，已自动转换为18位"

_FIX_FLOAT = "请把该列设置为“文本”格式后重新录入完整的18位身份证号（或在号码前加英文单引号 '）"
_FIX_GENERAL = "请核对身份证号后在原表中改正"
_FIX_MALE = "请核对是否误填了丈夫或其他人的身份证号，改为孕妇本人的18位身份证号"
_FIX_UPGRADED = "无需处理；如本人已换领18位身份证，可改为新号码"
_ID_FIXES: dict[str, str] = {
    "upgraded": _FIX_UPGRADED,
    "float": _FIX_FLOAT,
    "length": _FIX_GENERAL,
    "chars": _FIX_GENERAL,
    "checksum": _FIX_GENERAL,
    "birthdate": _FIX_GENERAL,
    "male": _FIX_MALE,
}

# --- cell classification and small helpers --------------------------------------------------------


# Removed from ID cells: whitespace (incl. full-width space, NBSP), soft hyphen, zero-width and
# bidi control characters, BOM.
_ZERO_WIDTH_RE = r"[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]"
_INVISIBLE_RE = r"[\s\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]+"
_LEADING_QUOTE_RE = r"^['‘’`]+"
# Only ASCII digits count (after NFKC): ``\d`` would also accept e.g. Arabic-Indic digits.
_SCI_RE = r"[+-]?[0-9]+(?:\.[0-9]*)?E[+-]?[0-9]+"
# Cell texts meaning "nothing here" (the person or clerk did not know / had nothing to enter).
_PLACEHOLDERS = ["不详", "不清楚", "未知", "无", "/", "-", "--", "—", "——", "NAN", "NONE", "NULL"]




def _lengths(strs: np.ndarray) -> np.ndarray:
    return np.fromiter(map(len, strs), dtype=np.int64, count=len(strs))


def _codes(strs: np.ndarray, width: int) -> np.ndarray:
    """(k, width) uint32 matrix of code points for an object array of strings of length ``width``."""
    return strs.astype(f"U{width}").view(np.uint32).reshape(len(strs), width)


def _from_codes(codes: np.ndarray) -> np.ndarray:
    """Inverse of :func:`_codes`: object array of str."""
    width = codes.shape[1]
    return np.ascontiguousarray(codes, dtype=np.uint32).view(f"U{width}").reshape(-1).astype(object)


def _fmt(template: str, values: np.ndarray) -> np.ndarray:
    """Vectorised ``template.format(<one placeholder>=value)`` over an object array of str."""
    prefix, _, rest = template.partition("{")
    suffix = rest.partition("}")[2]
    return prefix + values.astype(object) + suffix


def _as_string_series(values: np.ndarray) -> pd.Series:
    return pd.Series(pd.array(values, dtype="string"))


def _clean_text(s: pd.Series) -> pd.Series:
    """NFKC (full-width -> ASCII), drop whitespace/invisible characters and a leading
    apostrophe (Excel's "store as text" marker), upper-case (x -> X)."""
    s = s.astype("string").str.normalize("NFKC")
    s = s.str.replace(_INVISIBLE_RE, "", regex=True)
    s = s.str.replace(_LEADING_QUOTE_RE, "", regex=True)
    return s.str.upper()


def _sci(value: float) -> str:
    """How Excel shows a big number: ``4.11328199E+17``."""
    return re.sub(r"\.?0+E", "E", f"{value:.8E}")


def _sci_digits(digits: str) -> str:
    """:func:`_sci` for an integer given as its digits (exact, also for huge integers)."""
    mantissa = f"{digits[0]}.{digits[1:9]}".rstrip("0").rstrip(".")
    return f"{mantissa}E+{len(digits) - 1:02d}"


# --- check digit and 15 -> 18 upgrade -----------------------------------------------------------


def check_digit(body17: str) -> str:
    """ISO 7064 MOD 11-2 check character ("0"-"9" or "X") for the first 17 digits."""
    if len(body17) != 17 or not body17.isascii() or not body17.isdigit():
        raise ValueError(f"need exactly 17 ASCII digits, got {len(body17)} characters")
    total = sum(int(c) * w for c, w in zip(body17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def upgrade15(id15: str) -> str:
    """Old 15-digit ID -> 18 digits: insert "19" before the 2-digit year, append the check digit."""
    if len(id15) != 15 or not id15.isascii() or not id15.isdigit():
        raise ValueError(f"need exactly 15 ASCII digits, got {len(id15)} characters")
    body = id15[:6] + "19" + id15[6:]
    return body + check_digit(body)


def _civil(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(datetime64[ns] dates, valid mask) for integer arrays; valid means a real calendar date
    between 1900-01-01 and 2099-12-31. Invalid rows are NaT. Pure numpy."""
    year = np.asarray(year, dtype=np.int64)
    month = np.asarray(month, dtype=np.int64)
    day = np.asarray(day, dtype=np.int64)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = _DAYS_IN_MONTH[np.clip(month, 0, 12)] + (leap & (month == 2))
    valid = (
        (year >= _MIN_YEAR)
        & (year <= _MAX_YEAR)
        & (month >= 1)
        & (month <= 12)
        & (day >= 1)
        & (day <= month_days)
    )
    months = (np.where(valid, year, 1970) - 1970).astype("datetime64[Y]").astype("datetime64[M]")
    months = months + (np.where(valid, month, 1) - 1)
    dates = (months.astype("datetime64[D]") + (np.where(valid, day, 1) - 1)).astype("datetime64[ns]")
    dates[~valid] = np.datetime64("NaT")
    return dates, valid


def birth_date(id18: pd.Series) -> pd.Series:
    """Birth date (datetime64[ns]) from digits 7-14 of 18-digit IDs; NaT when NA, not digits, or
    not a real date in 1900..2099 (the same rule :func:`normalize_ids` applies)."""
    text = id18.astype("string").str.slice(6, 14)
    usable = text.str.fullmatch(r"[0-9]{8}").fillna(False).to_numpy(dtype=bool)
    out = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[ns]")
    if usable.any():
        number = text[usable].astype(np.int64).to_numpy(dtype=np.int64)
        out[usable] = _civil(number // 10000, number // 100 % 100, number % 100)[0]
    return pd.Series(out, index=id18.index, name=id18.name)


# --- ID normalisation -----------------------------------------------------------------------------


def _nonstr_id_cell(value: Any, kind: int) -> tuple[str | None, str | None, str | None]:
    """(text to validate, forced status, forced message) for a non-text cell."""
    if kind == BOOL:
        return None, "chars", _MSG_BOOL
    if kind == DATETIME:
        return None, "chars", _MSG_DATE
    if kind == FLOAT or isinstance(value, decimal.Decimal):
        number = float(value)
        if not math.isfinite(number):
            return None, "chars", _MSG_CHARS
        if not (number.is_integer() and abs(number) < 1e15):
            # >= 16 digits (Excel kept only 15) or a fraction: the real number is gone.
            shown = _sci(number) if abs(number) >= 1e15 else format(number, "g")
            return None, "float", _MSG_FLOAT.format(value=shown)
        value, kind = int(number), INT
    if kind == INT:
        number_int = int(value)
        if number_int < 0:
            return None, "chars", _MSG_CHARS
        digits = str(number_int)
        if len(digits) >= 16:  # beyond Excel's 15 significant digits
            return None, "float", _MSG_FLOAT.format(value=_sci_digits(digits))
        return digits, None, None  # 15 digits: an old ID, usable; other lengths: "length"
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", errors="replace"), None, None
    return str(value), None, None


def _prepare_odd_ids(texts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Clean ID texts that are not plain 18-character IDs.

    Returns (status, message, id18, upgraded): a final status/message where the text is already
    decided, else an 18-character candidate in ``id18`` for :func:`_check_id18` (for old 15-digit
    IDs the body plus a placeholder check character, with ``upgraded`` set).
    """
    k = len(texts)
    status = np.full(k, None, dtype=object)
    message = np.full(k, None, dtype=object)
    id18 = np.full(k, None, dtype=object)
    upgraded = np.zeros(k, dtype=bool)

    def put(mask: np.ndarray, code: str, msg: str | np.ndarray | None) -> None:
        mask = mask & none_mask(status)
        status[mask] = code
        message[mask] = msg[mask] if isinstance(msg, np.ndarray) else msg

    t = _clean_text(_as_string_series(texts))
    tv = t.to_numpy(dtype=object)
    put(np.isin(tv, ["", *_PLACEHOLDERS]), "empty", None)

    # Numbers written as text: "4.11328199E+17", "411328199001011000.0", "411328900101123.0".
    put(t.str.fullmatch(_SCI_RE).to_numpy(dtype=bool), "float", _fmt(_MSG_FLOAT, tv))
    dec = t.str.extract(r"^([0-9]+)\.([0-9]*)$")
    int_part = dec[0].to_numpy(dtype=object)
    has_dec = dec[0].notna().to_numpy(dtype=bool)
    dec_long = has_dec & (dec[0].str.len() >= 16).fillna(False).to_numpy(dtype=bool)
    put(dec_long, "float", _fmt(_MSG_FLOAT, tv))
    dec_zero = has_dec & dec[1].str.fullmatch("0*").fillna(False).to_numpy(dtype=bool)
    put(has_dec & ~dec_zero, "chars", _MSG_CHARS)
    tv = np.where(dec_zero, int_part, tv)
    t = _as_string_series(tv)

    put(~t.str.fullmatch(r"[0-9]*X?").to_numpy(dtype=bool), "chars", _MSG_CHARS)
    undecided = none_mask(status)
    is18 = undecided & t.str.fullmatch(r"[0-9]{17}[0-9X]").to_numpy(dtype=bool)
    is15 = undecided & t.str.fullmatch(r"[0-9]{15}").to_numpy(dtype=bool)
    put(~(is18 | is15), "length", _fmt(_MSG_LENGTH, t.str.len().astype("string").to_numpy(dtype=object)))

    id18[is18] = tv[is18]
    if is15.any():
        old = t[is15]
        id18[is15] = (old.str.slice(0, 6) + "19" + old.str.slice(6) + "0").to_numpy(dtype=object)
        upgraded[is15] = True
    return status, message, id18, upgraded


def _check_id18(codes: np.ndarray, upgraded: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Checks on IDs given as an (k, 18) code-point matrix, each row ``\\d{17}[\\dXx]`` (ASCII):
    check digit, birth date, sex. Pure numpy.

    ``codes`` is normalised in place (x -> X; for ``upgraded`` rows the last character is a
    placeholder and becomes the computed check digit). Returns (status, message, rewritten):
    ``rewritten`` marks rows whose text changed.
    """
    digits = codes[:, :17].astype(np.int32) - ord("0")
    expected = _CHECK_CODES[(digits * _WEIGHTS_ARR).sum(axis=1) % 11]
    last = codes[:, 17]  # a view: writes go into ``codes``
    lower_x = last == ord("x")
    last[lower_x] = ord("X")
    last[upgraded] = expected[upgraded]
    bad_check = last != expected
    lost = bad_check & (codes[:, 15:18] == ord("0")).all(axis=1)

    year = digits[:, 6] * 1000 + digits[:, 7] * 100 + digits[:, 8] * 10 + digits[:, 9]
    month = digits[:, 10] * 10 + digits[:, 11]
    day = digits[:, 12] * 10 + digits[:, 13]
    bad_birth = ~_civil(year, month, day)[1]
    male = digits[:, 16] % 2 == 1

    status = np.where(upgraded, "upgraded", "ok").astype(object)
    message = np.full(len(codes), None, dtype=object)
    message[upgraded] = _MSG_UPGRADED
    # Lowest precedence first, so that the more basic problem wins.
    status[male] = "male"
    message[male] = _MSG_MALE
    if bad_birth.any():
        born = _from_codes(codes[:, 6:14])
        status[bad_birth] = "birthdate"
        old = bad_birth & upgraded
        new = bad_birth & ~upgraded
        message[new] = _fmt(_MSG_BIRTHDATE, born[new])
        message[old] = _fmt(_MSG_BIRTHDATE_15, born[old])
    if bad_check.any():
        status[bad_check] = "checksum"
        check_chars = expected[bad_check].view("U1").astype(object)
        message[bad_check] = _fmt(_MSG_CHECKSUM, check_chars)
        status[lost] = "float"
        message[lost] = _MSG_FLOAT_000
    return status, message, lower_x | upgraded


def normalize_ids(values: pd.Series) -> pd.DataFrame:
    """Normalise raw ID cells.

    Returns a frame with the index of ``values`` and "string" columns ``id`` (18 characters,
    upper-case X; NA unless status is ok/upgraded), ``id_status`` (one of :data:`ID_STATUSES`),
    ``id_message`` and ``id_fix`` (Chinese; NA for ok/empty).
    """
    raw = values.to_numpy(dtype=object)
    n = len(raw)
    kinds = cell_kinds(raw)
    text = np.full(n, None, dtype=object)
    status = np.full(n, None, dtype=object)
    message = np.full(n, None, dtype=object)

    str_mask = kinds == STR
    text[str_mask] = raw[str_mask]
    for i in np.flatnonzero((kinds != STR) & (kinds != NA)):  # rare: numbers, dates, junk
        text[i], status[i], message[i] = _nonstr_id_cell(raw[i], int(kinds[i]))
    has_text = ~none_mask(text)
    status[~has_text & none_mask(status)] = "empty"

    # Fast path: exactly 18 ASCII characters, 17 digits + digit/X/x: no cleaning needed.
    lengths = np.zeros(n, dtype=np.int64)
    lengths[has_text] = _lengths(text[has_text])
    plain = has_text & (lengths == 18)
    plain_codes = np.empty((0, 18), dtype=np.uint32)
    if plain.any():
        plain_codes = _codes(text[plain], 18)
        body_ok = ((plain_codes[:, :17] >= ord("0")) & (plain_codes[:, :17] <= ord("9"))).all(axis=1)
        last = plain_codes[:, 17]
        last_ok = ((last >= ord("0")) & (last <= ord("9"))) | (last == ord("X")) | (last == ord("x"))
        keep = body_ok & last_ok
        plain[plain] = keep
        plain_codes = plain_codes[keep]

    # Everything else that has text: clean, then decide or turn into an 18-character candidate.
    id18 = np.full(n, None, dtype=object)
    upgraded = np.zeros(n, dtype=bool)
    id18[plain] = text[plain]
    odd = has_text & ~plain & none_mask(status)
    if odd.any():
        status[odd], message[odd], id18[odd], upgraded[odd] = _prepare_odd_ids(text[odd])

    ids = np.full(n, None, dtype=object)
    check = ~none_mask(id18)
    if check.any():
        from_plain = plain[check]
        codes = np.empty((int(check.sum()), 18), dtype=np.uint32)
        codes[from_plain] = plain_codes
        codes[~from_plain] = _codes(id18[check & ~plain], 18)
        sub_status, sub_message, rewritten = _check_id18(codes, upgraded[check])
        status[check] = sub_status
        message[check] = sub_message
        usable = np.isin(sub_status, ["ok", "upgraded"])
        sub_ids = np.full(len(codes), None, dtype=object)
        sub_ids[usable] = id18[check][usable]
        redo = usable & rewritten
        if redo.any():
            sub_ids[redo] = _from_codes(codes[redo])
        ids[check] = sub_ids

    status_arr = pd.array(status, dtype="string")
    fix = pd.Series(status_arr).map(_ID_FIXES).to_numpy(dtype=object)
    return pd.DataFrame(
        {
            "id": pd.array(ids, dtype="string"),
            "id_status": status_arr,
            "id_message": pd.array(message, dtype="string"),
            "id_fix": pd.array(fix, dtype="string"),
        },
        index=values.index,
    )


# --- phones ---------------------------------------------------------------------------------------

_MOBILE_RE = r"(?:\+?(?:00)?86)?(1[3-9][0-9]{9})"
# Area codes: 010 and 02x have 3 digits, all others 4 (0377 Nanyang ...); local numbers 7-8 digits.
_LANDLINE_RE = r"(?:\(?(01[0-9]|02[0-9]|0[3-9][0-9]{2})\)?-?)?([2-9][0-9]{6,7})"


def _phone_fallback(text: str) -> tuple[str | None, str]:
    """Odd cells: several numbers, or words around the number. The first mobile wins, then the
    first landline with area code."""
    joined = re.sub(r"(?<=[0-9])[-\s](?=[0-9])", "", text)  # "138 1234 5678" -> "13812345678"
    for candidate in (text, joined):
        m = re.search(r"(?<![0-9])(1[3-9][0-9]{9})(?![0-9])", candidate)
        if m:
            return m.group(1), "ok"
    m = re.search(r"(?<![0-9])\(?(0(?:1[0-9]|2[0-9]|[3-9][0-9]{2}))\)?-?([2-9][0-9]{6,7})(?![0-9])", text)
    if m:
        return f"{m.group(1)}-{m.group(2)}", "landline"
    return None, "invalid"


def _nonstr_phone_cell(value: Any, kind: int) -> tuple[str | None, str | None]:
    """(text to validate, forced status) for a non-text cell. Phones fit in Excel's 15 digits,
    so integral numbers are fine."""
    if kind in (BOOL, DATETIME):
        return None, "invalid"
    if kind in (INT, FLOAT) or isinstance(value, decimal.Decimal):
        number = float(value) if kind != INT else int(value)
        if isinstance(number, float) and not (math.isfinite(number) and number.is_integer()):
            return None, "invalid"
        if number < 0:
            return None, "invalid"
        return str(int(number)), None
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", errors="replace"), None
    return str(value), None


def _odd_phones(texts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(phone, status) for phone texts that are not plain 11-digit mobiles."""
    k = len(texts)
    status = np.full(k, None, dtype=object)
    phone = np.full(k, None, dtype=object)
    s = _as_string_series(texts).str.normalize("NFKC")
    s = s.str.replace(_ZERO_WIDTH_RE, "", regex=True)
    s = s.str.replace(r"\s+", " ", regex=True).str.strip()
    s = s.str.replace(_LEADING_QUOTE_RE, "", regex=True).str.upper()
    s = s.str.replace(r"^([0-9]+)\.0*$", r"\1", regex=True)  # "13812345678.0"
    sv = s.to_numpy(dtype=object)
    status[np.isin(sv, ["", *_PLACEHOLDERS])] = "empty"
    status[s.str.fullmatch(_SCI_RE).to_numpy(dtype=bool) & none_mask(status)] = "float"

    mobile = s.str.replace(r"[\s\-()]", "", regex=True).str.extract(f"^{_MOBILE_RE}$")[0]
    is_mobile = mobile.notna().to_numpy(dtype=bool) & none_mask(status)
    status[is_mobile] = "ok"
    phone[is_mobile] = mobile.to_numpy(dtype=object)[is_mobile]

    land = s.str.replace(r"\s", "", regex=True).str.extract(f"^{_LANDLINE_RE}$")
    is_land = land[1].notna().to_numpy(dtype=bool) & none_mask(status)
    status[is_land] = "landline"
    phone[is_land] = (land[0] + "-" + land[1]).fillna(land[1]).to_numpy(dtype=object)[is_land]

    for j in np.flatnonzero(none_mask(status)):  # rarer still: several numbers, words
        phone[j], status[j] = _phone_fallback(str(sv[j]))
    return phone, status


def normalize_phones(values: pd.Series) -> pd.DataFrame:
    """Normalise raw phone cells.

    Returns a frame with the index of ``values`` and "string" columns ``phone`` (a mobile as 11
    digits; a landline as ``0377-68888686``, or the bare local number; NA if empty/unusable) and
    ``phone_status`` (one of :data:`PHONE_STATUSES`). A cell with several numbers gives the first
    mobile (else the first landline).
    """
    raw = values.to_numpy(dtype=object)
    n = len(raw)
    kinds = cell_kinds(raw)
    text = np.full(n, None, dtype=object)
    status = np.full(n, None, dtype=object)
    phone = np.full(n, None, dtype=object)

    str_mask = kinds == STR
    text[str_mask] = raw[str_mask]
    for i in np.flatnonzero((kinds != STR) & (kinds != NA)):
        text[i], status[i] = _nonstr_phone_cell(raw[i], int(kinds[i]))
    has_text = ~none_mask(text)
    status[~has_text & none_mask(status)] = "empty"

    # Fast path: exactly 11 ASCII digits 1[3-9]xxxxxxxxx.
    lengths = np.zeros(n, dtype=np.int64)
    lengths[has_text] = _lengths(text[has_text])
    plain = has_text & (lengths == 11)
    if plain.any():
        codes = _codes(text[plain], 11)
        digits_ok = ((codes >= ord("0")) & (codes <= ord("9"))).all(axis=1)
        prefix_ok = (codes[:, 0] == ord("1")) & (codes[:, 1] >= ord("3"))
        plain[plain] = digits_ok & prefix_ok
    status[plain] = "ok"
    phone[plain] = text[plain]

    odd = has_text & ~plain & none_mask(status)
    if odd.any():
        phone[odd], status[odd] = _odd_phones(text[odd])

    return pd.DataFrame(
        {"phone": pd.array(phone, dtype="string"), "phone_status": pd.array(status, dtype="string")},
        index=values.index,
    )


# --- masking ----------------------------------------------------------------------------------------

_ID_STARS = "*" * 10
_STAR = ord("*")


def mask_id(s: str) -> str:
    """``41132819900101124X`` -> ``4113**********124X`` (first 4, ten stars, last 4; for other
    lengths the length is hidden too). Strings of 8 characters or fewer are starred completely."""
    if len(s) <= 8:
        return "*" * len(s)
    return s[:4] + _ID_STARS + s[-4:]


_PHONE_TAIL_RE = re.compile(r"\d{4}(-?\d{4})$")


def mask_phone(s: str) -> str:
    """``13812345678`` -> ``138****5678``; ``0377-68888686`` -> ``0377-****8686``: the four digits
    before the last four are starred. Shorter numbers are starred completely."""
    masked, count = _PHONE_TAIL_RE.subn(r"****\1", s)
    return masked if count else re.sub(r"\d", "*", s)


def _mask_series(series: pd.Series, width: int, stars: slice, scalar: Any, digits_only: bool) -> pd.Series:
    """Star ``stars`` of every ``width``-long value (all ASCII digits if ``digits_only``) with a
    code-point matrix (the common case); other values go through the scalar masker."""
    raw = np.asarray(series.astype("string").to_numpy(dtype=object), dtype=object)
    out = np.full(len(raw), None, dtype=object)
    present = ~none_mask(raw)
    lengths = np.zeros(len(raw), dtype=np.int64)
    lengths[present] = _lengths(raw[present])
    fixed = present & (lengths == width)
    if fixed.any():
        codes = _codes(raw[fixed], width)
        if digits_only:
            keep = ((codes >= ord("0")) & (codes <= ord("9"))).all(axis=1)
            codes = codes[keep]
            fixed[fixed] = keep
        codes = codes.copy()
        codes[:, stars] = _STAR
        out[fixed] = _from_codes(codes)
    for i in np.flatnonzero(present & ~fixed):
        out[i] = scalar(raw[i])
    return pd.Series(pd.array(out, dtype="string"), index=series.index, name=series.name)


def mask_ids(series: pd.Series) -> pd.Series:
    """Vectorised :func:`mask_id`; NA stays NA. Returns "string" dtype with the same index."""
    return _mask_series(series, 18, slice(4, 14), mask_id, digits_only=False)


def mask_phones(series: pd.Series) -> pd.Series:
    """Vectorised :func:`mask_phone`; NA stays NA. Returns "string" dtype with the same index."""
    return _mask_series(series, 11, slice(3, 7), mask_phone, digits_only=True)


# What may sit between the digits of an ID or a phone typed by hand: whitespace (NBSP, the
# full-width space, a line break), dashes of every width, and the invisible characters (soft
# hyphen, zero-width and bidi controls, BOM). At most three of them in a row: "411328 - 1995...".
_SEPARATORS = (
    r"\s\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff"
    r"\-\u2010-\u2015\u2212\ufe58\ufe63\uff0d"
)
# A run of digits with such separators inside, optionally ending in X; ``\d`` also matches
# full-width and other Unicode digits. Nothing that is not a separator (":", ".", "/", a letter)
# joins two runs, so times, decimals and dates written with "/" stay runs of their own.
_DIGIT_RUN_RE = re.compile(rf"(?<!\d)\d(?:[{_SEPARATORS}]{{0,3}}\d)*(?:[{_SEPARATORS}]{{0,3}}[XxＸｘ](?![A-Za-z]))?")
_MOBILE_DIGITS_RE = re.compile(r"((?:00)?86)?(1[3-9][0-9]{9})")
_SEPARATOR_SPLIT_RE = re.compile(rf"([{_SEPARATORS}]+)")


def _run_digits(run: str) -> tuple[str, bool]:
    """The ASCII digits of a run (full-width and other Unicode digits converted, separators
    dropped) and whether it ends in X."""
    digits = "".join(str(int(ch)) for ch in run if ch.isdecimal())
    return digits, run[-1] in "XxＸｘ"


def _mask_run(run: str, phones: bool) -> str:
    """One digit run masked when it normalises to an ID (15 or more digits: an 18- or 15-digit ID,
    or a longer run that may hide one) or, with ``phones``, to a mobile (optionally +86); a
    shorter run may still hold a mobile beside another number (``0 138 1234 5678``)."""
    digits, x = _run_digits(run)
    # A mobile first: with its country code 0086 it is 15 digits long, and no ID starts with 00.
    mobile = _MOBILE_DIGITS_RE.fullmatch(digits)
    if mobile is not None:
        return _masked_mobile(mobile, run[-1] if x else "") if phones else run
    if len(digits) >= 15:
        return mask_id(digits + ("X" if x else ""))
    return _mask_mobile_inside(run) if phones and len(digits) > 11 else run


def _masked_mobile(mobile: re.Match[str], tail: str = "") -> str:
    prefix = f"{mobile.group(1)} " if mobile.group(1) else ""
    number = mobile.group(2)
    return f"{prefix}{number[:3]}****{number[-4:]}{tail}"


def _mask_mobile_inside(run: str) -> str:
    """A run of fewer than 15 digits that is no mobile as a whole: the groups between its
    separators that together make one (at most 14 digits, so at most 14 groups)."""
    parts = _SEPARATOR_SPLIT_RE.split(run)  # digits, separators, digits, ...
    groups = parts[0::2]
    for i in range(len(groups)):
        for j in range(i + 1, len(groups) + 1):
            span = "".join(parts[2 * i : 2 * j - 1])
            mobile = _MOBILE_DIGITS_RE.fullmatch(_run_digits(span)[0])
            if mobile is not None:
                tail = span[-1] if span[-1] in "XxＸｘ" else ""
                return "".join(parts[: 2 * i]) + _masked_mobile(mobile, tail) + "".join(parts[2 * j - 1 :])
    return run


def mask_id_text(text: str) -> str:
    """Mask every run of digits in free text that normalises to an ID, whatever separators it
    carries (``411328-19950317-002X``, ``4113 2819 9503 1700 2X``, zero-width or non-breaking
    spaces, full-width digits). Mobiles stay: for the office's and a community's own workbooks."""
    return _DIGIT_RUN_RE.sub(lambda m: _mask_run(m.group(0), phones=False), text)


def mask_text(text: str) -> str:
    """Mask every ID and every mobile number in free text (:func:`mask_id_text`, and mobiles with
    or without +86 and separators: ``138-1234-5678``, ``+86 138 1234 5678``): for everything
    printed, logged or mailed."""
    return _DIGIT_RUN_RE.sub(lambda m: _mask_run(m.group(0), phones=True), text)
