from __future__ import annotations

import dataclasses
import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

import pytest

from pipeline.settings import (
    Cadences,
    Columns,
    Community,
    Directory,
    Organisation,
    Programme,
    Ranking,
    Rewards,
    Rosters,
    Settings,
    SettingsError,
    display_names,
    load_settings,
    settings_rows,
    weeks_to_days,
)
from tests.conftest import CONFIG


def _config_with(tmp_path: Path, old: str, new: str) -> Path:
    text = CONFIG.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "config.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_default_config_is_the_sizhou_programme(settings) -> None:  # type: ignore[no-untyped-def]
    p = settings.programme
    assert (p.start, p.end, p.goal) == (dt.date(2020, 3, 15), dt.date(2020, 12, 31), 333)
    assert p.count_from == p.assess_from == dt.date(2020, 4, 10)
    assert (p.subsidy_from, p.subsidy_to) == (dt.date(2020, 1, 1), dt.date(2020, 4, 9))
    assert [c.name for c in settings.communities] == ["新民社区", "新安社区", "新华社区", "常花园社区", "银华社区"]
    # 附件2: 72 per test and 2 a week; 银华社区 18 and 0.5; the quotas sum to 306, not 333.
    assert sum(c.quota_nt for c in settings.communities) == 306
    assert settings.community("银华社区").weekly_serum == 0.5
    assert settings.windows.days("nt") == (77, 97)  # 11+0 .. 13+6
    assert settings.windows.days("serum") == (105, 146)  # 15+0 .. 20+6
    assert settings.rosters.update_days == (8, 18, 28)
    assert settings.community("银华社区").leader == ""


def test_weeks_to_days() -> None:
    assert weeks_to_days("11+0") == 77
    assert weeks_to_days(" 20 + 6 ") == 146
    with pytest.raises(ValueError):
        weeks_to_days("11周")


def test_unknown_key_is_named(tmp_path: Path) -> None:
    path = _config_with(tmp_path, "goal = 333", "gaol = 333")
    with pytest.raises(SettingsError) as err:
        load_settings(path)
    assert "programme.gaol" in str(err.value)
    assert "无法识别" in str(err.value)


def test_wrong_type_is_named(tmp_path: Path) -> None:
    path = _config_with(tmp_path, "goal = 333", 'goal = "三百"')
    with pytest.raises(SettingsError, match=r"programme\.goal.*整数"):
        load_settings(path)


def test_impossible_date_is_reported_in_chinese(tmp_path: Path) -> None:
    path = _config_with(tmp_path, "end = 2020-12-31", "end = 2020-02-30")
    with pytest.raises(SettingsError, match="格式错误"):
        load_settings(path)


def test_start_after_end(tmp_path: Path) -> None:
    path = _config_with(tmp_path, "end = 2020-12-31", "end = 2020-01-31")
    with pytest.raises(SettingsError, match="programme.start"):
        load_settings(path)


def test_bad_literal_lists_the_choices(tmp_path: Path) -> None:
    path = _config_with(tmp_path, 'case = "both"', 'case = "pair"')
    with pytest.raises(SettingsError, match=r'rewards\.case.*"both" / "each"'):
        load_settings(path)


def test_readings_are_validated_by_name(tmp_path: Path) -> None:
    path = _config_with(tmp_path, 'stage_target = "behind_and_slipping"', 'stage_target = "lenient"')
    with pytest.raises(SettingsError, match=r'ranking\.stage_target.*"behind_and_slipping" / "period_share"'):
        load_settings(path)
    path = _config_with(tmp_path, 'evaluation_basis = "standing"', 'evaluation_basis = "year"')
    with pytest.raises(SettingsError, match=r'rewards\.evaluation_basis.*"standing" / "quarter"'):
        load_settings(path)
    path = _config_with(tmp_path, "min_period_days = 10", "min_period_days = -1")
    with pytest.raises(SettingsError, match="cadence.min_period_days"):
        load_settings(path)


