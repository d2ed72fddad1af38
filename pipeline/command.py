"""The Chinese face of Click shared by every ``screening`` command: parameter types, help text laid
out by display width (a CJK character takes two terminal columns), usage errors in Chinese and the
guard that turns every failure into one line and an exit code, never a traceback."""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from pipeline import __version__
from pipeline.fmt import terminal_width
from pipeline.settings import ScreeningError

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
    from pipeline.normalize.ids import mask_text  # start-up speed: pandas only when a log is written

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






# Click's own words that reach a help page, in Chinese: metavars of untyped options and the
# default/required notes it appends to an option's help.
_HELP_WORDS: tuple[tuple[str, str], ...] = (
    (" TEXT", " 文本"),
    (" INTEGER", " 整数"),
    ("[default: ", "[默认："),
    ("[required]", "[必填]"),
)


def _in_chinese(text: str) -> str:
    for english, chinese in _HELP_WORDS:
        text = text.replace(english, chinese)
    return text


_NO_BREAK_AFTER = "（《“‘【[("
_HANGING = "，。、；：？！）》”’】"
_NO_BREAK_BEFORE = _HANGING + "]),.;:"


def _breakable(line: str, i: int) -> bool:
    """May a line break after ``line[i]``? After a CJK character or a space, never inside a run of
    Latin letters, digits or an option name, never after an opening bracket or before a closing
    one or a comma (Chinese line-breaking rules, 禁则); Chinese closing punctuation may hang past
    the edge rather than start a line."""
    ch, following = line[i], line[i + 1 : i + 2]
    if ch in _NO_BREAK_AFTER or (following and following in _NO_BREAK_BEFORE):
        return False
    return ch.isspace() or terminal_width(ch) == 2


def wrap_display(text: str, width: int) -> list[str]:
    """``text`` wrapped to ``width`` terminal columns (not characters, as :mod:`textwrap` does)."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for ch in paragraph:
            if line and ch not in _HANGING and terminal_width(line + ch) > width:
                if ch.isspace():
                    lines.append(line.rstrip())
                    line = ""
                    continue
                cut = max((i + 1 for i in range(len(line)) if _breakable(line + ch, i)), default=len(line))
                lines.append(line[:cut].rstrip())
                line = line[cut:].lstrip()
            line += ch
        lines.append(line)
    return lines


def _join_lines(lines: Sequence[str]) -> str:
    """Lines of one docstring paragraph as one text: no space where both sides are Chinese."""
    text = ""
    for line in (raw.strip() for raw in lines):
        if text and line and not (terminal_width(text[-1]) == 2 and terminal_width(line[0]) == 2):
            text += " "
        text += line
    return text


class ChineseHelpFormatter(click.HelpFormatter):
    """Help pages measured in terminal columns, with Chinese headings."""

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{heading}：\n")

    def write_text(self, text: str) -> None:
        indent = " " * self.current_indent
        width = max(self.width - self.current_indent, 11)
        for number, paragraph in enumerate(text.split("\n\n")):
            if number:
                self.write("\n")
            for line in wrap_display(_join_lines(paragraph.splitlines()), width):
                self.write(f"{indent}{line}\n")

    def write_dl(self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2) -> None:
        rows = [(_in_chinese(first), _in_chinese(second)) for first, second in rows]
        first_width = min(max((terminal_width(first) for first, _ in rows), default=0), col_max)
        column = self.current_indent + first_width + col_spacing
        for first, second in rows:
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if terminal_width(first) <= first_width:
                self.write(" " * (first_width + col_spacing - terminal_width(first)))
            else:
                self.write("\n" + " " * column)
            lines = wrap_display(second, max(self.width - column, 10))
            self.write(lines[0] + "\n")
            for line in lines[1:]:
                self.write(" " * column + line + "\n")


class ChineseContext(click.Context):
    formatter_class = ChineseHelpFormatter


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
    context_class = ChineseContext


class Group(_ChineseHelp, click.Group):
    command_class = Command
    context_class = ChineseContext
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

