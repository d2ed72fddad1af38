"""The plausibility review: what an office leader would question before a circular is drafted.

A figure can be computed exactly and still be unpublishable: a sanction that falls on every
community or on the top-ranked one, a run with no screening log, no quota table or a community
that sent no roster at all. Each such finding is one programme-scope :class:`Problem` with a stable
code (``summary.json``'s ``warnings[]``, the terminal's "注意：" lines, the circular draft's 审核提示
page). Pure: takes the normalised input or the scored history and the settings; writes nothing.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pipeline.fmt import cn_span, fmt_pct
from pipeline.model import Normalized, Scored
from pipeline.problems import Problem, problem
from pipeline.score import CARRIED
from pipeline.settings import STAGE_TARGET_LABELS, Settings
from pipeline.wording import health_centre, org_words

CHECK_READING = "请先核实输入数据是否齐全，并确认“阶段性目标”的口径（config.toml 中 [ranking] stage_target）后再印发通报。"
ADVICE = "请核实数据是否齐全、口径是否合适后再印发。"


def review_inputs(norm: Normalized, settings: Settings, as_of: dt.date) -> list[Problem]:
    """A whole kind of input missing: no screening log, no quota table, a community without any
    roster (only once the first roster is due)."""
    kinds = {s.kind for s in norm.sheets}
    org, centre = org_words(settings), health_centre(settings)
    found: list[Problem] = []
    if norm.log.empty:
        where = (
            "筛查登记中没有一行可用的记录" if "log" in kinds
            else f"输入中没有筛查登记（{centre}的超声NT筛查、血清学筛查记录）"
        )
        found.append(
            problem(
                "no_screening_log",
                f"{where}：{org.each}完成数均为0，排名和处理意见没有依据。",
                f"请把{centre}的筛查登记放进输入文件夹后重新运行。",
            )
        )
    if norm.quota.empty:
        found.append(
            problem(
                "no_quota_table",
                f"输入中没有任务分配表：{org.each}任务数使用配置文件（config.toml）中的数字。",
                "请确认配置文件中的任务数与办事处下达的任务分配表一致，或把任务分配表放进输入文件夹。",
            )
        )
    if as_of >= settings.rosters.first_due:
        found += _communities_without_roster(norm, settings)
    return found


def _communities_without_roster(norm: Normalized, settings: Settings) -> list[Problem]:
    """One problem per configured community with no roster sheet and no roster row at all (an
    empty roster with a 填报日期, a 零报告, is a roster)."""
    unit = org_words(settings).unit
    sent = {s.community for s in norm.sheets if s.kind == "roster" and s.community}
    if len(norm.roster) and "community" in norm.roster.columns:
        sent |= set(norm.roster["community"].dropna())
    return [
        problem(
            "community_no_roster",
            f"{settings.display_name(c.key)}没有报送任何花名册：无法核对该{unit}的孕妇名单、漏报和随访情况。",
            f"请督促该{unit}报送花名册，或确认其文件已放进输入文件夹。",
            value=settings.display_name(c.key),
            details={"community": settings.display_name(c.key)},
        )
        for c in settings.communities
        if c.key not in sent
    ]


def review_scored(scored: Scored, settings: Settings) -> list[Problem]:
    """The last completed circular period (the one drafted): criticism or a sanction for every
    community, or for the top-ranked one."""
    return review_period(scored.last_circular, settings)


def review_period(last: pd.DataFrame, settings: Settings) -> list[Problem]:
    """One circular period's rows (indexed by community): criticism or a sanction for every
    community, or for the top-ranked one."""
    if len(last) < 2:
        return []
    r = settings.ranking
    order = {key: i for i, key in enumerate(settings.community_keys)}
    last = last.loc[sorted(last.index, key=lambda k: (order.get(k, len(order)), k))]
    penalised = {key: penalties(row, r.criticism_text) for key, row in last.iterrows()}
    first = last.iloc[0]
    period = f"第{int(first['period'])}期（{cn_span(first['period_start'].date(), first['period_end'].date())}）"
    reading = f"当前口径：{STAGE_TARGET_LABELS[r.stage_target]}"
    details = {"period": int(first["period"]), "end": first["period_end"].date().isoformat()}
    found: list[Problem] = []
    if all(penalised.values()):
        found.append(
            problem(
                "review_all_penalised",
                f"{period}所有{len(last)}个{org_words(settings).unit}都将被通报批评或处理（{reading}）。{ADVICE}",
                CHECK_READING,
                details={**details, "communities": [settings.display_name(k) for k in last.index]},
            )
        )
    top = last[last["rank"] == 1]
    hit = [key for key in top.index if penalised[key]]
    if hit and len(top) < len(last):
        names = "、".join(settings.display_name(k) for k in hit)
        what = "；".join(dict.fromkeys(p for k in hit for p in penalised[k]))
        rate = fmt_pct(last.at[hit[0], "rate"])
        found.append(
            problem(
                "review_top_penalised",
                f"{period}排名第一的{names}（综合完成率{rate}）将受到：{what}（{reading}）。{ADVICE}",
                CHECK_READING,
                details={**details, "communities": [settings.display_name(k) for k in hit]},
            )
        )
    found += _carried_on_target(last, settings, period, details)
    return found


def _carried_on_target(last: pd.DataFrame, settings: Settings, period: str, details: dict[str, object]) -> list[Problem]:
    """Honours lost in an earlier period, still said (（延续）) of communities now at or above their
    expected count: the plan's rule, but a leader asks whether to keep it before the circular praises
    a community in one line and repeats its loss in the next (at the year end, beside its reward)."""
    if "on_target" not in last.columns:
        return []
    carried = {
        key: [str(c).removesuffix(CARRIED) for c in row["consequences"] if str(c).endswith(CARRIED)]
        for key, row in last.iterrows()
        if bool(row["on_target"])
    }
    carried = {key: items for key, items in carried.items() if items}
    if not carried:
        return []
    ranked = sorted(carried, key=lambda k: (last.at[k, "rank"], k))
    names = "、".join(
        f"{settings.display_name(k)}（第{int(last.at[k, 'rank'])}名）" for k in ranked
    )
    what = "、".join(dict.fromkeys(i for k in ranked for i in carried[k]))
    return [
        problem(
            "review_carried_on_target",
            f"{period}{names}已达到序时进度、予以通报表扬，但此前的处理“{what}”仍在延续，通报中照此写明。是否维持，请办事处在印发前研究确定。",
            "如决定不再延续，请修改通报后印发；本工具按实施方案的规定照写，不自行取舍。",
            details={**details, "communities": [settings.display_name(k) for k in ranked]},
        )
    ]


def penalties(row: pd.Series, criticism: str) -> list[str]:
    """What falls on a community in the period: criticism and this period's consequences (honours
    already lost in an earlier period are a record, not a new sanction)."""
    items = [criticism] if row["commendation"] == criticism else []
    return items + [c for c in row["consequences"] if not str(c).endswith(CARRIED)]
