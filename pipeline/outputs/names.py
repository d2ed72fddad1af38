"""Every output path and file name, in one place: the run folder ``output/<as-of>/`` and what is in
it (workbooks, circular, summary, manifest, outbox), the blank templates, and the archive's folder
of an issued circular.

Takes the as-of date (always a ``datetime.date``), folders, and the settings where a community's
name is part of a file name; gives names and paths. Builds names only: it never creates, reads or
writes a file.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path
from typing import NamedTuple

from pipeline.settings import Community, Settings
from pipeline.wording import health_centre

# ----------------------------------------------------------------------------------------------
# The run folder: output/<as-of>/, written beside itself and swapped into place


LOCK_NAME = ".screening.lock"  # in the output root: one writer at a time (an OS lock on this file)
WRITER_NAME = ".screening.writer"  # beside it: the process number of the writer holding the lock
STAGING_PREFIX = ".tmp-"  # a run being written: .tmp-<as-of>-<pid>
SUPERSEDED_PREFIX = ".old-"  # the previous result while it is replaced: .old-<as-of>-<pid>


def run_folder(output_root: Path, as_of: dt.date) -> Path:
    """``output/<as-of>/``: everything one run writes."""
    return output_root / as_of.isoformat()


def staging_folder(output_root: Path, as_of: dt.date, pid: int) -> Path:
    """Where process ``pid`` writes the run before swapping it into place."""
    return output_root / f"{STAGING_PREFIX}{as_of.isoformat()}-{pid}"


def superseded_folder(final: Path, pid: int) -> Path:
    """Where process ``pid`` moves the previous ``final`` folder while the new one moves in."""
    return final.with_name(f"{SUPERSEDED_PREFIX}{final.name}-{pid}")


class Leftover(NamedTuple):
    """A staging or superseded folder, read back from its name."""

    superseded: bool  # .old- (a previous result) rather than .tmp- (an unfinished run)
    target: str  # the name of the run folder it belongs to
    pid: int  # the process that made it


def leftover_of(name: str) -> Leftover | None:
    """The :class:`Leftover` a folder name stands for, or None for any other name."""
    for prefix in (SUPERSEDED_PREFIX, STAGING_PREFIX):
        if name.startswith(prefix):
            target, _, pid_text = name[len(prefix) :].rpartition("-")
            if not pid_text.isdigit():
                return None
            return Leftover(prefix == SUPERSEDED_PREFIX, target, int(pid_text))
    return None


# ----------------------------------------------------------------------------------------------
# In the run folder


SUMMARY_FILE = "summary.json"
MANIFEST_FILE = "manifest.json"
PROBLEMS_FILE = "数据问题.xlsx"
COMMUNITY_FOLDER = "社区"
OUTBOX = "outbox"  # the dry run's .eml files: output/<as-of>/outbox/
REMIND_OUTBOX = "催报"  # the reminders' .eml files: output/<as-of>/outbox/催报/


def remind_text_name(due: dt.date) -> str:
    """The reminder for the WeChat group, ``output/<as-of>/催报_<due date>.txt``."""
    return f"催报_{due.isoformat()}.txt"


def master_filename(as_of: dt.date) -> str:
    return f"两筛进度汇总_{as_of.isoformat()}.xlsx"


def leaders_filename(as_of: dt.date) -> str:
    return f"领导版_{as_of.isoformat()}.xlsx"


def spot_check_filename(as_of: dt.date) -> str:
    """The inspection group's list (督查抽查名单): never attached to any mail."""
    return f"督查抽查名单_{as_of.isoformat()}.xlsx"


_UNSAFE_STEM = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def health_centre_filename(settings: Settings, as_of: dt.date) -> str:
    """``<the health centre's short name>核对清单_<as-of>.xlsx`` (卫生院核对清单_2020-12-31.xlsx)."""
    return f"{_UNSAFE_STEM.sub('_', health_centre(settings))}核对清单_{as_of.isoformat()}.xlsx"


def community_filename(settings: Settings, key: str) -> str:
    """``社区/<the name people read>.xlsx``: the community's name, with as much of its path as
    makes it unique where the name repeats under another parent (城关镇王庄村)."""
    settings.community(key)  # a key that is not configured is a mistake, not a file
    return f"{COMMUNITY_FOLDER}/{_UNSAFE_STEM.sub('_', settings.display_name(key))}.xlsx"


