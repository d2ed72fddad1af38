"""One writer at a time per output folder, and recovery from a run killed mid-swap."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.model import RunError
from pipeline.outputs.folder import output_lock, recover_outputs
from pipeline.outputs.names import LOCK_NAME, WRITER_NAME


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


HOLD = """
import sys, time
from pathlib import Path
from pipeline.outputs.folder import output_lock
with output_lock(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(30)
"""


def test_second_writer_is_refused_with_the_holders_pid(tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(RunError, match=str(holder.pid)), output_lock(tmp_path):
            pass
    finally:
        holder.kill()
        holder.wait()
    with output_lock(tmp_path):  # a killed holder's lock is gone with it
        pass


EMPTY_HOLDER = """
import sys, time
from pathlib import Path
from pipeline.outputs.folder import output_lock
from pipeline.outputs.names import LOCK_NAME, WRITER_NAME
root = Path(sys.argv[1])
with output_lock(root):
    (root / LOCK_NAME).write_bytes(b"")  # as a holder looks the instant after creating its file
    (root / WRITER_NAME).unlink()
    print("held", flush=True)
    time.sleep(30)
"""


def test_a_live_holder_with_an_empty_lock_file_is_not_taken_over(tmp_path: Path) -> None:
    """The PID file's race: a lock file just created, its PID not yet written, was taken over."""
    holder = subprocess.Popen([sys.executable, "-c", EMPTY_HOLDER, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(RunError, match="另一个 screening 正在写入"), output_lock(tmp_path):
            pass
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.parametrize("content", ["", "\n", "abc", "999999999\n", "pid"])
def test_a_stale_or_empty_lock_file_does_not_block(tmp_path: Path, content: str) -> None:
    (tmp_path / LOCK_NAME).write_text(content, encoding="ascii")
    (tmp_path / WRITER_NAME).write_text(f"{_dead_pid()}\n", encoding="ascii")
    with output_lock(tmp_path):
        assert (tmp_path / WRITER_NAME).read_text(encoding="ascii").strip() == str(os.getpid())
    assert not (tmp_path / WRITER_NAME).exists()


def test_the_lock_is_exclusive_within_one_process_too(tmp_path: Path) -> None:
    with output_lock(tmp_path), pytest.raises(RunError), output_lock(tmp_path):
        pass


RACE = r"""
import os, sys, time
from pathlib import Path
from pipeline.model import RunError
from pipeline.outputs.folder import output_lock
root, log, start, trials = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
for i in range(trials):
    time.sleep(max(0.0, start + 0.12 * i - time.time()))  # both processes start trial i together
    try:
        with output_lock(root / str(i)):
            os.write(fd, f"{i} in {os.getpid()} {time.monotonic_ns()}\n".encode())
            time.sleep(0.03)
            os.write(fd, f"{i} out {os.getpid()} {time.monotonic_ns()}\n".encode())
    except RunError:
        os.write(fd, f"{i} refused {os.getpid()} 0\n".encode())
"""


def test_two_processes_racing_for_the_lock_never_both_hold_it(tmp_path: Path) -> None:
    """A direct race, ``trials`` times: two processes ask for the same fresh output folder's lock at
    the same moment. Exactly one holds it each time (the PID file let both in 1-4 times in 40)."""
    trials = 40 if int(os.environ.get("FUZZ_EXAMPLES", "15") or 15) > 15 else 15  # `make fuzz`: 40
    for i in range(trials):
        (tmp_path / str(i)).mkdir()
    log = tmp_path / "race.log"
    start = time.time() + 3.0  # after both interpreters have started and imported the package
    procs = [
        subprocess.Popen([sys.executable, "-c", RACE, str(tmp_path), str(log), str(start), str(trials)])
        for _ in range(2)
    ]
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    events: dict[int, list[tuple[str, int, int]]] = {}
    for line in log.read_text(encoding="ascii").splitlines():
        trial, what, pid, when = line.split()
        events.setdefault(int(trial), []).append((what, int(pid), int(when)))
    for trial in range(trials):
        got = events[trial]
        ins = sorted(when for what, _pid, when in got if what == "in")
        outs = sorted(when for what, _pid, when in got if what == "out")
        assert ins, f"trial {trial}: nobody got the lock"
        # Whoever got in second (if the other had already finished) entered after the first left.
        assert all(ins[k + 1] > outs[k] for k in range(len(ins) - 1)), f"trial {trial}: both held the lock: {got}"


def test_recovery_restores_the_previous_result_killed_between_renames(tmp_path: Path) -> None:
    dead = _dead_pid()
    old = tmp_path / f".old-2020-06-30-{dead}"
    old.mkdir()
    (old / "summary.json").write_text("{}", encoding="utf-8")
    tmp = tmp_path / f".tmp-2020-06-30-{dead}"
    tmp.mkdir()
    done = recover_outputs(tmp_path)
    assert (tmp_path / "2020-06-30" / "summary.json").exists()
    assert not old.exists() and not tmp.exists()
    assert sorted(done) == [f"removed .tmp-2020-06-30-{dead}", "restored 2020-06-30"]


def test_recovery_leaves_a_live_writers_folders_alone(tmp_path: Path) -> None:
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        tmp = tmp_path / f".tmp-2020-06-30-{live.pid}"
        tmp.mkdir()
        assert recover_outputs(tmp_path) == []
        assert tmp.exists()
    finally:
        live.kill()
        live.wait()
