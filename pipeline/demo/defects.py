"""The demo folder's file names and intentional defects: what is wrong in it, and where.

Constants only, for the default configuration (community index = position in ``config.toml``); with
other settings the communities are taken by position and the defects keep their positions. The
builder (``plan.py``), the file makers (``rosters.py``, ``logs.py``, ``office.py``) and the tests
read them; nothing here draws, builds or writes anything.
"""

from __future__ import annotations

#: Roster file where two IDs were pasted as numbers (they show as 4.11328199E+17 in Excel).
FLOAT_ID_FILE = "新华社区花名册-0608.xlsx"
FLOAT_ID_COUNT = 2
#: Roster rows whose ID has a wrong check digit, as (community index, how many); they persist in
#: every submission of that community that lists the woman (the community never corrects them).
BAD_CHECKSUM_IDS: tuple[tuple[int, int], ...] = ((0, 1), (2, 1), (3, 1))
#: Community whose rosters carry one 15-digit (pre-1999) ID, one full-width-digit ID.
OLD_15_DIGIT_ID_COMMUNITY = 1
FULL_WIDTH_ID_COMMUNITY = 1
#: Community whose rosters write one ID ending in a lowercase x.
LOWERCASE_X_COMMUNITY = 0
#: Roster file with the same woman on two rows.
DUPLICATE_ROW_FILE = "新民社区已孕对象花名册20200618.xlsx"
#: Excel's owner (lock) file left in the folder: it must be ignored.
LOCK_FILE = "~$新民社区花名册.xlsx"
LOCK_FILE_SIZE = 165
#: CSV rosters: GBK without BOM, and UTF-8 with BOM.
GBK_CSV_FILE = "常花园社区花名册0528.csv"
UTF8_BOM_CSV_FILE = "银华社区花名册20200912.csv"
#: Community whose rosters have a two-row merged header and self-reported screening columns
#: (是否NT筛查, 血清学筛查日期); two self-reports there have no record in the health centre's logs.
SELF_REPORT_COMMUNITY = 2
UNVERIFIED_SELF_REPORTS = 2
#: Community whose rosters have blank rows in the middle (from July) and a 合计 row at the bottom.
SUBTOTAL_COMMUNITY = 1
#: Community whose rosters write the community name in Traditional characters (from September).
TRADITIONAL_COMMUNITY = 3
TRADITIONAL_FROM = (9, 1)
#: Community whose workbooks carry a second sheet 填表说明 (instructions, no table).
INSTRUCTION_SHEET_COMMUNITY = 4
INSTRUCTION_SHEET = "填表说明"
#: Missed and late roster submissions: {community index: [(month, day) of the due date]} and
#: {community index: {(month, day) of the due date: days late}}.
MISSED_SUBMISSIONS: dict[int, tuple[tuple[int, int], ...]] = {2: ((7, 18),)}
LATE_SUBMISSIONS: dict[int, dict[tuple[int, int], int]] = {
    3: {(8, 28): 1},
    4: {
        (4, 18): 3,
        (5, 8): 2,
        (6, 8): 4,
        (7, 8): 1,
        (8, 18): 3,
        (9, 8): 4,
        (10, 18): 2,
        (11, 8): 5,
        (12, 8): 1,
    },
}
#: Women on two communities' rosters: (home community, other community, (month, day) from, to).
ROSTER_CONFLICTS: tuple[tuple[int, int, tuple[int, int], tuple[int, int]], ...] = (
    (0, 1, (7, 1), (12, 31)),
    (3, 2, (5, 10), (6, 30)),
)
#: Screening logs.
NT_LOG_FILE = "卫生院超声NT筛查登记2020.xlsx"
NT_LOG_SHEETS = ("一季度", "二季度", "三季度", "四季度")
SERUM_LOG_FILE = "血清学筛查登记表2020.xlsx"
HIS_EXPORT_FILE = "卫生院系统导出0630.xls"
HIS_EXPORT_FROM = (6, 16)
HIS_EXPORT_TO = (6, 30)
HIS_EXPORT_SHARED = 5  # serum screenings in the export that are also in the serum log
HIS_EXPORT_ONLY = 3  # serum screenings only in the export
IMPOSSIBLE_DATE_TEXT = "2020-02-30"  # one NT log row (sheet 一季度)
LOG_ID_TYPOS = 3  # log rows with a mistyped ID (wrong check digit), correct name + phone
NT_REPEATS = 4  # women screened twice for NT
SERUM_REPEATS = 2
SERUM_HIGH_RISK = 3
SERUM_BORDERLINE = 2
UNROSTERED_WITH_COMMUNITY = 6  # screened, on no roster, address names a community (漏报)
UNROSTERED_WITHOUT_COMMUNITY = 4  # screened, on no roster, address names no community
QUOTA_FILE = "任务分配表.xlsx"
REGISTER_FILE = "办事处登记.xlsx"
README_FILE = "README.txt"
#: Register entries closing a case: (community index, reason).
CLOSURES: tuple[tuple[int, str], ...] = (
    (0, "流产"),
    (4, "流产"),
    (1, "迁出"),
    (1, "外院已筛"),
    (3, "外院已筛"),
    (3, "拒检"),
    (0, "分娩"),
)
#: The manual merge: a woman on this community's rosters without ID (name + phone), screened under
#: her ID with a new phone number.
MERGE_COMMUNITY = 4
