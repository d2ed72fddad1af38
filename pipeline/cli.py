"""The ``screening`` command. Only parses options and calls the library; no traceback ever
reaches the user: expected problems get a Chinese message, unexpected ones a line and a log file."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from pipeline import __version__
from pipeline.ids import mask_text
from pipeline.settings import Settings, SettingsError, load_settings

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
    base = output if output is not None else Path("output")
    return base / "run.log"


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
        from pipeline.run import RunError

        try:
            return func(*args, **kwargs)
        except (SettingsError, RunError) as exc:
            click.echo(f"错误：{exc}", err=True)
            sys.exit(2)
        except click.exceptions.Exit:
            raise
        except click.ClickException:
            raise
        except KeyboardInterrupt:
            click.echo("已中断，输出文件夹保持上一次的完整结果。", err=True)
            sys.exit(130)
        except Exception as exc:  # noqa: BLE001 - the last line of defence for the user
            output = kwargs.get("output_dir")
            log = _write_log(_log_path(output), traceback.format_exc())
            where = f"，详细信息已写入 {log}" if log else ""
            click.echo(f"程序内部错误（{type(exc).__name__}）{where}。请把该文件发给维护人员。", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def _settings(config: Path) -> Settings:
    return load_settings(config)


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", message="screening %(version)s")
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
    from pipeline.run import default_as_of

    return as_of if as_of is not None else default_as_of(dt.date.today(), settings)


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
    """读取全部输入表格，核对、统计，生成汇总表、数据问题清单和 summary.json。"""
    from pipeline.console import run_report
    from pipeline.run import analyse, write_outputs

    settings = _settings(config)
    day = _as_of(as_of, settings)
    result = analyse(input_dir, settings, day, exclude=[output_dir])
    final = write_outputs(result, settings, output_dir)
    for line in run_report(result):
        click.echo(line)
    click.echo(f"结果已写入：{final}")
    for path in result.written:
        click.echo(f"  {path.relative_to(final).as_posix()}")


@main.command("check", context_settings=CONTEXT)
@_common
@guarded
def check_command(input_dir: Path, as_of: dt.date | None, config: Path) -> None:
    """只读取和检查输入表格，列出数据问题和行数核对，不生成任何文件。"""
    from pipeline.console import run_report
    from pipeline.problems import problems_frame
    from pipeline.run import analyse

    settings = _settings(config)
    day = _as_of(as_of, settings)
    result = analyse(input_dir, settings, day, exclude=[Path("output")])
    for line in run_report(result):
        click.echo(line)
    frame = problems_frame(result.problems)
    if len(frame):
        click.echo("")
        click.echo("全部问题（错误和警告）：")
        for rec in frame[frame["severity"] != "提示"].to_dict("records"):
            row = f" 第{int(rec['row'])}行" if rec["row"] == rec["row"] and rec["row"] is not None else ""
            sheet = f" [{rec['sheet']}]" if rec["sheet"] else ""
            click.echo(mask_text(f"  [{rec['severity']}] {rec['file']}{sheet}{row} {rec['column']} "
                                 f"{rec['value']}：{rec['message']}；{rec['fix']}"))


@main.command("demo", context_settings=CONTEXT)
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False), default="input")
@click.option("--seed", default=2020, show_default=True, help="随机种子：同一种子生成完全相同的文件。")
@click.option("--config", "config", default="config.toml", show_default=True,
              type=click.Path(path_type=Path, dir_okay=False), help="配置文件。")
@click.option("--force", is_flag=True, help="文件夹中已有文件时也写入（覆盖同名演示文件）。")
@guarded
def demo_command(folder: Path, seed: int, config: Path, force: bool) -> None:
    """生成一套演示用的输入表格（虚构人员），可直接运行 screening run 试用。"""
    from pipeline.demo import generate_demo

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
    from pipeline.template import template_paths, write_templates

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


if __name__ == "__main__":  # pragma: no cover
    main()
