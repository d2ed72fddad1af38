"""The columns of every table people read: header text, kind (how a value is formatted), width,
and the conditional colours (:class:`~pipeline.outputs.xlsx.Rule`) of each table.

A table's frame is built in :mod:`pipeline.outputs.frames` with these keys as its columns; the
sheets in :mod:`pipeline.outputs.sheets` write the frame through these lists. Declarations only.
"""

from __future__ import annotations

from pipeline.outputs.xlsx import Column, Rule
from pipeline.problems import PROBLEM_COLUMNS, PROBLEM_HEADERS
from pipeline.settings import TESTS

SHORT = {"nt": "超声NT", "serum": "血清学"}


SUMMARY_COLUMNS = [
    Column("name", "社区"),
    *[
        col
        for t in TESTS
        for col in (
            Column(f"quota_{t}", f"{SHORT[t]}任务数", "int"),
            Column(f"expected_{t}", f"{SHORT[t]}应完成", "number"),
            Column(f"done_{t}", f"{SHORT[t]}已完成", "int"),
            Column(f"rate_{t}", f"{SHORT[t]}完成率", "percent"),
            Column(f"remaining_{t}", f"{SHORT[t]}剩余任务", "int"),
        )
    ],
    Column("rate", "综合完成率", "percent"),
    Column("rank", "排名", "int", 7),
    Column("on_target", "达到序时进度（两项合计）", "bool"),
    Column("lagging", "工作落后", "bool"),
    Column("consequence", "处理措施", wrap=True),
    Column("commendation", "通报表扬/批评", wrap=True),
]

SUMMARY_RULES = [Rule("lagging", "row", "是", "red"), *[Rule(f"rate_{t}") for t in TESTS], Rule("rate")]

HISTORY_COLUMNS = [
    Column("period", "期次", "int", 6),
    Column("period_start", "起", "date"),
    Column("period_end", "止", "date"),
    Column("name", "社区"),
    *[
        col
        for t in TESTS
        for col in (
            Column(f"expected_{t}", f"{SHORT[t]}累计应完成", "number"),
            Column(f"done_{t}", f"{SHORT[t]}累计完成", "int"),
            Column(f"period_done_{t}", f"{SHORT[t]}本期完成", "int"),
        )
    ],
    Column("rate", "累计综合完成率", "percent"),
    Column("period_rate", "本期完成率", "percent"),
    Column("rank", "排名", "int", 7),
    Column("rank_change_text", "名次变化", width=9),
    Column("on_target", "达到序时进度（两项合计）", "bool"),
]

HISTORY_RULES = [Rule("rate"), Rule("period_rate")]

CIRCULAR_COLUMNS = [
    Column("period", "期次", "int", 6),
    Column("period_start", "起", "date"),
    Column("period_end", "止", "date"),
    Column("name", "社区"),
    Column("rate", "综合完成率", "percent"),
    Column("period_rate", "本期完成率", "percent"),
    Column("rank", "排名", "int", 7),
    Column("rank_change_text", "名次变化", width=9),
    Column("on_target", "达到序时进度（两项合计）", "bool"),
    Column("lagging", "工作落后", "bool"),
    Column("stage_missed", "未完成阶段性目标", "bool"),
    Column("lag_streak", "连续落后期数", "int"),
    Column("miss_streak", "连续未完成阶段性目标期数", "int"),
    Column("consequence", "处理措施", wrap=True),
    Column("commendation", "通报表扬/批评", wrap=True),
    Column("issued", "已印发通报", "bool"),
    Column("computed_lagging", "按数据计算为落后", "bool"),
    Column("differs_from_issued", "与已印发通报不一致", "bool"),
]

CIRCULAR_RULES = [
    Rule("lagging", "row", "是", "red"),
    Rule("differs_from_issued", "cell", "是", "amber"),
    Rule("rate"),
]

CUMULATIVE_COLUMNS = [
    Column("label", "期次", width=10, wrap=True),
    *[
        col
        for t in TESTS
        for col in (
            Column(f"done_{t}", f"{SHORT[t]}累计完成", "int"),
            Column(f"expected_{t}", f"{SHORT[t]}累计应完成", "number"),
        )
    ],
    Column("done", "合计累计完成", "int"),
    Column("expected", "合计累计应完成", "number"),
    Column("rate", "累计完成率", "percent"),
]

