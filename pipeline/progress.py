"""A one-line progress display for long runs (files read, rows, stage), on standard error.

Quiet unless standard error is a terminal, so logs, pipes and tests see nothing. No personal data:
only counts, stage names and file counts are shown.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:  # start-up speed: pipeline.model imports pandas, which `screening --help` need not
    from pipeline.model import FileResult

STAGES = {
    "read": "读取文件",
    "normalize": "整理数据",
    "reconcile": "核对花名册与筛查登记",
    "score": "计算进度与排名",
    "summary": "汇总",
    "write": "写出工作簿和通报",
}


class Progress:
    """``stage()`` when a stage starts, ``file_read()`` after each input file, ``item()`` for
    written outputs, ``close()`` at the end. Redraws at most every ``interval`` seconds."""

    def __init__(self, stream: TextIO | None = None, *, enabled: bool | None = None, interval: float = 0.25) -> None:
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            try:
                enabled = self.stream.isatty()
            except (AttributeError, ValueError):
                enabled = False
        self.enabled = enabled
        self.interval = interval
        self.total_files = 0
        self.files = 0
        self.rows = 0
        self.items = 0
        self.total_items = 0
        self.label = ""
        self.started = time.monotonic()
        self._last = 0.0
        self._width = 0

    def stage(self, name: str, total: int = 0) -> None:
        self.label = STAGES.get(name, name)
        self.items, self.total_items = 0, total
        self._draw(force=True)

    def set_total_files(self, total: int) -> None:
        self.total_files = total

    def file_read(self, result: FileResult) -> None:
        self.files += 1
        self.rows += sum(len(s.rows) for s in result.sheets)
        self._draw()

    def item(self) -> None:
        self.items += 1
        self._draw()

    def _text(self) -> str:
        elapsed = time.monotonic() - self.started
        files = f"{self.files}/{self.total_files}" if self.total_files else f"{self.files}"
        parts = [f"[{elapsed:5.0f}秒] {self.label}", f"已读文件 {files}", f"{self.rows:,} 行"]
        if self.total_items:
            parts.append(f"{self.items}/{self.total_items}")
        return "  ".join(parts)

    def _draw(self, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        text = self._text()
        pad = max(0, self._width - len(text))
        self._width = len(text)
        self.stream.write("\r" + text + " " * pad)
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self._width:
            self.stream.write("\r" + " " * (self._width * 2) + "\r")
            self.stream.flush()
            self._width = 0
