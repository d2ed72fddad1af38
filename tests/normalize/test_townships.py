"""A multi-level organisation (县/乡镇/村): every row's township comes from the most specific source
-- its 乡镇 cell, then the folder, the sheet name and title, the file name -- and its community is
looked up within it; a name unique in the whole organisation needs none."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from pipeline.model import FileResult, RawSheet
from pipeline.normalize import normalize
from pipeline.problems import problem_records
from pipeline.settings import Community, Settings
from pipeline.text import ParentResolver, distinct_pairs
from tests.factories import make_id, make_settings

PA, CL = "平安县", "长乐县"


def county() -> Settings:
    """Two counties that both have a 城关镇; 平安县 also has 李店镇; 王庄村 in all three townships."""
    places = [(f"{PA}/城关镇", "王庄村"), (f"{PA}/李店镇", "王庄村"), (f"{PA}/李店镇", "张庄村"), (f"{CL}/城关镇", "王庄村")]
    return make_settings([Community(name, 10, 10, 1, 1, parent=parent) for parent, name in places])


def roster(path: str, rows: list[list[Any]], header: tuple[str, ...] = ("姓名", "身份证号", "末次月经"),
           title: str | None = None) -> FileResult:
    grid: list[list[Any]] = ([[title]] if title else []) + [list(header), *rows]
    width = max(len(r) for r in grid)
    grid = [r + [None] * (width - len(r)) for r in grid]
    return FileResult(path=path, format="xlsx", size=1, sha256="0", sheets=[RawSheet(path, "Sheet1", grid)], problems=[])


def woman(n: int) -> list[Any]:
    return [f"孕妇{n:02d}", make_id(n), "2020-03-01"]


def communities(*files: FileResult) -> list[str]:
    norm = normalize(list(files), county())
    assert norm.input_rows == norm.accepted_rows + norm.rejected_rows
    return norm.roster.sort_values(["src_file", "src_row"])["community"].tolist()


def test_the_folder_names_the_township_before_the_title_and_the_file_name() -> None:
    # A file misfiled in 城关镇's folder is 城关镇's: the folder is the first sheet-level source.
    assert communities(roster(f"{PA}/城关镇/李店镇王庄村花名册0418.xlsx", [woman(1)])) == [f"{PA}/城关镇/王庄村"]
    # Without a folder, the title comes before the file name.
    assert communities(roster("李店镇王庄村0418.xlsx", [woman(1)], title="平安县城关镇王庄村花名册")) == [
        f"{PA}/城关镇/王庄村"
    ]
    # A folder 城关镇 (two counties have one) is narrowed by the title's county, not overridden
    # by the file name's other township.
    assert communities(roster("城关镇/李店镇王庄村0418.xlsx", [woman(1)], title="长乐县两筛花名册")) == [
        f"{CL}/城关镇/王庄村"
    ]
    assert communities(roster("李店镇王庄村0418.xlsx", [woman(1)])) == [f"{PA}/李店镇/王庄村"]


def test_a_township_two_counties_share_is_decided_by_the_county_in_the_path() -> None:
    assert communities(roster(f"{CL}/城关镇王庄村0418.xlsx", [woman(1)])) == [f"{CL}/城关镇/王庄村"]
    assert communities(roster(f"{PA}/城关镇/王庄村0418.xlsx", [woman(1)])) == [f"{PA}/城关镇/王庄村"]


def test_the_township_cell_comes_first_and_a_unique_name_needs_none() -> None:
    header = ("乡镇", "村", "姓名", "身份证号", "末次月经")
    in_folder = roster(
        f"{PA}/城关镇/汇总0418.xlsx",
        [
            ["李店镇", "王庄村", *woman(1)],  # the cell wins over the folder
            [None, "王庄村", *woman(2)],  # a blank cell: the folder's township
            [None, "张庄村", *woman(3)],  # the folder's 城关镇 has none: rejected, not guessed
        ],
        header=header,
    )
    no_township = roster(f"{PA}/汇总0418.xlsx", [["", "张庄村", *woman(4)]], header=header)
    # An empty cell and no township anywhere: 张庄村 is unique in the organisation.
    assert communities(in_folder, no_township) == [f"{PA}/李店镇/王庄村", f"{PA}/城关镇/王庄村", f"{PA}/李店镇/张庄村"]
    norm = normalize([in_folder], county())
    (unknown,) = [p for p in problem_records(norm.problems) if p.code == "community_unknown"]
    assert unknown.row == 4 and "城关镇没有“张庄村”（配置中有张庄村）" in unknown.message


def test_a_name_shared_by_townships_without_a_township_is_rejected_with_the_candidates() -> None:
    f = roster(f"{PA}/汇总0418.xlsx", [[None, "王庄村", *woman(1)], ["城关镇", "张庄村", *woman(2)]],
               header=("乡镇", "村", "姓名", "身份证号", "末次月经"))
    norm = normalize([f], county())
    assert norm.roster.empty
    found = {p.code: p for p in problem_records(norm.problems)}
    assert set(found) == {"community_ambiguous", "community_unknown"}
    # The candidates are named as people read them; 城关镇 is 平安县's and 长乐县's.
    assert "“王庄村”在多个乡镇都有（平安县城关镇王庄村、李店镇王庄村、长乐县城关镇王庄村）" in found[
        "community_ambiguous"].message
    # The folder names the county: the cell's 城关镇 is 平安县's, which has no 张庄村.
    assert "城关镇没有“张庄村”（配置中有张庄村）" in found["community_unknown"].message


@pytest.mark.parametrize(
    ("sources", "context", "expected"),
    [
        (["城关镇", "李店镇王庄村.xlsx"], "", None),  # 城关镇 alone is two counties'; 李店镇 is neither
        (["城关镇", "平安县两筛花名册"], "", f"{PA}/城关镇"),  # narrowed by a later source
        (["平安县/城关镇", "李店镇王庄村.xlsx"], "", f"{PA}/城关镇"),
        (["", "城关镇王庄村.xlsx"], "长乐县/城关镇王庄村.xlsx", f"{CL}/城关镇"),
        (["李店", "城关镇"], "", f"{PA}/李店镇"),  # a township without its 镇
        (["", "花名册.xlsx"], "", None),
    ],
)
def test_parent_resolver_first_of(sources: list[str], context: str, expected: str | None) -> None:
    parents = ParentResolver([f"{PA}/城关镇", f"{PA}/李店镇", f"{CL}/城关镇"])
    assert parents.first_of(sources, context) == expected


def test_distinct_pairs_take_an_empty_text_as_missing() -> None:
    codes, pairs = distinct_pairs(
        pd.Series(["城关镇", "", None, "城关镇"], dtype=object), pd.Series(["王庄村", "王庄村", "王庄村", "王庄村"])
    )
    assert pairs == [("城关镇", "王庄村"), (None, "王庄村")]
    assert codes.tolist() == [0, 1, 1, 0]
