"""People and screenings: who is on which roster, who was screened for which test, on which date,
for which community, and who still needs following up.

Pure functions on DataFrames: settings and ``as_of`` are arguments; no I/O, no clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from pipeline.calendar import completed_circular_periods, due_dates
from pipeline.fmt import cn_date
from pipeline.model import Normalized, Reconciled, SheetInfo
from pipeline.problems import Problem, Severity, problem
from pipeline.settings import TEST_LABELS, TESTS, Settings
from pipeline.text import CommunityMatch, CommunityResolver, distinct_pairs
from pipeline.wording import example_day

FOLLOWUP_LABELS = {
    "open": "窗口期内未筛查",
    "soon": "即将进入窗口期",
    "missed": "已错过窗口期",
    "no_dates": "日期不可用",
}
FOLLOWUP_ORDER = {"open": 0, "soon": 1, "no_dates": 2, "missed": 3}
# Why a missed screening can (screenable) or cannot be made up; closed cases are on no list at all.
MISSED_LABELS = {
    "screenable": "可补筛",
    "past_term": "不可补筛：已超过末次月经后{days}天（应已分娩）",
    "off_roster": "不可补筛：已不在本社区最新花名册上",
    "listed_late": "不可补筛：列入花名册时窗口期已过",
}

# How a screening found its community (the ``attribution`` column).
BY_ROSTER = "花名册"
BY_ADDRESS_MISSING = "住址（漏报）"  # on no roster although a roster was due since her screening
BY_ADDRESS_PENDING = "住址（待核实）"  # on no roster, and no roster due since her screening yet
UNASSIGNABLE = "无法归属"


def _as_ts(day: dt.date) -> pd.Timestamp:
    return pd.Timestamp(day)


_DATE_COLUMNS = ("lmp", "edd", "reg_date", "report_date", "self_nt_date", "self_serum_date", "screen_date",
                 "event_date")


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with its date columns as datetime64: normalize() gives plain object columns for a kind
    with no input at all (no screening log yet, no register), which date arithmetic rejects."""
    cols = [c for c in _DATE_COLUMNS if c in frame.columns and not pd.api.types.is_datetime64_any_dtype(frame[c])]
    return frame.astype({c: "datetime64[ns]" for c in cols}) if cols else frame.copy()


def _np_key(name: pd.Series, phone: pd.Series) -> pd.Series:
    return ("NP:" + name.fillna("") + "|" + phone.fillna("")).where(name.notna() & phone.notna())


def person_keys(frame: pd.DataFrame, np_to_id: dict[str, str], merges: dict[str, str]) -> pd.Series:
    """A woman's key: ``ID:<id>``, else ``NP:<name>|<phone>`` (linked to an ID when a record with
    that ID carries the same name and phone), then redirected by the office's manual merges."""
    by_id = ("ID:" + frame["id"]).where(frame["id"].notna())
    by_np = _np_key(frame["name"], frame["phone"])
    linked = by_np.map(np_to_id).astype(by_id.dtype)  # all-NaN float when nothing links
    key = by_id.fillna(linked).fillna(by_np)
    return key.replace(merges) if merges else key


def _np_links(*frames: pd.DataFrame) -> dict[str, str]:
    """name+phone -> ID key, where exactly one ID carries that name and phone."""
    parts = [f.loc[f["id"].notna(), ["id", "name", "phone"]] for f in frames if len(f)]
    if not parts:
        return {}
    both = pd.concat(parts, ignore_index=True).dropna()
    if both.empty:
        return {}
    both = both.assign(np=_np_key(both["name"], both["phone"]), key="ID:" + both["id"]).drop_duplicates(["np", "key"])
    unique = both.groupby("np")["key"].agg(["first", "size"])
    unique = unique[unique["size"] == 1]
    return dict(zip(unique.index, unique["first"], strict=True))


