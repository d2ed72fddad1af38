"""What people read: dates, counts, numbers and percentages written the Chinese way, and how wide
a text is on a terminal or in an Excel column (CJK characters take two places).

Takes plain values (a date, a number, a text) and gives text or a width. Pure: no pandas, no
settings, no files; every layer may import it.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

_CN_COUNT = {1: "一", 2: "两", 3: "三", 4: "四", 5: "五", 6: "六", 7: "七", 8: "八", 9: "九", 10: "十"}


def cn_date(day: dt.date, *, year: bool = True) -> str:
    """2020-06-30 -> "2020年6月30日" (GB/T 9704: Arabic numerals, no leading zeros); without the
    year "6月30日". A ``pandas.Timestamp`` is a date too."""
    return f"{day.year}年{day.month}月{day.day}日" if year else f"{day.month}月{day.day}日"


def cn_span(first: dt.date, last: dt.date) -> str:
    """ "2020年6月16日至6月30日"; the year is repeated only when it changes."""
    return f"{cn_date(first)}至{cn_date(last, year=last.year != first.year)}"


def cn_count(n: Any) -> str:
    """Chinese count for "连续两次": 2 -> "两"; numbers above ten stay Arabic."""
    return _CN_COUNT.get(int(n), str(n)) if isinstance(n, int | float) else str(n)


def round_half_up(value: float, places: int = 1, *, percent: bool = False) -> Decimal:
    """``value`` rounded once, half away from zero, as Excel shows it under a ``0.0`` format: from
    its shortest decimal form (0.5355 is 0.5355, not 0.53549999...), so 53.55 -> 53.6 everywhere.

    Every figure people read is formatted from the unrounded value by this one rule: a rate is
    never rounded for storage and then again for printing (28 / 52.2857 is 53.6%, in the terminal,
    the circular, the WeChat text, the mail and the workbook alike)."""
    exact = Decimal(repr(float(value)))
    if percent:  # scaled exactly: 0.285 is 28.5 %, not 28.499999999999996
        exact = exact.scaleb(2)
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP) + 0  # + 0: no "-0.0"


def fmt_num(value: Any) -> str:
    """23.4286 -> "23.4", 31 -> "31", None -> "—"."""
    if value is None or value != value:  # None or NaN: nothing to show
        return "—"
    number = float(value)
    return str(int(number)) if number.is_integer() else str(round_half_up(number))


def fmt_pct(value: Any) -> str:
    """1.1311 -> "113.1%", 0.53552 -> "53.6%", None -> "—": the one function that prints a ratio
    as a percentage (from the unrounded ratio; see :func:`round_half_up`)."""
    if value is None or value != value:  # None or NaN: nothing to show
        return "—"
    return f"{round_half_up(float(value), percent=True)}%"


def terminal_width(text: str) -> int:
    """Columns ``text`` takes on a terminal: two per CJK (wide or full-width) character."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def excel_width(text: str) -> float:
    """Column width in Excel units: CJK characters are about two Latin characters wide."""
    return sum(2.0 if unicodedata.east_asian_width(ch) in "WF" else 1.1 for ch in text)


# Characters that would let a file name, sheet name or cell value rewrite the terminal: line
# breaks (a forged "[错误]" line), other C0/C1 controls (escape sequences, backspace), the Unicode
# line and paragraph separators and the bidi overrides (text shown in another order).
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """``text`` safe to print as one terminal line: control characters shown escaped
    (``\\n``, ``\\r``, ``\\x1b``, ``\\u202e``), everything else as it is."""
    return _UNPRINTABLE.sub(lambda m: _ESCAPES.get(m.group(0)) or _escape(m.group(0)), text)


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
