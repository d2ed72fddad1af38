"""The problem catalogue: every code the pipeline can emit is catalogued (with its severities and
Chinese title) and documented in the README; severities are ASCII with Chinese labels."""

from __future__ import annotations

import ast
import datetime as dt
import re

import pandas as pd
import pytest

from pipeline.normalize.ids import ID_STATUSES
from pipeline.problems import (
    CODES,
    Severity,
    for_display,
    problem,
    problem_groups,
    problems_frame,
    programme_warnings,
    severity_counts,
)
from tests.conftest import REPO, demo_result

CJK = re.compile(r"[\u4e00-\u9fff]")


def literal_codes() -> set[str]:
    """Every string literal the package passes as a problem code (first argument of problem(),
    ctx.add/make, _skipped; keyword ``code=``; a ``"code": ...`` dict entry)."""
    calls = {"problem", "add", "make", "_skipped"}
    found: set[str] = set()
    for path in (REPO / "pipeline").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            values = []
            if isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if name in calls and node.args:
                    values.append(node.args[0])
                values += [kw.value for kw in node.keywords if kw.arg == "code"]
            elif isinstance(node, ast.Dict):
                values += [v for k, v in zip(node.keys, node.values, strict=True)
                           if isinstance(k, ast.Constant) and k.value == "code"]
            found |= {v.value for v in values if isinstance(v, ast.Constant) and isinstance(v.value, str)
                      and re.fullmatch(r"[a-z][a-z0-9_]*", v.value)}
    return found


def test_every_literal_code_is_catalogued() -> None:
    codes = literal_codes()
    assert len(codes) > 40  # the scan sees the package (a broken scan must not pass silently)
    assert codes - set(CODES) == set()


def test_generated_codes_are_catalogued() -> None:
    """Codes built at run time: ``id_<status>`` from the ID checker, ``<field>_invalid`` dates."""
    bad_statuses = set(ID_STATUSES) - {"ok", "empty", "upgraded"}
    assert {f"id_{s}" for s in bad_statuses} <= set(CODES)
    assert {f"{f}_invalid" for f in ("lmp", "edd", "reg_date", "screen_date")} <= set(CODES)


@pytest.mark.parametrize("as_of", [dt.date(2020, 6, 30), dt.date(2020, 12, 31)])
def test_codes_of_a_real_run_are_catalogued_with_their_severity(as_of: dt.date) -> None:
    frame = demo_result(as_of).problems
    assert len(frame) > 50
    for code, severity in set(zip(frame["code"], frame["severity"], strict=True)):
        assert code in CODES, code
        assert Severity(severity) in CODES[code].severities, (code, severity)


def test_catalogue_entries_are_chinese_and_documented() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for code, info in CODES.items():
        assert CJK.search(info.title), code
        assert info.severities, code
        assert f"`{code}`" in readme, f"problem code {code} is not in the README"


def test_severity_is_ascii_with_a_chinese_label() -> None:
    assert [s.value for s in Severity] == ["error", "warning", "note"]
    assert [s.label for s in Severity] == ["错误", "警告", "提示"]
    assert sorted(Severity, key=lambda s: s.rank) == [Severity.ERROR, Severity.WARNING, Severity.NOTE]


def test_problem_takes_its_severity_from_the_catalogue_and_refuses_others() -> None:
    assert problem("empty_file", "空文件").severity == Severity.ERROR
    assert problem("sheet_unknown", "x", severity=Severity.WARNING).severity == Severity.WARNING
    with pytest.raises(ValueError, match="severity"):
        problem("empty_file", "空文件", severity=Severity.NOTE)
    with pytest.raises(KeyError):
        problem("no_such_code", "x")


def test_frame_sorted_counted_and_programme_warnings() -> None:
    rows = pd.DataFrame(
        [{"file": "b.xlsx", "sheet": "S", "row": 3, "column": "身份证号", "value": "1", "severity": "note",
          "code": "phone_invalid", "message": "m", "fix": "f"}]
    )
    goal = problem("goal_vs_quota_sum", "目标不符", details={"test": "nt", "declared": 333, "sum": 306.0})
    frame = problems_frame([problem("empty_file", "空文件", file="a.xlsx")], rows, [goal])
    assert list(frame["code"]) == ["empty_file", "goal_vs_quota_sum", "phone_invalid"]  # error, warning, note
    assert severity_counts(frame) == {"错误": 1, "警告": 1, "提示": 1}
    assert list(for_display(frame)["severity"]) == ["错误", "警告", "提示"]
    assert programme_warnings(frame) == [
        {"code": "goal_vs_quota_sum", "test": "nt", "declared": 333, "sum": 306.0, "message": "目标不符"}
    ]


def test_demo_errors_are_counted_by_what_to_fix() -> None:
    """The demo's errors, counted independently from its generator's defect list: three women's
    mistyped IDs (each repeated in every later roster snapshot), IDs Excel turned into numbers, one
    impossible date. Each is one problem to fix however many snapshots repeat it."""
    from pipeline import demo

    result = demo_result(dt.date(2020, 12, 31))
    expected = len(demo.BAD_CHECKSUM_IDS) + demo.FLOAT_ID_COUNT + 1  # + the impossible 2020-02-30
    assert result.summary["problem_groups"]["错误"] == expected
    assert result.summary["problems"]["错误"] > 3 * expected  # the rows: repeated per snapshot
    groups = result.problem_groups
    repeated = groups[groups["code"] == "id_checksum"]
    assert len(repeated) == len(demo.BAD_CHECKSUM_IDS)
    assert all(w.startswith("出现在 ") and "份花名册（最早 " in w for w in repeated["where"])
    assert int(repeated["count"].sum()) == int((result.problems["code"] == "id_checksum").sum())


def test_groups_follow_the_person_across_snapshots_and_order_by_report_date() -> None:
    def row(file: str, r: int, subject: str, value: str = "") -> dict[str, object]:
        return {"file": file, "sheet": "S", "row": r, "column": "身份证号", "value": value, "severity": "warning",
                "code": "id_missing", "message": "缺少身份证号", "fix": "补填", "subject": subject}

    frame = problems_frame(pd.DataFrame([
        row("b.xlsx", 7, "NP:王芳|139"), row("a.xlsx", 5, "NP:王芳|139"), row("a.xlsx", 6, "NP:李娜|138"),
    ]))
    groups = problem_groups(frame, report_dates={("a.xlsx", "S"): "2020-05-08", ("b.xlsx", "S"): "2020-05-18"},
                            kinds={("a.xlsx", "S"): "roster", ("b.xlsx", "S"): "roster"})
    wang = groups[groups["count"] == 2].iloc[0]
    assert (wang["file"], wang["row"]) == ("b.xlsx", 7)  # the latest snapshot is where to fix it
    assert wang["where"] == "出现在 2 份花名册（最早 a.xlsx，最新 b.xlsx）"
    assert wang["locations"] == "a.xlsx [S] 第5行；b.xlsx [S] 第7行"
    assert len(groups) == 2 and severity_counts(groups) == {"错误": 0, "警告": 2, "提示": 0}
