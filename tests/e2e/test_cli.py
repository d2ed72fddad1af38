"""The command line as a user meets it: CliRunner end to end on the demo input."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.demo import demo_truth
from pipeline.fmt import terminal_width
from tests.conftest import CONFIG, DEMO_INPUT, REPO

ID_PATTERN = re.compile(r"(?<![\d*])\d{17}[\dXx](?![\d*])")
MOBILE_PATTERN = re.compile(r"(?<![\d*])1[3-9]\d{9}(?!\d)")


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("out")
    result = CliRunner().invoke(
        main,
        ["run", "--input", str(DEMO_INPUT), "--output", str(out), "--as-of", "2020-12-31", "--config", str(CONFIG)],
    )
    return result, out / "2020-12-31"


def test_run_succeeds_and_writes_outputs(demo_run) -> None:  # type: ignore[no-untyped-def]
    result, folder = demo_run
    assert result.exit_code == 0, result.output
    assert (folder / "summary.json").is_file()
    assert (folder / "数据问题.xlsx").is_file()
    assert not list(folder.parent.glob(".tmp-*"))  # the temporary folder was swapped in


def test_accounting_matches_the_demo_by_hand(demo_run, settings) -> None:  # type: ignore[no-untyped-def]
    _, folder = demo_run
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    acc = summary["accounting"]
    truth = demo_truth(settings)
    data_rows = sum(truth["files"].values())  # 8953 person/screening/quota/register rows by construction
    # Subtotal rows are input rows too (rejected as 合计行): one in each of 新安's 26 rosters and
    # one in the quota table.
    xinan_rosters = sum(1 for f in truth["files"] if f.startswith("新安社区"))
    assert acc["input_rows"] == data_rows + xinan_rosters + 1
    # Rejected: the 27 subtotal rows; 2 IDs stored as numbers; the wrong check digits carried from
    # roster to roster (罗雅莉 in 新民's 8 rosters from 10-16, 黄红 in 新华's 9 from 10-08,
    # 何爱敏 in 常花园's 11 from 09-18); the log row dated 2020-02-30.
    assert acc["rejected_rows"] == 27 + 2 + (8 + 9 + 11) + 1
    assert acc["input_rows"] == acc["accepted_rows"] + acc["rejected_rows"]
    assert acc["quota_rows"] == 5 and acc["register_rows"] == truth["register_rows"]


def test_summary_per_file_and_sheet(demo_run) -> None:  # type: ignore[no-untyped-def]
    _, folder = demo_run
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    files = {f["file"]: f for f in summary["files"]}
    assert "~$新民社区花名册.xlsx" not in files  # lock files are skipped (and reported as a note)
    serum = files["血清学筛查登记表2020.xlsx"]["sheets"][0]
    assert (serum["kind"], serum["test"]) == ("log", "serum")
    export = files["卫生院系统导出0630.xls"]
    assert export["format"] == "html" and export["sheets"][0]["kind"] == "log"
    gbk = files["常花园社区花名册0528.csv"]["sheets"][0]
    assert (gbk["kind"], gbk["community"]) == ("roster", "常花园社区")
    assert files["README.txt"]["readable"] is False
    assert sum(s["rows"] for f in summary["files"] for s in f["sheets"]) == summary["accounting"]["input_rows"]


def test_terminal_shows_ranking_and_masks_personal_data(demo_run) -> None:  # type: ignore[no-untyped-def]
    result, _ = demo_run
    out = result.output
    assert "采用" in out and "未采用" in out
    assert "排名" in out and "工作落后的社区" in out
    # Where the quotas came from (summary.json quotas[].source): the demo's table, for all five.
    assert "任务数来源：任务分配表（任务分配表.xlsx）5 个" in out
    assert not ID_PATTERN.search(out), "a full ID number reached the terminal"
    assert not MOBILE_PATTERN.search(out), "a mobile number reached the terminal"


def test_summary_json_carries_no_personal_data(demo_run) -> None:  # type: ignore[no-untyped-def]
    _, folder = demo_run
    text = (folder / "summary.json").read_text(encoding="utf-8")
    assert not ID_PATTERN.search(text)
    assert not MOBILE_PATTERN.search(text)


def test_check_writes_nothing(tmp_path: Path) -> None:
    inp = tmp_path / "input"
    shutil.copytree(DEMO_INPUT, inp, ignore=shutil.ignore_patterns("*.xlsx"))
    result = CliRunner().invoke(main, ["check", "--input", str(inp), "--config", str(CONFIG), "--as-of", "2020-06-30"])
    assert result.exit_code == 0, result.output
    assert "数据行" in result.output
    assert not (tmp_path / "output").exists()
    assert not ID_PATTERN.search(result.output)


def test_check_skips_the_output_folder_it_is_given(tmp_path: Path) -> None:
    """An output folder inside the input folder is skipped as the one passed with --output, not a
    hard-coded ``output/``: its earlier results are never read back as input."""
    inp = tmp_path / "收件"
    inp.mkdir()
    shutil.copy(DEMO_INPUT / "任务分配表.xlsx", inp)
    (inp / "结果").mkdir()
    shutil.copy(DEMO_INPUT / "任务分配表.xlsx", inp / "结果" / "旧任务分配表.xlsx")
    args = ["check", "--input", str(inp), "--config", str(CONFIG), "--as-of", "2020-06-30"]
    plain = CliRunner().invoke(main, args)
    skipped = CliRunner().invoke(main, [*args, "--output", str(inp / "结果")])
    assert plain.exit_code == skipped.exit_code == 0, plain.output + skipped.output
    assert "读取文件：2 个" in plain.output and "读取文件：1 个" in skipped.output


def test_bad_config_is_one_chinese_line(tmp_path: Path) -> None:
    bad = tmp_path / "config.toml"
    bad.write_text(CONFIG.read_text(encoding="utf-8").replace("goal = 333", "goal = 三百"), encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--config", str(bad), "--input", str(DEMO_INPUT)])
    assert result.exit_code == 2
    assert "配置文件" in result.output and "Traceback" not in result.output


def test_a_config_without_columns_does_not_run(tmp_path: Path) -> None:
    # Nothing would be read and the run would "succeed" with an all-zero circular: refused instead.
    text = CONFIG.read_text(encoding="utf-8")
    cut = tmp_path / "config.toml"
    cut.write_text(text[: text.index("[columns]")] + text[text.index("[tests]") :], encoding="utf-8")
    result = CliRunner().invoke(main, ["run", "--config", str(cut), "--input", str(DEMO_INPUT),
                                       "--output", str(tmp_path / "out")])
    assert result.exit_code == 2 and "columns" in result.output and "各列表头的名称" in result.output
    assert not (tmp_path / "out").exists()


def test_check_before_there_is_input_checks_the_config(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["check", "--config", str(CONFIG), "--input", str(tmp_path / "input")])
    assert result.exit_code == 0, result.output
    assert "检查通过" in result.output and "还没有表格可检查" in result.output


def test_missing_input_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["run", "--input", str(tmp_path / "nope"), "--output", str(tmp_path / "o"),
                                       "--config", str(CONFIG)])
    assert result.exit_code == 2
    assert "找不到输入文件夹" in result.output


def test_bad_as_of_date() -> None:
    result = CliRunner().invoke(main, ["check", "--as-of", "2020-13-01", "--config", str(CONFIG)])
    assert result.exit_code == 2
    assert "2020-06-30" in result.output


def test_unexpected_error_is_logged_not_shown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pipeline.analyse

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("411328199001011234 13812345678")

    monkeypatch.setattr(pipeline.analyse, "analyse", boom)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", "--input", str(DEMO_INPUT), "--output", str(out), "--config", str(CONFIG)])
    assert result.exit_code == 1
    assert "程序内部错误" in result.output and "Traceback" not in result.output
    log = (out / "run.log").read_text(encoding="utf-8")  # never in a result folder
    assert not (out / "2020-12-31").exists()
    assert "RuntimeError" in log
    assert "411328199001011234" not in log and "13812345678" not in log


def test_demo_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("x", encoding="utf-8")
    result = CliRunner().invoke(main, ["demo", str(tmp_path), "--config", str(CONFIG)])
    assert result.exit_code != 0
    assert "--force" in result.output


def _commands() -> list[str]:
    return sorted(main.commands)


def _command_paths() -> list[list[str]]:
    import click

    paths: list[list[str]] = [[]]
    for name, command in sorted(main.commands.items()):
        paths.append([name])
        if isinstance(command, click.Group):
            paths.extend([name, sub] for sub in sorted(command.commands))
    return paths


@pytest.mark.parametrize("path", _command_paths(), ids=lambda p: " ".join(p) or "screening")
def test_every_command_has_chinese_help(path: list[str]) -> None:
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0
    assert re.search(r"[\u4e00-\u9fff]", result.output)
    assert "Show this message" not in result.output
    for english in ("[default:", "[required]", " TEXT", " INTEGER", "选项:"):
        assert english not in result.output
    # Option descriptions start in one column, measured in terminal columns (a CJK character is two).
    starts = {
        terminal_width(m.group(1))
        for m in re.finditer(r"^(  -.*? {2,})\S", result.output.partition("选项：")[2], re.M)
    }
    assert len(starts) <= 1, result.output
    # Closing punctuation may hang past the edge rather than start a line (禁则).
    assert all(terminal_width(line.rstrip("，。）】”")) <= 80 for line in result.output.splitlines()), result.output


@pytest.mark.parametrize("command", _commands())
def test_every_command_is_documented_in_the_readme(command: str) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"screening {command}" in readme, f"README.md does not document `screening {command}`"


def test_outputs_are_reproducible_and_listed_in_the_manifest(demo_run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import hashlib

    _, folder = demo_run
    again = CliRunner().invoke(
        main,
        ["run", "--input", str(DEMO_INPUT), "--output", str(tmp_path), "--as-of", "2020-12-31", "--config", str(CONFIG)],
    )
    assert again.exit_code == 0, again.output
    first = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    second = json.loads((tmp_path / "2020-12-31" / "manifest.json").read_text(encoding="utf-8"))
    assert first == second
    listed = {entry["file"] for entry in first["files"]}
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {"manifest.json", "run.log"}
    assert listed == on_disk
    for entry in first["files"]:
        assert hashlib.sha256((folder / entry["file"]).read_bytes()).hexdigest() == entry["sha256"]


# ---------------------------------------------------------------------------------------------
# Hygiene: a closed pipe, Click's own errors, a command that writes nothing


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """`screening check | head -1`: the reader goes away; no traceback, exit 0, nothing written."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "check", "--input", str(DEMO_INPUT), "--config", str(CONFIG),
         "--as-of", "2020-06-30"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # like `head -1` exiting
    err = proc.stderr.read().decode("utf-8")
    assert proc.wait(timeout=300) == 0, err
    assert "检查通过" in first.decode("utf-8")  # the config's line; the report then meets a closed pipe
    assert "Traceback" not in err and "BrokenPipe" not in err and "程序内部错误" not in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["run", "--as-of", "2020-13-01"], "--as-of 的值有误：日期 '2020-13-01' 无法识别"),
        (["run", "--bogus"], "没有选项 --bogus"),
        (["nosuch"], "没有命令“nosuch”"),
        (["demo", "--seed", "abc"], "--seed 的值有误：“abc”不是整数"),
        (["archive", "issue"], "缺少必须给出的 --number"),
    ],
)
def test_click_usage_errors_are_chinese(args: list[str], expected: str) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert expected in result.output
    assert "用法：" in result.output and "Usage" not in result.output and "Error" not in result.output


