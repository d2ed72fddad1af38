"""How every workbook kind prints (pipeline.outputs.paper), read back from the files with openpyxl:
A4, one page wide, orientation by the table's shape, the table's header repeated, 9 pt or more,
wrapped text shown whole, the one-page 简报 and 概况, and the sheets kept off paper (口径说明)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils.cell import range_boundaries
from openpyxl.workbook.workbook import Workbook as OpenpyxlWorkbook

from pipeline.outputs import paper, readers, xlsx
from pipeline.outputs.community import COMMUNITY_SCREEN
from pipeline.outputs.master import MASTER_SCREEN
from pipeline.outputs.readers import HEALTH_CENTRE_SCREEN, LEADER_SCREEN
from pipeline.settings import load_settings
from tests.conftest import CONFIG, demo_result

COVERS = ("简报", "概况")
DEFAULT_ROW_PT = 15.0  # a row without a set height (Calibri 11, the workbook's default font)


@pytest.fixture(scope="module")
def books(demo_workbooks: dict[str, Path]) -> dict[str, OpenpyxlWorkbook]:
    return {name: openpyxl.load_workbook(path) for name, path in demo_workbooks.items()}


def screen_sheets(name: str) -> tuple[str, ...]:
    return {"master": MASTER_SCREEN, "leaders": LEADER_SCREEN, "health": HEALTH_CENTRE_SCREEN}.get(
        name, COMMUNITY_SCREEN
    )


def area(ws: Any) -> tuple[int, int, int, int]:
    """The print area as (first col, first row, last col, last row), 1-based."""
    assert ws.print_area, ws.title
    ref = ws.print_area if isinstance(ws.print_area, str) else ws.print_area[0]
    bounds = range_boundaries(ref.split("!")[-1].replace("$", ""))
    return (bounds[0] or 1, bounds[1] or 1, bounds[2] or 1, bounds[3] or 1)


def widths(ws: Any) -> dict[int, float]:
    """Column widths by 1-based index, as Excel sets them (less the 0.71 xlsxwriter adds)."""
    out: dict[int, float] = {}
    for dim in ws.column_dimensions.values():
        if dim.min and dim.width:
            for c in range(dim.min, dim.max + 1):
                out[c] = round(dim.width - 0.71, 2)
    return out


def printed_widths(ws: Any) -> list[float]:
    first, _, last, _ = area(ws)
    w = widths(ws)
    return [w.get(c, 8.43) for c in range(first, last + 1)]


def is_printed(ws: Any) -> bool:
    first, top, last, bottom = area(ws)
    return not (first == last and top == bottom)


def row_pt(ws: Any, r: int) -> float:
    height = ws.row_dimensions[r].height
    return float(height) if height else DEFAULT_ROW_PT


def printed(books: dict[str, OpenpyxlWorkbook]) -> list[tuple[str, Any]]:
    return [(name, ws) for name, book in books.items() for ws in book.worksheets if is_printed(ws)]


# ---------------------------------------------------------------------------------------------


def test_every_sheet_prints_on_a4_one_page_wide_with_page_numbers(books: dict[str, OpenpyxlWorkbook]) -> None:
    for name, book in books.items():
        for ws in book.worksheets:
            assert int(ws.page_setup.paperSize) == paper.PAPER_A4, (name, ws.title)
            assert ws.sheet_properties.pageSetUpPr.fitToPage, (name, ws.title)
            assert ws.page_setup.fitToWidth in (None, 1), (name, ws.title)  # 1 is the default
            assert ws.page_setup.fitToHeight == 0, (name, ws.title)
            assert "&P" in (ws.oddFooter.right.text or "") and "&N" in ws.oddFooter.right.text, (name, ws.title)
            assert "&A" in (ws.oddFooter.left.text or ""), (name, ws.title)  # the sheet's name
            area(ws)


def test_orientation_follows_the_printed_table(books: dict[str, OpenpyxlWorkbook]) -> None:
    """Portrait when the printed columns fit across a portrait page, else landscape; the one-page
    sheets are portrait."""
    seen = set()
    for name, ws in printed(books):
        if ws.title in COVERS:
            assert ws.page_setup.orientation == "portrait", (name, ws.title)
            continue
        wide = paper.content_pt(printed_widths(ws)) > paper.printable_width(False)
        assert ws.page_setup.orientation == ("landscape" if wide else "portrait"), (name, ws.title)
        seen.add(wide)
    assert seen == {True}  # the demo's printed tables are all wider than a portrait page


def test_printed_text_is_9pt_or_more(books: dict[str, OpenpyxlWorkbook]) -> None:
    """Fit to one page wide shrinks a table by printable width / table width: 宋体 10 must not go
    below 9 pt, so no table is more than 1/0.9 of the page wide."""
    for name, ws in printed(books):
        landscape = ws.page_setup.orientation == "landscape"
        scale = paper.print_scale(printed_widths(ws), landscape)
        assert scale * paper.BODY_PT >= paper.MIN_PRINTED_PT, (name, ws.title, scale)
        body = [c.font.sz for row in ws.iter_rows(min_row=area(ws)[1], max_row=area(ws)[3]) for c in row
                if isinstance(c.value, str | int | float) and c.font is not None and c.font.sz]
        assert min(body) >= paper.BODY_PT, (name, ws.title)


def test_table_header_repeats_on_every_page(books: dict[str, OpenpyxlWorkbook]) -> None:
    """A printed table repeats its own header row (not the title, not another block's header);
    the sub-district's 汇总 prints as one page (table and charts)."""
    for name, ws in printed(books):
        if ws.title in COVERS:
            assert not ws.print_title_rows, (name, ws.title)
            continue
        header = int("".join(ch for ch in ws.freeze_panes if ch.isdigit())) - 1
        assert ws.cell(row=header, column=1).font.b, (name, ws.title)  # the header row is bold
        if ws.title == "汇总":
            rows = sum(row_pt(ws, r) for r in range(1, area(ws)[3] + 1))
            landscape = ws.page_setup.orientation == "landscape"
            # The charts (15 rows, one fewer for each warning beyond the first) follow the warnings.
            assert rows * paper.print_scale(printed_widths(ws), landscape) <= paper.printable_height(landscape), name
        assert (ws.print_title_rows or "").replace("$", "") == f"{header}:{header}", (name, ws.title, ws.print_title_rows)


def test_no_printed_text_is_cut(books: dict[str, OpenpyxlWorkbook]) -> None:
    """A text wider than its column wraps, in a row tall enough for its lines; no row is taller
    than a page (a row is never split across pages)."""
    for name, ws in printed(books):
        w = widths(ws)
        merged = {(m.min_row, m.min_col): m for m in ws.merged_cells.ranges}
        first, top, last, bottom = area(ws)
        landscape = ws.page_setup.orientation == "landscape"
        for row in ws.iter_rows(min_row=top, max_row=bottom, min_col=first, max_col=last):
            for cell in row:
                if not isinstance(cell.value, str) or not cell.value:
                    continue
                span = merged.get((cell.row, cell.column))
                cols = range(span.min_col, span.max_col + 1) if span else [cell.column]
                width = sum(w.get(c, 8.43) for c in cols)
                if paper.text_units(cell.value) <= width - 0.5:
                    continue
                where = (name, ws.title, cell.coordinate, cell.value[:30])
                assert cell.alignment.wrap_text, where
                size = float(cell.font.sz or paper.BODY_PT)
                assert row_pt(ws, cell.row) >= paper.wrapped_height(cell.value, width, size) - 0.01, where
            assert row_pt(ws, row[0].row) <= paper.printable_height(landscape), (name, ws.title, row[0].row)


def test_screen_sheets_stay_off_the_default_print(books: dict[str, OpenpyxlWorkbook]) -> None:
    """口径说明 (and each workbook's other screen sheets) keep their content but print nothing
    unless a range is selected: the print area is one empty cell, and the sheet says so."""
    for name, book in books.items():
        assert "口径说明" in screen_sheets(name)
        for title in screen_sheets(name):
            ws = book[title]
            first, top, last, bottom = area(ws)
            assert (first, top) == (last, bottom), (name, title)
            assert ws.cell(row=top, column=first).value is None, (name, title)
        assert book["口径说明"].max_row > 20, name  # the content is still there
        assert any("不在默认打印范围内" in str(c.value) for c in book["口径说明"]["A"][:3]), name
        for ws in book.worksheets:  # every other sheet with rows prints
            if ws.title not in screen_sheets(name) and ws.title not in ("高风险追踪",):
                assert is_printed(ws), (name, ws.title)


def test_missed_for_good_are_listed_last_and_not_printed(books: dict[str, OpenpyxlWorkbook]) -> None:
    """A community's follow-up list prints the women who can still be screened; those whose
    missed screening cannot be made up follow below the print area."""
    result = demo_result(dt.date(2020, 12, 31))
    fu = result.reconciled.followup
    checked = 0
    for key in result.summary["communities"]:
        mine = fu[fu["community"] == key["key"]]
        beyond = int(((mine["status"] == "missed") & (mine["missed_reason"] != "screenable")).sum())
        if not beyond or beyond == len(mine):
            continue
        ws = books[key["key"]]["随访督促名单"]
        _, top, _, bottom = area(ws)
        header = top + 2  # title, explanation, header
        assert bottom - header == len(mine) - beyond, key["key"]
        labels = [ws.cell(row=r, column=ws.max_column).value for r in range(header + 1, header + len(mine) + 1)]
        assert labels  # the rows are all there
        printed_reasons = [ws.cell(row=r, column=_col(ws, header, "能否补筛")).value for r in range(header + 1, bottom + 1)]
        assert not any(str(v or "").startswith("不可补筛") for v in printed_reasons), key["key"]
        below = [ws.cell(row=r, column=_col(ws, header, "能否补筛")).value for r in range(bottom + 1, bottom + beyond + 1)]
        assert all(str(v).startswith("不可补筛") for v in below), key["key"]
        assert f"无法补筛的{beyond}条列在最后" in ws["A2"].value
        checked += 1
    assert checked


def test_the_health_centre_prints_the_rows_only_it_can_fix(books: dict[str, OpenpyxlWorkbook]) -> None:
    """未在花名册: the screenings whose address names no community (无法归属) print; the 漏报 and
    待核实 rows, already counted for the community the address names, follow below the print area."""
    result = demo_result(dt.date(2020, 12, 31))
    rec = result.reconciled
    unassignable, listed = len(rec.unassignable), len(rec.missing_from_roster) + len(rec.pending_roster)
    assert unassignable and listed  # the demo at 12-31 has both
    ws = books["health"]["未在花名册"]
    _, top, _, bottom = area(ws)
    header = top + 2  # title, explanation, header
    assert bottom - header == unassignable
    kinds = [ws.cell(row=r, column=_col(ws, header, "类型")).value for r in range(header + 1, header + unassignable + listed + 1)]
    assert kinds[:unassignable] == ["无法归属"] * unassignable
    assert set(kinds[unassignable:]) <= {"漏报", "待核实"} and len(kinds[unassignable:]) == listed
    assert f"由社区补报的{listed}条（漏报、待核实）列在最后" in ws["A2"].value


def _col(ws: Any, header: int, name: str) -> int:
    return next(c.column for c in ws[header] if c.value == name)


# ---------------------------------------------------------------------------------------------
# The one-page sheets


def one_page(ws: Any) -> bool:
    _, top, _, bottom = area(ws)
    scale = paper.print_scale(printed_widths(ws), False)
    return sum(row_pt(ws, r) for r in range(top, bottom + 1)) * scale <= paper.printable_height(False)


def test_leaders_copy_opens_with_a_one_page_brief(books: dict[str, OpenpyxlWorkbook]) -> None:
    result = demo_result(dt.date(2020, 12, 31))
    ws = books["leaders"].worksheets[0]
    assert ws.title == "简报" and one_page(ws)
    text = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert any("进度简报" in t and "2020年12月31日" in t for t in text)
    for c in result.summary["communities"]:
        assert c["display_name"] in text
    # 全年任务, 应完成, 已完成 of the 合计 row: the summary's totals (306 + 306, 612.0, 341 + 327).
    totals = result.summary["totals"]
    row = next(r for r in ws.iter_rows(values_only=True) if r[0] == "合计" and isinstance(r[2], int | float))
    assert row[2] == totals["quota"]["nt"] + totals["quota"]["serum"]
    assert row[4] == totals["done"]["nt"] + totals["done"]["serum"]
    # 新华 is praised and still under 取消年底评先资格（延续）: the brief says both, as 汇总 does.
    xinhua = next(c for c in result.summary["communities"] if c["display_name"] == "新华社区")
    if xinhua.get("consequence") and not xinhua["lagging"]:
        line = next(r for r in ws.iter_rows(values_only=True) if r[1] == "新华社区")
        assert xinhua["consequence"] in str(line[-1])


def test_community_workbook_opens_with_its_card(books: dict[str, OpenpyxlWorkbook]) -> None:
    result = demo_result(dt.date(2020, 12, 31))
    for c in result.summary["communities"]:
        ws = books[c["key"]].worksheets[0]
        assert ws.title == "概况" and one_page(ws), c["key"]
        assert c["display_name"] in str(ws["A1"].value)
        rows = {r[0]: r for r in ws.iter_rows(values_only=True) if r[0] in ("超声NT", "血清学")}
        # 项目, 全年任务, 应完成, 已完成, 完成率, 剩余任务 (the first table)
        for label, t in (("超声NT", "nt"), ("血清学", "serum")):
            assert rows[label][1] == c["quota"][t]
            assert rows[label][3] == c["done"][t]
            assert rows[label][5] == c["remaining"][t]
        standing = " ".join(str(v) for r in ws.iter_rows(values_only=True) for v in r if v)
        assert f"排名第{c['rank']}位" in standing, c["key"]


def test_a_long_explanation_wraps_in_a_narrow_table(tmp_path: Path) -> None:
    """write_table on its own: a 说明 far longer than the page is wide wraps in a tall row, and the
    table's orientation follows its width (two short columns: portrait)."""
    book, fmt = xlsx.new_workbook(str(tmp_path / "t.xlsx"), title="t")
    frame = pd.DataFrame({"a": ["甲"], "b": ["说明" * 60]})
    xlsx.write_table(book, fmt, "表", frame, [xlsx.Column("a", "项目"), xlsx.Column("b", "说明", wrap=True)], title="标题")
    book.close()
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx")["表"]
    assert ws.page_setup.orientation == "portrait"
    assert ws["B3"].alignment.wrap_text
    # 120 CJK characters of 1.9 units (228) in a 30-unit column (29.5 usable): 8 lines of 13.5 pt + 3.
    assert ws.row_dimensions[3].height == pytest.approx(8 * 13.5 + 3)


def test_roster_timeliness_prints_its_summary_not_the_detail(books: dict[str, OpenpyxlWorkbook]) -> None:
    """花名册上报情况 prints one row per community; the due-by-due detail below it (another header)
    stays on the screen, so no page repeats the wrong header."""
    ws = books["master"]["花名册上报情况"]
    header = int("".join(ch for ch in ws.freeze_panes if ch.isdigit())) - 1
    r = header + 1
    while ws.cell(row=r, column=1).value not in (None, ""):
        r += 1
    assert r - header - 1 == 5  # the demo's five communities
    assert area(ws)[3] == r - 1
    assert any(ws.cell(row=x, column=1).value for x in range(r + 1, ws.max_row + 1))  # the detail is there


def test_same_print_set_up_when_written_row_by_row(
    books: dict[str, OpenpyxlWorkbook], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large result is written with constant_memory (rows flushed in order): the leaders' copy
    comes out the same, row heights and print areas included (the brief's spacing rows too)."""
    monkeypatch.setattr(readers, "large_result", lambda result: True)
    result = demo_result(dt.date(2020, 12, 31))
    flushed = openpyxl.load_workbook(readers.write_leaders(tmp_path / "l.xlsx", result, load_settings(CONFIG)))
    for ws in books["leaders"].worksheets:
        other = flushed[ws.title]
        assert cells(ws) == cells(other), ws.title
        heights = {k: d.height for k, d in ws.row_dimensions.items() if d.height}
        assert heights == {k: d.height for k, d in other.row_dimensions.items() if d.height}, ws.title
        assert ws.print_area == other.print_area, ws.title


def cells(ws: Any) -> dict[tuple[int, int], Any]:
    return {(c.row, c.column): c.value for row in ws.iter_rows() for c in row if c.value is not None}


def test_balanced_breaks_share_the_rows_and_leave_no_lone_row() -> None:
    # A page of 100 pt: the first has 30 of titles and header, the others a 10 pt header.
    # 8 rows of 10: filling gives 7 + 1 (a lone row); shared by the pages' room (70 and 90 of 160,
    # page 1 ending near 80 × 70/160 = 35 pt): 4 + 4.
    assert paper.balanced_breaks(30, 10, [10.0] * 8, 100) == (4,)
    # 10 rows: filling gives 7 + 3 (with LibreOffice's 108 pt pages too): no breaks. 9 rows give
    # 7 + 2: shared, page 1 ends near 90 × 70/160 = 39.4 pt: 4 + 5.
    assert paper.fill_pages(30, 10, [10.0] * 10, 100) == [7, 3]
    assert paper.balanced_breaks(30, 10, [10.0] * 10, 100) == ()
    assert paper.balanced_breaks(30, 10, [10.0] * 9, 100) == (4,)
    # One page: no break.
    assert paper.balanced_breaks(30, 10, [10.0] * 7, 100) == ()
    # 13 rows: filling gives 7 + 6 here and 7 + 6 with LibreOffice's slack (108 pt: 7 + 6): no breaks.
    assert paper.fill_pages(30, 10, [10.0] * 13, 108) == [7, 6]
    assert paper.balanced_breaks(30, 10, [10.0] * 13, 100) == ()
