from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipeline.settings import (
    SettingsError,
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

