"""Programme settings: one typed, validated object loaded from ``config.toml``.

Every interpretation of the seed lives here, so that a different office (or a different reading
of the same plan) changes the config, not the code. Validation errors name the key in Chinese.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import tomllib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

# The errors are re-exported: the rest of the package imports them from here.
from pipeline.errors import ScreeningError as ScreeningError
from pipeline.errors import SettingsError as SettingsError
from pipeline.strict import build, key_lines

TestKind = Literal["nt", "serum"]
TESTS: tuple[TestKind, ...] = ("nt", "serum")
TEST_LABELS: dict[str, str] = {"nt": "超声NT筛查", "serum": "血清学筛查"}


# ---------------------------------------------------------------------------------------------
# Rules and settings
#
# Every field of the dataclasses below is one of:
#
# * a **rule of the plan**, declared with :func:`rule`: every config must state it. There is no
#   silent default, because a rule a config leaves out would quietly become another office's (the
#   Sizhou plan's 100-yuan subsidy, its due dates, its sanctions). The declaration says in Chinese
#   what the rule is and what to write; a config without it gets an error naming the key with both,
#   and ``screening init`` writes them as comments. A rule that belongs to a part of the plan an
#   office may not have (the subsidy, the quarterly and the year-end money) names its switch,
#   ``when="subsidy"``, a true/false rule of the same section: it is required only while the
#   switch is on, and holds its ``off`` value while the switch is off. "Not used" is then written
#   explicitly (``subsidy = false``, ``lagging_texts = []``), never implied by a missing line;
# * a **setting with a default**: a plain dataclass default (or ``field(default=...)``) for what is
#   technical (limits, retries, masks) or a reading of the plan with an agreed default.
#
# A new key declares itself one or the other; a field with no default and no declaration is
# required too, with a generic message. Sections (``[columns]``) may be rules as well.


def rule(what: str, example: str = "", *, when: str = "", off: Any = None) -> Any:
    """Declare a rule of the plan (see the banner above): ``what`` (Chinese) says what it is,
    ``example`` is a TOML value to write (empty for a whole section); ``when`` names the true/false
    rule of the same section that switches this one on, ``off`` its value while switched off."""
    metadata = {"rule": True, "what": what, "example": example, "when": when}
    if not when:
        return field(metadata=metadata)
    if isinstance(off, dict):
        return field(default_factory=dict, metadata=metadata)
    return field(default=off, metadata=metadata)


@dataclass(frozen=True, kw_only=True)
class Programme:
    name: str = rule("项目名称（工作簿标题和 summary.json 中使用）", '"某某街道2021年免费产前筛查（两筛）"')
    issuer: str = rule("发文机关（通报的版头和落款）", '"某某街道办事处"')
    recipients: str = rule("通报的主送机关", '"各社区、直属单位"')
    plan_title: str = rule("实施方案的标题（通报中引用，不加书名号）", '"某某街道办事处2021年免费产前筛查工作实施方案"')
    plan_number: str = rule("实施方案的文号（通报中引用；方案没有文号写 \"\"）", '"某街文〔2021〕3号"')
    start: dt.date = rule("项目开始日期", "2021-02-01")
    end: dt.date = rule("项目结束日期", "2021-11-30")
    goal: int = rule("方案规定的目标任务（人）", "300")
    count_from: dt.date = rule("从这一天起完成的筛查计入任务（之前的不累计）", "2021-03-01")
    assess_from: dt.date = rule("从这一天起考核，序时进度（应完成数）从这一天算起", "2021-03-01")
    subsidy: bool = rule("方案是否对计入起点之前完成的筛查另行补助（如“1—3月已完成的每例补助100元”；没有写 false）", "false")
    subsidy_from: dt.date | None = rule("补助期开始日期", "2021-01-01", when="subsidy")
    subsidy_to: dt.date | None = rule("补助期结束日期（一般为计入起点的前一天）", "2021-02-28", when="subsidy")
    subsidy_per_case: float = rule("补助每例金额（元）", "100", when="subsidy", off=0.0)
    subsidy_case: Literal["both", "each"] = rule(
        "补助的“例”：每项筛查为一例（\"each\"），或两项均完成的孕妇为一例（\"both\"）", '"each"', when="subsidy", off="each"
    )
    doc_number_prefix: str = rule("通报发文字号的前缀（草稿中文号留空：前缀加“ 号”）", '"某街文〔2021〕"')
    hotline: str = ""  # 举报电话 printed in the circular: the office's own number, or none
    # The circular as a 公文 (GB/T 9704-2012). The issuing organs, full names, in the order of the
    # red head and the signature (a joint circular lists several); empty = ``issuer`` alone.
    issuers: tuple[str, ...] = ()
    copy_to: str = ""  # 版记 抄送 (e.g. the county's health bureau); empty = no 抄送 line
    printed_by: str = ""  # 版记 印发机关 (the office that prints it); empty = the first issuing organ
    # Document numbers already used outside this tool (the plan's own 7号): `archive issue` refuses them.
    taken_numbers: tuple[str, ...] = ()
    # Rules of the plan the tool does not compute, listed in 口径说明 so that nobody mistakes
    # silence for a zero (name -> how it is treated), e.g. the plan's 绩效工资浮动制.
    listed_rules: dict[str, str] = field(default_factory=dict)

    @property
    def issuing_organs(self) -> tuple[str, ...]:
        """The circular's issuing organs: ``issuers``, else ``issuer`` alone."""
        return tuple(x for x in self.issuers if x.strip()) or (self.issuer,)

    @property
    def subsidy_window(self) -> tuple[dt.date, dt.date] | None:
        """(first, last) day of the subsidy window, or None when the plan has no subsidy."""
        if self.subsidy and self.subsidy_from is not None and self.subsidy_to is not None:
            return self.subsidy_from, self.subsidy_to
        return None

