"""Personal data typed in odd ways must be masked everywhere outside the office's master workbook.

1. An ID typed with dashes, spaces, a zero-width or non-breaking space (``411328-19950317-002X``)
   was printed raw on the terminal and in ``run.log``: masking recognised only unbroken digit runs.
2. ``数据问题.xlsx`` held full IDs failing their check digit (a real ID with one typo is still
   personal data) and mobiles, whatever the masking settings said.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.cli import main
from pipeline.normalize.ids import mask_id_text, mask_text
from tests.conftest import CONFIG
from tests.factories import make_id

SEPARATORS = ["-", " ", "\u00a0", "\u200b", "\u3000", "\u2014", "\uff0d", "\ufeff", " - ", "\u2060"]
ID = make_id(4242)
MOBILE = "13712345678"


def _digits(text: str) -> str:
    """The text with every separator a clerk might type dropped and digits made ASCII."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"[\s\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\-\u2010-\u2015\u2212\ufe58\ufe63\uff0d]", "", text).upper()


def leaks(text: str, *secrets: str) -> list[str]:
    flat = _digits(text)
    return [s for s in secrets if s.upper() in flat]


@pytest.mark.parametrize(
    "typed",
    [
        "411328-19950317-002X",
        "411328 19950317 002X",
        "4113 2819 9503 1700 2X",
        "411328\u200b19950317002X",
        "411328\u00a019950317\u00a0002x",
        "４１１３２８１９９５０３１７００２Ｘ",
        "411328 - 19950317 - 002X",
        "411328\u201419950317\u2014002X",
        "41132819950317002\u200bX",
    ],
)
def test_ids_with_separators_are_masked(typed: str) -> None:
    for masker in (mask_text, mask_id_text):
        masked = masker(f"第3行 身份证号 “{typed}”：含有不该有的字符")
        assert leaks(masked, "41132819950317002X") == [], masked
        assert "4113**********002X" in masked and "第3行" in masked


@pytest.mark.parametrize("typed", ["138-1234-5678", "138 1234 5678", "+86 138 1234 5678", "138\u200b1234\u00a05678",
                                   "0086-13812345678", "１３８１２３４５６７８"])
def test_mobiles_with_separators_are_masked(typed: str) -> None:
    masked = mask_text(f"电话 {typed}。")
    assert leaks(masked, "13812345678") == [] and "138****5678" in masked, masked
    assert typed in mask_id_text(typed)  # the community's own workbook keeps phones


def test_dates_times_and_counts_stay_readable() -> None:
    text = "第25行 检查日期 “2020-02-30”：日期不存在；2020-06-01 00:00:00.000；共 7850 行，第18期"
    assert mask_text(text) == text


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(0, 99_999),
    seps=st.lists(st.sampled_from(["", *SEPARATORS]), min_size=18, max_size=18),
    before=st.sampled_from(["", "号码", " ", "ID:", "“"]),
    after=st.sampled_from(["", "。", " 行", "”", "x"]),
)
def test_property_any_separated_id_is_masked(n: int, seps: list[str], before: str, after: str) -> None:
    real = make_id(n)
    typed = "".join(ch + sep for ch, sep in zip(real, seps, strict=True)).rstrip("".join(SEPARATORS))
    assert leaks(mask_text(before + typed + after), real) == []
    assert leaks(mask_id_text(before + typed + after), real) == []


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(3 * 10**9, 9 * 10**9),
    seps=st.lists(st.sampled_from(["", *SEPARATORS]), min_size=11, max_size=11),
    prefix=st.sampled_from(["", "+86", "+86 ", "86-", "0086"]),
)
def test_property_any_separated_mobile_is_masked(n: int, seps: list[str], prefix: str) -> None:
    real = f"13{n}"[:11]
    typed = prefix + "".join(ch + sep for ch, sep in zip(real, seps, strict=True)).rstrip("".join(SEPARATORS))
    assert leaks(mask_text(f"电话：{typed}，"), real) == []


# ---------------------------------------------------------------------------------------------
# End to end: the terminal, run.log and 数据问题.xlsx


BAD_CHECK = ID[:17] + ("0" if ID[17] != "0" else "1")  # one typo in the check digit
TYPED_IDS = {
    "孕妇01": "411328-19950317-002X",
    "孕妇02": "411328\u00a019950317\u00a0002X",
    "孕妇03": "411328\u200b19950317002X",
    "孕妇04": BAD_CHECK,
    "孕妇05": "138-1234-5678",  # a mobile typed into the ID column
}
SECRETS = ("41132819950317002X", BAD_CHECK, "13812345678", MOBILE)


def _roster(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["泗洲街道新民社区已孕对象花名册"])
    ws.append(["姓名", "身份证号", "联系电话", "末次月经"])
    ws.append(["孕妇00", make_id(1), MOBILE, "2020-04-01"])
    for name, typed in TYPED_IDS.items():
        ws.append([name, typed, "137 0000 1111 2", "2020-04-01"])  # a phone too long: a problem with its value
    wb.save(folder / "新民社区已孕对象花名册20200418.xlsx")


def _config(tmp_path: Path, mask_master: bool) -> Path:
    text = CONFIG.read_text(encoding="utf-8")
    text = text.replace("mask_ids_in_master_workbook = false", f"mask_ids_in_master_workbook = {str(mask_master).lower()}")
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _cells(path: Path) -> str:
    wb = openpyxl.load_workbook(path, read_only=True)
    return "\n".join(str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None)


@pytest.mark.parametrize("mask_master", [False, True])
def test_terminal_problems_workbook_and_master_follow_the_settings(tmp_path: Path, mask_master: bool) -> None:
    inp, out = tmp_path / "in", tmp_path / "out"
    _roster(inp)
    config = _config(tmp_path, mask_master)
    for command in (["run", "--output", str(out)], ["check"]):
        result = CliRunner().invoke(main, [*command, "--input", str(inp), "--config", str(config), "--as-of", "2020-06-30"])
        assert result.exit_code == 0, result.output
        assert "4113**********002X" in result.output  # the dashed ID's problem line is there, masked
        assert leaks(result.output, *SECRETS) == [], result.output
    folder = out / "2020-06-30"
    assert leaks(_cells(folder / "数据问题.xlsx"), *SECRETS) == []
    assert leaks(_cells(folder / "卫生院核对清单_2020-06-30.xlsx"), *SECRETS) == []
    master = _cells(folder / "两筛进度汇总_2020-06-30.xlsx")
    if mask_master:
        assert leaks(master, "41132819950317002X", BAD_CHECK) == []
    else:  # the office's own workbook shows what was typed, to be corrected at the source
        assert leaks(master, BAD_CHECK) == [BAD_CHECK]


def test_run_log_masks_separated_ids(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pipeline.analyse

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("bad value 411328-19950317-002X / 138 1234 5678 / 411328\u200b19950317002X")

    monkeypatch.setattr(pipeline.analyse, "analyse", boom)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", "--input", str(tmp_path), "--output", str(out), "--config", str(CONFIG)])
    assert result.exit_code == 1
    log = (out / "run.log").read_text(encoding="utf-8")
    assert "RuntimeError" in log and "4113**********002X" in log
    assert leaks(log, *SECRETS) == []
