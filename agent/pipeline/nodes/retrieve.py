"""retrieve: hybrid dense + BM25 retrieval, fused by rank, at sentence granularity, with every
relevant document contributing its own best evidence (not just the global top-k)."""

from __future__ import annotations

import numpy as np

from agent.data.index import SentenceIndex, slot_flags
from agent.data.store import Embedder, VectorStore
from agent.schemas import Evidence, Sentence
from agent.settings import RetrievalSettings
from agent.text import news_idiom


def rrf(rankings: list[list[str]], k: int = 60) -> dict[str, float]:
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking):
            scores[key] = scores.get(key, 0.0) + 1.0 / (k + rank + 1)
    return scores


def retrieve(
    claim: str,
    index: SentenceIndex,
    store: VectorStore,
    embedder: Embedder,
    cfg: RetrievalSettings,
    widen: int = 1,
) -> list[Evidence]:
    """Best evidence sentences per candidate document, candidates chosen by fused dense+lexical rank."""
    if not index.sentences:
        return []
    idiom = news_idiom(claim)
    if idiom != claim:
        claim = f"{claim} {idiom} the story"
    qvec = embedder.encode([claim])[0]
    k = cfg.k_chunks * widen
    dense_chunks = store.query(qvec, k)
    lexical = index.lexical(claim)
    lex_top = np.argsort(-lexical)[: k * 3]
    dense_docs = list(dict.fromkeys(cid.rsplit(":", 1)[0] for cid, _ in dense_chunks))
    lex_docs = list(dict.fromkeys(index.sentences[i].doc_id for i in lex_top if lexical[i] > 0))
    fused = rrf([dense_docs, lex_docs], cfg.rrf_k)
    docs = sorted(fused, key=lambda d: -fused[d])[: cfg.max_docs * widen]

    lex_max = float(lexical.max()) or 1.0
    want = np.array(slot_flags(claim), dtype=np.float32)
    evidence: list[Evidence] = []
    for doc_id in docs:
        ids = index.by_doc.get(doc_id, [])
        if not ids:
            continue
        dense = index.vectors(ids, embedder) @ qvec
        lex = lexical[ids] / lex_max
        score = 0.65 * dense + 0.35 * lex
        if want.any() and len(index.slots):
            score = score + 0.2 * (index.slots[ids] @ want)
        order = np.argsort(-score)[: cfg.per_doc * widen]
        for j in order:
            evidence.append(
                Evidence(
                    sentence=index.sentences[ids[j]],
                    score=float(score[j]),
                    dense=float(dense[j]),
                    lexical=float(lex[j]),
                )
            )
    return evidence


def windows_of(evidence: list[Evidence], index: SentenceIndex, max_chars: int = 600) -> list[Evidence]:
    """Each document's best sentence also as a two-sentence window with the sentence after it (a claim
    may need both: "The campaign began on April 22." + "It ended on June 5."). A window is an exact slice of
    the document text, so it cites like a sentence."""
    out: list[Evidence] = []
    seen: set[str] = set()
    for ev in evidence:  # best first within each document
        s = ev.sentence
        if s.doc_id in seen:
            continue
        seen.add(s.doc_id)
        ids = index.by_doc.get(s.doc_id, [])
        pos = next((k for k, i in enumerate(ids) if index.sentences[i].start == s.start), None)
        text = index.texts.get(s.doc_id)
        if pos is None or pos + 1 >= len(ids) or text is None:
            continue
        nxt = index.sentences[ids[pos + 1]]
        if nxt.end - s.start > max_chars or nxt.start < s.end:
            continue
        span = text[s.start : nxt.end]
        window = Sentence(doc_id=s.doc_id, chunk_id=s.chunk_id, start=s.start, end=nxt.end, text=span)
        out.append(Evidence(sentence=window, score=ev.score, dense=ev.dense, lexical=ev.lexical))
    return out


def is_thin(evidence: list[Evidence], cfg: RetrievalSettings) -> bool:
    """Too little relevant evidence: worth one wider search."""
    return sum(e.dense >= 0.45 or e.lexical >= 0.5 for e in evidence) < cfg.min_evidence
