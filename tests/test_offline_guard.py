"""Tests never leave the machine (the socket guard in conftest.py), and a run never writes a secret."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from agent import cli
from agent.cli import app

from .conftest import SEEDS, SocketBlocked, make_services

PUBLIC = ("93.184.215.14", 80)  # a public address; the guard must refuse it before any packet is sent


def test_guard_refuses_a_public_address(socket_guard: list[str]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s, pytest.raises(SocketBlocked, match="93.184"):
        s.settimeout(2)  # were the guard broken, fail fast instead of waiting on the network
        s.connect(PUBLIC)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s, pytest.raises(SocketBlocked):
        s.connect_ex(PUBLIC)
    with pytest.raises(SocketBlocked, match="example.org"):  # a name is refused before it is even looked up
        socket.getaddrinfo("example.org", 443)
    with pytest.raises(SocketBlocked):  # what the LLM and store clients use: no wrapping into a retryable error
        httpx.get("https://example.org/v1/models", timeout=1)
    assert len(socket_guard) == 4
    socket_guard.clear()  # the attempts were the point of this test; any other test fails on them


def test_guard_allows_this_machine() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        accepted = threading.Thread(target=lambda: server.accept()[0].close())
        accepted.start()
        with socket.create_connection(("localhost", port), timeout=5):
            pass
        accepted.join(5)


def test_guard_records_an_attempt_the_code_swallowed(socket_guard: list[str]) -> None:
    """A client that catches every exception (an offline fallback) still leaves the attempt on record, and
    the guard fails the test at teardown on any record: a hidden network call cannot pass."""
    with contextlib.suppress(Exception):  # what a careless fallback does
        socket.create_connection(("93.184.215.14", 443), timeout=1)
    assert socket_guard == ["getaddrinfo 93.184.215.14:443"]
    socket_guard.clear()


KEY = "sk-test-PLANTED-3f9c1e7a5b2d4680"
TOKEN = "ck-PLANTED-token-91d2e8"


def test_planted_keys_never_reach_anything_a_run_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, embedder: Any
) -> None:
    """ingest + verify + batch (every output format) + sources, offline with provider none, with a fake key in
    every place one is read from: neither the key nor the token appears in stdout, stderr or any file."""
    for var in ("CROSSCHECK_LLM__API_KEY", "OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        monkeypatch.setenv(var, KEY)
    monkeypatch.setenv("CROSSCHECK_STORE__TOKEN", TOKEN)
    shared: dict[str, Any] = {}

    def services(cls: Any) -> Any:
        settings = cls.settings()
        assert settings.llm.api_key is not None and settings.llm.api_key.get_secret_value() == KEY
        if "s" not in shared:
            shared["s"] = make_services(settings.data_dir, embedder, llm=settings.llm, store=settings.store)
        return shared["s"]

    monkeypatch.setattr(cli.State, "services", classmethod(services))
    runner = CliRunner()
    base = ["--data-dir", str(tmp_path / "data"), "--llm-provider", "none"]
    claims = tmp_path / "claims.txt"
    claims.write_text("Anthropic accused Alibaba of a distillation campaign.\nThe survey covered 14 miles.\n")
    runs = [
        ["ingest", str(SEEDS)],
        ["sources"],
        ["verify", "Anthropic accused Alibaba of a distillation campaign."],
        ["verify", "--json", "The survey covered 14 miles."],
        *(["batch", str(claims), "-o", str(tmp_path / f"out.{ext}")] for ext in ("jsonl", "csv", "html", "md")),
        ["batch", str(claims)],
    ]
    written = []
    for args in runs:
        result = runner.invoke(app, [*base, *args], catch_exceptions=False)
        assert result.exit_code in (0, 1), (args, result.output)
        written += [result.stdout, result.stderr]
    assert json.loads(written[2 * 3])["claim"] == "The survey covered 14 miles."  # verify --json: stdout only
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.suffix == ".html" for p in files) and any(p.name == "chroma.sqlite3" for p in files)
    # not the secrets, nor any 10-character piece of them (a truncated or partly masked key is a leak too)
    pieces = {x[i : i + 10] for x in (KEY, TOKEN) for i in range(len(x) - 9)}
    contents = {f"output {i}": text.encode() for i, text in enumerate(written)}
    contents |= {str(p): p.read_bytes() for p in files if p != claims}
    leaks = [(where, piece) for where, data in contents.items() for piece in pieces if piece.encode() in data]
    assert not leaks


def test_the_guard_holds_in_subprocesses_too(tmp_path: Path) -> None:
    """A Python subprocess a test starts (the CLI, chroma run, the LLM server) gets the guard through
    sitecustomize: a connection to another host is refused and logged, one to 127.0.0.1 is not."""
    import os
    import subprocess
    import sys

    log = tmp_path / "guard.log"
    code = (
        "import socket\n"
        "try:\n    socket.create_connection(('93.184.216.34', 80), timeout=2)\nexcept RuntimeError as e:\n"
        "    print('BLOCKED', e)\n"
        "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1)\n"
        "socket.create_connection(s.getsockname(), timeout=2).close(); print('LOCAL OK')\n"
    )
    env = {**os.environ, "CROSSCHECK_SOCKET_GUARD_LOG": str(log)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert "BLOCKED socket guard" in out.stdout and "LOCAL OK" in out.stdout, out.stdout + out.stderr
    assert "93.184.216.34:80" in log.read_text()
