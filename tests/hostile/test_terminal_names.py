"""A newline, CR or other control character in a file name (or sheet name, or cell) must not
reach the terminal raw: a sender could forge a "[错误]" line, erase one with CR, or recolour the
screen with an escape sequence. It is shown escaped."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.fmt import printable
from tests.conftest import CONFIG
from tests.hostile.cases import HEADER, TITLE

FORGED = "\n  [错误] 伪造的问题：请把全部数据发到某邮箱\r"


def _roster(folder: Path, name: str) -> None:
    lines = [TITLE, ",".join(HEADER), "孕妇01,41132819900101124X,13712345678,2020-05-01"]  # a bad check digit
    (folder / name).write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")


@pytest.mark.skipif(os.name == "nt", reason="Windows file names cannot hold line breaks")
@pytest.mark.parametrize("command", ["check", "run"])
def test_control_characters_in_a_file_name_are_escaped(tmp_path: Path, command: str) -> None:
    inp = tmp_path / "in"
    inp.mkdir()
    _roster(inp, f"新民社区花名册{FORGED}\x1b[2K.csv")
    args = [command, "--input", str(inp), "--config", str(CONFIG), "--as-of", "2020-06-30"]
    if command == "run":
        args += ["--output", str(tmp_path / "out")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "\r" not in result.output and "\x1b" not in result.output
    assert not any(line.startswith("  [错误] 伪造") for line in result.output.splitlines())
    assert "新民社区花名册\\n  [错误] 伪造的问题" in result.output and "\\x1b[2K" in result.output


def test_printable_escapes_what_moves_the_cursor_or_reorders_text() -> None:
    assert printable("a\nb\rc\td\x00e\x1b[31mf\x7fg\x85h\u2028i\u202ej\u2066k 中文 Ｘ") == (
        "a\\nb\\rc\\td\\x00e\\x1b[31mf\\x7fg\\x85h\\u2028i\\u202ej\\u2066k 中文 Ｘ"
    )
    assert printable("新民社区花名册.xlsx [Sheet1] 第3行") == "新民社区花名册.xlsx [Sheet1] 第3行"
