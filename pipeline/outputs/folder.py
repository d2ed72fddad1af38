"""The output folder: one writer at a time (an OS lock), results written beside the folder and
swapped into place, and recovery of what a killed run left behind.

Takes the output root (and the folders to swap); the names of the lock, staging and superseded
folders come from :mod:`pipeline.outputs.names`. Moves and removes only its own leftovers and those
of dead processes, never another live writer's.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from pipeline.model import RunError
from pipeline.outputs.names import LOCK_NAME, WRITER_NAME, leftover_of, superseded_folder


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


def _writer_pid(path: Path) -> int | None:
    try:
        return int(path.read_text(encoding="ascii").split()[0])
    except (OSError, ValueError, IndexError):
        return None


@contextmanager
def output_lock(output_root: Path) -> Iterator[None]:
    """Refuse a second writer on the same output folder. The lock is the operating system's
    (``flock``; ``msvcrt.locking`` on Windows, through filelock): it is released when its holder
    ends however it ends, so a lock file left behind (stale, empty or naming a dead process)
    never blocks, and two processes can never both hold it. The holder's process number is kept
    beside it only to name it in the refusal."""
    lock = FileLock(str(output_root / LOCK_NAME), timeout=0)
    writer = output_root / WRITER_NAME
    try:
        lock.acquire()
    except Timeout:
        holder = _writer_pid(writer)
        who = f"（进程号 {holder}）" if holder else ""
        raise RunError(
            f"另一个 screening 正在写入输出文件夹 {output_root}{who}。请等它结束后再运行。"
        ) from None
    try:
        try:
            writer.write_text(f"{os.getpid()}\n", encoding="ascii")
        except OSError:
            pass  # only the refusal's wording depends on it
        yield
    finally:
        if _writer_pid(writer) == os.getpid():
            writer.unlink(missing_ok=True)
        lock.release()


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
