"""The CI benchmark slices and their gate: seeded samples, the slice corpus, the verifier fingerprint, the gate.

Small and fast: a fake corpus and fake summaries, no verification run.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from pydantic import BaseModel

from agent.settings import Settings
from evals import benchmarks as bench
from evals.climate_fever import slice_rows
from evals.report import gate
from evals.scifact import GATED as SCIFACT_GATED
from evals.scifact import (
    cited_docs,
    corpus_records,
    slice_claims,
    slice_doc_ids,
    write_slice_corpus,
)


# ------------------------------------------------------------------------------------------ a tiny SciFact
def fake_scifact(tmp_path: Path, n_docs: int = 60, n_claims: int = 30) -> tuple[Path, list[dict]]:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(
        "".join(
            json.dumps(
                {
                    "doc_id": 1000 + i,
                    "title": f"T{i}",
                    "abstract": [f"Sentence one of {i}.", "Two."],
                    "structured": False,
                }
            )
            + "\n"
            for i in range(n_docs)
        ),
        encoding="utf-8",
    )
    claims = []
    for i in range(n_claims):
        cited = [1000 + (7 * i) % n_docs]
        evidence = {str(1000 + (3 * i) % n_docs): [{"sentences": [0], "label": "SUPPORT"}]} if i % 3 else {}
        claims.append({"id": 5 + 2 * i, "claim": f"claim {i}", "evidence": evidence, "cited_doc_ids": cited})
    return corpus, claims


def test_sample_ids_is_seeded_sorted_and_complete_when_small() -> None:
    ids = list(range(100))
    a, b = bench.sample_ids(ids, 10), bench.sample_ids(list(reversed(ids)), 10)
    assert a == b and len(a) == 10 and a == sorted(a) and set(a) <= set(ids)  # input order does not matter
    assert bench.sample_ids(ids, 10, seed=1) != a
    assert bench.sample_ids(ids[:5], 10) == ids[:5]


def test_scifact_slice_is_deterministic_and_keeps_every_cited_abstract(tmp_path: Path) -> None:
    corpus, claims = fake_scifact(tmp_path)
    records = corpus_records(corpus)
    first = slice_claims(claims, 12)
    again = slice_claims(list(reversed(claims)), 12)
    assert [c["id"] for c in first] == sorted(c["id"] for c in again) and len(first) == 12
    assert [c["id"] for c in first] == [c["id"] for c in claims if c in first]  # file order

    keep = slice_doc_ids(first, (d for d, _ in records), others=20)
    assert keep == slice_doc_ids(first, [d for d, _ in reversed(records)], others=20)
    cited = cited_docs(first)
    assert cited and cited <= keep  # cited_doc_ids and evidence abstracts alike
    assert any(c["evidence"] for c in first) and all(k in keep for c in first for k in c["evidence"])
    assert len(keep) == len(cited) + 20

    out = tmp_path / "slice" / "corpus.jsonl"
    assert write_slice_corpus(records, keep, out) == len(keep)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert {str(json.loads(x)["doc_id"]) for x in lines} == keep
    assert set(lines) <= {line for _, line in records}  # records verbatim, same format as the corpus
    mtime = out.stat().st_mtime_ns
    write_slice_corpus(records, keep, out)
    assert out.stat().st_mtime_ns == mtime  # unchanged slice: the file is left alone


def test_a_cited_abstract_missing_from_the_corpus_is_an_error(tmp_path: Path) -> None:
    _, claims = fake_scifact(tmp_path)
    with pytest.raises(ValueError, match="not in the corpus"):
        slice_doc_ids(claims, ["1000"], others=0)


def test_climate_fever_slice_is_deterministic_in_file_order() -> None:
    rows = [{"claim_id": str(i), "claim": f"c{i}"} for i in range(50)]
    a = slice_rows(rows, 10)
    assert [r["claim_id"] for r in a] == [r["claim_id"] for r in slice_rows(rows, 10)]
    assert len(a) == 10 and [r for r in rows if r in a] == a
    assert {r["claim_id"] for r in slice_rows(list(reversed(rows)), 10)} == {r["claim_id"] for r in a}


# ------------------------------------------------------------------------------------------ fingerprint
class FakeStance(BaseModel):
    mode: str = "combined"
    model: str = "packaged"


def test_fingerprint_follows_stance_settings_and_weights(tmp_path: Path) -> None:
    weights = tmp_path / "model.safetensors"
    fp = bench.verifier_fingerprint(SimpleNamespace(stance=FakeStance()), weights, source=False)
    assert fp == bench.verifier_fingerprint(SimpleNamespace(stance=FakeStance()), weights, source=False)
    assert len(fp) == 12
    assert bench.verifier_fingerprint(SimpleNamespace(stance=FakeStance(mode="rules")), weights, source=False) != fp
    assert bench.verifier_fingerprint(SimpleNamespace(), weights, source=False) != fp  # no stance: "rules"
    weights.write_bytes(b"x" * 10)
    assert bench.verifier_fingerprint(SimpleNamespace(stance=FakeStance()), weights, source=False) != fp
    local = tmp_path / "local-model"
    local.mkdir()
    (local / "model.safetensors").write_bytes(b"y" * 3)  # a local model folder: its own weights count
    assert bench.verifier_fingerprint(
        SimpleNamespace(stance=FakeStance(model=str(local))), weights, source=False
    ) != bench.verifier_fingerprint(SimpleNamespace(stance=FakeStance()), weights, source=False)


def test_fingerprint_honours_the_environment_and_ignores_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    weights = tmp_path / "none.safetensors"
    fp = bench.verifier_fingerprint(Settings(data_dir=tmp_path / "a"), weights, source=False)
    assert fp == bench.verifier_fingerprint(Settings(data_dir=tmp_path / "b"), weights, source=False)
    if getattr(Settings(), "stance", None) is None:
        pytest.skip("Settings has no stance section")
    prints = {}
    for mode in ("rules", "combined"):
        monkeypatch.setenv("CROSSCHECK_STANCE__MODE", mode)
        settings = Settings(data_dir=tmp_path / "a")
        assert settings.stance.mode == mode  # type: ignore[attr-defined]
        prints[mode] = bench.verifier_fingerprint(settings, weights, source=False)
    assert prints["rules"] != prints["combined"]


def test_fingerprint_follows_the_verifier_source(tmp_path: Path) -> None:
    (tmp_path / "agent" / "nodes").mkdir(parents=True)
    rule = tmp_path / "agent" / "nodes" / "rule.py"
    rule.write_text("THRESHOLD = 0.5\n")
    before = bench._source_digest(tmp_path)
    assert bench._source_digest(tmp_path) == before
    rule.write_text("THRESHOLD = 0.6\n")
    assert bench._source_digest(tmp_path) != before


# ------------------------------------------------------------------------------------------ the gate
SLICE = {"claims": 100, "others": 400, "seed": 0, "claim_ids": "abc", "corpus": "def"}


def scifact_summary(label_f1: float, sentence_f1: float, invalid: int = 0, errors: int = 0) -> dict:
    return {
        "slice": SLICE,
        "official": {"abstract_label_only": {"f1": label_f1}, "sentence_selection_label": {"f1": sentence_f1}},
        "invalid_citations": invalid,
        "errors": errors,
        "macro_f1": 0.3,
    }


def test_report_gate_keeps_its_macro_f1_default() -> None:
    assert gate({"macro_f1": 0.60}, {"macro_f1": 0.61}).ok
    assert not gate({"macro_f1": 0.58}, {"macro_f1": 0.61}).ok
    assert gate({"macro_f1": 0.0}, {"accuracy": 0.9}).ok  # a metric the baseline lacks is not gated


def test_slice_gate_tolerates_003_and_fails_below() -> None:
    base = scifact_summary(0.30, 0.20)
    assert bench.gate_slice(scifact_summary(0.30, 0.20), base, SCIFACT_GATED).ok
    assert bench.gate_slice(scifact_summary(0.275, 0.175), base, SCIFACT_GATED).ok  # within 0.03
    low = bench.gate_slice(scifact_summary(0.26, 0.20), base, SCIFACT_GATED)
    assert not low.ok and "abstract label-only F1" in low.reasons[0]
    low = bench.gate_slice(scifact_summary(0.30, 0.16), base, SCIFACT_GATED)
    assert not low.ok and "sentence selection+label F1" in low.reasons[0]
    assert bench.gate_slice(scifact_summary(0.9, 0.9), base, ("macro_f1",)).ok  # only the named metrics
    assert not bench.gate_slice(scifact_summary(0.30, 0.20), base, ("macro_f1",), tolerance=-0.1).ok


def test_slice_gate_fails_on_quotes_errors_missing_or_foreign_baselines() -> None:
    base = scifact_summary(0.30, 0.20)
    bad = bench.gate_slice(scifact_summary(0.5, 0.5, invalid=1), base, SCIFACT_GATED)
    assert not bad.ok and "slice check" in bad.reasons[0]
    assert not bench.gate_slice(scifact_summary(0.5, 0.5, errors=2), base, SCIFACT_GATED).ok
    assert not bench.gate_slice(scifact_summary(0.5, 0.5), None, SCIFACT_GATED).ok
    other = {**base, "slice": {**SLICE, "claim_ids": "zzz"}}
    res = bench.gate_slice(scifact_summary(0.5, 0.5), other, SCIFACT_GATED)
    assert not res.ok and "another slice" in res.reasons[0]
    thin = {"slice": SLICE, "macro_f1": 0.1}
    assert not bench.gate_slice(scifact_summary(0.5, 0.5), thin, SCIFACT_GATED).ok  # baseline lacks the metric


def test_climate_fever_gate_on_accuracy_and_macro_f1() -> None:
    from evals.climate_fever import GATED

    base = {"slice": SLICE, "accuracy": 0.40, "macro_f1": 0.20}
    assert bench.gate_slice({"slice": SLICE, "accuracy": 0.38, "macro_f1": 0.18}, base, GATED).ok
    res = bench.gate_slice({"slice": SLICE, "accuracy": 0.36, "macro_f1": 0.16}, base, GATED)
    assert not res.ok and len(res.reasons) == 2


def test_finish_writes_the_baseline_then_gates_against_it(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path, out = tmp_path / "baselines" / "x.json", tmp_path / "s" / "summary.json"
    summary = {**scifact_summary(0.30, 0.20), "reliability": [1], "baseline_deltas": {}}
    assert (
        bench.finish(summary, path, None, SCIFACT_GATED, gate_on=True, write_baseline=False, summary_out=None) == 1
    )  # no baseline yet
    assert bench.finish(summary, path, None, SCIFACT_GATED, gate_on=True, write_baseline=True, summary_out=out) == 0
    written = json.loads(path.read_text())
    assert "reliability" not in written and written["official"]["abstract_label_only"]["f1"] == 0.30
    assert json.loads(out.read_text())["slice"] == SLICE
    worse = scifact_summary(0.20, 0.20)
    assert (
        bench.finish(
            worse, path, bench.load_baseline(path), SCIFACT_GATED, gate_on=True, write_baseline=False, summary_out=None
        )
        == 1
    )
    assert "gate failed: abstract label-only F1 0.200" in capsys.readouterr().err
    assert (
        bench.finish(
            worse, path, bench.load_baseline(path), SCIFACT_GATED, gate_on=False, write_baseline=False, summary_out=None
        )
        == 0
    )  # without --gate: report only


def test_committed_baselines_are_gateable() -> None:
    """Every baseline the Makefile's gate reads exists and holds the metrics its gate needs."""
    from evals.climate_fever import GATED as CF_GATED

    need = {
        "seed.json": ("macro_f1",),
        "heldout2.json": ("macro_f1",),
        "scifact-slice100.json": SCIFACT_GATED,
        "climate-fever-slice300.json": CF_GATED,
    }
    for name, metrics in need.items():
        base = json.loads((bench.BASELINES / name).read_text())
        for key in metrics:
            assert isinstance(bench._get(base, key), float), (name, key)
    for name in ("scifact-slice100.json", "climate-fever-slice300.json"):
        assert json.loads((bench.BASELINES / name).read_text())["slice"]["seed"] == 0
