"""Third-party corpus of real spreadsheets (must stay fast: it runs in the normal suite)."""

from __future__ import annotations

import re
import time

import pytest

from pipeline.load import PASSWORD_MESSAGE, read_file
from pipeline.model import FileResult
from tests.load.helpers import CJK, CORPUS, LIMITS, codes

ENCRYPTED = re.compile(r"^(password\..*|pass_protected\..*|issue_385\.xls)$")


def test_third_party_corpus() -> None:
    if not CORPUS.is_dir():
        pytest.skip("../shared/fixtures/third_party not present (only in CI and the dev sandbox)")
    files = sorted(
        p
        for p in CORPUS.rglob("*")
        if p.is_file() and p.name != "SOURCES.md" and "LICENSES" not in p.relative_to(CORPUS).parts
    )
    assert len(files) > 300
    failures: list[str] = []
    readable = 0
    start = time.monotonic()
    for path in files:
        try:
            result = read_file(path, CORPUS, LIMITS)
        except Exception as exc:  # read_file must never raise
            failures.append(f"{path.name}: raised {exc!r}")
            continue
        for p in result.problems:
            if p.file != result.path or not CJK.search(p.message):
                failures.append(f"{result.path}: problem without file or Chinese message: {p}")
        if result.readable:
            readable += 1
        elif not any(CJK.search(p.message) for p in result.problems):
            failures.append(f"{result.path}: nothing read and no Chinese problem")
        if ENCRYPTED.match(path.name):
            if result.format != "encrypted" or not any(
                p.message == PASSWORD_MESSAGE for p in result.problems
            ):
                failures.append(f"{result.path}: not reported as password-protected ({result.problems})")
        for sheet in result.sheets:
            widths = {len(r) for r in sheet.rows}
            if len(widths) > 1 or any(c == "" for r in sheet.rows for c in r):
                failures.append(f"{result.path}/{sheet.sheet}: ragged rows or '' cells")
    elapsed = time.monotonic() - start
    assert not failures, "\n".join(failures)
    assert readable > 300
    assert elapsed < 30, f"corpus took {elapsed:.1f}s"

    def load(rel: str) -> FileResult:
        return read_file(CORPUS / rel, CORPUS, LIMITS)

    dos = load("tafia__calamine/issue_594_dos.ods")
    assert codes(dos) == ["sheet_too_large"]
    wrong_ext = load("NiceBlooming__Handling-homework/花名册.xls")
    assert wrong_ext.format == "xlsx" and wrong_ext.readable and "format_mismatch" in codes(wrong_ext)
    assert load("tafia__calamine/too_small.xls").format == "unknown"
    assert load("dimastbk__python-calamine/empty_file.xlsx").format == "empty"
    hidden = {s.sheet: s.hidden for s in load("dimastbk__python-calamine/any_sheets.xlsx").sheets}
    assert hidden == {"Visible": False, "Hidden": True, "VeryHidden": True}
    for name in ("OOM_alloc.xls", "OOM_alloc2.xls", "OOM_alloc3.xls"):
        result = load(f"tafia__calamine/{name}")
        assert result.readable or result.problems
