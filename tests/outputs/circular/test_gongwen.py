"""The circular as a 公文 (GB/T 9704-2012): head, title, tables, 版记, dates, numerals and the content
the office used to write by hand (存在的问题, evaluation and year-end results, the programme's end)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from typing import Any

import pytest
from docx.oxml.ns import qn

from pipeline.outputs.circular import body_blocks, build_docx, circular_context, write_html
from pipeline.outputs.circular.docx import title_lines
from pipeline.settings import Settings, load_settings
from tests.conftest import CONFIG, demo_result

JUNE_30 = dt.date(2020, 6, 30)
JULY_15 = dt.date(2020, 7, 15)
DEC_31 = dt.date(2020, 12, 31)


def _text(summary: dict[str, Any], settings: Settings, **kw: Any) -> str:
    """The circular's text as laid out in Word (paragraphs, then the tables' cells)."""
    doc = build_docx(circular_context(summary, settings, **kw), settings)
    parts = [p.text for p in doc.paragraphs]
    parts += [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join(parts)


@pytest.fixture(scope="module")
def june(settings: Settings) -> dict[str, Any]:
    return dict(demo_result(JUNE_30).summary)


# ----------------------------------------------------------------------------------------------
# Form


def test_title_breaks_only_between_words_and_evenly() -> None:
    marked = "\u200b".join(["关于", "2020年6月16日至6月30日", "“两筛”工作", "进展情况的通报"])
    # 156 mm type area = 442 pt; 22 pt characters: 20 to a line, the title needs two.
    assert title_lines(marked, 22, 442) == ["关于2020年6月16日至6月30日", "“两筛”工作进展情况的通报"]
    # Wide enough: one line; never a break inside a word, even when the words alone are too long.
    assert title_lines(marked, 10, 442) == ["关于2020年6月16日至6月30日“两筛”工作进展情况的通报"]
    assert title_lines("两筛", 22, 10) == ["两筛"]


def test_numerals_are_arabic_and_expected_counts_are_not_people(june: dict[str, Any], settings: Settings) -> None:
    text = _text(june, settings)
    # The plan's words verbatim: "工作落后的2个社区"; streaks in Arabic like every other count.
    assert "工作落后的2个社区" in text and "连续2次工作落后" in text and "连续5次工作落后" in text
    assert not re.search(r"[一两二三四五六七八九十]+(次|个社区)", text.replace("一次性", ""))
    # 99.57 expected screenings are a pace, not 99.6 people.
    assert "应完成数99.6的103.4%" in text
    assert not re.search(r"\d+\.\d人", text)


def test_tables_have_a_number_column_a_repeating_header_and_rows_kept_whole(
    june: dict[str, Any], settings: Settings
) -> None:
    doc = build_docx(circular_context(june, settings), settings)
    assert len(doc.tables) == 2
    for table in doc.tables:
        rows = list(table.rows)
        assert rows[0].cells[0].text == "序号"
        assert [r.cells[0].text for r in rows[1:6]] == ["1", "2", "3", "4", "5"]
        for n, row in enumerate(rows):
            trpr = row._tr.trPr
            assert trpr is not None and trpr.find(qn("w:cantSplit")) is not None
            assert (trpr.find(qn("w:tblHeader")) is not None) == (n == 0)


def test_draft_mark_review_page_and_colophon(june: dict[str, Any], settings: Settings) -> None:
    draft = build_docx(circular_context(june, settings), settings)
    header = "".join(p.text for p in draft.sections[-1].header.paragraphs)
    assert header == "征求意见稿"
    # The review page is a section of its own; the circular's pages are numbered from 1.
    assert len(draft.sections) == 2
    assert draft.sections[-1]._sectPr.find(qn("w:pgNumType")).get(qn("w:start")) == "1"
    issued = build_docx(circular_context(june, settings, number="12"), settings)
    assert len(issued.sections) == 1
    assert "".join(p.text for p in issued.sections[0].header.paragraphs) == ""
    paragraphs = [p.text for p in issued.paragraphs if p.text]
    # 版记: 抄送 and 印发机关/印发日期 from config, the 印发日期 the 成文日期.
    assert paragraphs[-2:] == ["抄送：唐河县卫生健康委员会。", "唐河县泗洲街道党政办公室\t2020年7月1日印发"]
    # 附件说明 before the signature, each attachment on a page of its own.
    assert "附件：1．各社区排名情况" in paragraphs and "2．各社区筛查完成情况" in paragraphs
    breaks = [p.text for p in issued.paragraphs if p.paragraph_format.page_break_before]
    assert breaks == ["附件1", "附件2"]


def test_signature_is_kept_with_the_text_above_it(june: dict[str, Any], settings: Settings) -> None:
    doc = build_docx(circular_context(june, settings, number="12"), settings)
    paragraphs = list(doc.paragraphs)
    date = next(i for i, p in enumerate(paragraphs) if p.text == "2020年7月1日")
    last_body = max(i for i, p in enumerate(paragraphs[:date]) if p.text.startswith("各分包领导"))
    # Every paragraph from the body's last one to the signature keeps with the next: a page never
    # holds only the signature and the date.
    assert all(p.paragraph_format.keep_with_next for p in paragraphs[last_body:date])


# ----------------------------------------------------------------------------------------------
# Dates


def test_date_is_settable_and_deadlines_follow_it(june: dict[str, Any], settings: Settings) -> None:
    default = circular_context(june, settings)
    assert default["date_text"] == "2020年7月1日"  # the day after the period end
    assert default["next_roster_due"] == "7月8日" and default["next_evaluation"] == "7月10日"
    late = circular_context(june, settings, date=dt.date(2020, 7, 11))
    assert late["date_text"] == "2020年7月11日"
    # Rosters are due on the 8th, 18th and 28th; the evaluations on 07-10, 10-10, 12-26.
    assert late["next_roster_due"] == "7月18日" and late["next_evaluation"] == "10月10日"
    assert "7月8日前" not in _text(june, settings, date=dt.date(2020, 7, 11))


# ----------------------------------------------------------------------------------------------
# What the office used to write by hand


def test_problems_paragraph_from_the_data(june: dict[str, Any], settings: Settings) -> None:
    text = _text(june, settings)
    by_name = {c["name"]: c for c in june["communities"]}
    # 新华 at 79.0%: 100 - 79.0 = 21.0 points behind; 银华 at 93.9%: 6.1 points.
    assert f"{by_name['新华社区']['rate']:.3f}".startswith("0.790")
    assert "一是进度不平衡。新华社区综合完成率79.0%，低于序时进度21.0个百分点；银华社区综合完成率93.9%，低于序时进度6.1个百分点。" in text
    tl = by_name["银华社区"]["roster_timeliness"]
    assert f"二是花名册报送不及时。截至6月30日，银华社区应报花名册{tl['due']}次，按时报送{tl['on_time']}次，逾期{tl['late']}次。" in text
    assert "三是存在漏报。" in text
    waiting = [c for c in june["communities"] if c["high_risk_awaiting_diagnosis"]]
    assert waiting and "四是高风险孕妇产前诊断有待跟进。" in text
    for c in waiting:
        assert f"{c['name']}{c['high_risk_awaiting_diagnosis']}人" in text


def test_quarterly_evaluation_in_the_period_holding_its_date(june: dict[str, Any], settings: Settings) -> None:
    assert "季度评比结果" not in _text(june, settings)  # 07-10 is not in 06-16..06-30
    july = dict(demo_result(JULY_15).summary)
    text = _text(july, settings)
    (event,) = [e for e in july["evaluations"] if e["date"] == "2020-07-10"]
    assert "7月10日第1次季度评比：" in text
    for r in event["communities"]:
        if r["met"]:
            amount = int(r["case_amount"])
            assert f"{r['display_name']}完成任务，补助{r['cases']}例共{amount}元，奖励专干300元" in text
            assert amount == r["cases"] * 100  # 100 yuan a case (both tests)
    missed = [r["display_name"] for r in event["communities"] if not r["met"]]
    if missed:
        assert f"{'、'.join(missed)}未完成任务，本次不予奖励。" in text
    total = sum(int(r["case_amount"] + r["specialist"]) for r in event["communities"])
    assert f"本次共兑现{total}元。" in text


def test_last_circular_has_the_year_end_and_asks_nothing_to_continue(settings: Settings) -> None:
    december = dict(demo_result(DEC_31).summary)
    text = _text(december, settings)
    (year_end,) = [e for e in december["evaluations"] if e["kind"] == "年终考核"]
    met = [r["display_name"] for r in year_end["communities"] if r["met"]]
    missed = [r["display_name"] for r in year_end["communities"] if not r["met"]]
    assert met and missed
    assert f"{'、'.join(met)}完成年度目标任务，按照实施方案分别一次性奖励支书和“两筛”专干3000元。" in text
    assert f"{'、'.join(missed)}未完成年度目标任务，按照实施方案罚款2000元（从经费中扣除）。" in text
    assert "本期为最后一期通报" in text
    for request in ("继续", "下步工作要求", "上报更新后的已孕对象花名册", "季度评比准备", "确保应筛尽筛"):
        assert request not in text, request
    # The lagging and consequence lines agree with summary communities[].consequences (the terminal's
    # and the workbooks' source): every consequence of every community is in the circular.
    for c in december["communities"]:
        for consequence in c["consequences"]:
            assert f"{c['name']}" in text and consequence in text


def test_body_blocks_parse_the_new_markers(june: dict[str, Any], settings: Settings) -> None:
    kinds = [b["kind"] for b in body_blocks(circular_context(june, settings), settings)]
    for kind in ("draft", "office", "issue", "number", "title", "annex", "signature", "date", "attachment",
                 "attachment_title", "copy_to", "printed"):
        assert kind in kinds, kind
    assert kinds.count("office") == 2 and kinds.count("signature") == 2


def test_a_single_issuer_when_none_are_listed(june: dict[str, Any]) -> None:
    base = load_settings(CONFIG)
    one = replace(base, programme=replace(base.programme, issuers=(), copy_to="", printed_by=""))
    ctx = circular_context(june, one)
    assert ctx["issuers"] == ["泗洲街道办事处"] and ctx["copy_to"] is None
    assert ctx["printed_by"] == "泗洲街道办事处"
    kinds = [b["kind"] for b in body_blocks(ctx, one)]
    assert "copy_to" not in kinds and kinds.count("office") == 1


def test_html_has_the_same_head_title_lines_and_colophon(june: dict[str, Any], settings: Settings, tmp_path: Any) -> None:
    html = write_html(tmp_path / "c.html", circular_context(june, settings, number="12"), settings).read_text(
        encoding="utf-8"
    )
    assert '<h1 class="title">关于2020年6月16日至6月30日<br>“两筛”工作进展情况的通报</h1>' in html
    assert html.count('<p class="office">') == 2 and '<p class="issue">第5期</p>' in html
    assert "抄送：唐河县卫生健康委员会。" in html and '<span class="right">2020年7月1日印发</span>' in html
    assert "征求意见稿" not in html
