"""Text normalisation shared by every stage: NFKC, Traditional -> Simplified for the characters
that occur in community names and headers, and the matching of community names."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

# Traditional -> Simplified for characters seen in community names, headers and test names.
# A full converter (OpenCC) would be a heavy dependency for a few dozen characters.
_T2S = str.maketrans(
    "園區華銀東興陽號證碼聯繫電話預產週檢篩查結果風險臨診斷類型銷號原說明備註復員會構範圍戶籍現層項價單數據應"
    "務總計長導組選擇寫記錄錄歲齡學業醫鄉鎮縣縣門衛條們來時間發與書記員會議處辦屬於漢彙匯報級為婦幼產態嬰兒",
    "园区华银东兴阳号证码联系电话预产周检筛查结果风险临诊断类型销号原说明备注复员会构范围户籍现层项价单数据应"
    "务总计长导组选择写记录录岁龄学业医乡镇县县门卫条们来时间发与书记员会议处办属于汉汇汇报级为妇幼产态婴儿",
)

_SPACES = re.compile(r"[\s\u3000\u200b\ufeff]+")
_HEADER_NOISE = re.compile(r"[\s\u3000\u200b\ufeff*＊:：、,，.。'\"“”‘’_\-—/\\|]+")
_PARENS = re.compile(r"[（(【\[][^）)】\]]*[）)】\]]")


def clean(text: object) -> str:
    """NFKC, Traditional->Simplified, collapse inner whitespace, strip."""
    if text is None:
        return ""
    s = unicodedata.normalize("NFKC", str(text)).translate(_T2S)
    return _SPACES.sub(" ", s).strip()


def squash(text: object) -> str:
    """``clean`` and remove all spaces: for comparing names and community labels."""
    return _SPACES.sub("", clean(text))


def header_key(text: object) -> str:
    """A header as compared with the aliases: cleaned, no spaces or punctuation, upper case."""
    return _HEADER_NOISE.sub("", clean(text)).upper()


def header_key_without_parens(text: object) -> str:
    return header_key(_PARENS.sub("", clean(text)))


def clean_series(values: pd.Series) -> pd.Series:
    """Vectorised ``clean`` for a column of raw cells (None stays NA)."""
    s = values.astype("string")
    s = s.str.normalize("NFKC").str.translate(_T2S)
    s = s.str.replace(_SPACES.pattern, " ", regex=True).str.strip()
    return s.mask(s == "")


def missing_as_none(values: pd.Series) -> pd.Series:
    """``values`` as objects with every missing value None: NA, NaN and the empty text alike (a
    missing cell may come back as "" under pandas 3)."""
    obj = values.astype(object)
    return obj.where(obj.notna() & (obj != ""), None)


def distinct_pairs(a: pd.Series, b: pd.Series) -> tuple[np.ndarray, list[tuple[Any, Any]]]:
    """Each row's code and the distinct ``(a, b)`` value pairs, a missing value as None, so that
    each pair is resolved once. No placeholder text stands for a missing value: pandas 3 may give
    a placeholder back as ""."""
    codes_a, uniq_a = pd.factorize(missing_as_none(a))
    codes_b, uniq_b = pd.factorize(missing_as_none(b))
    width = len(uniq_b) + 1
    codes, combined = pd.factorize((codes_a + 1) * width + (codes_b + 1))
    pairs = [
        (uniq_a[x // width - 1] if x // width else None, uniq_b[x % width - 1] if x % width else None)
        for x in combined.tolist()
    ]
    return codes, pairs


SUBTOTAL_WORDS = frozenset({"合计", "小计", "总计", "累计", "总数", "合计数"})
EXAMPLE_WORDS = frozenset({"示例", "例", "样例", "填写示例", "示例行"})


@dataclass(frozen=True)
class CommunityMatch:
    key: str | None
    ambiguous: bool = False
    candidates: tuple[str, ...] = ()  # the communities an ambiguous text may mean


def parent_of(key: str) -> str:
    """The parent path of a community key ("县/乡镇/社区" -> "县/乡镇"; a flat key has none)."""
    return key.rpartition("/")[0]


def _under(key: str, parent: str) -> bool:
    return parent_of(key) == parent


def _match(keys: set[str]) -> CommunityMatch:
    if len(keys) == 1:
        return CommunityMatch(next(iter(keys)))
    return CommunityMatch(None, ambiguous=len(keys) > 1, candidates=tuple(sorted(keys)))


class CommunityResolver:
    """Maps the many ways a community is written to its configured key.

    Exact labels ("新民", "新民社区", "新民居委会", Traditional forms) match anywhere. Inside a longer
    text (a title, a file name, an address) only a full name or a short name followed by a community
    suffix matches: "新华路128号" is a road, not 新华社区.

    In a multi-level organisation community names repeat across parents (two townships may each have
    a 王庄村): pass ``parent`` (the parent path, e.g. "平安县/城关镇") to resolve within it. Without a
    parent, a name shared by several communities is ambiguous unless the text itself also names one
    of their parents ("城关镇王庄村3组").
    """

    SUFFIXES = ("社区居委会", "社区", "居委会", "居委", "村委会", "村")

    def __init__(self, communities: Iterable[tuple[str, str, str, Iterable[str]]]) -> None:
        """``communities``: (key, name, short, variants)."""
        self._exact: dict[str, set[str]] = {}
        in_text: dict[str, set[str]] = {}
        for key, name, short, variants in communities:
            labels = {name, *variants}
            if short:
                labels.add(short)
                labels.update(short + suffix for suffix in self.SUFFIXES)
            base = name
            for suffix in self.SUFFIXES:
                if name.endswith(suffix) and len(name) > len(suffix):
                    base = name[: -len(suffix)]
                    break
            labels.add(base)
            labels.update(base + suffix for suffix in self.SUFFIXES)
            for label in labels:
                self._exact.setdefault(squash(label), set()).add(key)
                if label != base and label != short:
                    in_text.setdefault(squash(label), set()).add(key)
        # Longest first, so "常花园社区" wins over a shorter overlapping label; a label shared by
        # communities of different parents is kept once, with all its keys.
        self._in_text: list[tuple[str, frozenset[str]]] = sorted(
            ((label, frozenset(keys)) for label, keys in in_text.items()), key=lambda item: -len(item[0])
        )
        # Parent path segments ("平安县", "城关镇") of every key, for narrowing by a text.
        self._segments: dict[str, tuple[str, ...]] = {}
        for keys in self._exact.values():
            for key in keys:
                if key not in self._segments:
                    self._segments[key] = tuple(squash(p) for p in parent_of(key).split("/") if p)

    def _narrow(self, keys: set[str] | frozenset[str], parent: str | None, text: str = "") -> set[str]:
        if parent is not None:
            return {k for k in keys if _under(k, parent)}
        if len(keys) > 1 and text:
            # The text may name the parent too: keep the keys with the most parent segments in it.
            hits = {k: sum(1 for seg in self._segments.get(k, ()) if seg and seg in text) for k in keys}
            best = max(hits.values())
            if best > 0:
                return {k for k, n in hits.items() if n == best}
        return set(keys)

    def exact(self, text: object, parent: str | None = None) -> CommunityMatch:
        keys = self._narrow(self._exact.get(squash(text), set()), parent)
        return _match(keys)

    def in_text(self, text: object, parent: str | None = None) -> CommunityMatch:
        """Find a community named inside a longer text (title, file name, address)."""
        s = squash(text)
        if not s:
            return CommunityMatch(None)
        direct = self.exact(s, parent)
        if direct.key or direct.ambiguous:
            return direct
        found: set[str] = set()
        remaining = s
        for label, keys in self._in_text:
            if label in remaining:
                narrowed = self._narrow(keys, parent)
                if not narrowed:
                    continue
                found |= narrowed
                remaining = remaining.replace(label, "|")
        return _match(self._narrow(found, parent, s))


class ParentResolver:
    """Finds which parent (e.g. township "平安县/城关镇") a text names: a folder path, a title, a
    乡镇 column. A township name may repeat across counties: then the text must also name the
    county (as a folder path usually does), or the wider ``context`` given with it."""

    SUFFIXES = ("街道办事处", "办事处", "街道", "镇", "乡")

    def __init__(self, parents: Iterable[str]) -> None:
        self.parents = sorted({p for p in parents if p})
        self._segments = {p: tuple(squash(s) for s in p.split("/") if s) for p in self.parents}
        self._by_last: dict[str, set[str]] = {}
        for p, segs in self._segments.items():
            last = segs[-1]
            self._by_last.setdefault(last, set()).add(p)
            for suffix in self.SUFFIXES:
                if last.endswith(suffix) and len(last) > len(suffix) + 1:
                    self._by_last.setdefault(last[: -len(suffix)], set()).add(p)
                    break
        self._labels = sorted(self._by_last, key=len, reverse=True)

    def __bool__(self) -> bool:
        return bool(self.parents)

    def exact(self, text: object) -> str | None:
        """A cell naming a parent: its last segment (with or without 镇/乡), or its full path."""
        s = squash(text).replace("/", "")
        keys = self._by_last.get(s) or {p for p, segs in self._segments.items() if "".join(segs) == s}
        return next(iter(keys)) if len(keys) == 1 else None

    def _named_in(self, s: str) -> set[str]:
        """The parents whose name (last segment) occurs in ``s``; several when it names several
        townships or a township name that several counties share."""
        found: set[str] = set()
        for label in self._labels:
            if label in s:
                found |= self._by_last[label]
        return found

    def _best(self, found: set[str], s: str) -> set[str]:
        """Of several parents, those with the most of their path segments in ``s``."""
        if len(found) <= 1:
            return found
        hits = {p: sum(1 for seg in self._segments[p] if seg in s) for p in found}
        best = max(hits.values())
        return {p for p, n in hits.items() if n == best}

    def candidates(self, text: object, context: object = "") -> set[str]:
        """The parents ``text`` may name: one, several (a township name shared by counties that
        neither ``text`` nor ``context``, e.g. the folder path, decides), or none."""
        s = squash(text)
        if not s:
            return set()
        found = self._best(self._named_in(s), s)
        if len(found) > 1 and context:
            found = self._best(found, squash(context))
        return found

    def find(self, text: object, context: object = "") -> str | None:
        """The one parent ``text`` names (see :meth:`candidates`), or None."""
        found = self.candidates(text, context)
        return next(iter(found)) if len(found) == 1 else None

    def first_of(self, sources: Iterable[object], context: object = "") -> str | None:
        """The parent the ``sources`` name, the most specific first: each source that names a
        parent narrows the candidates of the ones before it (a folder "城关镇" that two counties
        have, then a title "平安县…"); a source naming another parent than the ones before it does
        not override them. ``context`` decides between counties that share a township name."""
        found: set[str] = set()
        for source in sources:
            named = self.candidates(source, context)
            if named:
                found = (found & named) or found or named
            elif len(found) > 1:
                found = self._best(found, squash(source))  # a title naming the county only
            if len(found) == 1:
                return next(iter(found))
        return None
