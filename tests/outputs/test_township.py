"""``[outputs] unit_level = "township"``: one workbook per township, listing its communities' rows
(a small generated corpus: one county, two townships of three communities each)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from bench.corpus import Size, generate
from pipeline.analyse import analyse
from pipeline.model import Analysis
from pipeline.outputs.names import township_filename, township_names
from pipeline.outputs.write import write_outputs
from pipeline.settings import Outputs, Settings, SettingsError, load_settings

AS_OF = dt.date(2020, 6, 30)
TWO = Size("two", counties=1, townships=2, communities=3, roster=240, log=480)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Analysis, Settings]:
    root = tmp_path_factory.mktemp("corpus")
    generate("two", root=root, size=TWO, workers=1)
    settings = load_settings(root / "two" / "config.toml")
    township = dataclasses.replace(settings, outputs=Outputs(unit_level="township"))
    return analyse(root / "two" / "input", township, AS_OF, workers=1), township


def _rows(path: Path, sheet: str, column: str) -> list[str]:
    """The values of ``column`` (by header) of a table sheet, read back with openpyxl."""
    ws = openpyxl.load_workbook(path, read_only=True)[sheet]
    rows = list(ws.iter_rows(values_only=True))
    header = next(i for i, r in enumerate(rows) if column in r)
    c = rows[header].index(column)
    return [r[c] for r in rows[header + 1 :] if r[c] is not None]


def test_one_workbook_per_township_with_its_communities_rows(run: tuple[Analysis, Settings], tmp_path: Path) -> None:
    result, settings = run
    written = write_outputs(result, settings, tmp_path, workers=1)
    names = township_names(settings)
    assert len(names) == 2
    books = sorted(p.relative_to(written.folder).as_posix() for p in written.files if p.parent.name == "乡镇")
    assert books == sorted(township_filename(settings, parent) for parent in names)
    assert not (written.folder / "社区").exists()  # no community workbooks at this level
    followup = result.reconciled.followup
    for parent, name in names.items():
        path = written.folder / township_filename(settings, parent)
        members = [c for c in settings.communities if c.parent == parent]
        # Its communities' rows, each by the name people read, and no other township's.
        listed = _rows(path, "随访督促名单", "社区")
        expected = followup[followup["community"].isin([c.key for c in members])]
        assert len(listed) == len(expected) > 0
        assert set(listed) <= {settings.display_name(c.key) for c in members}
        # 汇总 lists exactly its three communities.
        assert sorted(_rows(path, "汇总", "社区")[:3]) == sorted(settings.display_name(c.key) for c in members)
        assert name in openpyxl.load_workbook(path, read_only=True)["汇总"]["A1"].value
    # Every follow-up row is in exactly one township's workbook.
    total = sum(len(_rows(written.folder / township_filename(settings, p), "随访督促名单", "社区")) for p in names)
    assert total == len(followup.dropna(subset=["community"]))


def test_community_level_writes_one_workbook_per_community(run: tuple[Analysis, Settings], tmp_path: Path) -> None:
    result, settings = run
    community = dataclasses.replace(settings, outputs=Outputs())
    written = write_outputs(result, community, tmp_path, workers=1)
    books = [p for p in written.files if p.parent.name == "社区"]
    assert len(books) == len(settings.communities) == 6
    assert not (written.folder / "乡镇").exists()


def test_township_level_needs_a_parent_for_every_community(tmp_path: Path) -> None:
    config = Path(__file__).resolve().parents[2] / "config.toml"
    text = config.read_text(encoding="utf-8").replace('unit_level = "community"', 'unit_level = "township"', 1)
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError, match=r"outputs\.unit_level.*parent"):
        load_settings(path)
    path.write_text(text.replace('unit_level = "township"', 'unit_level = "county"', 1), encoding="utf-8")
    with pytest.raises(SettingsError, match=r'outputs\.unit_level.*"community" / "township"'):
        load_settings(path)


def test_a_township_workbook_prints_like_a_community_one(run: tuple[Analysis, Settings], tmp_path: Path) -> None:
    """A4, one page wide, its 汇总 and lists printed, the corrections and 口径说明 kept off paper."""
    result, settings = run
    written = write_outputs(result, settings, tmp_path, workers=1)
    parent = next(iter(township_names(settings)))
    book = openpyxl.load_workbook(written.folder / township_filename(settings, parent))
    off_paper = {"漏报与冲突", "花名册上报情况", "数据问题", "口径说明"}
    for ws in book.worksheets:
        assert int(ws.page_setup.paperSize) == 9, ws.title  # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (None, 1), ws.title
        assert ws.page_setup.fitToHeight == 0, ws.title
        ref = (ws.print_area if isinstance(ws.print_area, str) else ws.print_area[0]).split("!")[-1]
        single_cell = ":" not in ref or len(set(ref.replace("$", "").split(":"))) == 1
        if ws.title in off_paper:
            assert single_cell, (ws.title, ref)
        elif ws.title in ("汇总", "随访督促名单"):  # not empty in this corpus (an empty list is not printed)
            assert not single_cell, (ws.title, ref)
