"""The quota in force per community: the quota table wins over config, every difference is reported.

Settings from tests/factories.py: 新民 / 新安 / 新华, quota 10 and weekly 1 per test in config;
config.toml declares a goal of 333 (quota.declared_total).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from pipeline.model import QUOTA_COLUMNS
from pipeline.problems import problems_frame, programme_warnings
from pipeline.quotas import effective_quotas
from tests.factories import A, B, C, make_settings

FILE = "任务分配表.xlsx"


def table(*rows: tuple[str, float, float, float, float]) -> pd.DataFrame:
    """Quota table rows (community, annual NT, annual serum, weekly NT, weekly serum) from row 4 on."""
    records: list[dict[str, Any]] = [
        {
            "src_file": FILE,
            "src_sheet": "任务分配表",
            "src_row": 4 + i,
            "community": name,
            "annual_nt": nt,
            "annual_serum": serum,
            "weekly_nt": wnt,
            "weekly_serum": wserum,
        }
        for i, (name, nt, serum, wnt, wserum) in enumerate(rows)
    ]
    return pd.DataFrame(records, columns=QUOTA_COLUMNS)


def test_without_a_table_config_is_used_and_the_goal_is_checked() -> None:
    frame, problems = effective_quotas(make_settings(), table())
    warnings = programme_warnings(problems_frame(problems))
    assert frame["source"].tolist() == ["配置文件"] * 3
    assert frame["quota_nt"].tolist() == [10, 10, 10]
    # Both tests sum to 10 + 10 + 10 = 30 against the declared 333: one warning speaks for both.
    assert [(w["code"], w["test"], w["declared"], w["sum"]) for w in warnings] == [
        ("goal_vs_quota_sum", "nt", 333, 30.0)
    ]
    assert warnings[0]["message"].startswith("超声NT筛查和血清学筛查各：方案目标任务为 333 人，但各社区任务数合计为 30 人（相差 303）")
    assert [p.code for p in problems] == ["goal_vs_quota_sum"]


def test_the_table_wins_and_every_difference_is_reported() -> None:
    rows = table(
        (A, 12, 10, 1, 1),  # annual NT 12 instead of 10
        (B, 10, 10, 1, 1),
        (B, 10, 10, 1, 2),  # B again: the last row wins, weekly serum 2 instead of 1
    )  # C is missing: config is used
    frame, problems = effective_quotas(make_settings(), rows)
    warnings = programme_warnings(problems_frame(problems))
    assert frame.set_index("community")["source"].to_dict() == {
        A: f"任务分配表（{FILE} 第4行）",
        B: f"任务分配表（{FILE} 第6行）",
        C: "配置文件（任务分配表中无此社区）",
    }
    assert frame["quota_nt"].tolist() == [12.0, 10.0, 10.0]
    assert frame["weekly_serum"].tolist() == [1.0, 2.0, 1.0]
    codes = [(p.code, p.value) for p in problems]
    # NT sums to 12 + 10 + 10 = 32, serum to 30: one goal warning per test.
    assert codes == [
        ("quota_duplicate", B),
        ("quota_differs", "12"),
        ("quota_differs", "2"),
        ("quota_missing", C),
        ("goal_vs_quota_sum", ""),
        ("goal_vs_quota_sum", ""),
    ]
    assert [(w["test"], w["sum"]) for w in warnings] == [("nt", 32.0), ("serum", 30.0)]


def test_a_total_row_that_disagrees_with_the_sum_is_reported() -> None:
    rows = table((A, 10, 10, 1, 1), (B, 10, 10, 1, 1), (C, 10, 10, 1, 1))
    settings = make_settings(quota={"declared_total": 30})
    totals = [{"annual_nt": 30.0, "annual_serum": 31.0, "file": FILE, "row": 7}]
    _, problems = effective_quotas(settings, rows, totals)
    warnings = programme_warnings(problems_frame(problems))
    # The declared 30 matches both sums; the total row's serum figure 31 does not.
    assert [(w["code"], w["test"], w["declared"], w["sum"]) for w in warnings] == [
        ("table_total_vs_sum", "serum", 31.0, 30.0)
    ]
    assert warnings[0]["message"] == f"血清学筛查：任务分配表合计行为 31，各社区之和为 30（{FILE} 第7行）。"
    assert [p.code for p in problems] == ["table_total_vs_sum"]
