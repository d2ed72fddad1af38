"""Help text laid out by terminal columns: Chinese wraps at the width, Latin words never split."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pipeline.command import wrap_display
from pipeline.fmt import terminal_width


def test_chinese_wraps_by_display_width_and_keeps_latin_words_and_punctuation() -> None:
    # 20 columns = 10 CJK characters; "config.toml" (11 columns) moves whole to the next line.
    lines = wrap_display("配置文件（项目时间、任务数）默认 config.toml。", 20)
    assert lines == ["配置文件（项目时间、", "任务数）默认", "config.toml。"]
    assert not any(line.startswith(("，", "。", "）", "、")) for line in lines)


@given(st.text(alphabet="两筛社区ab1- ，。（）", min_size=0, max_size=120), st.integers(min_value=8, max_value=60))
def test_wrapping_loses_nothing_and_respects_the_width(text: str, width: int) -> None:
    lines = wrap_display(text, width)
    # Only the spaces at a break may go; everything else is kept in order.
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    for line in lines:
        # A line may exceed the width only by the characters that may not start a line, or when
        # one unbreakable Latin run is longer than the width.
        assert terminal_width(line.rstrip("，。）")) <= width or " " not in line.strip() or not any(
            terminal_width(ch) == 2 for ch in line
        )
