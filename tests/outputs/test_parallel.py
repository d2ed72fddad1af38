"""Reading in a process pool and writing community workbooks in parallel give exactly the results
of a single-process run (a small generated corpus of a three-level organisation)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from bench.corpus import Size, generate
from pipeline.analyse import analyse
from pipeline.load import read_all
from pipeline.outputs.write import write_outputs
from pipeline.problems import problem_records
from pipeline.settings import Settings, load_settings

AS_OF = dt.date(2020, 12, 31)
TINY = Size("tiny", counties=2, townships=2, communities=4, roster=400, log=800)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Settings]:
    root = tmp_path_factory.mktemp("corpus")
    generate("tiny", root=root, size=TINY, workers=1)
    return root / "tiny" / "input", load_settings(root / "tiny" / "config.toml")


def test_parallel_reading_equals_serial(corpus: tuple[Path, Settings]) -> None:
    folder, settings = corpus
    serial, p1 = read_all(folder, settings.limits, workers=1)
    parallel, p2 = read_all(folder, settings.limits, workers=2)
    assert [f.path for f in serial] == [f.path for f in parallel]
    assert serial == parallel
    assert p1 == p2
    assert len(serial) == 20 and all(f.readable for f in serial)


def test_parallel_run_equals_serial(corpus: tuple[Path, Settings], tmp_path: Path) -> None:
    folder, settings = corpus
    one = analyse(folder, settings, AS_OF, workers=1)
    two = analyse(folder, settings, AS_OF, workers=2)
    assert json.dumps(one.summary, sort_keys=True, default=str) == json.dumps(two.summary, sort_keys=True, default=str)
    pd.testing.assert_frame_equal(one.reconciled.women, two.reconciled.women)
    pd.testing.assert_frame_equal(one.reconciled.screenings, two.reconciled.screenings)
    pd.testing.assert_frame_equal(one.problems, two.problems)
    # The township comes from the folder, the title or a 乡镇 column: every roster row resolves to
    # a community although each community name occurs in several townships.
    assert one.summary["accounting"]["roster_rows"] > 300
    assert not [p for p in problem_records(one.problems) if p.code in ("community_unknown", "community_missing") and p.row is None]
    assert set(one.timings) >= {"read", "normalize", "reconcile", "score"}

    out1 = write_outputs(one, settings, tmp_path / "serial", workers=1).folder
    out2 = write_outputs(two, settings, tmp_path / "parallel", workers=2).folder
    m1 = json.loads((out1 / "manifest.json").read_text(encoding="utf-8"))
    m2 = json.loads((out2 / "manifest.json").read_text(encoding="utf-8"))
    assert m1 == m2
    assert len([f for f in m1["files"] if f["file"].startswith("社区/")]) == len(settings.communities)
    assert "write" in one.timings
