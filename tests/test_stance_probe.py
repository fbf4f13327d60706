"""The stance probe's AUC: the share of (positive, negative) pairs ranked right, ties half."""

from __future__ import annotations

import math

from evals.stance_probe import auc


def test_auc_counts_ranked_pairs_and_ties_half() -> None:
    assert auc([0.9, 0.8], [0.1, 0.2]) == 1.0
    assert auc([0.1], [0.9]) == 0.0
    assert auc([0.5, 0.9], [0.5]) == 0.75  # one tie (0.5), one win
    assert math.isnan(auc([], [0.3]))
