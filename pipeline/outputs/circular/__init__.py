"""The half-monthly circular (通报): a Word document in official-document layout (GB/T 9704),
a printable HTML page and a short plain-text summary for the office's WeChat group.

The circular is built only from the summary dict (``Analysis.summary`` / summary.json) and the
settings, so it carries community-level figures and never a woman's name, ID or phone.

Wording lives in ``templates/`` (Jinja2), so the office can edit it without touching code:

* ``circular_body.txt.j2`` - the document itself, one paragraph per line, with simple markers
  (see :func:`parse_body`) telling the Word and HTML writers how to lay each line out;
* ``circular.html.j2`` - the HTML page (layout only; it renders the same paragraphs as Word);
* ``circular.txt.j2`` - the WeChat summary.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_LINE_SPACING, WD_PARAGRAPH_ALIGNMENT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from lxml import etree

from pipeline.calendar import due_dates, periods
from pipeline.fmt import cn_count, cn_date, cn_span, fmt_num, fmt_pct
from pipeline.outputs.names import circular_names
from pipeline.settings import TEST_LABELS, TESTS, Settings

BODY_TEMPLATE = "circular_body.txt.j2"
HTML_TEMPLATE = "circular.html.j2"
TEXT_TEMPLATE = "circular.txt.j2"
TITLE_FORMAT = "关于{period}“两筛”工作进展情况的通报"
TITLE_NO_PERIOD = "关于“两筛”工作进展情况的通报"

# Fonts of a Chinese official document, each with the font Word substitutes when it is missing
# (written into the document's font table as w:altName).
FONT_OFFICE = "方正小标宋简体"  # 发文机关标志 and title
FONT_BODY = "仿宋_GB2312"
FONT_H1 = "黑体"
FONT_H2 = "楷体_GB2312"
FONT_PAGE = "宋体"
FONT_FALLBACKS = {
    FONT_OFFICE: "宋体",
    FONT_BODY: "仿宋",
    FONT_H1: "SimHei",
    FONT_H2: "楷体",
    FONT_PAGE: "SimSun",
}
RED = RGBColor(0xFF, 0x00, 0x00)
SIZE_OFFICE = Pt(22)
SIZE_TITLE = Pt(22)  # 二号
SIZE_BODY = Pt(16)  # 三号
SIZE_TABLE = Pt(12)  # 小四
SIZE_PAGE = Pt(14)  # 四号
LINE = Pt(28.95)  # 22 lines on the GB/T 9704 type area
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


# ----------------------------------------------------------------------------------------------
# Context (pure)


def _clean(value: Any) -> str:
    """A text from the summary, made safe for the line-based body template: no line breaks or
    control characters, no "|" (the table-cell separator)."""
    return _CONTROL.sub(" ", str(value)).replace("|", "｜").strip()


def _ratio(done: float, base: float | None) -> float | None:
    return done / base if base else None


def document_number(settings: Settings, number: str | None) -> str:
    """The 文号: "唐洲文〔2020〕 号" in a draft (blank, filled in when issued), else e.g.
    "唐洲文〔2020〕12号" from "12" (a full number such as "唐洲文〔2020〕12号" is kept)."""
    prefix = settings.programme.doc_number_prefix
    if number is None or not str(number).strip():
        return f"{prefix} 号"
    text = _clean(number)
    if prefix and text.startswith(prefix):
        return text if text.endswith("号") else f"{text}号"
    return f"{prefix}{text}" if text.endswith("号") else f"{prefix}{text}号"


def _next_after(days: list[dt.date], after: dt.date) -> dt.date | None:
    later = sorted(d for d in days if d > after)
    return later[0] if later else None


def _period_entry(summary: dict[str, Any], number: int) -> dict[str, Any] | None:
    for entry in summary.get("periods") or []:
        if entry.get("number") == number:
            return entry
    return None


def _match(entries: list[dict[str, Any]], community: dict[str, Any]) -> dict[str, Any] | None:
    """The period-ranking entry of a community, by key when the summary carries one, else name."""
    for key in ("key", "name"):
        for entry in entries:
            if key in entry and entry[key] == community.get(key):
                return entry
    return None


def circular_context(
    summary: dict[str, Any], settings: Settings, *, number: str | None = None
) -> dict[str, Any]:
    """Everything the circular templates need, from the summary dict and the settings only.

    Every key is always present (values may be None or empty) so that templates rendered with
    StrictUndefined fail only on a real mistake."""
    p = settings.programme
    r = settings.ranking
    as_of = dt.date.fromisoformat(summary["as_of"])
    period_raw = summary.get("circular_period")
    period: dict[str, Any] | None = None
    if period_raw:
        start = dt.date.fromisoformat(period_raw["start"])
        end = dt.date.fromisoformat(period_raw["end"])
        period = {
            "number": period_raw["number"],
            "start": start.isoformat(),
            "end": end.isoformat(),
            "start_text": cn_date(start),
            "end_text": cn_date(end, year=end.year != start.year),
            "text": cn_span(start, end),
        }
        date = end
    else:
        date = as_of
    spans = periods(settings.cadence.circular, p.assess_from, p.end)
    first_period = (
        {"text": cn_span(*spans[0]), "end_text": cn_date(spans[0][1], year=False)} if spans else None
    )
    leaders = {c.key: c.leader for c in settings.communities}
    order = {c.key: i for i, c in enumerate(settings.communities)}

    # Figures: at the period end. The communities' figures in the summary are at ``as_of``; they
    # are the period-end figures when the run is as of the period end. Otherwise the period's own
    # ranking is used (rank and rate; per-test figures only when the summary carries them).
    entry = _period_entry(summary, period["number"]) if period else None
    at_end = period is None or summary["as_of"] == period["end"]
    ranking_entries = (entry or {}).get("ranking") or []
    communities: list[dict[str, Any]] = []
    for index, c in enumerate(summary.get("communities") or []):
        key = c.get("key", c["name"])
        source = c if at_end else _match(ranking_entries, c)
        rank = source.get("rank") if source else None
        rate = source.get("rate") if source else None
        has_figures = source is not None and "done" in source and "expected" in source
        figures = {}
        for t in TESTS:
            done = source["done"].get(t) if source is not None and has_figures else None
            expected = source["expected"].get(t) if source is not None and has_figures else None
            figures[t] = {
                "done": done,
                "expected": expected,
                "text": f"{fmt_num(done)}/{fmt_num(expected)}" if has_figures else "—",
            }
        streaks = c.get("streaks") or {}
        consequences = [_clean(x) for x in c.get("consequences") or []]
        stage_texts = set(r.stage_miss_texts.values())
        leader = leaders.get(key) or None
        item = {
            "name": _clean(c["name"]),
            "key": key,
            "leader": _clean(leader) if leader else None,
            "rank": rank,
            "rank_text": fmt_num(rank),
            "rate": rate,
            "rate_text": fmt_pct(rate),
            "figures": figures,
            "lagging": bool(c.get("lagging")),
            "lag_streak": int(streaks.get("lagging") or 0),
            "stage_missed": int(streaks.get("stage_missed") or 0),
            "consequences": consequences,
            "lag_actions": [x for x in consequences if x not in stage_texts],
            "stage_actions": [x for x in consequences if x in stage_texts],
            "commendation": _clean(c["commendation"]) if c.get("commendation") else None,
            "roster_timeliness": c.get("roster_timeliness"),
            "missing_from_roster": int(c.get("missing_from_roster") or 0),
            "_order": (rank is None, rank if rank is not None else 0, order.get(key, len(order) + index)),
        }
        communities.append(item)
    communities.sort(key=lambda x: x["_order"])  # the ranking table's order
    for item in communities:
        del item["_order"]

    lagging = sorted((c for c in communities if c["lagging"]), key=lambda c: -(c["rank"] or 0))
    lagging_tie = None
    lag_ranks = [c["rank"] for c in lagging if c["rank"] is not None]
    if len(lagging) > r.lagging_count and lag_ranks:
        cut = min(lag_ranks)
        tied = [c["name"] for c in communities if c["lagging"] and c["rank"] == cut]
        if len(tied) > 1:
            lagging_tie = {"rank": fmt_num(cut), "names": tied}

    # The sub-district's progress against the goal and the quota sum.
    totals = summary.get("totals") or {}
    all_rows_have_figures = bool(communities) and all(
        c["figures"][t]["done"] is not None for c in communities for t in TESTS
    )
    tests: list[dict[str, Any]] = []
    goal = totals.get("goal", p.goal)
    for t in TESTS:
        if all_rows_have_figures:
            done = sum(float(c["figures"][t]["done"]) for c in communities)
            expected = sum(float(c["figures"][t]["expected"] or 0) for c in communities)
        else:
            done = float((totals.get("done") or {}).get(t) or 0)
            expected = float((totals.get("expected") or {}).get(t) or 0)
        quota = (totals.get("quota") or {}).get(t)
        tests.append(
            {
                "key": t,
                "label": TEST_LABELS[t],
                "done": fmt_num(done),
                "expected": fmt_num(expected),
                "expected_pct": fmt_pct(_ratio(done, expected)),
                "quota": fmt_num(quota),
                "quota_pct": fmt_pct(_ratio(done, quota)),
                "goal": fmt_num(goal),
                "goal_pct": fmt_pct(_ratio(done, goal)),
                "mismatch": quota is not None and goal is not None and float(quota) != float(goal),
            }
        )
    # Declared goal vs the sum of the communities' quotas (333 vs 306 in the seed): noted, not resolved.
    goal_notes: list[dict[str, Any]] = []
    for item in tests:
        if not item["mismatch"]:
            continue
        same = next((n for n in goal_notes if n["quota"] == item["quota"]), None)
        if same:
            same["tests"].append(item["label"])
            continue
        diff = float(goal) - float((totals.get("quota") or {})[item["key"]])
        goal_notes.append(
            {
                "tests": [item["label"]],
                "goal": item["goal"],
                "quota": item["quota"],
                "difference": fmt_num(abs(diff)),
            }
        )
    for n in goal_notes:
        n["labels"] = "和".join(n["tests"]) + ("各" if len(n["tests"]) > 1 else "")

    figures_date = date if all_rows_have_figures else as_of
    follow = {"open": 0, "soon": 0, "missed": 0}
    for c in summary.get("communities") or []:
        for k in follow:
            follow[k] += int((c.get("followup") or {}).get(k) or 0)
    roster_late = []
    for c in communities:
        tl = c["roster_timeliness"] or {}
        if tl.get("late") or tl.get("missing"):
            roster_late.append(
                {
                    "name": c["name"],
                    "due": int(tl.get("due") or 0),
                    "on_time": int(tl.get("on_time") or 0),
                    "late": int(tl.get("late") or 0),
                    "missing": int(tl.get("missing") or 0),
                }
            )
    next_roster = _next_after(due_dates(settings, p.end), date)
    next_eval = _next_after(list(settings.rewards.evaluations), date)
    stage_rules = [
        {"count": int(k), "count_text": cn_count(int(k)), "text": v}
        for k, v in sorted(r.stage_miss_texts.items(), key=lambda kv: int(kv[0]))
    ]
    return {
        "draft": number is None or not str(number).strip(),
        "programme_name": p.name,
        "issuer": p.issuer,
        "recipients": p.recipients,
        "doc_number": document_number(settings, number),
        "hotline": p.hotline or None,
        "as_of": as_of.isoformat(),
        "as_of_text": cn_date(as_of),
        "period": period,
        "first_period": first_period,
        "date": date.isoformat(),
        "date_text": cn_date(date),
        "title": TITLE_FORMAT.format(period=period["text"]) if period else TITLE_NO_PERIOD,
        "figures_date_text": cn_date(figures_date, year=False),
        "figures_at_period_end": all_rows_have_figures,
        "tests": tests,
        "goal": fmt_num(goal),
        "goal_notes": goal_notes,
        "ranking_basis": "累计综合完成率" if r.rank_by == "cumulative" else "本期综合完成率",
        "rows": communities,
        "communities": communities,
        "lagging_count": r.lagging_count,
        "lagging_count_text": cn_count(r.lagging_count),
        "lagging": lagging,
        "lagging_tie": lagging_tie,
        "lagging_rules": [
            {"count": i, "count_text": cn_count(i), "text": t} for i, t in enumerate(r.lagging_texts, 1)
        ],
        "stage_rules": stage_rules,
        "stage_actions": [c for c in communities if c["stage_actions"]],
        "praise_text": r.praise_text,
        "criticism_text": r.criticism_text,
        "praised": [c["name"] for c in communities if c["commendation"] == r.praise_text],
        "criticised": [c["name"] for c in communities if c["commendation"] == r.criticism_text],
        "followup": follow,
        "roster_late": roster_late,
        "missing_from_roster": [
            {"name": c["name"], "count": c["missing_from_roster"]}
            for c in communities
            if c["missing_from_roster"]
        ],
        "next_roster_due": cn_date(next_roster, year=next_roster.year != date.year) if next_roster else None,
        "next_evaluation": cn_date(next_eval, year=next_eval.year != date.year) if next_eval else None,
        "rewards": {
            "per_case": fmt_num(settings.rewards.per_case),
            "specialist": fmt_num(settings.rewards.specialist),
            "case": settings.rewards.case,
        },
    }


# ----------------------------------------------------------------------------------------------
# Templates


def templates_dir(settings: Settings) -> Path:
    """``templates/`` beside the config file, else the project's own ``templates/``."""
    if settings.source:
        beside = Path(settings.source).resolve().parent / "templates"
        if beside.is_dir():
            return beside
    return Path(__file__).resolve().parents[3] / "templates"


