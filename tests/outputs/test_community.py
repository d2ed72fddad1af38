"""One community's view (pipeline.outputs.community): exactly its own rows, nobody else's."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd

from pipeline.outputs.community import COMMUNITY_ISSUES, community_views
from pipeline.settings import Settings
from tests.conftest import demo_result

AS_OF = dt.date(2020, 12, 31)


def own_only(frame: pd.DataFrame, key: str) -> bool:
    return frame.empty or bool((frame["community"] == key).all())


def test_a_view_holds_only_its_own_rows(settings: Settings) -> None:
    result = demo_result(AS_OF)
    views = community_views(result, settings)
    assert list(views) == settings.community_keys
    rec = result.reconciled
    for key, view in views.items():
        assert view.name == settings.community(key).name and view.as_of == AS_OF
        for frame in (view.followup, view.high_risk, view.timeliness.summary,
                      view.timeliness.detail, view.timeliness.paper, view.issues["漏报"], view.issues["待核实"],
                      view.issues["花名册重复行"], view.issues["自报未核实"]):
            assert own_only(frame, key)
        assert set(view.issues) == set(COMMUNITY_ISSUES)
        # A conflict is shown to every community whose roster lists the woman.
        for own, rosters in zip(view.issues["花名册冲突"]["community"], view.issues["花名册冲突"]["rosters"], strict=True):
            assert key == own or key in str(rosters).split("、")
        assert len(view.followup) == int((rec.followup["community"] == key).sum())
        # The whole sub-district is one ranking block: every community, no personal columns used.
        assert view.ranking["community"].tolist() == settings.community_keys
        assert view.run.files == result.files
        # The inspection group's spot checks are drawn "不发通知、不打招呼": in no community's view.
        assert not any("spot" in f.name for f in dataclasses.fields(view))
    # Every follow-up row is in exactly one view.
    assert sum(len(v.followup) for v in views.values()) == len(rec.followup.dropna(subset=["community"]))
