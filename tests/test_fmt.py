"""What people read (pipeline.fmt): Chinese dates and counts, numbers, percentages, CJK widths."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pipeline.fmt import cn_count, cn_date, cn_span, excel_width, fmt_num, fmt_pct, terminal_width


def test_dates() -> None:
    assert cn_date(dt.date(2020, 6, 5)) == "2020年6月5日"
    assert cn_date(dt.date(2020, 6, 5), year=False) == "6月5日"
    assert cn_date(pd.Timestamp("2020-12-31")) == "2020年12月31日"
    assert cn_span(dt.date(2020, 6, 16), dt.date(2020, 6, 30)) == "2020年6月16日至6月30日"
    assert cn_span(dt.date(2020, 12, 16), dt.date(2021, 1, 3)) == "2020年12月16日至2021年1月3日"


def test_counts_numbers_and_percentages() -> None:
    assert [cn_count(n) for n in (1, 2, 10, 11)] == ["一", "两", "十", "11"]
    assert cn_count("三") == "三"
    assert [fmt_num(v) for v in (23.4286, 31, 31.0, None)] == ["23.4", "31", "31", "—"]
    assert [fmt_pct(v) for v in (1.1311, 0, None)] == ["113.1%", "0.0%", "—"]


def test_rounding_is_once_and_half_up_as_excel_shows_it() -> None:
    # Excel's 0.0 / 0.0% formats round half away from zero on the decimal value; Python's own
    # formatting rounds the binary value half to even: 0.25 -> "0.2", 0.5355 -> "53.5%".
    assert [fmt_num(v) for v in (0.25, 52.25, 2.35, -0.04)] == ["0.3", "52.3", "2.4", "0.0"]
    assert [fmt_pct(v) for v in (0.5355, 0.285, 28 / (2 * 183 / 7), 0.00049)] == ["53.6%", "28.5%", "53.6%", "0.0%"]
    assert fmt_pct(float("nan")) == fmt_num(float("nan")) == "—"


def test_widths() -> None:
    assert terminal_width("新华社区 ab") == 4 * 2 + 3  # four CJK characters, a space and two letters
    assert excel_width("社区") == 4.0
    assert excel_width("ab") == 2.2  # Latin characters are a little wider than half a CJK one