def environment(settings: Settings) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(templates_dir(settings))),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2", "htm")),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["cn"] = cn_count
    return env


def render(name: str, context: dict[str, Any], settings: Settings) -> str:
    """Render one template; a missing key raises ``jinja2.UndefinedError``."""
    return environment(settings).get_template(name).render(**context)


_MARKERS = {
    "@office": "office",
    "@number": "number",
    "@title": "title",
    "@recipients": "recipients",
    "@seal": "seal",
    "@signature": "signature",
    "@date": "date",
}


def parse_body(text: str) -> list[dict[str, Any]]:
    """The rendered body template as blocks (kind, text, rows). One line = one paragraph:

    ``@office`` 发文机关标志, ``@number`` 发文字号, ``@title`` 标题, ``@recipients`` 主送机关,
    ``# `` 一级标题, ``## `` 二级标题, ``| a | b |`` a table row (consecutive rows make one table,
    the first is the header), ``@seal`` 印章位置, ``@signature`` 署名, ``@date`` 成文日期,
    any other non-empty line a body paragraph. Blank lines are ignored."""
    blocks: list[dict[str, Any]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("|"):
            inner = line[1:-1] if line.endswith("|") and len(line) > 1 else line[1:]
            cells = [c.strip() for c in inner.split("|")]
            if blocks and blocks[-1]["kind"] == "table":
                blocks[-1]["rows"].append(cells)
            else:
                blocks.append({"kind": "table", "text": "", "rows": [cells]})
        elif line.startswith("## "):
            blocks.append({"kind": "heading2", "text": line[3:].strip(), "rows": []})
        elif line.startswith("# "):
            blocks.append({"kind": "heading1", "text": line[2:].strip(), "rows": []})
        elif line.startswith("@"):
            word, _, rest = line.partition(" ")
            if word not in _MARKERS:
                raise ValueError(f"模板 {BODY_TEMPLATE} 第{number}行：无法识别的标记 {word}。")
            blocks.append({"kind": _MARKERS[word], "text": rest.strip(), "rows": []})
        else:
            blocks.append({"kind": "paragraph", "text": line, "rows": []})
    return blocks


def body_blocks(context: dict[str, Any], settings: Settings) -> list[dict[str, Any]]:
    return parse_body(render(BODY_TEMPLATE, context, settings))


# ----------------------------------------------------------------------------------------------
# Word (GB/T 9704 layout)


def _fonts(run: Any, font: str, size: Any, *, bold: bool = False, color: RGBColor | None = None) -> None:
    """Set a run's font for Latin and East-Asian text (``run.font.name`` alone leaves w:eastAsia)."""
    run.font.size = size
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color
    rpr = run._element.get_or_add_rPr()
    _set_rfonts(rpr, font)


# The order of w:pPr's children in the schema (CT_PPrBase); Word rejects out-of-order children.
_PPR_ORDER = (
    "w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:framePr", "w:widowControl",
    "w:numPr", "w:suppressLineNumbers", "w:pBdr", "w:shd", "w:tabs", "w:suppressAutoHyphens",
    "w:kinsoku", "w:wordWrap", "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN",
    "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing",
    "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
    "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)  # fmt: skip


def _insert_ordered(ppr: Any, element: Any, tag: str) -> Any:
    """Insert ``element`` into a w:pPr where the schema wants it."""
    return ppr.insert_element_before(element, *_PPR_ORDER[_PPR_ORDER.index(tag) + 1 :])


def _set_rfonts(rpr: Any, font: str) -> None:
    rfonts = rpr.get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), font)
    rfonts.set(qn("w:hint"), "eastAsia")


