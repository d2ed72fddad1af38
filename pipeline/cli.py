"""The ``screening`` command. Only parses options and calls the library; no traceback ever
reaches the user: expected problems get a Chinese message, unexpected ones a line and a log file."""

from __future__ import annotations

import datetime as dt
import functools
import getpass
import logging
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from pipeline import __version__
from pipeline.calendar import default_as_of
from pipeline.fmt import printable
from pipeline.fmt import terminal_width as _width
from pipeline.normalize.ids import mask_text
from pipeline.problems import Severity, for_display
from pipeline.progress import Progress
from pipeline.settings import ScreeningError, Settings, load_settings

F = TypeVar("F", bound=Callable[..., Any])
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class UserError(click.ClickException):
    """A usage problem, shown in Chinese without click's English "Error:" prefix."""

    def show(self, file: Any = None) -> None:
        click.echo(f"错误：{self.format_message()}", err=True)


class DateParam(click.ParamType):
    name = "日期"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.date:
        if isinstance(value, dt.date):
            return value
        text = str(value).strip().replace("/", "-").replace(".", "-")
        try:
            return dt.date.fromisoformat("-".join(p.zfill(2) for p in text.split("-")))
        except ValueError:
            self.fail(f"日期 {value!r} 无法识别，请写成 2020-06-30 的格式。", param, ctx)


DATE = DateParam()


def _log_path(output: Path | None) -> Path:
    """``output/run.log``: in the output folder itself, never in ``output/<as-of>/`` (a failed run
    must neither leave a result folder holding only its log nor add a file to a complete result)."""
    return (output if output is not None else Path("output")) / "run.log"


def _write_log(path: Path, text: str) -> Path | None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(f"--- {dt.datetime.now().isoformat(timespec='seconds')} screening {__version__}\n")
            fh.write(mask_text(text) + "\n")
        return path
    except OSError:
        return None


def guarded(func: F) -> F:
    """Turn every failure into one Chinese line (details in a log file) and a non-zero exit."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ScreeningError as exc:
            click.echo(f"错误：{exc}", err=True)
            sys.exit(exc.exit_code)
        except click.exceptions.Exit:
            raise
        except click.ClickException:
            raise
        except KeyboardInterrupt:
            click.echo("已中断，输出文件夹保持上一次的完整结果。", err=True)
            sys.exit(130)
        except Exception as exc:  # noqa: BLE001 - the last line of defence for the user
            log = _write_log(_log_path(kwargs.get("output_dir")), traceback.format_exc())
            where = f"，详细信息已写入 {log}" if log else ""
            click.echo(f"程序内部错误（{type(exc).__name__}）{where}。请把该文件发给维护人员。", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def _settings(config: Path) -> Settings:
    return load_settings(config)


def _issued(issued: Any) -> dict[str, list[str]]:
    """The archive's issued lagging lists (a :class:`pipeline.integrity.IssuedLists`), saying why
    they are not used when the archive cannot be read or trusted: the run goes on without them."""
    for warning in issued.warnings:
        click.echo(warning, err=True)
    return dict(issued.lagging)


class _ChineseHelp:
    """Click's own help line in Chinese, like the rest of the help."""

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = "显示本帮助并退出。"
        return option


class Command(_ChineseHelp, click.Command):
    pass


class Group(_ChineseHelp, click.Group):
    command_class = Command
    group_class = type  # subgroups are of this class too


