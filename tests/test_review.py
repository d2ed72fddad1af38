"""The plausibility review (pipeline.review): what the office must question before a circular is
drafted, as programme-scope problems with stable codes; and end to end, a run without a screening
log: the terminal's "注意：" lines, summary.json's warnings[] and the draft's 审核提示 page."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

from click.testing import CliRunner
from docx import Document

from pipeline.cli import main
from pipeline.model import SheetInfo
from pipeline.problems import CODES
from pipeline.review import review_inputs, review_scored
from tests.conftest import CONFIG, DEMO_INPUT
from tests.factories import A, B, C, D, community, log_row, make_settings, normalized, person, roster_row
from tests.score.test_readings import _readings_scenario
from tests.score.test_score import scored

REVIEW_CODES = {"no_screening_log", "no_quota_table", "community_no_roster", "review_all_penalised",
                "review_top_penalised", "review_carried_on_target"}


def test_review_codes_are_programme_warnings() -> None:
    for code in REVIEW_CODES:
        assert CODES[code].scope == "programme" and CODES[code].severities[0].value == "warning"


# --- inputs --------------------------------------------------------------------------------------------


def test_nothing_in_the_input_is_every_kind_missing() -> None:
    s = make_settings()  # 新民, 新安, 新华
    found = review_inputs(normalized(), s, D(2020, 5, 1))
    assert [p.code for p in found] == ["no_screening_log", "no_quota_table", *["community_no_roster"] * 3]
    assert [dict(p.details).get("community") for p in found[2:]] == [A, B, C]
    assert "筛查登记" in found[0].message and "配置文件" in found[1].message


def test_no_roster_is_owed_before_the_first_due_date() -> None:
    # The first roster is due 04-18: on 04-17 a community without one is not (yet) a finding.
    codes = [p.code for p in review_inputs(normalized(), make_settings(), D(2020, 4, 17))]
    assert "community_no_roster" not in codes


def test_a_community_with_rows_or_an_empty_roster_sheet_has_a_roster() -> None:
    s = make_settings()
    w = person(1)
    norm = normalized([roster_row(w, A)], [log_row(w, "nt", "2020-04-20")])
    # 新华 sent a 零报告: a roster sheet with a 填报日期 and no rows.
    norm = dataclasses.replace(norm, sheets=[SheetInfo(file="新华社区花名册.xlsx", sheet="Sheet1", kind="roster", community=C)])
    found = review_inputs(norm, s, D(2020, 5, 1))
    assert [(p.code, p.value) for p in found] == [("no_quota_table", ""), ("community_no_roster", B)]


# --- consequences ----------------------------------------------------------------------------------------


def test_every_community_penalised() -> None:
    # Nobody has screened anyone by 04-30: all tied at 0, all named lagging, all criticised.
    s = make_settings([community(A), community(B), community(C)])
    found = review_scored(scored([], s, D(2020, 4, 30)), s)
    assert [p.code for p in found] == ["review_all_penalised"]  # all share rank 1: no separate top finding
    assert dict(found[0].details) == {"period": 1, "end": "2020-04-30", "communities": [A, B, C]}
    assert "第1期（2020年4月10日至4月30日）所有3个社区" in found[0].message
    assert "落后且未追赶" in found[0].message


def test_top_ranked_community_penalised() -> None:
    # tests.score.test_readings: at 05-15 新安 ranks first (10/10.29 = 97 %) yet is behind and
    # slipping (4 < 4.29 this period): criticised; 新华 is neither: not every community.
    circ = _readings_scenario("behind_and_slipping")
    p2 = circ[circ["period"] == 2].set_index("community")
    assert p2.at[B, "rank"] == 1 and p2.at[B, "commendation"] == "通报批评" and p2.at[C, "commendation"] == ""
    s = make_settings(
        [community(A, quota=100), community(B, quota=100), community(C, quota=100)], ranking={"lagging_count": 1}
    )
    fake = dataclasses.replace(scored([], s, D(2020, 5, 15)), circulars=circ)
    found = review_scored(fake, s)
    assert [p.code for p in found] == ["review_top_penalised"]
    assert dict(found[0].details)["communities"] == [B]
    assert "排名第一的新安社区（综合完成率97.2%）将受到：通报批评" in found[0].message


def test_a_publishable_period_has_no_finding() -> None:
    # At 04-30 新民 and 新安 are on target (praised), only 新华 is criticised.
    circ = _readings_scenario("behind_and_slipping")
    s = make_settings()
    p1 = circ[circ["period"] == 1].reset_index(drop=True)
    fake = dataclasses.replace(scored([], s, D(2020, 4, 30)), circulars=p1)
    assert review_scored(fake, s) == []
    # Honours lost in an earlier period and carried on are a record, not a new sanction: 新民
    # (ranked first, praised) carrying one is not "the top-ranked penalised"; but the circular would
    # praise it and repeat its loss in the next line, so the office is asked whether to keep it.
    carried = p1.assign(consequences=[["取消年底评先资格（延续）"] if k == A else c
                                      for k, c in zip(p1["community"], p1["consequences"], strict=True)])
    found = review_scored(dataclasses.replace(fake, circulars=carried), s)
    assert [p.code for p in found] == ["review_carried_on_target"]
    assert dict(found[0].details)["communities"] == [A]
    assert "新民社区（第1名）已达到序时进度" in found[0].message and "“取消年底评先资格”仍在延续" in found[0].message
    # Carried by a community still behind (新华, criticised): the plan's rule at work, no finding.
    behind = p1.assign(consequences=[["取消年底评先资格（延续）"] if k == C else c
                                     for k, c in zip(p1["community"], p1["consequences"], strict=True)])
    assert review_scored(dataclasses.replace(fake, circulars=behind), s) == []
    fresh = p1.assign(consequences=[["社区相关责任人表态发言"] if k == A else c
                                    for k, c in zip(p1["community"], p1["consequences"], strict=True)])
    assert [p.code for p in review_scored(dataclasses.replace(fake, circulars=fresh), s)] == ["review_top_penalised"]


# --- end to end: a run without a screening log ---------------------------------------------------------------


def test_run_without_screening_log_warns_everywhere(tmp_path: Path) -> None:
    folder = tmp_path / "input"
    folder.mkdir()
    # The quota table and 新民's, 新安's, 新华's rosters up to June; no log; 常花园 and 银华 sent nothing.
    for pattern in ("任务分配表.xlsx", "新民社区已孕对象花名册202004*.xlsx", "新安社区已孕对象花名册（4月*.xlsx",
                    "新华社区花名册-04*.xlsx"):
        for path in DEMO_INPUT.glob(pattern):
            shutil.copy(path, folder / path.name)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["run", "--input", str(folder), "--output", str(out), "--as-of", "2020-05-15", "--config", str(CONFIG)]
    )
    assert result.exit_code == 0, result.output
    notes = [line for line in result.output.splitlines() if line.startswith("注意：")]
    assert any("没有筛查登记" in line for line in notes)
    assert any(line.startswith("注意：常花园社区没有报送任何花名册") for line in notes)
    assert any(line.startswith("注意：银华社区没有报送任何花名册") for line in notes)
    assert any("所有5个社区都将被通报批评或处理" in line for line in notes)

    summary = json.loads((out / "2020-05-15" / "summary.json").read_text(encoding="utf-8"))
    codes = [w["code"] for w in summary["warnings"]]
    assert {"no_screening_log", "review_all_penalised"} <= set(codes)
    assert sorted(w["community"] for w in summary["warnings"] if w["code"] == "community_no_roster") == [
        "常花园社区", "银华社区"]
    assert "no_quota_table" not in codes  # the quota table is there

    doc = Document(str(out / "2020-05-15" / "通报_2020-05-15.docx"))
    texts = [p.text for p in doc.paragraphs if p.text]
    start = texts.index("中共唐河县泗洲街道工作委员会")
    review = texts[:start]
    assert review[0].startswith("审核提示")
    assert any("没有筛查登记" in t for t in review) and any("常花园社区没有报送" in t for t in review)
    assert not any("审核提示" in t for t in texts[start:])
