"""The two charts on 汇总: each community's done and expected per test (columns), and the
sub-district's cumulative progress by period (lines).

Takes the workbook, the sheet and the rows where the tables were written (the tables' columns
are :data:`~pipeline.outputs.columns.SUMMARY_COLUMNS` and
:data:`~pipeline.outputs.columns.CUMULATIVE_COLUMNS`); inserts charts that refer to those cells.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from pipeline.outputs.columns import CUMULATIVE_COLUMNS, SHORT, SUMMARY_COLUMNS
from pipeline.settings import TESTS


@dataclass(frozen=True)
class Place:
    """Where a chart goes: its top row, its offset from column A and its size (pixels)."""

    row: int
    x_offset: int = 0
    width: int = 760
    height: int = 340


def column_chart(book: Workbook, sheet: Worksheet, first: int, last: int, place: Place, each: str) -> None:
    """Each community's done and expected per test (rows ``first``..``last`` of 汇总's table),
    placed at ``place``; ``each``: the communities as people say it (各社区)."""
    name = sheet.get_name()
    index = {col.key: c for c, col in enumerate(SUMMARY_COLUMNS)}
    chart = book.add_chart({"type": "column"})
    colours = {"nt": ("#2F5597", "#9DC3E6"), "serum": ("#C55A11", "#F4B183")}
    for t in TESTS:
        for what, label, colour in (("done", "已完成", colours[t][0]), ("expected", "应完成", colours[t][1])):
            c = index[f"{what}_{t}"]
            chart.add_series(
                {
                    "name": f"{SHORT[t]}{label}",
                    "categories": [name, first, 0, last, 0],
                    "values": [name, first, c, last, c],
                    "fill": {"color": colour},
                    "border": {"none": True},
                }
            )
    chart.set_title({"name": f"{each}已完成与应完成（人）", "name_font": {"size": 12}})
    chart.set_y_axis({"name": "人数", "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    chart.set_legend({"position": "bottom"})
    _place(sheet, chart, place)


def _place(sheet: Worksheet, chart: Any, place: Place) -> None:
    chart.set_size({"width": place.width, "height": place.height})
    sheet.insert_chart(place.row, 0, chart, {"x_offset": place.x_offset, "object_position": 3})


def line_chart(
    book: Workbook, sheet: Worksheet, first: int, last: int, place: Place, label: str, whole: str
) -> None:
    """The cumulative done and expected per test by period (rows ``first``..``last`` of the
    cumulative block), placed at ``place``; ``whole``: the organisation (全街道)."""
    name = sheet.get_name()
    index = {col.key: c for c, col in enumerate(CUMULATIVE_COLUMNS)}
    chart = book.add_chart({"type": "line"})
    colours = {"nt": "#2F5597", "serum": "#C55A11"}
    for t in TESTS:
        chart.add_series(
            {
                "name": f"{SHORT[t]}累计完成",
                "categories": [name, first, 0, last, 0],
                "values": [name, first, index[f"done_{t}"], last, index[f"done_{t}"]],
                "line": {"color": colours[t], "width": 2.25},
                "marker": {
                    "type": "circle",
                    "size": 5,
                    "fill": {"color": colours[t]},
                    "border": {"color": colours[t]},
                },
            }
        )
        chart.add_series(
            {
                "name": f"{SHORT[t]}累计应完成",
                "categories": [name, first, 0, last, 0],
                "values": [name, first, index[f"expected_{t}"], last, index[f"expected_{t}"]],
                "line": {"color": colours[t], "width": 1.5, "dash_type": "dash"},
            }
        )
    chart.set_title({"name": f"{whole}累计完成与累计应完成（按{label}）", "name_font": {"size": 12}})
    chart.set_y_axis({"name": "人数", "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    chart.set_x_axis({"num_font": {"rotation": -45}})
    chart.set_legend({"position": "bottom"})
    _place(sheet, chart, place)
