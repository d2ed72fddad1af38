"""The row-checking mechanism the per-kind validators share.

:class:`Rows` holds the concatenated extracted frame of one kind. Each rule is one vectorised call,
``rows.note(mask, code=, severity=, field_name=, message=, fix=, reject=)``: a problem for each
row of ``mask`` not yet rejected, and optionally its rejection (the first reason stays). The
column readers several kinds share (text, IDs, phones, dates, communities) parse a whole column
and note their own problems through it. Which rules apply to which kind is ``validate``'s job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pipeline.model import SRC
from pipeline.normalize.dates import parse_dates, parse_gestation
from pipeline.normalize.header import Vocabulary
from pipeline.normalize.ids import normalize_ids, normalize_phones
from pipeline.problems import Severity, shorten
from pipeline.text import CommunityMatch, clean_series, distinct_pairs, missing_as_none

# ID statuses by which a person can be matched.
ID_USABLE = ("ok", "upgraded")
# (sheet file, sheet name) -> field -> the header label the user sees, for the problem lists.
Headers = dict[tuple[str, str], dict[str, str]]


class Rows:
    """One kind's extracted rows while its rules run: each rule notes a problem on some rows and
    may reject them; a row's first rejection is its reason."""

    def __init__(self, frame: pd.DataFrame, kind: str, headers: Headers) -> None:
        self.frame = frame.reset_index(drop=True)
        self.kind = kind
        self.headers = headers
        self.reason = pd.Series(pd.NA, index=self.frame.index, dtype="string")
        self.problem_frames: list[pd.DataFrame] = []
        self._subjects: pd.Series | None = None

    def col(self, name: str) -> pd.Series:
        """A mapped column; all None when no sheet of this kind has it."""
        if name in self.frame.columns:
            return self.frame[name]
        return pd.Series(None, index=self.frame.index, dtype=object)

    def _header(self, field_name: str, idx: pd.Index | None = None) -> pd.Series:
        rows = self.frame if idx is None else self.frame.loc[idx]
        keys = list(zip(rows["src_file"], rows["src_sheet"], strict=True))
        return pd.Series([self.headers.get(k, {}).get(field_name, "") for k in keys], index=rows.index)

    def subjects(self) -> pd.Series:
        """Who each row is about, as a comparison key (the ID's letters and digits, else name and
        phone): the same woman's problem repeated in every roster snapshot is one problem to fix."""
        if self._subjects is None:
            def key(name: str) -> pd.Series:
                return self.col(name).astype("string").str.replace(r"[^0-9A-Za-z\u4e00-\u9fff]", "", regex=True)

            ids = key("id").str.upper()
            person = key("name").fillna("") + "|" + key("phone").fillna("")
            self._subjects = ("ID:" + ids).where(ids.fillna("") != "", "NP:" + person).fillna("")
        return self._subjects

    def note(
        self,
        mask: pd.Series,
        *,
        code: pd.Series | str,
        severity: str,
        field_name: str,
        message: pd.Series | str,
        fix: pd.Series | str,
        reject: str | None = None,
        value: pd.Series | None = None,
    ) -> None:
        """Record a problem for the rows in ``mask`` (only those not yet rejected); optionally reject them.

        ``code``, ``message`` and ``fix`` are one text for all rows or a Series giving each row's;
        ``field_name`` names the column the problem list shows (its header label) and whose cell
        it quotes, unless ``value`` gives the cells to quote; ``reject`` is the rejection reason.
        """
        mask = mask.fillna(False).astype(bool) & self.reason.isna()
        if not mask.any():
            return
        idx = mask[mask].index
        raw = value if value is not None else self.col(field_name)
        frame = pd.DataFrame(
            {
                "file": self.frame.loc[idx, "src_file"],
                "sheet": self.frame.loc[idx, "src_sheet"],
                "row": self.frame.loc[idx, "src_row"],
                "column": self._header(field_name, idx),
                "value": raw.loc[idx].map(display_value),
                "severity": severity,
                "code": code.loc[idx] if isinstance(code, pd.Series) else code,
                "message": message.loc[idx] if isinstance(message, pd.Series) else message,
                "fix": fix.loc[idx] if isinstance(fix, pd.Series) else fix,
                "subject": self.subjects().loc[idx],
            }
        )
        self.problem_frames.append(frame)
        if reject:
            self.reason = self.reason.mask(mask, reject)

    def keep_identity(self, name: pd.Series, phone: pd.Series, community: pd.Series) -> None:
        """Keep who each row is about with the rejected rows, so that a screening of a woman
        whose roster row was rejected can point at that row."""
        self.frame["_name"], self.frame["_phone"], self.frame["_community"] = name, phone, community

    def accepted(self, typed: pd.DataFrame) -> pd.DataFrame:
        """The rows of ``typed`` (built row for row from :attr:`frame`) that no rule rejected."""
        return typed[self.reason.isna()].reset_index(drop=True)

    def rejected(self) -> pd.DataFrame:
        """The rejected rows: source, kind, reason (and who, where :meth:`keep_identity` was called)."""
        keep = [*SRC, *(c for c in ("_name", "_phone", "_community") if c in self.frame.columns)]
        out = self.frame.loc[self.reason.notna(), keep].copy()
        out = out.rename(columns={"_name": "name", "_phone": "phone", "_community": "community"})
        out["kind"] = self.kind
        out["reason"] = self.reason[self.reason.notna()]
        return out.reset_index(drop=True)


