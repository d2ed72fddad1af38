"""``screening archive``: issue, list, show and verify the circulars as issued."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from pipeline.cli.app import (
    DATE_OPTION,
    OUTPUT_OPTION,
    as_of_or_default,
    common_options,
    community_names,
    main,
    os_user,
    settings_from,
    table,
)
from pipeline.command import CONTEXT, FILE, guarded


@main.group("archive", context_settings=CONTEXT)
def archive_group() -> None:
    """已印发通报的存档：issue 存档、list 列表、show 查看、verify 校验。

    存档在配置文件旁的 archive 文件夹（config.toml 的 [archive] folder），与 output 分开，
    清理输出不会影响存档。存档文件从不覆盖：同一期再次存档即为修订，原件保留。
    """


@archive_group.command("issue", context_settings=CONTEXT)
@common_options
@click.option("--number", required=True,
              help="文号（办事处统一编号），如 12：印成配置中的文号前缀（[programme] doc_number_prefix）加“12号”。"
                   "必填；screening archive list 显示下一个可用文号。已用于其他各期或配置中列为已占用（taken_numbers，"
                   "如实施方案本身的文号）的文号不能再用。")
@click.option("--allow-duplicate-number", "allow_duplicate", is_flag=True,
              help="确需重复使用已用过或已占用的文号时加此项。")
@DATE_OPTION
@click.option(
    "--period",
    default=None,
    help="要存档的通报期，如 2020-06-16..2020-06-30。默认：截至 --as-of 最近结束的一期。",
)
@click.option("--by", "issued_by", default=None, help="存档人。默认为当前系统用户。")
@click.option("--reason", default="", help="修订原因：同一期再次存档（修订）时必填。")
@OUTPUT_OPTION
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
    allow_duplicate: bool,
    doc_date: dt.date | None,
) -> None:
    """存档一期通报：按期末的数字生成填好文号的通报（Word、HTML），连同 summary.json 和汇总表存入档案。

    已存档各期的“工作落后”名单以印发的为准，用于以后各期“连续落后”的认定。
    """
    # Imported here, not at the top: pandas and the writers would slow down `screening --help`.
    from pipeline.analyse import analyse
    from pipeline.archive import archive_folder, check_issue, issue, issued_lagging, resolve_period

    settings = settings_from(config)
    day = as_of_or_default(as_of, settings)
    folder = archive_folder(settings)
    _, start, end = resolve_period(settings, day, period)
    check_issue(folder, settings, end, number, reason, allow_duplicate=allow_duplicate)
    # The period itself is computed afresh (a revision corrects it); earlier issued periods drive the streaks.
    issued = {k: v for k, v in issued_lagging(folder).items() if k != end.isoformat()}
    result = analyse(input_dir, settings, end, exclude=[output_dir], issued=issued)
    record = issue(
        folder,
        settings,
        result,
        number=number,
        issued_at=dt.datetime.now(),
        issued_by=issued_by or os_user(),
        reason=reason,
        date=doc_date,
        allow_duplicate=allow_duplicate,
    )
    for warning in record.warnings:
        click.echo(warning)
    click.echo(
        f"已存档：第{record.period_number}期通报（{start} 至 {end}），{record.doc_number}，{record.revision_text}"
        f"（存档编号 {record.id}）"
    )
    click.echo(f"工作落后的社区：{community_names(settings, record.lagging)}")
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
    from pipeline.archive import archive_folder, list_circulars, next_free_number  # here: keeps `--help` fast

    settings = settings_from(config)
    folder = archive_folder(settings)
    records = list_circulars(folder)
    free = next_free_number(folder, settings)
    if not records:
        click.echo(f"档案 {folder} 中还没有已存档的通报。用 screening archive issue --number {free} 存档。")
        click.echo(f"下一个可用文号：{free}")
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
            community_names(settings, r.lagging),
            r.reason,
        ]
        for r in records
    ]
    for line in table(["编号", "期次", "通报期", "文号", "版本", "存档时间", "存档人", "工作落后的社区", "修订原因"], rows):
        click.echo(line)
    click.echo(f"下一个可用文号：{free}")


@archive_group.command("show", context_settings=CONTEXT)
@click.argument("circular_id", metavar="编号", type=int)
@_archive_config
@guarded
def archive_show_command(circular_id: int, config: Path) -> None:
    """查看一份已存档通报的详细信息和文件（编号见 screening archive list）。"""
    from pipeline.archive import archive_folder, show  # here: keeps `--help` fast

    settings = settings_from(config)
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
        ["工作落后的社区", community_names(settings, r.lagging)],
        ["存档位置", str(folder / r.folder)],
    ]
    for line in table(["项目", "内容"], rows):
        click.echo(line)
    click.echo("")
    files = [[f.name, f"{f.size:,}", f.sha256] for f in r.files]
    for line in table(["文件", "字节", "sha256"], files):
        click.echo(line)


@archive_group.command("verify", context_settings=CONTEXT)
@_archive_config
@guarded
def archive_verify_command(config: Path) -> None:
    """重新计算每个存档文件的 sha256，报告被改动、丢失或多出的文件（有问题时退出码为 3）。"""
    from pipeline.archive import archive_folder, recover, verify  # here: keeps `--help` fast
    from pipeline.integrity import archive_head
    from pipeline.store import ArchiveUnreadable

    settings = settings_from(config)
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
    for line in table(["编号", "文号", "文件", "问题"], rows):
        click.echo(line)
    click.echo(f"已校验 {checked} 个存档文件，发现 {len(problems)} 个问题。存档不应改动，请从备份恢复。")
    sys.exit(3)
