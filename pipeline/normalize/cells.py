"""What kind of value each raw cell holds, decided with C-level loops only: the parsers of IDs,
phones and dates branch on it instead of testing types cell by cell."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

NA, STR, INT, FLOAT, BOOL, DATETIME, OTHER = range(7)


def kind_of(tp: type) -> int:
    if issubclass(tp, str):
        return STR
    if issubclass(tp, bool | np.bool_):
        return BOOL
    if issubclass(tp, int | np.integer):
        return INT
    if issubclass(tp, float | np.floating):
        return FLOAT
    if issubclass(tp, dt.date | np.datetime64):  # pd.Timestamp is a datetime.datetime
        return DATETIME
    return OTHER


def none_mask(values: np.ndarray) -> np.ndarray:
    """Mask of the unset (None/NA) entries of an object array."""
    return np.asarray(pd.isna(values), dtype=bool)


def cell_kinds(raw: np.ndarray) -> np.ndarray:
    """Kind code per cell of an object array (``map(type)`` + factorize)."""
    n = len(raw)
    if n == 0:
        return np.zeros(0, dtype=np.int8)
    types = np.fromiter(map(type, raw), dtype=object, count=n)
    codes, uniques = pd.factorize(types)
    kinds = np.array([kind_of(tp) for tp in uniques], dtype=np.int8)[codes]
    kinds[np.asarray(pd.isna(raw), dtype=bool)] = NA
    return kinds
