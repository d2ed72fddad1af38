"""One community's workbook: its own figures and rank, its own women only (IDs masked when
``privacy.mask_ids_in_community_workbooks``), the problems in its own roster submissions.

:func:`community_views` cuts the result into one :class:`CommunityView` per community - exactly
what that community's workbook shows - in one pass (each frame is split once, not filtered once
per community: a province has thousands). :func:`write_community` writes one view. The serial and
the parallel run (:mod:`pipeline.outputs.parallel`) both write from these views.

In a multi-level organisation (communities with a parent, e.g. 县/乡镇/村) a community's ranking
block, settings and input-file list are those of its own parent (its township's communities and
its own roster files) instead of the whole province's.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.model import SRC, Analysis, FileResult
from pipeline.outputs.columns import RANKING_COLUMNS, RANKING_RULES, SUMMARY_COLUMNS, SUMMARY_RULES
from pipeline.outputs.cover import CardFacts, card_sheet
from pipeline.outputs.frames import (
    RosterTimeliness,
    issues_frame,
    mask_problem_ids,
    problems_by_community,
    summary_frame,
)
from pipeline.outputs.sheets import (
    Book,
    RunInfo,
    explanation_sheet,
    followup_sheet,
    high_risk_sheet,
    issues_sheet,
    open_book,
    problems_sheet,
    run_info,
    timeliness_sheet,
)
from pipeline.outputs.xlsx import header_row_of, write_block, write_table
from pipeline.score import rank_rates
from pipeline.settings import Community, Settings, settings_rows
from pipeline.wording import health_centre, org_words

COMMUNITY_SHEETS = (
    "概况",
    "汇总",
    "随访督促名单",
    "高风险追踪",
    "漏报与冲突",
    "花名册上报情况",
    "数据问题",
    "口径说明",
)
# Kept out of the default print (pipeline.outputs.paper): the card carries 汇总's figures, and the
# rest are corrections made in the roster files at the computer. Printed: 概况 and the women to contact.
COMMUNITY_SCREEN = ("汇总", "漏报与冲突", "花名册上报情况", "数据问题", "口径说明")
# A community is shown the issues it can act on (无法归属 and 重复筛查 are the health centre's).
COMMUNITY_ISSUES = ("漏报", "待核实", "花名册冲突", "花名册重复行", "自报未核实")


def issues_subtitle(settings: Settings) -> str:
    unit, centre = org_words(settings).unit, health_centre(settings)
    return (
        f"漏报：{centre}有筛查记录、住址在本{unit}，筛查后已到花名册上报日但仍未列入花名册，请补报；待核实：筛查后尚未到"
        f"花名册上报日，请在下次上报时列入；花名册冲突：同一人也在其他{unit}花名册上，请核实居住地；"
        f"自报未核实：花名册称已筛查但{centre}没有记录，请核实。"
    )


@dataclass(frozen=True)
class CommunityView:
    """Exactly what one community's workbook shows."""

    key: str
    name: str  # the name people read: the shortest path unique in the organisation
    as_of: dt.date
    settings: Settings  # multi-level: with its parent's communities only
    ranking: pd.DataFrame  # summary_frame rows of the communities it is ranked among (its own too)
    rank_text: str  # which set it is ranked in and its place there (and in the whole organisation)
    ranking_title: str  # the ranking block's title, naming the set
    followup: pd.DataFrame  # its rows of Reconciled.followup
    high_risk: pd.DataFrame  # its rows of Reconciled.high_risk
    # (never the inspection group's spot checks: they are drawn "不发通知、不打招呼")
    issues: Mapping[str, pd.DataFrame]  # COMMUNITY_ISSUES type -> its rows (see frames.issue_sources)
    timeliness: RosterTimeliness  # its rows
    problems: pd.DataFrame  # the problem groups of its own roster submissions
    settings_rows: Sequence[tuple[str, str, str]]  # its 口径说明 table
    run: RunInfo  # with the input files it is shown
    own: Mapping[str, Any]  # its record in summary.json's communities
    card: CardFacts  # what its 概况 card shows besides ``own``
    period: Mapping[str, Any] | None  # summary.json's circular_period