def display_value(v: Any) -> str:
    """A cell as the user sees it in Excel: 4.11328E+17 for a long number, 12 for 12.0. A very
    long text is shortened (a 10 MB cell must not be printed in full on the terminal or copied
    into every problem list); the cut never leaves part of a number behind (no partial ID)."""
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e11:
            return str(int(v))
        if abs(v) >= 1e11:
            return f"{v:.5E}"
    return shorten(str(v))


def text_of(series: pd.Series) -> pd.Series:
    """``clean`` for a column of raw cells. Text cells are cleaned once per distinct value (a
    column of community or test names repeats a few values many times)."""
    values = series.to_numpy(dtype=object)
    is_str = np.fromiter((type(v) is str for v in values), dtype=bool, count=len(values))
    if len(values) < 64 or not is_str.any():
        return clean_series(series.map(_cell_text, na_action="ignore"))
    codes, uniques = pd.factorize(values[is_str])
    cleaned = clean_series(pd.Series(uniques, dtype=object)).to_numpy(dtype=object)
    out = np.empty(len(values), dtype=object)
    out[is_str] = cleaned[codes]
    if not is_str.all():
        rest = series[~is_str]
        out[~is_str] = clean_series(rest.map(_cell_text, na_action="ignore")).to_numpy(dtype=object)
    return pd.Series(pd.array(out, dtype="string"), index=series.index)


def _cell_text(v: Any) -> Any:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return v


def community_of(rows: Rows, vocab: Vocabulary, field_name: str = "community") -> pd.Series:
    """Resolve each row's community: its own column first, else the sheet's. In a multi-level
    organisation the name is resolved within the row's parent (:func:`parents_of`); a name unique
    in the whole organisation resolves without one. A name that matches no configured community
    rejects the row (no community is ever made up), as does a name that several parents share
    when the row's parent is unknown."""
    raw = text_of(rows.col(field_name))
    if vocab.parents:
        resolved, code, why = _communities_within_parents(raw, parents_of(rows, vocab), vocab)
    else:
        resolved = _communities(raw, vocab)
        code = pd.Series(None, index=raw.index, dtype=object)
        why = code
    unknown = raw.notna() & resolved.isna()
    rows.note(
        unknown & (code == "community_ambiguous"),
        code="community_ambiguous",
        severity=Severity.ERROR,
        field_name=field_name,
        message=why,
        fix="请填写乡镇列，或在文件夹名、文件名或标题中写明乡镇（如“城关镇/王庄村花名册.xlsx”），或写全称（如“城关镇王庄村”）。",
        reject="无法确定是哪个乡镇的村（社区）",
    )
    names = "、".join(c.name for c in vocab.communities[:30]) + ("等" if len(vocab.communities) > 30 else "")
    rows.note(
        unknown,
        code="community_unknown",
        severity=Severity.ERROR,
        field_name=field_name,
        message=why.where(why.notna(), raw.map(lambda v: f"社区名称“{v}”无法识别，不会新建社区").astype(object)),
        fix=f"请改为配置中的社区名称之一：{names}；如是新的写法，请在 config.toml 该社区的 variants 中加入。",
        reject="社区名称无法识别",
    )
    sheet = rows.col("sheet_community")
    return resolved.where(raw.notna(), sheet)


