"""The demo generator: deterministic, fast, and its intentional defects are really there."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from pathlib import Path
from typing import Any

import pytest
from python_calamine import CalamineWorkbook

from pipeline import demo
from pipeline.demo import demo_truth, generate_demo
from pipeline.settings import Settings, load_settings
from tests.conftest import CONFIG

ID_HEADERS = {"身份证号", "身份证号码", "证件号码"}
HENAN_AREAS = {demo.HOME_AREA, *demo.OTHER_AREAS}


def valid_id(value: str) -> bool:
    """An independent check of an 18-character resident ID (GB 11643, ISO 7064 MOD 11-2)."""
    if len(value) != 18 or not value[:17].isdigit() or not value[:17].isascii():
        return False
    weights = [2 ** (17 - i) % 11 for i in range(17)]
    total = sum(int(ch) * w for ch, w in zip(value[:17], weights, strict=True))
    check = (12 - total % 11) % 11
    expected = "X" if check == 10 else str(check)
    if value[17] != expected:
        return False
    try:
        dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return True


@pytest.fixture(scope="module")
def settings() -> Settings:
    return load_settings(CONFIG)


@pytest.fixture(scope="module")
def generated(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path], float]:
    out = tmp_path_factory.mktemp("demo")
    start = time.perf_counter()
    files = generate_demo(out, settings, 2020)
    return out, files, time.perf_counter() - start


@pytest.fixture(scope="module")
def truth(settings: Settings) -> dict[str, Any]:
    return demo_truth(settings, 2020)


def sheets(path: Path) -> dict[str, list[list[Any]]]:
    """Every sheet of a roster-like file as rows of cell values (CSV: one sheet)."""
    if path.suffix == ".csv":
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig") if raw.startswith(b"\xef\xbb\xbf") else raw.decode("gbk")
        return {"csv": [list(r) for r in csv.reader(io.StringIO(text))]}
    wb = CalamineWorkbook.from_path(str(path))
    return {name: wb.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in wb.sheet_names}


def id_cells(rows: list[list[Any]]) -> list[Any]:
    """The cells of the ID column below its header, on data rows (a numeric 序号 in column A)."""
    for i, row in enumerate(rows):
        cols = [c for c, v in enumerate(row) if isinstance(v, str) and v.strip() in ID_HEADERS]
        if cols:
            return [r[cols[0]] for r in rows[i + 1 :] if r and is_serial(r[0])]
    return []


def is_serial(value: Any) -> bool:
    return isinstance(value, int | float) or (isinstance(value, str) and value.strip().isdigit())


def test_generation_is_fast_and_complete(
    generated: tuple[Path, list[Path], float], truth: dict[str, Any]
) -> None:
    out, files, seconds = generated
    assert seconds < 5
    assert files == sorted(files)
    assert {p.name for p in files} == {p.name for p in out.iterdir()} == set(truth["files"])
    names = {p.name for p in files}
    for name in (
        demo.LOCK_FILE,
        demo.GBK_CSV_FILE,
        demo.UTF8_BOM_CSV_FILE,
        demo.FLOAT_ID_FILE,
        demo.DUPLICATE_ROW_FILE,
        demo.NT_LOG_FILE,
        demo.SERUM_LOG_FILE,
        demo.HIS_EXPORT_FILE,
        demo.QUOTA_FILE,
        demo.REGISTER_FILE,
        demo.README_FILE,
    ):
        assert name in names
    rosters = [n for n, kind in truth["kinds"].items() if kind == "roster"]
    assert len(rosters) == len(truth["roster_submissions"]) > 100
    assert 500 <= truth["women"] <= 650


def test_deterministic(settings: Settings, generated: tuple[Path, list[Path], float], tmp_path: Path) -> None:
    first, files, _ = generated
    again = generate_demo(tmp_path / "again", settings, 2020)
    assert [p.name for p in again] == [p.name for p in files]
    for a in files:
        assert a.read_bytes() == (tmp_path / "again" / a.name).read_bytes(), a.name
    other = demo_truth(settings, 7)
    assert other["defects"] != demo_truth(settings, 2020)["defects"]


def test_roster_ids(generated: tuple[Path, list[Path], float], truth: dict[str, Any]) -> None:
    out, _, _ = generated
    defects = truth["defects"]
    bad = {roster_id for _, roster_id, _ in defects["bad_checksum"]}
    intended = bad | {defects["lowercase_x"][1], defects["old_15_digit"][1], defects["full_width"][1], ""}
    assert len(bad) == sum(count for _, count in demo.BAD_CHECKSUM_IDS)
    floats: list[tuple[str, float]] = []
    seen_defects: set[str] = set()
    checked = 0
    for name, kind in truth["kinds"].items():
        if kind != "roster":
            continue
        for rows in sheets(out / name).values():
            for cell in id_cells(rows):
                if isinstance(cell, float):
                    floats.append((name, cell))
                    continue
                value = str(cell).strip()
                if value in intended:
                    seen_defects.add(value)
                    continue
                assert valid_id(value), (name, value)
                assert value[:6] in HENAN_AREAS
                assert int(value[16]) % 2 == 0  # female
                assert 1980 <= int(value[6:10]) <= 2000
                checked += 1
    assert checked > 5000
    assert seen_defects == intended
    # The intentional defects are really invalid.
    for _, roster_id, true_id in defects["bad_checksum"]:
        assert not valid_id(roster_id) and valid_id(true_id) and roster_id[:17] == true_id[:17]
    _, lower, true_x = defects["lowercase_x"]
    assert lower.endswith("x") and true_x.endswith("X") and valid_id(true_x)
    _, old, upgraded = defects["old_15_digit"]
    assert len(old) == 15 and upgraded == old[:6] + "19" + old[6:] + upgraded[17] and valid_id(upgraded)
    _, wide, narrow = defects["full_width"]
    assert not wide.isascii() and valid_id(narrow)
    # Two IDs saved as numbers, in one file, and they lost their last digits.
    assert len(floats) == demo.FLOAT_ID_COUNT
    assert {name for name, _ in floats} == {demo.FLOAT_ID_FILE}
    true_floats = {true_id for _, _, true_id in defects["float_ids"]}
    assert len(true_floats) == demo.FLOAT_ID_COUNT
    assert all(valid_id(t) for t in true_floats)
    assert {f"{int(value):d}" for _, value in floats} != true_floats


def test_log_ids_and_defects(generated: tuple[Path, list[Path], float], truth: dict[str, Any]) -> None:
    out, _, _ = generated
    defects = truth["defects"]
    typos = {typo for _, _, typo, _ in defects["log_id_typos"]}
    assert len(typos) == demo.LOG_ID_TYPOS
    values: list[Any] = []
    dates: list[Any] = []
    for name in (demo.NT_LOG_FILE, demo.SERUM_LOG_FILE):
        for rows in sheets(out / name).values():
            values += id_cells(rows)
            header = next(i for i, r in enumerate(rows) if "身份证号" in r)
            col = next(c for c, v in enumerate(rows[header]) if v in ("检查日期", "筛查日期"))
            dates += [r[col] for r in rows[header + 1 :] if r and is_serial(r[0])]
    assert demo.IMPOSSIBLE_DATE_TEXT in dates
    assert any(isinstance(d, dt.date) and d > dt.date(2020, 11, 30) for d in dates)
    assert any(isinstance(d, dt.date) and d < dt.date(2020, 4, 10) for d in dates)
    found = {v for v in values if not valid_id(str(v))}
    assert found == typos
    html = (out / demo.HIS_EXPORT_FILE).read_bytes()
    text = html.decode("gb18030")
    assert text.startswith("<html") and "gb2312" in text
    assert (
        text.count("<tr>") - 1
        == demo.HIS_EXPORT_SHARED + demo.HIS_EXPORT_ONLY
        == truth["files"][demo.HIS_EXPORT_FILE]
    )
    assert len(defects["high_risk"]) == demo.SERUM_HIGH_RISK + demo.SERUM_BORDERLINE
    assert "impossible_date" in defects and "duplicate_row" in defects


def test_files_shapes(generated: tuple[Path, list[Path], float], truth: dict[str, Any]) -> None:
    out, _, _ = generated
    lock = out / demo.LOCK_FILE
    assert lock.stat().st_size == demo.LOCK_FILE_SIZE
    gbk = (out / demo.GBK_CSV_FILE).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        gbk.decode("utf-8")
    assert "常花园" in gbk.decode("gbk")
    assert (out / demo.UTF8_BOM_CSV_FILE).read_bytes().startswith(b"\xef\xbb\xbf")
    # Data rows as the truth says (rows with a serial number; titles, headers, blanks, 合计 excluded).
    for name, kind in truth["kinds"].items():
        if kind in ("roster", "nt_log", "serum_log"):
            count = sum(1 for rows in sheets(out / name).values() for r in rows if r and is_serial(r[0]))
            assert count == truth["files"][name], name
    dup_rows = sheets(out / demo.DUPLICATE_ROW_FILE)["Sheet1"]
    ids = [str(v) for v in id_cells(dup_rows)]
    assert len(ids) - len(set(ids)) == 1
    subtotal = next(n for n, c, _, _ in truth["roster_submissions"] if c == "新安社区" and "7月" in n)
    rows = next(iter(sheets(out / subtotal).values()))
    assert rows[-1][0] == "合计"
    assert any(all(v in ("", None) for v in r) for r in rows[5:-1])  # blank rows in the middle
    two_row = next(iter(sheets(out / demo.FLOAT_ID_FILE).values()))
    assert "基本信息" in two_row[2] and "是否NT筛查" in two_row[3]
    yinhua = next(n for n, c, _, _ in truth["roster_submissions"] if c == "银华社区" and n.endswith(".xlsx"))
    assert list(sheets(out / yinhua)) == ["花名册", demo.INSTRUCTION_SHEET]
    late = [n for n, _, _, _ in truth["roster_submissions"] if "常花园" in n and n > "常花园社区花名册09"]
    assert any("常花園社區" in str(r) for r in next(iter(sheets(out / late[0]).values())))
    assert truth["missed_submissions"] == [("新华社区", dt.date(2020, 7, 18))]
    first = [(c, d) for _, c, due, d in truth["roster_submissions"] if due == dt.date(2020, 4, 18)]
    assert ("银华社区", dt.date(2020, 4, 21)) in first


def test_quota_and_register(generated: tuple[Path, list[Path], float], settings: Settings) -> None:
    out, _, _ = generated
    rows = sheets(out / demo.QUOTA_FILE)["任务分配表"]
    assert rows[2][:2] == ["社区名称", "各应完成人数"] and rows[2][3] == "每周应完成人数"
    assert rows[3][1:5] == ["超声NT筛查", "血清学筛查", "超声NT筛查", "血清学筛查"]
    body = {r[0]: r[1:5] for r in rows[4:]}
    assert body["新民"] == [72, 72, 2, 2]
    assert body["银华社区"] == [18, 18, 0.5, 0.5]
    assert body["合计"] == [306, 306, 8.5, 8.5]
    register = sheets(out / demo.REGISTER_FILE)["登记簿"]
    kinds = [r[0] for r in register[2:]]
    assert kinds.count("纸质花名册") == len(settings.communities)
    assert kinds.count("个案销号") == len(demo.CLOSURES)
    assert kinds.count("人工合并") == 1 and kinds.count("产前诊断结果") == 1
    assert "虚构" in (out / demo.README_FILE).read_text(encoding="utf-8")


def test_year_shape(truth: dict[str, Any], settings: Settings) -> None:
    """Some communities meet their quota, some clearly lag (by construction)."""
    counts = truth["screened_women_counted"]
    met = [c.name for c in settings.communities if min(counts[c.name].values()) >= c.quota_nt]
    lag = [c.name for c in settings.communities if min(counts[c.name].values()) < 0.9 * c.quota_nt]
    assert len(met) >= 2 and len(lag) >= 1
    assert sum(truth["subsidy_cases_jan_apr9"].values()) > 0


def test_a_programme_running_since_january(settings: Settings) -> None:
    """Serum screenings follow the same women's NT screenings by 4-6 weeks, and both run evenly
    through the year (serum about five weeks behind), as in a programme that has run since January."""
    from pipeline.demo.plan import build

    women = [w for w in build(settings, 2020).women if w.rostered and w.closure is None]
    gaps = [(min(w.serum) - min(w.nt)).days for w in women if w.nt and w.serum]
    assert sum(28 <= g <= 42 for g in gaps) >= 0.9 * len(gaps)
    for test in ("nt", "serum"):
        by_month = [sum(1 for w in women for d in getattr(w, test) if d.month == m) for m in range(1, 13)]
        mean = sum(by_month[2:]) / 10
        # From March on (the serum screenings of January and February are those of the women
        # screened for NT in the December before, outside the logs), every month within a third of
        # the mean.
        assert all(abs(n - mean) <= mean / 3 for n in by_month[2:]), (test, by_month)
        assert by_month[0] > 0
