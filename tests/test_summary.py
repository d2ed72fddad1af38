"""summary.json keeps the docs honest: every key it writes is documented in the README."""

from __future__ import annotations

import datetime as dt

from tests.conftest import REPO, demo_result


def test_every_summary_key_is_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    summary = demo_result(dt.date(2020, 6, 30)).summary
    community = summary["communities"][0]
    keys = {*summary, *community, *community["followup"], *community["followup_women"]}
    missing = sorted(k for k in keys if f"`{k}`" not in readme and f"`{k}[]`" not in readme)
    assert not missing, f"summary.json keys not documented in README.md: {missing}"
