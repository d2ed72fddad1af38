"""Small builders for hand-computed reconciliation and scoring scenarios.

``normalized(roster=[...], log=[...], register=[...])`` builds the typed frames that
``pipeline.normalize`` hands to reconciliation, from a few dict rows; ``make_settings`` builds a
``Settings`` from the repo's ``config.toml`` with a 2-3 community configuration and small quotas
(overrides via ``dataclasses.replace``), so that expected figures are easy to compute by hand.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.model import LOG_COLUMNS, QUOTA_COLUMNS, REGISTER_COLUMNS, ROSTER_COLUMNS, Normalized
from pipeline.quotas import effective_quotas
from pipeline.settings import Community, Settings, load_settings

CONFIG = Path(__file__).resolve().parents[1] / "config.toml"

D = dt.date

# --- IDs ----------------------------------------------------------------------------------------

_WEIGHTS = [2 ** (17 - i) % 11 for i in range(17)]  # 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, ...


def check_char(body17: str) -> str:
    """ISO 7064 MOD 11-2 check character of GB 11643 (written independently of pipeline.normalize.ids)."""
    total = sum(int(c) * w for c, w in zip(body17, _WEIGHTS, strict=True))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def make_id(n: int) -> str:
    """A valid 18-digit ID of a woman (even 17th digit), distinct for each ``n`` in 0..99999."""
    born = D(1990, 1, 1) + dt.timedelta(days=n // 50)
    body = f"411328{born:%Y%m%d}{n % 50:02d}2"  # sequence digits NN + even sex digit 2
    return body + check_char(body)


def person(n: int, *, with_id: bool = True) -> dict[str, Any]:
    """Identity columns of woman ``n``: name 孕妇NN, a valid ID (or none), a distinct mobile."""
    return {"name": f"孕妇{n:02d}", "id": make_id(n) if with_id else None, "phone": f"139{n:08d}"}


# --- settings -----------------------------------------------------------------------------------


@functools.cache
def base_settings() -> Settings:
    return load_settings(CONFIG)


def community(name: str, quota: float = 10, weekly: float = 1, **kw: Any) -> Community:
    """A configured community (taken from config.toml by name) with its quota and weekly number
    replaced (the same for both tests unless quota_nt= ... are given)."""
    base = next(c for c in base_settings().communities if c.name == name)
    values: dict[str, Any] = {
        "quota_nt": quota, "quota_serum": quota, "weekly_nt": weekly, "weekly_serum": weekly,
    }
    values.update(kw)
    return dataclasses.replace(base, **values)


A, B, C, E = "新民社区", "新安社区", "新华社区", "常花园社区"


def make_settings(
    communities: Sequence[Community] | None = None, **sections: Mapping[str, Any]
) -> Settings:
    """config.toml with (by default) three communities 新民/新安/新华, each quota 10 and weekly 1
    per test, and any section overridden: ``make_settings(rewards={"case": "each"})``."""
    s = base_settings()
    if communities is None:
        communities = [community(A), community(B), community(C)]
    changes: dict[str, Any] = {"communities": tuple(communities)}
    for section, values in sections.items():
        changes[section] = dataclasses.replace(getattr(s, section), **values)
    return dataclasses.replace(s, **changes)


def quotas(settings: Settings) -> pd.DataFrame:
    """The quota frame as the pipeline builds it when no quota table is in the input."""
    frame, _ = effective_quotas(settings, _frame([], QUOTA_COLUMNS))
    return frame


# --- rows and frames ----------------------------------------------------------------------------

_DATES = {"lmp", "edd", "reg_date", "self_nt_date", "self_serum_date", "screen_date", "event_date"}
_BOOLS = {"self_nt", "self_serum"}
_INTS = {"gest_days"}


def _frame(rows: Iterable[Mapping[str, Any]], columns: list[str]) -> pd.DataFrame:
    rows = list(rows)
    if not rows:
        # Exactly what normalize() returns for a kind with no input sheet: object columns.
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    unknown = {k for r in rows for k in r} - set(columns)
    if unknown:
        raise KeyError(f"unknown columns {sorted(unknown)}")
    data: dict[str, Any] = {}
    for c in columns:
        values = [r.get(c) for r in rows]
        if c in ("src_file", "src_sheet"):
            data[c] = pd.Series(values, dtype=object)
        elif c == "src_row":
            data[c] = pd.Series(values, dtype="int64")
        elif c == "report_date":
            data[c] = pd.to_datetime(pd.Series(values, dtype=object), errors="coerce")
        elif c in _DATES:
            data[c] = pd.to_datetime(pd.Series(values, dtype=object)).astype("datetime64[ns]")
        elif c in _BOOLS:
            data[c] = pd.Series(values, dtype="boolean")
        elif c in _INTS:
            data[c] = pd.Series(values, dtype="Int64")
        else:
            data[c] = pd.Series(values, dtype="string")
    return pd.DataFrame(data)[columns]


def roster_row(
    who: Mapping[str, Any], community: str, report_date: str | dt.date = "2020-04-18", **fields: Any
) -> dict[str, Any]:
    """One roster line; the submission is identified by (src_file, src_sheet), by default one file
    per community and report date."""
    row: dict[str, Any] = {
        "src_file": f"{community}花名册{pd.Timestamp(report_date):%Y%m%d}.xlsx",
        "src_sheet": "Sheet1",
        "community": community,
        "id_status": "ok" if who.get("id") else "empty",
        "report_date": report_date,
        **who,
    }
    row.update(fields)
    return row


def log_row(who: Mapping[str, Any], test: str, screen_date: str | dt.date, **fields: Any) -> dict[str, Any]:
    """One line of the health centre's screening log."""
    row: dict[str, Any] = {
        "src_file": "卫生院筛查登记.xlsx",
        "src_sheet": "NT" if test == "nt" else "血清学",
        "test": test,
        "screen_date": screen_date,
        "id_status": "ok" if who.get("id") else "empty",
        **who,
    }
    row.update(fields)
    return row


def register_row(action: str, who: Mapping[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """One line of the office's own register (办事处登记): close / merge / diagnosis / paper."""
    row: dict[str, Any] = {"src_file": "办事处登记.xlsx", "src_sheet": "登记簿", "action": action, **(who or {})}
    row.update(fields)
    return row


def _numbered(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Give rows without a src_row consecutive Excel row numbers (from 2, below the header)."""
    out = []
    for i, r in enumerate(rows, start=2):
        out.append({"src_row": i, **r})
    return out


def normalized(
    roster: Iterable[Mapping[str, Any]] = (),
    log: Iterable[Mapping[str, Any]] = (),
    register: Iterable[Mapping[str, Any]] = (),
) -> Normalized:
    return Normalized(
        roster=_frame(_numbered(roster), ROSTER_COLUMNS),
        log=_frame(_numbered(log), LOG_COLUMNS),
        quota=_frame([], QUOTA_COLUMNS),
        register=_frame(_numbered(register), REGISTER_COLUMNS),
        rejected=pd.DataFrame(columns=["src_file", "src_sheet", "src_row", "kind", "reason"]),
        sheets=[],
        problems=[],
    )


def ts(day: str | dt.date) -> pd.Timestamp:
    return pd.Timestamp(day)


def lmp_for(ga_days: int, on: str | dt.date) -> dt.date:
    """The LMP that puts a woman at ``ga_days`` of gestation on ``on``."""
    return (pd.Timestamp(on) - pd.Timedelta(days=ga_days)).date()
