"""The CFB (OLE2 compound file) container of .xls workbooks: enough to list its streams and read
one, robust against broken sector chains.

Takes the whole file's bytes; gives :class:`Cfb` (its directory entries, :meth:`Cfb.find` and
:meth:`Cfb.read`). Raises :class:`CfbError` (or ``struct.error``/``IndexError``/``ValueError``
on garbage) instead of looping or reading past the end; never opens a file itself.
"""

from __future__ import annotations

import array
import struct
import sys
from collections.abc import Sequence
from typing import Any

CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class CfbError(Exception):
    """The container is damaged: a chain loops or points past the end, a header is invalid."""


_ENDOFCHAIN = 0xFFFFFFFE
_MAXREGSECT = 0xFFFFFFFA


def _u32_array(raw: bytes) -> array.array[int]:
    arr = array.array("I")
    if arr.itemsize != 4:  # pragma: no cover - exotic platforms
        arr = array.array("L")
    arr.frombytes(raw[: len(raw) - len(raw) % 4])
    if sys.byteorder == "big":  # pragma: no cover
        arr.byteswap()
    return arr


class Cfb:
    """A CFB file's directory (``entries``: name, type, first sector, size) and its streams."""

    def __init__(self, data: bytes) -> None:
        if len(data) < 512 or not data.startswith(CFB_MAGIC):
            raise CfbError("文件头不完整")
        self.data = data
        major = struct.unpack_from("<H", data, 0x1A)[0]
        shift = struct.unpack_from("<H", data, 0x1E)[0]
        if shift not in (9, 12):
            raise CfbError(f"扇区大小无效（{shift}）")
        self.ss = 1 << shift
        self.mini_ss = 1 << struct.unpack_from("<H", data, 0x20)[0]
        first_dir = struct.unpack_from("<I", data, 0x30)[0]
        self.cutoff = struct.unpack_from("<I", data, 0x38)[0]
        self.first_minifat = struct.unpack_from("<I", data, 0x3C)[0]
        first_difat = struct.unpack_from("<I", data, 0x44)[0]
        self.nsectors = max(0, (len(data) - self.ss + self.ss - 1) // self.ss)
        difat = list(struct.unpack_from("<109I", data, 0x4C))
        sid = first_difat
        steps = 0
        while sid < _MAXREGSECT:
            steps += 1
            if steps > self.nsectors:
                raise CfbError("DIFAT链循环")
            vals = _u32_array(self._sector(sid))
            difat.extend(vals[:-1])
            sid = vals[-1]
        fat = array.array(_u32_array(b"").typecode)
        for s in difat:
            if s < _MAXREGSECT and s < self.nsectors:
                fat.extend(_u32_array(self._sector(s)))
        self.fat = fat
        self.entries: list[tuple[str, int, int, int]] = []  # name, type, start, size
        raw = self._chain_bytes(first_dir, self.fat, self.ss, self._sector)
        for off in range(0, len(raw) - 127, 128):
            name_len = struct.unpack_from("<H", raw, off + 64)[0]
            etype = raw[off + 66]
            start = struct.unpack_from("<I", raw, off + 116)[0]
            size = struct.unpack_from("<Q", raw, off + 120)[0]
            if major == 3:
                size &= 0xFFFFFFFF
            name = raw[off : off + max(0, min(name_len, 64) - 2)].decode("utf-16-le", "replace")
            self.entries.append((name, etype, start, size))

    def _sector(self, sid: int) -> bytes:
        off = (sid + 1) * self.ss
        if sid >= _MAXREGSECT or off >= len(self.data):
            raise CfbError(f"扇区 {sid} 超出文件末尾")
        chunk = self.data[off : off + self.ss]
        return chunk if len(chunk) == self.ss else chunk + b"\0" * (self.ss - len(chunk))

    def _chain_bytes(
        self, start: int, fat: Sequence[int], size: int, read: Any, limit: int | None = None
    ) -> bytes:
        out: list[bytes] = []
        sid = start
        total = 0
        n = len(fat)
        while sid != _ENDOFCHAIN:
            if sid >= n or len(out) > n:
                raise CfbError("扇区链损坏")
            out.append(read(sid))
            total += size
            if limit is not None and total >= limit:
                break
            sid = fat[sid]
        return b"".join(out)

    def find(self, *names: str) -> tuple[str, int, int, int] | None:
        """The first stream named like one of ``names`` (case-insensitive, in that order)."""
        wanted = [n.lower() for n in names]
        for want in wanted:
            for entry in self.entries:
                if entry[1] == 2 and entry[0].lower() == want:
                    return entry
        return None

    def read(self, entry: tuple[str, int, int, int]) -> bytes:
        """A stream's bytes, from the mini stream when it is under the cutoff size."""
        _, _, start, size = entry
        if size > len(self.data) * 2 + 4096:
            raise CfbError("流大小超出文件大小")
        if size < self.cutoff:
            root = self.entries[0]
            ministream = self._chain_bytes(root[2], self.fat, self.ss, self._sector, root[3])
            minifat = _u32_array(self._chain_bytes(self.first_minifat, self.fat, self.ss, self._sector))

            def mini(sid: int) -> bytes:
                off = sid * self.mini_ss
                if off >= len(ministream):
                    raise CfbError("迷你扇区超出范围")
                return ministream[off : off + self.mini_ss]

            return self._chain_bytes(start, minifat, self.mini_ss, mini, size)[:size]
        return self._chain_bytes(start, self.fat, self.ss, self._sector, size)[:size]
