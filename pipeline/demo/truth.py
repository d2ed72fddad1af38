"""The ground truth of a demo generation, for the reader's end-to-end tests.

``demo_truth(settings, seed)`` builds the same year as ``generate_demo`` and returns, without
writing anything: the files with their kinds and data-row counts, the roster submissions and the
missed ones, which women carry which defect, and the screened women by construction (counted per
community by home, independently of the pipeline's reconciliation).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from pipeline.demo.files import FileSpec
from pipeline.demo.folder import demo_files
from pipeline.demo.plan import Demo, build
from pipeline.demo.rosters import duplicated_woman, float_id_women
from pipeline.settings import Settings


def demo_truth(settings: Settings, seed: int = 2020) -> dict[str, Any]:
    """The ground truth of ``generate_demo(…, settings, seed)`` without writing anything.

    ``files`` maps each file name to its number of data rows (excluding titles, headers, blank and
    合计 rows); ``defects`` names the women carrying each intentional defect; ``screened_women_counted``
    is, by construction, the number of women of each community (by home, whether on a roster or
    not) whose first screening for the test falls between ``count_from`` and the programme end.
    """
    demo = build(settings, seed)
    return _truth(demo, demo_files(demo))


def _truth(demo: Demo, files: Sequence[FileSpec]) -> dict[str, Any]:
    settings = demo.settings
    counts, subsidy = _screened_by_construction(demo)
    return {
        "seed": demo.seed,
        "files": {f.name: f.data_rows for f in files},
        "kinds": {f.name: f.kind for f in files},
        "roster_submissions": [
            (s.filename, settings.communities[s.community].name, s.due, s.date) for s in demo.submissions
        ],
        "missed_submissions": [(settings.communities[i].name, d) for i, d in demo.missed],
        "women": len([w for w in demo.women if w.rostered]),
        "screened_women_counted": counts,
        "subsidy_cases_jan_apr9": subsidy,
        "register_rows": len(demo.register),
        **demo.truth,
        "defects": {**demo.truth.get("defects", {}), **_roster_defects(demo)},
    }


def _screened_by_construction(demo: Demo) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    """Per community (by home): the women whose first screening for each test is counted, and the
    women with both tests whose later one falls in the subsidy window."""
    programme = demo.settings.programme
    counts: dict[str, dict[str, int]] = {}
    subsidy: dict[str, int] = {}
    first, last = programme.subsidy_window or (dt.date.max, dt.date.min)  # no window: nobody
    for index, c in enumerate(demo.settings.communities):
        counts[c.name] = {}
        mine = [w for w in demo.women if w.home == index]
        for test in ("nt", "serum"):
            firsts = [min(getattr(w, test)) for w in mine if getattr(w, test)]
            counts[c.name][test] = sum(1 for d in firsts if programme.count_from <= d <= programme.end)
        subsidy[c.name] = sum(
            1
            for w in mine
            if w.nt
            and w.serum
            and first <= max(min(w.nt), min(w.serum)) <= last
        )
    return counts, subsidy


def _roster_defects(demo: Demo) -> dict[str, Any]:
    """The defects that belong to one roster submission: the duplicated row, the IDs as numbers."""
    out: dict[str, Any] = {}
    for sub in demo.submissions:
        dup = duplicated_woman(demo, sub)
        if dup is not None:
            out["duplicate_row"] = (dup.name, dup.id18)
        floats = float_id_women(demo, sub)
        if floats is not None:
            out["float_ids"] = [(w.name, float(w.id18), w.id18) for w in floats]
    return out
