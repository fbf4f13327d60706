"""The shipped stance model (real weights, loaded offline) and how the verifier feeds it."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

from agent.pipeline.graph import stance_units
from agent.pipeline.nodes.retrieve import retrieve, windows_of
from agent.pipeline.services import Services
from agent.stance.model import (
    NEUTRAL,
    ONNX_NAME,
    REFUTES,
    SUPPORTS,
    WEIGHTS_DIR,
    StanceModel,
    exact_int8_kernel,
    portable_int8,
)

EVIDENCE = "The Harbour Bridge opened to traffic in 1932 after six years of construction."


@pytest.fixture(scope="module")
def model() -> StanceModel:
    return StanceModel(WEIGHTS_DIR)


def test_weights_are_shipped_small_and_offline() -> None:
    size = (WEIGHTS_DIR / "model.int8.onnx").stat().st_size
    assert size <= 50 * 2**20
    assert (WEIGHTS_DIR / "MODEL_CARD.md").is_file() and (WEIGHTS_DIR / "metrics.json").is_file()


SEED_SENTENCES = [
    "Anthropic says the campaign ran from April 22 to June 5, 2026 and produced over 28.8 million exchanges with "
    "Claude through almost 25,000 fraudulent accounts.",
    "The accusation is the second in Anthropic's public distillation disclosures: the first, on 2026-02-23, named "
    "DeepSeek, Moonshot AI, and MiniMax as attackers behind 16 million exchanges across 24,000 fraudulent accounts.",
]
# Computed once with the exact int8 kernel (a VNNI CPU), for this batch (activations are quantised per batch,
# so a pair scored beside other pairs can differ slightly). The same numbers must come out on any CPU: with the
# shipped signed weights, a CPU without VNNI saturates int16 sums and gives other probabilities (and labels).
REFERENCE = {
    "The campaign lasted roughly a month and a half.": [[0.323004, 0.354172, 0.322825], [0.073976, 0.148411, 0.777612]],
    "The Harbour Bridge opened to traffic in 1932.": [[0.030586, 0.436922, 0.532492], [0.026159, 0.357231, 0.616611]],
}


def probs(model: StanceModel, claim: str, texts: list[str], session: Any = None) -> np.ndarray:
    """One batch through one session (the pool's, unless given)."""
    if session is not None:
        return model._probs(session, claim, texts)
    session = model._idle.get()
    try:
        return model._probs(session, claim, texts)
    finally:
        model._idle.put(session)


def test_probabilities_are_the_same_on_every_cpu(model: StanceModel) -> None:
    for claim, expected in REFERENCE.items():
        assert np.allclose(probs(model, claim, SEED_SENTENCES), expected, atol=2e-5), claim


def test_the_portable_graph_keeps_the_weights_and_the_outputs(model: StanceModel) -> None:
    import onnx
    import onnxruntime as ort

    graph = onnx.load_from_string(portable_int8(WEIGHTS_DIR / ONNX_NAME))
    inits = {t.name: t for t in graph.graph.initializer}
    weights = [inits[n.input[1]] for n in graph.graph.node if n.op_type == "MatMulInteger"]
    assert len(weights) == 38 and all(w.data_type == onnx.TensorProto.UINT8 for w in weights)
    session = ort.InferenceSession(graph.SerializeToString(), providers=["CPUExecutionProvider"])
    for claim, expected in REFERENCE.items():
        assert np.allclose(probs(model, claim, SEED_SENTENCES, session), expected, atol=2e-5), claim
    # on this CPU the shipped signed graph is exact too only where VNNI is there
    assert isinstance(exact_int8_kernel(), bool)


def test_probabilities_are_a_distribution_per_pair(model: StanceModel) -> None:
    p = model.score("The Harbour Bridge opened in 1932.", [EVIDENCE, "Tomatoes are a fruit."])
    assert p.shape == (2, 3)
    assert np.allclose(p.sum(axis=1), 1.0, atol=1e-4)
    assert model.score("anything", []).shape == (0, 3)


def test_reads_support_contradiction_and_irrelevance(model: StanceModel) -> None:
    sup = model.score("The Harbour Bridge opened to traffic in 1932.", [EVIDENCE])[0]
    ref = model.score("The Harbour Bridge has never been opened to traffic.", [EVIDENCE])[0]
    unrelated = model.score("The city's mayor resigned over a housing scandal.", [EVIDENCE])[0]
    assert sup.argmax() == SUPPORTS
    assert ref[REFUTES] > ref[SUPPORTS]
    assert unrelated.argmax() == NEUTRAL


def test_scores_are_cached_and_order_independent(model: StanceModel) -> None:
    claim = "The bridge took six years to build."
    a = model.score(claim, [EVIDENCE, "Tomatoes are a fruit."])
    before = model.pairs_scored
    b = model.score(claim, ["Tomatoes are a fruit.", EVIDENCE])
    assert model.pairs_scored == before
    assert np.allclose(a[::-1], b)


def test_parallel_sessions_score_side_by_side_with_the_same_probabilities(model: StanceModel) -> None:
    claims = [f"The bridge opened in {year} after {n} years of work." for year in (1930, 1932) for n in (4, 6, 8)]
    texts = [EVIDENCE, *SEED_SENTENCES, "Tomatoes are a fruit.", "The bridge is 1,149 metres long."]
    reference = StanceModel(WEIGHTS_DIR)
    expected = {c: reference.score(c, texts) for c in claims}
    para = StanceModel(WEIGHTS_DIR)
    para.parallel(2)
    assert para.sessions == 2
    running, most = 0, 0
    lock = threading.Lock()
    real = para._probs

    def watched(session: Any, claim: str, batch: list[str]) -> np.ndarray:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.02)  # long enough for the other worker's claim to start beside this one
        try:
            return real(session, claim, batch)
        finally:
            with lock:
                running -= 1

    para._probs = watched  # type: ignore[method-assign]
    with ThreadPoolExecutor(2) as pool:
        got = dict(zip(claims, pool.map(lambda c: para.score(c, texts), claims), strict=True))
    assert most == 2  # two claims were scored at once
    for c in claims:
        assert np.array_equal(got[c], expected[c]), c
    para.parallel(1)  # back to one session on every thread (a later single claim)
    assert para.sessions == 1
    assert np.array_equal(para.score("A new claim.", texts), reference.score("A new claim.", texts))


def test_windows_are_exact_slices_and_units_are_bounded(seeded_services: Services) -> None:
    s = seeded_services
    idx = s.index()
    ev = retrieve("The campaign ran from April 22 to June 5.", idx, s.store, s.embedder, s.settings.retrieval)
    wins = windows_of(ev, idx)
    assert wins and len({w.sentence.doc_id for w in wins}) == len(wins)
    firsts = {(e.sentence.doc_id, e.sentence.start): e.sentence.text for e in ev}
    for w in wins:
        assert idx.valid_citation(w.citation())
        first = firsts[(w.sentence.doc_id, w.sentence.start)]  # a document's best sentence and the next one
        assert w.sentence.text.startswith(first) and len(w.sentence.text.strip()) > len(first.strip())
    units = stance_units(ev, per_doc=2, max_pairs=7, windows=wins)
    assert len(units) == 7 and len(set(units)) == 7
