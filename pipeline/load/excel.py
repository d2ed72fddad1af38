"""Excel-family workbooks (xlsx, xlsm, xlsb, xls, ods) -> exact cell grids, with python-calamine.

Takes a file the guards have passed, its sniffed format, the guards' :class:`Plan` (sheets to
skip) and its :class:`ReadContext`; gives one :class:`RawSheet` per readable worksheet
(``rows[0]`` is Excel row 1, ``rows[r][0]`` is column A; hidden sheets flagged), and notes chart
sheets, oversized and unreadable sheets as problems. Raises :class:`Rejected` when the workbook
cannot be opened at all (password, damage). Never decides what a sheet means.
"""

from __future__ import annotations

from pathlib import Path

import python_calamine as pc

from pipeline.load.common import (
    EXTENSION_FORMATS,
    PASSWORD_FIX,
    PASSWORD_MESSAGE,
    UNREADABLE_FIX,
    ReadContext,
    Rejected,
    clean_rows,
    sheet_too_large,
    short_error,
    too_many_sheets,
)
from pipeline.load.guard import Plan
from pipeline.model import RawSheet
from pipeline.problems import Severity

_CALAMINE_EXTENSIONS = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}


def read_excel(path: Path, fmt: str, plan: Plan, ctx: ReadContext) -> list[RawSheet]:
    """Every worksheet the guards let through, as an exact grid; skipped sheets become problems."""
    wb = _open_workbook(path, fmt, ctx)
    sheets: list[RawSheet] = []
    with wb:
        metas = list(wb.sheets_metadata)
        if len(metas) > ctx.limits.max_sheets:
            raise too_many_sheets(ctx, len(metas))
        for index, meta in enumerate(metas):
            sheet = _read_sheet(wb, index, meta, plan, ctx)
            if sheet is not None:
                sheets.append(sheet)
    for leftover in plan.skip.values():  # oversized sheets the parser did not list
        ctx.problems.append(leftover)
    return sheets


def _open_workbook(path: Path, fmt: str, ctx: ReadContext) -> pc.CalamineWorkbook:
    try:
        if (
            fmt in EXTENSION_FORMATS.get(path.suffix.lower(), ())
            and path.suffix.lower() in _CALAMINE_EXTENSIONS
        ):
            return pc.CalamineWorkbook.from_path(str(path))  # gives the most specific error messages
        # The parser picks its reader by extension; an xlsx renamed .xls (or a WPS .et) is
        # read by content instead.
        with open(path, "rb") as fh:
            return pc.CalamineWorkbook.from_filelike(fh)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: B036 - pyo3 panics derive from BaseException
        if isinstance(exc, pc.PasswordError) or "password" in str(exc).lower():
            raise Rejected(ctx.make("encrypted", PASSWORD_MESSAGE, PASSWORD_FIX), fmt="encrypted") from None
        raise Rejected(
            ctx.make(
                "unreadable",
                f"文件无法读取：文件内容已损坏或格式不受支持（{short_error(exc)}）",
                UNREADABLE_FIX,
            )
        ) from None


def _read_sheet(
    wb: pc.CalamineWorkbook, index: int, meta: pc.SheetMetadata, plan: Plan, ctx: ReadContext
) -> RawSheet | None:
    """One worksheet's grid, or None when it is skipped (its problem noted)."""
    name = meta.name
    hidden = meta.visible != pc.SheetVisibleEnum.Visible
    if name in plan.skip:
        ctx.problems.append(plan.skip.pop(name))
        return None
    if meta.typ == pc.SheetTypeEnum.ChartSheet:
        ctx.add("chart_sheet", "图表工作表，没有单元格数据，已跳过", severity=Severity.NOTE, sheet=name)
        return None
    try:
        sheet = wb.get_sheet_by_index(index)
        end = sheet.end
        if end is None:
            return RawSheet(ctx.rel, name, [], hidden, plan.uncached.get(name, []))
        rows_n, cols_n = end[0] + 1, end[1] + 1
        if rows_n * cols_n > ctx.limits.max_cells:
            ctx.problems.append(sheet_too_large(ctx, name, rows_n, cols_n))
            return None
        grid = sheet.to_python(skip_empty_area=False)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: B036
        ctx.add(
            "sheet_unreadable",
            f"工作表无法读取：内容已损坏或格式不受支持（{short_error(exc)}），其他工作表照常读取",
            UNREADABLE_FIX,
            sheet=name,
        )
        return None
    return RawSheet(ctx.rel, name, clean_rows(grid), hidden, plan.uncached.get(name, []))