@click.group(cls=Group, context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", message="screening %(version)s", help="显示版本号并退出。")
def main() -> None:
    """两筛（免费孕期超声NT筛查和血清学筛查）进度统计工具。

    把各社区报来的花名册、卫生院的筛查登记和任务分配表放进 input 文件夹，运行
    `screening run`，结果写到 output/<截至日期>/ 下。
    """
    logging.basicConfig(level=logging.WARNING, format="%(message)s")


def _common(func: F) -> F:
    func = click.option(
        "--config",
        "config",
        default="config.toml",
        show_default=True,
        type=click.Path(path_type=Path, dir_okay=False),
        help="配置文件（项目时间、任务数、社区、列名等口径）。",
    )(func)
    func = click.option(
        "--as-of",
        "as_of",
        type=DATE,
        default=None,
        help="截至日期，如 2020-06-30。默认今天（超过项目结束日期时取结束日期）。晚于此日期的记录不计入。",
    )(func)
    func = click.option(
        "--input",
        "input_dir",
        default="input",
        show_default=True,
        type=click.Path(path_type=Path, file_okay=False),
        help="输入文件夹：各社区花名册、卫生院筛查登记、任务分配表、办事处登记（含子文件夹）。",
    )(func)
    return func


def _as_of(as_of: dt.date | None, settings: Settings) -> dt.date:
    return as_of if as_of is not None else default_as_of(dt.date.today(), settings)


_OUTPUT = click.option(
    "--output",
    "output_dir",
    default="output",
    show_default=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="输出文件夹（screening run 的结果在其中的 <截至日期>/ 子文件夹）。",
)


@main.command("run", context_settings=CONTEXT)
@_common
@click.option(
    "--output",
    "output_dir",
    default="output",
    show_default=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="输出文件夹；结果写在其中的 <截至日期>/ 子文件夹。",
)
@guarded
def run_command(input_dir: Path, output_dir: Path, as_of: dt.date | None, config: Path) -> None:
    """读取全部输入表格，核对、统计、排名，生成结果。

    结果写到 output/<截至日期>/：办事处汇总表、各社区工作簿（身份证号打码）、领导版、
    卫生院核对清单、数据问题清单、通报草稿（Word/网页/微信文字）、summary.json 和 manifest.json。
    """
    # Imported here, not at the top: pandas and the writers would slow down `screening --help`.
    from pipeline.analyse import analyse
    from pipeline.archive import issued_from_archive
    from pipeline.outputs.write import write_outputs
    from pipeline.terminal import run_report

    settings = _settings(config)
    day = _as_of(as_of, settings)
    issued = _issued(issued_from_archive(settings))
    progress = Progress()  # one status line on a terminal; silent in pipes, logs and tests
    try:
        result = analyse(
            input_dir,
            settings,
            day,
            exclude=[output_dir],
            issued=issued,
            on_stage=progress.stage,
            on_file=progress.file_read,
        )
        written = write_outputs(result, settings, output_dir, on_stage=progress.stage, on_item=progress.item)
    finally:
        progress.close()
    for line in run_report(result):
        click.echo(line)
    click.echo(f"结果已写入：{written.folder}")
    for path in written.files:
        click.echo(f"  {path.relative_to(written.folder).as_posix()}")


@main.command("check", context_settings=CONTEXT)
@_common
@_OUTPUT
@guarded
def check_command(input_dir: Path, as_of: dt.date | None, config: Path, output_dir: Path) -> None:
    """只读取和检查输入表格，列出数据问题和行数核对，不生成任何文件。"""
    # Imported here, not at the top: pandas would slow down `screening --help`.
    from pipeline.analyse import analyse
    from pipeline.archive import issued_from_archive
    from pipeline.terminal import run_report

    settings = _settings(config)
    day = _as_of(as_of, settings)
    issued = _issued(issued_from_archive(settings))
    result = analyse(input_dir, settings, day, exclude=[output_dir], issued=issued)
    for line in run_report(result):
        click.echo(line)
    frame = for_display(result.problems)
    if len(frame):
        click.echo("")
        click.echo("全部问题（错误和警告）：")
        for rec in frame[result.problems["severity"] != Severity.NOTE].to_dict("records"):
            row = f" 第{int(rec['row'])}行" if rec["row"] == rec["row"] and rec["row"] is not None else ""
            sheet = f" [{rec['sheet']}]" if rec["sheet"] else ""
            click.echo(printable(mask_text(f"  [{rec['severity']}] {rec['file']}{sheet}{row} {rec['column']} "
                                           f"{rec['value']}：{rec['message']}；{rec['fix']}")))


@main.command("demo", context_settings=CONTEXT)
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False), default="input")
@click.option("--seed", default=2020, show_default=True, help="随机种子：同一种子生成完全相同的文件。")
@click.option("--config", "config", default="config.toml", show_default=True,
              type=click.Path(path_type=Path, dir_okay=False), help="配置文件。")
