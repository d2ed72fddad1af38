"""Done when: `screening fetch --save` then `screening run` on a mailbox holding the demo's input
files as attachments gives the same summary.json figures as running on the demo folder itself.

The mailbox (pymap on 127.0.0.1) holds the demo files the way they would arrive: each community's
rosters from its own address (listed under [mail.communities]), in turn UTF-8 RFC 2231, GBK
RFC 2047 and GBK RFC 2231 names; 银华社区's rosters all in one zip with GBK member names (four of
them byte-identical to another under a new date: re-sent unchanged rosters, which must still be
saved); the health centre's logs and export from its address; the quota table, the office register
and the README from the office itself. The Excel lock file is not mailed: it is not a submission."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.summary import build_summary
from tests.conftest import CONFIG, DEMO_INPUT, demo_result
from tests.mail.imap_helpers import (
    PASSWORD,
    USER,
    fill,
    gbk_message,
    pymap_server,
    utf8_message,
    when,
    zipped,
)

AS_OF = dt.date(2020, 12, 31)
ADDRESSES = {"新民社区": "xinmin@example.cn", "新安社区": "xinan@example.cn", "新华社区": "xinhua@example.cn",
             "常花园社区": "changhuayuan@example.cn", "银华社区": "yinhua@example.cn"}
CENTRE, OFFICE = "wsy@example.cn", "jsb@example.cn"
INBOX_PREFIX = re.compile(r"收件/[^/（）]+/")


def _demo_files() -> list[Path]:
    return sorted(p for p in DEMO_INPUT.iterdir() if p.is_file() and not p.name.startswith("~$"))


def _mailbox() -> list[tuple[bytes, dt.datetime]]:
    messages: list[tuple[bytes, dt.datetime]] = []
    arrived = when("2020-12-31", 8)
    yinhua: list[tuple[str, bytes]] = []
    centre: list[tuple[str, bytes]] = []
    office: list[tuple[str, bytes]] = []
    for n, path in enumerate(_demo_files()):
        item = (path.name, path.read_bytes())
        community = next((c for c in ADDRESSES if path.name.startswith(c)), None)
        if community == "银华社区":
            yinhua.append(item)
        elif community is not None:
            sender = f"{community} <{ADDRESSES[community]}>"
            style = n % 3
            raw = (utf8_message(sender, "花名册", [item]) if style == 0
                   else gbk_message(sender, "花名册", [item], style="2047" if style == 1 else "2231"))
            messages.append((raw, arrived))
        elif "卫生院" in path.name or "筛查登记" in path.name:
            centre.append(item)
        else:
            office.append(item)
    messages.append((gbk_message(f"银华社区 <{ADDRESSES['银华社区']}>", "全年花名册",
                                 [("银华社区花名册.zip", zipped(yinhua, utf8_names=False))]), arrived))
    messages.append((utf8_message(f"卫生院 <{CENTRE}>", "筛查登记", centre), arrived))
    messages.append((utf8_message(f"计生办 <{OFFICE}>", "任务分配表和登记", office), arrived))
    return messages


@pytest.fixture(scope="module")
def fetched_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, dict[str, Any]]]:
    tmp = tmp_path_factory.mktemp("fetch_run")
    with pymap_server() as port:
        fill(port, "INBOX", _mailbox())
        text = CONFIG.read_text(encoding="utf-8")
        text = re.sub(r'(?m)^host = ""                                # e.g. "imap.163.com"',
                      'host = "127.0.0.1"', text)
        text = text.replace("port = 993", f"port = {port}").replace(
            'security = "ssl"                         # "ssl" | "starttls" | "none"\nuser = ""',
            f'security = "none"\nuser = "{USER}"')
        entries = "\n".join(f'"{c}" = ["{a}"]' for c, a in ADDRESSES.items())
        text = text.replace('# "新民社区" = ["xinmin@example.cn"]', entries)
        config = tmp / "config.toml"
        config.write_text(text, encoding="utf-8")
        runner = CliRunner()
        fetched = runner.invoke(main, ["fetch", "--config", str(config), "--input", str(tmp / "input"),
                                       "--since", "2020-12-31", "--save"], env={"SCREENING_IMAP_PASSWORD": PASSWORD})
    assert fetched.exit_code == 0, fetched.output
    run = runner.invoke(main, ["run", "--config", str(config), "--input", str(tmp / "input"), "--output",
                               str(tmp / "output"), "--as-of", AS_OF.isoformat()])
    assert run.exit_code == 0, run.output
    yield fetched, json.loads((tmp / "output" / AS_OF.isoformat() / "summary.json").read_text(encoding="utf-8"))


def _strip(value: Any) -> Any:
    """Paths under input/收件/<received>_<sender>/ as the demo folder has them (its root)."""
    if isinstance(value, str):
        return INBOX_PREFIX.sub("", value)
    if isinstance(value, list):
        return [_strip(v) for v in value]
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items()}
    return value


def test_fetch_saved_every_demo_file_once(fetched_run: tuple[Any, dict[str, Any]]) -> None:
    fetched, summary = fetched_run
    files = len(_demo_files())  # 135: the demo folder without the lock file
    assert f"表格已保存 {files} 个，重复 0 个，不保存 0 个" in fetched.output
    assert "（新民社区）" in fetched.output and "银华社区花名册.zip/银华社区已孕对象花名册20200421.xlsx" in fetched.output
    # Rosters re-sent unchanged under a new date (the same bytes as an earlier file): saved, with a note.
    seen: set[bytes] = set()
    resent = 0
    for path in sorted(_demo_files()):
        data = path.read_bytes()
        resent += data in seen
        seen.add(data)
    assert resent and fetched.output.count("文件名不同（可能是同一花名册按新日期重报），照常保存") == resent
    assert len(summary["files"]) == files


def test_run_on_the_fetched_mail_gives_the_demo_figures(fetched_run: tuple[Any, dict[str, Any]], settings: Any) -> None:
    _, fetched = fetched_run
    direct = json.loads(json.dumps(build_summary(demo_result(AS_OF), settings), ensure_ascii=False))
    got = _strip(fetched)
    for key in ("accounting", "communities", "totals", "periods", "circular_period", "warnings", "quotas"):
        assert got[key] == direct[key], key
    assert sorted(got["files"], key=lambda f: f["file"]) == sorted(direct["files"], key=lambda f: f["file"])
    # The problem counts differ by exactly the demo folder's Excel lock file (a 提示: skipped), which
    # was not mailed.
    assert direct["problems"]["提示"] - got["problems"]["提示"] == 1
    assert {k: v for k, v in got["problems"].items() if k != "提示"} == {
        k: v for k, v in direct["problems"].items() if k != "提示"}
