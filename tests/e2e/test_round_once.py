"""Round once: every printed percentage comes from the unrounded ratio through ``fmt_pct``, so the
terminal, the circular (Word, HTML, WeChat text), the mail and the workbook agree.

The case from issue 19: 28 done of 52.2857 expected (2 a week over 183 days: 2 × 183 / 7) is
0.535519..., 53.6 %. Stored rounded to 0.5355 and formatted again it read 53.5 % everywhere but
the workbook."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import docx
import openpyxl

from pipeline.analyse import analyse
from pipeline.mail.plan import mail_context
from pipeline.outputs.write import write_outputs
from pipeline.terminal import run_report
from tests.factories import A, community, make_id, make_settings

AS_OF = dt.date(2020, 9, 30)  # the end of a circular period, so the circular shows these figures
ASSESS_FROM = AS_OF - dt.timedelta(days=182)  # 183 days inclusive: 2020-04-01
DONE = 28


def _write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)


def _inputs(folder: Path) -> None:
    """One community's roster of 28 women and the health centre's log: each woman screened NT in
    her 12th week and serum in her 16th, all before AS_OF."""
    folder.mkdir()
    roster = [["社区", "姓名", "身份证号", "联系电话", "末次月经", "填报日期"]]
    nt = [["姓名", "身份证号", "联系电话", "筛查项目", "筛查日期"]]
    lmp0 = dt.date(2020, 4, 1)
    for n in range(DONE):
        lmp = lmp0 + dt.timedelta(days=2 * n)
        who = [f"孕妇{n:02d}", make_id(n), f"139{n:08d}"]
        roster.append([A, *who, lmp.isoformat(), "2020-04-18"])
        nt.append([*who, "超声NT", (lmp + dt.timedelta(days=12 * 7)).isoformat()])
        nt.append([*who, "血清学", (lmp + dt.timedelta(days=16 * 7)).isoformat()])
    _write_csv(folder / f"{A}花名册.csv", roster)
    _write_csv(folder / "筛查登记.csv", nt)


def _excel_shows(value: float) -> str:
    """What Excel prints for ``value`` under the workbook's ``0.0%`` format (half away from zero,
    from the decimal value): an oracle independent of pipeline.fmt."""
    return f"{(Decimal(str(value)) * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


def test_a_rate_prints_the_same_everywhere(tmp_path: Path) -> None:
    settings = make_settings(
        [community(A, quota=100, weekly=2)],
        programme={"assess_from": ASSESS_FROM, "count_from": ASSESS_FROM, "subsidy_to": ASSESS_FROM - dt.timedelta(days=1)},
    )
    settings = dataclasses.replace(settings, mail=dataclasses.replace(settings.mail, communities={}))
    _inputs(tmp_path / "input")
    result = analyse(tmp_path / "input", settings, AS_OF, workers=1)
    rate = result.summary["communities"][0]["rate"]
    assert result.summary["communities"][0]["done"] == {"nt": DONE, "serum": DONE}
    assert abs(rate - 56 / (2 * 2 * 183 / 7)) < 1e-12  # 0.535519..., not the rounded 0.5355
    written = write_outputs(result, settings, tmp_path / "output", workers=1)
    folder = written.folder

    terminal = "\n".join(run_report(result, settings))
    assert "53.6%" in terminal and "53.5%" not in terminal
    assert "28/52.3" in terminal  # expected 52.2857 printed once, to one decimal

    text = (folder / f"通报摘要_{AS_OF}.txt").read_text(encoding="utf-8")
    html = (folder / f"通报_{AS_OF}.html").read_text(encoding="utf-8")
    word = "\n".join(
        cell.text
        for table in docx.Document(str(folder / f"通报_{AS_OF}.docx")).tables
        for row in table.rows
        for cell in row.cells
    )
    for where in (text, html, word):
        assert "53.6%" in where and "53.5%" not in where

    mail = mail_context(result.summary, settings)
    assert mail["communities"][0]["rate_text"] == "53.6%"
    assert [t["rate"] for t in mail["communities"][0]["tests"]] == ["53.6%", "53.6%"]

    book = openpyxl.load_workbook(folder / f"两筛进度汇总_{AS_OF}.xlsx")
    sheet = book["汇总"]
    headers = [c.value for c in sheet[3]]
    cell = sheet.cell(row=4, column=headers.index("综合完成率") + 1)
    assert cell.number_format == "0.0%"
    assert _excel_shows(cell.value) == "53.6%"
