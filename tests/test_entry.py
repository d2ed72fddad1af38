"""The entry point starts the readers' fork server (preloaded with the readers' modules) only for
the commands that read input, before the CLI's heavy imports."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys

import pytest

from pipeline import entry
from pipeline.load import isolate


def test_entry_preloads_the_module_of_the_readers_worker() -> None:
    # entry.py may not import pipeline.load (pandas); the two lists must still name the same module.
    assert entry.WORKER_PRELOAD == isolate.WORKER_PRELOAD
    assert isolate._worker_main.__module__ in entry.WORKER_PRELOAD


@pytest.mark.parametrize(
    ("argv", "starts"),
    [
        (["screening", "run"], True),
        (["screening", "check", "--input", "x"], True),
        (["screening", "--help"], False),
        (["screening", "demo", "input"], False),
        (["screening"], False),
    ],
)
def test_the_fork_server_starts_only_for_reading_commands(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], starts: bool
) -> None:
    from multiprocessing import forkserver

    started: list[bool] = []
    monkeypatch.setattr(forkserver, "ensure_running", lambda: started.append(True))
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["fork", "spawn", "forkserver"])
    entry.start_reader_server(argv)
    assert started == ([True] if starts else [])


def test_the_cli_module_imports_no_pandas() -> None:
    # `screening --help` (and the commands that read nothing) start without pandas (~0.35 s).
    code = "import sys, pipeline.entry, pipeline.cli; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
