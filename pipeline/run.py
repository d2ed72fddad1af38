"""One run: read the input folder, normalise, reconcile and score, write the outputs atomically.

This is the only module besides ``load`` and the writers that touches the file system; the
stages in between are pure functions.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline import __version__
from pipeline.load import FileResult, read_all
from pipeline.normalize import KIND_LABELS, Normalized, normalize
from pipeline.problems import Problem, problem
from pipeline.quotas import effective_quotas
from pipeline.settings import Settings

log = logging.getLogger("screening")


class RunError(Exception):
    """The run cannot start (no input folder, nothing to read): a Chinese message for the user."""


@dataclass
class RunResult:
    as_of: dt.date
    input_dir: Path
    files: list[FileResult]
    normalized: Normalized
    quotas: pd.DataFrame
    problems: list[Problem]
    warnings: list[dict[str, Any]]
    summary: dict[str, Any]
    output_dir: Path | None = None
    written: list[Path] = field(default_factory=list)


def default_as_of(today: dt.date, settings: Settings) -> dt.date:
    """Today, clamped to the programme's period."""
    return min(max(today, settings.programme.start), settings.programme.end)


def analyse(input_dir: Path, settings: Settings, as_of: dt.date, *, exclude: list[Path] | None = None) -> RunResult:
    if not input_dir.is_dir():
        raise RunError(f"找不到输入文件夹 {input_dir}。请把各社区报来的表格放进该文件夹，或用 --input 指定文件夹。")
    files, discovery_problems = read_all(input_dir, settings.limits, exclude=exclude or [])
    if not files and not discovery_problems:
        raise RunError(f"输入文件夹 {input_dir} 中没有任何文件。请把花名册、筛查登记和任务分配表放进去后再运行。")
    norm = normalize(files, settings)
    quotas, quota_problems, warnings = effective_quotas(settings, norm.quota, norm.quota_totals)
    problems = [*discovery_problems, *(p for f in files for p in f.problems), *norm.problems, *quota_problems]
    result = RunResult(
        as_of=as_of,
        input_dir=input_dir,
        files=files,
        normalized=norm,
        quotas=quotas,
        problems=problems,
        warnings=warnings,
        summary={},
    )
    result.summary = build_summary(result, settings)
    return result


def accounting(norm: Normalized) -> dict[str, int]:
    by_kind = {
        "roster": len(norm.roster),
        "log": len(norm.log),
        "quota": len(norm.quota),
        "register": len(norm.register),
    }
    acc = {
        "input_rows": norm.input_rows,
        "accepted_rows": norm.accepted_rows,
        "rejected_rows": norm.rejected_rows,
        "roster_rows": by_kind["roster"],
        "log_rows": by_kind["log"],
        "quota_rows": by_kind["quota"],
        "register_rows": by_kind["register"],
    }
    if acc["input_rows"] != acc["accepted_rows"] + acc["rejected_rows"]:  # pragma: no cover - invariant
        raise AssertionError(f"accounting does not add up: {acc}")
    return acc


def build_summary(result: RunResult, settings: Settings) -> dict[str, Any]:
    norm = result.normalized
    files_out = []
    sheets_by_file: dict[str, list[Any]] = {}
    for info in norm.sheets:
        sheets_by_file.setdefault(info.file, []).append(info)
    for f in result.files:
        errors = [p.message for p in f.problems if p.severity == "错误"]
        files_out.append(
            {
                "file": f.path,
                "format": f.format,
                "size": f.size,
                "sha256": f.sha256,
                "readable": f.readable,
                "error": errors[0] if errors and not f.readable else None,
                "sheets": [
                    {
                        "sheet": s.sheet,
                        "kind": s.kind,
                        "kind_label": KIND_LABELS.get(s.kind, s.kind),
                        "community": s.community,
                        "test": s.test,
                        "report_date": s.report_date,
                        "header_row": s.header_row,
                        "rows": s.rows,
                        "accepted": s.accepted,
                        "rejected": s.rejected,
                        "reason": s.reason or None,
                    }
                    for s in sheets_by_file.get(f.path, [])
                ],
            }
        )
    severities = Counter(p.severity for p in result.problems)
    return {
        "schema_version": 1,
        "program_version": __version__,
        "programme": settings.programme.name,
        "as_of": result.as_of.isoformat(),
        "accounting": accounting(norm),
        "problems": {"错误": severities.get("错误", 0), "警告": severities.get("警告", 0), "提示": severities.get("提示", 0)},
        "warnings": result.warnings,
        "quotas": [
            {
                "community": r["community"],
                "quota": {"nt": r["quota_nt"], "serum": r["quota_serum"]},
                "weekly": {"nt": r["weekly_nt"], "serum": r["weekly_serum"]},
                "source": r["source"],
            }
            for r in result.quotas.to_dict("records")
        ],
        "files": files_out,
    }


# ----------------------------------------------------------------------------------------------
# Writing


def write_outputs(result: RunResult, settings: Settings, output_root: Path) -> Path:
    """Write every output into a temporary folder beside ``output/<as-of>/`` and swap it in, so a
    failed or killed run leaves the previous complete outputs untouched."""
    from pipeline.report import write_problems_workbook

    output_root.mkdir(parents=True, exist_ok=True)
    final = output_root / result.as_of.isoformat()
    tmp = output_root / f".tmp-{result.as_of.isoformat()}-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        written = [
            write_problems_workbook(tmp / "数据问题.xlsx", result, settings),
            _write_json(tmp / "summary.json", result.summary),
        ]
        _swap_into_place(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    result.output_dir = final
    result.written = [final / p.name for p in written]
    return final


def _write_json(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return path


def _swap_into_place(tmp: Path, final: Path) -> None:
    old = final.with_name(f".old-{final.name}-{os.getpid()}")
    if final.exists():
        os.replace(final, old)
    os.replace(tmp, final)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


def unexpected_error_problem(exc: BaseException) -> Problem:
    return problem("internal", f"程序内部错误：{type(exc).__name__}", "请把 run.log 发给维护人员。")
