"""Property-based fuzzing of the whole pipeline (hypothesis): small valid rosters and screening
logs, built in memory, are mutated the way real submissions go wrong (columns dropped, swapped
and renamed to aliases or junk, cells replaced by values of any type, rows duplicated, sheets
shuffled, title and blank rows added, xlsx or CSV in several encodings), written to a folder and
run through :func:`pipeline.analyse.analyse` and :func:`pipeline.outputs.write.write_outputs`.

Invariants: nothing raises; every input row is accepted or rejected (in total and per sheet);
per community and test, ``done`` never exceeds the distinct women screened there; the outputs are
written and every workbook opens in openpyxl; no input text becomes a live formula in an output;
no valid ID or phone of the input reaches summary.json, the circular or the leaders' copy.

Files are read in-process here (the same per-file reader, without the worker processes that
isolate a crashing parser: starting those costs more than the rest of a small run, and the
isolation has its own tests in tests/hostile and tests/load/).

Budget: ``FUZZ_EXAMPLES`` examples (15 in ``make test``, 300 in ``make fuzz``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import openpyxl
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline import load
from pipeline.analyse import analyse
from pipeline.model import FileResult
from pipeline.outputs.write import write_outputs
from pipeline.settings import TESTS, Limits, Settings, load_settings
from tests.conftest import CONFIG
from tests.factories import make_id

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15") or 15)
AS_OF = dt.date(2020, 12, 31)
SETTINGS: Settings = load_settings(CONFIG)


@dataclass(frozen=True)
class Formula:
    """A formula cell with its cached value (what the reader sees)."""

    text: str
    cached: Any


@dataclass
class Sheet:
    name: str
    rows: list[list[Any]]  # header first, then data rows


@dataclass
class Book:
    name: str  # file name without extension
    sheets: list[Sheet]
    fmt: str = "xlsx"  # xlsx | csv-utf-8 | csv-utf-8-sig | csv-gb18030
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# The valid base: 12 women in three communities, their rosters, and the two logs

COMMUNITIES = ("新民社区", "新安社区", "银华社区")
ROSTER_HEADER = ["序号", "姓名", "身份证号", "联系电话", "末次月经", "预产期", "现住址"]
LOG_HEADER = ["序号", "姓名", "身份证号", "联系电话", "现住址", "末次月经", "检查日期", "筛查项目", "筛查结果"]
FIELD_OF = {  # header -> config field (for renames to an alias)
    "序号": "serial",
    "姓名": "name",
    "身份证号": "id",
    "联系电话": "phone",
    "末次月经": "lmp",
    "预产期": "edd",
    "现住址": "address",
    "检查日期": "screen_date",
    "筛查项目": "test",
    "筛查结果": "result",
}


@dataclass(frozen=True)
class Woman:
    n: int
    community: str
    name: str
    ident: str
    phone: str
    lmp: dt.date


WOMEN = [
    Woman(
        n,
        COMMUNITIES[n % 3],
        f"孕妇{n:02d}",
        make_id(95_000 + n),
        f"139{95_000 + n:08d}",
        dt.date(2020, 3, 1) + dt.timedelta(days=9 * n),
    )
    for n in range(12)
]
VALID_IDS = [w.ident for w in WOMEN]
VALID_PHONES = [w.phone for w in WOMEN]


def base_books() -> list[Book]:
    rosters = []
    for community in COMMUNITIES:
        rows: list[list[Any]] = [list(ROSTER_HEADER)]
        for i, w in enumerate((w for w in WOMEN if w.community == community), start=1):
            rows.append([i, w.name, w.ident, w.phone, w.lmp, w.lmp + dt.timedelta(days=280), f"{community}{w.n}组"])
        rosters.append(Sheet(community, rows))
    nt: list[list[Any]] = [list(LOG_HEADER)]
    serum: list[list[Any]] = [list(LOG_HEADER)]
    for w in WOMEN:
        if w.n % 4 != 3:
            nt.append([len(nt), w.name, w.ident, w.phone, "", w.lmp, w.lmp + dt.timedelta(weeks=12), "超声NT", "低风险"])
        if w.n % 3 != 2:
            risk = "高风险" if w.n == 4 else "低风险"
            serum.append([len(serum), w.name, w.ident, w.phone, "", w.lmp, w.lmp + dt.timedelta(weeks=17), "血清学", risk])
    return [
        Book("各社区已孕对象花名册20200418", rosters),
        Book("卫生院超声NT筛查登记2020", [Sheet("NT", nt)]),
        Book("血清学筛查登记表2020", [Sheet("Sheet1", serum)]),
    ]


# ---------------------------------------------------------------------------------------------
# Mutations

SPECIAL_TEXT = [
    "=1+1",
    '=HYPERLINK("http://198.51.100.7/FUZZ_LINK","点我")',
    "+SUM(1,2)",
    "-2+3",
    "@SUM(A1)",
    "=cmd|' /C calc'!A0",
    "4.11328199E+17",
    "411328199001011234",
    "41132819900101123x",
    "２０２０年４月８日",
    "2020-02-30",
    "20200408",
    "2020.4.8",
    "13+6",
    "合计",
    "示例",
    "姓名",
    "身份证号",
    "筛查日期",
    " ",
    "\u3000",
    "😀孕妇",
    "新民社区",
    "新華社區",
    "新华路",
    "NT",
    "血清学",
    "高风险",
    "#N/A",
    "None",
    "nan",
    "\t\n",
    "x" * 5000,
    "孕" * 33000,
]
JUNK_HEADERS = ["", "列1", "Unnamed: 3", "备注2", "😀", "姓 名", "身份证号（必填）", "NT", "社区", "日期", "x" * 300]

VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e308, -1e308, 5e-324, 4.11328199e17, 44000.0, 43929.5, 0.0, -0.0]),
    st.dates(min_value=dt.date(1899, 12, 31), max_value=dt.date(2100, 12, 31)),
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1)),
    st.text(max_size=20),
    st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), max_size=8),
    st.sampled_from(SPECIAL_TEXT),
    st.builds(Formula, st.sampled_from(["=1+1", "=A1", '=IF(1,"是","否")', "=1/0"]), st.sampled_from([2, "是", "", None])),
)


@st.composite
def mutated_sheet(draw: st.DrawFn, sheet: Sheet) -> Sheet:
    header, *data = (list(r) for r in sheet.rows)
    width = len(header)
    order = draw(st.permutations(range(width)))  # swap columns
    drop = draw(st.sets(st.integers(0, width - 1), max_size=3))  # drop columns
    keep = [c for c in order if c not in drop]
    renamed = list(header)
    for c in draw(st.sets(st.integers(0, width - 1), max_size=3)):
        aliases = getattr(SETTINGS.columns, FIELD_OF.get(header[c], ""), ())
        renamed[c] = draw(st.sampled_from([*aliases, *JUNK_HEADERS] if aliases else JUNK_HEADERS))
    for _ in range(draw(st.integers(0, 8))):  # random cells, any type
        if data:
            r = draw(st.integers(0, len(data) - 1))
            data[r][draw(st.integers(0, width - 1))] = draw(VALUES)
    for r in draw(st.lists(st.integers(0, max(0, len(data) - 1)), max_size=3)):  # duplicated rows
        if data:
            data.insert(draw(st.integers(0, len(data))), list(data[r]))
    for _ in range(draw(st.integers(0, 2))):  # blank rows in between
        data.insert(draw(st.integers(0, len(data))), [None] * width)
    if draw(st.booleans()):  # a row of junk
        data.append([draw(VALUES) for _ in range(width)])
    rows = [[renamed[c] for c in keep], *([row[c] for c in keep] for row in data)]
    titles = draw(st.lists(st.sampled_from(["泗洲街道已孕对象花名册", f"填报单位：{sheet.name}", "", "填报日期：2020年4月18日"]), max_size=3))
    rows = [[t] + [None] * (len(keep) - 1) if keep else [t] for t in titles] + rows
    return Sheet(draw(st.sampled_from([sheet.name, sheet.name, "Sheet1", "😀", "合计"])), rows)


@st.composite
def scenarios(draw: st.DrawFn) -> list[Book]:
    books: list[Book] = []
    for book in base_books():
        sheets = [draw(mutated_sheet(s)) for s in book.sheets]
        sheets = draw(st.permutations(sheets))  # shuffled sheet order
        names: set[str] = set()
        for s in sheets:  # sheet names must be unique in a workbook
            while s.name in names:
                s.name += "1"
            names.add(s.name)
        fmt = draw(st.sampled_from(["xlsx", "xlsx", "csv-utf-8", "csv-utf-8-sig", "csv-gb18030"]))
        if fmt != "xlsx":
            # one CSV per sheet (a CSV file has one table)
            books.extend(Book(f"{book.name}_{s.name}", [s], fmt) for s in sheets)
        else:
            books.append(Book(book.name, list(sheets), fmt))
    if draw(st.booleans()):  # the same submission twice under another name
        first = books[draw(st.integers(0, len(books) - 1))]
        books.append(Book(first.name + "(1)", first.sheets, first.fmt))
    return books


# ---------------------------------------------------------------------------------------------
# Writing the mutated books


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Formula):
        return "" if value.cached is None else str(value.cached)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return f"{value.year}/{value.month}/{value.day}"
    return str(value)


def write_book(book: Book, folder: Path) -> Path:
    if book.fmt == "xlsx":
        path = folder / f"{book.name}.xlsx"
        wb = xlsxwriter.Workbook(str(path), {"nan_inf_to_errors": True, "strings_to_formulas": False})
        date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
        for sheet in book.sheets:
            ws = wb.add_worksheet(sheet.name[:31])
            for r, row in enumerate(sheet.rows):
                for c, value in enumerate(row):
                    write_cell(ws, r, c, value, date_fmt)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # xlsxwriter's notes on truncated long strings
            wb.close()
        return path
    encoding = book.fmt.removeprefix("csv-")
    path = folder / f"{book.name}.csv"
    buf = io.StringIO()
    writer = csv.writer(buf)
    for row in book.sheets[0].rows:
        writer.writerow([_csv_text(v) for v in row])
    path.write_bytes(buf.getvalue().encode(encoding, "replace"))
    return path


def write_cell(ws: Any, r: int, c: int, value: Any, date_fmt: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # strings over Excel's 32767 characters are truncated
        if value is None:
            return
        if isinstance(value, Formula):
            ws.write_formula(r, c, value.text, None, value.cached if value.cached is not None else "")
        elif isinstance(value, bool):
            ws.write_boolean(r, c, value)
        elif isinstance(value, int):
            ws.write_number(r, c, float(value))
        elif isinstance(value, float):
            ws.write_number(r, c, value)
        elif isinstance(value, dt.datetime | dt.date):
            if dt.date(1900, 1, 1) <= (value.date() if isinstance(value, dt.datetime) else value) < dt.date(9999, 1, 1):
                ws.write_datetime(r, c, value, date_fmt)
            else:
                ws.write_string(r, c, value.isoformat())
        else:
            ws.write_string(r, c, str(value))


# ---------------------------------------------------------------------------------------------
# Invariants


def check_accounting(result: Any) -> None:
    acc = result.summary["accounting"]
    assert acc["input_rows"] == acc["accepted_rows"] + acc["rejected_rows"], acc
    for f in result.summary["files"]:
        for s in f["sheets"]:
            assert s["rows"] == s["accepted"] + s["rejected"], (f["file"], s)
    assert sum(s["rows"] for f in result.summary["files"] for s in f["sheets"]) == acc["input_rows"]


def check_done_counts(result: Any) -> None:
    scr = result.reconciled.screenings
    for community in result.summary["communities"]:
        for test in TESTS:
            mine = scr[(scr["community"] == community["key"]) & (scr["test"] == test)]
            done = community["done"][test] or 0
            assert done <= mine["pkey"].nunique(), (community["key"], test, done, len(mine))
    for test in TESTS:
        total = sum(c["done"][test] or 0 for c in result.summary["communities"])
        assert total <= scr.loc[scr["test"] == test, "pkey"].nunique()


_LIVE_FORMULA = re.compile(r"<f[^>]*>([^<]*)</f>")
_INJECTED = ("1+1", "HYPERLINK", "SUM(", "cmd|", "FUZZ_LINK", "IF(1")
_PUBLIC = re.compile(r"^(summary\.json|通报.*|领导版.*)$")


def check_outputs(folder: Path) -> None:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    assert (folder / "summary.json") in files and (folder / "manifest.json") in files
    for path in files:
        if path.suffix == ".xlsx":
            wb = openpyxl.load_workbook(path, read_only=True)
            try:
                for ws in wb.worksheets:
                    for _row in ws.iter_rows(values_only=True):
                        pass
            finally:
                wb.close()
            with zipfile.ZipFile(path) as zf:
                for name in zf.namelist():
                    if name.startswith("xl/worksheets/"):
                        formulas = _LIVE_FORMULA.findall(zf.read(name).decode("utf-8", "replace"))
                        live = [f for f in formulas if any(m in f for m in _INJECTED)]
                        assert not live, f"{path.name}/{name}: input text became a formula: {live[:3]}"
        if _PUBLIC.match(path.name):
            if path.suffix == ".docx":
                with zipfile.ZipFile(path) as zf:
                    text = "".join(zf.read(n).decode("utf-8", "replace") for n in zf.namelist())
            elif path.suffix == ".xlsx":
                with zipfile.ZipFile(path) as zf:
                    text = "".join(zf.read(n).decode("utf-8", "replace") for n in zf.namelist())
            else:
                text = path.read_text(encoding="utf-8")
            leaked = [v for v in (*VALID_IDS, *VALID_PHONES) if v in text]
            assert not leaked, f"{path.name} carries personal data: {leaked[:2]}"


# ---------------------------------------------------------------------------------------------


def read_in_process(
    input_dir: Path,
    limits: Limits,
    exclude: Sequence[Path] = (),
    *,
    on_file: Callable[[FileResult], None] | None = None,
    **_options: Any,
) -> tuple[list[FileResult], list[Any]]:
    """:func:`pipeline.load.read_all` without the reader processes."""
    paths, problems = load.discover(input_dir, exclude)
    results = []
    for path in paths:
        results.append(load.read_file(path, input_dir, limits))
        if on_file is not None:
            on_file(results[-1])
    return results, problems


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    print_blob=True,
)
@given(books=scenarios())
def test_mutated_rosters_and_logs_keep_the_invariants(books: Sequence[Book]) -> None:
    with tempfile.TemporaryDirectory(prefix="screening-fuzz-") as tmp:
        inp = Path(tmp) / "input"
        inp.mkdir()
        for book in books:
            write_book(book, inp)
        with mock.patch("pipeline.analyse.read_all", read_in_process):
            result = analyse(inp, SETTINGS, AS_OF)
        check_accounting(result)
        check_done_counts(result)
        final = write_outputs(result, SETTINGS, Path(tmp) / "output").folder
        check_outputs(final)


def test_the_unmutated_base_is_counted() -> None:
    """The base data the fuzzer mutates is valid: every row accepted, every screening counted."""
    with tempfile.TemporaryDirectory(prefix="screening-fuzz-") as tmp:
        inp = Path(tmp)
        for book in base_books():
            write_book(book, inp)
        result = analyse(inp, SETTINGS, AS_OF)  # the real reader here
    acc = result.summary["accounting"]
    assert acc["rejected_rows"] == 0
    assert acc["roster_rows"] == len(WOMEN)
    done = {t: sum(c["done"][t] for c in result.summary["communities"]) for t in TESTS}
    counted_from = SETTINGS.programme.count_from
    nt = sum(1 for w in WOMEN if w.n % 4 != 3 and w.lmp + dt.timedelta(weeks=12) >= counted_from)
    serum = sum(1 for w in WOMEN if w.n % 3 != 2 and w.lmp + dt.timedelta(weeks=17) >= counted_from)
    assert done == {"nt": nt, "serum": serum}
