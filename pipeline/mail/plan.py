"""What to send to whom (pure): the run's workbooks and circular per recipient (``plan_send``) and the
roster reminders before a due date (``plan_remind``). Addresses come from ``[mail]``; a missing address
is reported, never guessed. Subjects and bodies carry community-level figures only."""


from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.archive import list_circulars
from pipeline.calendar import due_dates
from pipeline.fmt import cn_date, fmt_num, fmt_pct
from pipeline.mail.message import ADDRESS_PATTERN, Attachment, Outgoing, Owing, Plan, render_mail
from pipeline.model import Analysis
from pipeline.outputs.circular import document_number, render
from pipeline.outputs.names import (
    circular_names,
    community_attachment_name,
    community_filename,
    health_centre_filename,
    leaders_filename,
)
from pipeline.settings import TEST_LABELS, TESTS, Settings
from pipeline.wording import health_centre, org_words

TEMPLATE_COMMUNITY = "mail_community.txt.j2"
TEMPLATE_LEADERS = "mail_leaders.txt.j2"
TEMPLATE_HEALTH_CENTRE = "mail_health_centre.txt.j2"
TEMPLATE_REMIND = "mail_remind.txt.j2"
TEMPLATE_REMIND_WECHAT = "remind_wechat.txt.j2"

FOLLOWUP_MAIL_LABELS = {
    "open": "正在窗口期内、尚未筛查",
    "soon": "{days}天内进入窗口期",
    "no_dates": "末次月经等日期缺失、无法推算孕周",
    "missed": "已错过窗口期、仍可补筛",
}
# What a reminder chases: the open items (a missed window can no longer be caught up).
REMIND_ITEMS = ("open", "soon", "no_dates")



# ----------------------------------------------------------------------------------------------
# Addresses


def _valid(values: Iterable[str], who: str, problems: list[str]) -> list[str]:
    out: list[str] = []
    for raw in values:
        address = str(raw).strip()
        if not address:
            continue
        if not ADDRESS_PATTERN.match(address):
            problems.append(f"{who}：邮箱地址 {address!r} 格式不对，未发送。")
            continue
        if address.lower() not in (a.lower() for a in out):
            out.append(address)
    return out


def community_addresses(settings: Settings) -> tuple[dict[str, tuple[str, ...]], list[str]]:
    """Community key -> addresses from ``[mail.communities]`` (keyed by key, name or short name),
    and warnings for entries that name no configured community."""
    configured = settings.mail.communities
    found: dict[str, tuple[str, ...]] = {}
    used: set[str] = set()
    # A name two townships share (王庄村) addresses neither: the key or 城关镇王庄村 must be used.
    shared = Counter(n for c in settings.communities for n in {c.name, c.short} if n)
    for c in settings.communities:
        names = (c.key, settings.display_name(c.key), *(n for n in (c.name, c.short) if shared[n] == 1))
        for k in names:
            if k and k in configured:
                found[c.key] = configured[k]
                used.add(k)
                break
    unknown = [
        f"config.toml [mail.communities] 中的“{k}”是多个乡镇都有的名称，已忽略（请写明乡镇，如“{_example(settings, k)}”）。"
        if shared[k] > 1
        else f"config.toml [mail.communities] 中的“{k}”不是配置中的社区，已忽略（社区名称应与 [[communities]] 一致）。"
        for k in configured
        if k not in used
    ]
    return found, unknown


def _example(settings: Settings, name: str) -> str:
    """The unambiguous name of the first community called ``name``."""
    return next(settings.display_name(c.key) for c in settings.communities if name in (c.name, c.short))


# ----------------------------------------------------------------------------------------------
# Template context (community-level figures only)


