"""Reading every input file, each Excel-family file in a worker process with limits.

Takes the input folder, the :class:`Limits` and the paths to leave out; discovers the files and
reads each with :func:`pipeline.load.read.read_file`. Zip and OLE2 containers (the formats a
parser may crash or hang on) are read in a reusable worker process killed after a time limit
and, on POSIX, limited in memory, so a file that still crashes or hangs the parser costs only
that file; when no worker can start at all, files are read in-process (the guards still apply).
With several workers the files are shared among that many worker processes, largest first, and
the results are the same as reading one at a time. Gives the results in discovery order and the
discovery problems; never raises for a bad file.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pipeline.load.cfb import CFB_MAGIC
from pipeline.load.common import MB, UNREADABLE_FIX, Rejected, relative_name, sha256_file
from pipeline.load.discovery import discover
from pipeline.load.read import read_file
from pipeline.load.sniff import sniff_format
from pipeline.model import FileResult
from pipeline.problems import Problem, problem
from pipeline.settings import Limits

if sys.platform != "win32":
    import resource


def _memory_budget(limits: Limits) -> int:
    """Extra address space the worker may use: room for the largest allowed sheet, as the
    parser's cells, the Python objects and the pickled result."""
    return int(1024 * MB + limits.max_cells * 160)


def _set_memory_limit(extra: int) -> None:
    if sys.platform == "win32":  # no resource limits there: only the time limit applies
        return
    try:
        with open("/proc/self/statm") as fh:
            current = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        return  # no reliable baseline (e.g. macOS): do not risk starving the worker
    limit = current + extra
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ValueError, OSError):
        pass


def _worker_main(conn: Any, extra_memory: int) -> None:
    # A parser that dies on a hostile file must not spill a Rust backtrace into the user's console;
    # the failure is reported as a problem by the parent.
    os.environ["RUST_BACKTRACE"] = "0"
    if os.name == "posix":
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 2)
            os.close(devnull)
        except OSError:
            pass
    _set_memory_limit(extra_memory)
    conn.send(_READY)
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        path, root, limits = msg
        try:
            result = read_file(path, root, limits)
        except MemoryError:
            result = None
        try:
            conn.send(result)
        except MemoryError:
            conn.send(None)


# The modules a reading worker needs, imported once by the fork server (which then forks every
# worker with them loaded) instead of by each worker after it starts: pandas alone takes ~0.35 s.
WORKER_PRELOAD = ["pipeline.load.isolate"]


def _mp_context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" not in methods:
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(WORKER_PRELOAD)  # no effect once the server runs: it is started once
    return ctx


_READY = "ready"
_WORKER_START_SECONDS = 60.0


class _WorkerUnavailable(Exception):
    """No worker process can be started here (e.g. ``__main__`` cannot be imported by spawn)."""


