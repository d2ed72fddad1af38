"""Which files in the input folder are inputs, in a deterministic order, and what was skipped.

Takes the input folder and the paths to leave out (the tool's own output folder); walks it and
gives the files to read, sorted by their path inside the folder, with a problem (most of them a
提示) for everything skipped: Excel/WPS lock files, hidden files and folders, excluded paths,
symlinks that are broken, point outside the folder or to something already read, and special
files. Never opens a file.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.load.common import relative_name
from pipeline.problems import Problem, Severity, problem


def _is_lock_name(name: str) -> bool:
    return name.startswith("~$") or name.startswith(".~")


def _is_hidden(name: str, st: os.stat_result | None) -> bool:
    if name.startswith("."):
        return True
    attrs = getattr(st, "st_file_attributes", 0) if st is not None else 0
    return bool(attrs & getattr(stat, "FILE_ATTRIBUTE_HIDDEN", 0))


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def discover(input_dir: Path, exclude: Sequence[Path] = ()) -> tuple[list[Path], list[Problem]]:
    """All input files under ``input_dir`` in a deterministic order, and what was skipped and why.

    Skipped, each with a 提示: Excel/WPS lock files (``~$*``, ``.~*``), hidden files and folders,
    anything under ``exclude`` (e.g. the tool's own output folder), symlinks pointing outside the
    input folder (or to something already read), and special files (pipes, devices).
    """
    input_dir = Path(input_dir)
    root_real = _open_root(input_dir)
    if isinstance(root_real, Problem):
        return [], [root_real]
    scope = _Scope(input_dir, root_real, _resolve_all(exclude))
    problems: list[Problem] = []
    regular: list[_Found] = []
    links: list[_Found] = []
    for item in _walk(input_dir, scope):
        if isinstance(item, Problem):
            problems.append(item)
        elif item.is_link:
            links.append(item)
        else:
            regular.append(item)
    files, link_problems = _with_links(regular, links, input_dir)
    files.sort(key=lambda p: p.relative_to(input_dir).parts)
    return files, problems + link_problems


@dataclass(frozen=True)
class _Scope:
    """What every step of one walk needs: the folder as given, its real path, the excluded paths."""

    input_dir: Path
    root_real: Path
    excluded: tuple[Path, ...]


@dataclass(frozen=True)
class _Found:
    """A file to read: the path as found and its real path (for a link, the link's target)."""

    path: Path
    real: Path
    is_link: bool = False


@dataclass(frozen=True)
class _Folder:
    """A folder to walk into."""

    path: Path


def _open_root(input_dir: Path) -> Path | Problem:
    """The input folder's real path, or why there is nothing to read."""
    try:
        root_real = input_dir.resolve(strict=True)
    except (OSError, RuntimeError):
        return problem(
            "input_missing",
            f"输入文件夹不存在或无法打开：{input_dir}",
            "请检查配置中的输入文件夹路径，或先创建该文件夹并放入各社区报送的表格",
            file=str(input_dir),
        )
    if not root_real.is_dir():
        return problem(
            "input_missing",
            f"输入路径不是文件夹：{input_dir}",
            "请在配置中填写一个文件夹的路径",
            file=str(input_dir),
        )
    return root_real


def _resolve_all(exclude: Sequence[Path]) -> tuple[Path, ...]:
    """The real paths of the excluded paths that can be resolved."""
    excluded: list[Path] = []
    for ex in exclude:
        try:
            excluded.append(Path(ex).resolve())
        except (OSError, RuntimeError):
            continue
    return tuple(excluded)


def _skipped(code: str, message: str, rel: str, severity: Severity = Severity.NOTE, fix: str = "") -> Problem:
    return problem(code, message, fix, severity=severity, file=rel)


def _walk(folder: Path, scope: _Scope) -> Iterator[Problem | _Found]:
    """Depth first, entries in name order: every file or link to read and everything skipped."""
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        yield _skipped(
            "walk_error",
            f"无法打开文件夹（{exc.strerror or exc}），其中的文件没有读取",
            relative_name(folder, scope.input_dir),
            Severity.WARNING,
            "请检查该文件夹的访问权限",
        )
        return
    for entry in entries:
        verdict = _entry_verdict(entry, scope)
        if isinstance(verdict, _Folder):
            yield from _walk(verdict.path, scope)
        else:
            yield verdict


def _entry_verdict(entry: os.DirEntry[str], scope: _Scope) -> Problem | _Found | _Folder:
    """What to do with one folder entry: read it, walk into it, or skip it (and say why)."""
    path = Path(entry.path)
    rel = relative_name(path, scope.input_dir)
    name = entry.name
    try:
        lst: os.stat_result | None = entry.stat(follow_symlinks=False)
    except OSError:
        lst = None
    if _is_lock_name(name):
        return _skipped(
            "skipped_lock", "已跳过Excel/WPS临时锁定文件（文件正在被打开时自动生成，不是数据）", rel
        )
    if _is_hidden(name, lst):
        kind = "文件夹" if entry.is_dir(follow_symlinks=False) else "文件"
        return _skipped(
            "skipped_hidden",
            f"已跳过隐藏{kind}",
            rel,
            fix="如其中有需要读取的表格，请取消隐藏或改名（不以“.”开头）",
        )
    if _is_excluded(path, scope.excluded):
        return _skipped("skipped_excluded", "已跳过本工具的输出文件夹（或配置中排除的路径）", rel)
    if entry.is_symlink():
        return _link_verdict(path, rel, scope.root_real)
    if entry.is_dir(follow_symlinks=False):
        return _Folder(path)
    if lst is not None and not stat.S_ISREG(lst.st_mode):
        return _skipped("skipped_special", "已跳过特殊文件（不是普通文件）", rel)
    return _Found(path, _safe_resolve(path))


def _is_excluded(path: Path, excluded: tuple[Path, ...]) -> bool:
    absolute = Path(os.path.abspath(path))
    return any(_inside(absolute, ex) or _inside(_safe_resolve(path), ex) for ex in excluded)


def _link_verdict(path: Path, rel: str, root_real: Path) -> Problem | _Found:
    """A symlink is read only when it points to a file inside the input folder."""
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return _skipped(
            "symlink_broken",
            "快捷方式（链接）指向的文件不存在，已跳过",
            rel,
            Severity.WARNING,
            "请放入实际文件而不是链接",
        )
    if not _inside(target, root_real):
        return _skipped(
            "symlink_outside",
            "已跳过指向输入文件夹以外的快捷方式（链接），出于安全考虑不读取",
            rel,
            fix="如需读取，请把实际文件复制到输入文件夹中",
        )
    if target.is_dir():
        return _skipped(
            "symlink_duplicate",
            "已跳过指向输入文件夹内部的文件夹链接（其中的文件已直接读取）",
            rel,
        )
    return _Found(path, target, is_link=True)


def _with_links(
    regular: list[_Found], links: list[_Found], input_dir: Path
) -> tuple[list[Path], list[Problem]]:
    """The regular files, then each link to a file not read yet (read twice, its people would
    count twice), and the links skipped."""
    seen = {found.real for found in regular}
    files = [found.path for found in regular]
    problems: list[Problem] = []
    for link in links:
        rel = relative_name(link.path, input_dir)
        if link.real in seen:
            problems.append(
                _skipped(
                    "symlink_duplicate", "已跳过快捷方式（链接）：它指向的文件已经读取，避免重复计数", rel
                )
            )
            continue
        if not link.real.is_file():
            problems.append(_skipped("skipped_special", "已跳过特殊文件（不是普通文件）", rel))
            continue
        seen.add(link.real)
        files.append(link.path)
    return files, problems


def _safe_resolve(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return Path(os.path.abspath(path))
