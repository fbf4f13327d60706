"""Run a Dataset through the same verification graph the user runs, and summarize the scores."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from agent.app.verify import verify_claim
from agent.pipeline.services import Services
from agent.schemas import LABELS, Citation, ClaimRecord
from evals import metrics as m
from evals.dataset import Case, Dataset, LabelMatch, QuoteValidity, SourceAttribution

RECALL_K = 3
Verify = Callable[[Services, str, str], ClaimRecord]


@contextmanager
def progress_bar(description: str, total: int, enabled: bool = True) -> Iterator[Callable[[], None]]:
    """A rich progress bar on stderr; yields `advance()`."""
    if not enabled:
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=total)
        yield lambda: bar.advance(task)


def ranked_docs(services: Services, text: str, k: int = 10) -> list[str]:
    """Documents in retrieval order (the graph's own retriever, one sentence per document)."""
    from agent.pipeline.nodes.retrieve import retrieve

    cfg = services.settings.retrieval.model_copy(
        update={"max_docs": max(k, services.settings.retrieval.max_docs), "per_doc": 1}
    )
    ev = retrieve(text, services.index(), services.store, services.embedder, cfg)
    return list(dict.fromkeys(e.sentence.doc_id for e in ev))


def score_claim(
    services: Services, case: Case, record: ClaimRecord, latency_ms: float, ranking: list[str] | None = None
) -> dict[str, Any]:
    index = services.index()
    scores: dict[str, Any] = {}
    for ev in (LabelMatch(), SourceAttribution(), QuoteValidity(index.valid_citation)):
        scores.update(ev.evaluate(case, record))
    if ranking is not None:
        scores[f"recall@{RECALL_K}"] = m.recall_at_k(ranking, case.sources, RECALL_K)
    return {
        "id": case.id,
        "kind": "claim",
        "claim": case.inputs,
        "gold": case.label,
        "pred": record.label,
        "confidence": record.confidence,
        "tier": case.metadata.get("tier"),
        "gold_sources": case.sources,
        **scores,
        "latency_ms": latency_ms,
        "llm": {
            "calls": record.llm.calls,
            "input_tokens": record.llm.input_tokens,
            "output_tokens": record.llm.output_tokens,
        },
        "rationale": record.rationale,
        "stances": {s.doc_id: s.stance for s in record.sources},
        "evidence": [
            {"doc_id": s.doc_id, "stance": s.stance, "quote": c.quote}
            for s in record.sources
            if s.stance != "neutral"
            for c in s.citations[:2]
        ],
    }


def run_claims(
    services: Services,
    cases: Sequence[Case],
    verify: Verify = verify_claim,
    workers: int = 1,
    with_ranking: bool = True,
    show_progress: bool = True,
) -> list[dict[str, Any]]:
    """Verify every claim (in input order) and score it."""
    services.index()  # build once before threads share it
    model = services.stance_model() if workers > 1 else None
    if model is not None:
        model.parallel(workers)  # a model session per worker, as in `crosscheck batch` (latencies are per worker)

    def one(case: Case) -> dict[str, Any]:
        t0 = time.perf_counter()
        try:
            record = verify(services, case.inputs, case.id)
        except Exception as exc:  # noqa: BLE001 — one broken case is a scored failure, not a crashed run
            return {
                "id": case.id,
                "kind": "claim",
                "claim": case.inputs,
                "gold": case.label,
                "pred": None,
                "error": f"{type(exc).__name__}: {exc}",
                "correct": False,
            }
        latency = (time.perf_counter() - t0) * 1000
        ranking = ranked_docs(services, case.inputs) if with_ranking else None
        return score_claim(services, case, record, latency, ranking)

    return _map(one, cases, workers, "claims", show_progress)


def answer(services: Services, question: str) -> tuple[str, list[Citation]]:
    """What chat and `crosscheck ask` answer: the grouped, source-by-source answer and its quotes."""
    from agent.app.answers import answer_question

    out = answer_question(services, question)
    return out.text, out.citations


def run_questions(services: Services, cases: Sequence[Case], show_progress: bool = True) -> list[dict[str, Any]]:
    index = services.index()

    def one(case: Case) -> dict[str, Any]:
        t0 = time.perf_counter()
        text, cites = answer(services, case.inputs)
        latency = (time.perf_counter() - t0) * 1000
        quotes = QuoteValidity(index.valid_citation).evaluate(case, cites)
        return {
            "id": case.id,
            "kind": "question",
            "question": case.inputs,
            "answer": text,
            "key_facts": case.key_facts,
            "key_fact_recall": m.key_fact_recall(text, case.key_facts),
            "citation_precision": m.set_precision({c.doc_id for c in cites}, case.sources) if case.sources else None,
            "citation_validity": 1 - quotes["invalid_citations"] / quotes["citations"] if quotes["citations"] else None,
            **quotes,
            "latency_ms": latency,
        }

    return _map(one, cases, 1, "questions", show_progress)


def _map(
    fn: Callable[[Case], dict[str, Any]], cases: Sequence[Case], workers: int, what: str, show_progress: bool
) -> list[dict[str, Any]]:
    with progress_bar(f"{what}", len(cases), show_progress) as advance:
        if workers <= 1:
            out = []
            for c in cases:
                out.append(fn(c))
                advance()
            return out
        with ThreadPoolExecutor(workers) as pool:
            futures = [pool.submit(fn, c) for c in cases]
            for f in futures:
                f.result()
                advance()
            return [f.result() for f in futures]


def summarize_claims(rows: Sequence[dict[str, Any]], labels: Sequence[str] = LABELS) -> dict[str, Any]:
    ok = [r for r in rows if r.get("pred") is not None]
    gold = [r["gold"] for r in ok]
    pred = [r["pred"] for r in ok]
    conf = [r["confidence"] for r in ok]
    correct = [r["gold"] == r["pred"] for r in ok]
    lat = [r["latency_ms"] for r in ok]
    n = len(ok) or 1
    return {
        "claims": len(rows),
        "errors": len(rows) - len(ok),
        "accuracy": m.accuracy(gold, pred),
        "macro_f1": m.macro_f1(gold, pred, labels),
        "per_label": m.per_label(gold, pred, labels),
        "labels": list(labels),
        "confusion": m.confusion(gold, pred, labels),
        "citation_precision": m.mean(r.get("citation_precision") for r in ok),
        "source_recall": m.mean(r.get("source_recall") for r in ok),
        "citations": sum(r.get("citations", 0) for r in ok),
        "invalid_citations": sum(r.get("invalid_citations", 0) for r in ok),
        "quote_validity": (
            1 - sum(r.get("invalid_citations", 0) for r in ok) / max(1, sum(r.get("citations", 0) for r in ok))
        ),
        f"evidence_recall@{RECALL_K}": m.mean(r.get(f"recall@{RECALL_K}") for r in ok),
        "latency_ms": {"p50": m.percentile(lat, 50), "p95": m.percentile(lat, 95)},
        "llm_per_claim": {k: sum(r["llm"][k] for r in ok) / n for k in ("calls", "input_tokens", "output_tokens")},
        "ece": m.ece(conf, correct),
        "reliability": m.reliability(conf, correct),
        # confident false refutations (the issue's ≤ 5% target) and abstentions turned into support
        "refuted_verdicts": sum(p == "REFUTED" for p in pred),
        "refuted_wrong_confident": sum(
            p == "REFUTED" and g != "REFUTED" and c >= 0.9 for g, p, c in zip(gold, pred, conf, strict=True)
        ),
        "nei_as_supported": sum(g == "NOT_ENOUGH_INFO" and p == "SUPPORTED" for g, p in zip(gold, pred, strict=True)),
    }


def summarize_questions(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {
        "questions": len(rows),
        "key_fact_recall": m.mean(r["key_fact_recall"] for r in rows),
        "citation_validity": m.mean(r["citation_validity"] for r in rows),
        "citation_precision": m.mean(r["citation_precision"] for r in rows),
        "invalid_citations": sum(r["invalid_citations"] for r in rows),
        "latency_ms": {
            "p50": m.percentile([r["latency_ms"] for r in rows], 50),
            "p95": m.percentile([r["latency_ms"] for r in rows], 95),
        },
    }


def run_dataset(
    services: Services, dataset: Dataset, verify: Verify = verify_claim, workers: int = 1, show_progress: bool = True
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Rows for every case, and the summary (claims and questions each when present)."""
    claim_rows = run_claims(services, dataset.claims(), verify, workers, show_progress=show_progress)
    question_rows = run_questions(services, dataset.questions(), show_progress) if dataset.questions() else []
    summary: dict[str, Any] = {"dataset": dataset.name}
    if claim_rows:
        summary.update(summarize_claims(claim_rows))
    if question_rows:
        summary["qa"] = summarize_questions(question_rows)
    return claim_rows + question_rows, summary