FOLLOWUP_COLUMNS = [
    Column("community_name", "社区"),
    Column("name", "姓名"),
    Column("id", "身份证号"),
    Column("phone", "联系电话"),
    Column("test_label", "筛查项目"),
    Column("status_label", "状态"),
    Column("window_opens", "窗口期开始", "date"),
    Column("window_closes", "窗口期结束", "date"),
    Column("days_left", "距窗口期结束天数", "int"),
    Column("missed_label", "能否补筛", wrap=True),
    Column("lmp_used", "末次月经（含推算）", "date"),
    Column("lmp_source", "末次月经依据"),
    Column("address", "住址", wrap=True),
]

FOLLOWUP_RULES = [
    Rule("status_label", "cell", "已错过窗口期", "red"),
    Rule("status_label", "cell", "窗口期内未筛查", "amber"),
    Rule("status_label", "cell", "日期不可用", "amber"),
]

SCREENING_SRC = [
    Column("src_file", "来源文件", wrap=True),
    Column("src_sheet", "工作表"),
    Column("src_row", "行号", "int", 7),
]

HIGH_RISK_COLUMNS = [
    Column("community_name", "社区"),
    Column("name", "姓名"),
    Column("id", "身份证号"),
    Column("phone", "联系电话"),
    Column("test_label", "筛查项目"),
    Column("screen_date", "筛查日期", "date"),
    Column("result", "筛查结果", wrap=True),
    Column("ga_text", "筛查时孕周"),
    Column("address", "住址", wrap=True),
    *SCREENING_SRC,
]

ISSUE_COLUMNS = [
    Column("type", "类型"),
    Column("community_name", "社区"),
    Column("name", "姓名"),
    Column("id", "身份证号"),
    Column("phone", "联系电话"),
    Column("test_label", "筛查项目"),
    Column("date", "日期", "date"),
    Column("address", "住址", wrap=True),
    Column("detail", "说明", width=50, wrap=True),
    *SCREENING_SRC,
]

TIMELINESS_SUMMARY_COLUMNS = [
    Column("name", "社区"),
    Column("due", "应报次数", "int"),
    Column("on_time", "按时", "int"),
    Column("late", "迟报", "int"),
    Column("missing", "未报", "int"),
    Column("rate", "按时上报率", "percent"),
    Column("latest", "最近一次上报", "date"),
    Column("paper", "纸质花名册签收", wrap=True),
]

TIMELINESS_COLUMNS = [
    Column("name", "社区"),
    Column("due", "应报日期", "date"),
    Column("status", "上报情况", width=9),
    Column("submitted", "实际上报日期", "date"),
    Column("days_late", "迟报天数", "int"),
]

TIMELINESS_RULES = [Rule("status", "cell", "未报", "red"), Rule("status", "cell", "迟报", "amber")]

PAPER_COLUMNS = [
    Column("name", "社区"),
    Column("event_date", "签收日期", "date"),
    Column("note", "备注", wrap=True),
    Column("src_file", "登记文件", wrap=True),
    Column("src_row", "行号", "int", 7),
]

PAYMENT_COLUMNS = [
    Column("name", "社区"),
    Column("date", "评比日期", "date"),
    Column("kind", "评比"),
    Column("met", "达到要求", "bool"),
    Column("cases", "例数", "int"),
    Column("case_amount", "按例补助（元）", "money"),
    Column("specialist", "专干奖励（元）", "money"),
    Column("secretary_reward", "年终奖励（元）", "money"),
    Column("fine", "罚款（元）", "money"),
    Column("rule", "计算依据", width=60, wrap=True),
]

MONEY = ("case_amount", "specialist", "secretary_reward", "fine")

SUBSIDY_COLUMNS = [
    Column("community_name", "社区"),
    Column("name", "姓名"),
    Column("id", "身份证号"),
    Column("phone", "联系电话"),
    Column("test_label", "筛查项目"),
    Column("screen_date", "筛查日期", "date"),
    Column("amount", "补助金额（元）", "money"),
    *SCREENING_SRC,
]

