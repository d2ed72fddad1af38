"""The ``screening`` command. Only parses options and calls the library; no traceback ever
reaches the user: expected problems get a Chinese message, unexpected ones a line and a log file."""

from __future__ import annotations

import datetime as dt
import functools
import getpass
import logging
import os
import re
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from pipeline import __version__
from pipeline.calendar import default_as_of
from pipeline.configure import QUESTIONS, Question, collect, config_text, option_help, show, summary_lines
from pipeline.fmt import printable
from pipeline.fmt import terminal_width as _width
from pipeline.normalize.ids import mask_text
from pipeline.problems import Severity, for_display
from pipeline.progress import Progress
from pipeline.settings import ScreeningError, Settings, load_settings
from pipeline.wording import org_words

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


def _temp_log_path() -> Path:
    """Where a command that promises to write nothing (``check``) logs an internal error."""
    return Path(tempfile.gettempdir()) / f"screening-{dt.datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}.log"


def _write_log(path: Path, text: str) -> Path | None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(f"--- {dt.datetime.now().isoformat(timespec='seconds')} screening {__version__}\n")
            fh.write(mask_text(text) + "\n")
        return path
    except OSError:
        return None


def _quiet_closed_pipe() -> None:
    """The reader of our output went away (``screening check | head``): stop quietly. Standard
    output is pointed at the null device so that the final flush raises nothing either."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (a test runner's stream)
        pass


def guarded(func: F | None = None, *, writes_output: bool = True) -> Any:
    """Turn every failure into one Chinese line (details in a log file) and a non-zero exit.

    The log goes to ``output/run.log``; a command that writes nothing (``writes_output=False``)
    logs to a temporary file instead and names it."""

    def decorate(command: F) -> F:
        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return command(*args, **kwargs)
            except ScreeningError as exc:
                click.echo(f"错误：{exc}", err=True)
                sys.exit(exc.exit_code)
            except (click.exceptions.Exit, click.ClickException):
                raise
            except BrokenPipeError:
                _quiet_closed_pipe()
                sys.exit(0)
            except KeyboardInterrupt:
                click.echo("已中断，输出文件夹保持上一次的完整结果。", err=True)
                sys.exit(130)
            except Exception as exc:  # noqa: BLE001 - the last line of defence for the user
                target = (
                    _log_path(kwargs.get("output_dir"))
                    if writes_output
                    else _temp_log_path()
                )
                log = _write_log(target, traceback.format_exc())
                where = f"，详细信息已写入 {log}" if log else ""
                click.echo(f"程序内部错误（{type(exc).__name__}）{where}。请把该文件发给维护人员。", err=True)
                sys.exit(1)

        return wrapper  # type: ignore[return-value]

    return decorate(func) if func is not None else decorate


class FileParam(click.ParamType):
    """A file path (a config file): a folder is refused in Chinese; existence is checked later."""

    name = "文件"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Path:
        path = Path(value)
        if path.is_dir():
            self.fail(f"{path} 是一个文件夹，这里需要一个文件（如 config.toml）的路径。", param, ctx)
        return path


class FolderParam(click.ParamType):
    """A folder path: an existing file is refused in Chinese."""

    name = "文件夹"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Path:
        path = Path(value)
        if path.exists() and not path.is_dir():
            self.fail(f"{path} 是一个文件，不是文件夹，这里需要一个文件夹的路径。", param, ctx)
        return path


FILE = FileParam()
FOLDER = FolderParam()

# Click's own usage errors, in Chinese (the English text is matched where Click gives no structure).
_USAGE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"No such command '(.+)'\."), "没有命令“\\1”。"),
    (re.compile(r"Got unexpected extra arguments? \((.+)\)"), "多余的参数：\\1。"),
    (re.compile(r"Option '(.+)' requires an argument\."), "选项 \\1 后面需要给出一个值。"),
    (re.compile(r"Option '(.+)' does not take a value\."), "选项 \\1 不需要值。"),
    (re.compile(r"'(.+)' is not a valid integer(?: range)?\."), "“\\1”不是整数。"),
)


def _usage_message(exc: click.UsageError) -> str:
    if isinstance(exc, click.NoSuchOption):
        hint = f"（是不是 {'、'.join(exc.possibilities)}？）" if exc.possibilities else ""
        return f"没有选项 {exc.option_name}{hint}。"
    if isinstance(exc, click.MissingParameter) and exc.param is not None:
        return f"缺少必须给出的 {' / '.join(exc.param.opts) or exc.param.name}。"
    text = exc.format_message()
    if isinstance(exc, click.BadParameter) and exc.param is not None:
        where = " / ".join(exc.param.opts) or str(exc.param.name)
        text = exc.message
        for pattern, chinese in _USAGE_PATTERNS:
            text = pattern.sub(chinese, text)
        return f"{where} 的值有误：{text}"
    for pattern, chinese in _USAGE_PATTERNS:
        if pattern.search(text):
            return pattern.sub(chinese, text)
    return f"命令行有误：{text}"


def _show_usage_error(exc: click.UsageError) -> None:
    click.echo(f"错误：{_usage_message(exc)}", err=True)
    if exc.ctx is not None:
        path = exc.ctx.command_path
        click.echo(f"用法：{path} [选项]；用 {path} --help 查看全部选项和说明。", err=True)


def _settings(config: Path) -> Settings:
    return load_settings(config)


def _issued(issued: Any) -> dict[str, list[str]]:
    """The archive's issued lagging lists (a :class:`pipeline.integrity.IssuedLists`), saying why
    they are not used when the archive cannot be read or trusted: the run goes on without them."""
    for warning in issued.warnings:
        click.echo(warning, err=True)
    return dict(issued.lagging)


class _ChineseHelp:
    """Click's own words in Chinese: the help line, the usage line and the section headings."""

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = "显示本帮助并退出。"
        return option

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        pieces = self.collect_usage_pieces(ctx)  # type: ignore[attr-defined]
        formatter.write_usage(ctx.command_path, " ".join(pieces).replace("[OPTIONS]", "[选项]"), prefix="用法：")

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        params = [p for p in self.get_params(ctx) if isinstance(p, click.Option)]  # type: ignore[attr-defined]
        rows = [rv for p in params if (rv := p.get_help_record(ctx)) is not None]
        if rows:
            with formatter.section("选项"):
                formatter.write_dl(rows)
        commands = getattr(self, "format_commands", None)
        if commands is not None:
            commands(ctx, formatter)


