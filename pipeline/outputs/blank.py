"""Blank workbooks to fill in: one roster (已孕对象花名册) per community and the office register
(办事处登记), laid out exactly as the reader expects them.

Each template has a title naming the community (the reader takes the community and the 填报日期
from it), the header row with names the reader maps to the intended fields (checked here against
``[columns]`` in the config, so a changed alias list cannot silently break the templates), ID and
phone columns formatted as text (so Excel cannot turn an ID into 4.11328E+17), data validation with
Chinese messages, an input message on every header, a grey example row marked 示例 (the reader skips
it with its reason) and a 填表说明 sheet. Written with fixed workbook properties: the same config gives
byte-identical files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from pipeline.fmt import cn_date, excel_width
from pipeline.normalize import CLOSE_REASONS, Vocabulary
from pipeline.normalize.ids import check_digit
from pipeline.outputs.names import REGISTER_TEMPLATE, roster_template_name
from pipeline.outputs.xlsx import Formats, new_workbook
from pipeline.settings import Community, Settings
from pipeline.wording import example_day

ROSTER_SHEET = "花名册"
REGISTER_SHEET = "办事处登记"
INSTRUCTIONS_SHEET = "填表说明"
REGISTER_KIND_CHOICES = ("个案销号", "人工合并", "产前诊断结果", "纸质花名册")
RESIDENCE_CHOICES = ("常住", "流动")
YES_NO = ("是", "否")
EXAMPLE_MARK = "示例"  # the reader rejects a row with a cell reading 示例 as 示例行
HEADER_ROW = 2  # 0-based: title, 填报单位/日期 line, header
_EXAMPLE = HEADER_ROW + 2  # the example row as numbered in Excel
BLANK_ROWS = 2000  # rows below the example row that carry the data validation
_LIST_LIMIT = 255  # Excel's limit on an inline validation list (characters, commas included)


class TemplateError(Exception):
    """The config's column aliases no longer map a template header to its field (Chinese message)."""


@dataclass(frozen=True)
class TemplateColumn:
    field: str  # the pipeline field the header must map to
    header: str
    kind: str  # text | date | list | id | phone | serial | gest
    width: float
    hint: str  # input message shown on the header and on the data cells (at most 255 characters)
    example: Any = None
    choices: tuple[str, ...] = ()


# ----------------------------------------------------------------------------------------------
# Column definitions


def _header(vocab: Vocabulary, settings: Settings, field: str, preferred: str) -> str:
    """``preferred`` if the reader maps it to ``field`` alone, else the field's first alias that
    does; a config without one is an error (the template would not read back)."""
    aliases: tuple[str, ...] = getattr(settings.columns, field)
    for text in (preferred, *aliases):
        if vocab.fields(text) == {field}:
            return text
    raise TemplateError(
        f"配置 [columns] 中 {field} 没有可单独识别的列名（如“{preferred}”），无法生成模板。请检查 config.toml。"
    )


def _date_range(settings: Settings) -> tuple[dt.date, dt.date]:
    """Dates accepted by the validation: the year before the programme to the year after it."""
    return dt.date(settings.programme.start.year - 1, 1, 1), dt.date(settings.programme.end.year + 1, 12, 31)


def _example_id(settings: Settings, birth: dt.date) -> str:
    """A fake ID of the office's own region (``[organisation] region_code``) with a valid check
    digit and an even 17th digit (a woman)."""
    body = f"{settings.organisation.region_code}{birth:%Y%m%d}002"
    return body + check_digit(body)


def _as_excel_number(settings: Settings) -> str:
    """What Excel makes of an ID typed into a number cell: 4.11328E+17 (the region code shows)."""
    code = settings.organisation.region_code
    return f"{code[0]}.{code[1:]}E+17"


def _dates_hint(settings: Settings) -> str:
    """How to write a date, with an example in the programme's own year and the accepted range."""
    lo, hi = _date_range(settings)
    return f"按 {example_day(settings):%Y-%m-%d} 的格式填写（年-月-日），{lo:%Y-%m-%d} 至 {hi:%Y-%m-%d} 之间。"


def _community_choices(settings: Settings, own: Community | None) -> tuple[str, ...]:
    names = [c.name for c in settings.communities]
    if own is not None:
        names = [own.name, *(n for n in names if n != own.name)]
    if len(",".join(names)) > _LIST_LIMIT:
        # Too many for an inline list: the roster offers its own community; the register none.
        return (own.name,) if own is not None else ()
    return tuple(names)


