"""Programme settings: one typed, validated object loaded from ``config.toml``.

Every interpretation of the seed lives here, so that a different office (or a different reading
of the same plan) changes the config, not the code. Validation errors name the key in Chinese.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import tomllib
import types
import typing
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

TestKind = Literal["nt", "serum"]
TESTS: tuple[TestKind, ...] = ("nt", "serum")
TEST_LABELS: dict[str, str] = {"nt": "超声NT筛查", "serum": "血清学筛查"}


class ScreeningError(Exception):
    """A problem worded for the office user (Chinese): the CLI prints it as one line and exits
    with ``exit_code`` (2: the run could not start; 1: a command could not do what was asked)."""

    exit_code = 1


class SettingsError(ScreeningError):
    """A config problem, worded for the office user (Chinese), naming the key."""

    exit_code = 2


@dataclass(frozen=True)
class Programme:
    name: str
    issuer: str
    start: dt.date
    end: dt.date
    goal: int
    count_from: dt.date
    assess_from: dt.date
    subsidy_from: dt.date
    subsidy_to: dt.date
    recipients: str = "各社区、直属单位"
    subsidy_per_case: float = 100
    subsidy_case: Literal["both", "each"] = "each"
    doc_number_prefix: str = ""
    hotline: str = ""


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
    kind: Literal["days", "weekday", "month_days"]
    every: int = 7
    weekday: int = 7
    ends: tuple[int, ...] = (15, 31)


@dataclass(frozen=True)
class Cadences:
    summary: Cadence = Cadence(kind="days", every=3)
    ranking: Cadence = Cadence(kind="days", every=7)
    circular: Cadence = Cadence(kind="month_days", ends=(15, 31))
    # A first circular period shorter than this (the half-month's 04-10..04-15, a 旬报's single
    # day) is merged into the next one: a streak must not start on a few days' figures.
    min_period_days: int = 10


@dataclass(frozen=True)
class Rosters:
    first_due: dt.date
    update_days: tuple[int, ...] = (8, 18, 28)
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


@dataclass(frozen=True)
class Ranking:
    rank_by: Literal["cumulative", "period"] = "cumulative"
    stage_target: StageTarget = "behind_and_slipping"
    lagging_count: int = 2
    lagging_texts: tuple[str, ...] = ("社区相关责任人表态发言", "社区党支部书记表态发言", "取消年底评先资格")
    stage_miss_texts: dict[str, str] = field(
        default_factory=lambda: {"2": "办事处主要领导约谈支书", "3": "交办事处纪工委问责"}
    )
    praise_text: str = "通报表扬"
    criticism_text: str = "通报批评"


@dataclass(frozen=True)
class Rewards:
    evaluations: tuple[dt.date, ...]
    year_end: dt.date
    case: Literal["both", "each"] = "both"
    per_case: float = 100
    specialist: float = 300
    year_end_reward: float = 3000
    year_end_reward_split: Literal["together", "each"] = "together"
    year_end_fine: float = 2000
    # What a quarterly evaluation reads: the standing at the evaluation date ("standing") or the
    # completions of the quarter just ended against that quarter's expected count ("quarter").
    evaluation_basis: Literal["standing", "quarter"] = "standing"


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


@dataclass(frozen=True)
class Organisation:
    root: str = ""
    levels: tuple[str, ...] = ("街道", "社区")


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


@dataclass(frozen=True)
class Directory:
    head: Person | None = None
    deputy: Person | None = None
    office_head: Person | None = None
    members: tuple[Person, ...] = ()
    health_centre: str = ""


@dataclass(frozen=True)
class Columns:
    community: tuple[str, ...] = ()
    # The parent of the community (乡镇 in a county's organisation): community names repeat across
    # parents, so a row's community is resolved within its parent.
    township: tuple[str, ...] = ()
    name: tuple[str, ...] = ()
    id: tuple[str, ...] = ()
    phone: tuple[str, ...] = ()
    lmp: tuple[str, ...] = ()
    edd: tuple[str, ...] = ()
    gest_weeks: tuple[str, ...] = ()
    reg_date: tuple[str, ...] = ()
    address: tuple[str, ...] = ()
    residence: tuple[str, ...] = ()
    test: tuple[str, ...] = ()
    screen_date: tuple[str, ...] = ()
    result: tuple[str, ...] = ()
    report_date: tuple[str, ...] = ()
    self_nt: tuple[str, ...] = ()
    self_serum: tuple[str, ...] = ()
    quota_nt: tuple[str, ...] = ()
    quota_serum: tuple[str, ...] = ()
    annual: tuple[str, ...] = ()
    weekly: tuple[str, ...] = ()
    register_kind: tuple[str, ...] = ()
    reason: tuple[str, ...] = ()
    event_date: tuple[str, ...] = ()
    merge_id: tuple[str, ...] = ()
    merge_name: tuple[str, ...] = ()
    diagnosis: tuple[str, ...] = ()
    note: tuple[str, ...] = ()
    serial: tuple[str, ...] = ()


@dataclass(frozen=True)
class TestWords:
    nt: tuple[str, ...] = ("超声NT", "NT")
    serum: tuple[str, ...] = ("血清学", "唐筛")
    high_risk: tuple[str, ...] = ("高风险", "临界风险")


@dataclass(frozen=True)
class Settings:
    programme: Programme
    rosters: Rosters
    rewards: Rewards
    communities: tuple[Community, ...]
    windows: Windows = Windows()
    cadence: Cadences = Cadences()
    ranking: Ranking = Ranking()
    followup: Followup = Followup()
    spot_check: SpotCheck = SpotCheck()
    privacy: Privacy = Privacy()
    limits: Limits = Limits()
    archive: ArchiveSettings = ArchiveSettings()
    mail: Mail = Mail()
    quota: Quota = Quota()
    organisation: Organisation = Organisation()
    directory: Directory = Directory()
    columns: Columns = Columns()
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


# ---------------------------------------------------------------------------------------------
# Generic, strict conversion of TOML data into the dataclasses above.

_TYPE_NAMES = {str: "文本", int: "整数", float: "数字", bool: "true/false", dt.date: "日期(如 2020-04-10)"}


def _describe(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return "其中之一: " + " / ".join(f'"{a}"' for a in typing.get_args(tp))
    if origin in (tuple, list):
        return "列表"
    if origin is dict:
        return "表(键 = 值)"
    if dataclasses.is_dataclass(tp):
        return "表"
    return _TYPE_NAMES.get(tp, str(tp))


def _wrong_type(tp: Any, value: Any, key: str) -> SettingsError:
    return SettingsError(f"配置项 {key} 应为{_describe(tp)}，现为 {value!r}。")


def _convert(tp: Any, value: Any, key: str) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (types.UnionType, typing.Union):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _convert(inner[0], value, key)
    if origin is Literal:
        if value not in args:
            raise SettingsError(f"配置项 {key} 的值 {value!r} 不在允许范围内，应为{_describe(tp)}。")
        return value
    if origin in (tuple, dict) or dataclasses.is_dataclass(tp):
        return _convert_container(tp, value, key)
    return _convert_scalar(tp, value, key)


def _convert_container(tp: Any, value: Any, key: str) -> Any:
    """A list (-> tuple), a table (-> dict) or a sub-table (-> a settings dataclass)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is tuple:
        if not isinstance(value, list):
            raise _wrong_type(tp, value, key)
        return tuple(_convert(args[0], v, f"{key}[{i + 1}]") for i, v in enumerate(value))
    if not isinstance(value, dict):
        raise _wrong_type(tp, value, key)
    if origin is dict:
        return {str(k): _convert(args[1], v, f"{key}.{k}") for k, v in value.items()}
    return _build(tp, value, key)


