"""The ``screening`` command. Only parses options and calls the library; no traceback ever
reaches the user: expected problems get a Chinese message, unexpected ones a line and a log file.

``app`` holds the group and the shared options; each other module registers its commands on it."""

from __future__ import annotations

from pipeline.cli import archive, commands, mail  # noqa: F401 - registers the commands
from pipeline.cli.app import main

__all__ = ["main"]