def roster_columns(settings: Settings, community: Community) -> list[TemplateColumn]:
    vocab = Vocabulary(settings)
    # The example woman: registered in her 9th week around the programme's example day.
    reg = example_day(settings)
    lmp = reg - dt.timedelta(days=8 * 7 + 3)
    edd = lmp + dt.timedelta(days=settings.windows.edd_to_lmp_days)
    dates = _dates_hint(settings)

    def col(field: str, preferred: str, kind: str, width: float, hint: str, example: Any = None,
            choices: tuple[str, ...] = ()) -> TemplateColumn:
        return TemplateColumn(field, _header(vocab, settings, field, preferred), kind, width, hint, example, choices)

    return [
        col("serial", "序号", "serial", 6, "填写 1、2、3……。灰色的“示例”行是填表示例，系统自动跳过。", EXAMPLE_MARK),
        col("community", "社区", "list", 12, f"从下拉列表中选择，本表填“{community.name}”。",
            community.name, _community_choices(settings, community)),
        col("name", "姓名", "text", 10, "孕妇本人姓名。", "王某某"),
        col("id", "身份证号", "id", 21,
            "18位居民身份证号（末位可为X）。本列为文本格式，请直接输入，不要改成数字格式，否则后几位会丢失。",
            _example_id(settings, dt.date(1995, 3, 8))),
        col("phone", "联系电话", "phone", 14, "11位手机号。本列为文本格式。", "13912345678"),
        col("lmp", "末次月经", "date", 12, f"末次月经第一天。{dates}不详的请填预产期，或填孕周和登记日期。", lmp),
        col("edd", "预产期", "date", 12, f"{dates}", edd),
        col("gest_weeks", "孕周", "gest", 8, "登记时的孕周，如 12 或 12+3（12周3天）。", "8+3"),
        col("reg_date", "登记日期", "date", 12, f"社区登记该孕妇的日期。{dates}", reg),
        col("address", "现住址", "text", 26, "现居住地址，写明小区、楼栋或组。", f"{community.name}某某小区1号楼"),
        col("residence", "户籍类型", "list", 10, "从下拉列表中选择：常住 或 流动（外来居住半年以上）。",
            RESIDENCE_CHOICES[0], RESIDENCE_CHOICES),
        col("self_nt", "是否NT筛查", "list", 11, "是否已做超声NT筛查：从下拉列表中选择 是 或 否。", "否", YES_NO),
        col("self_serum", "血清学筛查日期", "date", 14, f"已做血清学筛查的填写筛查日期，未做的不填。{dates}"),
        col("note", "备注", "text", 24, "已分娩、流产、迁出等情况请在此注明。", "示例行，系统自动跳过"),
    ]


def register_columns(settings: Settings) -> list[TemplateColumn]:
    vocab = Vocabulary(settings)
    first = settings.communities[0]
    dates = _dates_hint(settings)

    def col(field: str, preferred: str, kind: str, width: float, hint: str, example: Any = None,
            choices: tuple[str, ...] = ()) -> TemplateColumn:
        return TemplateColumn(field, _header(vocab, settings, field, preferred), kind, width, hint, example, choices)

    reasons = "、".join(CLOSE_REASONS)
    # Paper rosters are registered only where the plan asks for them.
    paper = bool(settings.rosters.paper)
    kinds = REGISTER_KIND_CHOICES if paper else REGISTER_KIND_CHOICES[:-1]
    return [
        col("register_kind", "登记类型", "list", 13,
            f"从下拉列表中选择：{'、'.join(kinds)}。", kinds[0], kinds),
        col("community", "社区", "list", 12, "孕妇所在社区" + ("；纸质花名册必填（报送的社区）。" if paper else "。"),
            first.name, _community_choices(settings, None)),
        col("name", "姓名", "text", 10, "孕妇姓名。", "王某某"),
        col("id", "身份证号", "id", 21,
            "孕妇的18位身份证号（末位可为X）。本列为文本格式。" + ("纸质花名册不填。" if paper else ""),
            _example_id(settings, dt.date(1995, 3, 8))),
        col("phone", "联系电话", "phone", 14, "11位手机号。无身份证号时，按姓名+电话识别孕妇。", "13912345678"),
        col("reason", "销号原因", "list", 11, f"个案销号必填，从下拉列表中选择：{reasons}。", "分娩",
            CLOSE_REASONS),
        col("event_date", "日期", "date", 12, f"销号、诊断{'或接收纸质花名册' if paper else ''}的日期。{dates}",
            example_day(settings) + dt.timedelta(days=187)),
        col("diagnosis", "产前诊断结果", "text", 16, "登记类型为产前诊断结果时填写，如 未见异常。"),
        col("merge_id", "合并到身份证号", "id", 21,
            "登记类型为人工合并时填写：本行这位孕妇应并入的正确身份证号（18位）。本列为文本格式。"),
        col("note", "备注", "text", 24, "其他说明。示例行此处为“示例”，系统自动跳过该行。", EXAMPLE_MARK),
    ]


