"""零报告: a roster with a 填报日期 and nobody on it is a submission (on time when sent by its due
date), read from real files (xlsx and CSV) through the whole pipeline up to roster timeliness."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl

from pipeline.analyse import analyse
from pipeline.model import Analysis
from tests.factories import A, B, base_settings, make_id

HEADER = ["序号", "姓名", "身份证号", "联系电话", "末次月经", "预产期", "现住址"]


def xlsx_roster(path: Path, title: str, rows: list[list[object]] = ()) -> None:  # type: ignore[assignment]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "花名册"
    sheet.append([title])
    sheet.append(HEADER)
    for r in rows:
        sheet.append(r)
    book.save(path)


def csv_roster(path: Path, title: str) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f)
        out.writerow([title])
        out.writerow(HEADER)


def timeliness(result: Analysis, community: str) -> list[tuple[str, str]]:
    t = result.scored.timeliness
    mine = t[t["community"] == community]
    return [(f"{d:%m-%d}", s) for d, s in zip(mine["due"], mine["status"], strict=True)]


def test_empty_rosters_in_xlsx_and_csv_are_on_time_reports(tmp_path: Path) -> None:
    # Due dates 04-18 and 04-28. 新民 sends an empty xlsx roster dated 04-17 and an empty one dated
    # 04-27; 新安 an empty CSV dated 04-18. Nobody else sends anything.
    xlsx_roster(tmp_path / "新民社区花名册0417.xlsx", "新民社区已孕对象花名册 填报日期：2020年4月17日")
    xlsx_roster(tmp_path / "新民社区花名册0427.xlsx", "新民社区已孕对象花名册 填报日期：2020年4月27日")
    csv_roster(tmp_path / "新安社区花名册.csv", "新安社区已孕对象花名册 填报日期：2020年4月18日")
    result = analyse(tmp_path, base_settings(), dt.date(2020, 4, 30), workers=1)

    assert timeliness(result, A) == [("04-18", "按时"), ("04-28", "按时")]
    assert timeliness(result, B) == [("04-18", "按时"), ("04-28", "未报")]
    assert timeliness(result, "新华社区") == [("04-18", "未报"), ("04-28", "未报")]
    subs = result.reconciled.submissions.sort_values("report_date")
    assert list(subs["rows"]) == [0, 0, 0]
    # The accounting still adds up: zero rows in, zero accepted, zero rejected.
    acc = result.summary["accounting"]
    assert (acc["input_rows"], acc["accepted_rows"], acc["rejected_rows"]) == (0, 0, 0)
    by_key = {c["key"]: c["roster_timeliness"] for c in result.summary["communities"]}
    assert (by_key[A]["on_time"], by_key[A]["missing"]) == (2, 0)
    assert (by_key[B]["on_time"], by_key[B]["missing"]) == (1, 1)


def test_a_zero_report_does_not_take_listed_women_off_the_roster(tmp_path: Path) -> None:
    # 新民 lists one woman on 04-17 and sends a 零报告 on 04-27 (nobody new): she stays listed as
    # on the latest roster; the 零报告 is the on-time report for 04-28.
    xlsx_roster(
        tmp_path / "新民社区花名册0417.xlsx",
        "新民社区已孕对象花名册 填报日期：2020年4月17日",
        [[1, "王芳", make_id(1), "13900000001", "2020-02-01", "", "新民社区3组"]],
    )
    xlsx_roster(tmp_path / "新民社区花名册0427.xlsx", "新民社区已孕对象花名册 填报日期：2020年4月27日")
    result = analyse(tmp_path, base_settings(), dt.date(2020, 4, 30), workers=1)

    assert timeliness(result, A) == [("04-18", "按时"), ("04-28", "按时")]
    women = result.reconciled.women
    assert list(women["name"]) == ["王芳"]
    assert bool(women["in_latest"].iloc[0])
    assert result.summary["accounting"]["roster_rows"] == 1
