"""The errors worded for the office user: the CLI prints one as a Chinese line and exits."""

from __future__ import annotations


class ScreeningError(Exception):
    """A problem worded for the office user (Chinese): the CLI prints it as one line and exits
    with ``exit_code`` (2: the run could not start; 1: a command could not do what was asked)."""

    exit_code = 1


class SettingsError(ScreeningError):
    """A config problem, worded for the office user (Chinese), naming the key."""

    exit_code = 2
