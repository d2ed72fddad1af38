"""The run as ``summary.json``: a stable, documented, machine-readable record (keys are only ever
added). No woman's name, ID or phone is in it."""

from __future__ import annotations

from typing import Any

import pandas as pd

from pipeline import __version__
from pipeline.model import KIND_LABELS, Analysis, Normalized, Scored
from pipeline.problems import severity_counts
from pipeline.settings import TESTS, Settings


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


def build_summary(result: Analysis, settings: Settings) -> dict[str, Any]:
    norm = result.normalized
    files_out = []
    sheets_by_file: dict[str, list[Any]] = {}
    for info in norm.sheets:
        sheets_by_file.setdefault(info.file, []).append(info)
    for f in result.files:
        # Why a file was not read: its most severe problem (a note for a plain text file, an error
        # for a broken workbook).
        reasons = sorted(f.problems, key=lambda p: p.severity.rank)
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
        "problems": severity_counts(result.problems),
        "problem_groups": severity_counts(result.problem_groups),
        "circular_period": period,
        "communities": community_summaries(result, settings),
        "totals": totals(scored.standing, settings),
        "periods": period_history(scored, settings.display),
        "evaluations": evaluation_results(scored.payments, settings.display),
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
    # Unrounded: whoever prints a figure rounds it once (pipeline.fmt); a rate stored as 0.5355 and
    # printed again would read 53.5 % where the workbook, from the exact ratio, shows 53.6 %.
    return int(as_float) if as_float.is_integer() else as_float


def _by_test(rec: Any, prefix: str) -> dict[str, float | int | None]:
    return {t: _num(rec[f"{prefix}_{t}"]) for t in TESTS}


def women_count(frame: pd.DataFrame) -> pd.Series:
    """Distinct women (``pkey``) per community of a list whose rows may repeat a woman (one row per
    screening or per test)."""
    if not len(frame) or "community" not in frame.columns:
        return pd.Series(dtype="int64")
    return frame.drop_duplicates(["community", "pkey"])["community"].value_counts()


FOLLOWUP_STATUSES = ("open", "soon", "missed", "no_dates")


def followup_women(followup: pd.DataFrame) -> dict[str, pd.Series]:
    """Distinct women per community in each follow-up status (a woman missed for NT and open for
    serum is in both), and ``missed_screenable``: the missed women who can still be screened (not
    past term, still on the latest roster, listed before the window closed)."""
    counts = {status: pd.Series(dtype="int64") for status in (*FOLLOWUP_STATUSES, "missed_screenable")}
    if not len(followup):
        return counts
    for status in FOLLOWUP_STATUSES:
        counts[status] = women_count(followup[followup["status"] == status])
    counts["missed_screenable"] = women_count(followup[followup["missed_reason"] == "screenable"])
    return counts


def community_summaries(result: Analysis, settings: Settings) -> list[dict[str, Any]]:
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
    missing_women = women_count(rec.missing_from_roster)
    pending_women = women_count(rec.pending_roster)
    follow_women = followup_women(fu)
    unverified_n = count(rec.self_unverified)
    subsidy_sum = (
        scored.subsidy.groupby("community")["amount"].sum() if len(scored.subsidy) else pd.Series(dtype="float64")
    )

    def pay(key: str, column: str) -> float | int | None:
        return _num(pay_sums.at[key, column] if key in pay_sums.index else 0)

    display = settings.display
    out = []
    for key, row in scored.standing.iterrows():
        circ = last.loc[key] if key in last.index else None
        consequences = list(circ["consequences"]) if circ is not None else []
        out.append(
            {
                "name": row["name"],
                "display_name": display.get(key, row["name"]),
                "key": key,
                "quota": _by_test(row, "quota"),
                "expected": _by_test(row, "expected"),
                "done": _by_test(row, "done"),
                "remaining": _by_test(row, "remaining"),
                "rates": _by_test(row, "rate"),
                "rate": _num(row["rate"]),
                "rank": _num(row["rank"]),
                "meets_expected": bool(row["meets"]),
                "on_target": bool(row["on_target"]),
                "lagging": bool(circ["lagging"]) if circ is not None else False,
                "stage_judged": bool(circ["stage_judged"]) if circ is not None else False,
                "stage_target_missed": bool(circ["stage_missed"]) if circ is not None else False,
                "consequence": "；".join(consequences) if consequences else None,
                "consequences": consequences,
                "commendation": (circ["commendation"] or None) if circ is not None else None,
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
                "followup_women": {k: int(v.get(key, 0)) for k, v in follow_women.items()},
                "high_risk_awaiting_diagnosis": int(high_risk_n.get(key, 0)),
                "missing_from_roster": int(missing_n.get(key, 0)),
                "missing_from_roster_women": int(missing_women.get(key, 0)),
                "pending_verification_women": int(pending_women.get(key, 0)),
                "self_reported_unverified": int(unverified_n.get(key, 0)),
                "payments": {
                    "cases": pay(key, "case_amount"),
                    "specialist": pay(key, "specialist"),
                    "year_end_reward": pay(key, "secretary_reward"),
                    "fine": pay(key, "fine"),
                },
                "subsidy": _num(subsidy_sum.get(key, 0)) if settings.programme.subsidy else None,
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


def evaluation_results(payments: pd.DataFrame, display: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Each quarterly evaluation and the year end up to as-of, oldest first, with every community's
    result: whether it met its task, the cases paid and the money (the circular of the period
    holding the date reports them)."""
    display = display or {}
    out: list[dict[str, Any]] = []
    if payments.empty:
        return out
    for (day, kind), rows in payments.groupby(["date", "kind"], sort=True):
        out.append(
            {
                "date": pd.Timestamp(day).date().isoformat(),
                "kind": str(kind),
                "communities": [
                    {
                        "key": r["community"],
                        "name": r["name"],
                        "display_name": display.get(r["community"], r["name"]),
                        "met": bool(r["met"]),
                        "cases": int(r["cases"]),
                        "case_amount": _num(r["case_amount"]),
                        "specialist": _num(r["specialist"]),
                        "year_end_reward": _num(r["secretary_reward"]),
                        "fine": _num(r["fine"]),
                    }
                    for r in rows.to_dict("records")
                ],
            }
        )
    out.sort(key=lambda e: e["date"])
    return out


def period_history(scored: Scored, display: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Each completed circular period's ranking; ``display``: key -> the name people read."""
    display = display or {}
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
                        "display_name": display.get(r["community"], r["name"]),
                        "key": r["community"],
                        "rank": _num(r["rank"]),
                        "rate": _num(r["rate"]),
                        "done": _by_test(r, "done"),
                        "expected": _by_test(r, "expected"),
                        "rates": _by_test(r, "rate"),
                        "period_done": _by_test(r, "period_done"),
                        "period_rate": _num(r["period_rate"]),
                        "period_rank": _num(r["period_rank"]),
                        "on_target": bool(r["on_target"]),
                        "lagging": bool(r["lagging"]),
                        "stage_target_missed": bool(r["stage_missed"]),
                        "consequences": list(r["consequences"]),
                        "commendation": r["commendation"] or None,
                    }
                    for r in block.sort_values(["rank", "community"]).to_dict("records")
                ],
                "lagging": block.loc[block["lagging"].astype(bool), "name"].tolist(),
                "issued": bool(block["issued"].any()),
            }
        )
    return out