@click.option("--force", is_flag=True, help="文件夹中已有文件时也写入（覆盖同名演示文件）。")
@guarded
def demo_command(folder: Path, seed: int, config: Path, force: bool) -> None:
    """生成一套演示用的输入表格（虚构人员），可直接运行 screening run 试用。"""
    from pipeline.demo import generate_demo  # here, not at the top: keeps `screening --help` fast

    settings = _settings(config)
    if folder.exists() and any(folder.iterdir()) and not force:
        raise UserError(f"文件夹 {folder} 不是空的。如确定要写入演示文件，请加 --force。")
    written = generate_demo(folder, settings, seed)
    click.echo(f"已生成 {len(written)} 个演示文件到 {folder}（虚构人员，仅供试用）。")


@main.command("template", context_settings=CONTEXT)
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False), default="output/模板")
@click.option("--config", "config", default="config.toml", show_default=True,
              type=click.Path(path_type=Path, dir_okay=False), help="配置文件（社区名单、列名、项目年份）。")
@click.option("--force", is_flag=True, help="覆盖文件夹中已有的同名模板（已填写的内容会丢失）。")
@guarded
def template_command(folder: Path, config: Path, force: bool) -> None:
    """生成空白表格模板：每个社区一份已孕对象花名册，以及办事处登记表。

    模板的表头、格式、下拉列表和填表说明与本工具的读取规则一致，填好后可直接放进 input 文件夹。
    默认写到 output/模板。
    """
    from pipeline.outputs.blank import write_templates  # here: keeps `--help` fast
    from pipeline.outputs.names import template_paths

    settings = _settings(config)
    existing = [p.name for p in template_paths(folder, settings) if p.exists()]
    if existing and not force:
        raise UserError(
            f"文件夹 {folder} 中已有模板 {'、'.join(existing)}，可能已经填写过。如确定要覆盖，请加 --force。"
        )
    written = write_templates(folder, settings)
    click.echo(f"已生成 {len(written)} 个空白模板到 {folder}：")
    for path in written:
        click.echo(f"  {path.name}")