@dataclass(frozen=True)
class Windows:
    nt_from: str = "11+0"
    nt_to: str = "13+6"
    serum_from: str = "15+0"
    serum_to: str = "20+6"
    edd_to_lmp_days: int = 280

    def days(self, test: str) -> tuple[int, int]:
        """The window of ``test`` as (first, last) day after LMP, inclusive."""
        return weeks_to_days(getattr(self, f"{test}_from")), weeks_to_days(getattr(self, f"{test}_to"))


@dataclass(frozen=True)
class Cadence:
    """How a kind of period is cut. The number a kind needs is required with it (0 / () = not
    given, which validation names): ``every`` for "days", ``weekday`` for "weekday", ``ends`` for
    "month_days"."""

    kind: Literal["days", "weekday", "month_days"]
    every: int = 0
    weekday: int = 0
    ends: tuple[int, ...] = ()


_KINDS = "kind = \"days\" 每 every 天一期，\"weekday\" 每周以星期 weekday 为期末，\"month_days\" 每月 ends 所列日期为期末"


@dataclass(frozen=True, kw_only=True)
class Cadences:
    summary: Cadence = rule(f"汇总周期，如三天一汇总（{_KINDS}）", '{ kind = "days", every = 3 }')
    ranking: Cadence = rule(f"排序周期，如一周一排序（{_KINDS}）", '{ kind = "days", every = 7 }')
    circular: Cadence = rule(f"通报周期，如每旬一期（{_KINDS}）", '{ kind = "month_days", ends = [10, 20, 31] }')
    # The plan's own words for its cadence, quoted verbatim by the circular ("三天一汇总、一周一排序、
    # 半月一总结"); empty: the circular words it from the three cadences (wording.cadence_text).
    text: str = ""
    # A first circular period shorter than this (the half-month's 04-10..04-15, a 旬报's single
    # day) is merged into the next one: a streak must not start on a few days' figures.
    min_period_days: int = 10


@dataclass(frozen=True, kw_only=True)
class Rosters:
    first_due: dt.date = rule("首次报送花名册的截止日期", "2021-03-10")
    update_days: tuple[int, ...] = rule("此后每月报送更新名单的日期（月中的几号）", "[5, 20]")
    paper: str = rule(
        "方案要求另报的纸质花名册（如“社区党支部书记签字盖章的纸质花名册”；不要求写 \"\"）", '""'
    )
    conflict_assign: Literal["latest", "first"] = "latest"
    reminder_days_before: int = 2
    # A screened woman on no roster is 漏报 once a due date has passed since her screening (the
    # community could have listed her), before that 待核实 ("next_due"); or 漏报 at once ("screening").
    missing_from: Literal["next_due", "screening"] = "next_due"


StageTarget = Literal["behind_and_slipping", "period_share", "cumulative_combined", "cumulative_each_test", "quarterly"]

