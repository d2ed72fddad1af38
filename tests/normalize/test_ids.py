"""Tests for pipeline.normalize.ids: resident ID numbers, phones, masking."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.normalize.ids import (
    ID_COLUMNS,
    ID_STATUSES,
    PHONE_STATUSES,
    birth_date,
    check_digit,
    mask_id,
    mask_ids,
    mask_phone,
    mask_phones,
    mask_text,
    normalize_ids,
    normalize_phones,
    upgrade15,
)

FAST = settings(max_examples=200, deadline=None)
BATCHED = settings(max_examples=60, deadline=None)  # each example checks a whole batch


def ref_check(body17: str) -> str:
    """Independent ISO 7064 MOD 11-2: weight of position i (1-based from the left) is
    2**(18-i) mod 11; check value = (12 - sum mod 11) mod 11, 10 written as X."""
    total = sum(int(c) * pow(2, 17 - i, 11) for i, c in enumerate(body17))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def ref_valid(id18: str) -> bool:
    id18 = id18.upper()
    return bool(re.fullmatch(r"\d{17}[\dX]", id18)) and ref_check(id18[:17]) == id18[17]


BODY = "41132819900101124"  # 17th digit 4: even, a woman
GOOD = BODY + ref_check(BODY)  # 41132819900101124 + 8
BODY_X = "41132819900101190"  # weighted sum 233, 233 % 11 == 2 -> check character X
GOOD_X = BODY_X + ref_check(BODY_X)


def one(value: object) -> pd.Series:
    """The single result row for one raw cell."""
    return normalize_ids(pd.Series([value], dtype=object)).iloc[0]


# --- check digit / upgrade ------------------------------------------------------------------------


def test_reference_values() -> None:
    assert GOOD == "411328199001011248"
    assert GOOD_X == "41132819900101190X"
    assert check_digit(BODY) == "8"
    assert check_digit(BODY_X) == "X"


def test_upgrade15_hand_verified() -> None:
    # 411328 + 19 + 900101124; weighted sum of the 17 digits is 213, 213 % 11 = 4 -> "8".
    assert upgrade15("411328900101124") == "411328199001011248"


@pytest.mark.parametrize("bad", ["", "1234", "4113281990010112X", "４１１３２８１９９００１０１１２４"])
def test_check_digit_rejects_bad_input(bad: str) -> None:
    with pytest.raises(ValueError):
        check_digit(bad)


def test_upgrade15_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        upgrade15("41132890010112")


# --- normalize_ids: every status ----------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        GOOD,
        GOOD_X,
        GOOD_X.lower(),  # lowercase x
        GOOD.translate({ord("0") + i: 0xFF10 + i for i in range(10)}),  # full-width digits
        "'" + GOOD,  # Excel text marker
        f" {GOOD[:6]} {GOOD[6:14]}\t{GOOD[14:]}\u200b ",  # spaces, tab, zero-width space
        "\ufeff" + GOOD + "\u3000",
        np.str_(GOOD),
    ],
)
def test_ok(value: object) -> None:
    row = one(value)
    assert row["id_status"] == "ok"
    assert row["id"] in (GOOD, GOOD_X)
    assert pd.isna(row["id_message"]) and pd.isna(row["id_fix"])


def test_lowercase_x_is_uppercased() -> None:
    assert one(GOOD_X.lower())["id"] == GOOD_X


@pytest.mark.parametrize(
    "value",
    ["411328900101124", 411328900101124, 411328900101124.0, np.int64(411328900101124), "411328900101124.0"],
)
def test_upgraded(value: object) -> None:
    row = one(value)
    assert row["id_status"] == "upgraded"
    assert row["id"] == "411328199001011248"
    assert "15位" in row["id_message"]


@pytest.mark.parametrize("value", [None, np.nan, pd.NA, pd.NaT, "", "   ", "\u200b", "\u3000"])
def test_empty(value: object) -> None:
    row = one(value)
    assert row["id_status"] == "empty"
    assert pd.isna(row["id"]) and pd.isna(row["id_message"]) and pd.isna(row["id_fix"])


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (4.11328199001011e17, "4.11328199E+17"),
        (np.float64(4.11328199001011e17), "4.11328199E+17"),
        ("4.11328199E+17", "4.11328199E+17"),
        ("4.11328E17", "4.11328E17"),
        ("4.11328199e+17", "4.11328199E+17"),
        (411328199001011248, "4.11328199E+17"),  # an int of 18 digits: taken as Excel-mangled
        ("411328199001011248.0", "411328199001011248.0"),
        (12.5, "12.5"),
    ],
)
def test_float(value: object, shown: str) -> None:
    row = one(value)
    assert row["id_status"] == "float"
    assert pd.isna(row["id"])
    assert row["id_message"] == f"身份证号被Excel存成了数字，后几位已丢失（如 {shown}）"
    assert row["id_fix"] == "请把该列设置为“文本”格式后重新录入完整的18位身份证号（或在号码前加英文单引号 '）"


def test_float_trailing_zeros_text() -> None:
    # Excel keeps 15 significant digits, so a number shown as text ends in 000.
    row = one("411328199001011000")
    assert row["id_status"] == "float"
    assert "000" in row["id_message"]


@pytest.mark.parametrize(
    ("value", "n"), [("4113281990", 10), ("4113281990010112", 16), (12345, 5), (GOOD + "1", 19)]
)
def test_length(value: object, n: int) -> None:
    row = one(value)
    assert row["id_status"] == "length"
    assert row["id_message"] == f"身份证号位数不对：应为18位（旧证15位），现在是{n}位"
    assert row["id_fix"] == "请核对身份证号后在原表中改正"


@pytest.mark.parametrize(
    "value",
    ["41132819900101124A", "4113X8199001011248", "abc", "身份证", GOOD + "X5", True, dt.date(2020, 1, 1), -5],
)
def test_chars(value: object) -> None:
    row = one(value)
    assert row["id_status"] == "chars"
    assert pd.isna(row["id"])
    assert row["id_message"]


def test_checksum_names_expected_digit() -> None:
    row = one(BODY + "3")
    assert row["id_status"] == "checksum"
    assert row["id_message"] == "身份证号校验位不对（最后一位应为 8），也可能是前面的数字录错了"
    assert row["id_fix"] == "请核对身份证号后在原表中改正"
    assert one(BODY_X + "1")["id_message"].startswith("身份证号校验位不对（最后一位应为 X）")


@pytest.mark.parametrize(
    "body", ["41132819900230124", "41132818991231124", "41132821000101124", "41132819901301124"]
)
def test_birthdate(body: str) -> None:
    row = one(body + ref_check(body))
    assert row["id_status"] == "birthdate"
    assert body[6:14] in row["id_message"]


def test_birthdate_old_id() -> None:
    row = one("411328900230124")
    assert row["id_status"] == "birthdate"
    assert "19900230" in row["id_message"]


def test_male() -> None:
    body = "41132819900101113"  # 17th digit 3: odd
    row = one(body + ref_check(body))
    assert row["id_status"] == "male"
    assert pd.isna(row["id"])
    assert "第17位" in row["id_message"]
    assert one("411328900101113")["id_status"] == "male"  # old ID: 15th digit


def test_frame_shape_index_dtypes() -> None:
    values = pd.Series([GOOD, None, "abc", 4.11328199001011e17], index=[10, 10, 3, "a"], dtype=object)
    out = normalize_ids(values)
    assert list(out.columns) == ID_COLUMNS
    assert out.index.equals(values.index)
    for column in ID_COLUMNS:
        assert out[column].dtype == "string"
    assert out["id_status"].tolist() == ["ok", "empty", "chars", "float"]
    assert len(normalize_ids(pd.Series([], dtype=object))) == 0


def test_string_dtype_input() -> None:
    out = normalize_ids(pd.Series([GOOD, None], dtype="string"))
    assert out["id_status"].tolist() == ["ok", "empty"]


def test_birth_date() -> None:
    values = pd.Series([GOOD, None, "41132819900230124X", "411328000101011248", "abc"], index=list("vwxyz"))
    out = birth_date(values)
    assert out.dtype == "datetime64[ns]"
    assert out.index.equals(values.index)
    assert out.iloc[0] == pd.Timestamp("1990-01-01")
    assert out.iloc[1:].isna().all()  # NA, Feb 30, year 0001 (out of range), not digits


# --- hypothesis properties ------------------------------------------------------------------------

regions = st.integers(100000, 999999).map(str)
births = st.dates(dt.date(1900, 1, 1), dt.date(2099, 12, 31))
sequences = st.integers(0, 999)


def make_body(region: str, born: dt.date, seq: int) -> str:
    return f"{region}{born:%Y%m%d}{seq:03d}"


@BATCHED
@given(st.lists(st.tuples(regions, births, sequences), min_size=1, max_size=20))
def test_property_valid_bodies(parts: list[tuple[str, dt.date, int]]) -> None:
    bodies = [make_body(*p) for p in parts]
    ids = [b + check_digit(b) for b in bodies]
    assert all(ref_valid(i) for i in ids)
    out = normalize_ids(pd.Series(ids, dtype=object))
    expected = ["ok" if int(b[16]) % 2 == 0 else "male" for b in bodies]
    assert out["id_status"].tolist() == expected
    ok = out["id_status"] == "ok"
    assert out.loc[ok, "id"].tolist() == [i for i, e in zip(ids, expected, strict=True) if e == "ok"]


@BATCHED
@given(regions, births, sequences)
def test_property_single_change_breaks(region: str, born: dt.date, seq: int) -> None:
    body = make_body(region, born, seq - seq % 2)  # even: a valid woman's ID
    good = body + check_digit(body)
    changed = [
        good[:pos] + new + good[pos + 1 :]
        for pos in range(18)
        for new in ("0123456789X" if pos == 17 else "0123456789")
        if new != good[pos]
    ]
    assert len(changed) == 17 * 9 + 10
    out = normalize_ids(pd.Series([good, *changed], dtype=object))
    assert out["id_status"].iloc[0] == "ok"
    assert (out["id_status"].iloc[1:] != "ok").all()
    assert out["id"].iloc[1:].isna().all()


@BATCHED
@given(st.lists(st.text("0123456789", min_size=15, max_size=15), min_size=1, max_size=20))
def test_property_upgrade15_validates(olds: list[str]) -> None:
    news = [upgrade15(old) for old in olds]
    for old, new in zip(olds, news, strict=True):
        assert len(new) == 18 and ref_valid(new)
        assert new[:6] == old[:6] and new[6:8] == "19" and new[8:17] == old[6:]
    out = normalize_ids(pd.Series(news + olds, dtype=object))
    direct, via_old = out["id_status"].iloc[: len(olds)], out["id_status"].iloc[len(olds) :]
    assert not direct.isin(["checksum", "length", "chars", "float"]).any()
    assert via_old.tolist() == ["upgraded" if d == "ok" else d for d in direct]
    upgraded = via_old == "upgraded"
    assert out["id"].iloc[len(olds) :][upgraded.to_numpy()].tolist() == [
        n for n, u in zip(news, upgraded, strict=True) if u
    ]


@BATCHED
@given(
    st.lists(
        st.one_of(st.text(max_size=25), st.integers(), st.floats(), st.none(), st.booleans()), max_size=20
    )
)
def test_property_never_crashes(values: list[object]) -> None:
    out = normalize_ids(pd.Series(values, dtype=object))
    assert set(out["id_status"]) <= set(ID_STATUSES)
    usable = out["id_status"].isin(["ok", "upgraded"])
    assert out["id"].notna().tolist() == usable.tolist()
    assert all(ref_valid(i) for i in out.loc[usable, "id"])
    assert out.loc[~usable & (out["id_status"] != "empty"), "id_message"].notna().all()


# --- phones -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "phone", "status"),
    [
        ("13812345678", "13812345678", "ok"),
        (13812345678, "13812345678", "ok"),
        (13812345678.0, "13812345678", "ok"),
        (np.int64(13812345678), "13812345678", "ok"),
        ("138 1234 5678", "13812345678", "ok"),
        ("138-1234-5678", "13812345678", "ok"),
        ("+86 138 1234 5678", "13812345678", "ok"),
        ("8613812345678", "13812345678", "ok"),
        ("１３８１２３４５６７８", "13812345678", "ok"),
        ("'13812345678", "13812345678", "ok"),
        ("13812345678.0", "13812345678", "ok"),
        ("13812345678/13912345678", "13812345678", "ok"),
        ("本人13812345678，丈夫13912345678", "13812345678", "ok"),
        ("0377-68888686", "0377-68888686", "landline"),
        ("(0377)68888686", "0377-68888686", "landline"),
        ("037768888686", "0377-68888686", "landline"),
        ("010-68888686", "010-68888686", "landline"),
        ("68888686", "68888686", "landline"),
        ("1.3812345678E+10", None, "float"),
        ("12812345678", None, "invalid"),
        ("1381234567", None, "invalid"),
        ("abc", None, "invalid"),
        (True, None, "invalid"),
        (1.5, None, "invalid"),
        (None, None, "empty"),
        (np.nan, None, "empty"),
        ("", None, "empty"),
        ("无", None, "empty"),
    ],
)
def test_phones(value: object, phone: str | None, status: str) -> None:
    out = normalize_phones(pd.Series([value], dtype=object))
    assert list(out.columns) == ["phone", "phone_status"]
    assert out["phone"].dtype == "string" and out["phone_status"].dtype == "string"
    row = out.iloc[0]
    assert row["phone_status"] == status
    assert (pd.isna(row["phone"]) and phone is None) or row["phone"] == phone


@BATCHED
@given(st.lists(st.one_of(st.text(max_size=20), st.integers(), st.floats(), st.none()), max_size=20))
def test_property_phones_never_crash(values: list[object]) -> None:
    out = normalize_phones(pd.Series(values, dtype=object))
    assert set(out["phone_status"]) <= set(PHONE_STATUSES)
    ok = out["phone_status"] == "ok"
    assert out.loc[ok, "phone"].str.fullmatch(r"1[3-9]\d{9}").all()


# --- masking ----------------------------------------------------------------------------------------


def test_mask_scalars() -> None:
    assert mask_id("41132819900101123X") == "4113**********123X"
    assert mask_id("411328900101124") == "4113**********1124"
    assert mask_id("1234") == "****"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0377-68888686") == "0377-****8686"
    assert mask_phone("123") == "***"


def test_mask_series() -> None:
    ids = pd.Series(["41132819900101123X", None, "abc", "411328900101124"], index=[5, 6, 7, 8])
    masked = mask_ids(ids)
    assert masked.index.equals(ids.index)
    assert masked.dtype == "string"
    assert masked.tolist()[0] == "4113**********123X"
    assert pd.isna(masked.iloc[1])
    assert masked.tolist()[2:] == ["***", "4113**********1124"]
    phones = mask_phones(pd.Series(["13812345678", "0377-68888686", None, "12"]))
    assert phones.tolist()[:2] == ["138****5678", "0377-****8686"]
    assert pd.isna(phones.iloc[2]) and phones.iloc[3] == "**"


def test_mask_text_examples() -> None:
    text = f"第3行 身份证{GOOD}，电话13812345678、+86 138-1234-5678；旧证411328900101124；编号2020年4月8日"
    masked = mask_text(text)
    assert GOOD not in masked and "13812345678" not in masked and "411328900101124" not in masked
    assert "4113**********1248" in masked
    assert "138****5678" in masked
    assert "第3行" in masked and "2020年4月8日" in masked


def _leaks(text: str) -> list[str]:
    found = [text[i : i + 18] for i in range(len(text) - 17) if ref_valid(text[i : i + 18])]
    found += re.findall(r"(?<!\d)1[3-9]\d{9}(?!\d)", text)
    return found


pieces = st.one_of(
    st.builds(lambda r, b, s: (body := make_body(r, b, s)) + check_digit(body), regions, births, sequences),
    st.integers(13 * 10**9, 2 * 10**10 - 1).map(str),
    st.text("0123456789", min_size=1, max_size=25),
    st.sampled_from(["电话", "身份证号", " ", "-", "x", "X", "，", "+86", "/", "行", ""]),
    st.text(max_size=5),
)


@FAST
@given(st.lists(pieces, max_size=12))
def test_property_mask_text_leaves_nothing(parts: list[str]) -> None:
    masked = mask_text("".join(parts))
    assert _leaks(masked) == []
