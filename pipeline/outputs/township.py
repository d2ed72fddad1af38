"""One township's workbook (``[outputs] unit_level = "township"``): what its communities'
workbooks would show, in one file: the township's communities' figures and ranking, and their
women in each list with a community column (IDs masked as in a community's workbook).

A county or province office has thousands of communities; a workbook costs a fixed ~50 ms to build
and zip, and the office sends the results to the townships, which pass them on. Built from the
communities' views (:func:`pipeline.outputs.community.community_views`), so the rows are exactly
those the communities' workbooks would list: :func:`township_views` joins the views of each
township's communities, :func:`write_township` writes one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from pipeline.outputs.community import CommunityView, people_sheets, standing_sheet
from pipeline.outputs.frames import RosterTimeliness
from pipeline.outputs.names import township_names
from pipeline.outputs.sheets import Book, open_book
from pipeline.settings import Settings
from pipeline.wording import org_words


def _rows(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """The communities' rows of one frame, together: each row once (a conflict between two
    communities of the township is in both views, with the same row label of the whole frame)."""
    parts = list(frames)
    out = pd.concat(parts) if len(parts) > 1 else parts[0]
    return out[~out.index.duplicated()].reset_index(drop=True)


def _problems(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """The problem groups of the communities' submissions, each once (a file listing several of
    the township's communities gives the same group to each)."""
    out = pd.concat(list(frames), ignore_index=True)
    return out[~out.astype(str).duplicated()].reset_index(drop=True)


def _township_view(parent: str, name: str, members: list[CommunityView]) -> CommunityView:
    first = members[0]
    unit = org_words(first.settings).unit
    files = {f.path: f for v in members for f in v.run.files}
    return CommunityView(
        key=parent,
        name=name,
        as_of=first.as_of,
        settings=first.settings,  # the township's communities (the views' peers)
        ranking=first.ranking,
        rank_text=f"{name}共{len(members)}个{unit}；下表为各{unit}的进度，排名为{name}内的排名。",
        ranking_title=first.ranking_title,
        followup=_rows(v.followup for v in members),
        high_risk=_rows(v.high_risk for v in members),
        issues={kind: _rows(v.issues[kind] for v in members) for kind in first.issues},
        timeliness=RosterTimeliness(
            _rows(v.timeliness.summary for v in members),
            _rows(v.timeliness.detail for v in members),
            _rows(v.timeliness.paper for v in members),
        ),
        problems=_problems(v.problems for v in members),
        settings_rows=first.settings_rows,
        run=dataclasses.replace(first.run, files=[files[p] for p in sorted(files)]),
        own={},  # a township workbook has no 概况 card: its 汇总 lists its communities
        card=first.card,
        period=first.period,
    )


def township_views(views: Mapping[str, CommunityView], settings: Settings) -> dict[str, CommunityView]:
    """Every township's view (by its parent path, in config order), joined from its communities'."""
    members: dict[str, list[CommunityView]] = {}
    for c in settings.communities:
        members.setdefault(c.parent, []).append(views[c.key])
    names = township_names(settings)
    return {parent: _township_view(parent, names[parent], group) for parent, group in members.items()}


def _standing_sheet(book: Book, view: CommunityView) -> None:
    """汇总: the township's communities in config order, then their ranking (no personal data)."""
    order = {k: i for i, k in enumerate(view.settings.community_keys)}
    mine = view.ranking[view.ranking["community"].isin(order)]
    mine = mine.sort_values("community", key=lambda s: s.map(order), kind="stable")
    standing_sheet(book, view, mine, mine)


def write_township(path: Path, view: CommunityView) -> Path:
    """One township's workbook: the sheets of a community's workbook, over its communities."""
    settings = view.settings
    # Printed: 汇总 (its communities) and the women to contact, as in a community's workbook.
    screen = ("漏报与冲突", "花名册上报情况", "数据问题", "口径说明")
    book = open_book(path, f"{view.name} 两筛", settings, view.as_of, in_memory=True, screen=screen)
    _standing_sheet(book, view)
    people_sheets(book, view, own=None)
    book.close()
    return path