# The readings of the plan's undefined 阶段性目标任务, as the office reads them (口径说明).
STAGE_TARGET_LABELS: dict[str, str] = {
    "behind_and_slipping": "落后且未追赶",
    "period_share": "本期任务",
    "cumulative_combined": "累计序时进度（两项合计）",
    "cumulative_each_test": "累计序时进度（分项）",
    "quarterly": "季度任务",
}
STAGE_TARGET_RULES: dict[str, str] = {
    "behind_and_slipping": "期末两项合计累计完成数低于累计应完成数，且本期两项合计完成数低于本期应完成数（落后且没有追赶）为未完成",
    "period_share": "本期两项合计完成数低于本期应完成数为未完成",
    "cumulative_combined": "期末两项合计累计完成数低于累计应完成数为未完成",
    "cumulative_each_test": "期末任一项筛查的累计完成数低于该项累计应完成数为未完成",
    "quarterly": "阶段为截至各季度评比日的季度（首季度自考核起始日起），季度内两项合计完成数低于该季度应完成数为未完成；只在包含评比日的通报期评定，连续次数按季度计",
}

# What the office should know when choosing (口径说明 only, never in a circular).
STAGE_TARGET_NOTES: dict[str, str] = {
    "period_share": "（达到序时进度的社区不受处理，故结果与“落后且未追赶”相同）",
    "cumulative_each_test": "（两项合计达到序时进度的社区不受处理，故结果与“累计序时进度（两项合计）”相同）",
}


@dataclass(frozen=True, kw_only=True)
class Ranking:
    rank_by: Literal["cumulative", "period"] = "cumulative"
    stage_target: StageTarget = "behind_and_slipping"
    lagging_count: int = rule("每期通报的工作落后社区个数", "2")
    lagging_texts: tuple[str, ...] = rule(
        "工作落后一次、连续两次、连续三次……的处理措施（不设处理写 []）", '["社区相关责任人表态发言", "社区党支部书记表态发言"]'
    )
    # The last lagging measure lasts to the end of the programme once reached (the plan's
    # 取消年底评先资格): shown as "（延续）" in later periods.
    last_text_lasts: bool = rule("最后一项处理措施（如取消年底评先资格）一经作出是否持续到项目结束", "false")
    stage_miss_texts: dict[str, str] = rule(
        "连续几期未完成阶段性目标任务的处理措施（不设写 {}）", '{ 2 = "约谈社区党支部书记" }'
    )
    praise_text: str = rule("完成阶段性目标任务的社区（不通报表扬写 \"\"）", '"通报表扬"')
    criticism_text: str = rule("未完成阶段性目标任务的社区（不通报批评写 \"\"）", '"通报批评"')


@dataclass(frozen=True, kw_only=True)
class Rewards:
    quarterly: bool = rule("方案是否有季度（定期）评比奖励（没有写 false）", "false")
    evaluations: tuple[dt.date, ...] = rule("评比日期", "[2021-06-30, 2021-09-30]", when="quarterly", off=())
    case: Literal["both", "each"] = rule(
        "奖励的“例”：两项均完成的孕妇为一例（\"both\"），或每项筛查为一例（\"each\"）", '"both"', when="quarterly", off="both"
    )
    per_case: float = rule("评比达标的社区每例奖励（元）", "100", when="quarterly", off=0.0)
    specialist: float = rule("评比达标的社区另奖励专干（元；不奖励写 0）", "300", when="quarterly", off=0.0)
    year_end_money: bool = rule("方案是否有年终奖惩（奖励或罚款；没有写 false）", "false")
    year_end: dt.date | None = rule("年终考核日期", "2021-11-30", when="year_end_money")
    year_end_reward: float = rule("完成全年任务的奖励（元；不奖励写 0）", "3000", when="year_end_money", off=0.0)
    year_end_reward_to: str = rule("年终奖励给谁", '"社区党支部书记和“两筛”专干"', when="year_end_money", off="")
    year_end_reward_split: Literal["together", "each"] = rule(
        "奖励金额为合计（\"together\"）还是每人（\"each\"）", '"together"', when="year_end_money", off="together"
    )
    year_end_fine: float = rule("未完成全年任务的社区罚款（元；不罚写 0）", "2000", when="year_end_money", off=0.0)
    # What a quarterly evaluation reads: the standing at the evaluation date ("standing") or the
    # completions of the quarter just ended against that quarter's expected count ("quarter").
    evaluation_basis: Literal["standing", "quarter"] = "standing"

    @property
    def used(self) -> bool:
        """The plan pays or fines at all (the 奖惩 sheet and its sentences exist only then)."""
        return self.quarterly or self.year_end_money


@dataclass(frozen=True)
class Followup:
    opening_within_days: int = 7
    # A woman this many days past her LMP (42 weeks) has delivered: a missed screening can no longer
    # be made up.
    past_term_days: int = 294