def test_a_folder_as_config_and_a_file_as_output_are_chinese_errors(tmp_path: Path) -> None:
    folder = CliRunner().invoke(main, ["run", "--config", str(tmp_path)])
    assert folder.exit_code == 2 and "是一个文件夹" in folder.output and "Error" not in folder.output
    afile = tmp_path / "out.txt"
    afile.write_text("x", encoding="utf-8")
    as_output = CliRunner().invoke(main, ["run", "--output", str(afile), "--config", str(CONFIG)])
    assert as_output.exit_code == 2 and "是一个文件，不是文件夹" in as_output.output


def test_help_is_chinese_throughout() -> None:
    for args in ([], ["run"], ["archive"], ["archive", "issue"]):
        text = CliRunner().invoke(main, [*args, "--help"]).output
        assert text.startswith("用法：") and "选项" in text
        assert "Usage" not in text and "Options" not in text and "Commands" not in text and "[OPTIONS]" not in text


def test_check_logs_an_internal_error_outside_the_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """check promises to write nothing: an internal error is logged to a temporary file it names."""
    import pipeline.analyse

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("411328199001011234")

    monkeypatch.setattr(pipeline.analyse, "analyse", boom)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "--input", str(DEMO_INPUT), "--config", str(CONFIG)])
    assert result.exit_code == 1 and "程序内部错误" in result.output
    logged = re.search(r"已写入 (\S+\.log)", result.output)
    assert logged and Path(logged.group(1)).parent == Path(tempfile.gettempdir())
    assert "411328199001011234" not in Path(logged.group(1)).read_text(encoding="utf-8")
    assert list(tmp_path.iterdir()) == []


def test_every_command_is_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for name, command in main.commands.items():
        subcommands = getattr(command, "commands", None)
        for sub in subcommands or [None]:
            words = f"screening {name}" + (f" {sub}" if sub else "")
            assert f"`{words}" in readme, words
