"""Shared test fixtures: the repo's config, the demo input and (when present) ../shared."""

from __future__ import annotations

import datetime as dt
import functools
import shutil
import subprocess
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


@pytest.fixture(scope="session")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A throw-away CA and a server certificate for 127.0.0.1 signed by it (openssl CLI)."""
    openssl = shutil.which("openssl")
    if openssl is None:  # pragma: no cover - present in CI and the dev sandbox
        pytest.skip("openssl command not available")
    d = tmp_path_factory.mktemp("tls")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], cwd=d, check=True, capture_output=True)

    run("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=screening test CA",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    (d / "ext.cnf").write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
        encoding="ascii",
    )
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf")
    return {"ca": d / "ca.pem", "cert": d / "server.pem", "key": d / "server.key"}


@pytest.fixture(scope="session")
def demo_workbooks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every workbook kind of the demo at 12-31 (the README's page counts), written once per
    session: ``master``, ``leaders``, ``health`` and one per community key."""
    from pipeline.outputs.community import community_views, write_community
    from pipeline.outputs.master import write_master
    from pipeline.outputs.readers import write_health_centre, write_leaders
    from pipeline.settings import load_settings

    settings = load_settings(CONFIG)
    result = demo_result(dt.date(2020, 12, 31))
    out = tmp_path_factory.mktemp("workbooks-1231")
    paths = {
        "master": write_master(out / "master.xlsx", result, settings),
        "leaders": write_leaders(out / "leaders.xlsx", result, settings),
        "health": write_health_centre(out / "health.xlsx", result, settings),
    }
    views = community_views(result, settings)
    for key in settings.community_keys:
        paths[key] = write_community(out / f"community-{key}.xlsx", views[key])
    return paths