@dataclass(frozen=True)
class SpotCheck:
    size: int = 5
    seed: int = 2020


@dataclass(frozen=True)
class Privacy:
    mask_ids_in_community_workbooks: bool = True
    mask_ids_in_master_workbook: bool = False


@dataclass(frozen=True)
class Outputs:
    # One workbook per community (the default), or per township (the communities' parent) for a
    # county or province office with thousands of communities: a township's workbook lists its
    # communities' rows, with a community column.
    unit_level: Literal["community", "township"] = "community"


@dataclass(frozen=True)
class Limits:
    max_file_mb: float = 100
    max_uncompressed_mb: float = 500
    max_compression_ratio: float = 200
    max_sheets: int = 200
    max_cells: int = 20_000_000
    max_csv_line_chars: int = 100_000


@dataclass(frozen=True)
class ArchiveSettings:
    folder: str = "archive"


@dataclass(frozen=True)
class MailFetch:
    """Fetching submissions from the office mailbox over IMAP (``screening fetch``). The password is
    never stored here: only SCREENING_IMAP_PASSWORD or a prompt. Retries, waits and the timeout are
    the ``[mail]`` ones."""

    host: str = ""
    port: int = 993
    security: Literal["ssl", "starttls", "none"] = "ssl"
    user: str = ""  # empty: the [mail] user
    folder: str = "INBOX"
    mark_seen: bool = False  # true: messages whose attachments were saved are marked as read
    max_message_mb: float = 200  # larger messages are listed, not downloaded


@dataclass(frozen=True)
class Mail:
    """SMTP delivery. The password is never stored here: only SCREENING_SMTP_PASSWORD or a prompt."""

    host: str = ""
    port: int = 465
    security: Literal["ssl", "starttls", "none"] = "ssl"
    user: str = ""
    sender: str = ""
    sender_name: str = ""
    leaders: tuple[str, ...] = ()
    health_centre: tuple[str, ...] = ()
    communities: dict[str, tuple[str, ...]] = field(default_factory=dict)  # community name -> addresses
    retries: int = 3
    retry_wait_seconds: float = 2.0
    encrypt_attachments: bool = False  # password from SCREENING_ATTACHMENT_PASSWORD, never stored
    timeout_seconds: float = 30.0
    fetch: MailFetch = MailFetch()


@dataclass(frozen=True)
class Quota:
    declared_total: int | None = None
    table_title: str = ""


@dataclass(frozen=True, kw_only=True)
class Organisation:
    root: str = rule("本单位辖区的名称（花名册模板标题等处使用）", '"某某街道"')
    levels: tuple[str, ...] = rule(
        "各级的称呼，从上到下（用于“全街道”“各社区”等说法；县级如 [\"县\", \"乡镇\", \"村（社区）\"]）",
        '["街道", "社区"]',
    )
    region_code: str = rule("本地6位行政区划代码（身份证号前6位，模板中的示例身份证号使用）", '"411328"')


@dataclass(frozen=True)
class Community:
    name: str
    quota_nt: float
    quota_serum: float
    weekly_nt: float
    weekly_serum: float
    short: str = ""
    parent: str = ""
    variants: tuple[str, ...] = ()
    leader: str = ""

    @property
    def key(self) -> str:
        """The community's path in the organisation (unique; names repeat only across parents)."""
        return f"{self.parent}/{self.name}" if self.parent else self.name

    def quota(self, test: str) -> float:
        return float(getattr(self, f"quota_{test}"))

    def weekly(self, test: str) -> float:
        return float(getattr(self, f"weekly_{test}"))


@dataclass(frozen=True)
class Person:
    name: str
    title: str = ""
    role: str = ""


@dataclass(frozen=True, kw_only=True)
class Directory:
    head: Person | None = None
    deputy: Person | None = None
    office_head: Person | None = None
    members: tuple[Person, ...] = ()
    health_centre: str = rule("承担筛查的医疗机构全称（邮件等处使用）", '"某某社区卫生服务中心"')
    health_centre_short: str = rule(
        "该机构的简称（文件名、工作表和文字中使用，如“卫生院”“卫生服务中心”）", '"卫生服务中心"'
    )