def _community_context(c: dict[str, Any], settings: Settings) -> dict[str, Any]:
    # Women, not rows (a woman is listed once per test); "missed": those who can still be screened.
    women = c.get("followup_women")
    source = {**women, "missed": women.get("missed_screenable", 0)} if women else c.get("followup") or {}
    followup = {k: int(source.get(k, 0)) for k in ("open", "soon", "missed", "no_dates")}
    high_risk = int(c.get("high_risk_awaiting_diagnosis") or 0)
    days = settings.followup.opening_within_days

    def items(keys: Sequence[str]) -> list[dict[str, Any]]:
        out = [
            {"label": FOLLOWUP_MAIL_LABELS[k].format(days=days), "count": followup[k]} for k in keys if followup[k]
        ]
        if high_risk:
            out.append({"label": "高风险待产前诊断", "count": high_risk})
        return out

    all_items = items(("open", "soon", "no_dates", "missed"))
    open_items = items(REMIND_ITEMS)
    return {
        # The name people read: the shortest path unique in the organisation (城关镇王庄村).
        "name": c.get("display_name") or c["name"],
        "key": c.get("key", c["name"]),
        "rank_text": "—" if c.get("rank") is None else fmt_num(c["rank"]),
        "rate_text": fmt_pct(c.get("rate")),
        "tests": [
            {
                "label": TEST_LABELS[t],
                "done": fmt_num(c["done"].get(t)),
                "expected": fmt_num(c["expected"].get(t)),
                "quota": fmt_num(c["quota"].get(t)),
                "rate": fmt_pct((c.get("rates") or {}).get(t)),
            }
            for t in TESTS
        ],
        "lagging": bool(c.get("lagging")),
        "consequence": c.get("consequence") or "",
        "commendation": c.get("commendation") or "",
        "followup_items": all_items,
        "followup_text": "，".join(f"{i['label']} {i['count']} 人" for i in all_items),
        "followup_total": sum(i["count"] for i in all_items),
        "open_items": open_items,
        "open_text": "，".join(f"{i['label']} {i['count']} 人" for i in open_items),
        "open_total": sum(i["count"] for i in open_items),
    }


def mail_context(summary: dict[str, Any], settings: Settings) -> dict[str, Any]:
    as_of = dt.date.fromisoformat(summary["as_of"])
    raw = summary.get("circular_period")
    period = None
    if raw:
        start, end = dt.date.fromisoformat(raw["start"]), dt.date.fromisoformat(raw["end"])
        period = {
            "number": raw["number"],
            "end": raw["end"],
            "text": f"{cn_date(start)}至{cn_date(end, year=end.year != start.year)}",
        }
    communities = [_community_context(c, settings) for c in summary.get("communities") or []]
    ranked = sorted(
        communities,
        key=lambda c: (c["rank_text"] == "—", float(c["rank_text"]) if c["rank_text"] != "—" else 0.0),
    )
    totals = summary.get("totals") or {}
    return {
        "programme": settings.programme.name,
        "issuer": settings.programme.issuer,
        "sender_name": settings.mail.sender_name or settings.programme.issuer,
        "health_centre": settings.directory.health_centre,
        "health_centre_short": health_centre(settings),
        "org": org_words(settings).context(),
        "as_of": as_of.isoformat(),
        "as_of_text": cn_date(as_of),
        "period": period,
        "communities": communities,
        "ranking": ranked,
        "community_count": len(communities),
        "lagging_names": [c["name"] for c in communities if c["lagging"]],
        "totals": [
            {
                "label": TEST_LABELS[t],
                "done": fmt_num((totals.get("done") or {}).get(t)),
                "expected": fmt_num((totals.get("expected") or {}).get(t)),
                "quota": fmt_num((totals.get("quota") or {}).get(t)),
            }
            for t in TESTS
        ],
        "goal": totals.get("goal"),
        "hotline": settings.programme.hotline,
    }


def _by_key(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c.get("key", c["name"]): c for c in summary.get("communities") or []}


# ----------------------------------------------------------------------------------------------
# Plans


def issued_circular(archive_dir: Path | None, period_end: str | None) -> tuple[Path, str] | None:
    """The Word file and document number of the latest issued revision of the period, if any."""
    if archive_dir is None or period_end is None:
        return None

    records = [r for r in list_circulars(archive_dir) if r.period_end == period_end]
    if not records:
        return None
    record = max(records, key=lambda r: r.revision)
    docx = [f for f in record.files if f.name.endswith(".docx")]
    if not docx:
        return None
    return archive_dir / record.folder / docx[0].name, record.doc_number


