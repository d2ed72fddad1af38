"""A period's circular is the figures at the period end, whatever day it is drafted: the draft of
`screening run --as-of 2020-07-10` is what `archive issue` files, apart from the number, the draft
mark and the review page."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from docx import Document

from pipeline.cli import main
from tests.conftest import CONFIG, DEMO_INPUT


def _body(path: Path) -> list[str]:
    """The circular's paragraphs from the red head on (no review page), then its tables' cells."""
    doc = Document(str(path))
    texts = [p.text for p in doc.paragraphs if p.text]
    start = texts.index("中共唐河县泗洲街道工作委员会")
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return texts[start:] + cells


def test_draft_after_the_period_is_what_archive_issue_files(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "output"
    common = ["--config", str(config), "--input", str(DEMO_INPUT), "--as-of", "2020-07-10", "--date", "2020-07-02"]
    run = CliRunner().invoke(main, ["run", *common, "--output", str(out)])
    assert run.exit_code == 0, run.output
    assert "通报草稿为 2020-06-16 至 2020-06-30 一期，数字截至 2020-06-30（与存档时一致）。" in run.output
    draft = out / "2020-07-10" / "通报_2020-07-10.docx"
    issued = CliRunner().invoke(main, ["archive", "issue", *common, "--output", str(out), "--number", "12"])
    assert issued.exit_code == 0, issued.output
    filed = next((tmp_path / "archive").glob("2020-06-30_12_r0/通报_2020-06-30.docx"))
    a, b = _body(draft), _body(filed)
    # Only the number differs; the figures are as of 06-30 in both (the run itself is as of 07-10).
    assert [x for x in a if x != "唐洲文〔2020〕 号"] == [x for x in b if x != "唐洲文〔2020〕12号"]
    assert "唐洲文〔2020〕 号" in a and "唐洲文〔2020〕12号" in b
    assert any(x.startswith("截至6月30日") for x in a)
    assert "2020年7月2日" in a  # --date
    # Deadlines are the next ones after the 成文日期 07-02: the roster due on 07-08.
    assert any("7月8日前" in x for x in a)
    header = "".join(p.text for p in Document(str(draft)).sections[-1].header.paragraphs)
    assert header == "征求意见稿"
    assert "".join(p.text for p in Document(str(filed)).sections[-1].header.paragraphs) == ""