# ----------------------------------------------------------------------------------------------
# The archive of issued circulars, email and reminders


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    """A plain-text table for a terminal where CJK characters take two columns."""
    widths = [max([_width(h)] + [_width(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=True)).rstrip()

    return [line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def _community_names(settings: Settings, keys: list[str]) -> str:
    names = {c.key: c.name for c in settings.communities}
    return "、".join(names.get(k, k) for k in keys) or "无"


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in the environment
        return "未知"




@main.group("archive", context_settings=CONTEXT)
def archive_group() -> None:
    """已印发通报的存档：issue 存档、list 列表、show 查看、verify 校验。

    存档在配置文件旁的 archive 文件夹（config.toml 的 [archive] folder），与 output 分开，
    清理输出不会影响存档。存档文件从不覆盖：同一期再次存档即为修订，原件保留。
    """


@archive_group.command("issue", context_settings=CONTEXT)
@_common
@click.option("--number", required=True, help="文号（办事处统一编号），如 7，印成“唐洲文〔2020〕7号”。必填。")
@click.option(
    "--period",
    default=None,
    help="要存档的通报期，如 2020-06-16..2020-06-30。默认：截至 --as-of 最近结束的一期。",
)
@click.option("--by", "issued_by", default=None, help="存档人。默认为当前系统用户。")
@click.option("--reason", default="", help="修订原因：同一期再次存档（修订）时必填。")
@_OUTPUT
@guarded
def archive_issue_command(
    input_dir: Path,
    as_of: dt.date | None,
    config: Path,
    output_dir: Path,
    number: str,
    period: str | None,
    issued_by: str | None,
    reason: str,
) -> None:
    """存档一期通报：按期末的数字生成填好文号的通报（Word、HTML），连同 summary.json 和汇总表存入档案。

    已存档各期的“工作落后”名单以印发的为准，用于以后各期“连续落后”的认定。
    """
    # Imported here, not at the top: pandas and the writers would slow down `screening --help`.
    from pipeline.analyse import analyse
    from pipeline.archive import archive_folder, check_issue, issue, issued_lagging, resolve_period

    settings = _settings(config)
    day = _as_of(as_of, settings)
    folder = archive_folder(settings)
    _, start, end = resolve_period(settings, day, period)
    check_issue(folder, settings, end, number, reason)
    # The period itself is computed afresh (a revision corrects it); earlier issued periods drive the streaks.
    issued = {k: v for k, v in issued_lagging(folder).items() if k != end.isoformat()}
    result = analyse(input_dir, settings, end, exclude=[output_dir], issued=issued)
    record = issue(
        folder,
        settings,
        result,
        number=number,
        issued_at=dt.datetime.now(),
        issued_by=issued_by or _os_user(),
        reason=reason,
    )
    for warning in record.warnings:
        click.echo(warning)
    click.echo(
        f"已存档：第{record.period_number}期通报（{start} 至 {end}），{record.doc_number}，{record.revision_text}"
        f"（存档编号 {record.id}）"
    )
    click.echo(f"工作落后的社区：{_community_names(settings, record.lagging)}")
    click.echo(f"存档位置：{folder / record.folder}")
    for f in record.files:
        click.echo(f"  {f.name}")


_archive_config = click.option(
    "--config",
    "config",
    default="config.toml",
    show_default=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="配置文件（确定存档文件夹）。",
)


@archive_group.command("list", context_settings=CONTEXT)
@_archive_config
@guarded
def archive_list_command(config: Path) -> None:
    """列出全部已存档的通报（含各次修订）。"""
    from pipeline.archive import archive_folder, list_circulars  # here: keeps `--help` fast

    settings = _settings(config)
    folder = archive_folder(settings)
    records = list_circulars(folder)
    if not records:
        click.echo(f"档案 {folder} 中还没有已存档的通报。用 screening archive issue --number 文号 存档。")
        return
    rows = [
        [
            str(r.id),
            f"第{r.period_number}期" if r.period_number else "",
            f"{r.period_start} 至 {r.period_end}",
            r.doc_number,
            r.revision_text,
            r.issued_at.replace("T", " "),
            r.issued_by,
            _community_names(settings, r.lagging),
            r.reason,
        ]
        for r in records
    ]
    for line in _table(["编号", "期次", "通报期", "文号", "版本", "存档时间", "存档人", "工作落后的社区", "修订原因"], rows):
        click.echo(line)


@archive_group.command("show", context_settings=CONTEXT)
@click.argument("circular_id", metavar="编号", type=int)
@_archive_config
@guarded
def archive_show_command(circular_id: int, config: Path) -> None:
    """查看一份已存档通报的详细信息和文件（编号见 screening archive list）。"""
    from pipeline.archive import archive_folder, show  # here: keeps `--help` fast

    settings = _settings(config)
    folder = archive_folder(settings)
    r = show(folder, circular_id)
    rows = [
        ["存档编号", str(r.id)],
        ["通报期", f"第{r.period_number}期 {r.period_start} 至 {r.period_end}" if r.period_number else
         f"{r.period_start} 至 {r.period_end}"],
        ["文号", r.doc_number],
        ["版本", r.revision_text],
        ["修订原因", r.reason or "—"],
        ["存档时间", r.issued_at.replace("T", " ")],
        ["存档人", r.issued_by],
        ["数字截至", r.as_of],
        ["工作落后的社区", _community_names(settings, r.lagging)],
        ["存档位置", str(folder / r.folder)],
    ]
    for line in _table(["项目", "内容"], rows):
        click.echo(line)
    click.echo("")
    files = [[f.name, f"{f.size:,}", f.sha256] for f in r.files]
    for line in _table(["文件", "字节", "sha256"], files):
        click.echo(line)


@archive_group.command("verify", context_settings=CONTEXT)
@_archive_config
@guarded
def archive_verify_command(config: Path) -> None:
    """重新计算每个存档文件的 sha256，报告被改动、丢失或多出的文件（有问题时退出码为 3）。"""
    from pipeline.archive import archive_folder, recover, verify  # here: keeps `--help` fast
    from pipeline.integrity import archive_head
    from pipeline.store import ArchiveUnreadable

    settings = _settings(config)
    folder = archive_folder(settings)
    try:
        for note in recover(folder):  # an interrupted issue: completed, or its folder moved aside
            click.echo(f"注意：{note}")
    except ArchiveUnreadable:
        pass  # verify says so below
    checked, problems = verify(folder)
    if not checked and not problems:
        click.echo(f"档案 {folder} 中还没有已存档的通报，无需校验。")
        return
    if not problems:
        click.echo(f"已校验 {checked} 个存档文件和每条档案记录的校验链，全部与存档时一致。")
        click.echo(f"档案链末端校验值：{archive_head(folder)}（可抄录在档案之外，日后核对档案没有被整体改写）")
        return
    rows = [[str(p.circular_id or ""), p.doc_number, p.file, p.problem] for p in problems]
    for line in _table(["编号", "文号", "文件", "问题"], rows):
        click.echo(line)
    click.echo(f"已校验 {checked} 个存档文件，发现 {len(problems)} 个问题。存档不应改动，请从备份恢复。")
    sys.exit(3)


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
    for line in _table(["序号", "收件方", "邮箱", "附件", "结果"], rows):
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
              type=click.Path(path_type=Path, dir_okay=False), help="配置文件（[mail] 邮箱设置和收件人）。")
@click.option("--as-of", "as_of", type=DATE, default=None,
              help="发送哪一天的结果（output/<截至日期>/），如 2020-06-30。默认今天（超过项目结束日期时取结束日期）。")
@_OUTPUT
@click.option("--send", "really", is_flag=True, help="真正发送。默认只把邮件写到 output/<截至日期>/outbox/ 供检查。")
@click.option("--resend", is_flag=True, help="已经发给同一地址的相同附件也再发一次。")
@guarded
def send_command(config: Path, as_of: dt.date | None, output_dir: Path, really: bool, resend: bool) -> None:
    """用邮件发送结果：各社区只收到本社区的工作簿，领导收到领导版和通报，卫生院收到核对清单。

    默认只预览：邮件写成 .eml 文件放在 output/<截至日期>/outbox/，检查无误后加 --send 发送。
    SMTP 密码只从环境变量 SCREENING_SMTP_PASSWORD 读取或当场输入，从不保存。
    """
    import json

    # Imported here, not at the top: pandas and the writers would slow down `screening --help`.
    from pipeline.mail import plan_send
    from pipeline.outputs.names import OUTBOX
    from pipeline.store import archive_folder

    settings = _settings(config)
    day = _as_of(as_of, settings)
    run_folder = output_dir / day.isoformat()
    summary_path = run_folder / "summary.json"
    if not summary_path.is_file():
        raise UserError(f"找不到 {summary_path}。请先运行 screening run --as-of {day.isoformat()}。")
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    plan = plan_send(settings, run_folder, summary, archive_folder(settings))
    _dispatch(settings, plan, really=really, resend=resend, outbox=run_folder / OUTBOX)


@main.command("remind", context_settings=CONTEXT)
@_common
@_OUTPUT
@click.option("--send", "really", is_flag=True, help="真正发送。默认只把邮件写到 output/<截至日期>/outbox/催报/ 供检查。")
@guarded
def remind_command(input_dir: Path, as_of: dt.date | None, config: Path, output_dir: Path, really: bool) -> None:
    """花名册截止日期前催报：提醒尚未上报的社区，以及有未结随访事项的社区。

    截止日期见 config.toml 的 [rosters]（默认每月8日、18日、28日）。

    在截止日期前 [rosters] reminder_days_before 天内运行有效；同一截止日期不会重复催报。
    """
    # Imported here, not at the top: pandas and the writers would slow down `screening --help`.
    from pipeline.analyse import analyse
    from pipeline.archive import issued_from_archive
    from pipeline.mail import plan_remind, reminder_due
    from pipeline.outputs.names import OUTBOX, REMIND_OUTBOX

    settings = _settings(config)
    day = _as_of(as_of, settings)
    due, previous = reminder_due(settings, day)
    if due is None:
        click.echo(
            f"{day.isoformat()} 起 {settings.rosters.reminder_days_before} 天内没有花名册截止日期，无需催报。"
        )
        return
    result = analyse(input_dir, settings, day, exclude=[output_dir], issued=_issued(issued_from_archive(settings)))
    plan = plan_remind(settings, result)
    since = f"，统计 {previous.isoformat()} 以后的上报" if previous else ""
    click.echo(f"花名册截止日期：{due.isoformat()}{since}。")
    outbox = output_dir / day.isoformat() / OUTBOX / REMIND_OUTBOX
    _dispatch(settings, plan, really=really, resend=False, outbox=outbox)


if __name__ == "__main__":  # pragma: no cover
    main()