def _convert_scalar(tp: Any, value: Any, key: str) -> Any:
    """Text, numbers, true/false and dates: TOML's own types, checked strictly (no bool for a number,
    no date-time for a date)."""
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _wrong_type(tp, value, key)
        return float(value)
    if tp is dt.date:
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            raise _wrong_type(tp, value, key)
        return value
    if (tp is int and isinstance(value, bool)) or not isinstance(value, tp):
        raise _wrong_type(tp, value, key)
    return value


def _build(cls: Any, data: dict[str, Any], prefix: str) -> Any:
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name not in ("source", "lines", "display")}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        where = f"{prefix}." if prefix else ""
        raise SettingsError(
            f"配置项 {where}{unknown[0]} 无法识别（可能是拼写错误）。可用的配置项: {', '.join(fields)}。"
        )
    kwargs = {}
    for name, f in fields.items():
        key = f"{prefix}.{name}" if prefix else name
        if name in data:
            kwargs[name] = _convert(hints[name], data[name], key)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise SettingsError(f"缺少必填配置项 {key}。")
    return cls(**kwargs)


def _key_lines(text: str) -> dict[str, int]:
    """Map "section.key" to the line where it is set (first occurrence), for 口径说明."""
    lines: dict[str, int] = {}
    section = ""
    counts: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        m = re.match(r"^\[\[\s*([^\]]+?)\s*\]\]", stripped)
        if m:
            counts[m.group(1)] = counts.get(m.group(1), 0) + 1
            section = f"{m.group(1)}[{counts[m.group(1)]}]"
            lines.setdefault(section, number)
            continue
        m = re.match(r"^\[\s*([^\]]+?)\s*\]", stripped)
        if m:
            section = m.group(1)
            lines.setdefault(section, number)
            continue
        m = re.match(r"^([A-Za-z0-9_\"]+)\s*=", stripped)
        if m:
            key = m.group(1).strip('"')
            lines.setdefault(f"{section}.{key}" if section else key, number)
    return lines