def plan_send(
    settings: Settings, run_folder: Path, summary: dict[str, Any], archive_dir: Path | None = None
) -> Plan:
    """The messages of ``screening send`` for the run in ``run_folder`` (``output/<as-of>/``)."""

    as_of = dt.date.fromisoformat(summary["as_of"])
    ctx = mail_context(summary, settings)
    period_end = ctx["period"]["end"] if ctx["period"] else None
    plan = Plan()
    hint = f"请先运行 screening run --as-of {as_of.isoformat()}"

    def attachment(path: Path, who: str, name: str | None = None) -> Attachment | None:
        if not path.is_file():
            plan.problems.append(f"{who}：找不到附件 {path}（{hint}），未发送。")
            return None
        return Attachment.from_path(path, name)

    # The circular goes to its addressees, every community, and to the leaders: the issued one once
    # archived, else the draft. Looked up once; a missing file is reported once.
    issued = issued_circular(archive_dir, period_end)
    circular_path, doc_number = issued if issued is not None else (run_folder / circular_names(as_of).docx, "")
    circular = attachment(circular_path, "通报") if (issued is not None or circular_path.is_file()) else None
    addresses, unknown = community_addresses(settings)
    plan.problems.extend(unknown)
    entries = _by_key(summary)
    for c in settings.communities:
        name = settings.display_name(c.key)  # unambiguous in a county (城关镇王庄村)
        to = _valid(addresses.get(c.key, ()), name, plan.problems)
        if not to:
            plan.unaddressed = True
            plan.problems.append(f"{name}：未配置邮箱地址（config.toml [mail.communities]），本社区工作簿未发送。")
            continue
        if c.key not in entries:
            plan.problems.append(f"{name}：summary.json 中没有该社区，未发送。")
            continue
        att = attachment(
            run_folder / community_filename(settings, c.key), name, community_attachment_name(name, as_of)
        )
        if att is None:
            continue
        files = [att] if circular is None else [att, circular]
        context = {
            **ctx,
            "c": _community_context(entries[c.key], settings),
            "attachment_names": [a.name for a in files],
            "doc_number": doc_number,
        }
        subject, body = render_mail(TEMPLATE_COMMUNITY, context, settings)
        for address in to:
            plan.messages.append(Outgoing("community", name, address, subject, body, files, as_of, period_end))

    leaders = _valid(settings.mail.leaders, "领导", plan.problems)
    if not leaders:
        plan.unaddressed = True
        plan.problems.append("领导：未配置邮箱地址（config.toml [mail] leaders），领导版和通报未发送。")
    else:
        book = attachment(run_folder / leaders_filename(as_of), "领导")
        if circular is None:
            circular = attachment(circular_path, "领导")
        files = [a for a in (book, circular) if a is not None]
        if book is not None and circular is not None:
            context = {
                **ctx,
                "attachment_names": [a.name for a in files],
                "doc_number": doc_number,
                "draft_number": document_number(settings, None),
            }
            subject, body = render_mail(TEMPLATE_LEADERS, context, settings)
            for address in leaders:
                plan.messages.append(Outgoing("leaders", "领导", address, subject, body, files, as_of, period_end))

    centre = ctx["health_centre"]
    to = _valid(settings.mail.health_centre, centre, plan.problems)
    if not to:
        plan.unaddressed = True
        plan.problems.append(f"{centre}：未配置邮箱地址（config.toml [mail] health_centre），核对清单未发送。")
    else:
        att = attachment(run_folder / health_centre_filename(settings, as_of), centre)
        if att is not None:
            subject, body = render_mail(TEMPLATE_HEALTH_CENTRE, {**ctx, "attachment_names": [att.name]}, settings)
            for address in to:
                plan.messages.append(
                    Outgoing("health_centre", centre, address, subject, body, [att], as_of, period_end)
                )
    return plan