def _paragraph(
    doc_or_cell: Any,
    text: str,
    font: str,
    size: Any,
    *,
    align: Any = WD_PARAGRAPH_ALIGNMENT.JUSTIFY,
    indent: bool = False,
    color: RGBColor | None = None,
    line: Any = LINE,
    before: Any = None,
    after: Any = None,
    outline: int | None = None,
    right_indent: Any = None,
) -> Any:
    para = doc_or_cell.add_paragraph()
    fmt = para.paragraph_format
    para.alignment = align
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = line
    fmt.space_before = before or Pt(0)
    fmt.space_after = after or Pt(0)
    if right_indent is not None:
        fmt.right_indent = right_indent
    if indent:
        fmt.first_line_indent = Pt(size.pt * 2)
        fmt._element.get_or_add_pPr().get_or_add_ind().set(qn("w:firstLineChars"), "200")
    if outline is not None:
        lvl = OxmlElement("w:outlineLvl")
        lvl.set(qn("w:val"), str(outline))
        _insert_ordered(para._p.get_or_add_pPr(), lvl, "w:outlineLvl")
    if text:
        _fonts(para.add_run(text), font, size, color=color)
    return para


def _text_width(text: str, size: float) -> float:
    """Approximate printed width in points: CJK full width, ASCII half width."""
    return sum(size if ord(ch) > 0x2E7F else size / 2 for ch in text)