def _validate(s: Settings) -> None:
    """Checks across keys that types alone cannot express; the first failure raises."""
    for check in (_validate_programme, _validate_windows, _validate_communities, _validate_cadences,
                  _validate_ranking, _validate_mail_fetch):
        check(s)


def _validate_programme(s: Settings) -> None:
    p = s.programme
    if p.start > p.end:
        raise SettingsError(f"配置项 programme.start ({p.start}) 晚于 programme.end ({p.end})。")
    for key in ("count_from", "assess_from", "subsidy_to"):
        value = getattr(p, key)
        if not (dt.date(p.start.year - 1, 1, 1) <= value <= p.end):
            raise SettingsError(f"配置项 programme.{key} ({value}) 不在项目期间 {p.start} 至 {p.end} 附近。")
    if p.subsidy_from > p.subsidy_to:
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
            raise SettingsError(f"配置项 cadence.{name}.every 应为正整数。")
        if cad.kind == "weekday" and not 1 <= cad.weekday <= 7:
            raise SettingsError(f"配置项 cadence.{name}.weekday 应为 1（周一）到 7（周日）。")
        if cad.kind == "month_days" and (not cad.ends or any(not 1 <= d <= 31 for d in cad.ends)):
            raise SettingsError(f"配置项 cadence.{name}.ends 应为 1 到 31 之间的日期列表。")
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
        settings = _build(Settings, data, "")
    except ValueError as exc:  # e.g. an impossible date that TOML itself accepts nowhere
        raise SettingsError(f"配置文件 {path} 有错误: {exc}") from None
    settings = dataclasses.replace(settings, source=str(path), lines=_key_lines(text))
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


def _cadence_note(cad: Cadence) -> str:
    if cad.kind == "days":
        return f"每 {cad.every} 天为一期"
    if cad.kind == "weekday":
        return f"每周以星期{'一二三四五六日'[cad.weekday - 1]}为期末"
    return "每月" + "、".join("月底" if d >= 31 else f"{d}日" for d in cad.ends) + "为期末"


def _people_notes(settings: Settings) -> list[tuple[str, str]]:
    """How women are counted and listed: 漏报 and 待核实, missed windows, the programme's bounds,
    零报告 (for the 口径说明 sheet)."""
    p, f = settings.programme, settings.followup
    missing = (
        "筛查后已到花名册上报日仍未列入的为漏报，尚未到上报日的为待核实（不计为漏报）"
        if settings.rosters.missing_from == "next_due"
        else "一经发现即为漏报"
    )
    return [
        ("漏报", f"卫生院有筛查记录、不在任何社区花名册上的孕妇，按登记的社区或住址计入该社区；{missing}。"),
        ("人数", "通报、汇总和各表中的“人”均为不重复的孕妇人数（同一孕妇两项筛查或多行记录只计一人）。"),
        ("错过窗口期", f"窗口期已过仍未筛查的孕妇列入随访督促名单并注明能否补筛：超过末次月经后 {f.past_term_days} 天、已不在本社区最新花名册上、列入花名册时窗口期已过的，不可补筛；通报中只统计可补筛的人数。已销号的不列入名单。"),
        ("项目期外", f"{p.end} 以后（或 {p.subsidy_from} 以前）的筛查不计入任务，在“漏报与冲突”中列为项目期外；统计截止日期晚于 {p.end} 时，进度按 {p.end} 计算。"),
        ("零报告", "注明填报日期、没有人员的花名册（零报告）视为一次上报（按应报日判断是否按时），不减少已列入的孕妇。"),
    ]


