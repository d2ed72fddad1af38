"""The plan's words, from the settings: what every output says about the plan comes from here, so
that an office with another plan, cadence, organisation or health centre reads its own words and
never the Sizhou plan's.

* the plan as the circular cites it (《…》（文号）) and its cadence (三天一汇总、一周一排序、半月一总结,
  quoted when the config gives the plan's own words, else worded from the cadences);
* the period of a cadence (半月, 旬, 周, 三天) and how often it comes (每半个月, 每旬);
* the organisation's words (全街道 / 各社区, 全县 / 各村（社区）) from ``[organisation] levels``;
* the health centre's short name (卫生院, 卫生服务中心) for file names, sheets and texts;
* a day in the programme's own year for examples;
* the 口径说明 lines of the plan's rules in force (:func:`plan_notes`): a rule the config switches
  off or does not have is not listed.

Pure: settings in, text out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pipeline.fmt import cn_count
from pipeline.settings import STAGE_TARGET_LABELS, STAGE_TARGET_NOTES, STAGE_TARGET_RULES, Cadence, Settings

# ----------------------------------------------------------------------------------------------
# The plan and its cadence


def plan_citation(settings: Settings) -> str:
    """《某某实施方案》（某文〔2021〕3号）, or without the number when the plan has none."""
    p = settings.programme
    return f"《{p.plan_title}》" + (f"（{p.plan_number}）" if p.plan_number else "")


def period_word(cadence: Cadence) -> str:
    """The period as people name it: 半月, 旬, 月, 周, 两周, 三天; "" when no one word fits (periods
    ending on the 5th and 20th of each month)."""
    if cadence.kind == "weekday":
        return "周"
    if cadence.kind == "days":
        return {1: "天", 7: "周", 14: "两周"}.get(cadence.every, f"{cn_count(cadence.every)}天")
    ends = sorted({min(d, 31) for d in cadence.ends})
    if ends == [31] or (len(ends) == 1 and ends[0] >= 28):
        return "月"
    if len(ends) == 2 and 14 <= ends[0] <= 16 and ends[1] >= 28:
        return "半月"
    if len(ends) == 3 and ends[:2] == [10, 20] and ends[2] >= 28:
        return "旬"
    return ""


def _month_days(cadence: Cadence) -> str:
    return "每月" + "、".join("月底" if d >= 31 else f"{d}日" for d in sorted(set(cadence.ends)))


def cadence_phrase(cadence: Cadence, verb: str) -> str:
    """三天一汇总, 一周一排序, 半月一总结, 一旬一总结; 每月5日、20日总结 when no word fits."""
    word = period_word(cadence)
    if not word:
        return f"{_month_days(cadence)}{verb}"
    return f"{'一' if word in ('天', '周', '旬', '月') else ''}{word}一{verb}"


def every_period(cadence: Cadence) -> str:
    """How often: 每半个月, 每旬, 每月, 每周, 每三天; 每月5日、20日 when no word fits."""
    word = period_word(cadence)
    if not word:
        return _month_days(cadence)
    return "每半个月" if word == "半月" else f"每{word}"


def cadence_text(settings: Settings) -> str:
    """The plan's words for its cadence (``[cadence] text``), else worded from the cadences."""
    c = settings.cadence
    return c.text or "、".join(
        (cadence_phrase(c.summary, "汇总"), cadence_phrase(c.ranking, "排序"), cadence_phrase(c.circular, "总结"))
    )


def cadence_requirement(settings: Settings) -> str:
    """The plan's cadence as a requirement the circular follows: quoted when the config gives the
    plan's own words (quotations are verbatim), else said in the tool's words."""
    if settings.cadence.text:
        return f"“{settings.cadence.text}”的要求"
    return f"关于{cadence_text(settings)}的要求"


# ----------------------------------------------------------------------------------------------
# The organisation and the health centre


@dataclass(frozen=True)
class OrgWords:
    """The organisation's levels as people say them (``[organisation] levels``)."""

    top: str  # the office's level: 街道, 县 ("" when the levels do not fit the communities' paths)
    unit: str  # the communities' level: 社区, 村（社区）

    @property
    def whole(self) -> str:
        """全街道, 全县 (全部 when the level is unknown)."""
        return f"全{self.top}" if self.top else "全部"

    @property
    def each(self) -> str:
        """各社区, 各村（社区）."""
        return f"各{self.unit}"

    def context(self) -> dict[str, str]:
        """For the templates: ``org.whole``, ``org.each``, ``org.unit``, ``org.top``."""
        return {"top": self.top, "unit": self.unit, "whole": self.whole, "each": self.each}


def org_words(settings: Settings) -> OrgWords:
    """街道 and 社区 for a sub-district, 县 and 村（社区） for a county. Where the levels do not fit
    the communities' paths, no level is named (全部 … 个社区)."""
    levels = settings.organisation.levels
    depth = max((len(c.key.split("/")) for c in settings.communities), default=1)
    flat = not any(c.parent for c in settings.communities)
    if len(levels) >= 2 and (flat or len(levels) == depth):
        return OrgWords(levels[0], levels[-1])
    return OrgWords("", levels[-1] if levels else "社区")