# ----------------------------------------------------------------------------------------------
# Writing


class _Styles:
    def __init__(self, book: Workbook, fmt: Formats) -> None:
        base = {"font_name": "宋体", "font_size": 10, "valign": "vcenter"}
        grey = {"italic": True, "font_color": "#808080", "border": 1}
        self.header = fmt.get("header")
        self.title = book.add_format({**base, "bold": True, "font_size": 16, "font_name": "黑体", "align": "center"})
        self.subtitle = book.add_format({**base, "font_size": 11})
        self.column = {
            "text": book.add_format({**base, "num_format": "@"}),
            "date": book.add_format({**base, "num_format": "yyyy-mm-dd"}),
            "plain": book.add_format(base),
        }
        self.example = {
            "text": book.add_format({**base, **grey, "num_format": "@"}),
            "date": book.add_format({**base, **grey, "num_format": "yyyy-mm-dd"}),
        }
        self.heading = book.add_format({**base, "bold": True, "font_size": 14, "font_name": "黑体"})
        self.line = book.add_format({**base, "font_size": 11, "text_wrap": True, "valign": "top"})
        self.cell = book.add_format({**base, "font_size": 11, "text_wrap": True, "valign": "top", "border": 1})


def _column_style(kind: str) -> str:
    if kind == "date":
        return "date"
    if kind in ("id", "phone", "text", "gest", "list"):
        return "text"
    return "plain"


def _validation(column: TemplateColumn, settings: Settings, top_left: str) -> dict[str, Any]:
    """The data validation of a column's data cells (with the input message)."""
    message: dict[str, Any] = {"input_title": column.header[:32], "input_message": column.hint[:255]}
    if column.kind == "date":
        lo, hi = _date_range(settings)
        return {
            **message,
            "validate": "date",
            "criteria": "between",
            "minimum": dt.datetime(lo.year, lo.month, lo.day),
            "maximum": dt.datetime(hi.year, hi.month, hi.day),
            "error_title": "日期不正确",
            "error_message": f"请填写 {lo:%Y-%m-%d} 至 {hi:%Y-%m-%d} 之间的日期，格式如 {example_day(settings):%Y-%m-%d}（年-月-日）。",
        }
    if column.kind == "list" and column.choices:
        return {
            **message,
            "validate": "list",
            "source": list(column.choices),
            "error_title": "请从下拉列表中选择",
            "error_message": f"只能填写：{'、'.join(column.choices)}。"[:255],
        }
    if column.kind == "id":
        return {
            **message,
            "validate": "custom",
            "value": f"=OR(LEN({top_left})=18,LEN({top_left})=15)",
            "error_type": "warning",
            "error_title": "身份证号位数不对",
            "error_message": "身份证号应为18位（旧号码15位）。请核对；确认无误可点“是”继续。",
        }
    if column.kind == "phone":
        return {
            **message,
            "validate": "length",
            "criteria": "==",
            "value": 11,
            "error_type": "warning",
            "error_title": "手机号位数不对",
            "error_message": "手机号应为11位数字。如为固定电话，可点“是”继续。",
        }
    return {**message, "validate": "any"}


