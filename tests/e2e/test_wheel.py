"""The install-without-make route works from any folder: a wheel built from the sources, installed
into a fresh virtual environment, runs `screening init`, `template` and `run` in a folder outside
the checkout (the circular's templates ship inside the package).

Offline: the wheel is built with the project's own setuptools (``--no-build-isolation``), installed
with ``--no-deps --no-index``, and the fresh environment reuses the project environment's installed
dependencies through a ``.pth`` line (after its own site-packages, so ``pipeline`` is the wheel's)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.install

OPTIONS = [
    "--office", "城东街道办事处", "--start", "2021-02-01", "--end", "2021-11-30", "--count-from", "2021-03-01",
    "--doc-prefix", "东街文〔2021〕", "--community", "东风社区:40:1", "--community", "前进村:30:1",
    "--circular", "旬", "--due-days", "5,20", "--health-centre", "城东社区卫生服务中心", "--region-code", "410102",
]


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done


def _sources(into: Path) -> Path:
    """The files a wheel is built from, copied so that building leaves the checkout untouched."""
    into.mkdir()
    shutil.copy(REPO / "pyproject.toml", into / "pyproject.toml")
    shutil.copy(REPO / "README.md", into / "README.md")
    shutil.copytree(REPO / "pipeline", into / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    return into


def test_an_installed_wheel_runs_outside_the_checkout(tmp_path: Path) -> None:
    src = _sources(tmp_path / "src")
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
          "-w", str(dist), str(src)], tmp_path)
    (wheel,) = dist.glob("screening-*.whl")

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp_path)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", "--no-index",
          str(wheel)], tmp_path)
    site = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp_path)
    Path(site.stdout.strip(), "project-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    office = tmp_path / "elsewhere"
    office.mkdir()
    where = _run([str(python), "-c", "import pipeline; print(pipeline.__file__)"], office).stdout
    assert Path(where.strip()).is_relative_to(venv), where  # the wheel's package, not the checkout's
    screening = venv / ("Scripts/screening.exe" if os.name == "nt" else "bin/screening")

    # The README's guide: init, check, template; the templates (example rows only) as input; run.
    _run([str(screening), "init", *OPTIONS], office)
    assert "检查通过" in _run([str(screening), "check"], office).stdout
    _run([str(screening), "template"], office)
    shutil.copytree(office / "output" / "模板", office / "input")
    run = _run([str(screening), "run", "--as-of", "2021-06-30"], office)
    assert "结果已写入" in run.stdout and "TemplateNotFound" not in run.stdout + run.stderr
    folder = office / "output" / "2021-06-30"
    for name in ("通报_2021-06-30.docx", "通报_2021-06-30.html", "通报摘要_2021-06-30.txt",
                 "卫生服务中心核对清单_2021-06-30.xlsx", "summary.json"):
        assert (folder / name).is_file(), name
    assert "东街文〔2021〕 号" in (folder / "通报_2021-06-30.html").read_text(encoding="utf-8")
