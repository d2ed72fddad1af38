"""A deterministic generator of a realistic, messy demo input folder (fake people only).

``generate_demo(out_dir, settings, seed)`` writes one programme year of submissions as an office
receives them: the communities' rosters (已孕对象花名册, one file per submission, each community with
its own messy template), the health centre's screening logs (卫生院), the quota table (任务分配表), the
office's own register (办事处登记) and a short README. Everything is drawn from ``random.Random``
instances seeded from ``seed`` (no global random state, no clock), and the xlsx document properties
are fixed, so the same seed gives byte-identical files.

The intentional defects are listed in ``defects.py`` (re-exported here), and ``demo_truth`` returns
the ground truth of a generation (files and their data-row counts, which women carry which defect,
the screenings by construction) without writing anything, for the reader's end-to-end tests.

The demo follows the Sizhou 2020 configuration (five communities, in the order of ``config.toml``);
with other settings the communities are taken by position and the defects keep their positions.

Modules, in the order they build on each other:

- ``defects``: the file names and intentional defects (constants);
- ``people``: the fake population (names, IDs, phones, addresses, LMPs) and each community's profile;
- ``schedule``: when each community submits its roster, under which file name;
- ``screenings``: the health centre's records and their special cases (repeats, typos, ...);
- ``plan``: the year's story (``build``): screenings by construction, closures, injected defects;
- ``files``: files as data (``FileSpec``, ``Sheet``) and their writers (xlsx, CSV, HTML-as-.xls);
- ``rosters``, ``logs``, ``office``: the communities', the health centre's and the office's files;
- ``folder``: every file of the folder, and ``generate_demo``;
- ``truth``: ``demo_truth``.
"""

from __future__ import annotations

from pipeline.demo.defects import (
    BAD_CHECKSUM_IDS,
    CLOSURES,
    DUPLICATE_ROW_FILE,
    FLOAT_ID_COUNT,
    FLOAT_ID_FILE,
    FULL_WIDTH_ID_COMMUNITY,
    GBK_CSV_FILE,
    HIS_EXPORT_FILE,
    HIS_EXPORT_FROM,
    HIS_EXPORT_ONLY,
    HIS_EXPORT_SHARED,
    HIS_EXPORT_TO,
    IMPOSSIBLE_DATE_TEXT,
    INSTRUCTION_SHEET,
    INSTRUCTION_SHEET_COMMUNITY,
    LATE_SUBMISSIONS,
    LOCK_FILE,
    LOCK_FILE_SIZE,
    LOG_ID_TYPOS,
    LOWERCASE_X_COMMUNITY,
    MERGE_COMMUNITY,
    MISSED_SUBMISSIONS,
    NT_LOG_FILE,
    NT_LOG_SHEETS,
    NT_REPEATS,
    OLD_15_DIGIT_ID_COMMUNITY,
    QUOTA_FILE,
    README_FILE,
    REGISTER_FILE,
    ROSTER_CONFLICTS,
    SELF_REPORT_COMMUNITY,
    SERUM_BORDERLINE,
    SERUM_HIGH_RISK,
    SERUM_LOG_FILE,
    SERUM_REPEATS,
    SUBTOTAL_COMMUNITY,
    TRADITIONAL_COMMUNITY,
    TRADITIONAL_FROM,
    UNROSTERED_WITH_COMMUNITY,
    UNROSTERED_WITHOUT_COMMUNITY,
    UNVERIFIED_SELF_REPORTS,
    UTF8_BOM_CSV_FILE,
)
from pipeline.demo.folder import generate_demo
from pipeline.demo.people import (
    GIVEN_FIRST,
    GIVEN_SECOND,
    GIVEN_SINGLE,
    HOME_AREA,
    OTHER_AREAS,
    SURNAMES,
    id_check_digit,
)
from pipeline.demo.truth import demo_truth

__all__ = [
    "generate_demo",
    "demo_truth",
    "id_check_digit",
    "GIVEN_FIRST",
    "GIVEN_SECOND",
    "GIVEN_SINGLE",
    "HOME_AREA",
    "OTHER_AREAS",
    "SURNAMES",
    "FLOAT_ID_FILE",
    "FLOAT_ID_COUNT",
    "BAD_CHECKSUM_IDS",
    "OLD_15_DIGIT_ID_COMMUNITY",
    "FULL_WIDTH_ID_COMMUNITY",
    "LOWERCASE_X_COMMUNITY",
    "DUPLICATE_ROW_FILE",
    "LOCK_FILE",
    "LOCK_FILE_SIZE",
    "GBK_CSV_FILE",
    "UTF8_BOM_CSV_FILE",
    "SELF_REPORT_COMMUNITY",
    "UNVERIFIED_SELF_REPORTS",
    "SUBTOTAL_COMMUNITY",
    "TRADITIONAL_COMMUNITY",
    "TRADITIONAL_FROM",
    "INSTRUCTION_SHEET_COMMUNITY",
    "INSTRUCTION_SHEET",
    "MISSED_SUBMISSIONS",
    "LATE_SUBMISSIONS",
    "ROSTER_CONFLICTS",
    "NT_LOG_FILE",
    "NT_LOG_SHEETS",
    "SERUM_LOG_FILE",
    "HIS_EXPORT_FILE",
    "HIS_EXPORT_FROM",
    "HIS_EXPORT_TO",
    "HIS_EXPORT_SHARED",
    "HIS_EXPORT_ONLY",
    "IMPOSSIBLE_DATE_TEXT",
    "LOG_ID_TYPOS",
    "NT_REPEATS",
    "SERUM_REPEATS",
    "SERUM_HIGH_RISK",
    "SERUM_BORDERLINE",
    "UNROSTERED_WITH_COMMUNITY",
    "UNROSTERED_WITHOUT_COMMUNITY",
    "QUOTA_FILE",
    "REGISTER_FILE",
    "README_FILE",
    "CLOSURES",
    "MERGE_COMMUNITY",
]