def _write_form(
    book: Workbook,
    styles: _Styles,
    settings: Settings,
    name: str,
    titles: Sequence[str],
    columns: Sequence[TemplateColumn],
) -> Worksheet:
    sheet = book.add_worksheet(name)
    last_col = len(columns) - 1
    sheet.set_row(0, 28)
    sheet.merge_range(0, 0, 0, last_col, titles[0], styles.title)
    sheet.merge_range(1, 0, 1, last_col, titles[1] if len(titles) > 1 else "", styles.subtitle)
    example_row = HEADER_ROW + 1
    last_row = example_row + BLANK_ROWS
    sheet.set_row(HEADER_ROW, 30)
    for c, column in enumerate(columns):
        width = max(column.width, excel_width(column.header) + 2)
        sheet.set_column(c, c, width, styles.column[_column_style(column.kind)])
        sheet.write_string(HEADER_ROW, c, column.header, styles.header)
        sheet.data_validation(HEADER_ROW, c, HEADER_ROW, c, {
            "validate": "any", "input_title": column.header[:32], "input_message": column.hint[:255]})
        top_left = xl_rowcol_to_cell(example_row, c)
        sheet.data_validation(example_row, c, last_row, c, _validation(column, settings, top_left))
        _write_example(sheet, styles, example_row, c, column)
    sheet.freeze_panes(HEADER_ROW + 1, 0)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(0, HEADER_ROW)
    sheet.set_footer("&C第 &P 页，共 &N 页")
    sheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    sheet.activate()
    return sheet


def _write_example(sheet: Worksheet, styles: _Styles, row: int, c: int, column: TemplateColumn) -> None:
    value = column.example
    if value is None:
        sheet.write_blank(row, c, None, styles.example["text"])
    elif isinstance(value, dt.date):
        sheet.write_datetime(row, c, dt.datetime(value.year, value.month, value.day), styles.example["date"])
    else:
        sheet.write_string(row, c, str(value), styles.example["text"])


