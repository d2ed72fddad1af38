"""Render a run's circular and workbooks as a reader sees them: PDF pages and PNG images.

    python scripts/preview.py [--as-of YYYY-MM-DD] [--output output]

Runs ``screening run`` on the demo input (or uses the run folder of ``--as-of`` when it already
exists and ``--no-run`` is given), converts the circular (.docx) and every workbook kind to PDF with
LibreOffice, and each PDF page to PNG with pdftoppm, into ``output/preview/<as-of>/``. Without an
``--as-of`` it renders the run it has just made (today's date clamped to the programme), never an
older or stray folder. Needs ``libreoffice`` and ``pdftoppm`` (``make preview`` installs them on
Debian/Ubuntu); a missing tool is named with how to install it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TOOLS = {
    "libreoffice": "apt-get install libreoffice-writer libreoffice-calc fonts-noto-cjk",
    "pdftoppm": "apt-get install poppler-utils",
}


def missing_tools() -> list[str]:
    return [f"{tool}（安装：{how}）" for tool, how in TOOLS.items() if shutil.which(tool) is None]


def default_as_of() -> dt.date:
    sys.path.insert(0, str(REPO))
    from pipeline.calendar import default_as_of as clamp
    from pipeline.settings import load_settings

    return clamp(dt.date.today(), load_settings(REPO / "config.toml"))


def documents(run: Path) -> list[Path]:
    """The circular and one workbook of each kind (the first community's)."""
    picks = [*sorted(run.glob("通报_*.docx")), *sorted(run.glob("*.xlsx"))]
    picks += sorted((run / "社区").glob("*.xlsx"))[:1]
    return picks


def render(run: Path, target: Path) -> list[Path]:
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for doc in documents(run):
        shutil.copy(doc, target / doc.name)
    sources = sorted(p.name for p in target.iterdir())
    subprocess.run(["libreoffice", "--headless", "--convert-to", "pdf", *sources], cwd=target, check=True,
                   capture_output=True, timeout=600)
    pages: list[Path] = []
    for pdf in sorted(target.glob("*.pdf")):
        subprocess.run(["pdftoppm", "-r", "80", "-png", pdf.name, pdf.stem], cwd=target, check=True, timeout=600)
        pages += sorted(target.glob(f"{pdf.stem}-*.png"))
    return pages


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None)
    parser.add_argument("--output", type=Path, default=REPO / "output")
    parser.add_argument("--no-run", action="store_true", help="render the existing run folder of --as-of")
    args = parser.parse_args()
    missing = missing_tools()
    if missing:
        print("预览需要以下程序，尚未安装：" + "；".join(missing), file=sys.stderr)
        return 2
    as_of = args.as_of or default_as_of()
    run = args.output / as_of.isoformat()
    if not args.no_run:
        subprocess.run([sys.executable, "-m", "pipeline", "run", "--input", str(REPO / "input"), "--output",
                        str(args.output), "--as-of", as_of.isoformat(), "--config", str(REPO / "config.toml")],
                       cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    if not run.is_dir():
        print(f"找不到 {run}：请先运行 screening run --as-of {as_of}（或去掉 --no-run）。", file=sys.stderr)
        return 2
    pages = render(run, args.output / "preview" / as_of.isoformat())
    print(f"预览图片（{len(pages)} 页）：{args.output / 'preview' / as_of.isoformat()}")
    for page in pages:
        print(f"  {page.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
