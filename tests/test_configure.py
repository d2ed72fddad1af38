"""`screening init` (pipeline.configure): answers parsed, missing ones named, prompts on a terminal,
and a commented config.toml that states every rule and loads."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.configure import (
    QUESTIONS,
    STANDARD_COLUMNS,
    STANDARD_TESTS,
    InitError,
    Question,
    collect,
    config_text,
    parse_cadence,
    parse_community,
    parse_date,
    parse_days,
)
from pipeline.settings import load_settings
from tests.conftest import CONFIG

GIVEN: dict[str, Any] = {
    "office": "李店镇人民政府", "start": "2021/2/1", "end": "2021年11月30日", "doc_prefix": "李政文〔2021〕",
    "community": ("王庄村:30:0.8:张三", "李店社区:40/38:1/0.9"), "circular": "月", "due_days": "10日、25日",
    "health_centre": "李店镇卫生院", "region_code": "411328", "levels": "镇,村",
}


def test_answers_are_read_as_people_write_them() -> None:
    assert parse_date("2021/2/1") == parse_date("2021年2月1日") == parse_date("2021.2.1") == dt.date(2021, 2, 1)
    assert parse_days("5日、20日") == parse_days("20,5") == (5, 20)
    assert parse_cadence("半月") == {"kind": "month_days", "ends": [15, 31]}
    assert parse_cadence("旬") == {"kind": "month_days", "ends": [10, 20, 31]}
    assert parse_cadence("3天") == {"kind": "days", "every": 3}
    assert parse_cadence("周日") == {"kind": "weekday", "weekday": 7}
    assert parse_cadence("月5,20") == {"kind": "month_days", "ends": [5, 20]}
    c = parse_community("李店社区:40/38:1/0.9:李四")
    assert (c.name, c.quota_nt, c.quota_serum, c.weekly_nt, c.weekly_serum, c.leader) == ("李店社区", 40, 38, 1, 0.9, "李四")
    for bad, parse in (("2021-02-30", parse_date), ("5,40", parse_days), ("每季", parse_cadence), ("王庄村:30", parse_community)):
        with pytest.raises(ValueError):
            parse(bad)


def test_proposals_follow_from_earlier_answers() -> None:
    a = collect(GIVEN, None)
    assert a["area"] == "李店镇"  # 李店镇人民政府
    assert a["count_from"] == a["assess_from"] == dt.date(2021, 2, 1)
    assert a["first_due"] == dt.date(2021, 2, 10)  # the first due day on or after assessment starts
    assert a["plan_title"] == "李店镇人民政府2021年免费产前筛查工作实施方案"
    assert a["goal"] == 70  # 30 + 40 NT
    assert a["health_centre_short"] == "卫生院"
    assert (a["subsidy"], a["quarterly"], a["year_end"], a["lagging_text"]) == (False, False, False, ())


def test_unanswered_questions_are_named_by_their_options() -> None:
    with pytest.raises(InitError) as err:
        collect({"office": "城东街道办事处"}, None)
    for option in ("--start", "--end", "--community", "--circular", "--due-days", "--doc-prefix", "--region-code"):
        assert option in str(err.value)
    with pytest.raises(InitError, match=r"--quarterly|--evaluations"):
        collect({**GIVEN, "quarterly": True}, None)  # evaluations and amounts are needed then
    with pytest.raises(InitError, match=r"--start 的值有误.*2021-03-01"):
        collect({**GIVEN, "start": "明年"}, None)


def test_on_a_terminal_each_question_is_asked_until_it_parses() -> None:
    script = {"office": ["城东街道办事处"], "start": ["二月一日", "2021-02-01"], "end": ["2021-11-30"],
              "doc-prefix": ["东街文〔2021〕"], "community": [("东风社区:40:1",)], "circular": ["旬"],
              "due-days": ["5,20"], "health-centre": ["城东社区卫生服务中心"], "region-code": ["410102"],
              "subsidy": [True], "subsidy-per-case": ["50"]}
    errors: list[str] = []

    def ask(q: Question, default: Any, error: str) -> Any:
        if error:
            errors.append(f"{q.key}: {error}")
        answers = script.get(q.key)
        return answers.pop(0) if answers else ""  # empty: take the proposal

    a = collect({}, ask)
    assert errors == ["start: 日期“二月一日”无法识别，请写成 2021-03-01 的格式"]
    assert a["start"] == dt.date(2021, 2, 1) and a["community"][0].name == "东风社区"
    # Switched on: its questions were asked, proposals taken for the window.
    assert (a["subsidy"], a["subsidy_from"], a["subsidy_to"], a["subsidy_per_case"]) == (
        True, dt.date(2021, 1, 1), dt.date(2021, 1, 31), 50)


def test_the_config_written_states_every_rule_and_loads(tmp_path: Path) -> None:
    answers = collect({**GIVEN, "year_end": True, "year_end_reward": "1000", "year_end_fine": "0",
                       "lagging_text": ("村主任表态发言",), "stage_text": ("2=约谈支书",), "head": "王五:镇长"}, None)
    text = config_text(answers)
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    s = load_settings(path)
    assert s.programme.issuer == "李店镇人民政府" and s.organisation.levels == ("镇", "村")
    # The circular's issuing organ, and the plan's own number (when it has the circulars' prefix) taken.
    assert s.programme.issuing_organs == ("李店镇人民政府",)
    assert s.programme.taken_numbers == ()  # the plan has no number here
    numbered = config_text(collect({**GIVEN, "plan_number": "李政文〔2021〕3号"}, None))
    path.write_text(numbered, encoding="utf-8")
    assert load_settings(path).programme.taken_numbers == ("3",)
    assert s.cadence.circular.ends == (31,) and s.rosters.update_days == (10, 25)
    assert s.ranking.lagging_texts == ("村主任表态发言",) and s.ranking.stage_miss_texts == {"2": "约谈支书"}
    assert (s.rewards.year_end_money, s.rewards.year_end, s.rewards.year_end_reward) == (True, dt.date(2021, 11, 30), 1000)
    assert s.directory.head is not None and s.directory.head.name == "王五"
    assert s.communities[1].quota_serum == 38 and s.communities[0].leader == "张三"
    # Every rule line carries its Chinese explanation.
    assert "update_days = [10, 25]    # 此后每月报送更新名单的日期" in text
    assert "subsidy = false    # 方案是否对计入起点之前完成的筛查另行补助" in text


def test_the_header_vocabulary_is_the_example_configs() -> None:
    # init writes the same header words and test words as the shipped config (add a new alias to both).
    example = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    assert example["columns"] == STANDARD_COLUMNS
    assert example["tests"] == STANDARD_TESTS


def test_every_question_is_an_option_of_screening_init() -> None:
    help_text = CliRunner().invoke(main, ["init", "--help"]).output
    for q in QUESTIONS:
        assert q.option in help_text, q.option


def test_init_refuses_to_overwrite_and_validates_what_it_wrote(tmp_path: Path) -> None:
    args = ["init", str(tmp_path), "--office", "李店镇人民政府", "--start", "2021-02-01", "--end", "2021-11-30",
            "--doc-prefix", "李政文〔2021〕", "--community", "王庄村:30:0.8", "--circular", "月", "--due-days", "10,25",
            "--health-centre", "李店镇卫生院", "--region-code", "411328"]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    assert "已生成配置文件" in first.output and "screening template" in first.output
    again = CliRunner().invoke(main, args)
    assert again.exit_code != 0 and "已存在" in again.output and "--force" in again.output
    missing = CliRunner().invoke(main, ["init", str(tmp_path / "other"), "--office", "李店镇人民政府"])
    assert missing.exit_code == 2 and "--start" in missing.output and not (tmp_path / "other" / "config.toml").exists()