# ----------------------------------------------------------------------------------------------
# Views


def _split(frame: pd.DataFrame) -> Callable[[str], pd.DataFrame]:
    """``key -> its rows of frame``, grouped once; a community without rows gets one empty frame
    shared by all (views are only read)."""
    groups: dict[Hashable, pd.DataFrame] = {}
    if frame is not None and not frame.empty and "community" in frame.columns:
        groups = {k: g for k, g in frame.groupby("community", sort=False, dropna=True)}
    empty = frame.iloc[0:0]
    return lambda key: groups.get(key, empty)


def _split_conflicts(conflicts: pd.DataFrame) -> Callable[[str], pd.DataFrame]:
    """``key -> the conflicts it takes part in``: counted in it, or on its roster."""
    rows: dict[str, list[int]] = {}
    if not len(conflicts):
        return lambda key: conflicts
    for i, (own, listed) in enumerate(zip(conflicts["community"], conflicts["rosters"], strict=True)):
        for k in {own, *str(listed or "").split("、")}:
            if isinstance(k, str) and k:
                rows.setdefault(k, []).append(i)
    return lambda key: conflicts.iloc[rows.get(key, [])]


@dataclass(frozen=True)
class _Rows:
    """The result's rows per community: each callable gives one community's rows of a frame."""

    followup: Callable[[str], pd.DataFrame]
    high_risk: Callable[[str], pd.DataFrame]
    missing_from_roster: Callable[[str], pd.DataFrame]
    pending_roster: Callable[[str], pd.DataFrame]
    conflicts: Callable[[str], pd.DataFrame]
    roster_duplicates: Callable[[str], pd.DataFrame]
    self_unverified: Callable[[str], pd.DataFrame]
    submissions: Callable[[str], pd.DataFrame]
    paper_rosters: Callable[[str], pd.DataFrame]
    timeliness: Callable[[str], pd.DataFrame]
    timeliness_summary: Callable[[str], pd.DataFrame]

    @classmethod
    def split(cls, result: Analysis) -> _Rows:
        rec, sc = result.reconciled, result.scored
        return cls(
            followup=_split(rec.followup),
            high_risk=_split(rec.high_risk),
            missing_from_roster=_split(rec.missing_from_roster),
            pending_roster=_split(rec.pending_roster),
            conflicts=_split_conflicts(rec.conflicts),
            roster_duplicates=_split(rec.roster_duplicates),
            self_unverified=_split(rec.self_unverified),
            submissions=_split(rec.submissions),
            paper_rosters=_split(rec.paper_rosters),
            timeliness=_split(sc.timeliness),
            timeliness_summary=_split(sc.timeliness_summary),
        )


@dataclass(frozen=True)
class _Peers:
    """Communities ranked together: a multi-level organisation's communities of one parent, else
    all of them."""

    settings: Settings  # with these communities only
    settings_rows: list[tuple[str, str, str]]  # the general settings and these communities'
    ranking: pd.DataFrame  # their summary_frame rows, ranked among themselves
    own_files_only: bool  # each is shown its own roster files, not every input file
    scope: str  # the set they form, as people say it: 全街道, 城关镇
    overall: pd.DataFrame | None  # the whole organisation's summary_frame rows (multi-level only)


def _whole(settings: Settings) -> str:
    return org_words(settings).whole


