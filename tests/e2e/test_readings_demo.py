"""The shipped demo's year under the default stage reading (behind_and_slipping), every circular
period of 2020 from one analysis at 2020-12-31 (``summary["periods"]`` carries each period's ranking,
consequences and commendation). The assertions are the rules, computed from each period's own
figures, not the demo's figures of today (the demo input may change)."""

from __future__ import annotations

import datetime as dt
import importlib.util
from typing import Any

from pipeline.calendar import circular_periods
from pipeline.score import CARRIED
from pipeline.settings import Settings
from tests.conftest import REPO, demo_result

YEAR_END = dt.date(2020, 12, 31)
# Figures in summary.json are rounded to 4 decimals: a comparison closer than this is not decided.
TOL = 1e-3


def _combined(entry: dict[str, Any], key: str) -> float:
    return float(sum(v for v in entry[key].values() if v is not None))


def _periods() -> list[dict[str, Any]]:
    return demo_result(YEAR_END).summary["periods"]


def test_every_circular_period_of_the_year_is_in_the_summary(settings: Settings) -> None:
    assert settings.ranking.stage_target == "behind_and_slipping"
    spans = circular_periods(settings)
    # The half-month's first period (04-10..04-15, 6 days) is merged into the second: 17 periods.
    assert len(spans) == 17 and spans[0] == (dt.date(2020, 4, 10), dt.date(2020, 4, 30))
    assert [(p["start"], p["end"]) for p in _periods()] == [(a.isoformat(), b.isoformat()) for a, b in spans]


def test_no_community_at_or_above_its_expected_count_is_criticised_or_sanctioned(settings: Settings) -> None:
    r = settings.ranking
    on_target_rows = 0
    for period in _periods():
        for entry in period["ranking"]:
            done, expected = _combined(entry, "done"), _combined(entry, "expected")
            if abs(done - expected) >= TOL:  # the flag agrees with the figures it stands for
                assert entry["on_target"] == (done > expected), entry
            if not entry["on_target"]:
                continue
            on_target_rows += 1
            new = [c for c in entry["consequences"] if not c.endswith(CARRIED)]
            assert not entry["lagging"] and not entry["stage_target_missed"], (period["end"], entry["name"])
            assert entry["commendation"] == r.praise_text and not new, (period["end"], entry["name"], new)
    assert on_target_rows  # the check saw communities on target (it cannot pass vacuously)


def test_discipline_referral_only_after_three_periods_behind_and_slipping_in_a_row(settings: Settings) -> None:
    discipline = settings.ranking.stage_miss_texts["3"]
    periods = _periods()
    behind_and_slipping: dict[str, list[bool]] = {}
    expected_before: dict[str, float] = {}
    for period in periods:
        for entry in period["ranking"]:
            key = entry["key"]
            done, expected = _combined(entry, "done"), _combined(entry, "expected")
            period_expected = expected - expected_before.get(key, 0.0)
            expected_before[key] = expected
            # Lenient at the rounding edge: only a clear "not behind" or "not slipping" refutes.
            flag = done < expected + TOL and _combined(entry, "period_done") < period_expected + TOL
            history = behind_and_slipping.setdefault(key, [])
            history.append(flag)
            if discipline in entry["consequences"]:
                assert len(history) >= 3 and all(history[-3:]), (period["end"], entry["name"], history[-3:])
    assert len(behind_and_slipping) == len(settings.communities)


def test_docs_readings_is_current(settings: Settings) -> None:
    """docs/readings.md is what scripts/readings.py gives on the demo now (regenerate it with
    ``python scripts/readings.py`` when the demo input or the scoring changes)."""
    spec = importlib.util.spec_from_file_location("readings_script", REPO / "scripts" / "readings.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    text = script.render(demo_result(YEAR_END), settings)
    assert "| `behind_and_slipping` 落后且未追赶 (default) |" in text
    assert (REPO / "docs" / "readings.md").read_text(encoding="utf-8") == text, "run python scripts/readings.py"
