"""The eval suite: metric functions, the report files (opened in a real headless Chromium), and a gate that can fail."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner, Result

from agent.cli import app
from agent.pipeline.services import Services
from agent.schemas import Citation, ClaimRecord
from agent.settings import PROJECT_ROOT
from evals import metrics as m
from evals.dataset import Dataset
from evals.report import gate
from evals.runner import run_claims, summarize_claims
from tests.conftest import CHROME_FLAGS

GOLD = PROJECT_ROOT / "evals" / "gold"
BASELINE = PROJECT_ROOT / "evals" / "baselines" / "seed.json"


# ------------------------------------------------------------------------------------------- metrics
def test_accuracy_confusion_and_macro_f1() -> None:
    gold = ["A", "A", "B", "C"]
    pred = ["A", "B", "B", "A"]
    assert m.accuracy(gold, pred) == 0.5
    assert m.confusion(gold, pred, ["A", "B", "C"]) == [[1, 1, 0], [0, 1, 0], [1, 0, 0]]
    pl = m.per_label(gold, pred, ["A", "B", "C"])
    assert pl["A"]["precision"] == 0.5 and pl["A"]["recall"] == 0.5
    assert pl["B"]["precision"] == 0.5 and pl["B"]["recall"] == 1.0
    assert pl["C"]["f1"] == 0.0
    assert m.macro_f1(gold, pred, ["A", "B", "C", "D"]) == pytest.approx((0.5 + 2 / 3 + 0) / 3)  # D absent: skipped


def test_ece_and_reliability() -> None:
    assert m.ece([1.0, 1.0], [True, True]) == 0.0
    assert m.ece([0.9, 0.9], [False, False]) == pytest.approx(0.9)
    bins = m.reliability([0.05, 0.95, 0.95], [False, True, False])
    assert len(bins) == 10 and bins[0]["count"] == 1 and bins[9]["count"] == 2 and bins[9]["accuracy"] == 0.5
    assert m.ece([0.05, 0.95, 0.95], [False, True, False]) == pytest.approx(1 / 3 * 0.05 + 2 / 3 * 0.45)


def test_retrieval_and_set_metrics() -> None:
    assert m.recall_at_k(["a", "b", "c", "d"], ["d", "b"], 3) == 0.5
    assert m.recall_at_k(["a"], [], 3) is None
    assert m.ndcg_at_k(["x", "a"], ["a"], 10) == pytest.approx(1 / 1.584962500721156)
    assert m.ndcg_at_k(["a", "b"], ["a", "b"], 10) == 1.0
    assert m.set_precision([], ["a"]) is None
    assert m.set_precision(["a", "b"], ["a"]) == 0.5
    assert m.key_fact_recall("He wrote to Tim  Scott.", ["tim scott", "Elizabeth Warren"]) == 0.5
    assert m.percentile([1, 2, 3, 4], 50) == 2.5 and m.percentile([5], 95) == 5


def test_scifact_official_scoring_matches_the_worked_example() -> None:
    from evals.scifact import score_official

    gold = [
        {
            "id": 52,
            "evidence": {
                "11": [{"sentences": [0, 1], "label": "SUPPORT"}, {"sentences": [11], "label": "SUPPORT"}],
                "15": [{"sentences": [4], "label": "SUPPORT"}],
            },
        }
    ]
    pred = {
        52: {"11": {"sentences": [1, 11, 13], "label": "SUPPORT"}, "16": {"sentences": [18, 20], "label": "CONTRADICT"}}
    }
    s = score_official(gold, pred)
    assert s["abstract_label_rationale"]["f1"] == pytest.approx(0.5)
    assert s["sentence_selection_label"]["precision"] == pytest.approx(1 / 5)
    assert s["sentence_selection_label"]["recall"] == pytest.approx(1 / 4)
    assert s["sentence_selection_label"]["f1"] == pytest.approx(2 / 9)


def test_gate_flags_invalid_citations_and_f1_drop() -> None:
    assert gate({"macro_f1": 0.60, "invalid_citations": 0}, {"macro_f1": 0.61}).ok
    assert not gate({"macro_f1": 0.58, "invalid_citations": 0}, {"macro_f1": 0.61}).ok
    bad = gate({"macro_f1": 0.9, "invalid_citations": 1}, {"macro_f1": 0.61})
    assert not bad.ok and "slice check" in bad.reasons[0]


# ------------------------------------------------------------------------------------------- the gate can fail
def test_always_supported_verifier_fails_the_gate(seeded_services: Services) -> None:
    def broken(services: Services, claim: str, claim_id: str) -> ClaimRecord:
        return ClaimRecord(id=claim_id, claim=claim, label="SUPPORTED", confidence=0.9, rationale="always")

    cases = Dataset.from_jsonl(GOLD / "seed_claims.jsonl").claims()
    rows = run_claims(seeded_services, cases, verify=broken, with_ranking=False, show_progress=False)
    summary = summarize_claims(rows)
    baseline = json.loads(BASELINE.read_text())
    result = gate(summary, baseline)
    assert not result.ok and "macro-F1" in result.reasons[0]
    assert summary["macro_f1"] < baseline["macro_f1"] - 0.02


def test_a_forged_quote_fails_the_gate(seeded_services: Services) -> None:
    doc = next(iter(seeded_services.index().texts))

    def forger(services: Services, claim: str, claim_id: str) -> ClaimRecord:
        c = Citation(doc_id=doc, chunk_id=f"{doc}:0", start=0, end=5, quote="not the text")
        return ClaimRecord(id=claim_id, claim=claim, label="SUPPORTED", confidence=0.9, rationale="x", citations=[c])

    cases = Dataset.from_jsonl(GOLD / "seed_claims.jsonl").claims()[:2]
    summary = summarize_claims(
        run_claims(seeded_services, cases, verify=forger, with_ranking=False, show_progress=False)
    )
    assert summary["invalid_citations"] == 2
    assert not gate(summary, None).ok


# ------------------------------------------------------------------------------------------- CLI + report in Chromium
def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.skip("chromium is not installed (make setup installs it)")
    return exe


def _png_rgb(path: Path) -> np.ndarray:
    """The pixels of an 8-bit, non-interlaced RGB/RGBA PNG (what Chromium's --screenshot writes), as H x W x 3."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, head = 8, b"", b""
    while pos < len(data):
        n = int.from_bytes(data[pos : pos + 4], "big")
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + n]
        head, idat = (body, idat) if kind == b"IHDR" else (head, idat + body if kind == b"IDAT" else idat)
        pos += 12 + n
    w, h, depth, ctype, interlace = (*struct.unpack(">II", head[:8]), head[8], head[9], head[12])
    assert depth == 8 and ctype in (2, 6) and interlace == 0
    bpp = 3 if ctype == 2 else 4
    raw, stride = zlib.decompress(idat), 1 + w * bpp
    out = bytearray(h * w * bpp)
    prev = bytes(w * bpp)
    for y in range(h):
        f, line = raw[y * stride], raw[y * stride + 1 : (y + 1) * stride]
        if f == 0:
            row = bytearray(line)
        elif f == 2:
            row = bytearray((np.frombuffer(line, np.uint8) + np.frombuffer(prev, np.uint8)).tobytes())
        elif f == 1:
            sums = np.cumsum(np.frombuffer(line, np.uint8).reshape(w, bpp).astype(np.int64), axis=0) % 256
            row = bytearray(sums.astype(np.uint8).tobytes())
        else:
            row = bytearray(line)
            for i in range(len(row)):
                a = row[i - bpp] if i >= bpp else 0
                b, c = prev[i], prev[i - bpp] if i >= bpp else 0
                if f == 3:
                    pred = (a + b) >> 1
                else:
                    pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                    pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                row[i] = (row[i] + pred) & 255
        out[y * w * bpp : (y + 1) * w * bpp] = row
        prev = bytes(row)
    return np.frombuffer(bytes(out), np.uint8).reshape(h, w, bpp)[:, :, :3]


