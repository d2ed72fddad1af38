"""Benchmark: reconciliation and scoring at 1 M roster rows and 2 M log rows, against the time of
reading the same rows from CSV files (load + normalise).

Not a test: run `make bench-reconcile` (or `python bench/bench_reconcile.py --roster 1000000 --log 2000000`)
and it appends its measurements to BENCHMARKS.md's reconciliation section.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as dt
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.load import read_all  # noqa: E402
from pipeline.normalize import normalize  # noqa: E402
from pipeline.normalize.ids import check_digit  # noqa: E402
from pipeline.quotas import effective_quotas  # noqa: E402
from pipeline.reconcile import reconcile  # noqa: E402
from pipeline.score import score  # noqa: E402
from pipeline.settings import Community, Settings, load_settings  # noqa: E402


def settings_for(communities: int) -> Settings:
    base = load_settings(ROOT / "config.toml")
    comms = tuple(
        Community(name=f"第{i:04d}社区", short="", quota_nt=500, quota_serum=500, weekly_nt=14, weekly_serum=14)
        for i in range(communities)
    )
    return dataclasses.replace(base, communities=comms)


def make_ids(rng: np.random.Generator, n: int) -> list[str]:
    births = pd.Timestamp("1980-01-01") + pd.to_timedelta(rng.integers(0, 7300, n), unit="D")
    seq = rng.integers(0, 500, n) * 2  # 3 digits with an even last digit: female
    bodies = [f"411328{b:%Y%m%d}{s:03d}" for b, s in zip(births, seq, strict=True)]
    return [b + check_digit(b) for b in bodies]


def write_corpus(folder: Path, settings: Settings, roster_rows: int, log_rows: int, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    names = [c.name for c in settings.communities]
    ids = make_ids(rng, roster_rows)
    lmp = pd.Timestamp("2019-12-01") + pd.to_timedelta(rng.integers(0, 300, roster_rows), unit="D")
    community = rng.integers(0, len(names), roster_rows)
    phones = (13_000_000_000 + rng.integers(0, 999_999_999, roster_rows)).astype(str)
    per_file = 10_000
    for f in range(0, roster_rows, per_file):
        with (folder / f"roster_{f // per_file:04d}_20200418.csv").open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["社区", "姓名", "身份证号", "联系电话", "末次月经"])
            for i in range(f, min(f + per_file, roster_rows)):
                w.writerow([names[community[i]], f"孕妇{i}", ids[i], phones[i], f"{lmp[i]:%Y-%m-%d}"])
    who = rng.integers(0, roster_rows, log_rows)
    test = np.where(rng.random(log_rows) < 0.5, "NT", "血清学")
    offset = np.where(test == "NT", rng.integers(70, 100, log_rows), rng.integers(100, 150, log_rows))
    for f in range(0, log_rows, per_file * 2):
        with (folder / f"log_{f // (per_file * 2):04d}.csv").open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["姓名", "身份证号", "联系电话", "筛查项目", "筛查日期"])
            for i in range(f, min(f + per_file * 2, log_rows)):
                j = who[i]
                day = lmp[j] + pd.Timedelta(days=int(offset[i]))
                w.writerow([f"孕妇{j}", ids[j], phones[j], test[i], f"{day:%Y-%m-%d}"])


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--roster", type=int, default=1_000_000)
    parser.add_argument("--log", type=int, default=2_000_000)
    parser.add_argument("--communities", type=int, default=2000)
    parser.add_argument("--report", type=Path, default=ROOT / "BENCHMARKS.md")
    args = parser.parse_args()
    settings = settings_for(args.communities)
    as_of = dt.date(2020, 12, 31)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        write_corpus(folder, settings, args.roster, args.log)
        t_gen = time.perf_counter() - t0

        t0 = time.perf_counter()
        files, _ = read_all(folder, settings.limits)
        t_read = time.perf_counter() - t0
        t0 = time.perf_counter()
        norm = normalize(files, settings)
        t_norm = time.perf_counter() - t0
        del files
        rss_before = peak_rss_mb()

        t0 = time.perf_counter()
        quotas, _, _ = effective_quotas(settings, norm.quota)
        rec = reconcile(norm, settings, as_of)
        t_rec = time.perf_counter() - t0
        t0 = time.perf_counter()
        scored = score(rec.screenings, rec.submissions, quotas, settings, as_of)
        t_score = time.perf_counter() - t0
        rss_after = peak_rss_mb()
    reading = t_read + t_norm
    lines = [
        f"### Reconciliation at {args.roster:,} roster rows and {args.log:,} log rows ({args.communities} communities)",
        "",
        f"Measured {dt.date.today().isoformat()} on this machine (2 cores); corpus generated in {t_gen:.1f} s.",
        "",
        "| stage | wall time (s) | ratio to reading |",
        "| --- | ---: | ---: |",
        f"| read CSV files (load) | {t_read:.1f} | |",
        f"| normalise | {t_norm:.1f} | |",
        f"| **reading = load + normalise** | **{reading:.1f}** | 1.00 |",
        f"| reconcile | {t_rec:.1f} | {t_rec / reading:.2f} |",
        f"| score | {t_score:.1f} | {t_score / reading:.2f} |",
        "",
        f"Peak RSS: {rss_before:,.0f} MB after reading, {rss_after:,.0f} MB after reconciliation and scoring. "
        f"Women: {len(rec.women):,}; screenings: {len(rec.screenings):,}; "
        f"circular rows: {len(scored.circulars):,}.",
        "",
    ]
    print("\n".join(lines))
    report = args.report
    marker = "<!-- reconcile-bench -->"
    text = report.read_text(encoding="utf-8") if report.exists() else "# Benchmarks\n\n"
    if marker in text:
        head, _, rest = text.partition(marker)
        _, _, tail = rest.partition(marker)
        text = head + marker + "\n" + "\n".join(lines) + marker + tail
    else:
        text += "\n" + marker + "\n" + "\n".join(lines) + marker + "\n"
    report.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
