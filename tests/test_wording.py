"""The plan's words from the settings (pipeline.wording): the citation, the cadence, the
organisation's levels, examples in the programme's year, and only the rules in force in 口径说明."""

from __future__ import annotations

import dataclasses
import datetime as dt

from pipeline.settings import Cadence, Community, Settings
from pipeline.wording import (
    cadence_phrase,
    cadence_requirement,
    cadence_text,
    every_period,
    example_day,
    org_words,
    period_word,
    plan_citation,
    plan_notes,
)
from tests.factories import make_settings

HALF_MONTH = Cadence("month_days", ends=(15, 31))
TEN_DAYS = Cadence("month_days", ends=(10, 20, 31))


def test_a_cadence_is_named_as_people_name_it() -> None:
    cases = [
        (Cadence("days", every=3), "三天", "三天一汇总", "每三天"),
        (Cadence("days", every=7), "周", "一周一汇总", "每周"),
        (Cadence("weekday", weekday=1), "周", "一周一汇总", "每周"),
        (HALF_MONTH, "半月", "半月一汇总", "每半个月"),
        (TEN_DAYS, "旬", "一旬一汇总", "每旬"),
        (Cadence("month_days", ends=(31,)), "月", "一月一汇总", "每月"),
        (Cadence("month_days", ends=(5, 20)), "", "每月5日、20日汇总", "每月5日、20日"),
    ]
    for cadence, word, phrase, every in cases:
        assert (period_word(cadence), cadence_phrase(cadence, "汇总"), every_period(cadence)) == (word, phrase, every)


def test_the_circular_quotes_the_plans_own_words_or_says_them_in_its_own(settings: Settings) -> None:
    # Sizhou's config gives the plan's words: quoted verbatim.
    assert cadence_requirement(settings) == "“三天一汇总、一周一排序、半月一总结”的要求"
    # Without them, the cadences are worded (not quoted: the plan may not say it so).
    own = dataclasses.replace(settings, cadence=dataclasses.replace(settings.cadence, text="", circular=TEN_DAYS))
    assert cadence_text(own) == "三天一汇总、一周一排序、一旬一总结"
    assert cadence_requirement(own) == "关于三天一汇总、一周一排序、一旬一总结的要求"


def test_the_plan_is_cited_with_its_number_when_it_has_one(settings: Settings) -> None:
    assert plan_citation(settings) == "《唐河县泗洲街道办事处2020年免费产前筛查工作实施方案》（唐洲文〔2020〕7号）"
    unnumbered = make_settings(programme={"plan_title": "城东街道办事处2021年两筛方案", "plan_number": ""})
    assert plan_citation(unnumbered) == "《城东街道办事处2021年两筛方案》"


def test_the_organisations_words_follow_its_levels(settings: Settings) -> None:
    words = org_words(settings)
    assert (words.whole, words.each, words.unit) == ("全街道", "各社区", "社区")
    town = make_settings(organisation={"levels": ("镇", "村")})
    assert (org_words(town).whole, org_words(town).each) == ("全镇", "各村")
    # A county: the levels fit the paths (县/乡镇/村).
    county = make_settings(
        [Community("王庄村", 1, 1, 1, 1, parent="平安县/城关镇")], organisation={"levels": ("县", "乡镇", "村（社区）")}
    )
    assert (org_words(county).whole, org_words(county).unit) == ("全县", "村（社区）")
    # Levels that do not fit the paths name no level.
    assert org_words(make_settings([Community("王庄村", 1, 1, 1, 1, parent="平安县/城关镇")])).whole == "全部"


def test_examples_are_in_the_programmes_year() -> None:
    assert example_day(make_settings()) == dt.date(2020, 4, 8)
    later = make_settings(programme={"start": dt.date(2021, 2, 1), "end": dt.date(2021, 11, 30)})
    assert example_day(later) == dt.date(2021, 4, 8)
    autumn = make_settings(programme={"start": dt.date(2021, 6, 1), "end": dt.date(2021, 12, 31)})
    assert example_day(autumn) == dt.date(2021, 6, 1)


def test_only_the_rules_in_force_are_listed_in_the_explanation(settings: Settings) -> None:
    sizhou = dict(plan_notes(settings))
    assert {"绩效工资浮动制", "纸质花名册", "季度奖惩", "年终奖惩", "举报电话"} <= set(sizhou)
    assert "补助名单" in sizhou["计入起点"] and "取消年底评先资格一经作出，持续到项目结束" in sizhou["落后社区"]
    assert "三天一汇总、一周一排序、半月一总结" in sizhou["通报周期"]
    bare = make_settings(
        programme={"subsidy": False, "listed_rules": {}, "hotline": ""},
        rosters={"paper": ""},
        rewards={"quarterly": False, "year_end_money": False},
        ranking={"lagging_texts": (), "stage_miss_texts": {}, "praise_text": "", "criticism_text": ""},
    )
    notes = dict(plan_notes(bare))
    assert not {"绩效工资浮动制", "纸质花名册", "季度奖惩", "年终奖惩", "举报电话"} & set(notes)
    assert "补助" not in notes["计入起点"].replace("方案未规定补助", "")
    assert notes["落后社区"].endswith("方案未规定处理措施。")
    assert "表扬" not in notes["阶段性目标"] and "批评" not in notes["阶段性目标"]
    text = "".join(v for _, v in plan_notes(bare))
    for sizhou_only in ("评先", "纪工委", "支书", "3000", "2000"):
        assert sizhou_only not in text
