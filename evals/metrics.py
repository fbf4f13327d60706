"""Metric functions over plain values: labels, confidences, doc-id sets. Pure, so they are unit-tested directly."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

# scikit-learn refuses empty inputs and silently drops samples whose label is not in `labels`; the guards
# below keep this module's contract (0.0 / zero rows for no samples, KeyError for an unknown label).


def _check(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str] | None = None) -> None:
    if len(gold) != len(pred):
        raise ValueError(f"gold has {len(gold)} items, pred {len(pred)}")
    if labels is not None and (unknown := (set(gold) | set(pred)) - set(labels)):
        raise KeyError(sorted(unknown)[0])


def accuracy(gold: Sequence[str], pred: Sequence[str]) -> float:
    _check(gold, pred)
    return float(accuracy_score(gold, pred)) if gold else 0.0


def confusion(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> list[list[int]]:
    """Rows are gold labels, columns predicted labels, both in `labels` order."""
    _check(gold, pred, labels)
    if not gold:
        return [[0] * len(labels) for _ in labels]
    return [[int(x) for x in row] for row in confusion_matrix(gold, pred, labels=list(labels))]


def prf(tp: int, n_pred: int, n_gold: int) -> dict[str, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f}


def per_label(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support per label; 0.0 where a ratio is undefined (sklearn's zero_division=0)."""
    _check(gold, pred)
    if not gold:
        return {lab: {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0.0} for lab in labels}
    p, r, f, s = precision_recall_fscore_support(gold, pred, labels=list(labels), average=None, zero_division=0)
    return {
        lab: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": float(s[i])}
        for i, lab in enumerate(labels)
    }


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
        out.append(
            {
                "lo": lo,
                "hi": hi,
                "count": float(n),
                "confidence": sum(confidence[i] for i in idx) / n if n else 0.0,
                "accuracy": sum(bool(correct[i]) for i in idx) / n if n else 0.0,
            }
        )
    return out


def ece(confidence: Sequence[float], correct: Sequence[bool], bins: int = 10) -> float:
    """Expected calibration error: bin-weighted |accuracy − confidence|."""
    n = len(confidence)
    if not n:
        return 0.0
    return sum(b["count"] / n * abs(b["accuracy"] - b["confidence"]) for b in reliability(confidence, correct, bins))


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile, q in [0, 100]; 0.0 for no values."""
    return float(np.percentile(values, q, method="linear")) if len(values) else 0.0


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
