"""The health centre's files: the NT log, the serum log and the hospital system's export.

Takes the built ``Demo`` and gives ``FileSpec``s (data, not bytes): the NT log with one sheet per
quarter, the serum log (dates typed as text from October, by a new clerk) and the export of the
health information system (an HTML table saved as .xls). The cells that vary by hand (a missing
LMP, how the test is named) come from ``random.Random("{seed}:logs")``, drawn in file order.
"""

from __future__ import annotations

import datetime as dt
import random

from pipeline.demo.defects import HIS_EXPORT_FILE, NT_LOG_FILE, NT_LOG_SHEETS, SERUM_LOG_FILE
from pipeline.demo.files import FileSpec, Sheet, Value, date_text
from pipeline.demo.plan import Demo
from pipeline.demo.screenings import Screening


def log_files(demo: Demo) -> list[FileSpec]:
    """The NT log, the serum log and the export, in that order (they share one generator)."""
    rng = random.Random(f"{demo.seed}:logs")
    return [_nt_log(demo, rng), _serum_log(demo, rng), _his_export(demo, rng)]


def _ga_text(lmp: dt.date, on: dt.date) -> str:
    days = (on - lmp).days
    return f"{days // 7}+{days % 7}"


def _log_row(s: Screening, n: int, with_test: bool, rng: random.Random, date_as_text: bool) -> list[Value]:
    w = s.woman
    date_cell: Value = s.date_text or (date_text(s.date, 2) if date_as_text else s.date)
    lmp_cell: Value = w.lmp if rng.random() < 0.93 else None
    row: list[Value] = [n, w.name, s.id_text, w.log_phone, w.log_address, lmp_cell]
    if with_test:
        row += [
            date_cell,
            _ga_text(w.lmp, s.date),
            rng.choice(("NT", "超声NT", "NT", "超声NT筛查")),
            s.result,
        ]
    else:
        row += [_ga_text(w.lmp, s.date), date_cell, s.result]
    return row


def _nt_log(demo: Demo, rng: random.Random) -> FileSpec:
    """One sheet per quarter, a title row each."""
    year = demo.settings.programme.end.year
    centre = demo.settings.directory.health_centre or "卫生院"
    nt = [s for s in demo.screenings if s.test == "nt" and s.in_log]
    header = [
        "序号",
        "姓名",
        "身份证号",
        "联系电话",
        "现住址",
        "末次月经",
        "检查日期",
        "孕周",
        "筛查项目",
        "筛查结果",
    ]
    sheets = []
    for q, sheet_name in enumerate(NT_LOG_SHEETS):
        quarter = [s for s in nt if (s.date.month - 1) // 3 == q]
        rows: list[list[Value] | None] = [_log_row(s, i, True, rng, False) for i, s in enumerate(quarter, 1)]
        sheets.append(
            Sheet(
                sheet_name,
                [header],
                rows,
                titles=[f"{centre}超声NT筛查登记表（{year}年{sheet_name}）"],
                text_cols=frozenset({2, 3, 6, 7}),
                widths={2: 21, 3: 14, 4: 24, 5: 12, 6: 12},
            )
        )
    return FileSpec(NT_LOG_FILE, "nt_log", sheets)


def _serum_log(demo: Demo, rng: random.Random) -> FileSpec:
    """No test column; dates typed as text from October on (a new clerk)."""
    year = demo.settings.programme.end.year
    serum = [s for s in demo.screenings if s.test == "serum" and s.in_log]
    header = ["序号", "姓名", "身份证号", "联系电话", "现住址", "末次月经", "孕周", "筛查日期", "筛查结果"]
    rows: list[list[Value] | None] = [
        _log_row(s, i, False, rng, s.date >= dt.date(year, 10, 1)) for i, s in enumerate(serum, 1)
    ]
    sheet = Sheet(
        "Sheet1",
        [header],
        rows,
        text_cols=frozenset({2, 3, 7}),
        widths={2: 21, 3: 14, 4: 24, 5: 12, 7: 12},
    )
    return FileSpec(SERUM_LOG_FILE, "serum_log", [sheet])


def _his_export(demo: Demo, rng: random.Random) -> FileSpec:
    """The HIS export: an HTML table saved as .xls (GB18030)."""
    his = sorted((s for s in demo.screenings if s.in_his), key=lambda s: (s.date, s.woman.uid))
    header = ["序号", "姓名", "身份证号", "联系电话", "现住址", "检查项目", "采血日期", "检查结果"]
    rows: list[list[Value] | None] = [
        [
            i,
            s.woman.name,
            s.id_text,
            s.woman.log_phone,
            s.woman.log_address,
            rng.choice(("唐氏筛查", "中孕期血清学筛查")),
            s.date,
            s.result,
        ]
        for i, s in enumerate(his, 1)
    ]
    return FileSpec(
        HIS_EXPORT_FILE, "his", [Sheet("export", [header], rows, text_cols=frozenset({2, 3}))], fmt="html"
    )