def _eval_cli(seeded_services: Services, report: Path, baseline: Path) -> Result:
    return CliRunner().invoke(
        app,
        [
            "--data-dir",
            str(seeded_services.settings.data_dir),
            "eval",
            "--limit",
            "4",
            "--dataset",
            str(GOLD / "seed_claims.jsonl"),
            "--dataset",
            str(GOLD / "seed_questions.jsonl"),
            "--report",
            str(report),
            "--baseline",
            str(baseline),
            "--gate",
        ],
    )


def test_eval_command_writes_the_report_and_it_renders(seeded_services: Services, tmp_path: Path) -> None:
    report = tmp_path / "report"
    baseline = tmp_path / "baseline.json"
    # a baseline macro-F1 this run cannot reach: the gate fails on F1, and says so
    baseline.write_text(json.dumps({"macro_f1": 1.5, "accuracy": 0.5}))
    failed = _eval_cli(seeded_services, tmp_path / "failed", baseline)
    assert failed.exit_code == 1, failed.output
    assert "gate failed: macro-F1" in failed.output and "< baseline 1.500" in failed.output
    now = json.loads((tmp_path / "failed" / "summary.json").read_text())["macro_f1"]
    # the same run against a baseline inside the tolerance passes
    baseline.write_text(json.dumps({"macro_f1": now + 0.01, "accuracy": 0.5}))
    result = _eval_cli(seeded_services, report, baseline)
    assert result.exit_code == 0, result.output
    assert "macro-F1" in result.output and "gate passed" in result.output and "baseline 0.500" in result.output
    for name in ("results.jsonl", "summary.json", "report.md", "report.html"):
        assert (report / name).is_file()
    rows = [json.loads(x) for x in (report / "results.jsonl").read_text().splitlines()]
    assert [r["kind"] for r in rows] == ["claim"] * 4 + ["question"] * 4
    summary = json.loads((report / "summary.json").read_text())
    assert summary["claims"] == 4 and summary["invalid_citations"] == 0 and "qa" in summary
    assert summary["baseline_deltas"]["accuracy"]["baseline"] == 0.5
    assert summary["macro_f1"] == now

    exe = _chromium()
    html = (report / "report.html").resolve().as_uri()
    shot = tmp_path / "shot.png"
    subprocess.run(
        [
            exe,
            *CHROME_FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=1200,2000",
            html,
        ],
        check=True,
        capture_output=True,
        timeout=90,
    )
    pixels = _png_rgb(shot)
    # the per-label chart's three metric colours (precision, recall, F1: legend and bars) are painted
    for colour in ("#1f77b4", "#ff7f0e", "#2ca02c"):
        rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
        assert int((pixels == rgb).all(axis=2).sum()) >= 100, colour
    dom = subprocess.run(
        [exe, *CHROME_FLAGS, f"--user-data-dir={tmp_path / 'profile2'}", "--dump-dom", html],
        check=True,
        capture_output=True,
        text=True,
        timeout=90,
    ).stdout
    for plot in ("confusion", "per-label", "reliability"):
        assert f'id="{plot}"' in dom
    assert dom.count("<svg") >= 3 and "<rect" in dom
