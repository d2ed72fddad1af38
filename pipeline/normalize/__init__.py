"""Raw cell grids -> typed frames of roster people, screening records, quota lines and register
entries, plus the rejected rows (each with its reason) and the problems.

Pure: no file I/O, no clock. Every non-blank row below a recognised header ends in exactly one
place: one of the accepted frames or ``rejected``; so do the rows of a table a sheet holds but
that cannot be read (a header out of reach, formulas without values: :mod:`~pipeline.normalize.shapes`).

The stage in order: :mod:`~pipeline.normalize.header` finds each sheet's header and kind;
:mod:`~pipeline.normalize.sheet` turns the sheet into its data rows under field names (skipping
subtotal, example and note rows); :mod:`~pipeline.normalize.validate` runs each kind's rules over
all its rows at once, through the :class:`~pipeline.normalize.checks.Rows` mechanism, with the
cell parsers of :mod:`~pipeline.normalize.ids` and :mod:`~pipeline.normalize.dates`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import pandas as pd

from pipeline.model import REJECTED_COLUMNS, FileResult, Normalized, SheetInfo
from pipeline.normalize.checks import Headers, Rows, display_value
from pipeline.normalize.header import HEADER_SCAN_ROWS, Header, Vocabulary, find_header
from pipeline.normalize.sheet import SheetExtract, date_in_text, extract_sheet, extract_sheets
from pipeline.normalize.validate import CLOSE_REASONS, REGISTER_KINDS, VALIDATORS
from pipeline.problems import Severity, problems_frame
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
    "extract_sheets",
    "find_header",
    "normalize",
]


def normalize(files: Iterable[FileResult], settings: Settings, *, release_rows: bool = False) -> Normalized:
    """``release_rows``: empty each sheet's cell grid once it is extracted (the caller's
    FileResults lose their rows), so that the grids and the frames are not all in memory at once."""
    vocab = Vocabulary(settings)
    extracts = _extract_sheets(files, vocab, settings, release_rows=release_rows)
    tabular = [ex for ex in extracts if ex.kind in VALIDATORS]
    headers: Headers = {(ex.info.file, ex.info.sheet): ex.headers for ex in tabular}
    # Rows rejected at sheet level, of every kind: a sheet of unknown kind may still hold a table.
    skipped = [ex.rejected.assign(kind=ex.kind) for ex in extracts if not ex.rejected.empty]
    accepted, checked = _validate_kinds(tabular, vocab, headers)
    rejected = _rejected_frame([*(part.drop(columns="quiet") for part in skipped), *(rows.rejected() for rows in checked)])
    problem_frames = [
        *(frame for rows in checked for frame in rows.problem_frames),
        # Sheet-level rejections (subtotal, example, footer rows) are problems too, as notes; the
        # "quiet" ones (formulas, an unread table) have problems of their own.
        *(_skipped_row_problems(part[~part["quiet"].astype(bool)]) for part in skipped),
    ]
    return Normalized(
        roster=accepted["roster"],
        log=accepted["log"],
        quota=accepted["quota"],
        register=accepted["register"],
        rejected=rejected,
        sheets=[_counted(ex.info, rejected) for ex in extracts],
        problems=problems_frame([p for ex in extracts for p in ex.problems], *problem_frames),
        quota_totals=[total for ex in extracts for total in ex.quota_totals],
    )


def _extract_sheets(
    files: Iterable[FileResult], vocab: Vocabulary, settings: Settings, *, release_rows: bool
) -> list[SheetExtract]:
    extracts: list[SheetExtract] = []
    for f in files:
        for sheet in f.sheets:
            extracts.extend(extract_sheets(sheet, vocab, settings))
            if release_rows:
                sheet.rows.clear()
    return extracts


def _validate_kinds(
    tabular: list[SheetExtract], vocab: Vocabulary, headers: Headers
) -> tuple[dict[str, pd.DataFrame], list[Rows]]:
    """Each kind's rows from all its sheets, validated at once: the accepted frame per kind (with
    the columns of :mod:`pipeline.model`, empty for a kind without sheets) and the checked rows."""
    accepted: dict[str, pd.DataFrame] = {}
    checked: list[Rows] = []
    for kind, (validate, columns) in VALIDATORS.items():
        frames = [ex.frame for ex in tabular if ex.kind == kind and not ex.frame.empty]
        if not frames:
            accepted[kind] = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
            continue
        out, rows = validate(pd.concat(frames, ignore_index=True), vocab, headers)
        accepted[kind] = out[columns] if set(columns) <= set(out.columns) else out
        checked.append(rows)
    return accepted, checked


def _rejected_frame(parts: list[pd.DataFrame]) -> pd.DataFrame:
    filled = [r for r in parts if not r.empty]
    return pd.concat(filled, ignore_index=True) if filled else pd.DataFrame(columns=REJECTED_COLUMNS)


def _skipped_row_problems(part: pd.DataFrame) -> pd.DataFrame:
    """A note per row a sheet skipped for what it is (subtotal, example, footer...)."""
    return pd.DataFrame(
        {
            "file": part["src_file"],
            "sheet": part["src_sheet"],
            "row": part["src_row"],
            "column": "",
            "value": "",
            "severity": Severity.NOTE,
            "code": "row_skipped",
            "message": part["reason"].map(lambda r: f"{r}，已跳过"),
            "fix": "无需处理。",
        }
    )


def _counted(info: SheetInfo, rejected: pd.DataFrame) -> SheetInfo:
    """A data sheet's info with its counts of rejected and accepted rows."""
    if info.kind not in VALIDATORS:
        return info
    mask = (rejected["src_file"] == info.file) & (rejected["src_sheet"] == info.sheet)
    n_rejected = int(mask.sum())
    return replace(info, rejected=n_rejected, accepted=info.rows - n_rejected)
