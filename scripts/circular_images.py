"""The README's pictures: the first page of the demo's circular at 2020-06-30 and at 2020-12-31 (the
last one, with the year-end results), as a clerk would print them, and the master workbook's 汇总
sheet as printed at 2020-12-31 (``summary.png``).

    python scripts/circular_images.py [--target docs/img]

Analyses the demo input at each date, writes the draft circular (Word) into a temporary folder,
converts it with LibreOffice to PDF and the circular's first page (the page after the 审核提示
page) with pdftoppm to ``circular.png`` and ``circular_2020-12-31.png``. Run by ``make preview``;
needs ``libreoffice`` and ``pdftoppm``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.analyse import analyse  # noqa: E402  (after the path is set: runs from a checkout)
from pipeline.outputs.circular import write_circular  # noqa: E402
from pipeline.outputs.master import write_master  # noqa: E402
from pipeline.settings import Settings, load_settings  # noqa: E402

PICTURES = {dt.date(2020, 6, 30): "circular.png", dt.date(2020, 12, 31): "circular_2020-12-31.png"}


def first_circular_page(pdf: Path) -> int:
    """The PDF page the circular starts on: 2 after a 审核提示 page, else 1."""
    first = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout
    return 2 if first.lstrip().startswith("审核提示") else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", type=Path, default=REPO / "docs" / "img")
    args = parser.parse_args()
    if shutil.which("libreoffice") is None or shutil.which("pdftoppm") is None:
        print("需要 libreoffice 和 pdftoppm（apt-get install libreoffice-writer poppler-utils fonts-noto-cjk）。",
              file=sys.stderr)
        return 2
    settings = load_settings(REPO / "config.toml")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for day, picture in PICTURES.items():
            summary = analyse(REPO / "input", settings, day).summary
            docx = write_circular(work, summary, settings, day)[0]
            subprocess.run(["libreoffice", f"-env:UserInstallation=file://{work}/lo", "--headless", "--convert-to",
                            "pdf", docx.name], cwd=work, check=True, capture_output=True, timeout=600)
            pdf = docx.with_suffix(".pdf")
            page = first_circular_page(pdf)
            stem = work / picture.removesuffix(".png")
            subprocess.run(["pdftoppm", "-r", "60", "-f", str(page), "-l", str(page), "-png", "-singlefile",
                            str(pdf), str(stem)], check=True, timeout=600)
            args.target.mkdir(parents=True, exist_ok=True)
            shutil.copy(stem.with_suffix(".png"), args.target / picture)
            print(f"{args.target / picture}（{day} 通报第一页）")
        _summary_picture(work, settings, args.target)
    return 0


def _summary_picture(work: Path, settings: Settings, target: Path) -> None:
    """The 汇总 sheet, the first printed page of the master workbook at 2020-12-31."""
    day = dt.date(2020, 12, 31)
    book = write_master(work / "master.xlsx", analyse(REPO / "input", settings, day), settings)
    subprocess.run(["libreoffice", f"-env:UserInstallation=file://{work}/lo", "--headless", "--convert-to", "pdf",
                    book.name], cwd=work, check=True, capture_output=True, timeout=600)
    stem = work / "summary"
    subprocess.run(["pdftoppm", "-r", "75", "-f", "1", "-l", "1", "-png", "-singlefile", str(book.with_suffix(".pdf")),
                    str(stem)], check=True, timeout=600)
    shutil.copy(stem.with_suffix(".png"), target / "summary.png")
    print(f"{target / 'summary.png'}（{day} 汇总表打印页）")


if __name__ == "__main__":
    sys.exit(main())
