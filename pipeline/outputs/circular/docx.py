"""The circular as a Word document in Chinese official-document layout (GB/T 9704): 发文机关标志
in red over a red rule, 文号, title, body in 仿宋 with 黑体/楷体 headings, tables, signature and date,
page numbers "— 1 —" outside on odd and even pages.

Takes the circular's context (:mod:`pipeline.outputs.circular.context`) and the settings (for the
templates); lays out the blocks of the rendered body template (:func:`~pipeline.outputs.circular.render.parse_body`).
Gives a python-docx Document, or writes it with sorted zip entries and fixed timestamps so that
the same context gives byte-identical files.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_LINE_SPACING, WD_PARAGRAPH_ALIGNMENT, WD_TAB_ALIGNMENT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.shared import Emu, Mm, Pt, RGBColor
from lxml import etree

from pipeline.outputs.circular.render import body_blocks
from pipeline.settings import Settings

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
# 发文机关标志: GB/T 9704 leaves the size to the office ("醒目、美观、庄重"); a character at most 15 mm
# (about 42 pt) wide, smaller when the longest organ's name would not fit the type area.
SIZE_OFFICE_MAX = 42.0
SIZE_TITLE = Pt(22)  # 二号
SIZE_BODY = Pt(16)  # 三号
SIZE_TABLE = Pt(12)  # 小四
SIZE_TABLE_SMALL = Pt(10.5)  # 五号: when a table's columns do not fit at 小四
SIZE_PAGE = Pt(14)  # 四号
SIZE_COLOPHON = Pt(14)  # 版记 四号
TITLE_BREAK = "\u200b"  # where the title may break (pipeline.outputs.circular.context.TITLE_BREAK)
TYPE_WIDTH_PT = 156 / 25.4 * 72  # the GB/T 9704 type area, 156 mm wide (A4 less the 28/26 mm margins)
LINE = Pt(28.95)  # 22 lines on the GB/T 9704 type area
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
DATE_INDENT = Pt(SIZE_BODY.pt * 4)  # 成文日期右空四字

CENTER = WD_PARAGRAPH_ALIGNMENT.CENTER
RIGHT = WD_PARAGRAPH_ALIGNMENT.RIGHT


# ----------------------------------------------------------------------------------------------
# Runs, paragraphs, tables


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
    """Approximate printed width in points: CJK full width, ASCII a little over half."""
    return sum(size if ord(ch) > 0x2E7F or ch in FULL_WIDTH else size * 0.6 for ch in text if ch != TITLE_BREAK)


# Below U+2E80 but full width in a Chinese font ("%" nearly so); other ASCII about 0.6 em in the
# fonts Word and LibreOffice substitute (a little over half, so that a number never wraps).
FULL_WIDTH = "“”‘’—…·%"


def title_lines(text: str, size: float, width: float) -> list[str]:
    """The title in as few lines as fit ``width``, broken only where ``text`` marks a break
    (:data:`TITLE_BREAK`), the lines as even as possible (GB/T 9704: 词意完整，排列对称)."""
    words = [w for w in text.split(TITLE_BREAK) if w]
    best: list[str] = ["".join(words)]
    if _text_width(best[0], size) <= width or len(words) < 2:
        return best
    for lines in range(2, len(words) + 1):
        fits = [
            split for split in _splits(words, lines) if all(_text_width(line, size) <= width for line in split)
        ]
        if fits:
            return min(fits, key=lambda split: max(_text_width(line, size) for line in split))
    return words


def _splits(words: list[str], lines: int) -> list[list[str]]:
    """Every way to cut ``words`` into ``lines`` consecutive non-empty groups, joined."""
    if lines == 1:
        return [["".join(words)]]
    out = []
    for cut in range(1, len(words) - lines + 2):
        out += [["".join(words[:cut]), *rest] for rest in _splits(words[cut:], lines - 1)]
    return out


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


def _column_needs(rows: list[list[str]], size: float) -> list[float]:
    """Each column's width in points: its longest data cell on one line (a number or a name never
    wraps), the header on up to three lines, at least two characters; long texts wrap."""
    pad = 14.0  # cell margins (5.4 pt each side) and a little air, points
    width = max(len(r) for r in rows)
    needs = []
    for j in range(width):
        data = max([_text_width(r[j], size) for r in rows[1:] if j < len(r)] or [0.0])
        header = _text_width(rows[0][j], size) / 3 if j < len(rows[0]) else 0.0
        needs.append(pad + min(max(data, header, size * 2), size * 12))
    return needs


def _table(doc: Any, rows: list[list[str]], total: Any) -> None:
    """A centred grid table over the type area: 小四, or 五号 when the columns would not fit; the
    header row repeated on every page (w:tblHeader), no row split across pages (w:cantSplit)."""
    width = max(len(r) for r in rows)
    size = SIZE_TABLE
    need = _column_needs(rows, size.pt)
    if sum(need) > total.pt:
        size = SIZE_TABLE_SMALL
        need = _column_needs(rows, size.pt)
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
        trpr = row._tr.get_or_add_trPr()
        trpr.append(OxmlElement("w:cantSplit"))
        if i == 0:
            trpr.append(OxmlElement("w:tblHeader"))
        cells = row.cells
        for j in range(width):
            cell = cells[j]
            cell.width = widths[j]
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            text = values[j] if j < len(values) else ""
            para = cell.paragraphs[0]
            para.alignment = WD_PARAGRAPH_ALIGNMENT.CENTER
            para.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            para.paragraph_format.line_spacing = Pt(size.pt * 1.5)
            if text:
                _fonts(para.add_run(text), FONT_H1 if i == 0 else FONT_BODY, size)


# ----------------------------------------------------------------------------------------------
# The document


def _new_document() -> Any:
    """An empty document without the template's thumbnail (a picture of some other document),
    with the Chinese fonts declared."""
    doc = Document()
    for rid, rel in list(doc.part.package.rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            doc.part.package.rels.pop(rid)
    _font_table(doc)
    return doc


def _normal_style(doc: Any) -> None:
    """Body text: 仿宋 三号, exact line spacing of the type area, Chinese as the East-Asian language."""
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


def _page_setup(doc: Any) -> Any:
    """A4 portrait with the GB/T 9704 margins and page numbers; returns the section."""
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
    return section


def _circular_section(doc: Any, section: Any, review: bool) -> Any:
    """The section the circular is laid out in: after the review page a new one whose pages are
    numbered from 1 (the review page has no number); page numbers "— 1 —" in its footers."""
    if review:
        section = doc.add_section(WD_SECTION.NEW_PAGE)
        numbering = OxmlElement("w:pgNumType")
        numbering.set(qn("w:start"), "1")
        section._sectPr.append(numbering)
        section.footer.is_linked_to_previous = False
        section.even_page_footer.is_linked_to_previous = False
    _page_number(section.footer, WD_PARAGRAPH_ALIGNMENT.RIGHT, left=False)
    _page_number(section.even_page_footer, WD_PARAGRAPH_ALIGNMENT.LEFT, left=True)
    return section


@dataclass
class _Page:
    type_width: Any  # the width of the type area (a table spans it)
    date_text: str  # the 成文日期, over which the signature is centred
    office_size: Any  # the 发文机关标志's size: one for every organ's line
    has_issue: bool  # a 期号 line stands between the head and the 文号
    offices: int = 0  # office lines laid out so far (only the first is 35 mm down)
    annexes: int = 0  # 附件说明 lines laid out so far
    colophon: list[tuple[str, str]] = field(default_factory=list)  # 版记 rows, laid out last


def _keep_last_with_next(doc: Any) -> None:
    """Tie the paragraph laid out last to the next one (the body's end to the signature: a page
    never holds only the signature and the date)."""
    last = doc.element.body.xpath("./w:p")
    if last:
        pf = last[-1].get_or_add_pPr()
        keep = OxmlElement("w:keepNext")
        _insert_ordered(pf, keep, "w:keepNext")


def _office(doc: Any, text: str, page: _Page) -> None:
    # GB/T 9704: the issuing office's mark starts 35 mm below the top of the type area.
    before = Mm(35) if page.offices == 0 else None
    page.offices += 1
    para = _paragraph(
        doc, text, FONT_OFFICE, page.office_size, align=CENTER, color=RED, line=Pt(page.office_size.pt * 1.2),
        before=before,
    )
    para.paragraph_format.keep_with_next = True


def _issue(doc: Any, text: str, page: _Page) -> None:
    _paragraph(doc, text, FONT_BODY, SIZE_BODY, align=CENTER, before=LINE * 2).paragraph_format.keep_with_next = True


def _number(doc: Any, text: str, page: _Page) -> None:
    before = None if page.has_issue else LINE * 2
    _red_rule(_paragraph(doc, text, FONT_BODY, SIZE_BODY, align=CENTER, before=before))


def _title(doc: Any, text: str, page: _Page) -> None:
    lines = title_lines(text, SIZE_TITLE.pt, page.type_width.pt)
    para = _paragraph(
        doc, "", FONT_OFFICE, SIZE_TITLE, align=CENTER, line=Pt(36), before=LINE * 2, after=LINE, outline=0
    )
    for n, line in enumerate(lines):
        run = para.add_run(line)
        _fonts(run, FONT_OFFICE, SIZE_TITLE)
        if n < len(lines) - 1:
            run.add_break()


def _recipients(doc: Any, text: str, page: _Page) -> None:
    _paragraph(doc, text, FONT_BODY, SIZE_BODY, align=WD_PARAGRAPH_ALIGNMENT.LEFT)


def _heading1(doc: Any, text: str, page: _Page) -> None:
    # A heading never stands alone at the foot of a page.
    _paragraph(doc, text, FONT_H1, SIZE_BODY, indent=True, outline=1).paragraph_format.keep_with_next = True


def _heading2(doc: Any, text: str, page: _Page) -> None:
    _paragraph(doc, text, FONT_H2, SIZE_BODY, indent=True, outline=2).paragraph_format.keep_with_next = True


def _annex(doc: Any, text: str, page: _Page) -> None:
    """附件说明: one blank line under the body, "附件：1．……" indented two characters, the next
    lines aligned under "1．" (GB/T 9704 7.3.6)."""
    if page.annexes == 0:
        _keep_last_with_next(doc)
        _paragraph(doc, "", FONT_BODY, SIZE_BODY).paragraph_format.keep_with_next = True
    para = _paragraph(doc, text, FONT_BODY, SIZE_BODY, align=WD_PARAGRAPH_ALIGNMENT.LEFT)
    para.paragraph_format.left_indent = Pt(SIZE_BODY.pt * (2 if page.annexes == 0 else 5))
    para.paragraph_format.keep_with_next = True
    page.annexes += 1


def _seal(doc: Any, text: str, page: _Page) -> None:
    _keep_last_with_next(doc)
    for _ in range(3):
        _paragraph(doc, "", FONT_BODY, SIZE_BODY).paragraph_format.keep_with_next = True


def _signature(doc: Any, text: str, page: _Page) -> None:
    # 发文机关署名 centred over the date.
    shift = (_text_width(page.date_text, SIZE_BODY.pt) - _text_width(text, SIZE_BODY.pt)) / 2
    para = _paragraph(doc, text, FONT_BODY, SIZE_BODY, align=RIGHT, right_indent=Pt(max(DATE_INDENT.pt + shift, 0)))
    para.paragraph_format.keep_with_next = True


def _date(doc: Any, text: str, page: _Page) -> None:
    _paragraph(doc, text, FONT_BODY, SIZE_BODY, align=RIGHT, right_indent=DATE_INDENT)


def _attachment(doc: Any, text: str, page: _Page) -> None:
    """附件标识: a new page, 黑体 三号 at the top left of the type area."""
    para = _paragraph(doc, text, FONT_H1, SIZE_BODY, align=WD_PARAGRAPH_ALIGNMENT.LEFT)
    para.paragraph_format.page_break_before = True
    para.paragraph_format.keep_with_next = True


def _attachment_title(doc: Any, text: str, page: _Page) -> None:
    para = _paragraph(doc, text, FONT_OFFICE, SIZE_TITLE, align=CENTER, line=Pt(36), before=LINE, after=LINE)
    para.paragraph_format.keep_with_next = True


def _copy_to(doc: Any, text: str, page: _Page) -> None:
    page.colophon.append((text, ""))


def _printed(doc: Any, text: str, page: _Page) -> None:
    organ, _, day = text.partition("|")
    page.colophon.append((organ.strip(), day.strip()))


def _body(doc: Any, text: str, page: _Page) -> None:
    _paragraph(doc, text, FONT_BODY, SIZE_BODY, indent=True)


# Block kind (see parse_body) -> how it is laid out; tables are laid out by _table, the draft mark
# goes into the page header (_draft_header), the 版记 rows at the foot of the last page (_colophon).
_BLOCKS: dict[str, Callable[[Any, str, _Page], None]] = {
    "office": _office,
    "issue": _issue,
    "number": _number,
    "title": _title,
    "recipients": _recipients,
    "heading1": _heading1,
    "heading2": _heading2,
    "annex": _annex,
    "seal": _seal,
    "signature": _signature,
    "date": _date,
    "attachment": _attachment,
    "attachment_title": _attachment_title,
    "copy_to": _copy_to,
    "printed": _printed,
    "draft": lambda doc, text, page: None,
}


def _rules(para: Any, *, top: int | None, bottom: int) -> None:
    """Rules above/below a 版记 line (w:sz in eighths of a point: 8 = 1 pt thick, 4 = 0.5 pt thin)."""
    bdr = OxmlElement("w:pBdr")
    for tag, size in (("w:top", top), ("w:bottom", bottom)):
        if size is None:
            continue
        el = OxmlElement(tag)
        for k, v in (("w:val", "single"), ("w:sz", str(size)), ("w:space", "4"), ("w:color", "000000")):
            el.set(qn(k), v)
        bdr.append(el)
    _insert_ordered(para._p.get_or_add_pPr(), bdr, "w:pBdr")


def _colophon(doc: Any, rows: list[tuple[str, str]], page: _Page) -> None:
    """版记 (GB/T 9704 7.4) after the last attachment, its lines kept together: 抄送, then 印发机关
    left and 印发日期 right, 四号, one character in from each side, a thick rule above the first
    line and below the last, thin rules between. (It stays in the text flow: LibreOffice does not
    anchor a bordered paragraph frame, nor a full-width floating table, to the foot of the page.)"""
    for n, (left, right) in enumerate(rows):
        para = _paragraph(
            doc, "", FONT_BODY, SIZE_COLOPHON, align=WD_PARAGRAPH_ALIGNMENT.LEFT, line=Pt(SIZE_COLOPHON.pt * 1.8),
            before=LINE if n == 0 else None,
        )
        fmt = para.paragraph_format
        fmt.left_indent = fmt.right_indent = SIZE_COLOPHON
        fmt.keep_with_next = n < len(rows) - 1
        _rules(para, top=8 if n == 0 else None, bottom=8 if n == len(rows) - 1 else 4)
        if right:
            fmt.tab_stops.add_tab_stop(Emu(page.type_width - 2 * SIZE_COLOPHON), WD_TAB_ALIGNMENT.RIGHT)
        _fonts(para.add_run(f"{left}\t{right}" if right else left), FONT_BODY, SIZE_COLOPHON)


def _draft_header(section: Any, text: str) -> None:
    """The draft mark on every page of the circular: 黑体 三号, red, top right of the header."""
    for header in (section.header, section.even_page_header):
        header.is_linked_to_previous = False
        para = header.paragraphs[0] if header.paragraphs else header.add_paragraph()
        para.alignment = RIGHT
        _fonts(para.add_run(text), FONT_H1, SIZE_BODY, color=RED)


def _properties(doc: Any, context: dict[str, Any]) -> None:
    """Fixed document properties: the same circular gives the same file."""
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


def _review_page(doc: Any, context: dict[str, Any]) -> bool:
    """The draft's 审核提示 page (the plausibility review), before the circular; never in an
    issued circular (the context of an issued one has no review). Whether there is one."""
    if not context.get("review"):
        return False
    _paragraph(doc, context["review_title"], FONT_H1, SIZE_BODY, align=CENTER, color=RED, after=LINE)
    for n, item in enumerate(context["review"], start=1):
        _paragraph(doc, f"{n}. {item}", FONT_BODY, SIZE_BODY, indent=True)
    return True


def _office_size(blocks: list[dict[str, Any]], width: float) -> Any:
    """One size for every organ's line of the red head: the largest up to SIZE_OFFICE_MAX at which
    the longest name fits the type area."""
    widest = max((_text_width(b["text"], 1.0) for b in blocks if b["kind"] == "office"), default=1.0)
    return Pt(min(SIZE_OFFICE_MAX, int(width / max(widest, 1.0))))


def build_docx(context: dict[str, Any], settings: Settings) -> Any:
    """The circular as a python-docx Document (not saved)."""
    doc = _new_document()
    _normal_style(doc)
    section = _circular_section(doc, _page_setup(doc), _review_page(doc, context))
    blocks = body_blocks(context, settings)
    type_width = Emu(section.page_width - section.left_margin - section.right_margin)
    page = _Page(
        type_width=type_width,
        date_text=next((b["text"] for b in blocks if b["kind"] == "date"), ""),
        office_size=_office_size(blocks, type_width.pt),
        has_issue=any(b["kind"] == "issue" for b in blocks),
    )
    draft = next((b["text"] for b in blocks if b["kind"] == "draft"), None)
    if draft:
        _draft_header(section, draft)
    for block in blocks:
        if block["kind"] == "table":
            _table(doc, block["rows"], page.type_width)
        else:
            _BLOCKS.get(block["kind"], _body)(doc, block["text"], page)
    _colophon(doc, page.colophon, page)
    _properties(doc, context)
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
