"""`crosscheck batch`: every input format, error records in place, kill-and-resume, the HTML report in Chromium."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from agent import cli
from agent.app.batch import load_items
from agent.cli import app
from agent.settings import PROJECT_ROOT
from tests.conftest import CHROME_FLAGS, SEEDS, make_services

GOLD = [json.loads(line) for line in (PROJECT_ROOT / "evals/gold/seed_claims.jsonl").read_text().splitlines() if line]
_SERVICES: dict[str, Any] = {}


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch, embedder: Any):
    """CliRunner over the real app; services per data dir are reused across tests (one model, one index)."""

    def services(cls: Any) -> Any:
        settings = cls.settings()
        key = str(settings.data_dir)
        if key not in _SERVICES:
            _SERVICES[key] = make_services(settings.data_dir, embedder)
        return _SERVICES[key]

    monkeypatch.setattr(cli.State, "services", classmethod(services))
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)

    return run


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("batch") / "data"


@pytest.fixture
def seeded(run_cli: Any, data_dir: Path) -> Path:
    if not (data_dir / "chroma").exists():
        result = run_cli("--data-dir", data_dir, "ingest", SEEDS)
        assert result.exit_code == 0, result.output
    return data_dir


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_load_items_flags_bad_lines(tmp_path: Path) -> None:
    f = tmp_path / "in.jsonl"
    f.write_text(
        '{"id": "a", "claim": "x"}\n\n[1]\n{"claim": "  "}\n{"id": "a", "claim": "y"}\n{"claim": "' + "z" * 50 + '"}\n'
    )
    items = load_items(f, max_chars=40)
    assert [(i.line, i.id, bool(i.error)) for i in items] == [
        (1, "a", False),
        (3, "3", True),
        (4, "4", True),
        (5, "a@5", True),
        (6, "6", True),
    ]
    assert "duplicate" in items[3].error and "over the limit" in items[4].error


def test_each_input_format(run_cli: Any, seeded: Path, tmp_path: Path) -> None:
    claims = [g["claim"] for g in GOLD[:3]]
    (tmp_path / "c.txt").write_text("\n".join(claims) + "\n")
    (tmp_path / "c.jsonl").write_text(
        "".join(
            json.dumps({"id": g["id"], "claim": g["claim"], "label": g["label"], "tier": g["tier"]}) + "\n"
            for g in GOLD[:3]
        )
    )
    with (tmp_path / "c.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "claim", "note"])
        for g in GOLD[:3]:
            w.writerow([g["id"], g["claim"], "n"])

    out = {}
    for ext in ("txt", "jsonl", "csv"):
        result = run_cli(
            "--data-dir", seeded, "batch", tmp_path / f"c.{ext}", "-o", tmp_path / f"out-{ext}.jsonl", "--workers", "2"
        )
        assert result.exit_code == 0, result.output
        out[ext] = read_jsonl(tmp_path / f"out-{ext}.jsonl")
        assert [r["claim"] for r in out[ext]] == claims
        for r in out[ext]:
            assert r["label"] in ("SUPPORTED", "REFUTED", "CONFLICTING", "NOT_ENOUGH_INFO")
            assert set(r) >= {
                "id",
                "claim",
                "label",
                "confidence",
                "rationale",
                "sources",
                "citations",
                "llm",
                "timing_ms",
                "subclaims",
            }
    assert [r["id"] for r in out["txt"]] == ["1", "2", "3"]
    assert [r["id"] for r in out["jsonl"]] == [g["id"] for g in GOLD[:3]]
    assert out["jsonl"][0]["tier"] == GOLD[0]["tier"]  # extra fields carried through
    assert out["jsonl"][0]["input_label"] == GOLD[0]["label"]  # ... renamed when they collide with the record
    assert out["csv"][0]["note"] == "n"
    assert [r["label"] for r in out["txt"]] == [r["label"] for r in out["jsonl"]] == [r["label"] for r in out["csv"]]

    result = run_cli("--data-dir", seeded, "batch", tmp_path / "c.txt", "-o", tmp_path / "out.csv")
    assert result.exit_code == 0
    rows = list(csv.DictReader((tmp_path / "out.csv").open()))
    assert [r["claim"] for r in rows] == claims and rows[0]["label"] == out["txt"][0]["label"]
    result = run_cli("--data-dir", seeded, "batch", tmp_path / "c.txt", "--format", "md", "-o", tmp_path / "out.txt")
    assert result.exit_code == 0 and (tmp_path / "out.txt").read_text().count("\n## ") == 3


def test_broken_lines_get_error_records_in_place(run_cli: Any, seeded: Path, tmp_path: Path) -> None:
    good = GOLD[0]["claim"]
    f = tmp_path / "broken.jsonl"
    f.write_text(
        "\n".join(
            [
                json.dumps({"id": "ok1", "claim": good}),
                '{"id": "bad", "claim": ',
                json.dumps({"id": "empty", "claim": "   "}),
                json.dumps({"id": "long", "claim": "x" * 5000}),
                json.dumps({"id": "noclaim", "text": good}),
                json.dumps({"id": "ok2", "claim": GOLD[1]["claim"]}),
            ]
        )
        + "\n"
    )
    out = tmp_path / "out.jsonl"
    result = run_cli("--data-dir", seeded, "batch", f, "-o", out)
    assert result.exit_code == 1
    recs = read_jsonl(out)
    assert [r["id"] for r in recs] == ["ok1", "2", "empty", "long", "noclaim", "ok2"]
    assert [r.get("line") for r in recs] == [None, 2, 3, 4, 5, None]
    assert all(set(r) == {"id", "line", "error"} for r in recs[1:5])
    assert "label" in recs[0] and "label" in recs[5]
    for needle in ("line 2", "line 3", "line 4", "line 5", "ERROR 4"):
        assert needle in result.output  # stderr is mixed into the runner's output

    (tmp_path / "rows.csv").write_text('id,claim\nr1,"' + good + '"\nr2\nr3,\n')
    result = run_cli("--data-dir", seeded, "batch", tmp_path / "rows.csv", "-o", tmp_path / "rows.jsonl")
    assert result.exit_code == 1
    assert [("error" in r) for r in read_jsonl(tmp_path / "rows.jsonl")] == [False, True, True]


@pytest.mark.parametrize(
    "content,name",
    [
        (None, "missing.jsonl"),
        (b"\x00\x01\x02binary", "bin.txt"),
        (b"\xff\xfe\xfa bad", "latin.csv"),
        (b"claim\n", "claims.xlsx"),
        (b"text,id\nx,1\n", "nocol.csv"),
    ],
)
def test_unreadable_file_exits_2(run_cli: Any, seeded: Path, tmp_path: Path, content: bytes | None, name: str) -> None:
    f = tmp_path / name
    if content is not None:
        f.write_bytes(content)
    result = run_cli("--data-dir", seeded, "batch", f, "-o", tmp_path / "o.jsonl")
    assert result.exit_code == 2
    assert "error:" in result.output and "Traceback" not in result.output


def _claims(n: int) -> list[str]:
    base = [g["claim"] for g in GOLD]
    return [base[i % len(base)] if i < len(base) else f"Reportedly, {base[i % len(base)]}" for i in range(n)]


def test_kill_and_resume(run_cli: Any, seeded: Path, tmp_path: Path) -> None:
    f = tmp_path / "many.txt"
    f.write_text("\n".join(_claims(60)) + "\n")
    ref = tmp_path / "ref.jsonl"
    assert run_cli("--data-dir", seeded, "batch", f, "-o", ref, "--workers", "2").exit_code == 0

    out = tmp_path / "out.jsonl"
    partial = tmp_path / "out.jsonl.partial"
    cmd = [
        str(Path(sys.executable).parent / "crosscheck"),
        "--data-dir",
        str(seeded),
        "batch",
        str(f),
        "-o",
        str(out),
        "--workers",
        "1",
    ]
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 150
    while time.time() < deadline and proc.poll() is None:
        if partial.exists() and partial.read_text().count("\n") >= 5:
            break
        time.sleep(0.2)
    assert proc.poll() is None, "the batch finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    written = partial.read_text().count("\n")
    assert 5 <= written < 60 and not out.exists()

    result = run_cli("--data-dir", seeded, "batch", f, "-o", out, "--resume", "--workers", "2")
    assert result.exit_code == 0, result.output
    assert "resuming" in result.output
    assert not partial.exists()
    got, want = read_jsonl(out), read_jsonl(ref)
    assert [r["id"] for r in got] == [str(i) for i in range(1, 61)]
    for a, b in zip(got, want, strict=True):
        a.pop("timing_ms"), b.pop("timing_ms")
        assert a == b

    # resuming a finished file verifies nothing and rewrites the same records
    result = run_cli("--data-dir", seeded, "batch", f, "-o", out, "--resume")
    assert result.exit_code == 0 and [r["id"] for r in read_jsonl(out)] == [str(i) for i in range(1, 61)]


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed (make setup does)")
def test_html_report_renders_in_chromium(run_cli: Any, seeded: Path, tmp_path: Path) -> None:
    f = tmp_path / "c.jsonl"
    f.write_text("".join(json.dumps({"id": g["id"], "claim": g["claim"]}) + "\n" for g in GOLD[:5]) + "{oops\n")
    html = tmp_path / "report.html"
    result = run_cli("--data-dir", seeded, "batch", f, "-o", html)
    assert result.exit_code == 1
    text = html.read_text()
    assert 'id="summary"' in text and "<svg" in text and text.count('class="card"') == 6
    assert "<script" not in text and "src=" not in text and "<link" not in text  # self-contained

    base = [
        "chromium",
        *CHROME_FLAGS,
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1200,2000",
    ]
    png = tmp_path / "shot.png"
    shot = subprocess.run([*base, f"--screenshot={png}", html.as_uri()], capture_output=True, timeout=90)
    assert shot.returncode == 0, shot.stderr.decode()[-2000:]
    assert png.exists() and png.stat().st_size > 20_000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    dom = subprocess.run([*base, "--dump-dom", html.as_uri()], capture_output=True, timeout=90, text=True)
    assert dom.returncode == 0
    assert dom.stdout.count('class="card"') == 6 and 'id="summary"' in dom.stdout and "<svg" in dom.stdout
    for g in GOLD[:5]:
        assert f'data-id="{g["id"]}"' in dom.stdout