def _merges(register: pd.DataFrame, np_to_id: dict[str, str]) -> dict[str, str]:
    rows = register[register["action"] == "merge"]
    if rows.empty:
        return {}
    source = person_keys(rows, np_to_id, {})
    target = ("ID:" + rows["merge_id"]).where(rows["merge_id"].notna())
    pairs = pd.DataFrame({"s": source, "t": target}).dropna()
    pairs = pairs[pairs["s"] != pairs["t"]]
    return dict(zip(pairs["s"], pairs["t"], strict=True))


def _submissions(roster: pd.DataFrame, sheets: Sequence[SheetInfo] = ()) -> pd.DataFrame:
    """One row per roster submission and community, with its report date and rows: a sheet listing
    several communities (a township's file of all its villages) is a submission of each of them. A
    roster sheet with no accepted row (a 零报告: a dated roster with nobody new on it) is a submission
    too, with 0 rows and the community and date of its title or file name."""
    columns = ["src_file", "src_sheet", "community", "report_date", "rows"]
    if roster.empty:
        sub = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    else:
        sub = (
            roster.groupby(["src_file", "src_sheet", "community"], sort=False, dropna=False)
            .agg(report_date=("report_date", "max"), rows=("src_row", "size"))
            .reset_index()
        )[columns]  # report_date is one per sheet; max() over each community's rows keeps it
    zero = _zero_row_submissions(sheets, sub)
    if zero.empty:
        return sub.astype({"report_date": "datetime64[ns]"}) if sub.empty else sub
    return pd.concat([sub, zero], ignore_index=True).astype({"report_date": "datetime64[ns]", "rows": "int64"})


def _zero_row_submissions(sheets: Sequence[SheetInfo], known: pd.DataFrame) -> pd.DataFrame:
    """The roster sheets that gave no row to the roster frame, as submissions with 0 rows."""
    seen = set(zip(known["src_file"], known["src_sheet"], strict=True))
    rows = [
        {
            "src_file": s.file,
            "src_sheet": s.sheet,
            "community": s.community if s.community else pd.NA,
            "report_date": pd.Timestamp(s.report_date) if s.report_date else pd.NaT,
            "rows": 0,
        }
        for s in sheets
        if s.kind == "roster" and (s.file, s.sheet) not in seen
    ]
    return pd.DataFrame(rows, columns=list(known.columns))


def reconcile(norm: Normalized, settings: Settings, as_of: dt.date) -> Reconciled:
    """Who is on which roster and who was screened, as known at ``as_of``; see the module docstring.

    Each step below is a pure function of frames; the order matters only where one step reads what
    an earlier one gives (the women before the screenings, the screenings before the follow-up)."""
    day = _as_ts(as_of)
    roster, log, register = _typed(norm.roster), _typed(norm.log), _typed(norm.register)

    submissions = _submissions(roster, norm.sheets)
    roster = _known_submissions(roster, submissions, day)
    roster, log, register = _with_person_keys(roster, log, register)
    roster, roster_duplicates = _split_roster_duplicates(roster)
    women = _women(roster, settings)
    conflicts = women[women["conflict"]].copy()
    women = _with_closures(women, register, day)

    log, after_as_of = _split_after(log, day)
    screenings, duplicates = _first_screenings(log)
    screenings = _with_unlisted_status(_assessed(screenings, women, settings), settings, day)
    missing_from_roster = screenings[screenings["attribution"] == BY_ADDRESS_MISSING].copy()
    pending = screenings[screenings["attribution"] == BY_ADDRESS_PENDING].copy()
    unassignable = screenings[screenings["attribution"] == UNASSIGNABLE].copy()

    display = settings.display
    problems = [
        *_undated_problems(submissions, settings),
        *_conflict_problems(conflicts, display),
        *_unassignable_problems(unassignable, norm.rejected, display, settings.directory.health_centre_short),
    ]
    return Reconciled(
        women=women,
        screenings=screenings.reset_index(drop=True),
        duplicates=duplicates.reset_index(drop=True),
        after_as_of=after_as_of.reset_index(drop=True),
        missing_from_roster=missing_from_roster.reset_index(drop=True),
        unassignable=unassignable.reset_index(drop=True),
        conflicts=conflicts.reset_index(drop=True),
        roster_duplicates=roster_duplicates.reset_index(drop=True),
        self_unverified=_self_unverified(women, screenings),
        followup=_followup(women, screenings, settings, day),
        high_risk=_awaiting_diagnosis(screenings, women, register, day).reset_index(drop=True),
        spot_check=_spot_check(women, settings, as_of),
        submissions=submissions,
        paper_rosters=_paper_rosters(register).reset_index(drop=True),
        problems=problems,
        pending_roster=pending.reset_index(drop=True),
        out_of_programme=_out_of_programme(screenings, settings).reset_index(drop=True),
    )


