"""The ``screening`` group and what its commands share: the common options, the settings, the
issued lists from the archive, a terminal table."""

from __future__ import annotations

import datetime as dt
import getpass
import logging
from pathlib import Path
from typing import Any

import click

from pipeline import __version__
from pipeline.calendar import default_as_of
from pipeline.command import CONTEXT, DATE, FILE, FOLDER, F, Group
from pipeline.fmt import terminal_width as _width
from pipeline.settings import Settings, load_settings


def settings_from(config: Path) -> Settings:
    return load_settings(config)


def issued_lists(issued: Any) -> dict[str, list[str]]:
    """The archive's issued lagging lists (a :class:`pipeline.integrity.IssuedLists`), saying why
    they are not used when the archive cannot be read or trusted: the run goes on without them."""
    for warning in issued.warnings:
        click.echo(warning, err=True)
    return dict(issued.lagging)


@click.group(cls=Group, context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", message="screening %(version)s", help="显示版本号并退出。")
def main() -> None:
    """两筛（免费孕期超声NT筛查和血清学筛查）进度统计工具。

    把各社区报来的花名册、卫生院（卫生服务中心）的筛查登记和任务分配表放进 input 文件夹，运行
    `screening run`，结果写到 output/<截至日期>/ 下。
    """
    logging.basicConfig(level=logging.WARNING, format="%(message)s")


def common_options(func: F) -> F:
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


def as_of_or_default(as_of: dt.date | None, settings: Settings) -> dt.date:
    return as_of if as_of is not None else default_as_of(dt.date.today(), settings)


DATE_OPTION = click.option(
    "--date",
    "doc_date",
    type=DATE,
    default=None,
    help="通报的成文日期，如 2020-07-01。默认：通报期最后一天的次日。",
)

OUTPUT_OPTION = click.option(
    "--output",
    "output_dir",
    default="output",
    show_default=True,
    type=FOLDER,
    help="输出文件夹（screening run 的结果在其中的 <截至日期>/ 子文件夹）。",
)


def table(headers: list[str], rows: list[list[str]]) -> list[str]:
    """A plain-text table for a terminal where CJK characters take two columns."""
    widths = [max([_width(h)] + [_width(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=True)).rstrip()

    return [line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def community_names(settings: Settings, keys: list[str]) -> str:
    names = {c.key: c.name for c in settings.communities}
    return "、".join(names.get(k, k) for k in keys) or "无"


def os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in the environment
        return "未知"
