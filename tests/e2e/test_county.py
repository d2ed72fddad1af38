"""A county office (县/乡镇/村): two townships that both have a 王庄村 and a 新华社区, townships read
from a 乡镇 column, a folder and a file name, a blank 乡镇 cell, a roster file listing several
villages, and women screened but on no roster whose address names only the village (王庄村5组).

Every expected figure below is worked out by hand from the rows in ``FILES`` (the arithmetic is in
the comments). The input is a folder of small CSV files read by the real pipeline; the run's
circular, WeChat text, terminal and workbooks must name every community unambiguously.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from docx import Document
from openpyxl import load_workbook

from pipeline.analyse import analyse
from pipeline.cli import main
from pipeline.model import Analysis
from pipeline.outputs.community import community_views
from pipeline.problems import problem_records
from pipeline.settings import Settings, load_settings
from tests.factories import make_id

CONFIG = Path(__file__).resolve().parents[2] / "config.toml"
AS_OF = dt.date(2020, 4, 30)
COUNTY = "平安县"
CG, LD = f"{COUNTY}/城关镇", f"{COUNTY}/李店镇"
COMMUNITIES = [(CG, "王庄村"), (CG, "东关社区"), (CG, "新华社区"), (LD, "王庄村"), (LD, "张庄村"), (LD, "新华社区")]
# Keys, and the names people read: the shortest path unique in the county.
CG_WZ, CG_DG, CG_XH = f"{CG}/王庄村", f"{CG}/东关社区", f"{CG}/新华社区"
LD_WZ, LD_ZZ, LD_XH = f"{LD}/王庄村", f"{LD}/张庄村", f"{LD}/新华社区"
DISPLAY = {
    CG_WZ: "城关镇王庄村", CG_DG: "东关社区", CG_XH: "城关镇新华社区",
    LD_WZ: "李店镇王庄村", LD_ZZ: "张庄村", LD_XH: "李店镇新华社区",
}


def who(n: int) -> list[str]:
    """Name, ID and mobile of woman ``n`` (W1..W9 on rosters, U1..U5 on none)."""
    return [f"孕妇{n:02d}", make_id(n), f"139{n:08d}"]


W = {i: who(i) for i in range(1, 10)}
U = {i: who(10 + i) for i in range(1, 6)}
ROSTER_HEADER = ["姓名", "身份证号", "联系电话", "末次月经"]
LMP = "2020-02-01"

FILES: dict[str, list[list[Any]]] = {
    # The township from the folder; the village from the file name; reported 04-18.
    "城关镇/王庄村花名册0418.csv": [
        ["王庄村已孕对象花名册"], ROSTER_HEADER, [*W[1], LMP], [*W[2], LMP],
    ],
    # The township from the file name; reported 04-25 (late for 04-18).
    "李店镇王庄村花名册0425.csv": [ROSTER_HEADER, [*W[3], LMP]],
    # Several villages of both townships in one file, the township from a 乡镇 column; reported 04-18.
    "花名册汇总0418.csv": [
        ["乡镇", "村", *ROSTER_HEADER],
        ["城关镇", "东关社区", *W[4], LMP],
        [None, "东关社区", *W[5], LMP],  # blank 乡镇: 东关社区 is unique in the county
        ["李店镇", "张庄村", *W[6][:2], "12345", LMP],  # a phone that is no phone: a note for 张庄村
        ["城关镇", "新华社区", *W[7], LMP],
        ["李店镇", "新华社区", *W[8], LMP],
        [None, "王庄村", *W[9], LMP],  # blank 乡镇 and a name both townships have: rejected
    ],
    # No township anywhere: 东关社区 is unique; reported 04-28 (on time for 04-28).
    "东关社区花名册0428.csv": [ROSTER_HEADER, [*W[4], LMP]],
    # The health centre's NT log for the county, the township in a 乡镇 column.
    "卫生院/超声NT筛查登记.csv": [
        ["乡镇", "姓名", "身份证号", "联系电话", "住址", "筛查日期"],
        ["城关镇", *W[1], "王庄村3组", "2020-04-15"],
        ["李店镇", *W[3], "王庄村1组", "2020-04-20"],
        ["李店镇", *U[1], "王庄村5组", "2020-04-21"],  # on no roster: 漏报 of 李店镇王庄村
        [None, *U[2], "王庄村2组", "2020-04-22"],  # on no roster, township unknown: unassignable
        [None, *U[3], "东关社区8号", "2020-04-23"],  # on no roster: 漏报 of 东关社区 (unique)
        ["城关镇", *W[5], None, "2020-04-12"],
        ["李店镇", *W[8], None, "2020-04-12"],
        ["城郊乡", *U[5], "张庄村1组", "2020-04-25"],  # an unknown township: 张庄村 is unique anyway
    ],
    # The serum log of 城关镇's health centre: the township from the folder, no 乡镇 column.
    "城关镇/血清学筛查登记.csv": [
        ["姓名", "身份证号", "联系电话", "住址", "检查日期"],
        [*U[4], "王庄村5组", "2020-04-24"],  # on no roster: 漏报 of 城关镇王庄村
        [*W[1], "王庄村3组", "2020-04-28"],
        [*W[7], "新华社区", "2020-04-29"],
    ],
}


def county_config(path: Path) -> Path:
    """config.toml with the county's organisation and six communities, quota 10 and weekly 1 per
    test each (so 3 expected per test at 04-30: 1 × 21 days / 7)."""
    text = CONFIG.read_text(encoding="utf-8")
    head, tail = text[: text.index("[[communities]]")], text[text.index("# 附件1") :]
    head = head.replace('root = "泗洲街道"\nlevels = ["街道", "社区"]', f'root = "{COUNTY}"\nlevels = ["县", "乡镇", "村（社区）"]')
    communities = "".join(
        f'[[communities]]\nname = "{name}"\nparent = "{parent}"\n'
        "quota_nt = 10\nquota_serum = 10\nweekly_nt = 1\nweekly_serum = 1\n\n"
        for parent, name in COMMUNITIES
    )
    path.write_text(head + communities + tail, encoding="utf-8")
    return path


def write_input(folder: Path) -> Path:
    for name, rows in FILES.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("\n".join(",".join("" if v is None else str(v) for v in r) for r in rows) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Settings, Analysis]:
    root = tmp_path_factory.mktemp("county")
    config = county_config(root / "config.toml")
    settings = load_settings(config)
    inp = write_input(root / "input")
    return root, config, settings, analyse(inp, settings, AS_OF, workers=1)


def by_key(result: Analysis) -> dict[str, dict[str, Any]]:
    return {c["key"]: c for c in result.summary["communities"]}


def test_names_people_read_are_the_shortest_unique_paths(county: tuple[Path, Path, Settings, Analysis]) -> None:
    _, _, settings, result = county
    assert settings.display == DISPLAY
    assert {k: c["display_name"] for k, c in by_key(result).items()} == DISPLAY
    assert {k: c["name"] for k, c in by_key(result).items()} == {k: k.rsplit("/", 1)[1] for k in DISPLAY}


def test_done_counts_per_community_key(county: tuple[Path, Path, Settings, Analysis]) -> None:
    _, _, _, result = county
    done = {k: c["done"] for k, c in by_key(result).items()}
    assert done == {
        CG_WZ: {"nt": 1, "serum": 2},  # NT: W1 (folder roster); serum: U4 (漏报 via the folder) + W1
        CG_DG: {"nt": 2, "serum": 0},  # NT: U3 (漏报, unique name) + W5 (roster row with a blank 乡镇)
        CG_XH: {"nt": 0, "serum": 1},  # serum: W7 (multi-village roster)
        LD_WZ: {"nt": 2, "serum": 0},  # NT: W3 (roster named by its file name) + U1 (漏报 via 乡镇 column)
        LD_ZZ: {"nt": 1, "serum": 0},  # NT: U5 (漏报; 城郊乡 is no township, 张庄村 is unique)
        LD_XH: {"nt": 1, "serum": 0},  # NT: W8 (multi-village roster)
    }
    # Expected 3 per test everywhere: combined rates 3/6, 2/6, 1/6, 2/6, 1/6, 1/6; ties share a rank.
    assert {k: c["rank"] for k, c in by_key(result).items()} == {
        CG_WZ: 1, CG_DG: 2, LD_WZ: 2, CG_XH: 4, LD_ZZ: 4, LD_XH: 4,
    }
    acc = result.summary["accounting"]
    # Roster rows 2 + 1 + 6 + 1 = 10, W9 rejected; log rows 8 + 3 = 11, all accepted.
    assert (acc["roster_rows"], acc["log_rows"], acc["rejected_rows"]) == (9, 11, 1)
    assert acc["input_rows"] == acc["accepted_rows"] + acc["rejected_rows"] == 21


def test_missing_from_roster_is_attributed_within_the_rows_township(county: tuple[Path, Path, Settings, Analysis]) -> None:
    _, _, settings, result = county
    missing = {k: c["missing_from_roster"] for k, c in by_key(result).items()}
    # U4 (城关镇 from the folder), U3 (东关社区 unique), U1 (李店镇 from the column), U5 (张庄村 unique).
    assert missing == {CG_WZ: 1, CG_DG: 1, CG_XH: 0, LD_WZ: 1, LD_ZZ: 1, LD_XH: 0}
    rec = result.reconciled
    assert sorted(rec.missing_from_roster["name"]) == sorted(U[i][0] for i in (1, 3, 4, 5))
    # U2: 王庄村2组 with no township is either township's 王庄村: counted for neither, and said so.
    assert rec.unassignable["name"].tolist() == [U[2][0]]
    problems = problem_records(result.problems)
    unassignable = [p for p in problems if p.code == "screening_unassignable"]
    assert len(unassignable) == 1 and "城关镇王庄村、李店镇王庄村" in unassignable[0].message
    assert "住址中也没有社区名称" not in unassignable[0].message
    ambiguous = [p for p in problems if p.code == "community_ambiguous"]
    assert [(p.file, p.row) for p in ambiguous] == [("花名册汇总0418.csv", 7)]
    assert "城关镇王庄村、李店镇王庄村" in ambiguous[0].message
    unknown_township = [p for p in problems if p.code == "township_unknown"]
    assert [(p.file, p.row, p.value) for p in unknown_township] == [("卫生院/超声NT筛查登记.csv", 9, "城郊乡")]
    assert not [p for p in problems if p.code == "community_unknown"]


def test_roster_timeliness_per_community_of_a_multi_village_file(county: tuple[Path, Path, Settings, Analysis]) -> None:
    _, _, _, result = county
    timeliness = {k: c["roster_timeliness"] for k, c in by_key(result).items()}
    counts = {k: (t["due"], t["on_time"], t["late"], t["missing"]) for k, t in timeliness.items()}
    # Due 04-18 and 04-28. 花名册汇总0418 is a submission of each village it lists; only 东关社区
    # reports again (04-28); 李店镇王庄村's 04-25 roster is late for 04-18 and used up by it.
    assert counts == {
        CG_WZ: (2, 1, 0, 1),
        CG_DG: (2, 2, 0, 0),
        CG_XH: (2, 1, 0, 1),
        LD_WZ: (2, 0, 1, 1),
        LD_ZZ: (2, 1, 0, 1),
        LD_XH: (2, 1, 0, 1),
    }
    late = result.scored.timeliness
    assert late.loc[late["status"] == "迟报", ["community", "days_late"]].values.tolist() == [[LD_WZ, 7]]


def test_a_multi_village_file_shows_each_village_only_its_own_rows(county: tuple[Path, Path, Settings, Analysis]) -> None:
    _, _, settings, result = county
    views = community_views(result, settings)
    # 花名册汇总0418 lists four villages: the problem of its row 4 (张庄村's woman) is 张庄村's alone;
    # its row 7 (王庄村, no 乡镇) is none of theirs: no village's workbook shows it (the office's does).
    assert views[LD_ZZ].problems[["file", "row", "code"]].values.tolist() == [["花名册汇总0418.csv", 4, "phone_invalid"]]
    for key in (CG_DG, CG_XH, LD_XH):
        assert views[key].problems.empty, key
    # Each is shown the roster files it submitted: the township's file counts for each village.
    for key in (LD_ZZ, CG_XH, LD_XH):
        assert [f.path for f in views[key].run.files] == ["花名册汇总0418.csv"]
    assert [f.path for f in views[CG_DG].run.files] == ["东关社区花名册0428.csv", "花名册汇总0418.csv"]
    assert [(p.file, p.row) for p in problem_records(result.problems) if p.code == "community_ambiguous"] == [
        ("花名册汇总0418.csv", 7)
    ]


def test_a_county_run_names_every_community_unambiguously(
    county: tuple[Path, Path, Settings, Analysis], tmp_path: Path
) -> None:
    root, config, _, _ = county
    out = tmp_path / "output"
    run = CliRunner().invoke(
        main, ["run", "--input", str(root / "input"), "--output", str(out), "--as-of", AS_OF.isoformat(),
               "--config", str(config)],
    )
    assert run.exit_code == 0, run.output
    folder = out / AS_OF.isoformat()
    wechat = (folder / f"通报摘要_{AS_OF.isoformat()}.txt").read_text(encoding="utf-8")
    docx = "\n".join(p.text for p in Document(str(folder / f"通报_{AS_OF.isoformat()}.docx")).paragraphs)
    # The three tied at the lowest rate (1/6) are all lagging, each by its unambiguous name.
    # In the county's own words (levels = 县, 乡镇, 村（社区）): 全县, 村（社区）.
    assert "本期工作落后的村（社区）为城关镇新华社区、张庄村、李店镇新华社区" in docx
    assert "全县“两筛”" in docx and "全街道" not in docx + wechat + run.output
    assert "工作落后的村（社区）：城关镇新华社区、张庄村、李店镇新华社区" in run.output
    assert "任务数来源：配置文件 6 个" in run.output
    # The terminal's ranking and lagging lines (its problem lines quote the cells as written).
    ranking = run.output[run.output.index("排名（截至") :]
    for text in (wechat, docx, ranking):
        for shared in ("王庄村", "新华社区"):
            # Every mention of a village name two townships share carries its township.
            assert not re.search(f"(?<!城关镇)(?<!李店镇){shared}", text), (shared, text)
        for name in ("城关镇王庄村", "李店镇王庄村", "城关镇新华社区", "李店镇新华社区", "东关社区", "张庄村"):
            assert name in wechat and name in docx
    # A village's workbook: rank and count over its township, and the county's, each named.
    book = load_workbook(folder / "社区" / "城关镇新华社区.xlsx", read_only=True)
    cells = [v for row in book["汇总"].iter_rows(values_only=True) for v in row if isinstance(v, str)]
    # (the sheet is for the screen: its explanation goes on to say how to print it)
    assert any(c.startswith("城关镇新华社区在城关镇3个村（社区）中排名第3位，在全县6个村（社区）中排名第4位。完成率=已完成÷应完成。")
               for c in cells)
    assert "城关镇各村（社区）排名" in cells
    assert sorted((folder / "社区").iterdir()) == sorted(folder / "社区" / f"{n}.xlsx" for n in DISPLAY.values())
