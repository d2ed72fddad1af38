"""Per-kind rules: the extracted rows of one kind -> its typed accepted frame, and the
:class:`Rows` holding its rejections and problems.

One validator per kind (roster, log, quota, register), each a flat list of ``rows.note(...)``
calls followed by the typed frame built from the parsed columns. The order of the calls matters:
a row rejected by one rule is not noted by the later ones. The columns of the accepted frames are
listed in :mod:`pipeline.model`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from pipeline.model import (
    LOG_COLUMNS,
    QUOTA_COLUMNS,
    REGISTER_COLUMNS,
    ROSTER_COLUMNS,
    SRC,
)
from pipeline.normalize.checks import (
    ID_USABLE,
    Headers,
    Identity,
    Rows,
    community_of,
    dates_of,
    gestation_of,
    identity_of,
    parents_of,
    text_of,
)
from pipeline.normalize.dates import parse_dates
from pipeline.normalize.header import Vocabulary
from pipeline.normalize.ids import normalize_ids
from pipeline.problems import Severity
from pipeline.settings import TEST_LABELS

# What the office writes in a register's kind column -> the action it records.
REGISTER_KINDS = {
    "个案销号": "close",
    "销号": "close",
    "人工合并": "merge",
    "合并": "merge",
    "产前诊断结果": "diagnosis",
    "产前诊断": "diagnosis",
    "纸质花名册": "paper",
    "纸质花名册签收": "paper",
}
# The reasons a case may be closed (销号); the blank register templates list them too.
CLOSE_REASONS = ("分娩", "流产", "迁出", "外院已筛", "拒检")

# A kind's rows, the vocabulary and the header labels -> (accepted typed frame, checked rows).
Validator = Callable[[pd.DataFrame, Vocabulary, Headers], tuple[pd.DataFrame, Rows]]


# --- roster -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _RosterDates:
    lmp: pd.Series
    edd: pd.Series
    reg: pd.Series
    gest_days: pd.Series


def _validate_roster(frame: pd.DataFrame, vocab: Vocabulary, headers: Headers) -> tuple[pd.DataFrame, Rows]:
    rows = Rows(frame, "roster", headers)
    community = _roster_community(rows, vocab)
    who = _roster_identity(rows)
    dates = _roster_dates(rows)
    rows.keep_identity(who.name, who.phones["phone"], community)
    return rows.accepted(_roster_frame(rows, community, who, dates)), rows


def _roster_community(rows: Rows, vocab: Vocabulary) -> pd.Series:
    community = community_of(rows, vocab)
    rows.note(
        community.isna(),
        code="community_missing",
        severity=Severity.ERROR,
        field_name="community",
        message="无法确定此行属于哪个社区（表中无社区列，工作表名、标题和文件名中也没有社区名称）",
        fix=f"请在文件名或标题中写明社区名称（如“{vocab.communities[0].name}花名册”），或增加“社区”列。",
        reject="无法确定所属社区",
    )
    return community


def _roster_identity(rows: Rows) -> Identity:
    who = identity_of(rows)
    ids = who.ids
    bad_id = ~ids["id_status"].isin([*ID_USABLE, "empty"])
    rows.note(
        bad_id,
        code="id_" + ids["id_status"].fillna(""),
        severity=Severity.ERROR,
        field_name="id",
        message=ids["id_message"].astype(object),
        fix=ids["id_fix"].fillna("请核对身份证号后在原表中改正。").astype(object),
        reject="身份证号无法使用",
    )
    no_ident = (ids["id_status"] == "empty") & ~who.name_and_phone
    rows.note(
        no_ident,
        code="no_identity",
        severity=Severity.ERROR,
        field_name="id",
        message="缺少身份证号，且姓名或联系电话不全，无法确定是哪一位孕妇",
        fix="请补填身份证号（或至少填写姓名和手机号）。",
        reject="缺少身份证号且姓名或电话不全",
    )
    rows.note(
        (ids["id_status"] == "empty") & ~no_ident,
        code="id_missing",
        severity=Severity.WARNING,
        field_name="id",
        message="缺少身份证号，按姓名+电话识别",
        fix="请补填身份证号。",
    )
    rows.note(
        who.phones["phone_status"].isin(["invalid", "float"]),
        code="phone_invalid",
        severity=Severity.NOTE,
        field_name="phone",
        message="联系电话不是有效的手机号或固定电话",
        fix="请填写11位手机号。",
    )
    return who


def _roster_dates(rows: Rows) -> _RosterDates:
    lmp = dates_of(rows, "lmp", "末次月经")
    edd = dates_of(rows, "edd", "预产期")
    reg = dates_of(rows, "reg_date", "登记日期")
    gest = gestation_of(rows)
    rows.note(
        gest["gest_status"] == "invalid",
        code="gest_invalid",
        severity=Severity.WARNING,
        field_name="gest_weeks",
        message="孕周无法识别（应为 4 到 42 周，如 12 或 12+3）",
        fix="请填写孕周，如 12+3（12周3天）。",
    )
    no_dates = lmp.isna() & edd.isna() & (gest["days"].isna() | reg.isna())
    rows.note(
        no_dates,
        code="dates_unusable",
        severity=Severity.WARNING,
        field_name="lmp",
        message="没有可用的末次月经、预产期或（孕周+登记日期），无法推算筛查时间",
        fix="请补填末次月经日期（或预产期）。",
    )
    return _RosterDates(lmp, edd, reg, gest["days"])


def _roster_frame(rows: Rows, community: pd.Series, who: Identity, dates: _RosterDates) -> pd.DataFrame:
    self_nt, self_nt_date = _self_report(rows, "self_nt")
    self_serum, self_serum_date = _self_report(rows, "self_serum")
    return pd.DataFrame(
        {
            "src_file": rows.frame["src_file"],
            "src_sheet": rows.frame["src_sheet"],
            "src_row": rows.frame["src_row"].astype("int64"),
            "community": community.astype("string"),
            "name": who.name.astype("string"),
            "id": who.ids["id"],
            "id_status": who.ids["id_status"],
            "phone": who.phones["phone"],
            "lmp": dates.lmp,
            "edd": dates.edd,
            "gest_days": dates.gest_days.astype("Int64"),
            "reg_date": dates.reg,
            "address": text_of(rows.col("address")).astype("string"),
            "residence": text_of(rows.col("residence")).astype("string"),
            "report_date": pd.to_datetime(rows.col("report_date"), errors="coerce"),
            "self_nt": self_nt,
            "self_nt_date": self_nt_date,
            "self_serum": self_serum,
            "self_serum_date": self_serum_date,
        }
    )


_YES = {"是", "已筛", "已做", "已检", "√", "✓", "Y", "YES", "有", "1"}
_NO = {"否", "未筛", "未做", "未检", "×", "N", "NO", "无", "0"}


def _self_report(rows: Rows, field_name: str) -> tuple[pd.Series, pd.Series]:
    """A self-report column holds yes/no or a date; returns (reported: boolean, date)."""
    n = len(rows.frame)
    if field_name not in rows.frame.columns:
        return pd.Series(pd.array([pd.NA] * n, dtype="boolean")), pd.Series(pd.NaT, index=rows.frame.index)
    raw = rows.frame[field_name]
    text = text_of(raw).str.upper()
    parsed = parse_dates(raw)
    has_date = parsed["date"].notna()
    yes = text.isin(list(_YES)) | has_date
    no = text.isin(list(_NO))
    flag = pd.Series(pd.NA, index=rows.frame.index, dtype="boolean")
    flag = flag.mask(yes, True).mask(no & ~yes, False)
    return flag, parsed["date"].astype("datetime64[ns]").where(has_date)


# --- screening log ------------------------------------------------------------------------------


def _test_of(rows: Rows, vocab: Vocabulary) -> pd.Series:
    """The test a row records: from its test column, else from the sheet (name, title, file)."""
    raw = text_of(rows.col("test"))
    uniques = raw.dropna().unique()
    lookup = {u: vocab.test_in(u) for u in uniques}
    from_column = raw.map(lookup, na_action="ignore")
    return from_column.where(from_column.notna(), rows.col("sheet_test")).astype("string")


def _validate_log(frame: pd.DataFrame, vocab: Vocabulary, headers: Headers) -> tuple[pd.DataFrame, Rows]:
    rows = Rows(frame, "log", headers)
    test = _test_of(rows, vocab)
    rows.note(
        test.isna(),
        code="test_unknown",
        severity=Severity.ERROR,
        field_name="test",
        message="无法判断此行是超声NT筛查还是血清学筛查",
        fix="请增加“筛查项目”列（填 NT 或 血清学），或在文件名/工作表名中写明筛查项目。",
        reject="无法判断筛查项目",
    )
    screen = parse_dates(rows.col("screen_date"))
    rows.note(
        screen["date"].isna(),
        code="screen_date_invalid",
        severity=Severity.ERROR,
        field_name="screen_date",
        message=screen["date_message"].fillna("缺少筛查日期").astype(object).map(lambda m: f"筛查日期：{m}"),
        fix="请按 2020-04-08 的格式填写筛查日期。",
        reject="筛查日期缺失或无效",
    )
    who = identity_of(rows)
    usable, fallback = who.id_usable, who.name_and_phone
    rows.note(
        ~usable & ~fallback,
        code="no_identity",
        severity=Severity.ERROR,
        field_name="id",
        message=who.ids["id_message"].fillna("缺少身份证号").astype(object).map(
            lambda m: f"{m}；且姓名或电话不全，无法确定是哪一位孕妇"
        ),
        fix=f"请{vocab.health_centre}核对登记本，补全身份证号或姓名+手机号。",
        reject="身份证号不可用且姓名或电话不全",
    )
    rows.note(
        ~usable & fallback & (who.ids["id_status"] != "empty"),
        code="log_id_fallback",
        severity=Severity.WARNING,
        field_name="id",
        message=who.ids["id_message"].fillna("").astype(object).map(lambda m: f"{m}；已按姓名+电话匹配"),
        fix=who.ids["id_fix"].fillna(f"请{vocab.health_centre}核对身份证号后在登记本中改正。").astype(object),
    )
    lmp = dates_of(rows, "lmp", "末次月经", severity=Severity.NOTE)
    # The row's 乡镇, within which its community column or address is looked up (reconcile).
    parent = parents_of(rows, vocab) if vocab.parents else pd.Series(None, index=rows.frame.index, dtype=object)
    return rows.accepted(_log_frame(rows, test, screen["date"], who, lmp, parent)), rows


def _log_frame(
    rows: Rows, test: pd.Series, screen: pd.Series, who: Identity, lmp: pd.Series, parent: pd.Series
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "src_file": rows.frame["src_file"],
            "src_sheet": rows.frame["src_sheet"],
            "src_row": rows.frame["src_row"].astype("int64"),
            "test": test,
            "screen_date": screen.astype("datetime64[ns]"),
            "name": who.name.astype("string"),
            "id": who.ids["id"].where(who.id_usable),
            "id_status": who.ids["id_status"],
            "phone": who.phones["phone"],
            "address": text_of(rows.col("address")).astype("string"),
            "log_community": text_of(rows.col("community")).astype("string"),
            "parent": parent.astype("string"),
            "lmp": lmp,
            "gest_days": gestation_of(rows)["days"].astype("Int64"),
            "result": text_of(rows.col("result")).astype("string"),
        }
    )


# --- quota table --------------------------------------------------------------------------------


def _validate_quota(frame: pd.DataFrame, vocab: Vocabulary, headers: Headers) -> tuple[pd.DataFrame, Rows]:
    rows = Rows(frame, "quota", headers)
    community = community_of(rows, vocab)
    rows.note(
        community.isna(),
        code="community_missing",
        severity=Severity.ERROR,
        field_name="community",
        message="任务分配表中此行没有社区名称",
        fix="请填写社区名称。",
        reject="缺少社区名称",
    )
    out = pd.DataFrame({c: rows.frame[c] for c in SRC})
    out["community"] = community.astype("string")
    for what in ("annual", "weekly"):
        for test in ("nt", "serum"):
            col = f"{what}_{test}"
            values = pd.to_numeric(text_of(rows.col(col)), errors="coerce")
            rows.note(
                values.isna() | (values < 0),
                code="quota_number",
                severity=Severity.ERROR,
                field_name=col,
                value=rows.col(col),
                message=f"{'每周' if what == 'weekly' else '年度'}{TEST_LABELS[test]}任务数不是有效数字",
                fix="请填写数字。",
                reject="任务数无效",
            )
            out[col] = values
    return rows.accepted(out), rows


# --- office register ----------------------------------------------------------------------------


def _validate_register(frame: pd.DataFrame, vocab: Vocabulary, headers: Headers) -> tuple[pd.DataFrame, Rows]:
    rows = Rows(frame, "register", headers)
    reason = text_of(rows.col("reason"))
    action = _register_action(rows, reason)
    rows.note(
        action.isna(),
        code="register_kind",
        severity=Severity.ERROR,
        field_name="register_kind",
        message="登记类型无法识别",
        fix="登记类型请填：个案销号、人工合并、产前诊断结果 或 纸质花名册。",
        reject="登记类型无法识别",
    )
    rows.note(
        (action == "close") & ~reason.isin(list(CLOSE_REASONS)),
        code="close_reason",
        severity=Severity.ERROR,
        field_name="reason",
        message="销号原因不在规定范围内",
        fix=f"销号原因请填：{'、'.join(CLOSE_REASONS)}。",
        reject="销号原因无效",
    )
    community = community_of(rows, vocab)
    who = identity_of(rows)
    needs_person = action.isin(["close", "merge", "diagnosis"])
    rows.note(
        needs_person & ~(who.id_usable | who.name_and_phone),
        code="no_identity",
        severity=Severity.ERROR,
        field_name="id",
        message=who.ids["id_message"].fillna("缺少身份证号").astype(object).map(lambda m: f"{m}；无法确定是哪一位孕妇"),
        fix="请填写正确的身份证号（或姓名+手机号）。",
        reject="无法确定是哪一位孕妇",
    )
    rows.note(
        (action == "paper") & community.isna(),
        code="community_missing",
        severity=Severity.ERROR,
        field_name="community",
        message="纸质花名册登记缺少社区",
        fix="请填写社区名称。",
        reject="缺少社区名称",
    )
    return rows.accepted(_register_frame(rows, action, community, who, reason)), rows


def _register_action(rows: Rows, reason: pd.Series) -> pd.Series:
    """close, merge, diagnosis or paper, from the register's kind column; NA if unrecognised."""
    kind_text = text_of(rows.col("register_kind")).str.replace(" ", "", regex=False)
    action = kind_text.map(REGISTER_KINDS, na_action="ignore")
    # A row with a closing reason but no kind is a closing.
    return action.where(action.notna() | reason.isna() | kind_text.notna(), "close")


