"""The circular as printed: the demo's draft at 2020-06-30 and the issued circular at 2020-12-31
rendered by LibreOffice to PDF (once per session), read back page by page with pdftotext.

Skipped, with the reason, where LibreOffice or poppler is not installed (``make preview`` installs
them); the XML-level checks of the same layout (cantSplit, tblHeader, keep-with-next) in
test_gongwen.py run everywhere."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from pipeline.outputs.circular import write_circular
from pipeline.settings import Settings
from tests.conftest import demo_result

TOOLS = ("libreoffice", "pdftotext")
MISSING = [t for t in TOOLS if shutil.which(t) is None]
pytestmark = pytest.mark.skipif(
    bool(MISSING), reason=f"LibreOffice/poppler not installed ({', '.join(MISSING)}): `make preview` installs them"
)

JUNE_30 = dt.date(2020, 6, 30)
DEC_31 = dt.date(2020, 12, 31)
FORM_FEED = "\f"


def _pages(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [p for p in text.split(FORM_FEED) if p.strip()]


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory, settings: Settings) -> dict[str, Any]:
    """The 06-30 draft and the 12-31 issued circular as PDF pages, with their summaries."""
    folder = tmp_path_factory.mktemp("render")
    june, december = demo_result(JUNE_30).summary, demo_result(DEC_31).summary
    draft = write_circular(folder / "draft", june, settings, JUNE_30)[0]
    issued = write_circular(folder / "issued", december, settings, DEC_31, number="30")[0]
    for doc in (draft, issued):
        shutil.copy(doc, folder / f"{doc.parent.name}.docx")
    subprocess.run(
        ["libreoffice", f"-env:UserInstallation=file://{folder}/lo", "--headless", "--convert-to", "pdf",
         "draft.docx", "issued.docx"],
        cwd=folder, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return {
        "draft": _pages(folder / "draft.pdf"),
        "issued": _pages(folder / "issued.pdf"),
        "june": june,
        "december": december,
    }


def _lines(page: str) -> list[str]:
    """A page's text lines without the page number ("— 3 —") and the draft mark."""
    return [
        line.strip()
        for line in page.splitlines()
        if line.strip() and not line.strip().startswith("—") and line.strip() != "征求意见稿"
    ]


def test_page_counts(rendered: dict[str, Any]) -> None:
    # The draft: the 审核提示 page, 5 pages of text with the signature, one page per attachment.
    assert rendered["draft"][0].lstrip().startswith("审核提示")
    assert len(rendered["draft"]) == 8
    # Issued (no review page): at most 5 pages of text and the 2 attachments.
    assert len(rendered["issued"]) <= 7
    assert not any("审核提示" in p or "征求意见稿" in p for p in rendered["issued"])


@pytest.mark.parametrize("which", ["draft", "issued"])
def test_no_page_holds_only_the_signature(rendered: dict[str, Any], which: str) -> None:
    signature = {"中共唐河县泗洲街道工作委员会", "唐河县泗洲街道办事处"}
    for page in rendered[which]:
        lines = _lines(page)
        if any(line.endswith("日") and line.startswith("20") for line in lines) and signature & set(lines):
            body = [x for x in lines if x not in signature and not (x.startswith("20") and x.endswith("日"))]
            assert body, f"a page with only the signature and the date: {lines}"


@pytest.mark.parametrize(("which", "summary"), [("draft", "june"), ("issued", "december")])
def test_table_rows_are_not_split(rendered: dict[str, Any], which: str, summary: str) -> None:
    """Every community's row of 附件2 on one page and one line: its name, the figures and its rate."""
    pages = [p for p in rendered[which] if "筛查完成情况" in p and "合计" in p]
    assert len(pages) == 1
    lines = pages[0].splitlines()
    for c in rendered[summary]["communities"]:
        row = [line for line in lines if c["name"] in line]
        assert len(row) == 1, (c["name"], row)
        assert f"{c['rate'] * 100:.1f}%" in row[0] and str(c["done"]["nt"]) in row[0]


def test_title_is_not_broken_inside_a_word(rendered: dict[str, Any]) -> None:
    first = rendered["issued"][0]
    assert "关于 2020 年 12 月 16 日至 12 月 31 日" in first
    assert "“两筛”工作进展情况的通报" in first