def township_names(settings: Settings) -> dict[str, str]:
    """Each township (a communities' ``parent``) by its shortest unambiguous name, as for
    communities (平安县城关镇 where two counties have a 城关镇, else 城关镇); in config order."""
    parents = list(dict.fromkeys(c.parent for c in settings.communities if c.parent))
    paths = {p: tuple(part for part in p.split("/") if part) for p in parents}
    tails = Counter(path[-n:] for path in paths.values() for n in range(1, len(path) + 1))
    out = {}
    for parent, path in paths.items():
        n = next((n for n in range(1, len(path) + 1) if tails[path[-n:]] == 1), len(path))
        out[parent] = "".join(path[-n:])
    return out


def township_folder(settings: Settings) -> str:
    """The folder of the township workbooks: the level's own word (乡镇), from ``organisation.levels``."""
    levels = settings.organisation.levels
    word = levels[-2] if len(levels) >= 2 else "乡镇"
    return _UNSAFE_STEM.sub("_", word) or "乡镇"


def township_filename(settings: Settings, parent: str, names: dict[str, str] | None = None) -> str:
    """``乡镇/<the township's name>.xlsx`` (``[outputs] unit_level = "township"``)."""
    names = names if names is not None else township_names(settings)
    return f"{township_folder(settings)}/{_UNSAFE_STEM.sub('_', names[parent])}.xlsx"


def community_attachment_name(name: str, as_of: dt.date) -> str:
    """The name a community's workbook carries as an email attachment."""
    return f"{name}_两筛进度_{as_of.isoformat()}.xlsx"


class CircularNames(NamedTuple):
    docx: str
    html: str
    text: str


def circular_names(as_of: dt.date) -> CircularNames:
    """``通报_<as-of>.docx``, ``通报_<as-of>.html`` and ``通报摘要_<as-of>.txt``."""
    stamp = as_of.isoformat()
    return CircularNames(f"通报_{stamp}.docx", f"通报_{stamp}.html", f"通报摘要_{stamp}.txt")


_UNSAFE_RUN = re.compile(r'[\\/:*?"<>|\s\x00-\x1f]+')


def safe_part(text: str, fallback: str) -> str:
    """``text`` usable inside a file name: separators, spaces and control characters become "_"."""
    return _UNSAFE_RUN.sub("_", text).strip("._") or fallback


def outbox_message_name(number: int, label: str, recipient: str) -> str:
    """``NN_<who>_<address>.eml``: one message of the dry run."""
    return f"{number:02d}_{safe_part(label, '收件人')}_{safe_part(recipient, '收件人')}.eml"


# ----------------------------------------------------------------------------------------------
# Blank templates and the archive


REGISTER_TEMPLATE = "办事处登记.xlsx"


def roster_template_name(community: Community) -> str:
    return f"{community.name}已孕对象花名册模板.xlsx"


def template_paths(folder: Path, settings: Settings) -> list[Path]:
    """The files ``screening template`` writes into ``folder``, in order."""
    return [folder / roster_template_name(c) for c in settings.communities] + [folder / REGISTER_TEMPLATE]


def issue_folder_name(period_end: dt.date, number: str, revision: int) -> str:
    """``<period end>_<number>_r<revision>``: the archive's folder of one issued circular."""
    return f"{period_end.isoformat()}_{safe_part(number, '无文号')}_r{revision}"


RECORD_FILE = "record.json"  # in an issued circular's folder: its record and hash, as sealed
PLACING_PREFIX = ".placing-"  # a circular's folder being filed: .placing-<folder>-<pid>
UNRECORDED_PREFIX = ".unrecorded-"  # a folder no record knows, moved aside: .unrecorded-<folder>-<tag>
_ISSUE_FOLDER = re.compile(r"\d{4}-\d{2}-\d{2}_.+_r\d+")


def is_issue_folder_name(name: str) -> bool:
    """Whether ``name`` has the form :func:`issue_folder_name` gives."""
    return _ISSUE_FOLDER.fullmatch(name) is not None


def placing_folder_name(name: str, pid: int) -> str:
    return f"{PLACING_PREFIX}{name}-{pid}"


def placing_target(placing: str) -> str | None:
    """The issue folder a ``.placing-<folder>-<pid>`` folder becomes, or None for another name."""
    if not placing.startswith(PLACING_PREFIX):
        return None
    target, _, pid = placing[len(PLACING_PREFIX) :].rpartition("-")
    return target if pid.isdigit() and target else None


def unrecorded_folder_name(name: str, tag: str) -> str:
    return f"{UNRECORDED_PREFIX}{name}-{tag}"
