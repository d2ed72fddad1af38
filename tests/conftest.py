"""Shared test fixtures: the repo's config, the demo input and (when present) ../shared."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
THIRD_PARTY = SHARED / "fixtures" / "third_party"
DEMO_INPUT = REPO / "input"
CONFIG = REPO / "config.toml"


@functools.lru_cache(maxsize=4)
def demo_result(as_of: dt.date):  # type: ignore[no-untyped-def]
    """The demo input analysed at ``as_of``, computed once per test session."""
    from pipeline.analyse import analyse
    from pipeline.settings import load_settings

    return analyse(DEMO_INPUT, load_settings(CONFIG), as_of)


@pytest.fixture(scope="session")
def settings():  # type: ignore[no-untyped-def]
    from pipeline.settings import load_settings

    return load_settings(CONFIG)


@pytest.fixture(scope="session")
def third_party() -> Path:
    if not THIRD_PARTY.is_dir():
        pytest.skip("../shared/fixtures/third_party not present (only in CI and the dev sandbox)")
    return THIRD_PARTY
