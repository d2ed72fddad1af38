"""The output folder: one writer at a time (an OS lock), results written beside the folder and
swapped into place, and recovery of what a killed run left behind.

Takes the output root (and the folders to swap); the names of the lock, staging and superseded
folders come from :mod:`pipeline.outputs.names`. Moves and removes only its own leftovers and those
of dead processes, never another live writer's.
"""

from __future__ import annotations

import errno
import gc
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from filelock import FileLock, Timeout

from pipeline.model import RunError
from pipeline.outputs.names import LOCK_NAME, WRITER_NAME, leftover_of, superseded_folder

T = TypeVar("T")
_DISK_FULL = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}
_NO_WRITE = {errno.EACCES, errno.EPERM, errno.EROFS}


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
        # Holding the lock, the writer file is ours (or a dead writer's): it goes with the lock.
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


# ----------------------------------------------------------------------------------------------
# A full disk or a folder that cannot be written


def _os_cause(exc: BaseException) -> OSError | None:
    """The disk-full or permission error behind ``exc``: itself, an exception it wraps (xlsxwriter's
    FileCreateError carries the OSError as its argument), its cause or its context."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in _DISK_FULL | _NO_WRITE:
            return current
        todo.extend(a for a in current.args if isinstance(a, BaseException))
        todo.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return None


def _write_failure(exc: BaseException, root: Path, what: str) -> str | None:
    """The Chinese line for a write that failed for want of space or permission, else None."""
    cause = _os_cause(exc)
    if cause is None:
        return None
    if cause.errno in _DISK_FULL:
        return (
            f"磁盘空间不足，无法写入{what} {root}。已有的结果保持不变，没有留下写了一半的文件。"
            "请清理磁盘空间后重新运行" + ("（或用 --output 换到空间充足的磁盘）。" if what == OUTPUT_FOLDER else "。")
        )
    return (
        f"无法写入{what} {root}：没有写入权限，或磁盘是只读的。请检查该文件夹的权限后重新运行"
        + ("（或用 --output 换一个可以写入的文件夹）。" if what == OUTPUT_FOLDER else "。")
    )


def _quiet_os_errors(hook: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """An unraisable-exception hook that drops OSErrors: a zip container left half-written by a
    full disk tries to write its end record again when it is collected, and Python would print
    that ("Exception ignored in ZipFile.__del__ ... Errno 28") over the one line the user gets."""

    def quiet(unraisable: Any) -> None:
        if not isinstance(unraisable.exc_value, OSError):
            hook(unraisable)

    return quiet


OUTPUT_FOLDER = "输出文件夹"


def guard_writing(root: Path, write: Callable[[], T], what: str = OUTPUT_FOLDER) -> T:
    """Run ``write`` (writing into ``root``, named ``what`` to the user); a full disk or a folder
    that cannot be written becomes one Chinese :class:`RunError` (exit code 2) instead of an
    internal error with a traceback. The caller's
    writes clean up after themselves; here the failed writers' half-written zip containers are
    collected quietly before the error is raised (also in forked writer processes, which inherit
    the hook)."""
    hook = sys.unraisablehook
    sys.unraisablehook = _quiet_os_errors(hook)
    try:
        try:
            return write()
        except Exception as exc:  # noqa: BLE001 - only space and permission errors are translated
            failure = _write_failure(exc, root, what)
            if failure is None:
                raise
        # Leaving the except block freed the failed writers' frames and what they held.
        gc.collect()
    finally:
        sys.unraisablehook = hook
    raise RunError(failure)