def health_centre(settings: Settings) -> str:
    """The health centre as files, sheets and texts name it: 卫生院, 卫生服务中心."""
    return settings.directory.health_centre_short


# ----------------------------------------------------------------------------------------------
# Examples


def example_day(settings: Settings) -> dt.date:
    """A day of the programme for examples people copy (dates to type, file names): 8 April of its
    first year when the programme runs then, else its first day."""
    p = settings.programme
    day = dt.date(p.start.year, 4, 8)
    return day if p.start <= day <= p.end else p.start


# ----------------------------------------------------------------------------------------------
# The plan's rules in 口径说明


def _money(value: float) -> str:
    return f"{value:g} 元"


def _rank_note(settings: Settings) -> str:
    r, unit = settings.ranking, org_words(settings).unit
    text = f"每期排名最后 {r.lagging_count} 名（并列者一并列入；已达到序时进度的{unit}不列入）"
    if not r.lagging_texts:
        return text + "；方案未规定处理措施。"
    text += "：" + "；".join(f"连续{i + 1}次：{t}" for i, t in enumerate(r.lagging_texts))
    if r.last_text_lasts:
        text += f"；{r.lagging_texts[-1]}一经作出，持续到项目结束（以后各期标注“（延续）”，不属于该期新的处理）"
    return text + "。"


def _stage_note(settings: Settings) -> str:
    r = settings.ranking
    rules = "；".join(f"连续{k}次未完成：{v}" for k, v in sorted(r.stage_miss_texts.items(), key=lambda kv: int(kv[0])))
    options = "；".join(
        f"{k}（{STAGE_TARGET_LABELS[k]}）：{STAGE_TARGET_RULES[k]}{STAGE_TARGET_NOTES.get(k, '')}" for k in STAGE_TARGET_LABELS
    )
    return (
        f"方案未规定阶段性目标任务的口径，现按“{STAGE_TARGET_LABELS[r.stage_target]}”（ranking.stage_target = "
        f"{r.stage_target}）：{STAGE_TARGET_RULES[r.stage_target]}。" + (f"{rules}。" if rules else "")
        + "方案中“长期工作滞后”按连续未完成阶段性目标处理。可选口径：" + options + "。各口径在示范数据上的结果对比见 docs/readings.md。"
    )


def _praise_note(settings: Settings) -> str:
    r, unit = settings.ranking, org_words(settings).unit
    said = []
    if r.criticism_text:
        said.append(f"工作落后的{unit}和未完成阶段性目标的{unit}予以{r.criticism_text}")
    if r.praise_text:
        said.append(f"达到序时进度的{unit}予以{r.praise_text}")
    return "；".join(said) + f"；两者都不是的{unit}不表扬也不批评。" if said else "方案未规定通报表扬或批评。"


def _on_target_note(settings: Settings) -> str:
    unit = org_words(settings).unit
    return (
        f"{unit}期末两项合计累计完成数不低于两项合计累计应完成数（综合完成率≥100%，即排名所用的口径）为达到序时进度。"
        "达到者在该期不列为工作落后、不作阶段性目标未完成、不通报批评、不受任何处理，无论下列口径如何设定。"
    )


def _period_note(settings: Settings) -> str:
    c = settings.cadence
    merge = (
        f"首期因起始日被截短（短于下一期）且不足 {c.min_period_days} 天的，并入下一期，直至满 {c.min_period_days} 天"
        "（cadence.min_period_days；只适用于通报期，排序和汇总不合并）"
        if c.min_period_days
        else "首期不合并"
    )
    return f"{cadence_text(settings)}；通报{every_period(c.circular)}一期，首期自 {settings.programme.assess_from} 起；{merge}。"


def _people_notes(settings: Settings) -> list[tuple[str, str]]:
    """How women are counted and listed: 漏报 and 待核实, missed windows, the programme's bounds, 零报告."""
    p, f, unit = settings.programme, settings.followup, org_words(settings).unit
    missing = (
        "筛查后已到花名册上报日仍未列入的为漏报，尚未到上报日的为待核实（不计为漏报）"
        if settings.rosters.missing_from == "next_due"
        else "一经发现即为漏报"
    )
    before = f"（或 {p.subsidy_from} 以前）" if p.subsidy else f"（或 {p.count_from} 以前）"
    return [
        ("漏报", f"{health_centre(settings)}有筛查记录、不在任何{unit}花名册上的孕妇，按登记的{unit}或住址计入该{unit}；{missing}。"),
        ("人数", "通报、汇总和各表中的“人”均为不重复的孕妇人数（同一孕妇两项筛查或多行记录只计一人）。"),
        ("错过窗口期", f"窗口期已过仍未筛查的孕妇列入随访督促名单并注明能否补筛：超过末次月经后 {f.past_term_days} 天、已不在本{unit}最新花名册上、列入花名册时窗口期已过的，不可补筛；通报中只统计可补筛的人数。已销号的不列入名单。"),
        ("项目期外", f"{p.end} 以后{before}的筛查不计入任务，在“漏报与冲突”中列为项目期外；统计截止日期晚于 {p.end} 时，进度按 {p.end} 计算。"),
        ("零报告", "注明填报日期、没有人员的花名册（零报告）视为一次上报（按应报日判断是否按时），不减少已列入的孕妇。"),
    ]


