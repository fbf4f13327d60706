"""Metric functions over plain values: labels, confidences, doc-id sets. Pure, so they are unit-tested directly."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence


def accuracy(gold: Sequence[str], pred: Sequence[str]) -> float:
    return sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold) if gold else 0.0


def confusion(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> list[list[int]]:
    """Rows are gold labels, columns predicted labels, both in `labels` order."""
    pos = {lab: i for i, lab in enumerate(labels)}
    m = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold, pred, strict=True):
        m[pos[g]][pos[p]] += 1
    return m


def prf(tp: int, n_pred: int, n_gold: int) -> dict[str, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f}


def per_label(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for lab in labels:
        tp = sum(g == p == lab for g, p in zip(gold, pred, strict=True))
        out[lab] = prf(tp, sum(p == lab for p in pred), sum(g == lab for g in gold)) | {
            "support": float(sum(g == lab for g in gold))
        }
    return out


def macro_f1(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str] | None = None) -> float:
    """Mean F1 over the labels present in gold or predictions (sklearn's default label set)."""
    labs = list(labels) if labels is not None else sorted(set(gold) | set(pred))
    labs = [lab for lab in labs if lab in set(gold) | set(pred)]
    if not labs:
        return 0.0
    pl = per_label(gold, pred, labs)
    return sum(pl[lab]["f1"] for lab in labs) / len(labs)


def reliability(confidence: Sequence[float], correct: Sequence[bool], bins: int = 10) -> list[dict[str, float]]:
    """Equal-width confidence bins: count, mean confidence and accuracy of each (empty bins kept, count 0)."""
    out = []
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        idx = [i for i, c in enumerate(confidence) if (lo <= c < hi) or (b == bins - 1 and c == 1.0)]
        n = len(idx)
        out.append({
            "lo": lo, "hi": hi, "count": float(n),
            "confidence": sum(confidence[i] for i in idx) / n if n else 0.0,
            "accuracy": sum(bool(correct[i]) for i in idx) / n if n else 0.0,
        })
    return out


def ece(confidence: Sequence[float], correct: Sequence[bool], bins: int = 10) -> float:
    """Expected calibration error: bin-weighted |accuracy − confidence|."""
    n = len(confidence)
    if not n:
        return 0.0
    return sum(b["count"] / n * abs(b["accuracy"] - b["confidence"]) for b in reliability(confidence, correct, bins))


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (numpy's default), q in [0, 100]."""
    if not values:
        return 0.0
    xs = sorted(values)
    k = (len(xs) - 1) * q / 100
    lo, hi = math.floor(k), math.ceil(k)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def set_precision(predicted: Iterable[str], gold: Iterable[str]) -> float | None:
    """Share of predicted items inside gold; None when nothing was predicted (undefined, not zero)."""
    p, g = set(predicted), set(gold)
    return len(p & g) / len(p) if p else None


def set_recall(predicted: Iterable[str], gold: Iterable[str]) -> float | None:
    p, g = set(predicted), set(gold)
    return len(p & g) / len(g) if g else None


def recall_at_k(ranking: Sequence[str], relevant: Iterable[str], k: int) -> float | None:
    rel = set(relevant)
    return len(set(ranking[:k]) & rel) / len(rel) if rel else None


def ndcg_at_k(ranking: Sequence[str], relevant: Iterable[str], k: int) -> float | None:
    """Binary-relevance nDCG@k (the BEIR definition with qrels of 1)."""
    rel = set(relevant)
    if not rel:
        return None
    dcg = sum(1.0 / math.log2(i + 2) for i, d in enumerate(ranking[:k]) if d in rel)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(rel), k)))
    return dcg / ideal


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u2019", "'").replace("\u2013", "-").replace("\u2014", "-")).lower()


def key_fact_recall(answer: str, key_facts: Sequence[str]) -> float | None:
    """Share of key facts found in the answer (case- and whitespace-insensitive substring match)."""
    if not key_facts:
        return None
    a = _norm(answer)
    return sum(_norm(f) in a for f in key_facts) / len(key_facts)


def mean(values: Iterable[float | None]) -> float | None:
    xs = [v for v in values if v is not None]
    return sum(xs) / len(xs) if xs else None
