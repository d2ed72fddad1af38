from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from pipeline.settings import SettingsError, load_settings, settings_rows, weeks_to_days
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


def test_seed_notes_name_what_is_not_computed(settings) -> None:  # type: ignore[no-untyped-def]
    from pipeline.settings import seed_notes

    notes = dict(seed_notes(settings))
    assert "不计算" in notes["绩效工资浮动制"]
    assert "2020-07-10" in notes["季度奖惩"]
    assert "333" in notes["目标任务"]


# Values TOML accepts that no programme can mean: NaN and inf, zero or negative limits, negative
# quotas, an absurd 1e308. Each is refused on load with a Chinese message naming the key (before,
# `quota_nt = nan` ended in an internal error after writing a summary.json with NaN).
TRAPS = [
    ("quota_nt = 72", "quota_nt = nan", "communities[1].quota_nt"),
    ("quota_nt = 72", "quota_nt = inf", "communities[1].quota_nt"),
    ("quota_nt = 72", "quota_nt = -inf", "communities[1].quota_nt"),
    ("quota_nt = 72", "quota_nt = 1e308", "communities[1].quota_nt"),
    ("quota_nt = 72", "quota_nt = -1", "communities[1].quota_nt"),
    ("max_cells = 20000000", "max_cells = 0", "limits.max_cells"),
    ("max_cells = 20000000", "max_cells = -5", "limits.max_cells"),
    ("max_file_mb = 100", "max_file_mb = 0", "limits.max_file_mb"),
    ("max_file_mb = 100", "max_file_mb = nan", "limits.max_file_mb"),
    ("max_sheets = 200", "max_sheets = 0", "limits.max_sheets"),
    ("max_compression_ratio = 200", "max_compression_ratio = 0.5", "limits.max_compression_ratio"),
    ("max_csv_line_chars = 100000", "max_csv_line_chars = -1", "limits.max_csv_line_chars"),
    ("subsidy_per_case = 100", "subsidy_per_case = -100", "programme.subsidy_per_case"),
    ("\nper_case = 100", "\nper_case = -100", "rewards.per_case"),
    ("\nper_case = 100", "\nper_case = 1e308", "rewards.per_case"),
    ("opening_within_days = 7", "opening_within_days = -7", "followup.opening_within_days"),
    ("size = 5 ", "size = -5 ", "spot_check.size"),
    ("port = 465", "port = 0", "mail.port"),
    ("retries = 3", "retries = -1", "mail.retries"),
    ("declared_total = 333", "declared_total = -333", "quota.declared_total"),
    ("declared_total = 333", "declared_total = 99999999999999999999", "quota.declared_total"),
]


@pytest.mark.parametrize(("old", "new", "key"), TRAPS, ids=[t[1] + " " + t[2] for t in TRAPS])
def test_out_of_range_numbers_are_refused_naming_the_key(tmp_path: Path, old: str, new: str, key: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(key)) as info:
        load_settings(_config_with(tmp_path, old, new))
    assert re.search(r"[\u4e00-\u9fff]", str(info.value))


def test_out_of_range_number_is_one_chinese_line_on_the_command_line(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from pipeline.cli import main

    config = _config_with(tmp_path, "quota_nt = 72", "quota_nt = nan")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", "--config", str(config), "--input", str(tmp_path), "--output", str(out)])
    assert result.exit_code == 2
    assert result.output.startswith("错误：配置项 communities[1].quota_nt") and "Traceback" not in result.output
    assert not out.exists()


def test_the_edges_of_the_ranges_are_accepted(tmp_path: Path) -> None:
    config = _config_with(tmp_path, "quota_nt = 72", "quota_nt = 0")
    assert load_settings(config).communities[0].quota_nt == 0
