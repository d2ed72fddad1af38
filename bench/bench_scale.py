"""Benchmark: the whole pipeline on county-, city- and province-size corpora, with baselines.

Not a test: `make bench` (or `python bench/bench_scale.py county city province`). For each size it
generates the corpus if missing (bench/corpus.py, git-ignored), runs analyse + write_outputs in a
fresh process (stage timings from Analysis.timings, peak RSS of the run and of its workers), then
in the same run measures the baselines on the same files:

- openpyxl: a sample of the corpus' xlsx files read with openpyxl (read-only, every cell), and
  python-calamine (our reader, one process) on the same sample; extrapolated to the whole corpus
  by rows, labelled as such;
- the unzip-and-scan floor: every file read and decompressed and its cells counted by a byte
  scan, in as many processes as the pipeline uses;
- writing: the largest person-level table written, with ``DataFrame.to_excel(engine="xlsxwriter")``
  and with our writer, in separate processes for their peak memory.

It rewrites the section of BENCHMARKS.md between the ``<!-- scale-bench -->`` markers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.corpus import CORPUS_DIR, generate  # noqa: E402

AS_OF = dt.date(2020, 12, 31)
MARKER = "<!-- scale-bench -->"
STAGES = ("read", "normalize", "reconcile", "score", "summary", "write")
# Inputs up to this many rows are loaded whole by openpyxl for the end-to-end baseline; beyond,
# the sample's rate is extrapolated (loading a province with openpyxl takes most of an hour).
FULL_OPENPYXL_ROWS = 700_000


def _rss_mb() -> float:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return 0.0


class RssSampler:
    """Peak resident memory of this process while a block runs (sampled every 20 ms)."""

    def __enter__(self) -> RssSampler:
        self.start = self.peak = _rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, _rss_mb())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_mb())


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f} / {five:.1f}"


# ---------------------------------------------------------------------------------------------
# The pipeline run (in a child process)


def run_pipeline(size: str, out_json: Path, workers: int | None) -> None:
    from pipeline.analyse import analyse
    from pipeline.outputs.write import write_outputs
    from pipeline.settings import load_settings

    base = CORPUS_DIR / size
    settings = load_settings(base / "config.toml")
    output = base / "output"
    shutil.rmtree(output, ignore_errors=True)
    load_before = _load()
    t0 = time.perf_counter()
    result = analyse(base / "input", settings, AS_OF, workers=workers)
    rss_analyse = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with RssSampler() as write_mem:
        written = write_outputs(result, settings, output, workers=workers)
    wall = time.perf_counter() - t0
    # Copied before capture_tables writes the outputs a second time (one process), which records
    # its own write timings in the same result.
    timings = dict(result.timings)
    rec = result.reconciled
    acc = result.summary["accounting"]
    followup_rows = len(rec.followup)
    # The largest person-level table, kept for the writing baseline.
    from pipeline.outputs.columns import FOLLOWUP_COLUMNS
    from pipeline.outputs.frames import followup_frame

    frame = followup_frame(rec.followup, settings)[[c.key for c in FOLLOWUP_COLUMNS]]
    frame.to_pickle(base / "followup.pkl")
    capture_tables(result, settings, base / "tables.pkl")
    out = {
        "size": size,
        "wall": wall,
        "timings": timings,
        "rss_analyse_mb": rss_analyse,
        "rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_children_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "write_rss_start_mb": write_mem.start,
        "write_rss_peak_mb": write_mem.peak,
        "files": len(result.files),
        "input_rows": acc["input_rows"],
        "roster_rows": acc["roster_rows"],
        "log_rows": acc["log_rows"],
        "women": len(rec.women),
        "screenings": len(rec.screenings),
        "followup_rows": followup_rows,
        "problems": len(result.problems),
        "communities": len(settings.communities),
        "outputs": len(written.files),
        "output_mb": sum(p.stat().st_size for p in written.files) / 2**20,
        "load_before": load_before,
        "load_after": _load(),
    }
    out_json.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")


def capture_tables(result: Any, settings: Any, out: Path) -> None:
    """Every table the write stage writes (workbook, sheet, first row, cells as a frame with the
    headers), recorded by writing the outputs once more, one process, into a scratch folder:
    the baseline writes the same frames with ``DataFrame.to_excel``."""
    import tempfile

    import pandas as pd

    import pipeline.outputs.xlsx as xlsx
    from pipeline.outputs.write import write_outputs

    tables: list[tuple[str, str, int, pd.DataFrame]] = []
    original = xlsx._write_rows

    def recording(sheet: Any, fmt: Any, first_row: int, columns: Any, kinds: Any, *rest: Any) -> Any:
        frame = pd.DataFrame({f"c{i}": pd.Series(v).reset_index(drop=True) for i, v in enumerate(columns)})
        tables.append((Path(fmt.book.filename).name, sheet.get_name(), first_row, frame))
        return original(sheet, fmt, first_row, columns, kinds, *rest)

    xlsx._write_rows = recording  # type: ignore[assignment]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            write_outputs(result, settings, Path(tmp), workers=1)
    finally:
        xlsx._write_rows = original  # type: ignore[assignment]
    pd.to_pickle(tables, out)


def to_excel_seconds(tables_path: Path) -> dict[str, Any]:
    """The baseline of the write stage: the same frames written with
    ``DataFrame.to_excel(engine="xlsxwriter")``, one workbook per output workbook, one process."""
    import tempfile

    import pandas as pd

    tables = pd.read_pickle(tables_path)
    books: dict[str, list[tuple[str, int, pd.DataFrame]]] = {}
    for book, sheet, first_row, frame in tables:
        books.setdefault(book, []).append((sheet, first_row, frame))
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        for i, (_book, items) in enumerate(books.items()):
            with pd.ExcelWriter(Path(tmp) / f"{i}.xlsx", engine="xlsxwriter") as writer:
                for sheet, first_row, frame in items:
                    frame.to_excel(writer, sheet_name=sheet, startrow=max(first_row - 1, 0), index=False)
        seconds = time.perf_counter() - t0
    cells = sum(f.shape[0] * f.shape[1] for *_, f in tables)
    return {"seconds": seconds, "workbooks": len(books), "tables": len(tables), "cells": cells}


def openpyxl_full_seconds(files: list[Path]) -> dict[str, Any]:
    """openpyxl merely loading every xlsx input file read-only (every cell visited), one process."""
    xlsx_files = [f for f in files if f.suffix == ".xlsx" and not f.name.startswith("~$")]
    t0 = time.perf_counter()
    rows = sum(_openpyxl_read(str(f)) for f in xlsx_files)
    return {"seconds": time.perf_counter() - t0, "files": len(xlsx_files), "rows": rows}


def _median_seconds(cmd: list[str], runs: int = 3, cwd: Path = ROOT) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


def demo_vs_pandas() -> dict[str, float]:
    """The shipped demo (``input/``, ``config.toml``) run end to end by the CLI, against
    ``python -c "import pandas"``: medians of 3, same machine, same minute."""
    import tempfile

    bindir = Path(sys.executable).parent
    screening = bindir / "screening"
    cli = [str(screening)] if screening.exists() else [sys.executable, "-m", "pipeline"]
    with tempfile.TemporaryDirectory() as tmp:
        demo = _median_seconds([*cli, "run", "--input", str(ROOT / "input"), "--output", tmp,
                                "--config", str(ROOT / "config.toml")])
    pandas = _median_seconds([sys.executable, "-c", "import pandas"])
    bare = _median_seconds([sys.executable, "-c", "pass"])
    return {"demo": demo, "pandas": pandas, "python": bare}


# ---------------------------------------------------------------------------------------------
# Baselines


def _scan_file(path: str) -> int:
    """The floor: read (and unzip) the file and count its cells with a byte scan."""
    p = Path(path)
    if p.suffix == ".xlsx" and zipfile.is_zipfile(p):  # not an Office lock file (~$...)
        cells = 0
        with zipfile.ZipFile(p) as zf:
            for name in zf.namelist():
                if name.startswith("xl/worksheets/") or name == "xl/sharedStrings.xml":
                    data = zf.read(name)
                    cells += data.count(b"<c ")
        return cells
    data = p.read_bytes()
    if p.suffix == ".xls":
        return data.count(b"\xfd\x00") + data.count(b"\x03\x02")  # LABELSST, NUMBER records
    return data.count(b"\n")


def floor_seconds(files: list[Path], workers: int) -> float:
    t0 = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        sum(pool.map(_scan_file, [str(f) for f in files], chunksize=16))
    return time.perf_counter() - t0


def _openpyxl_read(path: str) -> int:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    n = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            n += 1
            for _v in row:
                pass
    wb.close()
    return n


def reader_comparison(files: list[Path], root: Path, sample: int) -> dict[str, Any]:
    """openpyxl and our reader (one process each, same files) on a sample of xlsx files."""
    from pipeline.load import read_file
    from pipeline.settings import Limits

    xlsx = sorted(f for f in files if f.suffix == ".xlsx" and not f.name.startswith("~$"))
    step = max(1, len(xlsx) // sample)
    chosen = xlsx[::step][:sample]
    t0 = time.perf_counter()
    rows = sum(_openpyxl_read(str(f)) for f in chosen)
    t_openpyxl = time.perf_counter() - t0
    t0 = time.perf_counter()
    for f in chosen:
        read_file(f, root, Limits())
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    floor = sum(_scan_file(str(f)) for f in chosen)
    t_floor = time.perf_counter() - t0
    del floor
    return {"files": len(chosen), "rows": rows, "openpyxl": t_openpyxl, "ours": t_ours, "floor": t_floor}


def write_comparison(frame_path: Path, max_rows: int) -> dict[str, Any]:
    """The same person-level rows written by pandas→xlsxwriter and by our writer, each in a fresh
    process (time and peak memory of the writing alone)."""
    out: dict[str, Any] = {}
    for how in ("pandas", "ours"):
        res = subprocess.run(
            [sys.executable, __file__, "--write-one", how, str(frame_path), str(max_rows)],
            capture_output=True, text=True, check=True,
        )
        out[how] = json.loads(res.stdout.strip().splitlines()[-1])
    return out


def write_one(how: str, frame_path: Path, max_rows: int) -> None:
    import tempfile

    import pandas as pd

    from pipeline.outputs.columns import FOLLOWUP_COLUMNS
    from pipeline.outputs.xlsx import new_workbook, write_table

    frame = pd.read_pickle(frame_path).head(max_rows)
    with tempfile.TemporaryDirectory() as tmp, RssSampler() as mem:
        path = Path(tmp) / "t.xlsx"
        t0 = time.perf_counter()
        if how == "pandas":
            frame.rename(columns={c.key: c.header for c in FOLLOWUP_COLUMNS}).to_excel(
                path, engine="xlsxwriter", index=False
            )
        else:
            book, fmt = new_workbook(str(path), title="bench", constant_memory=True)
            write_table(book, fmt, "随访督促名单", frame, FOLLOWUP_COLUMNS, title="bench")
            book.close()
        seconds = time.perf_counter() - t0
    print(json.dumps({"rows": len(frame), "seconds": seconds, "rss_start_mb": mem.start, "rss_peak_mb": mem.peak}))


# ---------------------------------------------------------------------------------------------
# Report


def _f(x: float, digits: int = 1) -> str:
    return f"{x:,.{digits}f}"


def targets_table(results: list[dict[str, Any]], demo: dict[str, float] | None) -> list[str]:
    """Issue 14's ratios, each against a baseline measured in the same run on the same files."""
    lines = [
        "Against the baselines of the targets (same run, same files):", "",
        "| size | input rows | end to end (s) | openpyxl read-only load of the xlsx input (s) | end to end / openpyxl "
        "| write stage, wall (s) | write, CPU summed over workers (s) | to_excel of the same frames, 1 process (s) "
        "| to_excel / write wall | to_excel / write CPU | peak RSS main (MB) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        t = r["timings"]
        full = r.get("openpyxl_full")
        if full:
            opx, opx_text = full["seconds"], f"{_f(full['seconds'])} ({full['files']} files, {full['rows']:,} rows)"
        else:
            c = r["readers"]
            opx = c["openpyxl"] / max(c["rows"], 1) * r["input_rows"]
            opx_text = f"{_f(opx)} (extrapolated from {c['files']} files)"
        cpu = sum(v for k, v in t.items() if k.startswith("write_"))
        te = r["to_excel"]["seconds"]
        lines.append(
            f"| {r['size']} | {r['input_rows']:,} | {_f(r['wall'])} | {opx_text} | {r['wall'] / opx:.2f}× | "
            f"{_f(t['write'])} | {_f(cpu)} | {_f(te)} ({r['to_excel']['workbooks']:,} workbooks, "
            f"{r['to_excel']['cells']:,} cells) | {te / t['write']:.2f}× | {te / max(cpu, 1e-9):.2f}× | "
            f"{r['rss_peak_mb']:,.0f} |"
        )
    if demo:
        lines += ["", f"The shipped demo (`screening run` on `input/`, a fresh process, median of 3): {demo['demo']:.2f} s; "
                  f"`python -c \"import pandas\"`: {demo['pandas']:.2f} s (bare interpreter {demo['python']:.2f} s); "
                  f"ratio **{demo['demo'] / demo['pandas']:.1f}×**."]
    return lines


def report(results: list[dict[str, Any]], workers: int, demo: dict[str, float] | None = None) -> str:
    lines = [
        f"Measured {dt.date.today().isoformat()} by `make bench` on this machine ({os.cpu_count()} cores, "
        f"{workers} worker processes); other jobs were running, the load average (1 / 5 min) before and after "
        "each run is given. Corpora from `bench/corpus.py` (seed 2020): messy xlsx (two-row headers, titles, "
        "subtotal and footer rows), BIFF8 xls, GBK and UTF-8 CSV; community names repeat across townships.",
        "",
        "| size | files | communities | input rows | wall (s) | rows/s | s per M rows | vs previous size | peak RSS main / worker (MB) | load before → after |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    prev = None
    for r in results:
        per_m = r["wall"] / r["input_rows"] * 1e6
        growth = f"{per_m / prev:.2f}×" if prev else ""
        lines.append(
            f"| {r['size']} | {r['files']:,} | {r['communities']:,} | {r['input_rows']:,} | {_f(r['wall'])} | "
            f"{r['input_rows'] / r['wall']:,.0f} | {_f(per_m)} | {growth} | "
            f"{r['rss_peak_mb']:,.0f} / {r['rss_children_mb']:,.0f} | {r['load_before']} → {r['load_after']} |"
        )
        prev = per_m
    lines += ["", "Stage times (s) and share of the wall time:", "",
              "| size | " + " | ".join(STAGES) + " |", "| --- |" + " ---: |" * len(STAGES)]
    for r in results:
        t = r["timings"]
        lines.append(f"| {r['size']} | " + " | ".join(
            f"{t.get(s, 0):.1f} ({t.get(s, 0) / r['wall']:.0%})" for s in STAGES) + " |")
    lines += ["", "Reading against the baselines (same files):", "",
              "| size | our read stage (s, parallel) | unzip-and-scan floor (s, same processes) | read / floor | "
              "openpyxl sample: files, rows, s | calamine (ours) same sample, 1 process (s) | openpyxl / ours (sample) | "
              "openpyxl extrapolated to all rows (s) | openpyxl extrapolated / our read stage |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in results:
        c = r["readers"]
        read = r["timings"]["read"]
        extrap = c["openpyxl"] / max(c["rows"], 1) * r["input_rows"]
        lines.append(
            f"| {r['size']} | {_f(read)} | {_f(r['floor'], 2)} | {read / r['floor']:.1f}× | "
            f"{c['files']}, {c['rows']:,}, {_f(c['openpyxl'], 2)} | {_f(c['ours'], 2)} | {c['openpyxl'] / c['ours']:.1f}× | "
            f"{_f(extrap)} (extrapolated) | {extrap / read:.1f}× |"
        )
    lines += ["", "Writing the largest person-level table (the follow-up list, all communities) once, each way in a "
              "fresh process:", "",
              "| size | rows | pandas → xlsxwriter (s) | ours, constant_memory (s) | pandas / ours | peak RSS growth pandas / ours (MB) | whole write stage: RSS growth in the main process (MB) |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in results:
        w = r["writers"]
        p, o = w["pandas"], w["ours"]
        lines.append(
            f"| {r['size']} | {p['rows']:,} | {_f(p['seconds'])} | {_f(o['seconds'])} | {p['seconds'] / o['seconds']:.2f}× | "
            f"{p['rss_peak_mb'] - p['rss_start_mb']:,.0f} / {o['rss_peak_mb'] - o['rss_start_mb']:,.0f} | "
            f"{r['write_rss_peak_mb'] - r['write_rss_start_mb']:,.0f} |"
        )
    lines += ["", *targets_table(results, demo)]
    lines += ["", "Outputs: " + "; ".join(
        f"{r['size']}: {r['outputs']:,} files, {r['output_mb']:,.0f} MB, women {r['women']:,}, screenings "
        f"{r['screenings']:,}, problems {r['problems']:,}" for r in results) + "."]
    return "\n".join(lines) + "\n"


def write_report(text: str, path: Path) -> None:
    body = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if MARKER in body:
        head, _, rest = body.partition(MARKER)
        _, _, tail = rest.partition(MARKER)
        body = head + MARKER + "\n" + text + MARKER + tail
    else:
        body = body.rstrip("\n") + "\n\n## Scale: county, city, province (`make bench`)\n\n" + MARKER + "\n" + text + MARKER + "\n"
    path.write_text(body, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", default=["five", "county", "city", "province"])
    parser.add_argument("--no-demo", action="store_true", help="skip the demo-vs-import-pandas timing")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--sample", type=int, default=8, help="xlsx files read with openpyxl")
    parser.add_argument("--write-rows", type=int, default=200_000, help="rows in the writing comparison")
    parser.add_argument("--report", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument("--run", help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--write-one", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        run_pipeline(args.run, args.json, args.workers)
        return
    if args.write_one:
        how, path, rows = args.write_one
        write_one(how, Path(path), int(rows))
        return
    from pipeline.load import default_workers

    workers = args.workers or default_workers()
    results = []
    for size in args.sizes:
        manifest = generate(size)
        base = CORPUS_DIR / size
        out_json = base / "bench.json"
        cmd = [sys.executable, __file__, "--run", size, "--json", str(out_json)]
        if args.workers:
            cmd += ["--workers", str(args.workers)]
        print(f"[{size}] pipeline ...", flush=True)
        subprocess.run(cmd, check=True)
        r = json.loads(out_json.read_text(encoding="utf-8"))
        files = sorted(f for f in (base / "input").rglob("*") if f.is_file())
        print(f"[{size}] baselines ...", flush=True)
        r["floor"] = floor_seconds(files, workers)
        r["readers"] = reader_comparison(files, base / "input", args.sample)
        r["writers"] = write_comparison(base / "followup.pkl", args.write_rows)
        r["to_excel"] = to_excel_seconds(base / "tables.pkl")
        if r["input_rows"] <= FULL_OPENPYXL_ROWS:
            r["openpyxl_full"] = openpyxl_full_seconds(files)
        r["corpus"] = manifest
        out_json.write_text(json.dumps(r, ensure_ascii=False, indent=1), encoding="utf-8")
        results.append(r)
        print(json.dumps({k: r[k] for k in ("size", "wall", "timings")}, ensure_ascii=False), flush=True)
    demo = demo_vs_pandas() if not args.no_demo else None
    text = report(results, workers, demo)
    print(text)
    write_report(text, args.report)


if __name__ == "__main__":
    main()