class Command(_ChineseHelp, click.Command):
    pass


class Group(_ChineseHelp, click.Group):
    command_class = Command
    group_class = type  # subgroups are of this class too

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("subcommand_metavar", "命令 [参数]...")
        super().__init__(*args, **kwargs)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                rows.append((name, cmd.get_short_help_str(formatter.width - 6 - len(name))))
        if rows:
            with formatter.section("命令"):
                formatter.write_dl(rows)

    def main(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """Click's standalone handling, with its usage errors in Chinese and a closed pipe quiet."""
        if kwargs.get("standalone_mode", True) is False:
            return super().main(*args, **kwargs)
        kwargs["standalone_mode"] = False
        try:
            code = super().main(*args, **kwargs)
        except click.UsageError as exc:
            _show_usage_error(exc)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("已取消。", err=True)
            sys.exit(1)
        except BrokenPipeError:
            _quiet_closed_pipe()
            sys.exit(0)
        sys.exit(code if isinstance(code, int) else 0)


@click.group(cls=Group, context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", message="screening %(version)s", help="显示版本号并退出。")
def main() -> None:
    """两筛（免费孕期超声NT筛查和血清学筛查）进度统计工具。

    把各社区报来的花名册、卫生院（卫生服务中心）的筛查登记和任务分配表放进 input 文件夹，运行
    `screening run`，结果写到 output/<截至日期>/ 下。
    """
    logging.basicConfig(level=logging.WARNING, format="%(message)s")


def _common(func: F) -> F:
    func = click.option(
        "--config",
        "config",
        default="config.toml",
        show_default=True,
        type=FILE,
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
        type=FOLDER,
        help="输入文件夹：各社区花名册、筛查登记、任务分配表、办事处登记（含子文件夹）。",
    )(func)
    return func


def _as_of(as_of: dt.date | None, settings: Settings) -> dt.date:
    return as_of if as_of is not None else default_as_of(dt.date.today(), settings)


_OUTPUT = click.option(
    "--output",
    "output_dir",
    default="output",
    show_default=True,
    type=FOLDER,
    help="输出文件夹（screening run 的结果在其中的 <截至日期>/ 子文件夹）。",
)


@main.command("run", context_settings=CONTEXT)
@_common
@click.option(
    "--output",
    "output_dir",
    default="output",
    show_default=True,
    type=FOLDER,
    help="输出文件夹；结果写在其中的 <截至日期>/ 子文件夹。",
)
@guarded
def run_command(input_dir: Path, output_dir: Path, as_of: dt.date | None, config: Path) -> None:
    """读取全部输入表格，核对、统计、排名，生成结果。

    结果写到 output/<截至日期>/：办事处汇总表、各社区工作簿（身份证号打码）、领导版、
    医疗机构核对清单、数据问题清单、通报草稿（Word/网页/微信文字）、summary.json 和 manifest.json。
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
    for line in run_report(result, settings):
        click.echo(line)
    click.echo(f"结果已写入：{written.folder}")
    for path in written.files:
        click.echo(f"  {path.relative_to(written.folder).as_posix()}")


@main.command("check", context_settings=CONTEXT)
@_common
@_OUTPUT
@guarded(writes_output=False)
def check_command(input_dir: Path, as_of: dt.date | None, config: Path, output_dir: Path) -> None:
    """检查配置文件，再读取和检查输入表格，列出数据问题和行数核对，不生成任何文件。

    输入文件夹还不存在或是空的（刚用 screening init 建好配置）时，只检查配置。
    """
    # Imported here, not at the top: pandas would slow down `screening --help`.
    from pipeline.analyse import analyse
    from pipeline.archive import issued_from_archive
    from pipeline.terminal import location, run_report

    settings = _settings(config)
    click.echo(
        f"配置文件 {config} 检查通过：{settings.programme.issuer}，{len(settings.communities)}个"
        f"{org_words(settings).unit}，项目 {settings.programme.start} 至 {settings.programme.end}。"
    )
    if not input_dir.is_dir() or not any(input_dir.iterdir()):
        click.echo(f"输入文件夹 {input_dir} {'是空的' if input_dir.is_dir() else '不存在'}：还没有表格可检查。")
        return
    day = _as_of(as_of, settings)
    issued = _issued(issued_from_archive(settings))
    result = analyse(input_dir, settings, day, exclude=[output_dir], issued=issued)
    for line in run_report(result, settings):
        click.echo(line)
    groups = result.problem_groups
    serious = for_display(groups[groups["severity"] != Severity.NOTE])
    if len(serious):
        click.echo("")
        click.echo("全部错误和警告（同一问题在多份花名册中重复出现的只列一次，列出最新的位置）：")
        for rec in serious.to_dict("records"):
            where = f"；{rec['where']}" if rec["where"] else ""
            click.echo(printable(mask_text(
                f"  [{rec['severity']}] {location(rec)}：{rec['message']}；{rec['fix'].rstrip('。')}{where}"
            )))


@main.command("demo", context_settings=CONTEXT)
@click.argument("folder", type=FOLDER, default="input", metavar="[文件夹]")
@click.option("--seed", default=2020, show_default=True, help="随机种子：同一种子生成完全相同的文件。")
@click.option("--config", "config", default="config.toml", show_default=True,
              type=FILE, help="配置文件。")
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
@click.argument("folder", type=FOLDER, default="output/模板", metavar="[文件夹]")
@click.option("--config", "config", default="config.toml", show_default=True,
              type=FILE, help="配置文件（社区名单、列名、项目年份）。")
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
# A new office's config


def _init_options(func: F) -> F:
    """One option per question of ``screening init`` (pipeline.configure.QUESTIONS)."""
    for q in reversed(QUESTIONS):
        if q.flag:
            option = click.option(f"{q.option}/--no-{q.key}", q.name, default=None, help=option_help(q))
        else:
            option = click.option(q.option, q.name, multiple=q.multiple, metavar="文本", help=option_help(q))
        func = option(func)
    return func


def _prompt(q: Question, default: Any, error: str) -> Any:
    """Ask one question on the terminal; an empty answer takes the proposed default."""
    if error:
        click.echo(f"  {error}，请重新输入。", err=True)
    if q.flag:
        return click.confirm(q.prompt, default=bool(default))
    shown = f"（直接回车：{show(default)}）" if default not in (None, "", ()) else ""
    if not q.multiple:
        return click.prompt(f"{q.prompt}{shown}", default="", show_default=False)
    click.echo(f"{q.prompt}：每行一个，输完直接回车{shown}")
    values: list[str] = []
    while answer := click.prompt(f"  第{len(values) + 1}个", default="", show_default=False):
        values.append(answer)
    return tuple(values)


@main.command("init", context_settings=CONTEXT)
@click.argument("folder", type=FOLDER, default=".", metavar="[文件夹]")
@click.option("--force", is_flag=True, help="覆盖文件夹中已有的 config.toml。")
@_init_options
@guarded(writes_output=False)
def init_command(folder: Path, force: bool, **given: Any) -> None:
    """为本单位生成配置文件 config.toml：在终端中逐项询问，或全部用选项给出。

    方案的每一条规则（日期、周期、花名册报送日期、处理措施、奖惩）都写成带说明的配置项；
    没有的部分（补助、季度评比、年终奖惩）明确写为 false。生成后请逐项核对，
    再运行 screening check --config 检查。
    """
    target = folder / "config.toml"
    if target.exists() and not force:
        raise UserError(f"{target} 已存在。如确定要重新生成（原内容会丢失），请加 --force。")
    answers = collect(given, _prompt if sys.stdin.isatty() else None)
    from pipeline.outputs.folder import write_text_atomically  # here: keeps `--help` fast

    write_text_atomically(target, config_text(answers))
    settings = load_settings(target)  # what was written must load: checked before saying so
    click.echo(f"已生成配置文件：{target}")
    for line in summary_lines(answers):
        click.echo(line)
    click.echo("请打开逐项核对（尤其是处理措施和奖惩），然后：")
    click.echo(f"  screening check --config {target}        检查配置（和 input 中已有的表格）")
    click.echo(f"  screening template --config {target}     生成{len(settings.communities)}份花名册模板和办事处登记表")


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
@click.option("--number", required=True,
              help="文号（办事处统一编号），如 7：印成配置中的文号前缀（[programme] doc_number_prefix）加“7号”。必填。")
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
    type=FILE,
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
              type=FILE, help="配置文件（[mail] 邮箱设置和收件人）。")
@click.option("--as-of", "as_of", type=DATE, default=None,
              help="发送哪一天的结果（output/<截至日期>/），如 2020-06-30。默认今天（超过项目结束日期时取结束日期）。")
@_OUTPUT
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

    截止日期见 config.toml 的 [rosters]：first_due（首次）和 update_days（此后每月的几号）。

    在截止日期前 [rosters] reminder_days_before 天内运行有效；同一截止日期不会重复催报。
    """
    # Imported here, not at the top: pandas and the writers would slow down `screening --help`.
    from pipeline.analyse import analyse
    from pipeline.archive import issued_from_archive
    from pipeline.mail import plan_remind, reminder_due
    from pipeline.outputs.folder import write_text_atomically
    from pipeline.outputs.names import OUTBOX, REMIND_OUTBOX, remind_text_name, run_folder

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
              type=click.Path(path_type=Path, dir_okay=False), help="配置文件（[mail.fetch] 收件邮箱，[mail.communities] 各社区的邮箱）。")
@click.option("--input", "input_dir", default="input", show_default=True,
              type=click.Path(path_type=Path, file_okay=False), help="输入文件夹：附件保存到其中的 收件/ 子文件夹。")
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

    settings = _settings(config)
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
    for line in fetch_report(result):
        click.echo(mask_text(line))


if __name__ == "__main__":  # pragma: no cover
    main()
