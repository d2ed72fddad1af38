"""Every "人" in the circular counts distinct women, not rows (screenings or woman x test), and
counts only the women the sentence is about: 漏报 (not 待核实), missed windows that can still be
made up. A small input folder read end to end, as of 2020-08-31.

新民's rosters: 04-17 (孕妇01, 02, 03) and 08-27 (孕妇01, 02). LMP 2020-03-01 for all three: NT
window 05-17..06-06, serum 06-14..07-25, both closed unscreened by 08-31; LMP + 294 = 12-21.
- 孕妇01, 孕妇02: missed both tests, listed since 04-17 and on the latest roster: can be screened.
- 孕妇03: missed both, but not on the latest roster: cannot.
=> missed: 6 rows, 3 women; can still be screened: 2 women.
The health centre's log: 孕妇04 (NT 05-10, serum 06-20, address 新民社区, on no roster: due 05-18
has passed -> 漏报, 2 rows, 1 woman); 孕妇05 (NT 08-29, on no roster, next due 09-08 -> 待核实).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from pipeline.analyse import analyse
from pipeline.model import Analysis
from pipeline.outputs.circular import circular_context, write_circular
from pipeline.outputs.community import community_views, write_community
from pipeline.outputs.master import women_per_community
from tests.factories import A, base_settings, make_id

AS_OF = dt.date(2020, 8, 31)


def _book(path: Path, title: str | None, header: list[str], rows: list[list[Any]]) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
    sheet.append(header)
    for r in rows:
        sheet.append(r)
    book.save(path)


def _woman(n: int) -> list[Any]:
    return [f"孕妇{n:02d}", make_id(n), f"139{n:08d}"]


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> Analysis:
    folder = tmp_path_factory.mktemp("input")
    header = ["序号", "姓名", "身份证号", "联系电话", "末次月经", "现住址"]
    for day, who in (("4月17日", (1, 2, 3)), ("8月27日", (1, 2))):
        _book(
            folder / f"新民社区花名册{day}.xlsx",
            f"新民社区已孕对象花名册 填报日期：2020年{day}",
            header,
            [[i, *_woman(n), "2020-03-01", "新民社区2组"] for i, n in enumerate(who, 1)],
        )
    log = [
        [1, *_woman(4), "超声NT", "2020-05-10", "新民社区5组"],
        [2, *_woman(4), "血清学", "2020-06-20", "新民社区5组"],
        [3, *_woman(5), "超声NT", "2020-08-29", "新民社区6组"],
    ]
    _book(folder / "卫生院筛查登记.xlsx", None, ["序号", "姓名", "身份证号", "联系电话", "筛查项目", "筛查日期", "住址"], log)
    return analyse(folder, base_settings(), AS_OF, workers=1)


def test_summary_counts_women_beside_the_row_counts(result: Analysis) -> None:
    c = next(c for c in result.summary["communities"] if c["key"] == A)
    assert c["followup"]["missed"] == 6  # rows: 3 women x 2 tests
    assert c["followup_women"] == {"open": 0, "soon": 0, "missed": 3, "no_dates": 0, "missed_screenable": 2}
    assert c["missing_from_roster"] == 2  # rows: 孕妇04's NT and serum
    assert (c["missing_from_roster_women"], c["pending_verification_women"]) == (1, 1)


def test_circular_sentences_count_women(result: Analysis, tmp_path: Path) -> None:
    ctx = circular_context(result.summary, base_settings())
    assert ctx["followup"] == {"open": 0, "soon": 0, "missed": 2}
    assert ctx["missing_from_roster"] == [{"name": "新民社区", "count": 1}]
    _, html, _ = write_circular(tmp_path, result.summary, base_settings(), AS_OF)
    text = html.read_text(encoding="utf-8")
    assert "已错过筛查时间、仍可补筛的2人" in text
    assert "存在漏报。" in text and "仍未列入社区花名册：新民社区1人。" in text


def test_community_workbook_shows_pending_and_why_a_missed_woman_cannot_be_screened(
    result: Analysis, tmp_path: Path
) -> None:
    view = community_views(result, base_settings())[A]
    book = openpyxl.load_workbook(write_community(tmp_path / "新民社区.xlsx", view))
    issues = [r for r in book["漏报与冲突"].iter_rows(min_row=4, values_only=True) if r[0]]
    assert sorted((r[0], r[2]) for r in issues) == [("待核实", "孕妇05"), ("漏报", "孕妇04"), ("漏报", "孕妇04")]
    ws = book["随访督促名单"]
    head = [c.value for c in ws[3]]
    name, status, can = head.index("姓名"), head.index("状态"), head.index("能否补筛")
    rows = {(r[name], r[can]) for r in ws.iter_rows(min_row=4, values_only=True) if r[status] == "已错过窗口期"}
    assert rows == {("孕妇01", "可补筛"), ("孕妇02", "可补筛"), ("孕妇03", "不可补筛：已不在本社区最新花名册上")}


def test_person_counts_per_community_are_women() -> None:
    # 3 rows of 新民 for 2 women, 1 row of 新安, 1 row without a key (counted as one person).
    frame = pd.DataFrame(
        {"community": ["新民", "新民", "新民", "新安", "新安"], "pkey": ["ID:1", "ID:1", "ID:2", "ID:3", None]}
    )
    counts, total = women_per_community(frame)
    assert counts.to_dict() == {"新民": 2, "新安": 2}
    assert total == 4