@dataclass(frozen=True, kw_only=True)
class Columns:
    """The header words (aliases) of every column the reader knows: every list is required, since a
    config without them would read nothing and "succeed" with an all-zero circular."""

    community: tuple[str, ...] = rule("社区（村）名称列的表头名称", '["社区", "社区名称", "所属社区", "村"]')
    # The parent of the community (乡镇 in a county's organisation): community names repeat across
    # parents, so a row's community is resolved within its parent. Only a county's config needs it.
    township: tuple[str, ...] = ()
    name: tuple[str, ...] = rule("孕妇姓名列的表头名称", '["姓名", "孕妇姓名"]')
    id: tuple[str, ...] = rule("身份证号列的表头名称", '["身份证号", "身份证号码", "证件号码"]')
    phone: tuple[str, ...] = rule("联系电话列的表头名称", '["联系电话", "电话", "手机号"]')
    lmp: tuple[str, ...] = rule("末次月经列的表头名称", '["末次月经", "末次月经时间"]')
    edd: tuple[str, ...] = rule("预产期列的表头名称", '["预产期"]')
    gest_weeks: tuple[str, ...] = rule("孕周列的表头名称", '["孕周", "登记孕周"]')
    reg_date: tuple[str, ...] = rule("登记日期列的表头名称", '["登记日期", "建档日期"]')
    address: tuple[str, ...] = rule("住址列的表头名称", '["住址", "现住址"]')
    residence: tuple[str, ...] = rule("户籍类型（常住/流动）列的表头名称", '["户籍类型", "人口类型"]')
    test: tuple[str, ...] = rule("筛查项目列（筛查登记中写明 NT 或血清学）的表头名称", '["筛查项目", "检查项目"]')
    screen_date: tuple[str, ...] = rule("筛查日期列的表头名称", '["筛查日期", "检查日期", "采血日期"]')
    result: tuple[str, ...] = rule("筛查结果列的表头名称", '["筛查结果", "结果"]')
    report_date: tuple[str, ...] = rule("花名册填报日期列的表头名称", '["填报日期", "上报日期"]')
    self_nt: tuple[str, ...] = rule("花名册中自报已做NT筛查的列的表头名称", '["是否NT筛查", "NT筛查日期"]')
    self_serum: tuple[str, ...] = rule("花名册中自报已做血清学筛查的列的表头名称", '["是否血清学筛查", "血清学筛查日期"]')
    quota_nt: tuple[str, ...] = rule("任务分配表中超声NT筛查任务的列的表头名称", '["超声NT筛查", "NT筛查任务"]')
    quota_serum: tuple[str, ...] = rule("任务分配表中血清学筛查任务的列的表头名称", '["血清学筛查", "血清学筛查任务"]')
    annual: tuple[str, ...] = rule("任务分配表中全年任务数的列的表头名称", '["应完成人数", "年度任务"]')
    weekly: tuple[str, ...] = rule("任务分配表中每周任务数的列的表头名称", '["每周应完成人数", "周任务"]')
    register_kind: tuple[str, ...] = rule("办事处登记中登记类型的列的表头名称", '["登记类型"]')
    reason: tuple[str, ...] = rule("办事处登记中销号原因的列的表头名称", '["销号原因"]')
    event_date: tuple[str, ...] = rule("办事处登记中日期的列的表头名称", '["日期", "销号日期"]')
    merge_id: tuple[str, ...] = rule("办事处登记中“合并到身份证号”的列的表头名称", '["合并到身份证号"]')
    merge_name: tuple[str, ...] = rule("办事处登记中“合并到姓名”的列的表头名称", '["合并到姓名"]')
    diagnosis: tuple[str, ...] = rule("办事处登记中产前诊断结果的列的表头名称", '["产前诊断结果"]')
    note: tuple[str, ...] = rule("备注列的表头名称", '["备注"]')
    serial: tuple[str, ...] = rule("序号列的表头名称", '["序号"]')


@dataclass(frozen=True)
class TestWords:
    nt: tuple[str, ...] = ("超声NT", "NT")
    serum: tuple[str, ...] = ("血清学", "唐筛")
    high_risk: tuple[str, ...] = ("高风险", "临界风险")


