"""The commands of a day's work: run, check, demo, template, init."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import click

from pipeline.cli.app import (
    DATE_OPTION,
    OUTPUT_OPTION,
    as_of_or_default,
    common_options,
    issued_lists,
    main,
    settings_from,
)
from pipeline.command import CONTEXT, FILE, FOLDER, F, UserError, guarded
from pipeline.configure import QUESTIONS, Question, collect, config_text, option_help, show, summary_lines
from pipeline.fmt import printable
from pipeline.progress import Progress
from pipeline.settings import Settings, load_settings
from pipeline.wording import org_words


@main.command("run", context_settings=CONTEXT)
@common_options
@click.option(
    "--output",
    "output_dir",
    default="output",
    show_default=True,
    type=FOLDER,
    help="输出文件夹；结果写在其中的 <截至日期>/ 子文件夹。",
)
@DATE_OPTION
@guarded
def run_command(
    input_dir: Path, output_dir: Path, as_of: dt.date | None, config: Path, doc_date: dt.date | None
) -> None:
    """读取全部输入表格，核对、统计、排名，生成结果。

    结果写到 output/<截至日期>/：办事处汇总表、各社区工作簿（身份证号打码）、领导版、
    医疗机构核对清单、数据问题清单、通报草稿（Word/网页/微信文字）、summary.json 和 manifest.json。
    """
    # Imported here, not at the top: pandas and the writers would slow down `screening --help`.
    from pipeline.analyse import analyse
    from pipeline.archive import issued_from_archive
    from pipeline.outputs.write import write_outputs
    from pipeline.terminal import run_report

    settings = settings_from(config)
    day = as_of_or_default(as_of, settings)
    issued = issued_lists(issued_from_archive(settings))
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
        # The circular of a period always shows the figures at the period's end, whatever day it is
        # drafted: the draft the office reviews is what `archive issue` files.
        circular = _period_end_summary(result, input_dir, settings, output_dir, issued)
        written = write_outputs(
            result, settings, output_dir, on_stage=progress.stage, on_item=progress.item,
            circular_summary=circular, doc_date=doc_date,
        )
    finally:
        progress.close()
    for line in run_report(result, settings):
        click.echo(line)
    click.echo(f"结果已写入：{written.folder}")
    period = circular.get("circular_period")
    if period and period["end"] != day.isoformat():
        click.echo(f"通报草稿为 {period['start']} 至 {period['end']} 一期，数字截至 {period['end']}（与存档时一致）。")
    for path in written.files:
        click.echo(f"  {path.relative_to(written.folder).as_posix()}")


def _period_end_summary(
    result: Any, input_dir: Path, settings: Settings, output_dir: Path, issued: dict[str, list[str]]
) -> dict[str, Any]:
    """The summary the circular is drafted from: the run's own when it is as of the period end,
    else the input analysed again as of the end of the last period completed (as `archive issue`
    does: earlier issued periods drive the streaks, the period itself is computed afresh)."""
    from pipeline.analyse import analyse  # here, not at the top: pandas would slow down `--help`

    period = result.summary.get("circular_period")
    if not period or period["end"] == result.as_of.isoformat():
        return dict(result.summary)
    end = dt.date.fromisoformat(period["end"])
    earlier = {k: v for k, v in issued.items() if k != period["end"]}
    return dict(analyse(input_dir, settings, end, exclude=[output_dir], issued=earlier).summary)


@main.command("check", context_settings=CONTEXT)
@common_options
@OUTPUT_OPTION
@guarded(writes_output=False)
def check_command(input_dir: Path, as_of: dt.date | None, config: Path, output_dir: Path) -> None:
    """检查配置文件，再读取和检查输入表格，列出数据问题和行数核对，不生成任何文件。

    输入文件夹还不存在或是空的（刚用 screening init 建好配置）时，只检查配置。
    """
    # Imported here, not at the top: pandas would slow down `screening --help`.
    from pipeline.analyse import analyse
    from pipeline.archive import issued_from_archive
    from pipeline.terminal import run_report

    settings = settings_from(config)
    click.echo(
        f"配置文件 {config} 检查通过：{settings.programme.issuer}，{len(settings.communities)}个"
        f"{org_words(settings).unit}，项目 {settings.programme.start} 至 {settings.programme.end}。"
    )
    if not input_dir.is_dir() or not any(input_dir.iterdir()):
        click.echo(f"输入文件夹 {input_dir} {'是空的' if input_dir.is_dir() else '不存在'}：还没有表格可检查。")
        return
    day = as_of_or_default(as_of, settings)
    issued = issued_lists(issued_from_archive(settings))
    result = analyse(input_dir, settings, day, exclude=[output_dir], issued=issued)
    for line in run_report(result, settings):
        click.echo(line)
    _print_problems(result.problem_groups)


def _print_problems(groups: Any) -> None:
    """Every error and warning of ``check`` (IDs and phones masked)."""
    # start-up speed: pandas (via these modules) only for the commands that read input
    from pipeline.normalize.ids import mask_text
    from pipeline.problems import Severity, for_display
    from pipeline.terminal import location

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

    settings = settings_from(config)
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

    settings = settings_from(config)
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
