"""The records passed from one stage to the next, and the names people read for them.

``load`` gives :class:`FileResult` (with :class:`RawSheet` grids), ``normalize`` gives
:class:`Normalized`, ``reconcile`` gives :class:`Reconciled`, ``score`` gives :class:`Scored`, and
``analyse`` bundles them with the summary into :class:`Analysis`, which the outputs read. Nothing
here computes anything beyond a derived property.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from pipeline.problems import Problem, programme_warnings
from pipeline.settings import TESTS, ScreeningError

# ----------------------------------------------------------------------------------------------
# Stage 1: files -> raw cell grids


@dataclass(frozen=True)
class RawSheet:
    """One sheet as an exact cell grid.

    ``rows[0]`` is Excel row 1 and ``rows[r][0]`` is column A: leading empty rows and columns are
    kept, trailing all-empty rows and columns are trimmed, and every row has the same length.
    Empty cells (and ``''``) are ``None``. CSV/TXT/HTML cells are always ``str``.
    """

    file: str
    sheet: str
    rows: list[list[Any]]
    hidden: bool = False
    # Cells (0-based row, column) holding a formula without a calculated value: empty in ``rows``
    # (possibly beyond its last row), but not empty in the file.
    uncached: list[tuple[int, int]] = field(default_factory=list)


@dataclass(frozen=True)
class FileResult:
    path: str
    format: str
    size: int
    sha256: str
    sheets: list[RawSheet]
    problems: list[Problem]
    encoding: str | None = None

    @property
    def readable(self) -> bool:
        """True when at least one sheet was read."""
        return bool(self.sheets)


# ----------------------------------------------------------------------------------------------
# Stage 2: grids -> typed frames

SRC = ["src_file", "src_sheet", "src_row"]
KIND_LABELS = {
    "roster": "花名册",
    "log": "筛查登记",
    "quota": "任务分配表",
    "register": "办事处登记",
    "instructions": "填表说明",
    "unknown": "无法识别",
    "empty": "空表",
}

ROSTER_COLUMNS = [
    *SRC, "community", "name", "id", "id_status", "phone", "lmp", "edd", "gest_days", "reg_date",
    "address", "residence", "report_date", "self_nt", "self_nt_date", "self_serum", "self_serum_date",
]
LOG_COLUMNS = [
    *SRC, "test", "screen_date", "name", "id", "id_status", "phone", "address", "log_community",
    "parent", "lmp", "gest_days", "result",
]
QUOTA_COLUMNS = [*SRC, "community", "annual_nt", "annual_serum", "weekly_nt", "weekly_serum"]
REGISTER_COLUMNS = [
    *SRC, "action", "community", "name", "id", "phone", "reason", "event_date", "merge_id",
    "merge_name", "diagnosis", "note",
]
REJECTED_COLUMNS = [*SRC, "kind", "reason", "name", "phone", "community"]


@dataclass
class SheetInfo:
    file: str
    sheet: str
    kind: str
    header_row: int | None = None
    columns: dict[str, str] = field(default_factory=dict)
    community: str | None = None
    test: str | None = None
    report_date: str | None = None
    rows: int = 0
    accepted: int = 0
    rejected: int = 0
    reason: str = ""


@dataclass
class Normalized:
    roster: pd.DataFrame
    log: pd.DataFrame
    quota: pd.DataFrame
    register: pd.DataFrame
    rejected: pd.DataFrame
    sheets: list[SheetInfo]
    problems: pd.DataFrame  # pipeline.problems.problems_frame of the sheets' and rows' problems
    quota_totals: list[dict[str, Any]] = field(default_factory=list)

    @property
    def accepted_rows(self) -> int:
        return len(self.roster) + len(self.log) + len(self.quota) + len(self.register)

    @property
    def rejected_rows(self) -> int:
        return len(self.rejected)

    @property
    def input_rows(self) -> int:
        return sum(s.rows for s in self.sheets)


# ----------------------------------------------------------------------------------------------
# Stage 3: people and screenings


@dataclass
class Reconciled:
    women: pd.DataFrame
    screenings: pd.DataFrame  # one row per woman and test: the first screening
    duplicates: pd.DataFrame  # later repeats of a woman's test
    after_as_of: pd.DataFrame  # log rows dated after as_of (ignored for counting)
    missing_from_roster: pd.DataFrame  # 漏报: screened, on no roster although one was due since, by address
    unassignable: pd.DataFrame  # screened, on no roster, no community
    conflicts: pd.DataFrame  # women on two communities' rosters
    roster_duplicates: pd.DataFrame  # the same woman twice in one submission
    self_unverified: pd.DataFrame  # 自报未核实
    followup: pd.DataFrame
    high_risk: pd.DataFrame
    spot_check: pd.DataFrame  # the inspection group's draw for the circular period
    submissions: pd.DataFrame  # one row per roster submission (file/sheet/community/date)
    paper_rosters: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    pending_roster: pd.DataFrame = field(default_factory=pd.DataFrame)  # 待核实: on no roster, none due yet
    out_of_programme: pd.DataFrame = field(default_factory=pd.DataFrame)  # 项目期外: counted nowhere by date


# ----------------------------------------------------------------------------------------------
# Stage 4: standings and consequences


@dataclass
class Progress:
    """Cumulative counted screenings per community and test, by day."""

    table: pd.DataFrame  # index: day (Timestamp); columns: (community, test)
    both: pd.DataFrame  # cumulative women with both tests, columns: community

    def done(self, day: dt.date, communities: list[str]) -> pd.DataFrame:
        ts = pd.Timestamp(day)
        pos = self.table.index.searchsorted(ts, side="right") - 1
        if pos < 0:
            return pd.DataFrame(0.0, index=communities, columns=list(TESTS))
        row = self.table.iloc[pos].unstack("test")
        return row.reindex(index=communities, columns=list(TESTS)).fillna(0.0).astype(float)


@dataclass
class Scored:
    as_of: dt.date
    standing: pd.DataFrame  # per community at as_of
    circulars: pd.DataFrame  # per circular period and community
    weekly: pd.DataFrame  # per ranking period and community
    three_day: pd.DataFrame  # per summary period and community
    timeliness: pd.DataFrame
    timeliness_summary: pd.DataFrame
    payments: pd.DataFrame
    subsidy: pd.DataFrame
    progress: Progress

    @property
    def last_circular(self) -> pd.DataFrame:
        """The latest completed circular period, one row per community (empty before the first)."""
        if self.circulars.empty:
            return self.circulars
        last = self.circulars["period"].max()
        return self.circulars[self.circulars["period"] == last].set_index("community")


# ----------------------------------------------------------------------------------------------
# A whole run


class RunError(ScreeningError):
    """The run cannot start (no input folder, nothing to read): a Chinese message for the user."""

    exit_code = 2


@dataclass
class Analysis:
    """Everything one run found (stages 1-4 and the summary); written by ``pipeline.outputs``."""

    as_of: dt.date
    input_dir: Path
    files: list[FileResult]
    normalized: Normalized
    quotas: pd.DataFrame
    problems: pd.DataFrame  # every problem of the run, built once (pipeline.problems.problems_frame)
    problem_groups: pd.DataFrame  # the same, counted by what to fix (pipeline.problems.problem_groups)
    reconciled: Reconciled
    scored: Scored
    summary: dict[str, Any]
    # Wall time of each stage in seconds: read, normalize, reconcile, score, summary (analyse)
    # and write_* (pipeline.outputs).
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def warnings(self) -> list[dict[str, Any]]:
        """The programme-scope problems (``summary.json``'s ``warnings[]``)."""
        return programme_warnings(self.problems)


class OnFile(Protocol):
    """Told after each input file is read (a progress display)."""

    def __call__(self, result: FileResult, /) -> None: ...


class OnStage(Protocol):
    """Told when a stage starts: read, normalize, reconcile, score, summary, write."""

    def __call__(self, name: str, /, total: int = 0) -> None: ...