# ----------------------------------------------------------------------------------------------
# Roster submissions and people


def _undated_problems(submissions: pd.DataFrame, settings: Settings) -> list[Problem]:
    """One warning per undated roster sheet (however many communities it lists); the example
    date is the programme's own, the example file name its first community's."""
    undated = submissions[submissions["report_date"].isna()].drop_duplicates(["src_file", "src_sheet"])
    day = example_day(settings)
    fix = (
        f"请在标题中写明“填报日期：{cn_date(day)}”，或在文件名中加上日期"
        f"（如 {settings.communities[0].name}花名册{day:%Y%m%d}.xlsx）。"
    )
    return [
        problem(
            "roster_undated",
            "花名册未注明填报日期（表中、标题和文件名中都没有），无法判断是哪一次上报",
            fix,
            severity=Severity.WARNING,
            file=rec["src_file"],
            sheet=rec["src_sheet"],
        )
        for rec in undated.to_dict("records")
    ]


def _known_submissions(roster: pd.DataFrame, submissions: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """The roster rows of the submissions known at ``day`` (those dated after it are not yet sent),
    with ``_order``, the submission's place in time."""
    future = submissions["report_date"].notna() & (submissions["report_date"] > day)
    if future.any():
        later = submissions[future][["src_file", "src_sheet"]].drop_duplicates()
        roster = roster.merge(later.assign(_later=True), on=["src_file", "src_sheet"], how="left")
        roster = roster[roster["_later"].isna()].drop(columns="_later")
    # Undated submissions sort first: any dated submission is taken as newer.
    return roster.assign(_order=roster["report_date"].fillna(pd.Timestamp("1900-01-01")))


def _with_person_keys(
    roster: pd.DataFrame, log: pd.DataFrame, register: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The three frames with ``pkey``, a woman's key across them (see ``person_keys``)."""
    np_to_id = _np_links(roster, log, register)
    merges = _merges(register, np_to_id)
    register_keys = person_keys(register, np_to_id, merges) if len(register) else pd.Series(dtype="string")
    return (
        roster.assign(pkey=person_keys(roster, np_to_id, merges)),
        log.assign(pkey=person_keys(log, np_to_id, merges)),
        register.assign(pkey=register_keys),
    )


def _split_roster_duplicates(roster: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the roster without repeats, the repeats): a woman listed twice in one submission counts once."""
    dup_mask = roster.duplicated(["src_file", "src_sheet", "pkey"], keep="first")
    return roster[~dup_mask], roster[dup_mask].copy()


def _women(roster: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """One row per woman: her latest known values (later submissions win, blanks do not erase),
    when she was first and last listed, her community and any conflict, whether her community's
    latest submission lists her, and the LMP used for her windows."""
    roster = roster.sort_values(["_order", "src_file", "src_sheet", "src_row"], kind="stable")
    grouped = roster.groupby("pkey", sort=False)
    women = grouped.last()
    women["first_seen"] = grouped["report_date"].min()
    women["last_seen"] = grouped["report_date"].max()
    women["submissions"] = grouped.size()
    if settings.rosters.conflict_assign == "first":
        women["community"] = grouped["community"].first()
    pairs = roster[["pkey", "community"]].drop_duplicates()
    n_communities = pairs.groupby("pkey").size()
    women["conflict"] = n_communities.reindex(women.index).fillna(1) > 1
    # Only conflicting women need the list of their communities spelled out.
    listed = pairs[pairs["pkey"].isin(n_communities.index[n_communities > 1])]
    women["rosters"] = listed.groupby("pkey")["community"].agg("、".join).reindex(women.index)
    women["rosters"] = women["rosters"].fillna(women["community"])
    women = _with_in_latest(women.reset_index(), roster)
    return _with_lmp_used(women, settings)


def _with_in_latest(women: pd.DataFrame, roster: pd.DataFrame) -> pd.DataFrame:
    """A woman missing from her community's latest submission stays, with her last status."""
    latest_sub = roster.groupby("community")["report_date"].max().rename("community_latest").reset_index()
    women = women.merge(latest_sub, on="community", how="left")
    women["in_latest"] = women["last_seen"].isna() | (women["last_seen"] >= women["community_latest"])
    return women.drop(columns=["community_latest", "_order"], errors="ignore")


def _with_lmp_used(women: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """LMP: reported, else EDD - 280 days, else registration date - gestational age."""
    from_edd = women["edd"] - pd.to_timedelta(settings.windows.edd_to_lmp_days, unit="D")
    from_gest = women["reg_date"] - pd.to_timedelta(women["gest_days"].astype("float"), unit="D")
    return women.assign(
        lmp_source=np.select(
            [women["lmp"].notna(), from_edd.notna(), from_gest.notna()],
            ["末次月经", "预产期推算", "孕周推算"],
            default="无",
        ),
        lmp_used=women["lmp"].fillna(from_edd).fillna(from_gest),
    )


def _conflict_problems(conflicts: pd.DataFrame, display: dict[str, str]) -> list[Problem]:
    def shown(keys: str) -> str:
        return "、".join(display.get(k, k) for k in keys.split("、"))

    return [
        problem(
            "roster_conflict",
            f"同一孕妇同时出现在多个社区的花名册上（{shown(rec['rosters'])}），只计一次，计入{shown(rec['community'])}",
            "请相关社区核实她的实际居住地，并从不应列入的花名册中删除。",
            severity=Severity.WARNING,
            file=rec["src_file"],
            sheet=rec["src_sheet"],
            row=int(rec["src_row"]),
            value=rec["name"] if isinstance(rec["name"], str) else "",
        )
        for rec in conflicts.to_dict("records")
    ]


def _with_closures(women: pd.DataFrame, register: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """``closed_reason`` and ``closed_date``: the register's latest closing of her case known at ``day``."""
    closes = register[register["action"] == "close"].sort_values("event_date", kind="stable")
    closes = closes[closes["event_date"].isna() | (closes["event_date"] <= day)]
    if not len(closes):
        return women.assign(closed_reason=pd.NA, closed_date=pd.NaT)
    close_info = closes.groupby("pkey").last()[["reason", "event_date"]]
    return women.assign(
        closed_reason=women["pkey"].map(close_info["reason"]),
        closed_date=women["pkey"].map(close_info["event_date"]),
    )


# ----------------------------------------------------------------------------------------------
# Screenings


def _split_after(log: pd.DataFrame, day: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the log up to ``day`` by date, the rows dated after it)."""
    log = log.sort_values(["screen_date", "src_file", "src_row"], kind="stable")
    after = log["screen_date"] > day
    return log[~after], log[after].copy()


def _first_screenings(log: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(each woman's first screening for each test, the later repeats); the log is in date order."""
    first = ~log.duplicated(["pkey", "test"], keep="first")
    return log[first].copy(), log[~first].copy()


def _assessed(scr: pd.DataFrame, women: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """The screenings with their community and how it was found, their gestational age and window,
    and whether they count, fall in the subsidy window or are high-risk."""
    community, attribution, shared = _attribution(scr, women, settings)
    return scr.assign(
        community=community,
        attribution=attribution,
        shared_name=shared,
        **_window_columns(scr, women, settings),
        **_flags(scr, community, settings),
    )


def _attribution(
    scr: pd.DataFrame, women: pd.DataFrame, settings: Settings
) -> tuple[pd.Series, np.ndarray, pd.Series]:
    """(community, attribution, shared): a woman on a roster counts for her roster's community;
    else the log's community column, else its address (漏报); else none (无法归属). The column
    and the address are read within the row's parent (乡镇) when it has one; a name several
    parents share is left unresolved and ``shared`` names the communities it may mean. A
    community column that names no community (e.g. 城区) does not hide an address that does."""
    resolver = CommunityResolver((c.key, c.name, c.short, c.variants) for c in settings.communities)
    on_roster = scr["pkey"].isin(women["pkey"])
    by_roster = scr["pkey"].map(women.set_index("pkey")["community"])
    parent = scr["parent"] if "parent" in scr.columns else pd.Series(None, index=scr.index, dtype=object)
    from_column, shared_column = _named_community(scr["log_community"], parent, resolver)
    from_address, shared_address = _named_community(scr["address"], parent, resolver)
    found = from_column.fillna(from_address)
    attribution = np.where(on_roster, BY_ROSTER, np.where(found.notna(), BY_ADDRESS_MISSING, UNASSIGNABLE))
    shared = shared_column.where(shared_column.notna(), shared_address).where(found.isna() & ~on_roster)
    return by_roster.where(on_roster, found), attribution, shared


def _named_community(
    texts: pd.Series, parent: pd.Series, resolver: CommunityResolver
) -> tuple[pd.Series, pd.Series]:
    """The community each text names within its row's parent (each distinct pair looked up once),
    and, where the name is shared by several parents, their keys joined with "、"."""
    codes, pairs = distinct_pairs(parent, texts)
    matches = [resolver.in_text(t, p) if t is not None else CommunityMatch(None) for p, t in pairs]
    keys = np.asarray([m.key for m in matches], dtype=object)
    shared = np.asarray(["、".join(m.candidates) if m.ambiguous else None for m in matches], dtype=object)
    return (
        pd.Series(keys[codes] if len(codes) else [], index=texts.index, dtype=object),
        pd.Series(shared[codes] if len(codes) else [], index=texts.index, dtype=object),
    )


def _window_columns(scr: pd.DataFrame, women: pd.DataFrame, settings: Settings) -> dict[str, Any]:
    """``ga_days`` (gestational age at screening: from the roster's LMP, else the log's own LMP or
    孕周), ``in_window`` and ``window_flag``."""
    # (reindex, not map: pandas cannot map through an empty datetime Series, e.g. with no roster yet)
    roster_lmp = women.set_index("pkey")["lmp_used"]
    lmp = pd.Series(roster_lmp.reindex(scr["pkey"].to_numpy()).to_numpy(), index=scr.index, dtype="datetime64[ns]")
    lmp = lmp.fillna(scr["lmp"])
    ga = (scr["screen_date"] - lmp).dt.days
    ga = ga.where(ga.notna(), scr["gest_days"].astype("float"))
    w = settings.windows
    lo = scr["test"].map({t: w.days(t)[0] for t in TESTS}).astype(float)
    hi = scr["test"].map({t: w.days(t)[1] for t in TESTS}).astype(float)
    return {
        "ga_days": ga,
        "in_window": pd.array(np.where(ga.isna(), None, (ga >= lo) & (ga <= hi)), dtype="boolean"),
        "window_flag": np.select([ga.isna(), ga < lo, ga > hi], ["孕周未知", "早于窗口期", "晚于窗口期"], default=""),
    }


def _in_window(dates: pd.Series, window: tuple[dt.date, dt.date] | None) -> pd.Series:
    """Dates within ``window`` (inclusive); none without a window."""
    if window is None:
        return pd.Series(False, index=dates.index)
    return (dates >= _as_ts(window[0])) & (dates <= _as_ts(window[1]))


def _flags(scr: pd.DataFrame, community: pd.Series, settings: Settings) -> dict[str, Any]:
    """``counted`` (from ``count_from`` to the programme's end, for a community), ``subsidy`` (in the
    subsidy window; none when the plan has none) and ``high_risk`` (the result names a high-risk word)."""
    prog = settings.programme
    high_words = tuple(settings.tests.high_risk)
    in_programme = (scr["screen_date"] >= _as_ts(prog.count_from)) & (scr["screen_date"] <= _as_ts(prog.end))
    return {
        "counted": in_programme & community.notna(),
        "subsidy": _in_window(scr["screen_date"], prog.subsidy_window),
        "high_risk": (
            scr["result"].fillna("").str.contains("|".join(high_words), regex=True) if high_words else False
        ),
    }


def _with_unlisted_status(scr: pd.DataFrame, settings: Settings, day: pd.Timestamp) -> pd.DataFrame:
    """A screened woman on no roster (counted by her address) is 漏报 only once a roster due date
    has passed since her first such screening: before that her community could not have listed her
    yet, and she is 待核实 (``rosters.missing_from = "screening"``: 漏报 at once). ``list_by``: that
    due date (NaT when none falls in the programme)."""
    unlisted = scr["attribution"] == BY_ADDRESS_MISSING
    list_by = pd.Series(pd.NaT, index=scr.index, dtype="datetime64[ns]")
    if not unlisted.any():
        return scr.assign(list_by=list_by)
    dues = pd.DatetimeIndex([_as_ts(d) for d in due_dates(settings, settings.programme.end)])
    first = scr.loc[unlisted].groupby("pkey")["screen_date"].transform("min")
    pos = dues.searchsorted(first.to_numpy(), side="right")  # the first due date after it
    found = pos < len(dues)
    list_by.loc[first.index[found]] = dues[pos[found]]
    if settings.rosters.missing_from == "screening":
        return scr.assign(list_by=list_by)
    pending = unlisted & ~(list_by <= day)
    return scr.assign(list_by=list_by, attribution=scr["attribution"].where(~pending, BY_ADDRESS_PENDING))


def _out_of_programme(scr: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """项目期外: a community's screenings counted nowhere because of their date: after the
    programme's end, or before ``count_from`` and outside the subsidy window."""
    p = settings.programme
    after = scr["screen_date"] > _as_ts(p.end)
    before = (scr["screen_date"] < _as_ts(p.count_from)) & ~scr["subsidy"].astype(bool)
    rows = scr[(after | before) & scr["community"].notna()]
    window = p.subsidy_window
    early = (
        f"{cn_date(window[0])}以前的筛查，不计入任务，也不在补助范围内"
        if window
        else f"{cn_date(p.count_from)}以前的筛查，不计入任务"
    )
    note = np.where(after[rows.index], f"项目截止日（{cn_date(p.end)}）以后的筛查，不计入本项目任务", early)
    return rows.assign(scope_note=note)


def _unassignable_problems(
    unassignable: pd.DataFrame, rejected: pd.DataFrame, display: dict[str, str], centre: str
) -> list[Problem]:
    """One warning per screening no community can count; it names the rejected roster row with the
    same name and phone, when there is one (the usual cause: an ID the roster got wrong), or the
    communities a name shared by several townships may mean (``display``: key -> printed name)."""
    rejected_by_np = _rejected_roster_rows(rejected)
    problems = []
    for rec in unassignable.to_dict("records"):
        named = isinstance(rec["name"], str) and isinstance(rec["phone"], str)
        hit = rejected_by_np.get(f"NP:{rec['name']}|{rec['phone']}" if named else "")
        message, fix = _unassignable_text(rec, hit, display, centre)
        problems.append(
            problem(
                "screening_unassignable",
                message,
                fix,
                severity=Severity.WARNING,
                file=rec["src_file"],
                sheet=rec["src_sheet"],
                row=int(rec["src_row"]),
                value=rec["name"] if isinstance(rec["name"], str) else "",
            )
        )
    return problems


def _unassignable_text(
    rec: dict[str, Any], hit: dict[str, Any] | None, display: dict[str, str], centre: str
) -> tuple[str, str]:
    """(message, fix) of one screening no community can count (``centre``: the health centre as
    people call it, 卫生院)."""
    test = TEST_LABELS[rec["test"]]
    if hit is not None:
        where = display.get(hit["community"], hit["community"]) if isinstance(hit["community"], str) else "某社区"
        return (
            f"{test}记录对应的孕妇在{where}花名册中有同名同电话的记录，"
            f"但该行因“{hit['reason']}”未被采用（{hit['src_file']} 第{int(hit['src_row'])}行），因此暂不能计入",
            "请该社区改正花名册中她的身份证号后重新上报，改正后即可计入。",
        )
    shared = rec.get("shared_name")
    if isinstance(shared, str) and shared:
        names = "、".join(display.get(k, k) for k in shared.split("、"))
        return (
            f"{test}记录对应的孕妇不在任何社区的花名册上；登记的村（社区）名称在多个乡镇都有（{names}），"
            f"而此行无法确定乡镇，因此无法计入",
            f"请{centre}在登记中填写乡镇列（或在住址中写明乡镇，如“城关镇王庄村5组”），或请相关村（社区）把她补报到花名册。",
        )
    return (
        f"{test}记录对应的孕妇不在任何社区的花名册上，住址中也没有社区名称，无法计入任何社区",
        f"请{centre}补填住址（写明社区），或请相关社区把她补报到花名册。",
    )


def _rejected_roster_rows(rejected: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Rejected roster rows by name+phone key (the last one of each)."""
    if "name" not in rejected.columns:
        return {}
    rows = rejected[rejected["kind"] == "roster"]
    if not len(rows):
        return {}
    rows = rows.assign(np=_np_key(rows["name"], rows["phone"])).dropna(subset=["np"])
    return {r["np"]: r for r in rows.drop_duplicates("np", keep="last").to_dict("records")}


# ----------------------------------------------------------------------------------------------
# Lists to act on


def _self_unverified(women: pd.DataFrame, scr: pd.DataFrame) -> pd.DataFrame:
    """Self-reports without a log record (自报未核实); a record the community did not report is fine."""
    done_keys = scr[["pkey", "test"]].assign(_logged=True)
    parts = []
    for t in TESTS:
        reported = women[women[f"self_{t}"].fillna(False).astype(bool)].assign(test=t)
        joined = reported.merge(done_keys, on=["pkey", "test"], how="left")
        missing = joined[joined["_logged"].isna()].drop(columns="_logged")
        if len(missing):
            parts.append(missing.assign(self_date=missing[f"self_{t}_date"]))
    if parts:
        return pd.concat(parts, ignore_index=True)
    return women.iloc[0:0].assign(test=pd.Series(dtype="string"), self_date=pd.Series(dtype="datetime64[ns]"))


def _awaiting_diagnosis(
    scr: pd.DataFrame, women: pd.DataFrame, register: pd.DataFrame, day: pd.Timestamp
) -> pd.DataFrame:
    """High-risk results awaiting prenatal diagnosis: no diagnosis in the register known at ``day``
    (like closings), and her case not closed."""
    diag = register[register["action"] == "diagnosis"]
    diag = diag[diag["event_date"].isna() | (diag["event_date"] <= day)]
    diagnosed = set(diag["pkey"]) | set(women.loc[women["closed_reason"].notna(), "pkey"])
    return scr[scr["high_risk"] & ~scr["pkey"].isin(diagnosed)].copy()


def _paper_rosters(register: pd.DataFrame) -> pd.DataFrame:
    return register[register["action"] == "paper"][["community", "event_date", "note", "src_file", "src_row"]]


def _followup(women: pd.DataFrame, scr: pd.DataFrame, settings: Settings, day: pd.Timestamp) -> pd.DataFrame:
    active = women[women["closed_reason"].isna()]
    parts = []
    soon = pd.Timedelta(days=settings.followup.opening_within_days)
    for t in TESTS:
        lo, hi = settings.windows.days(t)
        done = scr.loc[scr["test"] == t, "pkey"]
        todo = active[~active["pkey"].isin(done)].copy()
        opens = todo["lmp_used"] + pd.Timedelta(days=lo)
        closes = todo["lmp_used"] + pd.Timedelta(days=hi)
        status = np.select(
            [
                todo["lmp_used"].isna(),
                (opens <= day) & (day <= closes),
                (opens > day) & (opens <= day + soon),
                closes < day,
            ],
            ["no_dates", "open", "soon", "missed"],
            default="",
        )
        todo = todo.assign(test=t, window_opens=opens, window_closes=closes, status=status)
        todo["days_left"] = (todo["window_closes"] - day).dt.days
        todo["missed_reason"] = _missed_reasons(todo, settings, day)
        parts.append(todo[todo["status"] != ""])
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if out.empty:
        return out
    out["status_label"] = out["status"].map(FOLLOWUP_LABELS)
    labels = {k: v.format(days=settings.followup.past_term_days) for k, v in MISSED_LABELS.items()}
    out["missed_label"] = out["missed_reason"].map(labels).fillna("")
    out["_order"] = out["status"].map(FOLLOWUP_ORDER)
    out = out.sort_values(["community", "_order", "days_left", "name"], kind="stable", na_position="last")
    return out.drop(columns="_order").reset_index(drop=True)


def _missed_reasons(todo: pd.DataFrame, settings: Settings, day: pd.Timestamp) -> np.ndarray:
    """For a missed window: whether the screening can still be made up (``screenable``: a late
    screening still counts) or why not: she is past term, off her community's latest roster, or
    the window had closed before she was first listed. "" for the other statuses."""
    past_term = todo["lmp_used"] + pd.Timedelta(days=settings.followup.past_term_days) < day
    off_roster = ~todo["in_latest"].astype(bool)
    listed_late = todo["first_seen"].notna() & (todo["window_closes"] < todo["first_seen"])
    return np.select(
        [todo["status"] != "missed", past_term, off_roster, listed_late],
        ["", "past_term", "off_roster", "listed_late"],
        default="screenable",
    )


def spot_check_period(settings: Settings, as_of: dt.date) -> int:
    """The circular period a spot check is drawn for: the last one completed by ``as_of`` (0 before
    the first ends)."""
    return len(completed_circular_periods(settings, as_of))


def _spot_check(women: pd.DataFrame, settings: Settings, as_of: dt.date) -> pd.DataFrame:
    """The inspection group's sample of ``size`` women per community, drawn anew for each circular
    period among the women on their community's latest roster whose case is not closed. Each woman
    gets a pseudo-random number from a hash of (seed, programme, period, her key): the same data and
    config give the same list anywhere, the next period another one."""
    size = settings.spot_check.size
    eligible = women[women["in_latest"].astype(bool) & women["closed_reason"].isna()] if len(women) else women
    if size <= 0 or eligible.empty:
        return women.iloc[0:0].assign(draw_period=pd.Series(dtype="int64"))
    period = spot_check_period(settings, as_of)
    salt = f"{settings.spot_check.seed}|{settings.programme.name}|{period}|"
    draw = pd.util.hash_pandas_object(salt + eligible["pkey"].astype(str), index=False).to_numpy()
    picked = eligible.assign(_draw=draw, draw_period=period).sort_values(["community", "_draw"], kind="stable")
    picked = picked[picked.groupby("community").cumcount() < size]
    order = {c.key: i for i, c in enumerate(settings.communities)}
    picked = picked.assign(_order=picked["community"].map(order)).sort_values(["_order", "name"], kind="stable")
    return picked.drop(columns=["_draw", "_order"]).reset_index(drop=True)