def test_bad_window(tmp_path: Path) -> None:
    path = _config_with(tmp_path, 'nt_to = "13+6"', 'nt_to = "13周6天"')
    with pytest.raises(SettingsError, match="windows.nt"):
        load_settings(path)


def test_missing_file() -> None:
    with pytest.raises(SettingsError, match="找不到配置文件"):
        load_settings("/nonexistent/config.toml")


def test_settings_rows_name_their_source_line(settings) -> None:  # type: ignore[no-untyped-def]
    rows = {key: (value, source) for key, value, source in settings_rows(settings)}
    value, source = rows["programme.goal"]
    assert value == "333"
    line = int(source.split("第")[1].rstrip("行"))
    assert CONFIG.read_text(encoding="utf-8").splitlines()[line - 1].startswith("goal = 333")
    assert rows["communities[5].leader"][0] == ""
    assert "windows.nt_from" in rows


def test_plan_notes_name_what_is_not_computed(settings) -> None:  # type: ignore[no-untyped-def]
    from pipeline.wording import plan_notes

    notes = dict(plan_notes(settings))
    assert "不计算" in notes["绩效工资浮动制"]
    assert "2020-07-10" in notes["季度奖惩"]
    assert "333" in notes["目标任务"]


def test_display_names_are_the_shortest_paths_unique_in_the_organisation() -> None:
    places = [("平安县/城关镇", "王庄村"), ("平安县/城关镇", "东关社区"), ("平安县/李店镇", "王庄村"),
              ("长乐县/城关镇", "王庄村"), ("长乐县/城关镇", "东关社区"), ("长乐县/城关镇", "新华社区")]
    communities = [Community(name, 1, 1, 1, 1, parent=parent) for parent, name in places]
    assert list(display_names(communities).values()) == [
        "平安县城关镇王庄村",  # 城关镇王庄村 is 长乐县's too
        "平安县城关镇东关社区",
        "李店镇王庄村",
        "长乐县城关镇王庄村",
        "长乐县城关镇东关社区",
        "新华社区",  # the only one
    ]
    flat = [Community("新民社区", 1, 1, 1, 1), Community("新安社区", 1, 1, 1, 1)]
    assert display_names(flat) == {"新民社区": "新民社区", "新安社区": "新安社区"}


def test_a_copy_with_some_communities_keeps_the_organisations_names(settings) -> None:  # type: ignore[no-untyped-def]
    twins = (Community("王庄村", 1, 1, 1, 1, parent="甲镇"), Community("王庄村", 1, 1, 1, 1, parent="乙镇"))
    county = dataclasses.replace(settings, communities=twins)
    assert county.display == {"甲镇/王庄村": "甲镇王庄村", "乙镇/王庄村": "乙镇王庄村"}
    # A township's workbook holds its own villages only, named as the whole county names them.
    township = dataclasses.replace(county, communities=twins[:1])
    assert township.display_name("甲镇/王庄村") == "甲镇王庄村"
    assert not any(r[0].startswith("display") for r in settings_rows(county))


def test_the_explanation_rows_carry_no_mail_addresses(settings) -> None:  # type: ignore[no-untyped-def]
    """口径说明 travels in every community's workbook: no addresses, no mailbox settings."""
    import dataclasses

    from pipeline.settings import settings_rows

    mail = dataclasses.replace(settings.mail, leaders=("leader@example.cn",), communities={"新民社区": ("x@example.cn",)})
    rows = settings_rows(dataclasses.replace(settings, mail=mail))
    assert rows and not [r for r in rows if r[0].startswith("mail") or "@example.cn" in r[1]]


# --- rules of the plan: required, documented, switchable -------------------------------------------


