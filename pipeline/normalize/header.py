"""Where a sheet's header is and what it names: header rows -> column fields and the sheet's kind.

Takes a raw cell grid (rows of cells, as the loader gives them) and the :class:`Vocabulary` built
from the settings' column aliases, test words and communities; gives a :class:`Header` (its rows,
the label shown per column, field -> column, and the kind: roster, log, quota, register or
unknown), or None when no row names two fields. Never reads the data rows below the header and
never records a problem.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pipeline.settings import Settings
from pipeline.text import (
    CommunityResolver,
    ParentResolver,
    clean,
    header_key,
    header_key_without_parens,
    squash,
)

HEADER_SCAN_ROWS = 40


class Vocabulary:
    """The header aliases and test words from the settings, keyed for comparison."""

    def __init__(self, settings: Settings) -> None:
        self.aliases: dict[str, set[str]] = {}
        for name, aliases in vars(settings.columns).items():
            for alias in aliases:
                self.aliases.setdefault(header_key(alias), set()).add(name)
        self.test_words = {
            test: sorted({header_key(w) for w in getattr(settings.tests, test)}, key=len, reverse=True)
            for test in ("nt", "serum")
        }
        self.high_risk = tuple(squash(w) for w in settings.tests.high_risk)
        self.resolver = CommunityResolver(
            (c.key, c.name, c.short, c.variants) for c in settings.communities
        )
        self.communities = list(settings.communities)
        self.health_centre = settings.directory.health_centre_short  # 卫生院: who corrects a log
        self._fields_cache: dict[str, frozenset[str]] = {}
        # Parents (乡镇) of a multi-level organisation; empty for a flat one.
        self.parents = ParentResolver(c.parent for c in settings.communities)
        # The names people read: the shortest path unique in the organisation (城关镇王庄村).
        self.display = settings.display
        self.weekly_keys = {header_key(a) for a in settings.columns.weekly}
        self.annual_keys = {header_key(a) for a in settings.columns.annual}

    def fields(self, text: object) -> set[str]:
        if isinstance(text, str):
            if text.isascii() and not any(ch.isalpha() for ch in text):
                return set()  # digits and punctuation (IDs, phones, dates) name no field
            cached = self._fields_cache.get(text)
            if cached is None:
                cached = self._fields_cache[text] = frozenset(self._fields(text))
            return set(cached)
        return self._fields(text)

    def _fields(self, text: object) -> set[str]:
        key = header_key(text)
        if not key:
            return set()
        found = self.aliases.get(key) or self.aliases.get(header_key_without_parens(text))
        return set(found) if found else set()

    def test_in(self, text: object) -> str | None:
        """Which test a free text names (a header, sheet or file name), if exactly one."""
        hits = self.tests_in(text)
        return hits.pop() if len(hits) == 1 else None

    def tests_in(self, text: object) -> set[str]:
        """Every test a free text names ("超声NT筛查及血清学筛查各应完成人数" names both)."""
        key = header_key(text)
        return {t for t, words in self.test_words.items() if any(w in key for w in words)}


def _is_text_cell(value: Any) -> bool:
    return isinstance(value, str) and not re.fullmatch(r"[\d\s.\-/年月日]+", value.strip() or "0")


def _row_cells(rows: list[list[Any]], r: int, width: int) -> list[Any]:
    row = rows[r] if r < len(rows) else []
    return [(row[c] if c < len(row) else None) for c in range(width)]


def _nonempty(cells: Sequence[Any]) -> list[int]:
    return [i for i, v in enumerate(cells) if v is not None and str(v).strip() != ""]


def _header_like(cells: Sequence[Any], vocab: Vocabulary) -> bool:
    filled = _nonempty(cells)
    if len(filled) < 2:
        return False
    if not all(_is_text_cell(cells[i]) for i in filled):
        return False
    return not any(re.search(r"[:：]", str(cells[i])) for i in filled)


def _forward_fill(cells: Sequence[Any]) -> list[str]:
    out: list[str] = []
    last = ""
    for v in cells:
        text = clean(v)
        if text:
            last = text
        out.append(text or last)
    return out


@dataclass
class Header:
    row: int  # 0-based index of the last header row
    first_row: int
    labels: list[str]  # per column, the text shown to users
    fields: dict[str, int]  # field -> column index
    kind: str
    # Quota columns: column -> the (test, "annual" or "weekly") figures it holds; a column whose
    # header names both tests (附件2's “…NT筛查及血清学筛查各应完成人数”) holds both tests' figure.
    test_columns: dict[int, tuple[tuple[str, str], ...]] = field(default_factory=dict)


def _score(cells: Sequence[Any], vocab: Vocabulary) -> int:
    found: set[str] = set()
    for v in cells:
        if isinstance(v, str):
            found |= vocab.fields(v)
    return len(found)


def classify(fields: set[str]) -> str:
    """The kind of sheet a set of header fields makes (roster, log, quota, register or unknown)."""
    ident = bool({"name", "id"} & fields)
    if {"register_kind", "merge_id", "reason"} & fields and ident | ("community" in fields):
        return "register"
    if "screen_date" in fields and ident:
        return "log"
    if ident and ({"lmp", "edd", "gest_weeks", "phone", "self_nt", "self_serum"} & fields):
        return "roster"
    if "community" in fields and not ident and (
        {"annual", "weekly", "quota_nt", "quota_serum"} & fields
    ):
        return "quota"
    return "unknown"


# Field preference when a header names several fields, per kind.
_PREFER = {
    "quota": ["quota_nt", "quota_serum", "annual", "weekly", "community", "note", "serial"],
    "roster": ["self_nt", "self_serum"],
    "log": ["screen_date", "test"],
    "register": ["register_kind", "reason", "event_date"],
}


def find_header(
    rows: list[list[Any]], vocab: Vocabulary, *, start: int = 0, stop: int = HEADER_SCAN_ROWS
) -> Header | None:
    """The header of a grid: the row naming the most fields (at least two) among rows
    ``start``..``stop`` (the first :data:`HEADER_SCAN_ROWS`), with a header-like row just above or
    below it as a second layer (a merged group header); None when no row names two fields."""
    best = _best_header_row(rows, vocab, start, stop)
    if best is None:
        return None
    # All data rows may be wider than the header scan window: widen to the sheet's real width.
    width = max(len(r) for r in rows)
    first, last = _header_span(rows, best, width, vocab)
    parts = _column_parts(rows, first, last, width)
    labels = ["/".join(p) for p in parts]
    candidates = [_field_options(p, vocab) for p in parts]
    kind = classify({f for options in candidates for o in options for f in o})
    fields, test_columns = _map_columns(kind, labels, candidates, vocab)
    return Header(last, first, labels, fields, kind, test_columns)


def _best_header_row(rows: list[list[Any]], vocab: Vocabulary, start: int, stop: int) -> int | None:
    """The row of the scan window naming the most fields, at least two (the first of equals)."""
    width = max((len(r) for r in rows[start:stop]), default=0)
    if width == 0:
        return None
    best, best_score = None, 1
    for r in range(start, min(len(rows), stop)):
        score = _score(_row_cells(rows, r, width), vocab)
        if score > best_score:
            best, best_score = r, score
    return best


def _header_span(rows: list[list[Any]], best: int, width: int, vocab: Vocabulary) -> tuple[int, int]:
    """First and last header row: the best row, widened by a header-like row above it (a group
    header) or below it (sub-headers naming at least one field)."""
    first, last = best, best
    if best > 0 and _header_like(_row_cells(rows, best - 1, width), vocab):
        first = best - 1
    below = _row_cells(rows, best + 1, width)
    if best + 1 < len(rows) and _header_like(below, vocab) and _score(below, vocab) > 0:
        last = best + 1
    return first, last


def _column_parts(rows: list[list[Any]], first: int, last: int, width: int) -> list[list[str]]:
    """Per column, the distinct texts of the header rows from top to bottom. A merged cell of an
    upper row (text in its first column only) covers the columns to its right."""
    layers = [_forward_fill(_row_cells(rows, r, width)) if r < last else
              [clean(v) for v in _row_cells(rows, r, width)] for r in range(first, last + 1)]
    return [list(dict.fromkeys(layer[c] for layer in layers if layer[c])) for c in range(width)]


def _field_options(parts: list[str], vocab: Vocabulary) -> list[set[str]]:
    """The fields a column's texts may name, the most specific first: the lowest row's text, then
    the rows above it, then all of them joined (a group header and its sub-header as one name)."""
    options = [vocab.fields(p) for p in reversed(parts)]
    if len(parts) > 1:
        options.append(vocab.fields("".join(parts)))
    return options


def _map_columns(
    kind: str, labels: list[str], candidates: list[list[set[str]]], vocab: Vocabulary
) -> tuple[dict[str, int], dict[int, tuple[tuple[str, str], ...]]]:
    """field -> column (the first column naming a field wins) and, for a quota table, the
    columns holding the tests' annual or weekly numbers."""
    fields: dict[str, int] = {}
    test_columns: dict[int, tuple[tuple[str, str], ...]] = {}
    for c, options in enumerate(candidates):
        if kind == "quota" and (test_column := _quota_test_column(labels[c], vocab)):
            test_columns[c] = test_column
            continue
        name = _preferred_field(kind, options)
        if name:
            fields.setdefault(name, c)
    if kind == "quota":
        _one_figure_for_both(fields, test_columns)
    return fields, test_columns


