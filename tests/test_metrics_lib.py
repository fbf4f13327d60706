"""evals/metrics.py on numpy/scikit-learn: same numbers as the hand-written versions it replaced, and as by hand."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evals import metrics as m

LABELS = ["supports", "refutes", "neutral", "not_enough_info"]


# The hand-written definitions that evals/metrics.py used before, kept here only as the reference.
def old_percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    xs = sorted(values)
    k = (len(xs) - 1) * q / 100
    lo, hi = math.floor(k), math.ceil(k)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def old_accuracy(gold: Sequence[str], pred: Sequence[str]) -> float:
    return sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold) if gold else 0.0


def old_confusion(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> list[list[int]]:
    pos = {lab: i for i, lab in enumerate(labels)}
    out = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold, pred, strict=True):
        out[pos[g]][pos[p]] += 1
    return out


def old_per_label(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for lab in labels:
        tp = sum(g == p == lab for g, p in zip(gold, pred, strict=True))
        out[lab] = m.prf(tp, sum(p == lab for p in pred), sum(g == lab for g in gold)) | {
            "support": float(sum(g == lab for g in gold))
        }
    return out


def old_macro_f1(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str] | None = None) -> float:
    labs = list(labels) if labels is not None else sorted(set(gold) | set(pred))
    labs = [lab for lab in labs if lab in set(gold) | set(pred)]
    if not labs:
        return 0.0
    pl = old_per_label(gold, pred, labs)
    return sum(pl[lab]["f1"] for lab in labs) / len(labs)


# ------------------------------------------------------------------------------------------- percentile
PERCENTILE_CASES = [
    ([1, 2, 3, 4], 50),
    ([5], 95),
    ([5], 0),
    ([3, 1, 2], 0),
    ([3, 1, 2], 100),
    ([10, 20, 30, 40, 50], 95),
    ([12.5, 3.25, 99.0, 7.0, 7.0, 41.5], 50),
    ([12.5, 3.25, 99.0, 7.0, 7.0, 41.5], 95),
    ([0.1, 0.2, 0.3], 33.3),
    ([-4.0, 2.0], 25),
    ([], 50),
]


@pytest.mark.parametrize(("values", "q"), PERCENTILE_CASES)
def test_percentile_equals_the_old_function(values: list[float], q: float) -> None:
    assert m.percentile(values, q) == pytest.approx(old_percentile(values, q), rel=1e-12, abs=1e-12)


def test_percentile_by_hand() -> None:
    assert m.percentile([1, 2, 3, 4], 50) == 2.5
    assert m.percentile([10, 20, 30, 40, 50], 95) == pytest.approx(48.0)  # k = 3.8 → 40 + 0.8·10
    assert m.percentile([40, 10, 30, 20], 25) == pytest.approx(17.5)  # sorted, k = 0.75 → 10 + 0.75·10
    assert m.percentile([], 95) == 0.0
    assert isinstance(m.percentile([1, 2], 50), float)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=40),
    st.floats(0, 100, allow_nan=False),
)
def test_percentile_matches_old_on_any_input(values: list[float], q: float) -> None:
    assert m.percentile(values, q) == pytest.approx(old_percentile(values, q), rel=1e-9, abs=1e-6)


# ------------------------------------------------------------------------------------------- label metrics
def test_macro_f1_and_per_label_by_hand() -> None:
    gold = ["supports", "supports", "refutes", "neutral", "neutral", "neutral"]
    pred = ["supports", "refutes", "refutes", "neutral", "supports", "not_enough_info"]
    # supports: tp 1, pred 2, gold 2 → P .5 R .5 F .5
    # refutes:  tp 1, pred 2, gold 1 → P .5 R 1 F 2/3
    # neutral:  tp 1, pred 1, gold 3 → P 1 R 1/3 F .5
    # nei:      tp 0, pred 1, gold 0 → P 0 R 0 (undefined → 0) F 0
    pl = m.per_label(gold, pred, LABELS)
    assert pl["supports"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2.0}
    assert pl["refutes"]["precision"] == 0.5 and pl["refutes"]["recall"] == 1.0
    assert pl["refutes"]["f1"] == pytest.approx(2 / 3)
    assert pl["neutral"]["precision"] == 1.0 and pl["neutral"]["recall"] == pytest.approx(1 / 3)
    assert pl["neutral"]["f1"] == pytest.approx(0.5)
    assert pl["not_enough_info"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0.0}
    assert m.macro_f1(gold, pred, LABELS) == pytest.approx((0.5 + 2 / 3 + 0.5 + 0.0) / 4)
    assert m.macro_f1(gold, pred) == pytest.approx((0.5 + 2 / 3 + 0.5 + 0.0) / 4)  # label set from the data
    assert m.macro_f1(["supports"], ["supports"], LABELS) == 1.0  # absent labels skipped, not counted as 0
    assert m.accuracy(gold, pred) == pytest.approx(3 / 6)
    assert m.confusion(gold, pred, LABELS) == [[1, 1, 0, 0], [0, 1, 0, 0], [1, 0, 1, 1], [0, 0, 0, 0]]


def test_empty_and_invalid_inputs_keep_their_old_answers() -> None:
    assert m.accuracy([], []) == 0.0
    assert m.macro_f1([], [], LABELS) == 0.0
    assert m.confusion([], [], ["a", "b"]) == [[0, 0], [0, 0]]
    assert m.per_label([], [], ["a"]) == {"a": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0.0}}
    with pytest.raises(KeyError):
        m.confusion(["a", "z"], ["a", "a"], ["a", "b"])  # a label outside `labels` is an error, not dropped
    with pytest.raises(ValueError):
        m.accuracy(["a", "b"], ["a"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(LABELS), st.sampled_from(LABELS)), max_size=40))
def test_label_metrics_match_the_old_functions(pairs: list[tuple[str, str]]) -> None:
    gold = [g for g, _ in pairs]
    pred = [p for _, p in pairs]
    assert m.accuracy(gold, pred) == old_accuracy(gold, pred)
    assert m.confusion(gold, pred, LABELS) == old_confusion(gold, pred, LABELS)
    new, old = m.per_label(gold, pred, LABELS), old_per_label(gold, pred, LABELS)
    for lab in LABELS:
        assert new[lab] == pytest.approx(old[lab], rel=1e-12, abs=0)
    assert m.macro_f1(gold, pred, LABELS) == pytest.approx(old_macro_f1(gold, pred, LABELS), rel=1e-12, abs=0)
    assert m.macro_f1(gold, pred) == pytest.approx(old_macro_f1(gold, pred), rel=1e-12, abs=0)
