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
from collections.abc import Sequence
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
    problems: list[Problem] = []
    try:
        root_real = input_dir.resolve(strict=True)
    except (OSError, RuntimeError):
        problems.append(
            problem(
                "input_missing",
                f"输入文件夹不存在或无法打开：{input_dir}",
                "请检查配置中的输入文件夹路径，或先创建该文件夹并放入各社区报送的表格",
                file=str(input_dir),
            )
        )
        return [], problems
    if not root_real.is_dir():
        problems.append(
            problem(
                "input_missing",
                f"输入路径不是文件夹：{input_dir}",
                "请在配置中填写一个文件夹的路径",
                file=str(input_dir),
            )
        )
        return [], problems
    excluded: list[Path] = []
    for ex in exclude:
        try:
            excluded.append(Path(ex).resolve())
        except (OSError, RuntimeError):
            continue

    def note(code: str, message: str, rel: str, severity: Severity = "提示", fix: str = "") -> None:
        problems.append(problem(code, message, fix, severity=severity, file=rel))

    regular: list[tuple[Path, Path]] = []  # (path as found, real path)
    links: list[tuple[Path, Path]] = []

    def walk(folder: Path) -> None:
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            note(
                "walk_error",
                f"无法打开文件夹（{exc.strerror or exc}），其中的文件没有读取",
                relative_name(folder, input_dir),
                "警告",
                "请检查该文件夹的访问权限",
            )
            return
        for entry in entries:
            path = Path(entry.path)
            rel = relative_name(path, input_dir)
            name = entry.name
            try:
                lst = entry.stat(follow_symlinks=False)
            except OSError:
                lst = None
            if _is_lock_name(name):
                note("skipped_lock", "已跳过Excel/WPS临时锁定文件（文件正在被打开时自动生成，不是数据）", rel)
                continue
            if _is_hidden(name, lst):
                kind = "文件夹" if entry.is_dir(follow_symlinks=False) else "文件"
                note(
                    "skipped_hidden",
                    f"已跳过隐藏{kind}",
                    rel,
                    fix="如其中有需要读取的表格，请取消隐藏或改名（不以“.”开头）",
                )
                continue
            absolute = Path(os.path.abspath(path))
            if any(_inside(absolute, ex) or _inside(_safe_resolve(path), ex) for ex in excluded):
                note("skipped_excluded", "已跳过本工具的输出文件夹（或配置中排除的路径）", rel)
                continue
            if entry.is_symlink():
                try:
                    target = path.resolve(strict=True)
                except (OSError, RuntimeError):
                    note(
                        "symlink_broken",
                        "快捷方式（链接）指向的文件不存在，已跳过",
                        rel,
                        "警告",
                        "请放入实际文件而不是链接",
                    )
                    continue
                if not _inside(target, root_real):
                    note(
                        "symlink_outside",
                        "已跳过指向输入文件夹以外的快捷方式（链接），出于安全考虑不读取",
                        rel,
                        fix="如需读取，请把实际文件复制到输入文件夹中",
                    )
                    continue
                if target.is_dir():
                    note(
                        "symlink_duplicate",
                        "已跳过指向输入文件夹内部的文件夹链接（其中的文件已直接读取）",
                        rel,
                    )
                    continue
                links.append((path, target))
                continue
            if entry.is_dir(follow_symlinks=False):
                walk(path)
                continue
            if lst is not None and not stat.S_ISREG(lst.st_mode):
                note("skipped_special", "已跳过特殊文件（不是普通文件）", rel)
                continue
            regular.append((path, _safe_resolve(path)))

    walk(input_dir)
    seen = {real for _, real in regular}
    files = [p for p, _ in regular]
    for path, target in links:
        if target in seen:
            note(
                "symlink_duplicate",
                "已跳过快捷方式（链接）：它指向的文件已经读取，避免重复计数",
                relative_name(path, input_dir),
            )
            continue
        if not target.is_file():
            note("skipped_special", "已跳过特殊文件（不是普通文件）", relative_name(path, input_dir))
            continue
        seen.add(target)
        files.append(path)
    files.sort(key=lambda p: p.relative_to(input_dir).parts)
    return files, problems


def _safe_resolve(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return Path(os.path.abspath(path))
