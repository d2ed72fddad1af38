"""Blank templates (`screening template`): layout, formats, validation, and a clean round trip
through the reader once filled in."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from pipeline.analyse import analyse
from pipeline.cli import main
from pipeline.normalize import Vocabulary
from pipeline.normalize.ids import check_digit
from pipeline.outputs.blank import (
    TemplateError,
    write_register_template,
    write_roster_template,
    write_templates,
)
from pipeline.outputs.names import REGISTER_TEMPLATE, roster_template_name
from pipeline.problems import Severity, problem_records
from pipeline.settings import Settings
from tests.conftest import CONFIG

ROSTER_HEADERS = {
    "序号": "serial",
    "社区": "community",
    "姓名": "name",
    "身份证号": "id",
    "联系电话": "phone",
    "末次月经": "lmp",
    "预产期": "edd",
    "孕周": "gest_weeks",
    "登记日期": "reg_date",
    "现住址": "address",
    "户籍类型": "residence",
    "是否NT筛查": "self_nt",
    "血清学筛查日期": "self_serum",
    "备注": "note",
}
REGISTER_HEADERS = {
    "登记类型": "register_kind",
    "社区": "community",
    "姓名": "name",
    "身份证号": "id",
    "联系电话": "phone",
    "销号原因": "reason",
    "日期": "event_date",
    "产前诊断结果": "diagnosis",
    "合并到身份证号": "merge_id",
    "备注": "note",
}
REPORT_DAY = dt.date(2020, 4, 16)


def woman_id(birth: dt.date, seq: int) -> str:
    body = f"411328{birth:%Y%m%d}{seq % 100:02d}{(seq * 2) % 10}"  # even 17th digit: a woman
    return body + check_digit(body)


def headers(ws: Any, row: int = 3) -> list[str]:
    return [c.value for c in ws[row] if c.value is not None]


def column_of(ws: Any, header: str) -> int:
    return headers(ws).index(header) + 1


def test_writes_one_roster_per_community_and_the_register(tmp_path: Path, settings: Settings) -> None:
    written = write_templates(tmp_path / "模板", settings)
    assert [p.name for p in written] == [
        *(f"{c.name}已孕对象花名册模板.xlsx" for c in settings.communities),
        REGISTER_TEMPLATE,
    ]
    assert all(p.is_file() for p in written)


def test_roster_template_layout(tmp_path: Path, settings: Settings) -> None:
    c = settings.communities[0]
    path = write_roster_template(tmp_path, settings, c)
    assert path.name == roster_template_name(c) == f"{c.name}已孕对象花名册模板.xlsx"
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["花名册", "填表说明"]
    ws = wb["花名册"]
    assert ws["A1"].value == f"泗洲街道{c.name}已孕对象花名册"
    assert ws["A2"].value.startswith(f"填报单位：{c.name}") and "填报日期：" in ws["A2"].value
    assert headers(ws) == list(ROSTER_HEADERS)
    vocab = Vocabulary(settings)
    assert all(vocab.fields(h) == {f} for h, f in ROSTER_HEADERS.items())
    assert ws.freeze_panes == "A4"
    # ID and phone columns are text for the whole column, so Excel cannot damage an ID.
    for header in ("身份证号", "联系电话"):
        letter = openpyxl.utils.get_column_letter(column_of(ws, header))
        assert ws.column_dimensions[letter].number_format == "@"
        assert ws[f"{letter}4"].number_format == "@"
    # The example row: grey italic, marked 示例, with a valid fake ID.
    assert ws["A4"].value == "示例"
    assert ws["A4"].font.i and ws["A4"].font.color.rgb.endswith("808080")
    example_id = ws.cell(4, column_of(ws, "身份证号")).value
    assert len(example_id) == 18 and check_digit(example_id[:17]) == example_id[17]
    assert int(example_id[16]) % 2 == 0
    # Data validation: every header has an input message; lists, dates, ID and phone lengths.
    validations = ws.data_validations.dataValidation
    prompted = {str(dv.sqref) for dv in validations if dv.prompt}
    assert all(f"{openpyxl.utils.get_column_letter(i)}3" in prompted for i in range(1, len(ROSTER_HEADERS) + 1))
    by_type: dict[str, list[Any]] = {}
    for dv in validations:
        by_type.setdefault(dv.type or "any", []).append(dv)
    lists = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in by_type["list"]}
    letter = openpyxl.utils.get_column_letter
    assert all(x.name in lists[f"{letter(column_of(ws, '社区'))}4"] for x in settings.communities)
    assert lists[f"{letter(column_of(ws, '户籍类型'))}4"] == '"常住,流动"'
    assert lists[f"{letter(column_of(ws, '是否NT筛查'))}4"] == '"是,否"'
    dates = {str(dv.sqref).split(":")[0] for dv in by_type["date"]}
    assert {f"{letter(column_of(ws, h))}4" for h in ("末次月经", "预产期", "登记日期", "血清学筛查日期")} == dates
    assert all(dv.error and "2019-01-01" in dv.error for dv in by_type["date"])
    assert "LEN(D4)=18" in by_type["custom"][0].formula1 and by_type["custom"][0].errorStyle == "warning"
    assert by_type["textLength"][0].formula1 == "11"
    notes = "\n".join(str(v) for row in wb["填表说明"].iter_rows(values_only=True) for v in row if v)
    for words in ("4月18日前", "8、18、28日", "文本格式", "2020-04-08", "表头", "示例", "自动跳过", "联系", "填报日期"):
        assert words in notes, words


def test_register_template_layout(tmp_path: Path, settings: Settings) -> None:
    path = write_register_template(tmp_path, settings)
    assert path.name == "办事处登记.xlsx"
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["办事处登记", "填表说明"]
    ws = wb["办事处登记"]
    assert headers(ws) == list(REGISTER_HEADERS)
    vocab = Vocabulary(settings)
    assert all(vocab.fields(h) == {f} for h, f in REGISTER_HEADERS.items())
    assert ws.freeze_panes == "A4"
    for header in ("身份证号", "合并到身份证号", "联系电话"):
        letter = openpyxl.utils.get_column_letter(column_of(ws, header))
        assert ws.column_dimensions[letter].number_format == "@"
    lists = [dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert '"个案销号,人工合并,产前诊断结果,纸质花名册"' in lists
    assert '"分娩,流产,迁出,外院已筛,拒检"' in lists
    assert ws.cell(4, column_of(ws, "备注")).value == "示例"


def test_templates_are_reproducible(tmp_path: Path, settings: Settings) -> None:
    first = write_templates(tmp_path / "a", settings)
    second = write_templates(tmp_path / "b", settings)
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]


def test_a_header_the_config_cannot_map_is_an_error(tmp_path: Path, settings: Settings) -> None:
    broken = dataclasses.replace(settings, columns=dataclasses.replace(settings.columns, id=()))
    with pytest.raises(TemplateError, match="id"):
        write_roster_template(tmp_path, broken, settings.communities[0])


def _fill_roster(path: Path, n: int, community_name: str) -> list[str]:
    """Three realistic rows below the kept example row; the 填报日期 written into the title."""
    wb = openpyxl.load_workbook(path)
    ws = wb["花名册"]
    ws["A2"] = f"填报单位：{community_name}    填报日期：{REPORT_DAY.year}年{REPORT_DAY.month}月{REPORT_DAY.day}日"
    col = {h: column_of(ws, h) for h in ROSTER_HEADERS}
    ids = []
    for k in range(3):
        lmp = dt.date(2020, 1, 6) + dt.timedelta(days=17 * k + 3 * n)
        reg = min(lmp + dt.timedelta(days=45), REPORT_DAY)
        person_id = woman_id(dt.date(1990 + k, 2 + n, 10 + k), 10 * n + k)
        ids.append(person_id)
        values: dict[str, Any] = {
            "序号": k + 1,
            "社区": community_name,
            "姓名": ["李梅", "赵丽娟", "孙晓燕"][k],
            "身份证号": person_id,
            "联系电话": f"1393771{n:02d}{k:02d}",
            "末次月经": dt.datetime(lmp.year, lmp.month, lmp.day),
            "预产期": dt.datetime.combine(lmp + dt.timedelta(days=280), dt.time()),
            "孕周": None if k else "9+2",
            "登记日期": dt.datetime(reg.year, reg.month, reg.day),
            "现住址": f"{community_name}幸福小区{k + 3}号楼",
            "户籍类型": ["常住", "流动", "常住"][k],
            "是否NT筛查": ["是", "否", "否"][k],
            "血清学筛查日期": dt.datetime(2020, 4, 10) if k == 0 else None,
            "备注": "外来务工" if k == 1 else None,
        }
        for header, value in values.items():
            cell = ws.cell(5 + k, col[header], value)
            if header in ("身份证号", "联系电话"):
                cell.number_format = "@"
    wb.save(path)
    return ids


def _fill_register(path: Path, settings: Settings, closed_id: str) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb["办事处登记"]
    col = {h: column_of(ws, h) for h in REGISTER_HEADERS}
    rows: list[dict[str, Any]] = [
        {"登记类型": "个案销号", "社区": settings.communities[0].name, "姓名": "李梅", "身份证号": closed_id,
         "联系电话": "13937710000", "销号原因": "分娩", "日期": dt.datetime(2020, 10, 20)},
        {"登记类型": "纸质花名册", "社区": settings.communities[1].name, "日期": dt.datetime(2020, 4, 17),
         "备注": "支部书记已签字盖章"},
    ]
    for r, values in enumerate(rows, start=5):
        for header, value in values.items():
            ws.cell(r, col[header], value)
    wb.save(path)


def test_filled_templates_read_back_without_errors_or_warnings(tmp_path: Path, settings: Settings) -> None:
    # The config's declared goal (333) differs from the quota sum (306): a deliberate programme-level
    # warning that has nothing to do with the templates; align it so only reader problems remain.
    settings = dataclasses.replace(settings, quota=dataclasses.replace(settings.quota, declared_total=306))
    written = write_templates(tmp_path / "模板", settings)
    folder = tmp_path / "input"
    folder.mkdir()
    ids: dict[str, list[str]] = {}
    for n, c in enumerate(settings.communities):
        target = folder / f"{c.name}花名册.xlsx"
        shutil.copy(written[n], target)
        ids[c.key] = _fill_roster(target, n, c.name)
    register = folder / REGISTER_TEMPLATE
    shutil.copy(written[-1], register)
    first = settings.communities[0]
    _fill_register(register, settings, ids[first.key][0])

    result = analyse(folder, settings, dt.date(2020, 12, 31))

    # Rosters and the register only: the plausibility review says the screening log and the quota
    # table are missing (and so every community would be criticised); no reader problem beyond that.
    review = {"no_screening_log", "no_quota_table", "review_all_penalised", "review_top_penalised",
              "review_carried_on_target"}
    problems = [p for p in problem_records(result.problems) if p.code not in review]
    assert {"no_screening_log", "no_quota_table"} <= set(result.problems["code"])
    serious = [p for p in problems if p.severity != Severity.NOTE]
    assert serious == [], serious
    codes = {p.code for p in problems}
    assert codes == {"sheet_instructions", "row_skipped"}
    assert {p.sheet for p in problems if p.code == "sheet_instructions"} == {"填表说明"}
    skipped = [p for p in problems if p.code == "row_skipped"]
    assert len(skipped) == len(written) and all(p.row == 4 and "示例行" in p.message for p in skipped)

    norm = result.normalized
    assert len(norm.roster) == 3 * len(settings.communities)
    assert len(norm.register) == 2
    assert len(norm.rejected) == len(written)
    assert set(norm.rejected["reason"]) == {"示例行（填表示例，不计入）"}
    acc = result.summary["accounting"]
    assert acc["accepted_rows"] == 3 * len(settings.communities) + 2
    assert acc["input_rows"] == acc["accepted_rows"] + acc["rejected_rows"]

    forms = [s for s in norm.sheets if s.sheet != "填表说明"]
    for c in settings.communities:
        (info,) = [s for s in forms if s.file == f"{c.name}花名册.xlsx"]
        assert (info.kind, info.community, info.report_date) == ("roster", c.key, REPORT_DAY.isoformat())
        assert (info.rows, info.accepted, info.rejected) == (4, 3, 1)
        rows = norm.roster[norm.roster["src_file"] == info.file]
        assert list(rows["id"]) == ids[c.key]
        assert set(rows["community"]) == {c.key}
        assert rows["lmp"].notna().all() and rows["phone"].notna().all()
    (reg,) = [s for s in forms if s.file == REGISTER_TEMPLATE]
    assert (reg.kind, reg.accepted, reg.rejected) == ("register", 2, 1)
    assert list(norm.register["action"]) == ["close", "paper"]
    assert list(norm.register["community"]) == [first.key, settings.communities[1].key]
    women = result.reconciled.women.set_index("id")
    assert women.loc[ids[first.key][0], "closed_reason"] == "分娩"


def test_cli_template_writes_and_protects_filled_templates(tmp_path: Path) -> None:
    config = CONFIG
    folder = tmp_path / "模板"
    runner = CliRunner()
    first = runner.invoke(main, ["template", str(folder), "--config", str(config)])
    assert first.exit_code == 0, first.output
    assert "已生成 6 个空白模板" in first.output and (folder / REGISTER_TEMPLATE).is_file()
    again = runner.invoke(main, ["template", str(folder), "--config", str(config)])
    assert again.exit_code != 0 and "--force" in again.output
    forced = runner.invoke(main, ["template", str(folder), "--config", str(config), "--force"])
    assert forced.exit_code == 0, forced.output
