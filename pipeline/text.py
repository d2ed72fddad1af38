"""Text normalisation shared by every stage: NFKC, Traditional -> Simplified for the characters
that occur in community names and headers, and the matching of community names."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

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


SUBTOTAL_WORDS = frozenset({"合计", "小计", "总计", "累计", "总数", "合计数"})
EXAMPLE_WORDS = frozenset({"示例", "例", "样例", "填写示例", "示例行"})


@dataclass(frozen=True)
class CommunityMatch:
    key: str | None
    ambiguous: bool = False


class CommunityResolver:
    """Maps the many ways a community is written to its configured key.

    Exact labels ("新民", "新民社区", "新民居委会", Traditional forms) match anywhere. Inside a longer
    text (a title, a file name, an address) only a full name or a short name followed by a community
    suffix matches: "新华路128号" is a road, not 新华社区.
    """

    SUFFIXES = ("社区居委会", "社区", "居委会", "居委", "村委会", "村")

    def __init__(self, communities: Iterable[tuple[str, str, str, Iterable[str]]]) -> None:
        """``communities``: (key, name, short, variants)."""
        self._exact: dict[str, set[str]] = {}
        self._in_text: list[tuple[str, str]] = []
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
                    self._in_text.append((squash(label), key))
        # Longest first, so "常花园社区" wins over a shorter overlapping label.
        self._in_text.sort(key=lambda item: -len(item[0]))

    def exact(self, text: object) -> CommunityMatch:
        keys = self._exact.get(squash(text), set())
        if len(keys) == 1:
            return CommunityMatch(next(iter(keys)))
        return CommunityMatch(None, ambiguous=len(keys) > 1)

    def in_text(self, text: object) -> CommunityMatch:
        """Find a community named inside a longer text (title, file name, address)."""
        s = squash(text)
        if not s:
            return CommunityMatch(None)
        direct = self.exact(s)
        if direct.key or direct.ambiguous:
            return direct
        found: set[str] = set()
        remaining = s
        for label, key in self._in_text:
            if label in remaining:
                found.add(key)
                remaining = remaining.replace(label, "|")
        if len(found) == 1:
            return CommunityMatch(next(iter(found)))
        return CommunityMatch(None, ambiguous=len(found) > 1)
