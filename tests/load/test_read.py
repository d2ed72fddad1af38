"""One file, never raising: empty and oversized files (pipeline.load.read)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from pipeline.load import read_file
from pipeline.settings import Limits
from tests.load.helpers import LIMITS, codes


def test_file_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("a,b\n" * 1000, encoding="utf-8")
    result = read_file(path, tmp_path, Limits(max_file_mb=0.001))
    assert not result.readable
    assert codes(result) == ["file_too_large"]
    assert result.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "空.xlsx"
    path.write_bytes(b"")
    result = read_file(path, tmp_path, LIMITS)
    assert result.format == "empty" and not result.readable
    assert codes(result) == ["empty_file"]
    assert result.sha256 == hashlib.sha256(b"").hexdigest()