@dataclass(frozen=True, kw_only=True)
class Settings:
    programme: Programme = rule("项目和实施方案（[programme] 一节）")
    rosters: Rosters = rule("花名册报送（[rosters] 一节）")
    rewards: Rewards = rule("奖惩兑现（[rewards] 一节）")
    communities: tuple[Community, ...] = rule("社区及其任务数（[[communities]]，每个社区一节）")
    cadence: Cadences = rule("汇总、排序和通报的周期（[cadence] 一节）")
    ranking: Ranking = rule("排名、工作落后和处理措施（[ranking] 一节）")
    organisation: Organisation = rule("本单位辖区和各级称呼（[organisation] 一节）")
    directory: Directory = rule("领导小组名单和承担筛查的医疗机构（[directory] 一节）")
    columns: Columns = rule("各列表头的名称（[columns] 一节）；没有它什么也读不到")
    windows: Windows = Windows()
    followup: Followup = Followup()
    spot_check: SpotCheck = SpotCheck()
    privacy: Privacy = Privacy()
    outputs: Outputs = Outputs()
    limits: Limits = Limits()
    archive: ArchiveSettings = ArchiveSettings()
    mail: Mail = Mail()
    quota: Quota = Quota()
    tests: TestWords = TestWords()
    # Where each key was set: "section.key" -> line number in the config file (for 口径说明).
    source: str = ""
    lines: dict[str, int] = field(default_factory=dict)
    # Community key -> the name people read (:func:`display_names`), computed from the communities;
    # a copy holding some of them only (a township's workbook) keeps the whole organisation's names.
    display: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not all(c.key in self.display for c in self.communities):
            object.__setattr__(self, "display", display_names(self.communities))

    def display_name(self, key: str) -> str:
        """The name people read for a community key (the key itself when it is not configured)."""
        return self.display.get(key, key)

    def community(self, key: str) -> Community:
        for c in self.communities:
            if c.key == key:
                return c
        raise KeyError(key)

    @property
    def community_keys(self) -> list[str]:
        return [c.key for c in self.communities]


def display_names(communities: Iterable[Community]) -> dict[str, str]:
    """Each community's shortest unambiguous name, by key: the last segments of its path
    (parents, then its name), as few as make it unique in the organisation, written together
    ("平安县/城关镇/王庄村" -> "城关镇王庄村" when 李店镇 has a 王庄村 too, "东关社区" when no other
    township has one). In a flat organisation every name is itself."""
    paths = {c.key: (*(p for p in c.parent.split("/") if p), c.name) for c in communities}
    # How many communities end in each tail (one segment, two, ...): linear in the communities.
    tails = Counter(path[-n:] for path in paths.values() for n in range(1, len(path) + 1))
    out = {}
    for key, path in paths.items():
        n = next((n for n in range(1, len(path) + 1) if tails[path[-n:]] == 1), len(path))
        out[key] = "".join(path[-n:])
    return out


_WEEKS = re.compile(r"^\s*(\d{1,2})\s*\+\s*([0-6])\s*$")


def weeks_to_days(text: str) -> int:
    """``"13+6"`` (weeks+days) -> 97."""
    m = _WEEKS.match(text)
    if not m:
        raise ValueError(text)
    return int(m.group(1)) * 7 + int(m.group(2))


# The ranges of the numeric keys, inclusive (a lower bound in ``_ABOVE`` is exclusive): a zero or
# negative limit, a negative quota or an absurd 1e308 would otherwise pass and break a run later.
_MILLION = 1_000_000
_RANGES: dict[tuple[type, str], tuple[float, float]] = {
    (Programme, "goal"): (0, _MILLION),
    (Programme, "subsidy_per_case"): (0, _MILLION),
    (Windows, "edd_to_lmp_days"): (240, 300),
    (Cadence, "every"): (1, 366),
    (Rosters, "reminder_days_before"): (0, 31),
    (Ranking, "lagging_count"): (0, 10_000),
    (Rewards, "per_case"): (0, _MILLION),
    (Rewards, "specialist"): (0, _MILLION),
    (Rewards, "year_end_reward"): (0, _MILLION),
    (Rewards, "year_end_fine"): (0, _MILLION),
    (Followup, "opening_within_days"): (0, 366),
    (SpotCheck, "size"): (0, _MILLION),
    (SpotCheck, "seed"): (0, 2**63 - 1),
    (Limits, "max_file_mb"): (0, 1_000_000),
    (Limits, "max_uncompressed_mb"): (0, 10_000_000),
    (Limits, "max_compression_ratio"): (1, 1_000_000),
    (Limits, "max_sheets"): (1, 100_000),
    (Limits, "max_cells"): (1, 10**10),
    (Limits, "max_csv_line_chars"): (100, 10**9),
    (Mail, "port"): (1, 65_535),
    (Mail, "retries"): (0, 100),
    (Mail, "retry_wait_seconds"): (0, 3600),
    (Mail, "timeout_seconds"): (0, 3600),
    (Quota, "declared_total"): (0, 100 * _MILLION),
    (Community, "quota_nt"): (0, _MILLION),
    (Community, "quota_serum"): (0, _MILLION),
    (Community, "weekly_nt"): (0, _MILLION),
    (Community, "weekly_serum"): (0, _MILLION),
}
_ABOVE = {(Limits, "max_file_mb"), (Limits, "max_uncompressed_mb"), (Mail, "timeout_seconds")}


