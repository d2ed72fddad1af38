"""Stages 1-4 and the summary: read the input folder, normalise, reconcile, score. Writes nothing;
``pipeline.outputs`` writes what this returns."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from pathlib import Path

from pipeline.load import read_all
from pipeline.model import Analysis, OnFile, OnStage, RunError
from pipeline.normalize import normalize
from pipeline.problems import problem_groups, problems_frame
from pipeline.quotas import effective_quotas
from pipeline.reconcile import reconcile
from pipeline.review import review_inputs, review_scored
from pipeline.score import score
from pipeline.settings import Settings
from pipeline.summary import build_summary


def analyse(
    input_dir: Path,
    settings: Settings,
    as_of: dt.date,
    *,
    exclude: list[Path] | None = None,
    issued: dict[str, list[str]] | None = None,
    workers: int | None = None,
    on_stage: OnStage | None = None,
    on_file: OnFile | None = None,
) -> Analysis:
    """Read, normalise, reconcile and score. ``workers``: reader processes (default one per
    core; 1 reads one file at a time, with the same result). ``on_stage`` and ``on_file``: optional
    callbacks for a progress display. ``issued``: the lagging lists of issued circulars by period
    end (read from the archive by the caller), which drive the "in a row" rules."""
    if not input_dir.is_dir():
        raise RunError(f"找不到输入文件夹 {input_dir}。请把各社区报来的表格放进该文件夹，或用 --input 指定文件夹。")
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str, next_stage: str | None = None) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = now - clock
        clock = now
        if on_stage is not None and next_stage:
            on_stage(next_stage)

    if on_stage is not None:
        on_stage("read")
    files, discovery_problems = read_all(
        input_dir,
        settings.limits,
        exclude=exclude or [],
        workers=workers,
        on_file=on_file,
    )
    if not files and not discovery_problems:
        raise RunError(f"输入文件夹 {input_dir} 中没有任何文件。请把花名册、筛查登记和任务分配表放进去后再运行。")
    lap("read", "normalize")
    # The raw cell grids are emptied as each sheet is extracted (the frames hold the values):
    # at province size the grids alone are gigabytes.
    norm = normalize(files, settings, release_rows=True)
    lap("normalize", "reconcile")
    unreadable = norm.problems.loc[norm.problems["code"] == "quota_header", "file"].tolist() if len(norm.problems) else []
    quotas, quota_problems = effective_quotas(settings, norm.quota, norm.quota_totals, unreadable)
    rec = reconcile(norm, settings, as_of)
    lap("reconcile", "score")
    scored = score(rec.screenings, rec.submissions, quotas, settings, as_of, issued)
    lap("score", "summary")
    problems = problems_frame(
        [*discovery_problems, *(p for f in files for p in f.problems)],
        norm.problems,
        [*quota_problems, *rec.problems],
        # The plausibility review, before anything is drafted (summary.json warnings[], terminal).
        [*review_inputs(norm, settings, as_of), *review_scored(scored, settings)],
    )
    result = Analysis(
        as_of=as_of,
        input_dir=input_dir,
        files=files,
        normalized=norm,
        quotas=quotas,
        problems=problems,
        problem_groups=problem_groups(
            problems,
            report_dates={(s.file, s.sheet): s.report_date for s in norm.sheets},
            kinds={(s.file, s.sheet): s.kind for s in norm.sheets},
        ),
        reconciled=rec,
        scored=scored,
        summary={},
        timings=timings,
    )
    result = dataclasses.replace(result, summary=build_summary(result, settings))
    lap("summary")
    return result
