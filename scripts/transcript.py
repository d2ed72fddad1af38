"""Regenerate the README's transcript (what `make run` shows on the shipped demo) from a real run.

    python scripts/transcript.py          # rewrite the block between the two transcript markers
    python scripts/transcript.py --check  # exit 1 when the README's transcript is not current

The run uses the demo input and the shipped config at the programme's end (what `make run` does on
any day after it), in a temporary output folder shown as `output`.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
MARKER = "<!-- transcript: scripts/transcript.py -->"


def transcript() -> str:
    with tempfile.TemporaryDirectory(prefix="screening-transcript-") as tmp:
        done = subprocess.run(
            [sys.executable, "-m", "pipeline", "run", "--input", "input", "--output", tmp],
            cwd=REPO, capture_output=True, text=True, check=True,
        )
        out = done.stdout.replace(tmp, "output")
    return "\n".join(["```", "$ make run", ".venv/bin/screening run --input input --output output", out.rstrip("\n"), "```"])


def main(argv: list[str]) -> int:
    text = README.read_text(encoding="utf-8")
    before, block, after = text.split(MARKER)
    new = f"{before}{MARKER}\n{transcript()}\n{MARKER}{after}"
    if "--check" in argv:
        if new != text:
            print("README.md's transcript is not current: run python scripts/transcript.py")
            return 1
        return 0
    README.write_text(new, encoding="utf-8")
    print("README.md transcript regenerated")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
