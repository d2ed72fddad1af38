"""Benchmark: which xlsx writer for the large person-level sheets (issue 14).

Not a test: ``python bench/bench_writers.py [--rows 200000]``. The table is the master's
随访督促名单 (follow-up list: names, IDs, phones, labels, dates, numbers, addresses, 13 columns)
of the five-community bench case (``bench/corpus.py five``; the pipeline is run once to get it),
repeated to ``--rows`` rows. Each writer writes that same table with the same formats as far as it
can, in a fresh process (time and peak RSS of the writing alone), twice (byte-identical reruns?):

- ``to_excel``: ``DataFrame.to_excel(engine="xlsxwriter")`` (the baseline of the targets);
- ``ours``: ``pipeline.outputs.xlsx.write_table`` (xlsxwriter, ``constant_memory``): title,
  subtitle, formats per column kind, widths, frozen header, filter, conditional colours, print
  set-up (A4 landscape, fit to width, header rows repeated, page footer);
- ``rustpy``: ``rustpy_xlsxwriter.write_worksheet`` (Rust, if installed) with column formats, the
  title and subtitle as merged rows, frozen header, filter, page set-up and the conditional colours
  its API can express (``text contains`` on one column: ``cell ==`` takes numbers only, and it has
  no formula rules, so no whole-row colours);
- ``pyexcelerate`` (if installed): values and column styles (no conditional formats, no
  validation, no print titles or fit-to-width in its API);
- ``fewer``: ours with the columns a community's reader does not need dropped (window opening,
  LMP source, address): the "writing fewer cells" option.

Prints one Markdown table; it does not touch BENCHMARKS.md (the results are quoted there).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_scale import RssSampler  # noqa: E402
from bench.corpus import CORPUS_DIR, generate  # noqa: E402

WRITERS = ("to_excel", "ours", "rustpy", "pyexcelerate", "fewer")
FEWER_DROP = ("window_opens", "lmp_source", "address")


def table_frame(rows: int) -> Path:
    """The follow-up frame of the five-community case, repeated to ``rows`` rows (pickled)."""
    out = CORPUS_DIR / "five" / f"writers_{rows}.pkl"
    if out.exists():
        return out
    import pandas as pd

    from pipeline.analyse import analyse
    from pipeline.outputs.columns import FOLLOWUP_COLUMNS
    from pipeline.outputs.frames import followup_frame
    from pipeline.settings import load_settings

    generate("five")
    base = CORPUS_DIR / "five"
    settings = load_settings(base / "config.toml")
    # An as-of in mid-year, when the follow-up list is long.
    result = analyse(base / "input", settings, dt.date(2020, 6, 30))
    frame = followup_frame(result.reconciled.followup, settings)[[c.key for c in FOLLOWUP_COLUMNS]]
    repeats = -(-rows // max(len(frame), 1))
    big = pd.concat([frame] * repeats, ignore_index=True).head(rows)
    big.to_pickle(out)
    return out


def _ours(frame: Any, path: Path, columns: list[Any]) -> None:
    from pipeline.outputs.columns import FOLLOWUP_RULES
    from pipeline.outputs.xlsx import new_workbook, write_table

    book, fmt = new_workbook(str(path), title="bench", constant_memory=True)
    write_table(book, fmt, "随访督促名单", frame, columns, title="随访督促名单", subtitle="bench",
                rules=[r for r in FOLLOWUP_RULES if r.key in {c.key for c in columns}])
    book.close()


def _rustpy(frame: Any, path: Path, columns: list[Any]) -> None:
    import rustpy_xlsxwriter as rx

    def fmt(num: str) -> Any:
        f = rx.Format().set_font_name("宋体").set_font_size(10).set_border("thin")
        return f.set_num_format(num)

    nums = {"text": "@", "int": "0", "date": "yyyy-mm-dd"}
    data = frame.rename(columns={c.key: c.header for c in columns})[[c.header for c in columns]]
    red = rx.Format().set_background_color("#FFC7CE").set_font_color("#9C0006")
    rx.write_worksheet(
        data, str(path), sheet_name="随访督促名单",
        header_row=2, merge_ranges=[(0, 0, 0, len(columns) - 1, "随访督促名单"), (1, 0, 1, len(columns) - 1, "bench")],
        column_formats=[fmt(nums.get(c.kind, "@")) for c in columns],
        header_format=rx.Format().set_bold().set_background_color("#DDEBF7").set_border("thin"),
        column_widths=[c.width or 12 for c in columns], freeze_row=3, autofilter=True,
        page_setup={"landscape": True, "paper_size": 9, "fit_to_pages": (1, 0), "repeat_rows": 2,
                    "footer": "&C第 &P 页，共 &N 页"},
        conditional_formats={"状态": {"type": "text", "criteria": "contains", "value": "已错过窗口期", "format": red}},
    )


def _pyexcelerate(frame: Any, path: Path, columns: list[Any]) -> None:
    import pandas as pd
    from pyexcelerate import Format, Style, Workbook

    rows: list[list[Any]] = [[c.header for c in columns]]
    cols = []
    for c in columns:
        values = frame[c.key]
        if c.kind == "date":
            values = pd.to_datetime(values, errors="coerce")
            cols.append([None if pd.isna(v) else v.to_pydatetime() for v in values])
        else:
            cols.append([None if v is None or v != v else v for v in values.tolist()])
    rows += [list(r) for r in zip(*cols, strict=True)]
    wb = Workbook()
    ws = wb.new_sheet("随访督促名单", data=rows)
    for i, c in enumerate(columns, 1):
        if c.kind == "date":
            ws.set_col_style(i, Style(format=Format("yyyy-mm-dd")))
    wb.save(str(path))


def write_one(how: str, pickle_path: Path) -> dict[str, Any]:
    import pandas as pd

    from pipeline.outputs.columns import FOLLOWUP_COLUMNS

    frame = pd.read_pickle(pickle_path)
    columns = list(FOLLOWUP_COLUMNS)
    digests = []
    seconds = []
    with tempfile.TemporaryDirectory() as tmp, RssSampler() as mem:
        for run in range(2):
            path = Path(tmp) / f"{run}.xlsx"
            t0 = time.perf_counter()
            if how == "to_excel":
                frame.rename(columns={c.key: c.header for c in columns}).to_excel(path, engine="xlsxwriter", index=False)
            elif how == "ours":
                _ours(frame, path, columns)
            elif how == "fewer":
                _ours(frame, path, [c for c in columns if c.key not in FEWER_DROP])
            elif how == "rustpy":
                _rustpy(frame, path, columns)
            else:
                _pyexcelerate(frame, path, columns)
            seconds.append(time.perf_counter() - t0)
            digests.append(hashlib.sha256(path.read_bytes()).hexdigest())
            size = path.stat().st_size
    return {"rows": len(frame), "seconds": min(seconds), "identical": digests[0] == digests[1],
            "mb": size / 2**20, "rss_mb": mem.peak - mem.start}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(write_one(args.one[0], Path(args.one[1]))))
        return
    path = table_frame(args.rows)
    results: dict[str, dict[str, Any]] = {}
    for how in WRITERS:
        res = subprocess.run([sys.executable, __file__, "--one", how, str(path)], capture_output=True, text=True)
        if res.returncode:
            print(f"{how}: failed: {res.stderr.strip().splitlines()[-1] if res.stderr.strip() else res.returncode}")
            continue
        results[how] = json.loads(res.stdout.strip().splitlines()[-1])
    base = results.get("to_excel", {}).get("seconds")
    print("| writer | rows | seconds (best of 2) | to_excel / writer | byte-identical rerun | file MB | RSS growth MB |")
    print("| --- | ---: | ---: | ---: | --- | ---: | ---: |")
    for how, r in results.items():
        ratio = f"{base / r['seconds']:.2f}×" if base else ""
        print(f"| {how} | {r['rows']:,} | {r['seconds']:.2f} | {ratio} | {'yes' if r['identical'] else 'no'} | "
              f"{r['mb']:.1f} | {r['rss_mb']:.0f} |")


if __name__ == "__main__":
    main()