def _check_range(cls: Any, name: str, value: Any, key: str) -> None:
    bounds = _RANGES.get((cls, name))
    if bounds is None or value is None:
        return
    lo, hi = bounds
    above = (cls, name) in _ABOVE
    if (value <= lo if above else value < lo) or value > hi:
        low = f"大于 {lo:g}" if above else f"不小于 {lo:g}"
        raise SettingsError(f"配置项 {key} 应{low}、不大于 {hi:g}，现为 {value!r}。")


def _validate(s: Settings) -> None:
    """Checks across keys that types alone cannot express; the first failure raises."""
    for check in (_validate_programme, _validate_windows, _validate_communities, _validate_cadences,
                   _validate_ranking, _validate_mail_fetch, _validate_organisation, _validate_outputs):
        check(s)


def _validate_programme(s: Settings) -> None:
    p = s.programme
    if p.start > p.end:
        raise SettingsError(f"配置项 programme.start ({p.start}) 晚于 programme.end ({p.end})。")
    for key in ("count_from", "assess_from", *(("subsidy_to",) if p.subsidy else ())):
        value = getattr(p, key)
        if not (dt.date(p.start.year - 1, 1, 1) <= value <= p.end):
            raise SettingsError(f"配置项 programme.{key} ({value}) 不在项目期间 {p.start} 至 {p.end} 附近。")
    if p.subsidy and p.subsidy_from is not None and p.subsidy_to is not None and p.subsidy_from > p.subsidy_to:
        raise SettingsError("配置项 programme.subsidy_from 晚于 programme.subsidy_to。")


def _validate_windows(s: Settings) -> None:
    for test in TESTS:
        try:
            lo, hi = s.windows.days(test)
        except ValueError as exc:
            raise SettingsError(
                f"配置项 windows.{test}_from/{test}_to 的值 {exc} 格式不对，应写成“周+天”，如 \"11+0\"。"
            ) from None
        if lo > hi:
            raise SettingsError(f"配置项 windows.{test}_from 晚于 windows.{test}_to。")


def _validate_communities(s: Settings) -> None:
    if not s.communities:
        raise SettingsError("配置中没有社区（[[communities]]）。")
    keys = [c.key for c in s.communities]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        raise SettingsError(f"社区 {dupes[0]} 在配置中出现了两次（同一上级下社区名称须唯一）。")
    for i, c in enumerate(s.communities, start=1):
        for test in TESTS:
            if c.quota(test) < 0 or c.weekly(test) < 0:
                raise SettingsError(f"配置项 communities[{i}]（{c.name}）的任务数不能为负数。")


def _validate_cadences(s: Settings) -> None:
    for name, cad in (("summary", s.cadence.summary), ("ranking", s.cadence.ranking), ("circular", s.cadence.circular)):
        if cad.kind == "days" and cad.every < 1:
            raise SettingsError(
                f"配置项 cadence.{name}.every 应为正整数（kind = \"days\" 时必填，每几天为一期），如 {name} = {{ kind = \"days\", every = 3 }}。"
            )
        if cad.kind == "weekday" and not 1 <= cad.weekday <= 7:
            raise SettingsError(
                f"配置项 cadence.{name}.weekday 应为 1（周一）到 7（周日）（kind = \"weekday\" 时必填，每周以星期几为期末）。"
            )
        if cad.kind == "month_days" and (not cad.ends or any(not 1 <= d <= 31 for d in cad.ends)):
            raise SettingsError(
                f"配置项 cadence.{name}.ends 应为 1 到 31 之间的日期列表（kind = \"month_days\" 时必填，每月哪几天为期末，"
                "31 为月底），如 ends = [15, 31]。"
            )
    if not 0 <= s.cadence.min_period_days <= 366:
        raise SettingsError("配置项 cadence.min_period_days 应为 0 到 366 之间的天数（0 = 首期不合并）。")
    if any(not 1 <= d <= 31 for d in s.rosters.update_days):
        raise SettingsError("配置项 rosters.update_days 应为 1 到 31 之间的日期列表。")
    if not 200 <= s.followup.past_term_days <= 320:
        raise SettingsError("配置项 followup.past_term_days 应为 200 到 320 之间的天数（默认 294，即孕42周）。")