def _peer_groups(settings: Settings, ranking: pd.DataFrame) -> list[_Peers]:
    all_rows = settings_rows(settings)
    if not any(c.parent for c in settings.communities):
        return [_Peers(settings, all_rows, ranking, own_files_only=False, scope=_whole(settings), overall=None)]
    groups: dict[str, list[int]] = {}
    for i, c in enumerate(settings.communities):
        groups.setdefault(c.parent, []).append(i)
    general = [r for r in all_rows if not r[0].startswith("communities[")]
    out = []
    for parent, indices in groups.items():
        peers = tuple(settings.communities[i] for i in indices)
        labels = tuple(f"communities[{i + 1}]." for i in indices)
        block = ranking[ranking["community"].isin([c.key for c in peers])].reset_index(drop=True)
        out.append(
            _Peers(
                settings=dataclasses.replace(settings, communities=peers),
                settings_rows=[*general, *(r for r in all_rows if r[0].startswith(labels))],
                # Ranked among themselves: the rank a township's block shows is over that block.
                ranking=block.assign(rank=rank_rates(block["rate"])),
                own_files_only=True,
                scope=parent.rpartition("/")[2],
                overall=ranking,
            )
        )
    return out


def _rank_text(key: str, name: str, peers: _Peers, settings: Settings) -> str:
    """Where the community stands, over a set that is named: "新民社区在全街道5个社区中排名第1位。"
    and, in a multi-level organisation, its township's and the whole organisation's places."""
    unit = org_words(settings).unit

    def place(frame: pd.DataFrame, scope: str) -> str | None:
        mine = frame.loc[frame["community"] == key, "rank"]
        rank = mine.iloc[0] if len(mine) else None
        if rank is None or rank is pd.NA:
            return None
        return f"在{scope}{len(frame)}个{unit}中排名第{int(rank)}位"

    local = place(peers.ranking, peers.scope)
    if local is None:
        return "尚无排名。"
    overall = place(peers.overall, _whole(settings)) if peers.overall is not None else None
    return f"{name}{local}" + (f"，{overall}" if overall else "") + "。"


def _own_files(submissions: pd.DataFrame, files_by_path: Mapping[str, FileResult]) -> list[FileResult]:
    """The input files a community submitted (its rosters)."""
    own = sorted(set(submissions["src_file"].tolist())) if len(submissions) else []
    return [files_by_path[f] for f in own if f in files_by_path]


def _view(
    community: Community,
    peers: _Peers,
    rows: _Rows,
    problems: pd.DataFrame,
    run: RunInfo,
    files_by_path: Mapping[str, FileResult],
    as_of: dt.date,
    summary: Mapping[str, Any],
) -> CommunityView:
    key = community.key
    if peers.own_files_only:
        run = dataclasses.replace(run, files=_own_files(rows.submissions(key), files_by_path))
    name = peers.settings.display_name(key)
    unit = org_words(peers.settings).unit
    return CommunityView(
        key=key,
        name=name,
        as_of=as_of,
        settings=peers.settings,
        ranking=peers.ranking,
        rank_text=_rank_text(key, name, peers, peers.settings),
        ranking_title=f"{peers.scope}各{unit}排名",
        followup=rows.followup(key),
        high_risk=rows.high_risk(key),
        issues={
            "漏报": rows.missing_from_roster(key),
            "待核实": rows.pending_roster(key),
            "花名册冲突": rows.conflicts(key),
            "花名册重复行": rows.roster_duplicates(key),
            "自报未核实": rows.self_unverified(key),
        },
        timeliness=RosterTimeliness(rows.timeliness_summary(key), rows.timeliness(key), rows.paper_rosters(key)),
        problems=problems,
        settings_rows=peers.settings_rows,
        run=run,
        own=_own_record(summary, key),
        card=CardFacts(
            name=name,
            rank_text=_rank_text(key, name, peers, peers.settings),
            scope=peers.scope,
            peers=_peer_records(peers.ranking),
            late_dues=_late_dues(rows.timeliness(key)),
            problems=len(problems),
        ),
        period=summary.get("circular_period"),
    )


