"""Raw cell grids -> typed frames of roster people, screening records, quota lines and register
entries, plus the rejected rows (each with its reason) and the problems.

Pure: no file I/O, no clock. Every non-blank row below a recognised header ends in exactly one
place: one of the accepted frames or ``rejected``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from pipeline.model import REJECTED_COLUMNS, FileResult, Normalized, SheetInfo
from pipeline.normalize.checks import display_value
from pipeline.normalize.header import HEADER_SCAN_ROWS, Header, Vocabulary, find_header
from pipeline.normalize.sheet import SheetExtract, date_in_text, extract_sheet
from pipeline.normalize.validate import CLOSE_REASONS, REGISTER_KINDS, VALIDATORS
from pipeline.problems import Problem
from pipeline.settings import Settings

__all__ = [
    "CLOSE_REASONS",
    "HEADER_SCAN_ROWS",
    "REGISTER_KINDS",
    "Header",
    "SheetExtract",
    "Vocabulary",
    "date_in_text",
    "display_value",
    "extract_sheet",
    "find_header",
    "normalize",
]


def normalize(files: Iterable[FileResult], settings: Settings, *, release_rows: bool = False) -> Normalized:
    """``release_rows``: empty each sheet's cell grid once it is extracted (the caller's
    FileResults lose their rows), so that the grids and the frames are not all in memory at once."""
    vocab = Vocabulary(settings)
    sheets: list[SheetInfo] = []
    problems: list[Problem] = []
    per_kind: dict[str, list[pd.DataFrame]] = {k: [] for k in VALIDATORS}
    headers: dict[tuple[str, str], dict[str, str]] = {}
    sheet_rejected: list[pd.DataFrame] = []
    quota_totals: list[dict[str, Any]] = []
    for f in files:
        for sheet in f.sheets:
            ex = extract_sheet(sheet, vocab, settings)
            if release_rows:
                sheet.rows.clear()
            sheets.append(ex.info)
            problems.extend(ex.problems)
            quota_totals.extend(ex.quota_totals)
            if ex.kind in per_kind:
                per_kind[ex.kind].append(ex.frame)
                headers[(sheet.file, sheet.sheet)] = ex.headers
                if not ex.rejected.empty:
                    rej = ex.rejected.assign(kind=ex.kind)
                    sheet_rejected.append(rej)
    accepted: dict[str, pd.DataFrame] = {}
    rejected_parts = list(sheet_rejected)
    problem_frames: list[pd.DataFrame] = []
    for kind, (validate, columns) in VALIDATORS.items():
        frames = [f for f in per_kind[kind] if not f.empty]
        if not frames:
            accepted[kind] = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
            continue
        frame = pd.concat(frames, ignore_index=True)
        out, rows = validate(frame, vocab, headers)
        accepted[kind] = out[columns] if set(columns) <= set(out.columns) else out
        rejected_parts.append(rows.rejected())
        problem_frames.extend(rows.problem_frames)
    rejected = (
        pd.concat([r for r in rejected_parts if not r.empty], ignore_index=True)
        if any(not r.empty for r in rejected_parts)
        else pd.DataFrame(columns=REJECTED_COLUMNS)
    )
    # Sheet-level rejections (subtotal, example, footer rows) are problems too, as notes.
    for part in sheet_rejected:
        problem_frames.append(
            pd.DataFrame(
                {
                    "file": part["src_file"],
                    "sheet": part["src_sheet"],
                    "row": part["src_row"],
                    "column": "",
                    "value": "",
                    "severity": "提示",
                    "code": "row_skipped",
                    "message": part["reason"].map(lambda r: f"{r}，已跳过"),
                    "fix": "无需处理。",
                }
            )
        )
    for info in sheets:
        if info.kind in VALIDATORS:
            mask = (rejected["src_file"] == info.file) & (rejected["src_sheet"] == info.sheet)
            info.rejected = int(mask.sum())
            info.accepted = info.rows - info.rejected
    for frame in problem_frames:
        problems.extend(Problem(**rec) for rec in frame.to_dict("records"))
    return Normalized(
        roster=accepted["roster"],
        log=accepted["log"],
        quota=accepted["quota"],
        register=accepted["register"],
        rejected=rejected,
        sheets=sheets,
        problems=problems,
        quota_totals=quota_totals,
    )