def _red_rule(para: Any) -> None:
    ppr = para._p.get_or_add_pPr()
    bdr = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for k, v in (("w:val", "single"), ("w:sz", "12"), ("w:space", "11"), ("w:color", "FF0000")):
        bottom.set(qn(k), v)
    bdr.append(bottom)
    _insert_ordered(ppr, bdr, "w:pBdr")


def _page_number(footer: Any, align: Any, *, left: bool) -> None:
    """ "— 1 —" with a PAGE field; GB/T 9704: odd pages right, even pages left, one space in."""
    para = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
    para.alignment = align
    if left:
        para.paragraph_format.left_indent = SIZE_PAGE
    else:
        para.paragraph_format.right_indent = SIZE_PAGE
    _fonts(para.add_run("— "), FONT_PAGE, SIZE_PAGE)
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        run = para.add_run()
        _fonts(run, FONT_PAGE, SIZE_PAGE)
        if kind:
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), kind)
            run._r.append(fld)
        elif text == " PAGE ":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
        else:
            run.text = text or ""
    _fonts(para.add_run(" —"), FONT_PAGE, SIZE_PAGE)


def _font_table(doc: Any) -> None:
    """Declare the Chinese fonts with their substitutes (w:altName, GB2312 charset), so Word on a
    machine without 方正小标宋简体 or 仿宋_GB2312 falls back to 宋体 / 仿宋 rather than a Latin font."""
    part = doc.part.part_related_by(RT.FONT_TABLE)
    root = parse_xml(part.blob)
    for name, alt in FONT_FALLBACKS.items():
        font = OxmlElement("w:font")
        font.set(qn("w:name"), name)
        for tag, val in (
            ("w:altName", alt),
            ("w:charset", "86"),
            ("w:family", "auto"),
            ("w:pitch", "variable"),
        ):
            el = OxmlElement(tag)
            el.set(qn("w:val"), val)
            font.append(el)
        root.append(font)
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _table(doc: Any, rows: list[list[str]], total: Any) -> None:
    """A centred grid table over the type area; columns sized by their contents (the header may
    wrap onto two lines), the first row repeated on every page."""
    width = max(len(r) for r in rows)
    size = SIZE_TABLE.pt
    pad = 12.0  # cell margins, points
    need = [
        pad
        + min(
            max(
                [_text_width(r[j], size) for r in rows[1:] if j < len(r)]
                + [_text_width(rows[0][j], size) / 2 if j < len(rows[0]) else 0.0, size * 3.8]
            ),
            size * 7,  # longer texts wrap
        )
        for j in range(width)
    ]
    widths = [int(total * n / sum(need)) for n in need]
    table = doc.add_table(rows=len(rows), cols=width)
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for j, col in enumerate(table.columns):
        col.width = widths[j]
    # table.rows[i] and row.cells rebuild their lists on every access: take them once (a table of
    # thousands of communities would otherwise cost quadratic time).
    for i, (values, row) in enumerate(zip(rows, list(table.rows), strict=True)):
        if i == 0:
            trpr = row._tr.get_or_add_trPr()
            header = OxmlElement("w:tblHeader")
            trpr.append(header)
        cells = row.cells
        for j in range(width):
            cell = cells[j]
            cell.width = widths[j]
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            text = values[j] if j < len(values) else ""
            para = cell.paragraphs[0]
            para.alignment = WD_PARAGRAPH_ALIGNMENT.CENTER
            para.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            para.paragraph_format.line_spacing = Pt(20)
            if text:
                _fonts(para.add_run(text), FONT_H1 if i == 0 else FONT_BODY, SIZE_TABLE)


