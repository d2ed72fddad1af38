"""The demo's outputs, pinned: run the shipped demo at fixed as-of dates and compare every output
file's sha256 (``manifest.json``) with the hashes committed in ``tests/golden/``.

    python scripts/golden.py check     # exit 1 and list the files that differ
    python scripts/golden.py update    # after an intended change of the outputs: re-pin them

A refactoring must leave ``check`` passing; a change of what people read re-pins the hashes in the
same commit, so the diff shows that the outputs changed on purpose. The hashes depend on the
versions of the writing libraries, which are recorded beside them: with other versions installed
``check`` says so instead of failing.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "golden" / "manifests.json"
AS_OF = ("2020-06-30", "2020-12-31")
LIBRARIES = ("xlsxwriter", "python-docx", "jinja2", "pandas", "numpy")


def library_versions() -> dict[str, str]:
    return {name: version(name) for name in LIBRARIES}


def manifests() -> dict[str, list[dict[str, object]]]:
    """``{as_of: [{file, sha256, size}, ...]}`` of the demo, run now."""
    out: dict[str, list[dict[str, object]]] = {}
    with tempfile.TemporaryDirectory(prefix="screening-golden-") as tmp:
        for day in AS_OF:
            subprocess.run(
                [sys.executable, "-m", "pipeline", "run", "--input", str(REPO / "input"), "--output", tmp,
                 "--as-of", day, "--config", str(REPO / "config.toml")],
                cwd=REPO, check=True, capture_output=True,
            )
            out[day] = json.loads((Path(tmp) / day / "manifest.json").read_text(encoding="utf-8"))["files"]
    return out


def differences(pinned: dict[str, list[dict[str, object]]], now: dict[str, list[dict[str, object]]]) -> list[str]:
    lines = []
    for day in AS_OF:
        before = {f["file"]: f["sha256"] for f in pinned.get(day, [])}
        after = {f["file"]: f["sha256"] for f in now.get(day, [])}
        for name in sorted(before.keys() | after.keys()):
            if before.get(name) != after.get(name):
                state = "new" if name not in before else "gone" if name not in after else "changed"
                lines.append(f"{day} {name}: {state}")
    return lines


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    if command == "update":
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        data = {"libraries": library_versions(), "manifests": manifests()}
        GOLDEN.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"pinned {GOLDEN.relative_to(REPO)}")
        return 0
    if command != "check":
        print(__doc__)
        return 2
    pinned = json.loads(GOLDEN.read_text(encoding="utf-8"))
    if pinned["libraries"] != library_versions():
        print(f"skipped: pinned with {pinned['libraries']}, installed {library_versions()}")
        return 0
    diff = differences(pinned["manifests"], manifests())
    for line in diff:
        print(line)
    print("outputs differ from the pinned ones" if diff else "outputs identical to the pinned ones")
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