def _quota_test_column(label: str, vocab: Vocabulary) -> tuple[tuple[str, str], ...]:
    """The (test, "annual" or "weekly") figures a quota column such as “NT年度任务” holds: one
    test, or both when the header names both; none for other columns."""
    tests = vocab.tests_in(label)
    if not tests or vocab.fields(label) & {"community", "note", "serial"}:
        return ()
    key = header_key(label)
    what = "weekly" if any(w in key for w in vocab.weekly_keys) else "annual"
    return tuple((t, what) for t in ("nt", "serum") if t in tests)


def quota_figures(labels: list[str], vocab: Vocabulary) -> set[tuple[str, str]]:
    """The (test, "annual"/"weekly") figures the columns ``labels`` would give a quota table (for
    a header not recognised as one: which figures it lacks)."""
    fields: dict[str, int] = {}
    test_columns: dict[int, tuple[tuple[str, str], ...]] = {}
    for c, label in enumerate(labels):
        if pairs := _quota_test_column(label, vocab):
            test_columns[c] = pairs
        for what in ("annual", "weekly") if not pairs else ():
            if what in vocab.fields(label):
                fields.setdefault(what, c)
    _one_figure_for_both(fields, test_columns)
    return {pair for pairs in test_columns.values() for pair in pairs}


def _one_figure_for_both(fields: dict[str, int], test_columns: dict[int, tuple[tuple[str, str], ...]]) -> None:
    """A quota column named only “各应完成人数” or “每周应完成人数” (no test) holds the figure of
    each test the table gives no column of its own for that figure."""
    for what in ("annual", "weekly"):
        if what not in fields:
            continue
        given = {t for pairs in test_columns.values() for t, w in pairs if w == what}
        missing = tuple((t, what) for t in ("nt", "serum") if t not in given)
        if missing:
            test_columns[fields.pop(what)] = missing


def _preferred_field(kind: str, options: list[set[str]]) -> str | None:
    """The field a column maps to: from its most specific non-empty option, the one the kind
    prefers. A roster's “NT” column is the woman's own report, not a quota."""
    chosen = next((o for o in options if o), set())
    if not chosen:
        return None
    prefer = _PREFER.get(kind, [])
    name = sorted(chosen, key=lambda f: prefer.index(f) if f in prefer else len(prefer))[0]
    if kind == "roster" and name in ("quota_nt", "quota_serum"):
        name = "self_nt" if name == "quota_nt" else "self_serum"
    return name