SUBSIDY_SUM_COLUMNS = [
    Column("name", "社区"),
    Column("cases", "例数", "int"),
    Column("amount", "补助金额（元）", "money"),
]

SPOT_COLUMNS = [
    Column("community_name", "社区"),
    Column("name", "姓名"),
    Column("id", "身份证号"),
    Column("phone", "联系电话"),
    Column("address", "住址", wrap=True),
    Column("lmp_used", "末次月经（含推算）", "date"),
    Column("last_seen", "最近一次在花名册上", "date"),
    Column("draw_period", "抽查期次", "int", 8),
    Column("src_file", "花名册文件", wrap=True),
    Column("check_result", "抽查结果（核实后填写）", width=22, wrap=True),
    Column("checker", "核实人", width=10),
]

WINDOW_COLUMNS = [
    Column("window_flag", "问题"),
    Column("name", "姓名"),
    Column("id", "身份证号"),
    Column("phone", "联系电话"),
    Column("test_label", "筛查项目"),
    Column("screen_date", "筛查日期", "date"),
    Column("lmp_used", "末次月经（含推算）", "date"),
    Column("ga_text", "筛查时孕周"),
    Column("community_name", "社区"),
    *SCREENING_SRC,
]

COUNT_COLUMNS = [Column("parent", "上级"), Column("name", "社区"), Column("count", "人数", "int")]

SETTINGS_COLUMNS = [Column("c0", "配置项", wrap=True), Column("c1", "取值", width=60, wrap=True), Column("c2", "来源")]

FILES_COLUMNS = [
    Column("file", "文件", wrap=True),
    Column("sha256", "SHA-256 校验值", width=60, wrap=True),
    Column("format", "格式"),
    Column("size", "大小（字节）", "int"),
    Column("readable", "已读取", "bool"),
]

INFO_COLUMNS = [Column("c0", "项目"), Column("c1", "内容", width=60, wrap=True)]


# The community workbook's block below its own row: every community's rank, no personal data.
RANKING_COLUMNS = [
    Column("name", "社区"),
    Column("rate", "综合完成率", "percent"),
    Column("rank", "排名", "int", 7),
    Column("lagging", "工作落后", "bool"),
]
RANKING_RULES = [Rule("rate")]

# 口径说明's further blocks.
PLAN_NOTE_COLUMNS = [Column("c0", "方案条款", wrap=True), Column("c1", "本工具的处理", width=60, wrap=True)]
WARNING_COLUMNS = [Column("c0", "代码"), Column("c1", "提醒", width=60, wrap=True)]

PROBLEM_TABLE = [
    Column("file", PROBLEM_HEADERS["file"], wrap=True),
    Column("sheet", PROBLEM_HEADERS["sheet"]),
    Column("row", PROBLEM_HEADERS["row"], "int", 7),
    Column("column", PROBLEM_HEADERS["column"]),
    Column("value", PROBLEM_HEADERS["value"], wrap=True),
    Column("severity", PROBLEM_HEADERS["severity"], width=9),
    Column("message", PROBLEM_HEADERS["message"], width=50, wrap=True),
    Column("fix", PROBLEM_HEADERS["fix"], width=50, wrap=True),
    # The catalogue's code, looked up in the README at the computer: not on paper.
    Column("code", PROBLEM_HEADERS["code"], screen_only=True),
]
assert {c.key for c in PROBLEM_TABLE} == set(PROBLEM_COLUMNS)

# A problem counted once with all its occurrences (pipeline.problems.problem_groups).
GROUP_TABLE = [
    *PROBLEM_TABLE[:-1],
    Column("where", "重复出现", width=40, wrap=True),
    # 重复出现 says where on paper (how many files, the first and the latest); every location is
    # for the screen, where it is looked up.
    Column("locations", "全部位置", width=60, wrap=True, screen_only=True),
    PROBLEM_TABLE[-1],
]

REJECTED_COLUMNS = [
    Column("src_file", "文件", wrap=True),
    Column("src_sheet", "工作表"),
    Column("src_row", "行号", "int", 7),
    Column("kind", "表类型"),
    Column("reason", "原因", width=40, wrap=True),
]
