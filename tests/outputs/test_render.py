"""Every workbook kind of the demo at 12-31 printed as a reader prints it ("print entire workbook"):
LibreOffice renders each to PDF once per session; page counts stay at most a third of what they
were before the print set-up (the README's table), every page is a sheet that is meant to print,
and no page holds a lone row of a table.

Skipped, with the reason, where LibreOffice or poppler's pdftotext is not installed
(``make preview`` names how to install them)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pipeline.outputs.community import COMMUNITY_SCREEN
from pipeline.outputs.master import MASTER_SCREEN
from pipeline.outputs.readers import HEALTH_CENTRE_SCREEN, LEADER_SCREEN

# Pages of the demo at 12-31 before the print set-up (scripts/preview.py, LibreOffice 7) and the
# most allowed now (the README's table): a third of those, except the health centre's list, whose
# old 7 pages printed its long 说明 cut off at one line.
BEFORE = {"master": 40, "leaders": 15, "community": 10, "health": 7}
AT_MOST = {"master": 13, "leaders": 5, "community": 3, "health": 3}
SCREEN = {"master": MASTER_SCREEN, "leaders": LEADER_SCREEN, "community": COMMUNITY_SCREEN,
          "health": HEALTH_CENTRE_SCREEN}
# The footer: the workbook's title and the sheet on the left, the page on the right.
FOOTER = re.compile(r"^\s*(?P<doc>.+?)\s+(?P<sheet>\S+)\s+第 (?P<page>\d+) 页，共 (?P<pages>\d+) 页\s*$")
# A table row starts at the left margin and has a figure (a date, a count); header cells are
# centred, wrapped cells continue indented.
ROW_START = re.compile(r"^\S.*\d")


def soffice() -> str | None:
    return shutil.which("libreoffice") or shutil.which("soffice")


@pytest.fixture(scope="session")
def pdfs(demo_workbooks: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    office = soffice()
    if office is None or shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None:
        pytest.skip("LibreOffice or poppler-utils not installed (apt-get install libreoffice-calc poppler-utils "
                    "fonts-noto-cjk): the rendering test needs them")
    out = tmp_path_factory.mktemp("rendered")
    community = next(k for k in demo_workbooks if k not in ("master", "leaders", "health"))
    picks = {"master": demo_workbooks["master"], "leaders": demo_workbooks["leaders"],
             "health": demo_workbooks["health"], "community": demo_workbooks[community]}
    for kind, path in picks.items():
        shutil.copy(path, out / f"{kind}.xlsx")
    # A profile of its own: another LibreOffice running (make preview) would refuse the job.
    profile = (out / "profile").as_uri()
    subprocess.run(
        [office, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
         *(f"{kind}.xlsx" for kind in picks)],
        cwd=out, check=True, capture_output=True, timeout=300,
    )
    return {kind: out / f"{kind}.pdf" for kind in picks}


def pages(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    return [p for p in text.split("\f") if p.strip()]


def footer(page: str) -> re.Match[str]:
    lines = [line for line in page.splitlines() if line.strip()]
    found = FOOTER.match(lines[-1])
    assert found, lines[-1]
    return found


@pytest.mark.parametrize("kind", list(AT_MOST))
def test_page_count(pdfs: dict[str, Path], kind: str) -> None:
    count = len(pages(pdfs[kind]))
    assert count <= AT_MOST[kind], (kind, count)


@pytest.mark.parametrize("kind", list(AT_MOST))
def test_only_printed_sheets_come_out(pdfs: dict[str, Path], kind: str) -> None:
    """Every page names its sheet in the footer: never a screen sheet (口径说明); the one-page
    sheets are one page."""
    sheets = [footer(p).group("sheet") for p in pages(pdfs[kind])]
    assert not set(sheets) & set(SCREEN[kind]), (kind, sheets)
    first = {"leaders": "简报", "community": "概况"}.get(kind)
    if first:
        assert sheets[0] == first and sheets.count(first) == 1, (kind, sheets)


@pytest.mark.parametrize("kind", list(AT_MOST))
def test_no_page_is_a_lone_row(pdfs: dict[str, Path], kind: str) -> None:
    """A table's last page holds more than one row (and the page numbers run 1..N)."""
    texts = pages(pdfs[kind])
    numbers = [int(footer(p).group("page")) for p in texts]
    assert numbers == list(range(1, len(texts) + 1)), kind
    sheets = [footer(p).group("sheet") for p in texts]
    for i, page in enumerate(texts):
        continues = i > 0 and sheets[i - 1] == sheets[i]
        if not continues:
            continue
        assert rows_on(page) >= 2, (kind, sheets[i], i + 1, page)


def rows_on(page: str) -> int:
    """The table rows on a continuation page (its repeated header and footer left out)."""
    body = [line for line in page.splitlines() if line.strip()][:-1]  # less the footer
    return sum(1 for line in body if ROW_START.match(line))


def test_a_lone_row_is_seen() -> None:
    header = "   问题       姓名        身份证号\n"
    row = "晚于窗口期     周娟     4113**********2828   2020-06-25\n"
    foot = "卫生院核对清单 2020-12-31　窗口期外筛查        第 2 页，共 2 页\n"
    assert rows_on(header + row + foot) == 1
    assert rows_on(header + row + "            筛查登记2020.xlsx\n" + row + foot) == 2
