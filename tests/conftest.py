"""Shared fixtures: real embedding model, real embedded Chroma in a temp dir, no network."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["ANONYMIZED_TELEMETRY"] = "False"

import pydantic_ai.models  # noqa: E402

pydantic_ai.models.ALLOW_MODEL_REQUESTS = False

from agent.context import Services  # noqa: E402
from agent.settings import PROJECT_ROOT, Settings  # noqa: E402
from agent.store import Embedder  # noqa: E402

SEEDS = PROJECT_ROOT / "seeds"


@pytest.fixture(autouse=True)
def _isolated_paths(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every user path points into a temp dir; no test touches the developer's store or history."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("CROSSCHECK_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("CROSSCHECK_CONFIG", raising=False)
    monkeypatch.delenv("CROSSCHECK_STORE__URL", raising=False)
    monkeypatch.delenv("CROSSCHECK_STORE__TOKEN", raising=False)


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real packaged all-MiniLM-L6-v2, loaded once per test session."""
    e = Embedder(Settings().embedding)
    assert e.dim == 384
    return e


def make_services(data_dir: Path, embedder: Embedder, **overrides: object) -> Services:
    settings = Settings(data_dir=data_dir, **overrides)  # type: ignore[arg-type]
    services = Services.from_settings(settings)
    services.embedder = embedder
    return services


@pytest.fixture
def services(tmp_path: Path, embedder: Embedder) -> Services:
    return make_services(tmp_path / "data", embedder)


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "seeds"
    shutil.copytree(SEEDS, dst)
    for f in dst.iterdir():
        f.chmod(0o644)
    return dst


@pytest.fixture(scope="session")
def seeded_services(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Services:
    """One real embedded store with seeds/ ingested, shared by read-only tests."""
    from agent.ingest import ingest

    services = make_services(tmp_path_factory.mktemp("seeded") / "data", embedder)
    report = ingest([SEEDS], services.settings, services.store, services.embedder)
    assert report.documents == 5 and not report.errors
    return services


# headless Chromium as this machine runs it: no sandbox as root, no background network traffic
CHROME_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