def reminder_due(settings: Settings, as_of: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """The next roster due date within ``rosters.reminder_days_before`` days from ``as_of``
    (inclusive), and the due date before it (None for the first)."""

    dues = due_dates(settings, settings.programme.end)
    ahead = as_of + dt.timedelta(days=settings.rosters.reminder_days_before)
    coming = [d for d in dues if as_of <= d <= ahead]
    if not coming:
        return None, None
    due = coming[0]
    before = [d for d in dues if d < due]
    return due, (before[-1] if before else None)


def submitted_since(submissions: pd.DataFrame, after: dt.date | None, as_of: dt.date) -> set[str]:
    """Communities with a roster submission dated after ``after`` and by ``as_of``."""

    if submissions.empty:
        return set()
    subs = submissions.dropna(subset=["report_date", "community"])
    dates = pd.to_datetime(subs["report_date"])
    keep = dates <= pd.Timestamp(as_of)
    if after is not None:
        keep &= dates > pd.Timestamp(after)
    return {str(c) for c in subs.loc[keep, "community"]}


def plan_remind(settings: Settings, result: Analysis) -> Plan:
    """The reminders (催报) for the next due date: to each community that has not yet submitted its
    roster for it, and to those with open follow-up items (counts only; the names are in its
    workbook). ``owing`` lists them whether or not they have an address, and ``wechat_text`` says
    the same for the office's WeChat group. Nothing when no due date falls within the window."""
    as_of = result.as_of
    due, previous = reminder_due(settings, as_of)
    plan = Plan(due_date=due)
    if due is None:
        return plan
    submitted = submitted_since(result.reconciled.submissions, previous, as_of)
    ctx = {
        **mail_context(result.summary, settings),
        "due_text": cn_date(due),
        "previous_text": cn_date(previous) if previous else "",
        "days_left": (due - as_of).days,
        "update_days_text": "、".join(f"{d}日" for d in sorted(settings.rosters.update_days)),
    }
    entries = _by_key(result.summary)
    addresses, unknown = community_addresses(settings)
    plan.problems.extend(unknown)
    for c in settings.communities:
        name = settings.display_name(c.key)
        entry = _community_context(entries[c.key], settings) if c.key in entries else None
        owing = Owing(name, c.key not in submitted, entry["open_total"] if entry else 0,
                      entry["open_text"] if entry else "")
        if not owing.roster_missing and not owing.open_total:
            continue
        plan.owing.append(owing)
        to = _valid(addresses.get(c.key, ()), name, plan.problems)
        if not to:
            plan.unaddressed = True
            plan.problems.append(f"{name}：未配置邮箱地址（config.toml [mail.communities]），催报未发送。")
            continue
        context = {
            **ctx,
            "c": entry or {"name": name, "open_items": [], "open_text": "", "open_total": 0},
            "roster_missing": owing.roster_missing,
        }
        subject, body = render_mail(TEMPLATE_REMIND, context, settings)
        for address in to:
            plan.messages.append(
                Outgoing("remind", name, address, subject, body, [], as_of, due_date=due.isoformat())
            )
    plan.wechat_text = render(TEMPLATE_REMIND_WECHAT, {**ctx, "owing": plan.owing}, settings)
    return plan


def address_example(settings: Settings) -> list[str]:
    """The config lines a user fills in to send mail, with this office's own community names."""
    names = [settings.display_name(c.key) for c in settings.communities]
    return [
        "[mail]",
        'host = "smtp.163.com"                 # 发件邮箱的 SMTP 服务器',
        'user = "jsb@163.com"                  # 登录邮箱（密码用环境变量 SCREENING_SMTP_PASSWORD 或运行时输入）',
        'sender = "jsb@163.com"',
        'leaders = ["leader@example.cn"]       # 领导版和通报',
        f'health_centre = ["wsy@example.cn"]    # {health_centre(settings)}核对清单',
        "",
        f"[mail.communities]                    # 每个{org_words(settings).unit}的专干邮箱",
        *(f'"{n}" = ["{i + 1}@example.cn"]' for i, n in enumerate(names[:3])),
        *(["# ……其余社区同样填写"] if len(names) > 3 else []),
    ]
