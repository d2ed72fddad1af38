"""One run: read the input folder, normalise, reconcile and score, write the outputs atomically.

This is the only module besides ``load`` and the writers that touches the file system; the
stages in between are pure functions.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline import __version__
from pipeline.load import FileResult, read_all
from pipeline.normalize import KIND_LABELS, Normalized, normalize
from pipeline.problems import SEVERITY_ORDER, Problem, problem
from pipeline.progress import Progress
from pipeline.quotas import effective_quotas
from pipeline.reconcile import Reconciled, reconcile
from pipeline.score import Scored, score
from pipeline.settings import TESTS, Settings

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
    reconciled: Reconciled
    scored: Scored
    summary: dict[str, Any]
    output_dir: Path | None = None
    written: list[Path] = field(default_factory=list)
    # Wall time of each stage in seconds: read, normalize, reconcile, score, summary (analyse)
    # and write (write_outputs).
    timings: dict[str, float] = field(default_factory=dict)


def default_as_of(today: dt.date, settings: Settings) -> dt.date:
    """Today, clamped to the programme's period."""
    return min(max(today, settings.programme.start), settings.programme.end)


def analyse(
    input_dir: Path,
    settings: Settings,
    as_of: dt.date,
    *,
    exclude: list[Path] | None = None,
    issued: dict[str, list[str]] | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Read, normalise, reconcile and score. ``workers``: reader processes (default one per
    core; 1 reads one file at a time, with the same result). ``progress``: an optional display."""
    if not input_dir.is_dir():
        raise RunError(f"找不到输入文件夹 {input_dir}。请把各社区报来的表格放进该文件夹，或用 --input 指定文件夹。")
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str, next_stage: str | None = None) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = now - clock
        clock = now
        if progress is not None and next_stage:
            progress.stage(next_stage)

    if progress is not None:
        progress.stage("read")
    files, discovery_problems = read_all(
        input_dir,
        settings.limits,
        exclude=exclude or [],
        workers=workers,
        on_file=progress.file_read if progress is not None else None,
    )
    if not files and not discovery_problems:
        raise RunError(f"输入文件夹 {input_dir} 中没有任何文件。请把花名册、筛查登记和任务分配表放进去后再运行。")
    lap("read", "normalize")
    # The raw cell grids are emptied as each sheet is extracted (the frames hold the values):
    # at province size the grids alone are gigabytes.
    norm = normalize(files, settings, release_rows=True)
    lap("normalize", "reconcile")
    quotas, quota_problems, warnings = effective_quotas(settings, norm.quota, norm.quota_totals)
    rec = reconcile(norm, settings, as_of)
    lap("reconcile", "score")
    scored = score(rec.screenings, rec.submissions, quotas, settings, as_of, issued)
    lap("score", "summary")
    problems = [
        *discovery_problems,
        *(p for f in files for p in f.problems),
        *norm.problems,
        *quota_problems,
        *rec.problems,
    ]
    result = RunResult(
        as_of=as_of,
        input_dir=input_dir,
        files=files,
        normalized=norm,
        quotas=quotas,
        problems=problems,
        warnings=warnings,
        reconciled=rec,
        scored=scored,
        summary={},
        timings=timings,
    )
    result.summary = build_summary(result, settings)
    lap("summary")
    return result


def issued_from_archive(settings: Settings) -> dict[str, list[str]]:
    """The lagging lists of the circulars issued so far, by period end (empty without an archive):
    pass them to :func:`analyse` so that issued periods drive the "in a row" rules."""
    from pipeline.archive import archive_folder, issued_lagging

    return issued_lagging(archive_folder(settings))


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
        # Why a file was not read: its most severe problem (a note for a plain text file, an error
        # for a broken workbook).
        reasons = sorted(f.problems, key=lambda p: SEVERITY_ORDER.get(p.severity, 9))
        files_out.append(
            {
                "file": f.path,
                "format": f.format,
                "size": f.size,
                "sha256": f.sha256,
                "readable": f.readable,
                "error": reasons[0].message if reasons and not f.readable else None,
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
    scored = result.scored
    last = scored.last_circular
    period = None
    if not last.empty:
        first_row = last.iloc[0]
        period = {
            "number": int(first_row["period"]),
            "start": first_row["period_start"].date().isoformat(),
            "end": first_row["period_end"].date().isoformat(),
        }
    return {
        "schema_version": 1,
        "program_version": __version__,
        "programme": settings.programme.name,
        "as_of": result.as_of.isoformat(),
        "accounting": accounting(norm),
        "problems": {"错误": severities.get("错误", 0), "警告": severities.get("警告", 0), "提示": severities.get("提示", 0)},
        "circular_period": period,
        "communities": community_summaries(result, settings),
        "totals": totals(scored.standing, settings),
        "periods": period_history(scored),
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


def _num(value: Any) -> float | int | None:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, bool):
        return int(value)
    as_float = float(value)
    return int(as_float) if as_float.is_integer() else round(as_float, 4)


def _by_test(rec: Any, prefix: str) -> dict[str, float | int | None]:
    return {t: _num(rec[f"{prefix}_{t}"]) for t in TESTS}


def community_summaries(result: RunResult, settings: Settings) -> list[dict[str, Any]]:
    scored, rec = result.scored, result.reconciled
    last = scored.last_circular
    tl = scored.timeliness_summary.set_index("community") if len(scored.timeliness_summary) else None
    fu = rec.followup
    # Per-community counts and sums, each computed once (not one filter per community).
    follow_counts = (
        fu.groupby(["community", "status"]).size() if len(fu) else pd.Series(dtype="int64")
    )
    pay_sums = scored.payments.groupby("community")[["case_amount", "specialist", "secretary_reward", "fine"]].sum()

    def count(frame: pd.DataFrame) -> pd.Series:
        return frame["community"].value_counts() if len(frame) and "community" in frame.columns else pd.Series(dtype="int64")

    high_risk_n = count(rec.high_risk)
    missing_n = count(rec.missing_from_roster)
    unverified_n = count(rec.self_unverified)
    subsidy_sum = (
        scored.subsidy.groupby("community")["amount"].sum() if len(scored.subsidy) else pd.Series(dtype="float64")
    )

    def pay(key: str, column: str) -> float | int | None:
        return _num(pay_sums.at[key, column] if key in pay_sums.index else 0)

    out = []
    for key, row in scored.standing.iterrows():
        circ = last.loc[key] if key in last.index else None
        consequences = list(circ["consequences"]) if circ is not None else []
        out.append(
            {
                "name": row["name"],
                "key": key,
                "quota": _by_test(row, "quota"),
                "expected": _by_test(row, "expected"),
                "done": _by_test(row, "done"),
                "remaining": _by_test(row, "remaining"),
                "rates": _by_test(row, "rate"),
                "rate": _num(row["rate"]),
                "rank": _num(row["rank"]),
                "meets_expected": bool(row["meets"]),
                "lagging": bool(circ["lagging"]) if circ is not None else False,
                "consequence": "；".join(consequences) if consequences else None,
                "consequences": consequences,
                "commendation": circ["commendation"] if circ is not None else None,
                "streaks": {
                    "lagging": _num(circ["lag_streak"]) if circ is not None else 0,
                    "stage_missed": _num(circ["miss_streak"]) if circ is not None else 0,
                },
                "roster_timeliness": (
                    {k: _num(v) for k, v in tl.loc[key].items()} if tl is not None and key in tl.index else None
                ),
                "followup": {
                    status: int(follow_counts.get((key, status), 0))
                    for status in ("open", "soon", "missed", "no_dates")
                },
                "high_risk_awaiting_diagnosis": int(high_risk_n.get(key, 0)),
                "missing_from_roster": int(missing_n.get(key, 0)),
                "self_reported_unverified": int(unverified_n.get(key, 0)),
                "payments": {
                    "cases": pay(key, "case_amount"),
                    "specialist": pay(key, "specialist"),
                    "year_end_reward": pay(key, "secretary_reward"),
                    "fine": pay(key, "fine"),
                },
                "subsidy": _num(subsidy_sum.get(key, 0)),
            }
        )
    return out


def totals(standing: pd.DataFrame, settings: Settings) -> dict[str, Any]:
    done = {t: int(standing[f"done_{t}"].sum()) for t in TESTS}
    return {
        "quota": {t: _num(standing[f"quota_{t}"].sum()) for t in TESTS},
        "expected": {t: _num(standing[f"expected_{t}"].sum()) for t in TESTS},
        "done": done,
        "goal": settings.programme.goal,
        "goal_rate": {t: _num(done[t] / settings.programme.goal) if settings.programme.goal else None for t in TESTS},
    }


def period_history(scored: Scored) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    circ = scored.circulars
    if circ.empty:
        return out
    for number, block in circ.groupby("period", sort=True):
        first = block.iloc[0]
        out.append(
            {
                "number": int(number),
                "start": first["period_start"].date().isoformat(),
                "end": first["period_end"].date().isoformat(),
                "ranking": [
                    {
                        "name": r["name"],
                        "key": r["community"],
                        "rank": _num(r["rank"]),
                        "rate": _num(r["rate"]),
                        "done": _by_test(r, "done"),
                        "expected": _by_test(r, "expected"),
                        "rates": _by_test(r, "rate"),
                        "period_done": _by_test(r, "period_done"),
                        "period_rate": _num(r["period_rate"]),
                        "period_rank": _num(r["period_rank"]),
                        "lagging": bool(r["lagging"]),
                        "consequences": list(r["consequences"]),
                        "commendation": r["commendation"],
                    }
                    for r in block.sort_values(["rank", "community"]).to_dict("records")
                ],
                "lagging": block.loc[block["lagging"].astype(bool), "name"].tolist(),
                "issued": bool(block["issued"].any()),
            }
        )
    return out


# ----------------------------------------------------------------------------------------------
# Writing


def write_outputs(
    result: RunResult,
    settings: Settings,
    output_root: Path,
    *,
    workers: int | None = None,
    progress: Progress | None = None,
) -> Path:
    """Write every output into a temporary folder beside ``output/<as-of>/`` and swap it in, so a
    failed or killed run leaves the previous complete outputs untouched. One run at a time may
    write into an output folder (a lock file holds the writer's process number). The community
    workbooks are written by ``workers`` processes (default one per core; 1: one at a time)."""
    output_root.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if progress is not None:
        progress.stage("write", total=len(settings.communities) + 4)
    with output_lock(output_root):
        recover_outputs(output_root)
        final = _write_outputs_locked(result, settings, output_root, workers=workers, progress=progress)
    result.timings["write"] = time.perf_counter() - started
    return final


def _write_outputs_locked(
    result: RunResult,
    settings: Settings,
    output_root: Path,
    *,
    workers: int | None = None,
    progress: Progress | None = None,
) -> Path:
    from pipeline.communities import write_workbooks
    from pipeline.notice import write_circular
    from pipeline.workbook import health_centre_filename, leaders_filename, master_filename

    final = output_root / result.as_of.isoformat()
    tmp = output_root / f".tmp-{result.as_of.isoformat()}-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        as_of = result.as_of
        # The workbooks are written in parallel (pipeline.communities); the order of `written`
        # stays: master, communities in config order, leaders, health centre, problems.
        whole, communities, seconds = write_workbooks(
            tmp,
            result,
            settings,
            {
                "master": tmp / master_filename(as_of),
                "leaders": tmp / leaders_filename(as_of),
                "health_centre": tmp / health_centre_filename(as_of),
                "problems": tmp / "数据问题.xlsx",
            },
            workers=workers,
            on_written=progress.item if progress is not None else None,
        )
        for kind, took in seconds.items():
            result.timings[f"write_{kind}"] = took
        written = [
            whole["master"],
            *communities,
            whole["leaders"],
            whole["health_centre"],
            whole["problems"],
            _write_json(tmp / "summary.json", result.summary),
            *write_circular(tmp, result.summary, settings, result.as_of),
        ]
        written.append(_write_manifest(tmp / "manifest.json", written, result))
        _swap_into_place(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    result.output_dir = final
    result.written = [final / p.relative_to(tmp) for p in written]
    return final


def _write_json(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return path


def _write_manifest(path: Path, written: list[Path], result: RunResult) -> Path:
    """Every output file with its sha256: the same input, config and as-of give the same manifest."""
    entries = []
    for item in sorted(written, key=lambda p: p.relative_to(path.parent).as_posix()):
        digest = hashlib.sha256(item.read_bytes()).hexdigest()
        entries.append({"file": item.relative_to(path.parent).as_posix(), "sha256": digest, "size": item.stat().st_size})
    manifest = {"as_of": result.as_of.isoformat(), "program_version": __version__, "files": entries}
    return _write_json(path, manifest)


LOCK_NAME = ".screening.lock"
STALE_LOCK_SECONDS = 6 * 3600


def _pid_alive(pid: int) -> bool:
    if os.name == "nt":  # os.kill(pid, 0) would terminate the process on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _lock_holder(path: Path) -> int | None:
    try:
        return int(path.read_text(encoding="ascii").split()[0])
    except (OSError, ValueError, IndexError):
        return None


@contextmanager
def output_lock(output_root: Path) -> Iterator[None]:
    """Refuse a second writer on the same output folder; a lock left by a dead process is taken over."""
    path = output_root / LOCK_NAME
    for _attempt in range(3):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            holder = _lock_holder(path)
            age = time.time() - path.stat().st_mtime if path.exists() else 0.0
            if holder is not None and holder != os.getpid() and _pid_alive(holder) and age < STALE_LOCK_SECONDS:
                raise RunError(
                    f"另一个 screening 正在写入输出文件夹 {output_root}（进程号 {holder}）。请等它结束后再运行；"
                    f"如确认没有程序在运行，删除 {path} 后重试。"
                ) from None
            path.unlink(missing_ok=True)
            continue
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(f"{os.getpid()}\n")
        break
    else:
        raise RunError(f"无法锁定输出文件夹 {output_root}，请稍后重试。")
    try:
        yield
    finally:
        if _lock_holder(path) == os.getpid():
            path.unlink(missing_ok=True)


def recover_outputs(output_root: Path) -> list[str]:
    """Finish what a killed run left: put back a previous result whose replacement never arrived,
    and remove temporary and superseded folders of dead processes. Returns what was done."""
    done: list[str] = []
    if not output_root.is_dir():
        return done
    for leftover in sorted(output_root.iterdir()):
        for prefix in (".old-", ".tmp-"):
            if not leftover.name.startswith(prefix) or not leftover.is_dir():
                continue
            name, _, pid_text = leftover.name[len(prefix) :].rpartition("-")
            if not pid_text.isdigit() or (int(pid_text) != os.getpid() and _pid_alive(int(pid_text))):
                continue
            target = output_root / name
            if prefix == ".old-" and not target.exists():
                os.replace(leftover, target)
                done.append(f"restored {name}")
            else:
                shutil.rmtree(leftover, ignore_errors=True)
                done.append(f"removed {leftover.name}")
    return done


def _swap_into_place(tmp: Path, final: Path) -> None:
    old = final.with_name(f".old-{final.name}-{os.getpid()}")
    if final.exists():
        os.replace(final, old)
    os.replace(tmp, final)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


def unexpected_error_problem(exc: BaseException) -> Problem:
    return problem("internal", f"程序内部错误：{type(exc).__name__}", "请把 run.log 发给维护人员。")
