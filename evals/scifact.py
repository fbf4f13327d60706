"""SciFact dev (300 claims) with open retrieval over the 5,183-abstract corpus, scored the official way.

`python -m evals.scifact [--limit N] [--report DIR]` — data from `settings.benchmarks_dir/scifact`, store in
`.bench/scifact` (never in the repo). Labels: SUPPORT→SUPPORTED, CONTRADICT→REFUTED, no evidence→NOT_ENOUGH_INFO.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from agent.context import Services
from agent.schemas import ClaimRecord
from agent.settings import PROJECT_ROOT, Settings, offline_environment
from evals import metrics as m
from evals.dataset import Case, QuoteValidity
from evals.report import write_report
from evals.runner import progress_bar, ranked_docs, summarize_claims

LABELS = ("SUPPORTED", "REFUTED", "NOT_ENOUGH_INFO")
STANCE_TO_LABEL = {"supports": "SUPPORT", "refutes": "CONTRADICT"}


def gold_label(evidence: dict[str, list[dict[str, Any]]]) -> str:
    labels = {s["label"] for sets in evidence.values() for s in sets}
    if not labels:
        return "NOT_ENOUGH_INFO"
    return "SUPPORTED" if labels == {"SUPPORT"} else "REFUTED" if labels == {"CONTRADICT"} else "CONFLICTING"


def sentence_index(services: Services, doc_id: str, start: int) -> int | None:
    """Position of the sentence containing `start` in the abstract (one span per abstract sentence, in order)."""
    index = services.index()
    spans = sorted((index.sentences[i].start, index.sentences[i].end) for i in index.by_doc.get(doc_id, []))
    for pos, (s, e) in enumerate(spans):
        if s <= start < e:
            return pos
    return None


def predicted_evidence(services: Services, record: ClaimRecord) -> dict[str, dict[str, Any]]:
    """Official submission shape: per stanced abstract, its label and cited sentence indices in citation order."""
    if record.label == "NOT_ENOUGH_INFO":
        return {}
    out: dict[str, dict[str, Any]] = {}
    for src in record.sources:
        if src.stance not in STANCE_TO_LABEL:
            continue
        sents: list[int] = []
        for c in src.citations:
            i = sentence_index(services, src.doc_id, c.start)
            if i is not None and i not in sents:
                sents.append(i)
        out[src.doc_id] = {"label": STANCE_TO_LABEL[src.stance], "sentences": sents}
    return out


def score_official(gold: list[dict[str, Any]], preds: dict[int, dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """Abstract-level (label-only and label+rationale, first 3 sentences) and sentence-level selection+label, micro."""
    abs_pred = abs_gold = abs_label_ok = abs_rat_ok = 0
    sent_pred = sent_gold = sent_ok = 0
    for claim in gold:
        ev = {str(k): v for k, v in claim["evidence"].items()}
        pred = preds.get(claim["id"], {})
        abs_gold += len(ev)
        sent_gold += sum(len(s["sentences"]) for sets in ev.values() for s in sets)
        for doc_id, p in pred.items():
            abs_pred += 1
            sent_pred += len(p["sentences"])
            if doc_id not in ev:
                continue
            glabel = ev[doc_id][0]["label"]
            if p["label"] != glabel:
                continue
            abs_label_ok += 1
            first3 = set(p["sentences"][:3])
            if any(set(s["sentences"]) <= first3 for s in ev[doc_id]):
                abs_rat_ok += 1
            chosen = set(p["sentences"])
            for s in ev[doc_id]:
                if set(s["sentences"]) <= chosen:
                    sent_ok += len(s["sentences"])
    return {
        "abstract_label_only": m.prf(abs_label_ok, abs_pred, abs_gold),
        "abstract_label_rationale": m.prf(abs_rat_ok, abs_pred, abs_gold),
        "sentence_selection_label": m.prf(sent_ok, sent_pred, sent_gold),
    }


def ensure_ingested(services: Services, corpus: Path) -> float:
    from agent.ingest import ingest

    t0 = time.perf_counter()
    report = ingest([corpus], services.settings, services.store, services.embedder)
    print(f"ingest: {report.summary()}")
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--report", type=Path, default=PROJECT_ROOT / "reports" / "scifact")
    ap.add_argument("--data-dir", type=Path, default=PROJECT_ROOT / ".bench" / "scifact")
    ap.add_argument("--split", default="dev")
    args = ap.parse_args(argv)
    offline_environment()
    from agent.verify import verify_claim

    settings = Settings(data_dir=args.data_dir)
    root = settings.benchmarks_dir / "scifact"
    services = Services.from_settings(settings)
    t_start = time.perf_counter()
    ingest_s = ensure_ingested(services, root / "corpus.jsonl")
    claims = [json.loads(x) for x in (root / f"claims_{args.split}.jsonl").read_text().splitlines() if x.strip()]
    claims = claims[: args.limit]
    services.index()
    valid = QuoteValidity(services.index().valid_citation)

    rows, preds, recall3, ndcg10 = [], {}, [], []
    t_verify = time.perf_counter()
    with progress_bar("SciFact claims", len(claims)) as advance:
        for c in claims:
            cited = [str(d) for d in c.get("cited_doc_ids", [])]
            case = Case(id=str(c["id"]), inputs=c["claim"], label=gold_label(c["evidence"]),  # type: ignore[arg-type]
                        sources=list(c["evidence"]) or [])
            t0 = time.perf_counter()
            record = verify_claim(services, c["claim"], str(c["id"]))
            latency = (time.perf_counter() - t0) * 1000
            ranking = ranked_docs(services, c["claim"], 10)
            recall3.append(m.recall_at_k(ranking, cited, 3))
            ndcg10.append(m.ndcg_at_k(ranking, cited, 10))
            preds[c["id"]] = predicted_evidence(services, record)
            q = valid.evaluate(case, record)
            stanced = {s.doc_id for s in record.sources if s.stance != "neutral"}
            rows.append({
                "id": case.id, "kind": "claim", "claim": c["claim"], "gold": case.label, "pred": record.label,
                "correct": case.label == record.label, "confidence": record.confidence, "gold_sources": case.sources,
                "citation_precision": m.set_precision({x.doc_id for x in record.citations}, case.sources)
                if case.sources else None,
                "source_recall": m.set_recall(stanced, case.sources),
                **q, "recall@3": recall3[-1], "latency_ms": latency,
                "llm": {"calls": record.llm.calls, "input_tokens": record.llm.input_tokens,
                        "output_tokens": record.llm.output_tokens},
                "predicted_evidence": preds[c["id"]], "gold_evidence": c["evidence"], "rationale": record.rationale,
                "evidence": [{"doc_id": s.doc_id, "stance": s.stance, "quote": x.quote}
                             for s in record.sources if s.stance != "neutral" for x in s.citations[:2]],
                "top_retrieved": ranking[:3], "cited_doc_ids": cited,
            })
            advance()
    verify_s = time.perf_counter() - t_verify
    summary = summarize_claims(rows, LABELS + ("CONFLICTING",))
    official = score_official(claims, preds)
    summary.update({
        "dataset": f"scifact-{args.split}",
        "official": official,
        "retrieval": {"recall@3": m.mean(recall3), "ndcg@10": m.mean(ndcg10)},
        "wall_s": {"ingest": ingest_s, "verify": verify_s, "total": time.perf_counter() - t_start},
        "extra": {
            "abstract label-only F1": official["abstract_label_only"]["f1"],
            "abstract label+rationale F1": official["abstract_label_rationale"]["f1"],
            "sentence selection+label F1": official["sentence_selection_label"]["f1"],
            "retrieval recall@3": m.mean(recall3), "retrieval nDCG@10": m.mean(ndcg10),
        },
    })
    write_report(args.report, rows, summary, title="SciFact")
    print(f"scifact-{args.split}: {len(rows)} claims, "
          f"abstract label-only F1 {official['abstract_label_only']['f1']:.3f}"
          f" (VeriSci 0.510), sentence F1 {official['sentence_selection_label']['f1']:.3f} (0.426), "
          f"recall@3 {m.mean(recall3) or 0:.3f}, nDCG@10 {m.mean(ndcg10) or 0:.3f} (BM25 0.665, MiniLM 0.645), "
          f"3-way accuracy {summary['accuracy']:.3f}, macro-F1 {summary['macro_f1']:.3f}; "
          f"ingest {ingest_s:.0f}s, verify {verify_s:.0f}s; report {args.report / 'report.html'}")
    return summary


if __name__ == "__main__":
    main()
