"""The commands that send and receive mail: send, remind, fetch."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any

import click

from pipeline.cli.app import (
    OUTPUT_OPTION,
    as_of_or_default,
    common_options,
    issued_lists,
    main,
    settings_from,
    table,
)
from pipeline.command import CONTEXT, DATE, FILE, FOLDER, UserError, guarded
from pipeline.settings import Settings


def _ledger(folder: Path, really: bool) -> Any:
    """The email ledger in archive.db. An unreadable archive.db stops a real delivery (without the
    ledger nothing would stop a second copy) but not a dry run, which gets an empty ledger."""
    from pipeline.store import ArchiveUnreadable, memory_db, open_db

    try:
        return open_db(folder)
    except ArchiveUnreadable as exc:
        if really:
            raise
        click.echo(f"注意：{exc}本次只预览，无法核对已发送的记录。", err=True)
        return memory_db()


def _dispatch(settings: Settings, plan: Any, *, really: bool, resend: bool, outbox: Path) -> None:
    """Dry run (write .eml files to ``outbox``) or send; print one line per message."""
    # Imported here, not at the top: pandas and the writers would slow down `screening --help`.
    from pipeline.mail import PASSWORD_ENV, dispatch, smtp_factory
    from pipeline.store import archive_folder

    for problem in plan.problems:
        click.echo(f"注意：{problem}")
    if not plan.messages:
        click.echo("没有要发送的邮件。")
        if plan.unaddressed:
            from pipeline.mail import address_example  # here: keeps `--help` fast

            click.echo("要用邮件发送，请在 config.toml 中填写发件邮箱和收件人，例如：")
            for line in address_example(settings):
                click.echo(f"    {line}")
        return
    transport = None
    secrets: tuple[str, ...] = ()
    if really:
        mail = settings.mail
        password: str | None = None
        if mail.user:
            password = os.environ.get(PASSWORD_ENV) or click.prompt(
                f"请输入邮箱 {mail.user} 的 SMTP 密码（授权码；不会保存，也可设置环境变量 {PASSWORD_ENV}）",
                hide_input=True,
            )
            if mail.security == "none":
                click.echo("注意：[mail] security = \"none\"，密码将以明文传输，建议改用 ssl 或 starttls。")
        transport = smtp_factory(mail, password)
        secrets = (password,) if password else ()
    conn = _ledger(archive_folder(settings), really)
    try:
        deliveries = dispatch(
            conn,
            settings,
            plan,
            send=really,
            outbox=outbox,
            now=dt.datetime.now().astimezone(),
            resend=resend,
            transport=transport,
            secrets=secrets,
        )
    finally:
        conn.close()
    rows = [
        [
            str(i),
            d.message.label,
            d.message.recipient,
            "、".join(a.name for a in d.message.attachments) or "—",
            d.status_text,
        ]
        for i, d in enumerate(deliveries, start=1)
    ]
    for line in table(["序号", "收件方", "邮箱", "附件", "结果"], rows):
        click.echo(line)
    counts = {s: sum(1 for d in deliveries if d.status == s) for s in ("draft", "sent", "failed", "skipped")}
    if not really:
        click.echo(
            f"以上为预览，没有发送：{counts['draft']} 封邮件已写入 {outbox}（跳过 {counts['skipped']} 封），"
            "请检查后加 --send 发送。"
        )
        return
    click.echo(f"发送成功 {counts['sent']} 封，失败 {counts['failed']} 封，跳过 {counts['skipped']} 封。")
    if counts["failed"]:
        sys.exit(3)


@main.command("send", context_settings=CONTEXT)
@click.option("--config", "config", default="config.toml", show_default=True,
              type=FILE, help="配置文件（[mail] 邮箱设置和收件人）。")
@click.option("--as-of", "as_of", type=DATE, default=None,
              help="发送哪一天的结果（output/<截至日期>/），如 2020-06-30。默认今天（超过项目结束日期时取结束日期）。")
@OUTPUT_OPTION
@click.option("--send", "really", is_flag=True, help="真正发送。默认只把邮件写到 output/<截至日期>/outbox/ 供检查。")
@click.option("--resend", is_flag=True, help="已经发给同一地址的相同附件也再发一次。")
@guarded
def send_command(config: Path, as_of: dt.date | None, output_dir: Path, really: bool, resend: bool) -> None:
    """用邮件发送结果：各社区只收到本社区的工作簿，领导收到领导版和通报，医疗机构收到核对清单。

    默认只预览：邮件写成 .eml 文件放在 output/<截至日期>/outbox/，检查无误后加 --send 发送。
    SMTP 密码只从环境变量 SCREENING_SMTP_PASSWORD 读取或当场输入，从不保存。
    """
    import json

    # Imported here, not at the top: pandas and the writers would slow down `screening --help`.
    from pipeline.mail import plan_send
    from pipeline.outputs.names import OUTBOX
    from pipeline.store import archive_folder

    settings = settings_from(config)
    day = as_of_or_default(as_of, settings)
    run_folder = output_dir / day.isoformat()
    summary_path = run_folder / "summary.json"
    if not summary_path.is_file():
        raise UserError(f"找不到 {summary_path}。请先运行 screening run --as-of {day.isoformat()}。")
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    plan = plan_send(settings, run_folder, summary, archive_folder(settings))
    _dispatch(settings, plan, really=really, resend=resend, outbox=run_folder / OUTBOX)


@main.command("remind", context_settings=CONTEXT)
@common_options
@OUTPUT_OPTION
@click.option("--send", "really", is_flag=True, help="真正发送。默认只把邮件写到 output/<截至日期>/outbox/催报/ 供检查。")
@guarded
def remind_command(input_dir: Path, as_of: dt.date | None, config: Path, output_dir: Path, really: bool) -> None:
    """花名册截止日期前催报：提醒尚未上报的社区，以及有未结随访事项的社区。

    截止日期见 config.toml 的 [rosters]：first_due（首次）和 update_days（此后每月的几号）。

    在截止日期前 [rosters] reminder_days_before 天内运行有效；同一截止日期不会重复催报。
    """
    # Imported here, not at the top: pandas and the writers would slow down `screening --help`.
    from pipeline.analyse import analyse
    from pipeline.archive import issued_from_archive
    from pipeline.mail import plan_remind, reminder_due
    from pipeline.outputs.folder import write_text_atomically
    from pipeline.outputs.names import OUTBOX, REMIND_OUTBOX, remind_text_name, run_folder

    settings = settings_from(config)
    day = as_of_or_default(as_of, settings)
    due, previous = reminder_due(settings, day)
    if due is None:
        click.echo(
            f"{day.isoformat()} 起 {settings.rosters.reminder_days_before} 天内没有花名册截止日期，无需催报。"
        )
        return
    result = analyse(input_dir, settings, day, exclude=[output_dir], issued=issued_lists(issued_from_archive(settings)))
    plan = plan_remind(settings, result)
    since = f"，统计 {previous.isoformat()} 以后的上报" if previous else ""
    click.echo(f"花名册截止日期：{due.isoformat()}{since}。")
    missing = [o.name for o in plan.owing if o.roster_missing]
    click.echo(f"尚未报送花名册的社区：{'、'.join(missing) if missing else '无'}")
    for o in plan.owing:
        if o.open_total:
            click.echo(f"  {o.name} 有待督促事项：{o.open_text}")
    text = write_text_atomically(run_folder(output_dir, day) / remind_text_name(due), plan.wechat_text)
    click.echo(f"微信群催报文字已写入：{text}")
    outbox = run_folder(output_dir, day) / OUTBOX / REMIND_OUTBOX
    _dispatch(settings, plan, really=really, resend=False, outbox=outbox)


@main.command("fetch", context_settings=CONTEXT)
@click.option("--config", "config", default="config.toml", show_default=True,
              type=FILE, help="配置文件（[mail.fetch] 收件邮箱，[mail.communities] 各社区的邮箱）。")
@click.option("--input", "input_dir", default="input", show_default=True,
              type=FOLDER, help="输入文件夹：附件保存到其中的 收件/ 子文件夹。")
@click.option("--since", type=DATE, default=None,
              help="列出这一天以来收到的邮件，如 2020-06-01。默认：上次收取的前一天（首次收取：项目开始日期）。")
@click.option("--save", is_flag=True, help="真正保存附件。默认只列出邮件和将要保存的位置，不写任何文件。")
@guarded
def fetch_command(config: Path, input_dir: Path, since: dt.date | None, save: bool) -> None:
    """从办事处邮箱收取各社区和卫生院报来的表格，保存到 input/收件/。

    列出每封邮件的发件人、主题、日期、附件，以及每个附件保存到哪里或为什么不保存。
    默认只预览；加 --save 才保存。只保存表格（按文件内容识别，含 zip 压缩包中的表格），
    同样内容的文件只保存一次，同名的不同文件自动加序号，从不覆盖。邮件不会被删除或移动，
    也不会标为已读（除非 [mail.fetch] mark_seen = true）。
    IMAP 密码只从环境变量 SCREENING_IMAP_PASSWORD 读取或当场输入，从不保存。
    """
    # Imported here, not at the top: the mail package would slow down `screening --help`.
    from pipeline.mail import (
        IMAP_PASSWORD_ENV,
        check_settings,
        fetch,
        fetch_report,
        imap_factory,
        mailbox_user,
    )
    from pipeline.store import archive_folder, open_db

    settings = settings_from(config)
    check_settings(settings)
    box, user = settings.mail.fetch, mailbox_user(settings)
    password = os.environ.get(IMAP_PASSWORD_ENV) or click.prompt(
        f"请输入邮箱 {user} 的 IMAP 密码（授权码；不会保存，也可设置环境变量 {IMAP_PASSWORD_ENV}）", hide_input=True
    )
    if box.security == "none":
        click.echo("注意：[mail.fetch] security = \"none\"，密码将以明文传输，建议改用 ssl 或 starttls。")
    connect = imap_factory(box, user, password, timeout=settings.mail.timeout_seconds)
    conn = open_db(archive_folder(settings))
    try:
        result = fetch(conn, settings, input_dir, connect=connect, since=since, save=save,
                       now=dt.datetime.now().astimezone())
    finally:
        conn.close()
    from pipeline.normalize.ids import mask_text  # start-up speed: pandas only for this command

    for line in fetch_report(result):
        click.echo(mask_text(line))


if __name__ == "__main__":  # pragma: no cover
    main()
