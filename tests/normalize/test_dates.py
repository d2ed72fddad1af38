"""Tests for pipeline.normalize.dates: dates and gestational ages from messy cells."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.normalize.dates import (
    DATE_COLUMNS,
    DATE_STATUSES,
    GEST_COLUMNS,
    GEST_STATUSES,
    excel_serial_to_date,
    parse_dates,
    parse_gestation,
)

BATCHED = settings(max_examples=60, deadline=None)  # each example checks a whole batch
ROBUST = settings(max_examples=50, deadline=None)  # arbitrary junk: must not crash
APRIL_8 = pd.Timestamp("2020-04-08")


def one(value: object) -> pd.Series:
    return parse_dates(pd.Series([value], dtype=object)).iloc[0]


def full_width(text: str) -> str:
    return text.translate({ord("0") + i: 0xFF10 + i for i in range(10)})


# --- excel serials ----------------------------------------------------------------------------------


def test_excel_serial_to_date() -> None:
    assert excel_serial_to_date(43929) == dt.date(2020, 4, 8)
    assert excel_serial_to_date(43929.99) == dt.date(2020, 4, 8)
    assert excel_serial_to_date(18264) == dt.date(1950, 1, 1)
    assert excel_serial_to_date(73050) == dt.date(2099, 12, 31)
    assert excel_serial_to_date(61) == dt.date(1900, 3, 1)
    assert excel_serial_to_date(2958465) == dt.date(9999, 12, 31)
    for bad in (0, -1, 2958466, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            excel_serial_to_date(bad)


# --- parse_dates: hand-written cases ----------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        dt.date(2020, 4, 8),
        dt.datetime(2020, 4, 8, 10, 30),
        pd.Timestamp("2020-04-08 23:59"),
        np.datetime64("2020-04-08T12:00"),
        pd.Timestamp("2020-04-08 23:00", tz="Asia/Shanghai"),  # wall-clock date kept
        20200408,
        np.int64(20200408),
        "20200408",
        "2020-04-08",
        "2020-4-8",
        "2020/4/8",
        "2020.4.8",
        "2020年4月8日",
        "2020年4月8号",
        "2020 年 4 月 8 日",
        "2020-04-08 00:00:00",
        "2020/04/08 10:30",
        "2020-04-08T10:30:00",
        "２０２０年４月８日",
        "２０２０－０４－０８",
        " 2020 - 4 - 8 ",
        "\u200b2020-04-08\u3000",
        "2020/04/08",
        "2020.04.08",
    ],
)
def test_ok(value: object) -> None:
    row = one(value)
    assert row["date_status"] == "ok", row["date_message"]
    assert row["date"] == APRIL_8
    assert pd.isna(row["date_message"])


@pytest.mark.parametrize(("value", "expected"), [("13/4/2020", "2020-04-13"), ("4/13/2020", "2020-04-13"),
                                                 ("4/4/2020", "2020-04-04"), ("31-12-2019", "2019-12-31")])  # fmt: skip
def test_day_month_unambiguous(value: str, expected: str) -> None:
    row = one(value)
    assert row["date_status"] == "ok"
    assert row["date"] == pd.Timestamp(expected)


@pytest.mark.parametrize("value", [43929, 43929.0, 43929.75, np.float64(43929.5), "43929", "43929.5"])
def test_serial(value: object) -> None:
    row = one(value)
    assert row["date_status"] == "serial"
    assert row["date"] == APRIL_8
    assert pd.isna(row["date_message"])


@pytest.mark.parametrize("value", ["4/8/2020", "08/04/2020", "8-4-2020", "20.4.8", "20-04-08", "8/4/20"])
def test_ambiguous(value: str) -> None:
    row = one(value)
    assert row["date_status"] == "ambiguous"
    assert pd.isna(row["date"])
    assert value in row["date_message"]


def test_ambiguous_message_names_both_readings() -> None:
    assert "4月8日还是8月4日" in one("4/8/2020")["date_message"]


# "不详"/"无"/"-" are missing data (the person does not know), not typing errors: empty.
@pytest.mark.parametrize(
    "value",
    [None, np.nan, pd.NA, pd.NaT, "", "  ", "不详", "不清楚", "无", "/", "-", "—", "——", "未知", "nan"],
)
def test_empty(value: object) -> None:
    row = one(value)
    assert row["date_status"] == "empty"
    assert pd.isna(row["date"]) and pd.isna(row["date_message"])


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2020-02-30", "日期 2020-02-30 不存在"),
        ("2020-13-01", "日期 2020-13-01 不存在"),
        ("2019-02-29", "日期 2019-02-29 不存在"),
        ("2020年2月30日", "日期 2020年2月30日 不存在"),
        ("13/13/2020", "日期 13/13/2020 不存在"),
        (20200230, "日期 20200230 不存在"),
        ("20200230", "日期 20200230 不存在"),
    ],
)
def test_invalid_date_names_value(value: object, message: str) -> None:
    row = one(value)
    assert row["date_status"] == "invalid"
    assert pd.isna(row["date"])
    assert row["date_message"] == message


@pytest.mark.parametrize(
    "value",
    ["abc", "2020年4月", "2020-04", "1850-01-01", "2100-01-01", 100, 2958465, 3000000, -5, 1.5, True,
     dt.date(1, 1, 1), "2020-0408", "二〇二〇年四月八日"],
)  # fmt: skip
def test_invalid(value: object) -> None:
    row = one(value)
    assert row["date_status"] == "invalid"
    assert pd.isna(row["date"])
    assert isinstance(row["date_message"], str) and row["date_message"]


def test_leap_day() -> None:
    assert one("2020-02-29")["date"] == pd.Timestamp("2020-02-29")
    assert one("2000-02-29")["date_status"] == "ok"
    assert one("1900-02-29")["date_status"] == "invalid"


def test_frame_shape_index_dtypes() -> None:
    values = pd.Series(["2020-04-08", None, "abc", 43929], index=["a", "a", 7, 8], dtype=object)
    out = parse_dates(values)
    assert list(out.columns) == DATE_COLUMNS
    assert out.index.equals(values.index)
    assert out["date"].dtype == "datetime64[ns]"
    assert out["date_status"].dtype == "string" and out["date_message"].dtype == "string"
    assert out["date_status"].tolist() == ["ok", "empty", "invalid", "serial"]
    assert len(parse_dates(pd.Series([], dtype=object))) == 0


def test_typed_input_series() -> None:
    assert parse_dates(pd.Series(pd.to_datetime(["2020-04-08", None])))["date_status"].tolist() == [
        "ok",
        "empty",
    ]
    assert parse_dates(pd.Series([43929.0, np.nan]))["date_status"].tolist() == ["serial", "empty"]
    assert parse_dates(pd.Series(["2020-04-08", None], dtype="string"))["date_status"].tolist() == [
        "ok",
        "empty",
    ]


# --- parse_dates: properties ---------------------------------------------------------------------------

EPOCH = dt.date(1899, 12, 30)
TEXT_FORMATS: list[Callable[[dt.date], object]] = [
    lambda d: d.isoformat(),
    lambda d: f"{d.year}-{d.month}-{d.day}",
    lambda d: f"{d.year}/{d.month}/{d.day}",
    lambda d: f"{d.year}.{d.month}.{d.day}",
    lambda d: f"{d:%Y/%m/%d}",
    lambda d: f"{d:%Y.%m.%d}",
    lambda d: f"{d.year}年{d.month}月{d.day}日",
    lambda d: f"{d.year}年{d.month}月{d.day}号",
    lambda d: f"{d:%Y-%m-%d} 00:00:00",
    lambda d: f"{d:%Y/%m/%d} 10:30",
    lambda d: f"{d:%Y-%m-%d}T08:15:00",
    lambda d: f" {d.year} - {d.month} - {d.day} ",
    lambda d: full_width(f"{d.year}年{d.month}月{d.day}日"),
    lambda d: full_width(d.isoformat()),
    lambda d: f"{d:%Y%m%d}",
    lambda d: int(f"{d:%Y%m%d}"),
    lambda d: d,
    lambda d: dt.datetime(d.year, d.month, d.day, 13, 5),
    lambda d: pd.Timestamp(d),
    lambda d: np.datetime64(d.isoformat()),
]
SERIAL_FORMATS: list[Callable[[dt.date], object]] = [
    lambda d: (d - EPOCH).days,
    lambda d: float((d - EPOCH).days) + 0.25,
    lambda d: np.int64((d - EPOCH).days),
    lambda d: str((d - EPOCH).days),
]
dates = st.dates(dt.date(1950, 1, 1), dt.date(2099, 12, 31))


@BATCHED
@given(st.lists(st.tuples(dates, st.integers(0, len(TEXT_FORMATS) + len(SERIAL_FORMATS) - 1)), max_size=40))
def test_property_round_trip(cases: list[tuple[dt.date, int]]) -> None:
    formats = TEXT_FORMATS + SERIAL_FORMATS
    values = [formats[i](d) for d, i in cases]
    out = parse_dates(pd.Series(values, dtype=object))
    assert out["date"].tolist() == [pd.Timestamp(d) for d, _ in cases]
    expected = ["serial" if i >= len(TEXT_FORMATS) else "ok" for _, i in cases]
    assert out["date_status"].tolist() == expected
    assert out["date_message"].isna().all()


@BATCHED
@given(st.lists(dates, max_size=40))
def test_property_day_month_order(days: list[dt.date]) -> None:
    out = parse_dates(pd.Series([f"{d.day}/{d.month}/{d.year}" for d in days], dtype=object))
    sure = [d.day > 12 or d.day == d.month for d in days]
    assert out["date_status"].tolist() == ["ok" if s else "ambiguous" for s in sure]
    assert out["date"].tolist() == [pd.Timestamp(d) if s else pd.NaT for d, s in zip(days, sure, strict=True)]


@ROBUST
@given(
    st.lists(st.one_of(st.text(max_size=20), st.integers(), st.floats(), st.none(), st.dates()), max_size=20)
)
def test_property_never_crashes(values: list[object]) -> None:
    out = parse_dates(pd.Series(values, dtype=object))
    assert set(out["date_status"]) <= set(DATE_STATUSES)
    has_date = out["date_status"].isin(["ok", "serial"])
    assert out["date"].notna().tolist() == has_date.tolist()
    needs_message = out["date_status"].isin(["invalid", "ambiguous"])
    assert out["date_message"].notna().tolist() == needs_message.tolist()
    assert (out.loc[has_date, "date"].dt.year.between(1900, 2099)).all()


# --- parse_gestation -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "days"),
    [
        (12, 84),
        (12.0, 84),
        (np.int64(12), 84),
        ("12", 84),
        ("12.0", 84),
        ("12+3", 87),
        ("12周", 84),
        ("12周+3天", 87),
        ("12周3天", 87),
        ("12w3d", 87),
        ("12W+3", 87),
        ("孕12周", 84),
        ("孕12+3周", 87),
        ("12周零3天", 87),
        ("１２＋３", 87),
        (" 12 + 3 ", 87),
        ("4", 28),
        ("42+6", 300),
        ("9+0", 63),
    ],
)
def test_gestation_ok(value: object, days: int) -> None:
    out = parse_gestation(pd.Series([value], dtype=object))
    assert out["gest_status"].iloc[0] == "ok"
    assert out["days"].iloc[0] == days
    assert pd.isna(out["gest_message"].iloc[0])


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("12.5", "带小数"),
        (12.5, "带小数"),
        ("3", "合理范围"),
        (43, "合理范围"),
        ("12+7", "天数"),
        ("123", "无法识别"),
        ("abc", "无法识别"),
        (True, "不是孕周"),
        (dt.date(2020, 1, 1), "不是孕周"),
    ],
)
def test_gestation_invalid(value: object, fragment: str) -> None:
    out = parse_gestation(pd.Series([value], dtype=object))
    assert out["gest_status"].iloc[0] == "invalid"
    assert pd.isna(out["days"].iloc[0])
    assert fragment in out["gest_message"].iloc[0]


@pytest.mark.parametrize("value", [None, np.nan, "", "不详", "-"])
def test_gestation_empty(value: object) -> None:
    out = parse_gestation(pd.Series([value], dtype=object))
    assert out["gest_status"].iloc[0] == "empty"
    assert pd.isna(out["days"].iloc[0]) and pd.isna(out["gest_message"].iloc[0])


def test_gestation_frame() -> None:
    values = pd.Series(["12+3", None, "x"], index=[3, 3, 9], dtype=object)
    out = parse_gestation(values)
    assert list(out.columns) == GEST_COLUMNS
    assert out.index.equals(values.index)
    assert out["days"].dtype == "Int64"
    assert out["gest_status"].dtype == "string" and out["gest_message"].dtype == "string"


GEST_FORMATS: list[Callable[[int, int], str]] = [
    lambda w, d: f"{w}+{d}",
    lambda w, d: f"{w}周+{d}天",
    lambda w, d: f"{w}周{d}天",
    lambda w, d: f"{w}w{d}d",
    lambda w, d: f"{w}W+{d}",
    lambda w, d: f"孕{w}+{d}周",
]


@BATCHED
@given(
    st.lists(
        st.tuples(st.integers(4, 42), st.integers(0, 6), st.integers(0, len(GEST_FORMATS) - 1)), max_size=30
    )
)
def test_property_gestation_round_trip(cases: list[tuple[int, int, int]]) -> None:
    out = parse_gestation(pd.Series([GEST_FORMATS[f](w, d) for w, d, f in cases], dtype=object))
    assert out["days"].tolist() == [w * 7 + d for w, d, _ in cases]
    assert (out["gest_status"] == "ok").all()


@ROBUST
@given(st.lists(st.one_of(st.text(max_size=10), st.integers(), st.floats(), st.none()), max_size=20))
def test_property_gestation_never_crashes(values: list[object]) -> None:
    out = parse_gestation(pd.Series(values, dtype=object))
    assert set(out["gest_status"]) <= set(GEST_STATUSES)
    ok = out["gest_status"] == "ok"
    assert out["days"].notna().tolist() == ok.tolist()
    assert out.loc[ok, "days"].between(28, 300).all()
