"""One workbook per community, for thousands of communities: each community's rows are split out
once (not filtered from every frame for every community) and the workbooks are written in a pool
of worker processes, one per core.

A workbook written here is the same as :func:`pipeline.outputs.workbook.write_community` on the whole
result. In a multi-level organisation (communities with a parent, e.g. 县/乡镇/村) a community's
ranking block, settings and input-file list are those of its own parent (its township's
communities and its own roster files) instead of the whole province's.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import time
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.load import default_workers
from pipeline.model import Analysis, Normalized
from pipeline.outputs.names import community_filename
from pipeline.outputs.readers import write_problems_workbook
from pipeline.outputs.workbook import (
    CommunityContext,
    _owners,
    summary_frame,
    write_community,
    write_health_centre,
    write_leaders,
    write_master,
)
from pipeline.problems import problems_frame
from pipeline.settings import Settings, settings_rows

# key -> (view of the result, settings of its peers, context); set in the parent before the
# workers are forked, so the workers read it without any pickling.
_STATE: dict[str, tuple[Any, Settings, CommunityContext]] = {}
_WHOLE: tuple[Any, ...] = ()
_WRITERS: dict[str, Callable[[Path, Any, Settings], Path]] = {
    "master": write_master,
    "leaders": write_leaders,
    "health_centre": write_health_centre,
    "problems": write_problems_workbook,
}


def _split(frame: pd.DataFrame, column: str = "community") -> dict[Hashable, pd.DataFrame]:
    if frame is None or frame.empty or column not in frame.columns:
        return {}
    return {k: g for k, g in frame.groupby(column, sort=False, dropna=True)}


def _empty(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.iloc[0:0]


def _problems_by_community(result: Analysis, keys: list[str]) -> dict[str, pd.DataFrame]:
    """``community_problems(result, key)`` for every key, in one pass over the problems."""
    frame = problems_frame(result.problems)
    if frame.empty:
        return {k: frame for k in keys}
    by_sheet, by_file = _owners(result)
    rows: dict[str, list[int]] = {}
    for i, (f, s) in enumerate(zip(frame["file"].tolist(), frame["sheet"].tolist(), strict=True)):
        f = f if isinstance(f, str) else ""
        s = s if isinstance(s, str) else ""
        owners = by_sheet.get((f, s)) if s and (f, s) in by_sheet else by_file.get(f, set())
        for owner in owners or ():
            rows.setdefault(owner, []).append(i)
    return {k: frame.iloc[rows.get(k, [])].reset_index(drop=True) for k in keys}


def community_contexts(result: Analysis, settings: Settings) -> dict[str, tuple[Any, Settings, CommunityContext]]:
    """For every community: a view of ``result`` holding only what its workbook shows, the
    settings it is written with, and its :class:`CommunityContext`."""
    rec, sc = result.reconciled, result.scored
    keys = settings.community_keys
    hierarchical = any(c.parent for c in settings.communities)
    groups: dict[str, list[int]] = {}
    for i, c in enumerate(settings.communities):
        groups.setdefault(c.parent if hierarchical else "", []).append(i)

    follow, high, spot = _split(rec.followup), _split(rec.high_risk), _split(rec.spot_check)
    missing, dups, unverified = _split(rec.missing_from_roster), _split(rec.roster_duplicates), _split(rec.self_unverified)
    subs, paper = _split(rec.submissions), _split(rec.paper_rosters)
    tl, tls = _split(sc.timeliness), _split(sc.timeliness_summary)
    conflicts: dict[str, list[int]] = {}
    if len(rec.conflicts):
        for i, (own, listed) in enumerate(zip(rec.conflicts["community"], rec.conflicts["rosters"], strict=True)):
            for k in {own, *str(listed or "").split("、")}:
                if isinstance(k, str) and k:
                    conflicts.setdefault(k, []).append(i)
    problems = _problems_by_community(result, keys)
    all_rows = settings_rows(settings)
    general_rows = [r for r in all_rows if not r[0].startswith("communities[")]
    everyone_all = summary_frame(result, settings)
    standing = sc.standing
    circulars = sc.circulars
    files_by_path = {f.path: f for f in result.files}
    light = Normalized(
        roster=_empty(result.normalized.roster),
        log=_empty(result.normalized.log),
        quota=_empty(result.normalized.quota),
        register=_empty(result.normalized.register),
        rejected=_empty(result.normalized.rejected),
        sheets=[],
        problems=[],
    )

    empties: dict[int, pd.DataFrame] = {}

    def empty(frame: pd.DataFrame) -> pd.DataFrame:
        # One empty frame per source frame, shared by all views (views are only read).
        if id(frame) not in empties:
            empties[id(frame)] = _empty(frame)
        return empties[id(frame)]

    def part(split: dict[Hashable, pd.DataFrame], frame: pd.DataFrame, key: str) -> pd.DataFrame:
        got = split.get(key)
        return got if got is not None else empty(frame)

    out: dict[str, tuple[Any, Settings, CommunityContext]] = {}
    for indices in groups.values():
        peers = [settings.communities[i] for i in indices]
        peer_keys = [c.key for c in peers]
        if hierarchical:
            peer_settings = dataclasses.replace(settings, communities=tuple(peers))
            labels = tuple(f"communities[{i + 1}]." for i in indices)
            rows = [*general_rows, *(r for r in all_rows if r[0].startswith(labels))]
            everyone = everyone_all[everyone_all["community"].isin(peer_keys)].reset_index(drop=True)
            peer_standing = standing[standing.index.isin(peer_keys)]
            peer_circulars = circulars[circulars["community"].isin(peer_keys)] if len(circulars) else circulars
        else:
            peer_settings, rows, everyone = settings, all_rows, everyone_all
            peer_standing, peer_circulars = standing, circulars
        scored = dataclasses.replace(sc, standing=peer_standing, circulars=peer_circulars)
        for key in peer_keys:
            conf = rec.conflicts.iloc[conflicts.get(key, [])] if len(rec.conflicts) else rec.conflicts
            view_rec = dataclasses.replace(
                rec,
                women=empty(rec.women),
                screenings=empty(rec.screenings),
                duplicates=empty(rec.duplicates),
                after_as_of=empty(rec.after_as_of),
                unassignable=empty(rec.unassignable),
                missing_from_roster=part(missing, rec.missing_from_roster, key),
                conflicts=conf,
                roster_duplicates=part(dups, rec.roster_duplicates, key),
                self_unverified=part(unverified, rec.self_unverified, key),
                followup=part(follow, rec.followup, key),
                high_risk=part(high, rec.high_risk, key),
                spot_check=part(spot, rec.spot_check, key),
                submissions=part(subs, rec.submissions, key),
                paper_rosters=part(paper, rec.paper_rosters, key),
                problems=[],
            )
            view_scored = dataclasses.replace(
                scored,
                timeliness=part(tl, sc.timeliness, key),
                timeliness_summary=part(tls, sc.timeliness_summary, key),
            )
            if hierarchical:
                own_files = sorted(set(view_rec.submissions["src_file"].tolist())) if len(view_rec.submissions) else []
                files = [files_by_path[f] for f in own_files if f in files_by_path]
            else:
                files = result.files
            view = dataclasses.replace(
                result, normalized=light, reconciled=view_rec, scored=view_scored, problems=[], files=files
            )
            out[key] = (view, peer_settings, CommunityContext(everyone, problems[key], rows, files))
    return out


def _write_one(job: tuple[str, str, str]) -> tuple[str, str, float]:
    kind, key, path = job
    started = time.perf_counter()
    if kind == "community":
        view, peer_settings, context = _STATE[key]
        write_community(Path(path), view, peer_settings, key, context)
    else:
        result, settings = _WHOLE[0], _WHOLE[1]
        _WRITERS[kind](Path(path), result, settings)
    return kind, path, time.perf_counter() - started


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
    health_centre, problems) and every community's workbook into ``folder``, in ``workers``
    processes (default one per core; 1: one after another). The big workbooks start first, so
    that the communities' workbooks fill the other cores meanwhile. Returns the whole-result
    paths, the community paths in config order, and the seconds spent per kind of workbook
    (summed over the workers)."""
    global _STATE, _WHOLE
    community_jobs = [("community", c.key, str(folder / community_filename(settings, c.key))) for c in settings.communities]
    jobs = [(kind, kind, str(path)) for kind, path in whole.items()] + community_jobs
    n = default_workers() if workers is None else max(1, workers)
    n = min(n, len(jobs))
    _STATE = community_contexts(result, settings)
    _WHOLE = (result, settings)
    seconds: dict[str, float] = {}
    try:
        if n > 1 and "fork" in multiprocessing.get_all_start_methods():
            # fork: the workers inherit the result and the split rows; only names are pickled.
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
    finally:
        _STATE = {}
        _WHOLE = ()
    return dict(whole), [Path(p) for _, _, p in community_jobs], seconds


def write_communities(
    folder: Path,
    result: Analysis,
    settings: Settings,
    *,
    workers: int | None = None,
    on_written: Callable[[], None] | None = None,
) -> list[Path]:
    """Write every community's workbook into ``folder``; returns the paths in config order."""
    return write_workbooks(folder, result, settings, {}, workers=workers, on_written=on_written)[1]


__all__ = ["community_contexts", "write_communities", "write_workbooks"]
