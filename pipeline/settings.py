"""Programme settings: one typed, validated object loaded from ``config.toml``.

Every interpretation of the seed lives here, so that a different office (or a different reading
of the same plan) changes the config, not the code. Validation errors name the key in Chinese.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
import tomllib
import types
import typing
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


@dataclass(frozen=True)
class Rosters:
    first_due: dt.date
    update_days: tuple[int, ...] = (8, 18, 28)
    conflict_assign: Literal["latest", "first"] = "latest"
    reminder_days_before: int = 2


@dataclass(frozen=True)
class Ranking:
    rank_by: Literal["cumulative", "period"] = "cumulative"
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


@dataclass(frozen=True)
class Followup:
    opening_within_days: int = 7


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

    def community(self, key: str) -> Community:
        for c in self.communities:
            if c.key == key:
                return c
        raise KeyError(key)

    @property
    def community_keys(self) -> list[str]:
        return [c.key for c in self.communities]


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
        if not math.isfinite(value):  # TOML accepts nan and inf
            raise SettingsError(f"配置项 {key} 应为一个确定的数字，现为 {value!r}（不能是 nan 或 inf）。")
        return float(value)
    if tp is dt.date:
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            raise _wrong_type(tp, value, key)
        return value
    if (tp is int and isinstance(value, bool)) or not isinstance(value, tp):
        raise _wrong_type(tp, value, key)
    return value


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


def _build(cls: Any, data: dict[str, Any], prefix: str) -> Any:
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name not in ("source", "lines")}
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
            _check_range(cls, name, kwargs[name], key)
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
                  _validate_ranking):
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
    if any(not 1 <= d <= 31 for d in s.rosters.update_days):
        raise SettingsError("配置项 rosters.update_days 应为 1 到 31 之间的日期列表。")


def _validate_ranking(s: Settings) -> None:
    for key, text in s.ranking.stage_miss_texts.items():
        if not key.isdigit() or int(key) < 1:
            raise SettingsError(f"配置项 ranking.stage_miss_texts 的键 {key!r} 应为连续次数（正整数）。")
        if not text:
            raise SettingsError(f"配置项 ranking.stage_miss_texts.{key} 不能为空。")
    if s.ranking.lagging_count < 0:
        raise SettingsError("配置项 ranking.lagging_count 不能为负数。")


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
    """Flatten the settings in force into (key, value, source) rows for the 口径说明 sheet."""
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
        if f.name in ("source", "lines"):
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


def seed_notes(settings: Settings) -> list[tuple[str, str]]:
    """How each rule of the plan is treated, for the 口径说明 sheet: including the ones the tool
    deliberately does not compute, so nobody mistakes silence for a zero."""
    p, r, rw = settings.programme, settings.ranking, settings.rewards
    nt_lo, nt_hi = settings.windows.nt_from, settings.windows.nt_to
    se_lo, se_hi = settings.windows.serum_from, settings.windows.serum_to
    return [
        ("目标任务", f"方案目标 {p.goal} 人；各社区任务数以任务分配表为准（表中合计与目标不一致时只提示，不自行取舍）。"),
        ("计入起点", f"{p.count_from} 起完成的筛查计入任务；{p.subsidy_from} 至 {p.subsidy_to} 完成的不计入任务，列入1-3月补助名单，每例 {p.subsidy_per_case:g} 元（{'每项筛查为一例' if p.subsidy_case == 'each' else '两项均完成为一例'}）。"),
        ("序时进度", f"应完成数 = 每周任务数 × 自 {p.assess_from} 起（含当日）的天数 ÷ 7，不超过年度任务数。"),
        ("筛查时间窗", f"超声NT {nt_lo} 至 {nt_hi} 周，血清学 {se_lo} 至 {se_hi} 周（按末次月经；只有预产期时按预产期前 {settings.windows.edd_to_lmp_days} 天推算）。窗口外的筛查照常计入并标注。"),
        ("同一孕妇", "以身份证号识别；无身份证号时按姓名+电话；每人每项只计一次，以最早的筛查日期为准。"),
        ("排名", f"按{'累计' if r.rank_by == 'cumulative' else '本期'}两项合计完成率排序，并列同名次；尚无应完成数时不排名。"),
        ("落后社区", f"每期排名最后 {r.lagging_count} 名（并列者一并列入；已达到序时进度的社区不列入）：" + "；".join(f"连续{i + 1}次：{t}" for i, t in enumerate(r.lagging_texts)) + "；取消评先资格持续到年底。"),
        ("阶段性目标", "每期末两项累计完成数均不低于应完成数为完成；" + "；".join(f"连续{k}次未完成：{v}" for k, v in sorted(r.stage_miss_texts.items())) + f"。完成者{r.praise_text}，未完成者{r.criticism_text}。方案中“长期工作滞后”按连续未完成阶段性目标处理。"),
        ("季度奖惩", f"评比日 {'、'.join(str(d) for d in rw.evaluations)}：两项均达到序时进度的社区，上次评比后完成的每例 {rw.per_case:g} 元（{'两项均完成的孕妇为一例' if rw.case == 'both' else '每项筛查为一例'}），另奖励专干 {rw.specialist:g} 元。"),
        ("年终奖惩", f"{rw.year_end}：两项均完成年度任务的社区奖励支书和专干{'共' if rw.year_end_reward_split == 'together' else '各'} {rw.year_end_reward:g} 元；未完成的罚社区 {rw.year_end_fine:g} 元。"),
        ("绩效工资浮动制", "方案要求对社区支书、妇女主任或计生专干实行绩效工资浮动制，但未给出金额或办法：本工具不计算，仅在此列明。"),
        ("纸质花名册", "方案要求报送支部书记签字盖章的纸质花名册：在办事处登记中记为“纸质花名册”，于花名册上报情况中列出，不影响统计。"),
        ("随机抽查", f"督查组随机抽查名单：每个社区 {settings.spot_check.size} 人，随机种子 {settings.spot_check.seed}（同样的数据和配置得到同样的名单）。"),
        ("举报电话", f"{p.hotline}（办事处对外电话，不属于个人信息）。"),
    ]