def _validate_ranking(s: Settings) -> None:
    for key, text in s.ranking.stage_miss_texts.items():
        if not key.isdigit() or int(key) < 1:
            raise SettingsError(f"配置项 ranking.stage_miss_texts 的键 {key!r} 应为连续次数（正整数）。")
        if not text:
            raise SettingsError(f"配置项 ranking.stage_miss_texts.{key} 不能为空。")
    if s.ranking.lagging_count < 0:
        raise SettingsError("配置项 ranking.lagging_count 不能为负数。")


def _validate_mail_fetch(s: Settings) -> None:
    f = s.mail.fetch
    if not 1 <= f.port <= 65535:
        raise SettingsError(f"配置项 mail.fetch.port ({f.port}) 应为 1 到 65535 之间的端口号（IMAP 通常为 993 或 143）。")
    if not f.folder.strip():
        raise SettingsError("配置项 mail.fetch.folder 不能为空（收件箱一般为 \"INBOX\"）。")
    if f.max_message_mb <= 0:
        raise SettingsError("配置项 mail.fetch.max_message_mb 应为正数（单位 MB）。")


def _validate_organisation(s: Settings) -> None:
    if not s.organisation.levels or not all(s.organisation.levels):
        raise SettingsError('配置项 organisation.levels 应列出各级的称呼，如 ["街道", "社区"]。')
    if not re.fullmatch(r"\d{6}", s.organisation.region_code):
        raise SettingsError(
            f"配置项 organisation.region_code 应为6位数字的行政区划代码（身份证号的前6位），现为 {s.organisation.region_code!r}。"
        )


def _validate_outputs(s: Settings) -> None:
    if s.outputs.unit_level == "township" and not all(c.parent for c in s.communities):
        raise SettingsError(
            "配置项 outputs.unit_level = \"township\" 需要每个社区都写明上级（[[communities]] 的 parent，如 "
            "parent = \"城关镇\"）；没有上级时请用 \"community\"。"
        )


def load_settings(path: str | Path) -> Settings:
    """Read and validate a config file; raise :class:`SettingsError` with a Chinese message."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SettingsError(f"找不到配置文件 {path}。请在项目目录中运行，或用 --config 指定配置文件。") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"无法读取配置文件 {path}: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"配置文件 {path} 格式错误（TOML）: {exc}。常见原因：引号不成对、日期写错（应为 2020-04-10）。") from None
    try:
        settings = build(Settings, data, "", _check_range)
    except ValueError as exc:  # e.g. an impossible date that TOML itself accepts nowhere
        raise SettingsError(f"配置文件 {path} 有错误: {exc}") from None
    settings = dataclasses.replace(settings, source=str(path), lines=key_lines(text))
    _validate(settings)
    return settings


def settings_rows(s: Settings) -> list[tuple[str, str, str]]:
    """Flatten the settings in force into (key, value, source) rows for the 口径说明 sheet. The
    email settings are left out: they decide who receives what, not how a figure is computed, and the
    sheet travels in every community's workbook (no community should read the others' addresses)."""
    rows: list[tuple[str, str, str]] = []

    def where(section: str, key: str) -> str:
        line = s.lines.get(f"{section}.{key}" if section else key) or s.lines.get(section)
        return f"{Path(s.source).name} 第{line}行" if line else "默认值"

    def emit(section: str, obj: Any) -> None:
        for f in dataclasses.fields(obj):
            switch = f.metadata.get("when")
            if switch and not getattr(obj, switch):
                continue  # a rule of a part of the plan switched off: not in force
            value = getattr(obj, f.name)
            label = f"{section}.{f.name}" if section else f.name
            if dataclasses.is_dataclass(value) and not isinstance(value, type):
                emit(label, value)
            elif isinstance(value, tuple) and value and dataclasses.is_dataclass(value[0]):
                for i, item in enumerate(value, start=1):
                    emit(f"{label}[{i}]", item)
            else:
                rows.append((label, _fmt(value), where(section, f.name)))

    for f in dataclasses.fields(s):
        if f.name in ("source", "lines", "display", "mail"):
            continue
        value = getattr(s, f.name)
        if f.name == "communities":
            for i, c in enumerate(value, start=1):
                emit(f"communities[{i}]", c)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            emit(f.name, value)
    return rows


def _fmt(value: Any) -> str:
    if value is None:
        return "（未设置）"
    if isinstance(value, tuple):
        return "、".join(_fmt(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)
