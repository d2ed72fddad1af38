"""The README's transcript is what `make run` shows today (scripts/transcript.py regenerates it)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO


def test_the_readme_transcript_is_a_real_run() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "transcript.py"), "--check"],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
