"""`make bench` is not run by CI; its hooks into the writer are: the write-stage baseline records
every table the outputs write, so a change of the writer's internals must keep it working."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from bench.bench_scale import capture_tables
from tests.conftest import demo_result


def test_the_write_stage_baseline_records_every_table(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = demo_result(dt.date(2020, 6, 30))
    capture_tables(result, settings, tmp_path / "tables.pkl")
    tables = pd.read_pickle(tmp_path / "tables.pkl")
    books = {book for book, _, _, _ in tables}
    # The master and at least one community workbook, each with its 汇总 table of one row per community.
    assert any(book.startswith("两筛进度汇总") for book in books)
    summary = [frame for book, sheet, _, frame in tables if book.startswith("两筛进度汇总") and sheet == "汇总"]
    assert summary and len(summary[0]) == len(settings.communities)