def _write_instructions(
    book: Workbook, styles: _Styles, title: str, lines: Sequence[str], columns: Sequence[TemplateColumn]
) -> None:
    """The 填表说明 sheet: numbered rules, then one row per column. No row holds two column names,
    so the reader never mistakes it for a table (it is skipped with a note); kept under 40 rows."""
    sheet = book.add_worksheet(INSTRUCTIONS_SHEET)
    sheet.set_column(0, 0, 16)
    sheet.set_column(1, 1, 90)
    sheet.write_string(0, 0, title, styles.heading)
    row = 2
    for line in lines:
        sheet.merge_range(row, 0, row, 1, line, styles.line)
        sheet.set_row(row, 15 * max(1, -(-int(excel_width(line)) // 100)) + 3)
        row += 1
    row += 1
    sheet.write_string(row, 0, "各列怎么填", styles.heading)
    row += 1
    for column in columns:
        choices = f"（可选：{'、'.join(column.choices)}）" if column.choices and column.kind == "list" else ""
        sheet.write_string(row, 0, column.header, styles.cell)
        sheet.write_string(row, 1, column.hint + choices, styles.cell)
        row += 1
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)


def _contact(settings: Settings) -> str:
    office = settings.directory.office_head
    who = f"{office.name}（{office.role or office.title}）" if office is not None else ""
    phone = f"，电话 {settings.programme.hotline}" if settings.programme.hotline else ""
    return f"如有疑问，请联系{settings.programme.issuer}计生办{who}{phone}。"


def _numbered(lines: Sequence[str]) -> list[str]:
    return [f"{i}. {line}" for i, line in enumerate(lines, start=1)]


def _roster_lines(settings: Settings, community: Community) -> list[str]:
    r = settings.rosters
    days = "、".join(str(d) for d in r.update_days)
    day = example_day(settings)
    return _numbered([
        f"本表由{community.name}填报辖区内所有已孕对象（含常住人口和外来居住半年以上的流动人口），每人一行。",
        f"报送时间：{cn_date(r.first_due, year=False)}前首次报送；此后每月{days}日报送更新后的名单。",
        f"每次报送前，请在标题下一行“填报日期：”后填写本次填报日期（如 {cn_date(day)}）。"
        "系统按此日期判断是哪一次报送，未填写的会被列为数据问题。",
        "身份证号填写18位号码（末位可为X）。该列已设为文本格式，请直接输入或粘贴，不要改成数字格式，"
        f"否则Excel会把号码变成 {_as_excel_number(settings)}，后几位永久丢失。联系电话填写11位手机号。",
        f"日期一律按 {day:%Y-%m-%d} 的格式填写（年-月-日）。末次月经不详的填写预产期；都不详的填写孕周和登记日期。",
        f"社区、户籍类型、是否NT筛查请从下拉列表中选择；社区一栏保持“{community.name}”。",
        f"第{_EXAMPLE}行（序号为“示例”的灰色行）是填表示例，系统读取时自动跳过，可以保留；请从第{_EXAMPLE + 1}行起填写，"
        "不要在示例行中填写真实信息。",
        f"请不要删除或修改标题和第{_EXAMPLE - 1}行表头，不要在表中插入合计行或说明行。",
        "已分娩、流产、迁出的孕妇请在备注中注明，并报办事处计生办办理个案销号。",
        *([f"另须报送{r.paper}。"] if r.paper else []),
        "本“填表说明”工作表无需填写。",
        _contact(settings),
    ])


def _register_lines(settings: Settings) -> list[str]:
    reasons = "、".join(CLOSE_REASONS)
    paper = settings.rosters.paper
    return _numbered([
        "本表由办事处计生办填写，记录需要长期保留的决定；每次统计时与各社区花名册一起放入 input 文件夹读取。",
        f"个案销号：孕妇已{reasons}的，填写姓名、身份证号、销号原因和日期；销号后不再列入随访督促名单。",
        "人工合并：同一孕妇有两条记录（如身份证号录错）时，本行填写错误记录的身份证号（或姓名+电话），"
        "“合并到身份证号”填写正确的身份证号。",
        "产前诊断结果：高风险孕妇完成产前诊断后，填写身份证号、诊断日期和产前诊断结果。",
        *([f"纸质花名册：收到{paper}时，填写社区和接收日期。"] if paper else []),
        f"身份证号填写18位号码，该列为文本格式；日期按 {example_day(settings):%Y-%m-%d} 的格式填写（年-月-日）。",
        f"第{_EXAMPLE}行（备注为“示例”的灰色行）是填表示例，系统读取时自动跳过，可以保留；请从第{_EXAMPLE + 1}行起填写。",
        f"请不要删除或修改第{_EXAMPLE - 1}行表头。本“填表说明”工作表无需填写。",
        _contact(settings),
    ])


def _target(path: Path, name: str) -> Path:
    """``path`` is a folder (the file gets ``name``) or a file ending in .xlsx."""
    target = path if path.suffix.lower() == ".xlsx" else path / name
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def _resolve(settings: Settings, community: Community | str) -> Community:
    if isinstance(community, Community):
        return community
    for c in settings.communities:
        if community in (c.key, c.name, c.short):
            return c
    raise KeyError(community)


def write_roster_template(path: Path, settings: Settings, community: Community | str) -> Path:
    """Write the blank roster of ``community`` (a Community, its key, name or short name).

    ``path`` is a folder (the file is named ``<社区>已孕对象花名册模板.xlsx``) or an .xlsx file.
    """
    c = _resolve(settings, community)
    target = _target(Path(path), roster_template_name(c))
    columns = roster_columns(settings, c)
    root = settings.organisation.root
    title = f"{root}{c.name}已孕对象花名册"
    book, fmt = new_workbook(str(target), title=title)
    styles = _Styles(book, fmt)
    _write_form(book, styles, settings, ROSTER_SHEET, [title, f"填报单位：{c.name}    填报日期：    年  月  日"], columns)
    _write_instructions(book, styles, f"{title}填表说明", _roster_lines(settings, c), columns)
    book.close()
    return target


def write_register_template(path: Path, settings: Settings) -> Path:
    """Write the blank office register (办事处登记). ``path`` is a folder or an .xlsx file."""
    target = _target(Path(path), REGISTER_TEMPLATE)
    columns = register_columns(settings)
    title = f"{settings.programme.issuer}“两筛”工作登记（办事处登记）"
    book, fmt = new_workbook(str(target), title=title)
    styles = _Styles(book, fmt)
    subtitle = "登记个案销号、人工合并、产前诊断结果" + ("和纸质花名册接收情况" if settings.rosters.paper else "") + "，长期保留"
    _write_form(book, styles, settings, REGISTER_SHEET, [title, subtitle], columns)
    _write_instructions(book, styles, "办事处登记填表说明", _register_lines(settings), columns)
    book.close()
    return target


def write_templates(folder: Path, settings: Settings) -> list[Path]:
    """Write one roster template per community and the register template into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = [write_roster_template(folder, settings, c) for c in settings.communities]
    written.append(write_register_template(folder, settings))
    return written
