"""A new office's ``config.toml`` from its answers (``screening init``).

The questions are a declarative list (:data:`QUESTIONS`): each is a command-line option of
``screening init`` (``--office``, ``--community``...) and, on a terminal, a prompt in Chinese. Every
question either must be answered or proposes a default derived from the answers before it (the
area from the office, the plan's title from the office and the year); whatever the answer, the
config written states every rule of the plan as an explicit, commented setting, so nothing is left
to a default hidden in code. Parts a plan may not have (the subsidy, quarterly and year-end money,
sanctions, paper rosters) are off unless asked for.

Pure: :func:`collect` takes the options given and an ``ask`` callback (the CLI's prompt, or None
where nobody can answer) and gives the answers; :func:`config_text` turns them into the file's
text. Reading and writing files is the CLI's.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pipeline.settings import (
    Cadences,
    Columns,
    Directory,
    Organisation,
    Programme,
    Ranking,
    Rewards,
    Rosters,
    ScreeningError,
)


class InitError(ScreeningError):
    """An answer that cannot be used, or a question nobody answered (Chinese, naming the option)."""

    exit_code = 2


# ----------------------------------------------------------------------------------------------
# Parsing answers


def parse_date(text: str) -> dt.date:
    """2021-02-01, 2021/2/1, 2021.2.1 or 2021年2月1日."""
    parts = re.split(r"[-/.年月日]\s*", text.strip().rstrip("日"))
    try:
        year, month, day = (int(p) for p in parts if p)
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"日期“{text}”无法识别，请写成 2021-03-01 的格式") from None


def parse_dates(text: str) -> tuple[dt.date, ...]:
    return tuple(parse_date(p) for p in _items(text))


def _items(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"[,，、;；\s]+", text) if p.strip()]


def parse_days(text: str) -> tuple[int, ...]:
    """Days of the month: "5,20" or "5日、20日"."""
    try:
        days = tuple(sorted({int(p.rstrip("日号")) for p in _items(text)}))
    except ValueError:
        raise ValueError(f"“{text}”应为每月的几号，如 5,20") from None
    if not days or any(not 1 <= d <= 31 for d in days):
        raise ValueError(f"“{text}”应为 1 到 31 之间的日期，如 5,20")
    return days


def parse_number(text: str) -> float:
    try:
        value = float(text.strip().rstrip("元人"))
    except ValueError:
        raise ValueError(f"“{text}”不是数字") from None
    if value < 0:
        raise ValueError(f"“{text}”不能为负数")
    return value


def parse_int(text: str) -> int:
    value = parse_number(text)
    if not value.is_integer():
        raise ValueError(f"“{text}”应为整数")
    return int(value)


def parse_bool(text: str | bool) -> bool:
    if isinstance(text, bool):
        return text
    word = text.strip().lower()
    if word in ("y", "yes", "true", "1", "是", "有", "要"):
        return True
    if word in ("n", "no", "false", "0", "否", "没有", "无", "不要"):
        return False
    raise ValueError(f"“{text}”请回答 是 或 否")


_NAMED_CADENCES: dict[str, dict[str, Any]] = {
    "半月": {"kind": "month_days", "ends": [15, 31]},
    "half-month": {"kind": "month_days", "ends": [15, 31]},
    "旬": {"kind": "month_days", "ends": [10, 20, 31]},
    "ten-day": {"kind": "month_days", "ends": [10, 20, 31]},
    "月": {"kind": "month_days", "ends": [31]},
    "month": {"kind": "month_days", "ends": [31]},
    "周": {"kind": "days", "every": 7},
    "week": {"kind": "days", "every": 7},
}
_WEEKDAYS = "一二三四五六日"


def parse_cadence(text: str) -> dict[str, Any]:
    """A cadence as people say it: 半月 (15th and month end), 旬 (10th, 20th, month end), 月, 周
    (7-day blocks from assess_from), 周一..周日 (weeks ending that day), 3天 (3-day blocks), or the
    days of the month periods end on (每月5日、20日 / 5,20)."""
    word = text.strip().lower().removeprefix("每").removesuffix("一期")
    if word in _NAMED_CADENCES:
        return dict(_NAMED_CADENCES[word])
    m = re.fullmatch(r"周([一二三四五六日天])", word)
    if m:
        return {"kind": "weekday", "weekday": _WEEKDAYS.index(m.group(1).replace("天", "日")) + 1}
    m = re.fullmatch(r"(\d+)\s*(天|d|days?)?", word)
    if m and int(m.group(1)) >= 1:
        return {"kind": "days", "every": int(m.group(1))}
    if word.startswith("月"):
        return {"kind": "month_days", "ends": list(parse_days(word[1:]))}
    raise ValueError(f"周期“{text}”无法识别，可写：半月、旬、月、周、周日、3天，或每月5日、20日")


@dataclass(frozen=True)
class CommunityAnswer:
    name: str
    quota_nt: float
    quota_serum: float
    weekly_nt: float
    weekly_serum: float
    leader: str = ""


def _pair(text: str) -> tuple[float, float]:
    """"72" (both tests) or "72/70" (NT/serum)."""
    first, _, second = text.partition("/")
    return parse_number(first), parse_number(second or first)


def parse_community(text: str) -> CommunityAnswer:
    """名称:全年任务数:每周任务数[:分包领导]; a number may be NT/血清学 ("72/70")."""
    parts = [p.strip() for p in re.split(r"[:：]", text)]
    if len(parts) not in (3, 4) or not parts[0]:
        raise ValueError(f"“{text}”应写成 名称:全年任务数:每周任务数[:分包领导]，如 东风社区:60:1.5:张三")
    quota, weekly = _pair(parts[1]), _pair(parts[2])
    return CommunityAnswer(parts[0], *quota, *weekly, leader=parts[3] if len(parts) == 4 else "")


def parse_person(text: str) -> dict[str, str]:
    """姓名[:职务]."""
    name, _, title = text.replace("：", ":").partition(":")
    if not name.strip():
        raise ValueError(f"“{text}”应写成 姓名:职务")
    return {"name": name.strip(), "title": title.strip()}


def parse_stage(text: str) -> tuple[str, str]:
    """次数=处理措施: "2=约谈社区党支部书记"."""
    count, sep, measure = text.partition("=")
    if not sep or not count.strip().isdigit() or not measure.strip():
        raise ValueError(f"“{text}”应写成 连续次数=处理措施，如 2=约谈社区党支部书记")
    return count.strip(), measure.strip()


def parse_code(text: str) -> str:
    code = text.strip()
    if not re.fullmatch(r"\d{6}", code):
        raise ValueError(f"“{text}”应为6位数字的行政区划代码（身份证号前6位）")
    return code


def _text(text: str) -> str:
    return text.strip()


# ----------------------------------------------------------------------------------------------
# The questions


Answers = dict[str, Any]


@dataclass(frozen=True)
class Question:
    """One answer ``screening init`` needs: the option ``--<key>`` and, on a terminal, a prompt.
    ``default`` proposes a value from the answers so far (None: it must be answered); ``needs``
    asks it only where the yes/no question it names was answered yes; ``multiple`` takes the option repeatedly (asked until an empty
    answer); ``flag`` is a yes/no (``--key/--no-key``)."""

    key: str
    prompt: str
    parse: Callable[[Any], Any] = _text
    default: Callable[[Answers], Any] | None = None
    needs: str = ""  # the yes/no question (its name) that must be answered yes for this one to apply
    multiple: bool = False
    flag: bool = False

    def when(self, answers: Answers) -> bool:
        return not self.needs or bool(answers.get(self.needs))

    @property
    def option(self) -> str:
        return f"--{self.key}"

    @property
    def name(self) -> str:
        """The answer's key (the option's Python name)."""
        return self.key.replace("-", "_")


def _area(office: str) -> str:
    """城东街道办事处 -> 城东街道 (the area the office serves)."""
    return re.sub(r"(街道)?(办事处|人民政府|政府)$", lambda m: m.group(1) or "", office) or office


def _short_centre(name: str) -> str:
    for word in ("社区卫生服务中心", "卫生服务中心", "卫生院", "妇幼保健院", "医院"):
        if name.endswith(word):
            return word.removeprefix("社区")
    return name


def _first_due(a: Answers) -> dt.date:
    """The first of the monthly due days on or after assessment starts."""
    day = a["assess_from"]
    for _ in range(62):
        if day.day in a["due_days"]:
            return day
        day += dt.timedelta(days=1)
    return a["assess_from"]


QUESTIONS: tuple[Question, ...] = (
    Question("office", "发文机关（本单位全称，如“城东街道办事处”）"),
    Question("area", "辖区名称（如“城东街道”）", default=lambda a: _area(a["office"])),
    Question("parent", "上级（如“平安县”；实施方案标题中使用，没有可留空）", default=lambda a: ""),
    Question("start", "项目开始日期（如 2021-02-01）", parse_date),
    Question("end", "项目结束日期", parse_date),
    Question("count-from", "从哪天起完成的筛查计入任务", parse_date, default=lambda a: a["start"]),
    Question("assess-from", "从哪天起考核（序时进度从这一天算起）", parse_date, default=lambda a: a["count_from"]),
    Question("plan-title", "实施方案标题（不加书名号）",
             default=lambda a: f"{a['parent']}{a['office']}{a['start'].year}年免费产前筛查工作实施方案"),
    Question("plan-number", "实施方案文号（如“东街文〔2021〕3号”；没有可留空）", default=lambda a: ""),
    Question("doc-prefix", "通报发文字号的前缀（如“东街文〔2021〕”）"),
    Question("levels", "各级称呼，从上到下，用逗号分开", lambda t: tuple(_items(t)), default=lambda a: ("街道", "社区")),
    Question("community", "社区（村）：名称:全年任务数:每周任务数[:分包领导]，如 东风社区:60:1.5:张三",
             parse_community, multiple=True),
    Question("goal", "方案目标任务（人）", parse_int,
             default=lambda a: int(round(sum(c.quota_nt for c in a["community"])))),
    Question("summary", "汇总周期（如 3天）", parse_cadence, default=lambda a: parse_cadence("3天")),
    Question("ranking", "排序周期（如 周）", parse_cadence, default=lambda a: parse_cadence("周")),
    Question("circular", "通报周期（半月、旬、月、周，或每月几日）", parse_cadence),
    Question("due-days", "花名册每月报送更新的日期（如 5,20）", parse_days),
    Question("first-due", "首次报送花名册的截止日期", parse_date, default=_first_due),
    Question("paper-roster", "另须报送的纸质花名册（如“社区党支部书记签字盖章的纸质花名册”；不要求可留空）",
             default=lambda a: ""),
    Question("health-centre", "承担筛查的医疗机构全称（如“城东社区卫生服务中心”）"),
    Question("health-centre-short", "该机构的简称（文件名和文字中使用）",
             default=lambda a: _short_centre(a["health_centre"])),
    Question("region-code", "本地6位行政区划代码（身份证号前6位）", parse_code),
    Question("head", "领导小组组长（姓名:职务；可留空）", default=lambda a: ""),
    Question("deputy", "领导小组副组长（姓名:职务；可留空）", default=lambda a: ""),
    Question("office-head", "办公室主任（姓名:职务；可留空）", default=lambda a: ""),
    Question("member", "领导小组成员（姓名:职务）", multiple=True, default=lambda a: ()),
    Question("hotline", "举报电话（通报中印出；可留空）", default=lambda a: ""),
    Question("lagging-count", "每期通报的工作落后社区个数", parse_int, default=lambda a: 2),
    Question("lagging-text", "工作落后一次、连续两次……的处理措施（依次填写）", multiple=True, default=lambda a: ()),
    Question("last-text-lasts", "最后一项处理措施是否持续到项目结束（如取消年底评先资格）", parse_bool, flag=True,
             default=lambda a: False, needs="lagging_text"),
    Question("stage-text", "连续几期未完成阶段性目标的处理措施（次数=措施，如 2=约谈社区党支部书记）", parse_stage,
             multiple=True, default=lambda a: ()),
    Question("praise-text", "完成阶段性目标任务的社区（不表扬可留空）", default=lambda a: "通报表扬"),
    Question("criticism-text", "未完成阶段性目标任务的社区（不批评可留空）", default=lambda a: "通报批评"),
    Question("subsidy", "方案是否对计入起点前完成的筛查另行补助", parse_bool, flag=True, default=lambda a: False),
    Question("subsidy-from", "补助期开始日期", parse_date, needs="subsidy",
             default=lambda a: dt.date(a["start"].year, 1, 1)),
    Question("subsidy-to", "补助期结束日期", parse_date, needs="subsidy",
             default=lambda a: a["count_from"] - dt.timedelta(days=1)),
    Question("subsidy-per-case", "补助每例金额（元）", parse_number, needs="subsidy"),
    Question("quarterly", "方案是否有季度（定期）评比奖励", parse_bool, flag=True, default=lambda a: False),
    Question("evaluations", "评比日期（如 2021-06-30,2021-09-30）", parse_dates, needs="quarterly"),
    Question("per-case", "评比达标每例奖励（元）", parse_number, needs="quarterly"),
    Question("specialist", "评比达标另奖励专干（元；不奖励填 0）", parse_number, needs="quarterly",
             default=lambda a: 0.0),
    Question("year-end", "方案是否有年终奖惩", parse_bool, flag=True, default=lambda a: False),
    Question("year-end-date", "年终考核日期", parse_date, needs="year_end", default=lambda a: a["end"]),
    Question("year-end-reward", "完成全年任务的奖励（元；不奖励填 0）", parse_number, needs="year_end"),
    Question("year-end-reward-to", "年终奖励给谁", needs="year_end",
             default=lambda a: "社区党支部书记和“两筛”专干"),
    Question("year-end-fine", "未完成全年任务的罚款（元；不罚填 0）", parse_number, needs="year_end"),
)


def _parse(q: Question, value: Any) -> Any:
    if q.multiple:
        return tuple(q.parse(v) for v in value)
    return q.parse(value)


def _given(value: Any) -> bool:
    return value is not None and value != ()


Ask = Callable[[Question, Any, str], Any]


def collect(given: dict[str, Any], ask: Ask | None) -> Answers:
    """The answers: from the options ``given`` (by :attr:`Question.name`), else from ``ask``
    (question, proposed default, the previous attempt's error) on a terminal, else the proposed
    default. A question that nobody answered and that has no default is an error naming its option."""
    answers: Answers = {}
    missing: list[Question] = []
    for q in QUESTIONS:
        if not q.when(answers):
            continue
        if _given(given.get(q.name)):
            try:
                answers[q.name] = _parse(q, given[q.name])
            except ValueError as exc:
                raise InitError(f"{q.option} 的值有误：{exc}。") from None
            continue
        try:
            default = q.default(answers) if q.default is not None else None
        except KeyError:  # proposed from an answer that is missing (and reported): nothing to propose
            if missing:
                continue
            raise
        if ask is not None:
            answers[q.name] = _ask(q, default, ask)
        elif q.default is not None:
            answers[q.name] = default
        else:
            missing.append(q)
    if missing:
        raise InitError(
            "缺少以下选项（在终端中运行会逐项询问）："
            + "；".join(f"{q.option}（{q.prompt}）" for q in missing)
            + "。"
        )
    if not answers["community"]:
        raise InitError("至少要有一个社区：--community 名称:全年任务数:每周任务数。")
    return answers


def _ask(q: Question, default: Any, ask: Ask) -> Any:
    """Ask until the answer parses (an empty answer takes the default, when there is one)."""
    error = ""
    while True:
        raw = ask(q, default, error)
        if raw is None or raw == "" or raw == ():
            if q.default is not None:
                return default
            error = "此项必填"
            continue
        try:
            return _parse(q, raw)
        except ValueError as exc:
            error = str(exc)


# ----------------------------------------------------------------------------------------------
# The config file


# The header words the reader knows, as the shipped example config lists them (a test keeps the two
# equal): generic vocabulary, not an office's rules.
STANDARD_COLUMNS: dict[str, list[str]] = {
    "community": ["社区", "社区名称", "所属社区", "居委会", "村居", "村(居)", "社区(村)", "所在社区", "村", "村名", "行政村", "村(社区)"],
    "township": ["乡镇", "乡镇(街道)", "镇", "乡", "街道", "所属乡镇"],
    "name": ["姓名", "孕妇姓名", "孕妇", "产妇姓名", "受检者姓名", "受检者", "姓名(孕妇)"],
    "id": ["身份证号", "身份证号码", "证件号码", "孕妇身份证号", "身份证", "居民身份证号", "证件号"],
    "phone": ["联系电话", "电话", "手机", "手机号", "手机号码", "联系方式", "电话号码"],
    "lmp": ["末次月经", "末次月经时间", "末次月经日期", "LMP"],
    "edd": ["预产期", "预产期日期"],
    "gest_weeks": ["孕周", "登记孕周", "孕周(周)", "建档孕周"],
    "reg_date": ["登记日期", "建档日期", "建册日期"],
    "address": ["住址", "现住址", "家庭住址", "居住地址", "地址", "户籍地址"],
    "residence": ["户籍类型", "人口类型", "常住/流动"],
    "test": ["筛查项目", "检查项目", "筛查类型", "项目"],
    "screen_date": ["筛查日期", "检查日期", "采血日期", "超声日期", "NT检查日期", "血清学筛查日期(卫生院)"],
    "result": ["筛查结果", "结果", "检查结果", "风险评估"],
    "report_date": ["填报日期", "上报日期", "报送日期"],
    "self_nt": ["是否NT筛查", "NT筛查", "是否已做NT", "已做NT", "NT筛查日期", "超声NT筛查日期"],
    "self_serum": ["是否血清学筛查", "血清学筛查", "是否唐筛", "已做唐筛", "血清学筛查日期", "唐筛日期"],
    "quota_nt": ["超声NT筛查", "NT筛查任务", "超声NT", "NT"],
    "quota_serum": ["血清学筛查", "血清学筛查任务", "血清学"],
    "annual": ["应完成人数", "各应完成人数", "年度任务", "任务数"],
    "weekly": ["每周应完成人数", "每周", "周任务"],
    "register_kind": ["登记类型", "事项", "类型"],
    "reason": ["销号原因", "原因"],
    "event_date": ["日期", "办理日期", "销号日期", "诊断日期", "接收日期"],
    "merge_id": ["合并到身份证号", "合并对象身份证号", "并入身份证号"],
    "merge_name": ["合并到姓名", "并入姓名"],
    "diagnosis": ["产前诊断结果", "诊断结果"],
    "note": ["备注", "说明"],
    "serial": ["序号", "编号", "No"],
}
STANDARD_TESTS: dict[str, list[str]] = {
    "nt": ["超声NT", "NT", "颈项透明层", "早孕期超声", "NT筛查"],
    "serum": ["血清学", "唐筛", "唐氏筛查", "血清", "中孕期血清"],
    "high_risk": ["高风险", "临界风险", "高危"],
}


def toml_value(value: Any) -> str:
    """A TOML value: text, numbers, true/false, dates, lists and inline tables."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, Iterable):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(value)


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def _what(cls: Any, name: str) -> str:
    """The Chinese description a rule declares (pipeline.settings.rule)."""
    for f in dataclasses.fields(cls):
        if f.name == name:
            return str(f.metadata.get("what", ""))
    raise KeyError(name)


class _Writer:
    """Lines of a commented TOML file."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def comment(self, *texts: str) -> None:
        self.lines.extend(f"# {t}" if t else "#" for t in texts)

    def section(self, name: str, *comments: str, array: bool = False) -> None:
        if self.lines:
            self.lines.append("")
        self.comment(*comments)
        self.lines.append(f"[[{name}]]" if array else f"[{name}]")

    def set(self, key: str, value: Any, comment: str = "") -> None:
        line = f"{_key(key)} = {toml_value(value)}"
        self.lines.append(f"{line}    # {comment}" if comment else line)

    def rule(self, cls: Any, key: str, value: Any, note: str = "") -> None:
        """A rule of the plan, with what it is (from its declaration) as the comment."""
        self.set(key, value, "；".join(t for t in (_what(cls, key), note) if t))

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _programme(w: _Writer, a: Answers) -> None:
    w.section("programme", "项目和实施方案。以下每一项都是方案的规则：程序不设默认值，缺少任何一项都会报错并指出。")
    w.rule(Programme, "name", f"{a['area']}{a['start'].year}年免费产前筛查（两筛）")
    w.rule(Programme, "issuer", a["office"])
    w.rule(Programme, "recipients", f"各{a['levels'][-1]}、直属单位")
    w.rule(Programme, "plan_title", a["plan_title"])
    w.rule(Programme, "plan_number", a["plan_number"])
    for key in ("start", "end", "goal", "count_from", "assess_from"):
        w.rule(Programme, key, a[key])
    w.rule(Programme, "subsidy", a["subsidy"], "为 false 时没有补助表，通报也不提补助")
    if a["subsidy"]:
        w.rule(Programme, "subsidy_from", a["subsidy_from"])
        w.rule(Programme, "subsidy_to", a["subsidy_to"])
        w.rule(Programme, "subsidy_per_case", a["subsidy_per_case"])
        w.rule(Programme, "subsidy_case", "each")
    w.rule(Programme, "doc_number_prefix", a["doc_prefix"])
    w.set("hotline", a["hotline"], "举报电话：通报中印出（本单位对外电话，不是个人信息；留空不印）")
    w.set("listed_rules", {}, "方案中本程序不计算、只在口径说明中列出的条款，如 { \"绩效工资浮动制\" = \"……\" }")


def _cadence(w: _Writer, a: Answers) -> None:
    w.section(
        "cadence",
        "周期：kind = \"days\" 每 every 天一期（从考核起始日算起）；kind = \"weekday\" 每周以星期 weekday",
        "（1 = 周一 … 7 = 周日）为期末；kind = \"month_days\" 每月 ends 所列日期为期末（31 = 月底）。",
    )
    for key in ("summary", "ranking", "circular"):
        w.rule(Cadences, key, a[key])
    w.set("text", "", "方案原文对周期的说法（如“三天一汇总、一周一排序、一旬一总结”），通报加引号引用；留空则按以上周期自动表述")
    w.set("min_period_days", 10, "首个通报期因考核起始日被截短且不足几天时并入下一期（0 = 不合并）")


def _rosters(w: _Writer, a: Answers) -> None:
    w.section("rosters", "花名册报送")
    w.rule(Rosters, "first_due", a["first_due"])
    w.rule(Rosters, "update_days", list(a["due_days"]))
    w.rule(Rosters, "paper", a["paper_roster"])
    w.set("conflict_assign", "latest", "同一孕妇在两个社区的花名册上时计入最近一次报送的（\"latest\"）或最早的（\"first\"）")
    w.set("reminder_days_before", 2, "截止日期前几天内可以催报（screening remind）")
    w.set("missing_from", "next_due", "不在花名册上的已筛查孕妇：筛查后到了上报日仍未列入才算漏报（\"next_due\"，之前为待核实）或立即算漏报（\"screening\"）")


def _ranking(w: _Writer, a: Answers) -> None:
    w.section("ranking", "排名、工作落后和处理措施")
    w.set("rank_by", "cumulative", "按累计（\"cumulative\"）或本期（\"period\"）两项合计完成率排名")
    w.set(
        "stage_target",
        "behind_and_slipping",
        "阶段性目标未完成的口径：behind_and_slipping（落后且未追赶）、period_share、cumulative_combined、"
        "cumulative_each_test、quarterly；达到序时进度的任何口径下都不受处理",
    )
    w.rule(Ranking, "lagging_count", a["lagging_count"])
    w.rule(Ranking, "lagging_texts", list(a["lagging_text"]))
    w.rule(Ranking, "last_text_lasts", bool(a.get("last_text_lasts", False)))
    w.rule(Ranking, "stage_miss_texts", dict(a["stage_text"]))
    w.rule(Ranking, "praise_text", a["praise_text"])
    w.rule(Ranking, "criticism_text", a["criticism_text"])


def _rewards(w: _Writer, a: Answers) -> None:
    w.section("rewards", "奖惩兑现。没有的部分写 false：奖惩表和通报中就没有相应内容。")
    w.rule(Rewards, "quarterly", a["quarterly"])
    if a["quarterly"]:
        w.rule(Rewards, "evaluations", list(a["evaluations"]))
        w.rule(Rewards, "case", "both")
        w.rule(Rewards, "per_case", a["per_case"])
        w.rule(Rewards, "specialist", a["specialist"])
        w.set("evaluation_basis", "standing", "季度评比按评比日的累计进度（\"standing\"）或刚结束的季度（\"quarter\"）评定")
    w.rule(Rewards, "year_end_money", a["year_end"])
    if a["year_end"]:
        w.rule(Rewards, "year_end", a["year_end_date"])
        w.rule(Rewards, "year_end_reward", a["year_end_reward"])
        w.rule(Rewards, "year_end_reward_to", a["year_end_reward_to"])
        w.rule(Rewards, "year_end_reward_split", "together")
        w.rule(Rewards, "year_end_fine", a["year_end_fine"])


def _technical(w: _Writer, a: Answers) -> None:
    w.section("windows", "筛查时间窗：末次月经后的 周+天（含首尾）")
    for key, value in (("nt_from", "11+0"), ("nt_to", "13+6"), ("serum_from", "15+0"), ("serum_to", "20+6")):
        w.set(key, value)
    w.set("edd_to_lmp_days", 280, "只有预产期时：末次月经 = 预产期 - 280 天")
    w.section("followup")
    w.set("opening_within_days", 7, "“即将进入窗口期”：几天内进入")
    w.set("past_term_days", 294, "末次月经后超过几天不再督促补筛（294 天即孕42周）")
    w.section("spot_check", "督查组随机抽查名单")
    w.set("size", 5, "每个社区抽几人")
    w.set("seed", a["start"].year, "随机种子：同样的数据和配置得到同样的名单")
    w.section("privacy")
    w.set("mask_ids_in_community_workbooks", True)
    w.set("mask_ids_in_master_workbook", False)
    w.section("archive")
    w.set("folder", "archive", "已印发通报的存档，相对于本配置文件")
    w.section("mail", "邮件（screening send / remind）。默认只写到 output/<日期>/outbox/ 供检查；密码从不保存。")
    mail: tuple[tuple[str, Any], ...] = (("host", ""), ("port", 465), ("security", "ssl"), ("user", ""), ("sender", ""))
    for key, value in mail:
        w.set(key, value)
    w.set("sender_name", f"{a['area']}计生办")
    w.set("leaders", [], "领导版和通报发给谁")
    w.set("health_centre", [], f"{a['health_centre_short']}核对清单发给谁")
    w.section("mail.communities", "每个社区的专干邮箱：\"社区名称\" = [\"地址\"]；没有写的不发送（会提示）")


def _organisation(w: _Writer, a: Answers) -> None:
    w.section("organisation")
    w.rule(Organisation, "root", a["area"])
    w.rule(Organisation, "levels", list(a["levels"]))
    w.rule(Organisation, "region_code", a["region_code"])
    for c in a["community"]:
        w.section("communities", array=True)
        w.set("name", c.name)
        short = re.sub(r"(社区|村|居委会)$", "", c.name)
        if short != c.name and len(short) >= 2:
            w.set("short", short, "简称：文件名等处只写简称时也能认出")
        w.set("quota_nt", c.quota_nt, "超声NT筛查全年任务（人）")
        w.set("quota_serum", c.quota_serum, "血清学筛查全年任务（人）")
        w.set("weekly_nt", c.weekly_nt, "每周任务（人）")
        w.set("weekly_serum", c.weekly_serum)
        w.set("leader", c.leader, "分包领导（通报中写出；没有留空）")


def _person(text: str, role: str) -> dict[str, str] | None:
    if not text:
        return None
    return {**parse_person(text), "role": role}


def _directory(w: _Writer, a: Answers) -> None:
    w.section("directory", "领导小组名单和承担筛查的医疗机构")
    for key, role in (("head", "组长"), ("deputy", "副组长"), ("office_head", "办公室主任")):
        person = _person(a[key], role)
        if person is not None:
            w.set(key, person)
    members = [parse_person(m) for m in a["member"]]
    if members:
        w.set("members", members)
    w.rule(Directory, "health_centre", a["health_centre"])
    w.rule(Directory, "health_centre_short", a["health_centre_short"])


def _vocabulary(w: _Writer) -> None:
    w.section("columns", "各列表头的名称（别名）：表格中的列名与其中任何一个相同即可读出。本节必填，没有它什么也读不到。")
    for key, aliases in STANDARD_COLUMNS.items():
        note = _what(Columns, key) if key != "township" else "乡镇列（县级多级组织使用）"
        w.set(key, aliases, note)
    w.section("tests", "表示筛查项目的词（筛查项目列、表头、工作表名或文件名中）")
    for key, words in STANDARD_TESTS.items():
        w.set(key, words)


def config_text(answers: Answers) -> str:
    """The commented ``config.toml`` of the answers: every rule of the plan explicit."""
    w = _Writer()
    w.comment(
        f"{answers['office']}“两筛”（免费产前超声NT筛查和血清学筛查）配置文件，由 screening init 生成。",
        "每一项都按本单位的实施方案核对修改；改完运行 screening check --config 本文件 检查。",
        "方案的规则（日期、周期、处理措施、奖惩）程序一律不设默认值：缺少会报错并指出是哪一项、该怎么写。",
    )
    for part in (_programme, _cadence, _rosters, _ranking, _rewards, _organisation, _directory):
        part(w, answers)
    _technical(w, answers)
    _vocabulary(w)
    return w.text()


def summary_lines(answers: Answers) -> list[str]:
    """What the config says, in a few lines for the terminal."""
    a = answers
    money = [name for name, on in (("补助", a["subsidy"]), ("季度评比", a["quarterly"]), ("年终奖惩", a["year_end"])) if on]
    return [
        f"  {a['office']}：{len(a['community'])}个{a['levels'][-1]}，项目 {a['start']} 至 {a['end']}，自 {a['assess_from']} 起考核",
        f"  花名册：{a['first_due']} 前首次报送，此后每月{'、'.join(f'{d}日' for d in a['due_days'])}",
        f"  处理措施：{'；'.join(a['lagging_text']) or '无'}；奖惩：{'、'.join(money) or '无'}",
    ]


def show(value: Any) -> str:
    """A proposed answer as the prompt shows it (and as it would be typed)."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict) and "kind" in value:
        if value["kind"] == "days":
            return "周" if value["every"] == 7 else f"{value['every']}天"
        if value["kind"] == "weekday":
            return f"周{_WEEKDAYS[value['weekday'] - 1]}"
        named = {(15, 31): "半月", (10, 20, 31): "旬", (31,): "月"}
        return named.get(tuple(value["ends"]), "月" + ",".join(str(d) for d in value["ends"]))
    if isinstance(value, tuple | list):
        return ",".join(show(v) for v in value)
    if isinstance(value, float):
        return toml_value(value)
    return str(value)


def option_help(q: Question) -> str:
    """The option's --help text."""
    required = ""
    if q.default is None:
        required = f"【有 --{q.needs.replace('_', '-')} 时必填】" if q.needs else "【必填】"
    return q.prompt + ("（可多次给出）" if q.multiple else "") + required

