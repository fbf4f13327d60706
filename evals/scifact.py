"""SciFact dev (300 claims) with open retrieval over the 5,183-abstract corpus, scored the official way.

`python -m evals.scifact [--limit N] [--report DIR]` — data from `settings.benchmarks_dir/scifact`, store in
`.bench/scifact` (never in the repo). Labels: SUPPORT→SUPPORTED, CONTRADICT→REFUTED, no evidence→NOT_ENOUGH_INFO.

`--slice N` (the CI gate: `--slice 100 --gate`): a fixed sample of N dev claims (seed 0) verified against a corpus
of their own — every abstract those claims cite plus `--others` (400) other abstracts (seeded sample of the
rest) — written to `<data-dir>/corpus.jsonl` and ingested into `.bench/scifact-slice<N>`. Same scoring; `--gate`
fails when abstract label-only F1 or sentence selection+label F1 falls more than 0.03 below
`evals/baselines/scifact-slice<N>.json`, or when a citation fails the slice check.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from agent.pipeline.services import Services
from agent.schemas import ClaimRecord
from agent.settings import Settings, offline_environment
from evals import benchmarks as bench
from evals import metrics as m
from evals.dataset import Case, QuoteValidity
from evals.report import write_report
from evals.runner import progress_bar, ranked_docs, summarize_claims

LABELS = ("SUPPORTED", "REFUTED", "NOT_ENOUGH_INFO")
STANCE_TO_LABEL = {"supports": "SUPPORT", "refutes": "CONTRADICT"}
GATED = ("official.abstract_label_only.f1", "official.sentence_selection_label.f1")
SLICE_OTHERS = 400


# ------------------------------------------------------------------------------------------ the CI slice
def cited_docs(claims: Iterable[dict[str, Any]]) -> set[str]:
    """Every abstract the claims cite (`cited_doc_ids` and the evidence's abstracts), as corpus doc ids."""
    return {str(d) for c in claims for d in [*c.get("cited_doc_ids", []), *c.get("evidence", {})]}


def slice_claims(claims: Sequence[dict[str, Any]], n: int, seed: int = bench.SEED) -> list[dict[str, Any]]:
    """A seeded sample of `n` claims, in file order."""
    keep = set(bench.sample_ids((c["id"] for c in claims), n, seed))
    return [c for c in claims if c["id"] in keep]


def slice_doc_ids(
    claims: Iterable[dict[str, Any]], corpus_ids: Iterable[str], others: int, seed: int = bench.SEED
) -> set[str]:
    """The slice's corpus: the claims' cited abstracts plus a seeded sample of `others` of the rest."""
    corpus = {str(d) for d in corpus_ids}
    cited = cited_docs(claims)
    missing = cited - corpus
    if missing:
        raise ValueError(f"{len(missing)} cited abstract(s) are not in the corpus, e.g. {sorted(missing)[0]}")
    return cited | set(bench.sample_ids(corpus - cited, others, seed))


def corpus_records(corpus: Path) -> list[tuple[str, str]]:
    """(doc_id, the record's line as it is in the file) for every abstract."""
    lines = [x for x in corpus.read_text(encoding="utf-8").splitlines() if x.strip()]
    return [(str(json.loads(x)["doc_id"]), x) for x in lines]


def write_slice_corpus(records: Sequence[tuple[str, str]], keep: set[str], out: Path) -> int:
    """The kept records, verbatim and in corpus order, as `out` (rewritten only when its content changes)."""
    text = "".join(line + "\n" for doc_id, line in records if doc_id in keep)
    if not out.is_file() or out.read_text(encoding="utf-8") != text:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    return sum(doc_id in keep for doc_id, _ in records)


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


def ensure_ingested(services: Services, corpus: Path, only: set[str] | None = None) -> float:
    """Ingest the corpus (unchanged abstracts are skipped); with `only`, first drop stored abstracts outside it."""
    from agent.app.ingest import ingest

    t0 = time.perf_counter()
    if only is not None:
        stale = [d.doc_id for d in services.store.documents() if d.doc_id not in only]
        if stale:
            print(f"dropping {len(stale)} abstracts that are not in this slice")
            services.store.delete_documents(stale)
    report = ingest([corpus], services.settings, services.store, services.embedder)
    print(f"ingest: {report.summary()}")
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--slice", type=int, default=None, metavar="N", help="a seeded sample of N claims, own corpus")
    ap.add_argument("--others", type=int, default=SLICE_OTHERS, help="uncited abstracts added to a slice's corpus")
    ap.add_argument("--seed", type=int, default=bench.SEED, help="the slice's sampling seed")
    ap.add_argument("--report", type=Path, default=None, help="default reports/scifact[-slice<N>]")
    ap.add_argument("--data-dir", type=Path, default=None, help="default .bench/scifact[-slice<N>]")
    ap.add_argument("--split", default="dev")
    ap.add_argument(
        "--held-out",
        action="store_true",
        help="with --split train: only the claims the stance model's training held out (a clean dev set; "
        "with --slice N, all of them and their own corpus)",
    )
    bench.add_gate_arguments(ap, "scifact")
    args = ap.parse_args(argv)
    return bench.run_and_gate(args, "scifact", run, GATED, data_dir_default=True)


def run(args: argparse.Namespace) -> dict[str, Any]:
    offline_environment()
    from agent.app.verify import verify_claim

    settings = Settings(data_dir=args.data_dir)
    root = settings.benchmarks_dir / "scifact"
    claims_path, corpus = root / f"claims_{args.split}.jsonl", root / "corpus.jsonl"
    for p in (claims_path, corpus):
        if not p.is_file():
            sys.exit(f"SciFact data not found: {p} (settings.benchmarks_dir = {settings.benchmarks_dir})")
    claims = [json.loads(x) for x in claims_path.read_text().splitlines() if x.strip()]
    services = Services.from_settings(settings)
    slice_info, keep = None, None
    if getattr(args, "held_out", False):
        if args.split != "train":
            sys.exit("--held-out reads the training split: add --split train")
        from agent.stance.data import held_out_claims

        held = held_out_claims(settings.benchmarks_dir.parent)
        claims = [c for c in claims if c["claim"].strip() in held]
    if args.slice:
        claims = slice_claims(claims, min(args.slice, len(claims)), args.seed)
        records = corpus_records(corpus)
        keep = slice_doc_ids(claims, (d for d, _ in records), args.others, args.seed)
        corpus = args.data_dir / "corpus.jsonl"
        n_docs = write_slice_corpus(records, keep, corpus)
        print(
            f"slice: {len(claims)} claims (seed {args.seed}), corpus {corpus} with {n_docs} abstracts "
            f"({len(cited_docs(claims))} cited)"
        )
        slice_info = {
            "claims": len(claims[: args.limit]),
            "others": args.others,
            "seed": args.seed,
            "claim_ids": bench.ids_digest(c["id"] for c in claims[: args.limit]),
            "corpus": bench.ids_digest(keep),
        }
    claims = claims[: args.limit]
    t_start = time.perf_counter()
    ingest_s = ensure_ingested(services, corpus, keep)
    services.index()
    valid = QuoteValidity(services.index().valid_citation)
    rows, preds, recall3, ndcg10 = [], {}, [], []
    t_verify = time.perf_counter()
    with progress_bar("SciFact claims", len(claims)) as advance:
        for c in claims:
            cited = [str(d) for d in c.get("cited_doc_ids", [])]
            case = Case(
                id=str(c["id"]),
                inputs=c["claim"],
                label=gold_label(c["evidence"]),  # type: ignore[arg-type]
                sources=list(c["evidence"]) or [],
            )
            t0 = time.perf_counter()
            record = verify_claim(services, c["claim"], str(c["id"]))
            latency = (time.perf_counter() - t0) * 1000
            ranking = ranked_docs(services, c["claim"], 10)
            recall3.append(m.recall_at_k(ranking, cited, 3))
            ndcg10.append(m.ndcg_at_k(ranking, cited, 10))
            preds[c["id"]] = predicted_evidence(services, record)
            q = valid.evaluate(case, record)
            stanced = {s.doc_id for s in record.sources if s.stance != "neutral"}
            rows.append(
                {
                    "id": case.id,
                    "kind": "claim",
                    "claim": c["claim"],
                    "gold": case.label,
                    "pred": record.label,
                    "correct": case.label == record.label,
                    "confidence": record.confidence,
                    "gold_sources": case.sources,
                    "citation_precision": m.set_precision({x.doc_id for x in record.citations}, case.sources)
                    if case.sources
                    else None,
                    "source_recall": m.set_recall(stanced, case.sources),
                    **q,
                    "recall@3": recall3[-1],
                    "latency_ms": latency,
                    "llm": {
                        "calls": record.llm.calls,
                        "input_tokens": record.llm.input_tokens,
                        "output_tokens": record.llm.output_tokens,
                    },
                    "predicted_evidence": preds[c["id"]],
                    "gold_evidence": c["evidence"],
                    "rationale": record.rationale,
                    "evidence": [
                        {"doc_id": s.doc_id, "stance": s.stance, "quote": x.quote}
                        for s in record.sources
                        if s.stance != "neutral"
                        for x in s.citations[:2]
                    ],
                    "top_retrieved": ranking[:3],
                    "cited_doc_ids": cited,
                }
            )
            advance()
    verify_s = time.perf_counter() - t_verify
    summary = summarize_claims(rows, LABELS + ("CONFLICTING",))
    official = score_official(claims, preds)
    summary.update(
        {
            "dataset": f"scifact-{args.split}" + (f"-slice{args.slice}" if args.slice else ""),
            "slice": slice_info,
            "verifier": bench.verifier_fingerprint(settings),
            "stance_mode": getattr(getattr(settings, "stance", None), "mode", "rules"),
            "official": official,
            "retrieval": {"recall@3": m.mean(recall3), "ndcg@10": m.mean(ndcg10)},
            "wall_s": {"ingest": ingest_s, "verify": verify_s, "total": time.perf_counter() - t_start},
            "extra": {
                "abstract label-only F1": official["abstract_label_only"]["f1"],
                "abstract label+rationale F1": official["abstract_label_rationale"]["f1"],
                "sentence selection+label F1": official["sentence_selection_label"]["f1"],
                "retrieval recall@3": m.mean(recall3),
                "retrieval nDCG@10": m.mean(ndcg10),
            },
        }
    )
    write_report(args.report, rows, summary, bench.load_baseline(args.baseline), title="SciFact")
    print(
        f"{summary['dataset']}: {len(rows)} claims, "
        f"abstract label-only F1 {official['abstract_label_only']['f1']:.3f}"
        f" (VeriSci 0.510), sentence F1 {official['sentence_selection_label']['f1']:.3f} (0.426), "
        f"recall@3 {m.mean(recall3) or 0:.3f}, nDCG@10 {m.mean(ndcg10) or 0:.3f} (BM25 0.665, MiniLM 0.645), "
        f"3-way accuracy {summary['accuracy']:.3f}, macro-F1 {summary['macro_f1']:.3f}, "
        f"quote validity {summary['quote_validity']:.3f}, p50 {summary['latency_ms']['p50'] or 0:.0f} ms, "
        f"p95 {summary['latency_ms']['p95'] or 0:.0f} ms; "
        f"ingest {ingest_s:.0f}s, verify {verify_s:.0f}s; report {args.report / 'report.html'}"
    )
    return summary


if __name__ == "__main__":
    sys.exit(main())