def seed_notes(settings: Settings) -> list[tuple[str, str]]:
    """How each rule of the plan is treated, for the 口径说明 sheet: including the ones the tool
    deliberately does not compute, so nobody mistakes silence for a zero."""
    p, r, rw = settings.programme, settings.ranking, settings.rewards
    nt_lo, nt_hi = settings.windows.nt_from, settings.windows.nt_to
    se_lo, se_hi = settings.windows.serum_from, settings.windows.serum_to
    return [
        ("目标任务", f"方案目标 {p.goal} 人；各社区任务数以任务分配表为准（表中合计与目标不一致时只提示，不自行取舍）。"),
        ("计入起点", f"{p.count_from} 起完成的筛查计入任务；{p.subsidy_from} 至 {p.subsidy_to} 完成的不计入任务，列入补助名单（方案称“1—3月已完成的数量”），每例 {p.subsidy_per_case:g} 元（{'每项筛查为一例' if p.subsidy_case == 'each' else '两项均完成为一例'}）。"),
        ("序时进度", f"应完成数 = 每周任务数 × 自 {p.assess_from} 起（含当日）的天数 ÷ 7，不超过年度任务数。"),
        ("筛查时间窗", f"超声NT {nt_lo} 至 {nt_hi} 周，血清学 {se_lo} 至 {se_hi} 周（按末次月经；只有预产期时按预产期前 {settings.windows.edd_to_lmp_days} 天推算）。窗口外的筛查照常计入并标注。"),
        ("同一孕妇", "以身份证号识别；无身份证号时按姓名+电话；每人每项只计一次，以最早的筛查日期为准。"),
        ("排名", f"按{'累计' if r.rank_by == 'cumulative' else '本期'}两项合计完成率排序，并列同名次；尚无应完成数时不排名。"),
        ("达到序时进度", "社区期末两项合计累计完成数不低于两项合计累计应完成数（综合完成率≥100%，即排名所用的口径）为达到序时进度。达到者在该期不列为工作落后、不作阶段性目标未完成、不通报批评、不受任何处理，无论下列口径如何设定。"),
        ("通报期", f"{_cadence_note(settings.cadence.circular)}，首期自 {p.assess_from} 起；首期因起始日被截短（短于下一期）且不足 {settings.cadence.min_period_days} 天的，并入下一期，直至满 {settings.cadence.min_period_days} 天（cadence.min_period_days，0 = 不合并；只适用于通报期，周排序和三日汇总不合并）。"),
        ("落后社区", f"每期排名最后 {r.lagging_count} 名（并列者一并列入；达到序时进度的社区不列入）：" + "；".join(f"连续{i + 1}次：{t}" for i, t in enumerate(r.lagging_texts)) + "；取消评先资格持续到年底（以后各期标注“（延续）”，不属于该期新的处理）。"),
        ("阶段性目标", f"方案未规定阶段性目标任务的口径，现按“{STAGE_TARGET_LABELS[r.stage_target]}”（ranking.stage_target = {r.stage_target}）：{STAGE_TARGET_RULES[r.stage_target]}。" + "；".join(f"连续{k}次未完成：{v}" for k, v in sorted(r.stage_miss_texts.items(), key=lambda kv: int(kv[0]))) + "。方案中“长期工作滞后”按连续未完成阶段性目标处理。可选口径：" + "；".join(f"{k}（{STAGE_TARGET_LABELS[k]}）：{STAGE_TARGET_RULES[k]}{STAGE_TARGET_NOTES.get(k, '')}" for k in STAGE_TARGET_LABELS) + "。各口径在示范数据上的结果对比见 docs/readings.md。"),
        ("通报表扬/批评", f"工作落后的社区和未完成阶段性目标的社区予以{r.criticism_text}；达到序时进度的社区予以{r.praise_text}；两者都不是的社区不表扬也不批评。"),
        ("季度奖惩", f"评比日 {'、'.join(str(d) for d in rw.evaluations)}：" + ("按评比日的累计进度评定（rewards.evaluation_basis = standing）：两项累计完成数均达到序时进度的社区" if rw.evaluation_basis == "standing" else "按刚结束的季度评定（rewards.evaluation_basis = quarter）：季度内两项完成数均达到该季度应完成数的社区") + f"，上次评比后完成的每例 {rw.per_case:g} 元（{'两项均完成的孕妇为一例' if rw.case == 'both' else '每项筛查为一例'}），另奖励专干 {rw.specialist:g} 元。另一口径：" + ("按刚结束的季度评定（quarter）。" if rw.evaluation_basis == "standing" else "按评比日的累计进度评定（standing）。")),
        ("年终奖惩", f"{rw.year_end}：两项均完成年度任务的社区奖励支书和专干{'共' if rw.year_end_reward_split == 'together' else '各'} {rw.year_end_reward:g} 元；未完成的罚社区 {rw.year_end_fine:g} 元。"),
        ("绩效工资浮动制", "方案要求对社区支书、妇女主任或计生专干实行绩效工资浮动制，但未给出金额或办法：本工具不计算，仅在此列明。"),
        ("纸质花名册", "方案要求报送支部书记签字盖章的纸质花名册：在办事处登记中记为“纸质花名册”，于花名册上报情况中列出，不影响统计。"),
        *_people_notes(settings),
        ("随机抽查", f"督查组随机抽查名单（不发通知、不打招呼）：每个通报期另行抽取，每个社区 {settings.spot_check.size} 人，从最新花名册上未销号的孕妇中抽取（随机种子 {settings.spot_check.seed}，同样的数据和配置得到同样的名单）；只列在办事处汇总表和单独的督查抽查名单中，不发给社区。"),
        ("举报电话", f"{p.hotline}（办事处对外电话，不属于个人信息）。"),
    ]
