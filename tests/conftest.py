"""Shared fixtures: real embedding model, real embedded Chroma in a temp dir, no network."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["ANONYMIZED_TELEMETRY"] = "False"
# The embedding model's ONNX export (made once from the packaged weights, ~10 s) is shared by every test and
# every subprocess a test starts, across runs: HOME moves per test, so the default ~/.cache would not be.
os.environ.setdefault("CROSSCHECK_EMBEDDING__ONNX_DIR", str(Path(tempfile.gettempdir()) / "crosscheck-test-models"))
# The socket guard in every Python subprocess too (tests/subprocess_guard/sitecustomize.py): attempts are logged here
_guard_fd, SUBPROCESS_GUARD_LOG = tempfile.mkstemp(prefix="crosscheck-socket-guard-", suffix=".log")
os.close(_guard_fd)
os.environ["CROSSCHECK_SOCKET_GUARD_LOG"] = SUBPROCESS_GUARD_LOG
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (str(Path(__file__).parent / "subprocess_guard"), os.environ.get("PYTHONPATH", "")) if p
)

import pydantic_ai.models  # noqa: E402

pydantic_ai.models.ALLOW_MODEL_REQUESTS = False

from agent.data.store import Embedder  # noqa: E402
from agent.pipeline.services import Services  # noqa: E402
from agent.settings import PROJECT_ROOT, Settings  # noqa: E402

SEEDS = PROJECT_ROOT / "seeds"


LOCAL_HOSTS = {"127.0.0.1", "::1", "localhost"}


class SocketBlocked(RuntimeError):
    """A test tried to reach a host other than this machine. Not an OSError on purpose: code under test that
    handles connection errors (retries, offline fallbacks) must not turn a network call into a pass."""


def _local(host: object) -> bool:
    if host is None or host in ("", "0.0.0.0", "::"):  # wildcard: what a server binds or asks for, no peer
        return True
    text = host.decode() if isinstance(host, bytes) else str(host)
    if text in LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(text.split("%", 1)[0]) in (
            ipaddress.ip_address("127.0.0.1"),
            ipaddress.ip_address("::1"),
            ipaddress.ip_address("::ffff:127.0.0.1"),
        )
    except ValueError:
        return False  # any other name: resolving it is already a request to the network


@pytest.fixture(autouse=True)
def socket_guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """No socket leaves the machine: connect/connect_ex to any peer but 127.0.0.1/::1/localhost, and name
    lookups of other hosts, raise SocketBlocked before anything is sent. Every attempt is also recorded and
    fails the test at teardown, even if the code under test caught the error. Unix sockets are allowed."""
    attempts: list[str] = []

    def check(family: int, host: object, port: object, what: str) -> None:
        if family in (socket.AF_INET, socket.AF_INET6) and not _local(host):
            attempts.append(f"{what} {host}:{port}")
            raise SocketBlocked(f"test tried to reach {host}:{port} ({what}); only 127.0.0.1/::1 are allowed")

    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> None:
        if isinstance(address, tuple):
            check(self.family, address[0], address[1], "connect")
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if isinstance(address, tuple):
            check(self.family, address[0], address[1], "connect_ex")
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        check(socket.AF_INET, host, port, "getaddrinfo")
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    seen = Path(SUBPROCESS_GUARD_LOG).stat().st_size
    yield attempts
    with open(SUBPROCESS_GUARD_LOG, encoding="utf-8") as fh:  # what this test's subprocesses tried
        fh.seek(seen)
        attempts += [f"subprocess {line.strip()}" for line in fh if line.strip()]
    if attempts:
        pytest.fail(f"network access attempted: {attempts}", pytrace=False)


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
    from agent.app.ingest import ingest

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


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_chroma(path: Path, port: int) -> subprocess.Popen[bytes]:
    """A real `chroma run` on 127.0.0.1:port over `path`, once it accepts connections."""
    exe = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    proc = subprocess.Popen(
        [exe, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            assert proc.poll() is None, "chroma run exited early"
            time.sleep(0.2)
    proc.kill()
    pytest.fail("chroma server did not start")


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[str]:
    """A real `chroma run` on 127.0.0.1 over a temp folder: its URL."""
    port = free_port()
    proc = start_chroma(tmp_path / "server", port)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=20)
