"""The ``screening`` entry point: starts the readers' fork server before anything heavy is
imported, then hands over to :mod:`pipeline.cli`.

The commands that read input (run, check, ...) need reading workers whose modules (pandas and the
readers) take ~0.4 s to import; started first, the fork server imports them on another core while
this process imports the same modules for the CLI. Only the standard library is imported here.
"""

from __future__ import annotations

import multiprocessing
import sys

# The commands that read the input folder (and so start reading workers).
READING_COMMANDS = frozenset({"run", "check", "remind", "archive"})
# Must name the module of the readers' worker function (pipeline.load.isolate.WORKER_PRELOAD).
WORKER_PRELOAD = ["pipeline.load.isolate"]


def start_reader_server(argv: list[str]) -> None:
    """Start the fork server with the readers' modules preloaded when the command reads input."""
    command = next((a for a in argv[1:] if not a.startswith("-")), "")
    if command not in READING_COMMANDS or "forkserver" not in multiprocessing.get_all_start_methods():
        return
    from multiprocessing import forkserver  # start-up speed: only for the reading commands

    multiprocessing.get_context("forkserver").set_forkserver_preload(WORKER_PRELOAD)
    try:
        forkserver.ensure_running()
    except (OSError, ValueError):
        pass  # the readers start it themselves (or read in-process)


def main() -> None:
    start_reader_server(sys.argv)
    from pipeline.cli import main as cli_main  # start-up speed: after the fork server is started

    cli_main()