class _IsolatedReader:
    """One reusable worker process; replaced when a file kills or hangs it. When no worker can
    start at all, files are read in-process (the pre-scan guards still apply) instead of every
    file being reported unreadable."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.proc: Any = None
        self.conn: Any = None
        self.unavailable = False

    def _start(self) -> None:
        ctx = _mp_context()
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_worker_main, args=(child, _memory_budget(self.limits)), daemon=True)
        proc.start()
        child.close()
        self.proc, self.conn = proc, parent
        try:
            ready = parent.poll(_WORKER_START_SECONDS) and parent.recv() == _READY
        except (EOFError, OSError):
            ready = False
        if not ready:
            self._stop(kill=True)
            self.unavailable = True
            raise _WorkerUnavailable

    def _stop(self, kill: bool) -> None:
        if self.proc is None:
            return
        try:
            if not kill:
                self.conn.send(None)
                self.proc.join(5)
            if self.proc.is_alive():
                self.proc.kill()
                self.proc.join(5)
        except (OSError, ValueError, BrokenPipeError):
            pass
        finally:
            try:
                self.conn.close()
            except OSError:
                pass
            self.proc = self.conn = None

    def close(self) -> None:
        self._stop(kill=False)

    def __enter__(self) -> _IsolatedReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read(self, path: Path, root: Path, timeout_s: float) -> FileResult:
        path, root = Path(path), Path(root)
        if self.unavailable:
            return read_file(path, root, self.limits)
        try:
            if self.proc is None or not self.proc.is_alive():
                self._stop(kill=True)
                self._start()
            self.conn.send((path, root, self.limits))
        except (OSError, ValueError, BrokenPipeError, _WorkerUnavailable):
            self._stop(kill=True)
            return read_file(path, root, self.limits)  # no worker possible: read in-process
        reason = ""
        try:
            if self.conn.poll(timeout_s):
                result = self.conn.recv()
                if isinstance(result, FileResult):
                    return result
                reason = "读取时内存不足（文件过大或已损坏）"
            else:
                reason = f"读取超时（超过 {timeout_s:.0f} 秒），文件可能过大或已损坏"
                self._stop(kill=True)
        except (EOFError, OSError):
            self.proc.join(5)
            code = self.proc.exitcode
            reason = f"读取时解析程序异常退出（退出码 {code}），文件可能已损坏或过大"
            self._stop(kill=True)
        return _failed_result(path, root, reason)


def _failed_result(path: Path, root: Path, reason: str) -> FileResult:
    rel = relative_name(path, root)
    try:
        size = path.stat().st_size
        digest = sha256_file(path)
        with open(path, "rb") as fh:
            head = fh.read(65536)
        try:
            fmt = sniff_format(path, head, path.suffix.lower()).format
        except Rejected as rej:
            fmt = rej.fmt or "unknown"
    except OSError:
        size, digest, fmt = 0, "", "unknown"
    p = problem("unreadable", f"文件无法读取：{reason}", UNREADABLE_FIX, file=rel)
    return FileResult(rel, fmt, size, digest, [], [p])


def read_file_isolated(path: Path, root: Path, limits: Limits, timeout_s: float = 120.0) -> FileResult:
    """:func:`read_file` in a separate process, killed after ``timeout_s`` seconds (and, on POSIX,
    limited in memory), so a file that crashes or hangs the parser costs only that file."""
    with _IsolatedReader(limits) as reader:
        return reader.read(path, root, timeout_s)


def _timeout_for(path: Path) -> float:
    try:
        size_mb = path.stat().st_size / MB
    except OSError:
        size_mb = 0.0
    return 60.0 + 3.0 * size_mb


def _needs_isolation(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError:
        return False
    return head.startswith(b"PK") or head.startswith(CFB_MAGIC)


def default_workers() -> int:
    """Reader processes for :func:`read_all`: one per core this process may run on; the
    environment variable ``SCREENING_WORKERS`` overrides (1 = read one file at a time)."""
    env = os.environ.get("SCREENING_WORKERS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def read_all(
    input_dir: Path,
    limits: Limits,
    exclude: Sequence[Path] = (),
    *,
    workers: int | None = None,
    on_file: Callable[[FileResult], None] | None = None,
) -> tuple[list[FileResult], list[Problem]]:
    """Discover and read every input file.

    Returns the results in discovery order and the discovery problems (skipped files and
    folders); each file's own problems are in its :attr:`FileResult.problems`.
    Excel-family files (zip or OLE2 containers) are parsed in an isolated worker process. With
    several ``workers`` (default: one per core) every file is read in one of that many isolated
    worker processes, largest files first; the results are the same as reading one at a time.
    ``on_file`` is called (from one thread at a time) after each file, e.g. for a progress display.
    """
    input_dir = Path(input_dir)
    paths, problems = discover(input_dir, exclude)
    n = default_workers() if workers is None else max(1, workers)
    n = min(n, len(paths))
    if n <= 1:
        return _read_one_by_one(paths, input_dir, limits, on_file), problems
    return _read_parallel(paths, input_dir, limits, n, on_file), problems


def _read_one_by_one(
    paths: Sequence[Path], root: Path, limits: Limits, on_file: Callable[[FileResult], None] | None
) -> list[FileResult]:
    """In order, with one worker process for the Excel-family files; the others in-process."""
    results: list[FileResult] = []
    reader = _IsolatedReader(limits)
    try:
        for path in paths:
            if _needs_isolation(path):
                results.append(reader.read(path, root, _timeout_for(path)))
            else:
                results.append(read_file(path, root, limits))
            if on_file is not None:
                on_file(results[-1])
    finally:
        reader.close()
    return results


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _read_parallel(
    paths: Sequence[Path], root: Path, limits: Limits, n: int, on_file: Callable[[FileResult], None] | None
) -> list[FileResult]:
    """Every file in one of ``n`` worker processes, each driven by a thread; results in order."""
    slots: list[FileResult | None] = [None] * len(paths)
    # Largest first, so that one big file does not start last and keep one core busy alone.
    pending = iter(sorted(range(len(paths)), key=lambda i: -_file_size(paths[i])))
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work() -> None:
        reader = _IsolatedReader(limits)
        try:
            while True:
                with lock:
                    i = next(pending, None)
                if i is None or errors:
                    return
                path = paths[i]
                result = reader.read(path, root, _timeout_for(path))
                slots[i] = result
                if on_file is not None:
                    with lock:
                        on_file(result)
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)
        finally:
            reader.close()

    threads = [threading.Thread(target=work, name=f"screening-reader-{k}", daemon=True) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return [
        r if r is not None else _failed_result(p, root, "读取被中断")
        for r, p in zip(slots, paths, strict=True)
    ]