def _count_note(settings: Settings) -> str:
    p = settings.programme
    text = f"{p.count_from} 起完成的筛查计入任务"
    if p.subsidy:
        unit = "每项筛查为一例" if p.subsidy_case == "each" else "两项均完成为一例"
        text += (
            f"；{p.subsidy_from} 至 {p.subsidy_to} 完成的不计入任务，列入补助名单，"
            f"每例 {_money(p.subsidy_per_case)}（{unit}）"
        )
    else:
        text += "，之前完成的不计入（方案未规定补助）"
    return text + "。"


def _money_notes(settings: Settings) -> list[tuple[str, str]]:
    rw, unit = settings.rewards, org_words(settings).unit
    notes = []
    if rw.quarterly:
        case = "两项均完成的孕妇为一例" if rw.case == "both" else "每项筛查为一例"
        extra = f"，另奖励专干 {_money(rw.specialist)}" if rw.specialist else ""
        basis = (
            f"按评比日的累计进度评定（rewards.evaluation_basis = standing）：两项累计完成数均达到序时进度的{unit}"
            if rw.evaluation_basis == "standing"
            else f"按刚结束的季度评定（rewards.evaluation_basis = quarter）：季度内两项完成数均达到该季度应完成数的{unit}"
        )
        other = "按刚结束的季度评定（quarter）" if rw.evaluation_basis == "standing" else "按评比日的累计进度评定（standing）"
        notes.append((
            "季度奖惩",
            f"评比日 {'、'.join(str(d) for d in rw.evaluations)}：{basis}，"
            f"上次评比后完成的每例 {_money(rw.per_case)}（{case}）{extra}。另一口径：{other}。",
        ))
    if rw.year_end_money:
        parts = []
        if rw.year_end_reward:
            each = "共" if rw.year_end_reward_split == "together" else "各"
            parts.append(f"两项均完成年度任务的{unit}奖励{rw.year_end_reward_to}{each} {_money(rw.year_end_reward)}")
        if rw.year_end_fine:
            parts.append(f"未完成的罚{unit} {_money(rw.year_end_fine)}")
        notes.append(("年终奖惩", f"{rw.year_end}：" + "；".join(parts or ["不奖不罚"]) + "。"))
    return notes


def plan_notes(settings: Settings) -> list[tuple[str, str]]:
    """How each rule of the plan in force is treated, for the 口径说明 sheet: including the ones the
    tool deliberately does not compute (``programme.listed_rules``), so nobody mistakes silence for a
    zero. A rule the config does not have (no subsidy, no year-end money, no paper roster) is not
    listed."""
    p, r, w = settings.programme, settings.ranking, settings.windows
    each = org_words(settings).each
    notes = [
        ("目标任务", f"方案目标 {p.goal} 人；{each}任务数以任务分配表为准（表中合计与目标不一致时只提示，不自行取舍）。"),
        ("计入起点", _count_note(settings)),
        ("序时进度", f"应完成数 = 每周任务数 × 自 {p.assess_from} 起（含当日）的天数 ÷ 7，不超过年度任务数。"),
        ("筛查时间窗", f"超声NT {w.nt_from} 至 {w.nt_to} 周，血清学 {w.serum_from} 至 {w.serum_to} 周（按末次月经；只有预产期时按预产期前 {w.edd_to_lmp_days} 天推算）。窗口外的筛查照常计入并标注。"),
        ("同一孕妇", "以身份证号识别；无身份证号时按姓名+电话；每人每项只计一次，以最早的筛查日期为准。"),
        ("通报周期", _period_note(settings)),
        ("排名", f"按{'累计' if r.rank_by == 'cumulative' else '本期'}两项合计完成率排序，并列同名次；尚无应完成数时不排名。"),
        ("达到序时进度", _on_target_note(settings)),
        ("落后" + org_words(settings).unit, _rank_note(settings)),
        ("阶段性目标", _stage_note(settings)),
        ("通报表扬/批评", _praise_note(settings)),
        *_money_notes(settings),
        *p.listed_rules.items(),
    ]
    if settings.rosters.paper:
        notes.append((
            "纸质花名册",
            f"方案要求报送{settings.rosters.paper}：在办事处登记中记为“纸质花名册”，于花名册上报情况中列出，不影响统计。",
        ))
    notes += _people_notes(settings)
    unit = org_words(settings).unit
    notes.append((
        "随机抽查",
        f"督查组随机抽查名单（不发通知、不打招呼）：每个通报期另行抽取，每个{unit} {settings.spot_check.size} 人，"
        f"从最新花名册上未销号的孕妇中抽取（随机种子 {settings.spot_check.seed}，同样的数据和配置得到同样的名单）；"
        f"只列在办事处汇总表和单独的督查抽查名单中，不发给{unit}。",
    ))
    if p.hotline:
        notes.append(("举报电话", f"{p.hotline}（办事处对外电话，不属于个人信息）。"))
    return notes