def build_docx(context: dict[str, Any], settings: Settings) -> Any:
    """The circular as a python-docx Document (not saved)."""
    doc = Document()
    # Drop the template's thumbnail (a picture of some other document).
    for rid, rel in list(doc.part.package.rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            doc.part.package.rels.pop(rid)
    _font_table(doc)

    normal = doc.styles["Normal"]
    normal.font.size = SIZE_BODY
    _set_rfonts(normal.element.get_or_add_rPr(), FONT_BODY)
    nf = normal.paragraph_format
    nf.space_before = Pt(0)
    nf.space_after = Pt(0)
    nf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    nf.line_spacing = LINE
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    normal.element.get_or_add_rPr().insert_element_before(
        lang, "w:eastAsianLayout", "w:specVanish", "w:oMath"
    )

    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance, section.footer_distance = Mm(15), Mm(24)
    doc.settings.odd_and_even_pages_header_footer = True
    theme_lang = doc.settings.element.find(qn("w:themeFontLang"))
    if theme_lang is not None:
        theme_lang.set(qn("w:eastAsia"), "zh-CN")
    _page_number(section.footer, WD_PARAGRAPH_ALIGNMENT.RIGHT, left=False)
    _page_number(section.even_page_footer, WD_PARAGRAPH_ALIGNMENT.LEFT, left=True)

    center = WD_PARAGRAPH_ALIGNMENT.CENTER
    right = WD_PARAGRAPH_ALIGNMENT.RIGHT
    date_indent = Pt(SIZE_BODY.pt * 4)  # 成文日期右空四字
    blocks = body_blocks(context, settings)
    date_text = next((b["text"] for b in blocks if b["kind"] == "date"), "")
    for block in blocks:
        kind, text = block["kind"], block["text"]
        if kind == "office":
            # GB/T 9704: the issuing office's mark starts 35 mm below the top of the type area.
            _paragraph(
                doc, text, FONT_OFFICE, SIZE_OFFICE, align=center, color=RED, line=Pt(40), before=Mm(35)
            )
        elif kind == "number":
            para = _paragraph(doc, text, FONT_BODY, SIZE_BODY, align=center, before=LINE * 2)
            _red_rule(para)
        elif kind == "title":
            _paragraph(
                doc,
                text,
                FONT_OFFICE,
                SIZE_TITLE,
                align=center,
                line=Pt(36),
                before=LINE * 2,
                after=LINE,
                outline=0,
            )
        elif kind == "recipients":
            _paragraph(doc, text, FONT_BODY, SIZE_BODY, align=WD_PARAGRAPH_ALIGNMENT.LEFT)
        elif kind == "heading1":
            # A heading never stands alone at the foot of a page.
            _paragraph(doc, text, FONT_H1, SIZE_BODY, indent=True, outline=1).paragraph_format.keep_with_next = True
        elif kind == "heading2":
            _paragraph(doc, text, FONT_H2, SIZE_BODY, indent=True, outline=2).paragraph_format.keep_with_next = True
        elif kind == "table":
            _table(doc, block["rows"], section.page_width - section.left_margin - section.right_margin)
        elif kind == "seal":
            for _ in range(3):
                _paragraph(doc, "", FONT_BODY, SIZE_BODY)
        elif kind == "signature":
            # 发文机关署名 centred over the date.
            shift = (_text_width(date_text, SIZE_BODY.pt) - _text_width(text, SIZE_BODY.pt)) / 2
            _paragraph(
                doc, text, FONT_BODY, SIZE_BODY, align=right, right_indent=Pt(max(date_indent.pt + shift, 0))
            )
        elif kind == "date":
            _paragraph(doc, text, FONT_BODY, SIZE_BODY, align=right, right_indent=date_indent)
        else:
            _paragraph(doc, text, FONT_BODY, SIZE_BODY, indent=True)

    when = dt.datetime.combine(dt.date.fromisoformat(context["date"]), dt.time(0, 0))
    core = doc.core_properties
    core.author = context["issuer"]
    core.last_modified_by = context["issuer"]
    core.title = context["title"]
    core.subject = context["programme_name"]
    core.category = "通报"
    core.comments = ""
    core.keywords = ""
    core.language = "zh-CN"
    core.content_status = "草稿" if context["draft"] else "正式"
    core.created = when
    core.modified = when
    core.revision = 1
    return doc


def _deterministic_zip(data: bytes) -> bytes:
    """Rewrite a zip with sorted entries and fixed timestamps, so equal content = equal bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for name in sorted(src.namelist()):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            dst.writestr(info, src.read(name), compresslevel=6)
    return out.getvalue()


def write_docx(path: Path, context: dict[str, Any], settings: Settings) -> Path:
    doc = build_docx(context, settings)
    buf = io.BytesIO()
    doc.save(buf)
    path.write_bytes(_deterministic_zip(buf.getvalue()))
    return path


# ----------------------------------------------------------------------------------------------
# HTML and text


def write_html(path: Path, context: dict[str, Any], settings: Settings) -> Path:
    html = render(HTML_TEMPLATE, {**context, "blocks": body_blocks(context, settings)}, settings)
    path.write_text(html, encoding="utf-8", newline="\n")
    return path


def write_text(path: Path, context: dict[str, Any], settings: Settings) -> Path:
    text = render(TEXT_TEMPLATE, context, settings)
    path.write_text(text, encoding="utf-8", newline="\n")
    return path


def write_circular(
    folder: Path,
    summary: dict[str, Any],
    settings: Settings,
    as_of: dt.date,
    number: str | None = None,
) -> list[Path]:
    """``通报_<as-of>.docx``, ``通报_<as-of>.html`` and ``通报摘要_<as-of>.txt`` in ``folder``.
    Before the first circular period has ended, the documents say so (no ranking yet)."""
    folder.mkdir(parents=True, exist_ok=True)
    names = circular_names(as_of)
    context = circular_context(summary, settings, number=number)
    return [
        write_docx(folder / names.docx, context, settings),
        write_html(folder / names.html, context, settings),
        write_text(folder / names.text, context, settings),
    ]
