"""Stage 1: input files -> raw cell grids, never losing anything silently.

Every file found in the input folder becomes one :class:`FileResult`: its real format (detected from
the bytes, not the extension), its hash, the sheets that could be read as exact cell grids
(``rows[0]`` is Excel row 1, ``rows[r][0]`` is column A), and the problems met on the way, worded
in Chinese for the office user. Nothing here raises to the caller.

Hostile or broken files are stopped before a parser sees them: size limits, zip-bomb checks and a
cheap scan of each sheet's real extent (python-calamine allocates the whole rectangle between the
first and the last cell, so one stray far cell in a 1 KB file asks for gigabytes and a failed
allocation aborts the whole process). As a last line of defence :func:`read_all` reads the
Excel-family formats in a separate worker process with a time limit (and, on POSIX, a memory
limit), so a file that still manages to crash or hang the parser costs only that file.

The modules, in the order a file meets them:

- :mod:`~pipeline.load.discovery`: which files in the input folder are inputs, and what was skipped;
- :mod:`~pipeline.load.sniff`: the real format, from the bytes (:mod:`~pipeline.load.cfb` reads
  the OLE2 container of .xls files);
- :mod:`~pipeline.load.guard`: size, zip-bomb and sheet-extent pre-scans (:mod:`~pipeline.load.biff`
  for .xls);
- :mod:`~pipeline.load.excel`, :mod:`~pipeline.load.text`, :mod:`~pipeline.load.html`: the readers;
- :mod:`~pipeline.load.read`: one file, in this process, never raising;
- :mod:`~pipeline.load.isolate`: every file, Excel-family ones in worker processes with limits.

:mod:`~pipeline.load.common` holds what several of them share (the reading context, the
rejection, the messages).
"""

from pipeline.load.common import (
    EXCEL_FORMATS,
    EXTENSION_FORMATS,
    FORMAT_LABELS,
    PASSWORD_FIX,
    PASSWORD_MESSAGE,
    RESEND_FIX,
    SPLIT_FIX,
    UNREADABLE_FIX,
)
from pipeline.load.discovery import discover
from pipeline.load.isolate import default_workers, read_all, read_file_isolated
from pipeline.load.read import read_file

__all__ = [
    "EXCEL_FORMATS",
    "EXTENSION_FORMATS",
    "FORMAT_LABELS",
    "PASSWORD_FIX",
    "PASSWORD_MESSAGE",
    "RESEND_FIX",
    "SPLIT_FIX",
    "UNREADABLE_FIX",
    "default_workers",
    "discover",
    "read_all",
    "read_file",
    "read_file_isolated",
]