def _rule_fields() -> list[tuple[str, Any, dataclasses.Field[Any]]]:
    """(section, dataclass, field) of every rule declared with pipeline.settings.rule."""
    sections = {"": Settings, "programme": Programme, "cadence": Cadences, "rosters": Rosters, "ranking": Ranking,
                "rewards": Rewards, "organisation": Organisation, "directory": Directory, "columns": Columns}
    return [(name, cls, f) for name, cls in sections.items() for f in dataclasses.fields(cls) if f.metadata.get("rule")]


def _without(tmp_path: Path, *lines: str) -> Path:
    """config.toml without the lines starting with ``lines`` (a section header drops its section)."""
    out, skipping = [], False
    for line in CONFIG.read_text(encoding="utf-8").splitlines():
        if line.startswith("["):
            skipping = line in lines
        if skipping or any(line.startswith(start) for start in lines if not start.startswith("[")):
            continue
        out.append(line)
    path = tmp_path / "config.toml"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def test_every_rule_says_what_it_is_and_what_to_write() -> None:
    rules = _rule_fields()
    assert len(rules) > 60
    for section, _, f in rules:
        assert f.metadata["what"], f.name
        if section:  # a key, not a whole section: its example is a TOML line that reads back
            example = f"{f.name} = {f.metadata['example']}"
            assert f.name in tomllib.loads(example), example


def test_the_example_config_states_every_rule(settings: Settings) -> None:
    # No rule of the Sizhou plan is left to a default: each is a line of config.toml.
    for section, _, f in _rule_fields():
        key = f"{section}.{f.name}" if section else f.name
        assert key in settings.lines or f"{key}[1]" in settings.lines, key  # [[communities]]: [1]


def test_a_missing_rule_is_an_error_naming_the_key_what_it_is_and_what_to_write(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as err:
        load_settings(_without(tmp_path, "update_days ="))
    text = str(err.value)
    assert "rosters.update_days" in text and "每月报送更新名单的日期" in text
    assert "[rosters]" in text and "update_days = [5, 20]" in text


def test_a_config_without_columns_is_refused_naming_the_section(tmp_path: Path) -> None:
    # Without the header words nothing would be read and the run would "succeed" with zeros.
    with pytest.raises(SettingsError, match=r"缺少 columns.*各列表头的名称.*screening init"):
        load_settings(_without(tmp_path, "[columns]"))


def test_a_part_the_plan_does_not_have_is_switched_off_explicitly(tmp_path: Path) -> None:
    path = _config_with(tmp_path, "subsidy = true", "subsidy = false")
    text = path.read_text(encoding="utf-8")
    kept = [line for line in text.splitlines() if not line.startswith(("subsidy_from", "subsidy_to", "subsidy_per", "subsidy_case"))]
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    s = load_settings(path)
    assert s.programme.subsidy_window is None
    # Rules of a part switched off are not in force: not listed in 口径说明.
    assert not [key for key, _, _ in settings_rows(s) if key.startswith("programme.subsidy_")]


def test_a_part_switched_on_needs_its_rules(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"programme\.subsidy_per_case.*programme\.subsidy = true 时必填"):
        load_settings(_without(tmp_path, "subsidy_per_case"))
    # With quarterly = false its keys may go; year_end_money = true still needs its own.
    path = _config_with(tmp_path, "quarterly = true", "quarterly = false")
    path.write_text(path.read_text(encoding="utf-8").replace("year_end_fine = 2000", ""), encoding="utf-8")
    with pytest.raises(SettingsError, match=r"rewards\.year_end_fine"):
        load_settings(path)


def test_a_cadence_needs_the_number_its_kind_uses(tmp_path: Path) -> None:
    path = _config_with(tmp_path, "summary = { kind = \"days\", every = 3 }", "summary = { kind = \"days\" }")
    with pytest.raises(SettingsError, match=r"cadence\.summary\.every.*every = 3"):
        load_settings(path)


def test_region_code_is_six_digits(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="organisation.region_code"):
        load_settings(_config_with(tmp_path, 'region_code = "411328"', 'region_code = "唐河"'))
