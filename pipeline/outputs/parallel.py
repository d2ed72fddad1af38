"""The process pool that writes a run's workbooks: the whole-result workbooks (master, leaders'
copy, health centre, problems) and one workbook per community (or per township, ``[outputs]
unit_level``), in worker processes, one per core.

Takes the result, the settings and the paths of the whole-result workbooks; the communities'
views (:func:`pipeline.outputs.community.community_views`) are cut once in the parent before the
workers are forked, so the workers read them without any pickling. The files are the same for
any number of workers (1: one after another in this process).
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from pathlib import Path

from pipeline.load import default_workers
from pipeline.model import Analysis
from pipeline.outputs.community import CommunityView, community_views, write_community
from pipeline.outputs.master import write_master, write_spot_checks
from pipeline.outputs.names import community_filename, township_filename, township_names
from pipeline.outputs.readers import write_health_centre, write_leaders, write_problems_workbook
from pipeline.outputs.township import township_views, write_township
from pipeline.settings import Settings

# Set in the parent before the workers are forked (the workers inherit them) and cleared after.
_VIEWS: dict[str, CommunityView] = {}
_WHOLE: tuple[Analysis, Settings] | None = None
_WRITERS: dict[str, Callable[[Path, Analysis, Settings], Path]] = {
    "master": write_master,
    "leaders": write_leaders,
    "health_centre": write_health_centre,
    "problems": write_problems_workbook,
    "spot_checks": write_spot_checks,
}


def _write_one(job: tuple[str, str, str]) -> tuple[str, str, float]:
    kind, key, path = job
    started = time.perf_counter()
    if kind == "community":
        write_community(Path(path), _VIEWS[key])
    elif kind == "township":
        write_township(Path(path), _VIEWS[key])
    else:
        assert _WHOLE is not None
        _WRITERS[kind](Path(path), *_WHOLE)
    return kind, path, time.perf_counter() - started


def _run(jobs: list[tuple[str, str, str]], n: int, on_written: Callable[[], None] | None) -> dict[str, float]:
    """Run ``jobs`` in ``n`` forked workers (one after another in this process when ``n`` is 1 or
    the system cannot fork); returns the seconds spent per kind of workbook."""
    seconds: dict[str, float] = {}
    if n > 1 and "fork" in multiprocessing.get_all_start_methods():
        # fork: the workers inherit the result and the views; only names are pickled.
        with multiprocessing.get_context("fork").Pool(n) as pool:
            for kind, _path, took in pool.imap_unordered(_write_one, jobs, chunksize=1):
                seconds[kind] = seconds.get(kind, 0.0) + took
                if on_written is not None:
                    on_written()
    else:
        for job in jobs:
            kind, _path, took = _write_one(job)
            seconds[kind] = seconds.get(kind, 0.0) + took
            if on_written is not None:
                on_written()
    return seconds


def write_workbooks(
    folder: Path,
    result: Analysis,
    settings: Settings,
    whole: dict[str, Path],
    *,
    workers: int | None = None,
    on_written: Callable[[], None] | None = None,
) -> tuple[dict[str, Path], list[Path], dict[str, float]]:
    """Write the whole-result workbooks ``whole`` (kind -> path; kinds: master, leaders,
    health_centre, problems, spot_checks) and every community's workbook into ``folder``, in ``workers``
    processes (default one per core; 1: one after another). The big workbooks start first, so
    that the communities' workbooks fill the other cores meanwhile. Returns the whole-result
    paths, the community (or township) paths in config order, and the seconds spent per kind of workbook
    (summed over the workers)."""
    global _VIEWS, _WHOLE
    community_jobs = unit_jobs(folder, settings)
    jobs = [(kind, kind, str(path)) for kind, path in whole.items()] + community_jobs
    n = default_workers() if workers is None else max(1, workers)
    n = min(n, len(jobs))
    _VIEWS = community_views(result, settings)
    if settings.outputs.unit_level == "township":
        _VIEWS = township_views(_VIEWS, settings)
    _WHOLE = (result, settings)
    try:
        seconds = _run(jobs, n, on_written)
    finally:
        _VIEWS = {}
        _WHOLE = None
    return dict(whole), [Path(p) for _, _, p in community_jobs], seconds


def unit_jobs(folder: Path, settings: Settings) -> list[tuple[str, str, str]]:
    """(kind, key, path) of the workbooks for the units of ``[outputs] unit_level``: one per
    community, or one per township (by its parent path), in config order."""
    if settings.outputs.unit_level == "township":
        names = township_names(settings)
        return [("township", parent, str(folder / township_filename(settings, parent, names))) for parent in names]
    return [("community", c.key, str(folder / community_filename(settings, c.key))) for c in settings.communities]


def write_communities(
    folder: Path,
    result: Analysis,
    settings: Settings,
    *,
    workers: int | None = None,
    on_written: Callable[[], None] | None = None,
) -> list[Path]:
    """Write every community's (or township's) workbook into ``folder``; returns the paths in config order."""
    return write_workbooks(folder, result, settings, {}, workers=workers, on_written=on_written)[1]


__all__ = ["write_communities", "write_workbooks"]
