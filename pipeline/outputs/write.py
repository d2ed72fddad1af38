"""Write every output of a run into ``output/<as-of>/`` at once: the workbooks (in parallel), the
summary, the circular drafts and the manifest, in a temporary folder swapped into place.

Takes the :class:`~pipeline.model.Analysis`, the settings and the output root; gives the folder
and its files (:class:`Written`). Never leaves a half-written ``output/<as-of>/``: a failed or
killed run leaves the previous complete outputs in place.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline import __version__
from pipeline.model import Analysis, OnStage
from pipeline.outputs.circular import write_circular
from pipeline.outputs.folder import guard_writing, output_lock, recover_outputs, swap_into_place
from pipeline.outputs.names import (
    MANIFEST_FILE,
    PROBLEMS_FILE,
    SUMMARY_FILE,
    health_centre_filename,
    leaders_filename,
    master_filename,
    run_folder,
    spot_check_filename,
    staging_folder,
)
from pipeline.outputs.parallel import unit_jobs, write_workbooks
from pipeline.settings import Settings


@dataclass(frozen=True)
class Written:
    """Where a run's outputs went: the ``output/<as-of>/`` folder and its files in writing order."""

    folder: Path
    files: list[Path]


def write_outputs(
    result: Analysis,
    settings: Settings,
    output_root: Path,
    *,
    workers: int | None = None,
    on_stage: OnStage | None = None,
    on_item: Callable[[], None] | None = None,
    circular_summary: dict[str, Any] | None = None,
    doc_date: dt.date | None = None,
) -> Written:
    """Write every output into a temporary folder beside ``output/<as-of>/`` and swap it in, so a
    failed or killed run leaves the previous complete outputs untouched. One run at a time may
    write into an output folder (a lock file holds the writer's process number). The community
    workbooks are written by ``workers`` processes (default one per core; 1: one at a time).
    The circular is drafted from ``circular_summary`` (the figures at the period end; default the
    run's own summary) with the 成文日期 ``doc_date`` (default the day after the period end)."""
    started = time.perf_counter()
    if on_stage is not None:
        on_stage("write", total=len(unit_jobs(output_root, settings)) + 5)

    def write() -> Written:
        output_root.mkdir(parents=True, exist_ok=True)
        with output_lock(output_root):
            recover_outputs(output_root)
            return _write_outputs_locked(
                result,
                settings,
                output_root,
                workers=workers,
                on_item=on_item,
                circular=(circular_summary or result.summary, doc_date),
            )

    # A full disk or a read-only folder: one Chinese line, the previous result untouched.
    written = guard_writing(output_root, write)
    result.timings["write"] = time.perf_counter() - started
    return written


def _write_outputs_locked(
    result: Analysis,
    settings: Settings,
    output_root: Path,
    *,
    workers: int | None = None,
    on_item: Callable[[], None] | None = None,
    circular: tuple[dict[str, Any], dt.date | None] | None = None,
) -> Written:
    circular_summary, doc_date = circular or (result.summary, None)
    final = run_folder(output_root, result.as_of)
    tmp = staging_folder(output_root, result.as_of, os.getpid())
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        as_of = result.as_of
        # The workbooks are written in parallel (pipeline.outputs.parallel); the order of `written`
        # stays: master, communities in config order, leaders, health centre, problems, spot checks.
        whole, communities, seconds = write_workbooks(
            tmp,
            result,
            settings,
            {
                "master": tmp / master_filename(as_of),
                "leaders": tmp / leaders_filename(as_of),
                "health_centre": tmp / health_centre_filename(settings, as_of),
                "problems": tmp / PROBLEMS_FILE,
                "spot_checks": tmp / spot_check_filename(as_of),
            },
            workers=workers,
            on_written=on_item,
        )
        for kind, took in seconds.items():
            result.timings[f"write_{kind}"] = took
        written = [
            whole["master"],
            *communities,
            whole["leaders"],
            whole["health_centre"],
            whole["problems"],
            whole["spot_checks"],
            _write_json(tmp / SUMMARY_FILE, result.summary),
            *write_circular(tmp, circular_summary, settings, result.as_of, date=doc_date),
        ]
        written.append(_write_manifest(tmp / MANIFEST_FILE, written, result))
        swap_into_place(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Written(final, [final / p.relative_to(tmp) for p in written])


def _write_json(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return path


def _write_manifest(path: Path, written: list[Path], result: Analysis) -> Path:
    """Every output file with its sha256: the same input, config and as-of give the same manifest."""
    entries = []
    for item in sorted(written, key=lambda p: p.relative_to(path.parent).as_posix()):
        digest = hashlib.sha256(item.read_bytes()).hexdigest()
        entries.append({"file": item.relative_to(path.parent).as_posix(), "sha256": digest, "size": item.stat().st_size})
    manifest = {"as_of": result.as_of.isoformat(), "program_version": __version__, "files": entries}
    return _write_json(path, manifest)
