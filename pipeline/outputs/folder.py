"""The output folder: one writer at a time (a lock file), results written beside the folder and
swapped into place, and recovery of what a killed run left behind.

Takes the output root (and the folders to swap); the names of the lock, staging and superseded
folders come from :mod:`pipeline.outputs.names`. Moves and removes only its own leftovers and those
of dead processes, never another live writer's.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.model import RunError
from pipeline.outputs.names import LOCK_NAME, leftover_of, superseded_folder

STALE_LOCK_SECONDS = 6 * 3600


def _pid_alive(pid: int) -> bool:
    if os.name == "nt":  # os.kill(pid, 0) would terminate the process on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _lock_holder(path: Path) -> int | None:
    try:
        return int(path.read_text(encoding="ascii").split()[0])
    except (OSError, ValueError, IndexError):
        return None


@contextmanager
def output_lock(output_root: Path) -> Iterator[None]:
    """Refuse a second writer on the same output folder; a lock left by a dead process is taken over."""
    path = output_root / LOCK_NAME
    for _attempt in range(3):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            holder = _lock_holder(path)
            age = time.time() - path.stat().st_mtime if path.exists() else 0.0
            if holder is not None and holder != os.getpid() and _pid_alive(holder) and age < STALE_LOCK_SECONDS:
                raise RunError(
                    f"另一个 screening 正在写入输出文件夹 {output_root}（进程号 {holder}）。请等它结束后再运行；"
                    f"如确认没有程序在运行，删除 {path} 后重试。"
                ) from None
            path.unlink(missing_ok=True)
            continue
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(f"{os.getpid()}\n")
        break
    else:
        raise RunError(f"无法锁定输出文件夹 {output_root}，请稍后重试。")
    try:
        yield
    finally:
        if _lock_holder(path) == os.getpid():
            path.unlink(missing_ok=True)


def recover_outputs(output_root: Path) -> list[str]:
    """Finish what a killed run left: put back a previous result whose replacement never arrived,
    and remove temporary and superseded folders of dead processes. Returns what was done."""
    done: list[str] = []
    if not output_root.is_dir():
        return done
    for path in sorted(output_root.iterdir()):
        leftover = leftover_of(path.name)
        if leftover is None or not path.is_dir():
            continue
        if leftover.pid != os.getpid() and _pid_alive(leftover.pid):
            continue
        target = output_root / leftover.target
        if leftover.superseded and not target.exists():
            os.replace(path, target)
            done.append(f"restored {leftover.target}")
        else:
            shutil.rmtree(path, ignore_errors=True)
            done.append(f"removed {path.name}")
    return done


def swap_into_place(tmp: Path, final: Path) -> None:
    old = superseded_folder(final, os.getpid())
    if final.exists():
        os.replace(final, old)
    os.replace(tmp, final)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


def write_text_atomically(path: Path, text: str) -> Path:
    """One small text file written beside its place and renamed into it: never half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        part.write_text(text, encoding="utf-8")
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)
    return path
