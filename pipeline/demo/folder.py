"""The demo input folder: every file of a built ``Demo`` as data, and ``generate_demo`` writing them.

``demo_files`` gathers the rosters (one file per submission), the health centre's files and the
office's files as ``FileSpec``s, sorted by name; ``generate_demo`` builds the year from the seed and
writes those files into a folder. The only module of the demo that writes.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.demo.files import FileSpec, write_file
from pipeline.demo.logs import log_files
from pipeline.demo.office import office_files
from pipeline.demo.plan import Demo, build
from pipeline.demo.rosters import roster_sheets
from pipeline.demo.schedule import Submission
from pipeline.settings import Settings


def demo_files(demo: Demo) -> list[FileSpec]:
    """Every file of the demo folder, sorted by name."""
    files = [_roster_file(demo, sub) for sub in demo.submissions]
    files += log_files(demo)
    files += office_files(demo)
    return sorted(files, key=lambda f: f.name)


def _roster_file(demo: Demo, sub: Submission) -> FileSpec:
    """A roster submission; as CSV it keeps only its first sheet, and the GBK one loses its titles."""
    spec = FileSpec(sub.filename, "roster", roster_sheets(demo, sub), fmt=sub.fmt)
    if sub.fmt != "xlsx":
        spec.sheets = spec.sheets[:1]
        spec.text_date_style = 1 if sub.fmt == "csv-gbk" else 2
        if sub.fmt == "csv-gbk":
            spec.sheets[0].titles = []
    return spec


def generate_demo(out_dir: Path, settings: Settings, seed: int = 2020) -> list[Path]:
    """Write the demo input folder into ``out_dir`` (created if needed); return the files, sorted."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for spec in demo_files(build(settings, seed)):
        path = out_dir / spec.name
        write_file(path, spec)
        written.append(path)
    return sorted(written)