def _own_record(summary: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    return next((c for c in summary.get("communities") or [] if c.get("key") == key), {})


def _peer_records(ranking: pd.DataFrame) -> list[dict[str, Any]]:
    """The ranking block's rows as the card lists them (ranks among these communities)."""
    return [
        {"display_name": n, "rank": None if pd.isna(r) else int(r), "rate": None if pd.isna(v) else float(v),
         "lagging": bool(g)}
        for n, r, v, g in zip(ranking["name"], ranking["rank"], ranking["rate"], ranking["lagging"], strict=True)
    ]


def _late_dues(timeliness: pd.DataFrame) -> list[tuple[Any, str]]:
    """(due date, 迟报/未报) of the submissions that were not on time, in date order."""
    if not len(timeliness):
        return []
    late = timeliness[timeliness["status"].isin(["迟报", "未报"])].sort_values("due")
    return [(d.date(), str(s)) for d, s in zip(late["due"], late["status"], strict=True)]


def community_views(result: Analysis, settings: Settings) -> dict[str, CommunityView]:
    """Every community's :class:`CommunityView`, by key."""
    rows = _Rows.split(result)
    norm = result.normalized
    roster_rows = [norm.roster[[*SRC, "community"]]]
    if "community" in norm.rejected.columns:
        roster_rows.append(norm.rejected.loc[norm.rejected["kind"] == "roster", [*SRC, "community"]])
    problems = problems_by_community(
        result.problem_groups, norm.sheets, result.reconciled.submissions, settings.community_keys,
        pd.concat(roster_rows, ignore_index=True),
    )
    run = run_info(result)
    files_by_path = {f.path: f for f in result.files}
    views = {}
    for peers in _peer_groups(settings, summary_frame(result.scored, settings)):
        for c in peers.settings.communities:
            views[c.key] = _view(c, peers, rows, problems[c.key], run, files_by_path, result.as_of, result.summary)
    return views


# ----------------------------------------------------------------------------------------------
# The workbook


def standing_sheet(book: Book, view: CommunityView, mine: pd.DataFrame, ranking: pd.DataFrame) -> None:
    """汇总: its own rows (``mine``: a community's one, a township's communities), then the
    community-level ranking they are part of (no personal data)."""
    title = book.title(f"{view.name}进度")
    subtitle = view.rank_text + "完成率=已完成÷应完成。"
    sheet = write_table(
        book.workbook, book.fmt, "汇总", mine, SUMMARY_COLUMNS, title=title, subtitle=subtitle, rules=SUMMARY_RULES
    )[0]
    row = header_row_of(title, subtitle) + max(len(mine), 1) + 2
    ranking = ranking.sort_values(["rank", "community"], kind="stable", na_position="last")
    write_block(sheet, book.fmt, row, ranking, RANKING_COLUMNS, title=view.ranking_title, rules=RANKING_RULES)


def write_community(path: Path, view: CommunityView) -> Path:
    """One community's workbook (:data:`COMMUNITY_SHEETS`), from its view only."""
    settings = view.settings
    book = open_book(path, f"{view.name} 两筛", settings, view.as_of, in_memory=True, screen=COMMUNITY_SCREEN)
    card_sheet(book, view.own, view.card, view.period, settings)
    standing_sheet(book, view, view.ranking[view.ranking["community"] == view.key], view.ranking)
    people_sheets(book, view, own=view.key)
    book.close()
    return path


def people_sheets(book: Book, view: CommunityView, *, own: str | None) -> None:
    """The sheets after 汇总, as one community (``own``: its key, its lists without a 社区 column)
    or a township of several (``None``) sees them: its women to contact, its issues, its rosters,
    its data problems and 口径说明 (IDs masked as the privacy setting says)."""
    settings = view.settings
    mask = settings.privacy.mask_ids_in_community_workbooks
    followup_sheet(book, view.followup, mask=mask, own=own is not None)
    high_risk_sheet(book, view.high_risk, mask=mask)
    issues = issues_frame(view.issues, settings, COMMUNITY_ISSUES, community=own)
    issues_sheet(
        book, issues, name="漏报与冲突", what=f"{view.name}漏报、冲突与待核实", subtitle=issues_subtitle(settings), mask=mask
    )
    timeliness_sheet(book, view.timeliness, own)
    problems_sheet(book, mask_problem_ids(view.problems) if mask else view.problems)
    explanation_sheet(book, view.run, rows=view.settings_rows)