def _register_frame(
    rows: Rows, action: pd.Series, community: pd.Series, who: Identity, reason: pd.Series
) -> pd.DataFrame:
    merge = normalize_ids(rows.col("merge_id")) if "merge_id" in rows.frame.columns else None
    event = parse_dates(rows.col("event_date"))
    out = pd.DataFrame({c: rows.frame[c] for c in SRC})
    out["action"] = action.astype("string")
    out["community"] = community.astype("string")
    out["name"] = who.name.astype("string")
    out["id"] = who.ids["id"].where(who.id_usable)
    out["phone"] = who.phones["phone"]
    out["reason"] = reason.astype("string")
    out["event_date"] = event["date"].astype("datetime64[ns]")
    out["merge_id"] = merge["id"] if merge is not None else pd.Series(pd.NA, index=out.index, dtype="string")
    out["merge_name"] = text_of(rows.col("merge_name")).astype("string")
    out["diagnosis"] = text_of(rows.col("diagnosis")).astype("string")
    out["note"] = text_of(rows.col("note")).astype("string")
    return out


# Per kind: its validator and the columns of its accepted frame.
VALIDATORS: dict[str, tuple[Validator, list[str]]] = {
    "roster": (_validate_roster, ROSTER_COLUMNS),
    "log": (_validate_log, LOG_COLUMNS),
    "quota": (_validate_quota, QUOTA_COLUMNS),
    "register": (_validate_register, REGISTER_COLUMNS),
}