def _communities(raw: pd.Series, vocab: Vocabulary) -> pd.Series:
    """A flat organisation: each distinct name resolved once; None where it matches no community."""
    uniques = raw.dropna().unique()
    lookup = {u: vocab.resolver.exact(u).key or vocab.resolver.in_text(u).key for u in uniques}
    # astype: with no community column at all the mapped column has no values to infer a dtype from.
    return raw.map(lookup, na_action="ignore").astype(object)


def _communities_within_parents(
    raw: pd.Series, parent: pd.Series, vocab: Vocabulary
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """A multi-level organisation: each distinct (parent, name) pair resolved once, the name
    within the row's parent when it has one. Gives per row the key, and where there is none the
    problem code and message (None when the name is simply unknown)."""
    codes, pairs = distinct_pairs(parent, raw)
    found = [_community_within(vocab, p, c) if c is not None else (None, None, None) for p, c in pairs]

    def column(i: int) -> pd.Series:
        values = np.asarray([f[i] for f in found], dtype=object)
        return pd.Series(values[codes] if len(found) else [], index=raw.index, dtype=object)

    return column(0), column(1), column(2)


def _community_within(
    vocab: Vocabulary, parent: str | None, name: str
) -> tuple[str | None, str | None, str | None]:
    """(key, None, None), or (None, problem code, message) when ``name`` does not resolve within
    ``parent``: shared by several parents and no parent known, or not under the row's parent."""
    found = _lookup(vocab, name, parent)
    if found.key:
        return found.key, None, None
    if found.ambiguous:
        shared = "、".join(vocab.display.get(k, k) for k in found.candidates)
        return None, "community_ambiguous", f"“{name}”在多个乡镇都有（{shared}），无法确定是哪一个"
    elsewhere = _lookup(vocab, name, None) if parent is not None else found
    where = [elsewhere.key] if elsewhere.key else list(elsewhere.candidates)
    if where:
        shown = "、".join(vocab.display.get(k, k) for k in where)
        township = (parent or "").rpartition("/")[2]
        return None, "community_unknown", f"{township}没有“{name}”（配置中有{shown}），请核对乡镇和村（社区）名称"
    return None, None, None


def _lookup(vocab: Vocabulary, name: str, parent: str | None) -> CommunityMatch:
    found = vocab.resolver.exact(name, parent)
    return found if found.key or found.ambiguous else vocab.resolver.in_text(name, parent)


def parents_of(rows: Rows, vocab: Vocabulary) -> pd.Series:
    """Each row's parent (乡镇): its 乡镇 column -- the name itself, a name within the text, or
    the text with the sheet's context (a township name several counties share) -- else the
    sheet's (folder, sheet name, title, file name). A 乡镇 cell that names no configured parent,
    or one several counties have and nothing decides, is a warning and the sheet's parent stands
    (if it is one of the cell's). Each distinct (cell, context) pair is resolved once."""
    township = text_of(rows.col("township"))
    sheet = missing_as_none(rows.col("sheet_parent"))
    codes, pairs = distinct_pairs(township, rows.col("sheet_context"))
    options = [_township_options(vocab, cell, context) for cell, context in pairs]
    found = np.asarray([next(iter(o)) if len(o) == 1 else None for o in options], dtype=object)[codes]
    shared = np.asarray([len(o) > 1 for o in options], dtype=bool)[codes]
    # A cell several counties' townships answer to: the sheet's township if it is one of them.
    for i in np.flatnonzero(shared):
        if sheet.iloc[i] in options[codes[i]]:
            found[i] = sheet.iloc[i]
    parent = pd.Series(found, index=township.index, dtype=object)
    listed = "、".join(vocab.parents.parents[:20]) + ("等" if len(vocab.parents.parents) > 20 else "")
    unread = township.notna() & parent.isna()
    rows.note(
        unread,
        code="township_unknown",
        severity=Severity.WARNING,
        field_name="township",
        message=pd.Series(
            [
                f"乡镇“{v}”在多个县都有，无法确定是哪一个" if many else f"乡镇“{v}”无法识别"
                for v, many in zip(township.astype(object), shared, strict=True)
            ],
            index=township.index,
            dtype=object,
        )
        + "，改按文件夹、文件名或标题中的乡镇查找村（社区）",
        fix=f"请改为配置中的乡镇之一（同名乡镇请写明县，如“平安县城关镇”）：{listed}。",
    )
    return parent.where(parent.notna() | township.notna(), sheet).where(~unread, sheet)


def _township_options(vocab: Vocabulary, cell: str | None, context: str | None) -> set[str]:
    """The parents a 乡镇 cell may name: exactly, within its text, or with the sheet's context."""
    if cell is None:
        return set()
    exact = vocab.parents.exact(cell)
    return {exact} if exact else vocab.parents.candidates(cell, context or "")


@dataclass(frozen=True)
class Identity:
    """Who each row is about: the name (spaces removed), the ID columns (``normalize_ids``) and
    the phone columns (``normalize_phones``)."""

    name: pd.Series
    ids: pd.DataFrame
    phones: pd.DataFrame

    @property
    def id_usable(self) -> pd.Series:
        return self.ids["id_status"].isin(ID_USABLE)

    @property
    def name_and_phone(self) -> pd.Series:
        """Rows that can be matched by name + phone when their ID cannot be used."""
        return self.name.notna() & self.phones["phone"].notna()


def identity_of(rows: Rows) -> Identity:
    name = text_of(rows.col("name")).str.replace(" ", "", regex=False)
    return Identity(name=name, ids=ids_of(rows), phones=phones_of(rows))


def ids_of(rows: Rows) -> pd.DataFrame:
    """The ID column parsed (``normalize_ids``' columns); all "empty" without one."""
    if "id" not in rows.frame.columns:
        return pd.DataFrame(
            {"id": pd.array([pd.NA] * len(rows.frame), dtype="string"),
             "id_status": pd.array(["empty"] * len(rows.frame), dtype="string"),
             "id_message": pd.array([pd.NA] * len(rows.frame), dtype="string"),
             "id_fix": pd.array([pd.NA] * len(rows.frame), dtype="string")},
            index=rows.frame.index,
        )
    return normalize_ids(rows.frame["id"])


def phones_of(rows: Rows) -> pd.DataFrame:
    """The phone column parsed (``normalize_phones``' columns); all "empty" without one."""
    if "phone" not in rows.frame.columns:
        return pd.DataFrame(
            {"phone": pd.array([pd.NA] * len(rows.frame), dtype="string"),
             "phone_status": pd.array(["empty"] * len(rows.frame), dtype="string")},
            index=rows.frame.index,
        )
    return normalize_phones(rows.frame["phone"])


def gestation_of(rows: Rows) -> pd.DataFrame:
    """The gestational-age column parsed (``parse_gestation``'s columns); all empty without one."""
    if "gest_weeks" not in rows.frame.columns:
        return pd.DataFrame(
            {"days": pd.array([pd.NA] * len(rows.frame), dtype="Int64"), "gest_status": "empty", "gest_message": pd.NA},
            index=rows.frame.index,
        )
    return parse_gestation(rows.frame["gest_weeks"])


def dates_of(rows: Rows, field_name: str, label: str, *, severity: Severity = Severity.WARNING) -> pd.Series:
    """A date column parsed; an unreadable or ambiguous date is noted (not rejected)."""
    if field_name not in rows.frame.columns:
        return pd.Series(pd.NaT, index=rows.frame.index, dtype="datetime64[ns]")
    parsed = parse_dates(rows.frame[field_name])
    bad = parsed["date_status"].isin(["invalid", "ambiguous"])
    rows.note(
        bad,
        code=f"{field_name}_invalid",
        severity=severity,
        field_name=field_name,
        message=parsed["date_message"].fillna(f"{label}无法识别").astype(object).map(lambda m: f"{label}：{m}"),
        fix=f"请按 2020-04-08 的格式填写{label}（年-月-日）。",
    )
    return parsed["date"].astype("datetime64[ns]")
