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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_BREAK, WD_LINE_SPACING, WD_PARAGRAPH_ALIGNMENT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
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
SIZE_OFFICE = Pt(22)
SIZE_TITLE = Pt(22)  # 二号
SIZE_BODY = Pt(16)  # 三号
SIZE_TABLE = Pt(12)  # 小四
SIZE_PAGE = Pt(14)  # 四号
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
    _page_number(section.footer, WD_PARAGRAPH_ALIGNMENT.RIGHT, left=False)
    _page_number(section.even_page_footer, WD_PARAGRAPH_ALIGNMENT.LEFT, left=True)
    return section


@dataclass(frozen=True)
class _Page:
    type_width: Any  # the width of the type area (a table spans it)
    date_text: str  # the 成文日期, over which the signature is centred


def _office(doc: Any, text: str, page: _Page) -> None:
    # GB/T 9704: the issuing office's mark starts 35 mm below the top of the type area.
    _paragraph(doc, text, FONT_OFFICE, SIZE_OFFICE, align=CENTER, color=RED, line=Pt(40), before=Mm(35))


def _number(doc: Any, text: str, page: _Page) -> None:
    _red_rule(_paragraph(doc, text, FONT_BODY, SIZE_BODY, align=CENTER, before=LINE * 2))


def _title(doc: Any, text: str, page: _Page) -> None:
    _paragraph(
        doc, text, FONT_OFFICE, SIZE_TITLE, align=CENTER, line=Pt(36), before=LINE * 2, after=LINE, outline=0
    )


def _recipients(doc: Any, text: str, page: _Page) -> None:
    _paragraph(doc, text, FONT_BODY, SIZE_BODY, align=WD_PARAGRAPH_ALIGNMENT.LEFT)


def _heading1(doc: Any, text: str, page: _Page) -> None:
    # A heading never stands alone at the foot of a page.
    _paragraph(doc, text, FONT_H1, SIZE_BODY, indent=True, outline=1).paragraph_format.keep_with_next = True


def _heading2(doc: Any, text: str, page: _Page) -> None:
    _paragraph(doc, text, FONT_H2, SIZE_BODY, indent=True, outline=2).paragraph_format.keep_with_next = True


def _seal(doc: Any, text: str, page: _Page) -> None:
    for _ in range(3):
        _paragraph(doc, "", FONT_BODY, SIZE_BODY)


def _signature(doc: Any, text: str, page: _Page) -> None:
    # 发文机关署名 centred over the date.
    shift = (_text_width(page.date_text, SIZE_BODY.pt) - _text_width(text, SIZE_BODY.pt)) / 2
    _paragraph(doc, text, FONT_BODY, SIZE_BODY, align=RIGHT, right_indent=Pt(max(DATE_INDENT.pt + shift, 0)))


def _date(doc: Any, text: str, page: _Page) -> None:
    _paragraph(doc, text, FONT_BODY, SIZE_BODY, align=RIGHT, right_indent=DATE_INDENT)


def _body(doc: Any, text: str, page: _Page) -> None:
    _paragraph(doc, text, FONT_BODY, SIZE_BODY, indent=True)


# Block kind (see parse_body) -> how it is laid out; tables are laid out by _table.
_BLOCKS: dict[str, Callable[[Any, str, _Page], None]] = {
    "office": _office,
    "number": _number,
    "title": _title,
    "recipients": _recipients,
    "heading1": _heading1,
    "heading2": _heading2,
    "seal": _seal,
    "signature": _signature,
    "date": _date,
}


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


def _review_page(doc: Any, context: dict[str, Any]) -> None:
    """The draft's 审核提示 page (the plausibility review), before the circular; never in an
    issued circular (the context of an issued one has no review)."""
    if not context.get("review"):
        return
    _paragraph(doc, context["review_title"], FONT_H1, SIZE_BODY, align=CENTER, color=RED, after=LINE)
    for n, item in enumerate(context["review"], start=1):
        _paragraph(doc, f"{n}. {item}", FONT_BODY, SIZE_BODY, indent=True)
    _paragraph(doc, "", FONT_BODY, SIZE_BODY).add_run().add_break(WD_BREAK.PAGE)


def build_docx(context: dict[str, Any], settings: Settings) -> Any:
    """The circular as a python-docx Document (not saved)."""
    doc = _new_document()
    _normal_style(doc)
    section = _page_setup(doc)
    _review_page(doc, context)
    blocks = body_blocks(context, settings)
    page = _Page(
        type_width=section.page_width - section.left_margin - section.right_margin,
        date_text=next((b["text"] for b in blocks if b["kind"] == "date"), ""),
    )
    for block in blocks:
        if block["kind"] == "table":
            _table(doc, block["rows"], page.type_width)
        else:
            _BLOCKS.get(block["kind"], _body)(doc, block["text"], page)
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
