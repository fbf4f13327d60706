"""Wiring only: decompose → retrieve (→ widen once) → extract → cross_check → verdict."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Literal

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from agent.pipeline.nodes.cross_check import cross_check
from agent.pipeline.nodes.decompose import split_claim
from agent.pipeline.nodes.extract import extract
from agent.pipeline.nodes.retrieve import is_thin, retrieve, windows_of
from agent.pipeline.nodes.verdict import aggregate, combine, merge_sources
from agent.pipeline.nodes.voters import Thresholds
from agent.pipeline.services import Services
from agent.pipeline.state import ClaimCheck, VerifyInput, VerifyOutput, VerifyState
from agent.schemas import ClaimRecord, Evidence, LLMUsage, SourceStance, Verdict


def timed(name: str) -> Callable[[Callable[..., dict[str, Any]]], Callable[..., dict[str, Any]]]:
    def deco(fn: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        def node(state: VerifyState, runtime: Runtime[Services]) -> dict[str, Any]:
            t0 = time.perf_counter()
            update = fn(state, runtime.context)
            update["timing_ms"] = {name: round((time.perf_counter() - t0) * 1000, 2)}
            return update

        node.__name__ = node.__qualname__ = f"{name}_node"
        node.__doc__ = fn.__doc__
        return node

    return deco


@timed("decompose")
def decompose_node(state: VerifyState, ctx: Services) -> dict[str, Any]:
    parts, usage = ctx.llm_stage("decompose", state.claim, lambda: split_claim(state.claim))
    return {"checks": [ClaimCheck(text=p) for p in parts], "llm": _add(state.llm, usage)}


@timed("retrieve")
def retrieve_node(state: VerifyState, ctx: Services) -> dict[str, Any]:
    index = ctx.index()
    widen = 2 if state.thin else 1
    checks = [
        c.model_copy(
            update={"evidence": retrieve(c.text, index, ctx.store, ctx.embedder, ctx.settings.retrieval, widen)}
        )
        for c in state.checks
    ]
    thin = not state.thin and any(is_thin(c.evidence, ctx.settings.retrieval) for c in checks)
    return {"checks": checks, "thin": thin, "widened_once": state.widened_once or state.thin}


def route_after_retrieve(state: VerifyState) -> Literal["retrieve", "extract"]:
    return "retrieve" if state.thin and not state.widened_once else "extract"


@timed("extract")
def extract_node(state: VerifyState, ctx: Services) -> dict[str, Any]:
    cache = ctx.feature_cache()
    checks = []
    for c in state.checks:
        found = extract(c.text, [e.sentence.text for e in c.evidence], cache)
        checks.append(c.model_copy(update={"features": {c.text: found["claim"], **found["sentences"]}}))
    return {"checks": checks}


def _each_check(
    ctx: Services,
    state: VerifyState,
    stage: str,
    payload: Callable[[ClaimCheck], Any],
    offline: Callable[[ClaimCheck], Any],
    field: str,
) -> tuple[list[ClaimCheck], LLMUsage]:
    """Run one stage over every atomic claim (through the LLM when configured), summing its usage."""
    usage = state.llm.model_copy()
    checks = []
    for c in state.checks:

        def run_offline(c: ClaimCheck = c) -> Any:
            return offline(c)

        result, u = ctx.llm_stage(stage, payload(c), run_offline)
        usage.add(u)
        checks.append(c.model_copy(update={field: result}))
    return checks, usage


def stance_units(evidence: list[Evidence], per_doc: int, max_pairs: int, windows: list[Evidence]) -> list[str]:
    """The evidence texts the stance model scores: each document's best `per_doc` sentences (retrieve orders
    them best first), then the documents' windows; at most `max_pairs`."""
    seen: dict[str, int] = {}
    texts: list[str] = []
    for ev in evidence:
        n = seen.get(ev.sentence.doc_id, 0)
        if n < per_doc and ev.sentence.text not in texts:
            seen[ev.sentence.doc_id] = n + 1
            texts.append(ev.sentence.text)
    texts += [w.sentence.text for w in windows if w.sentence.text not in texts]
    return texts[:max_pairs]


def score_stances(
    ctx: Services, claim: str, evidence: list[Evidence], windows: list[Evidence]
) -> dict[str, tuple[float, float, float]] | None:
    """The stance model's probabilities for a claim's evidence units (one batch), None in `rules` mode, and
    none at all (the checks decide alone) when the services are `without_model`."""
    if ctx.checks_only and ctx.settings.stance.mode != "rules":
        return {}
    model = ctx.stance_model()
    if model is None:
        return None
    cfg = ctx.settings.stance
    texts = stance_units(evidence, cfg.per_doc, cfg.max_pairs, windows)
    return {t: (float(p[0]), float(p[1]), float(p[2])) for t, p in zip(texts, model.score(claim, texts), strict=True)}


@timed("cross_check")
def cross_check_node(state: VerifyState, ctx: Services) -> dict[str, Any]:
    index = ctx.index(refresh=False)
    idf = ctx.idf()
    cfg = ctx.settings.stance
    thresholds = Thresholds(cfg.supports, cfg.refutes, cfg.on_topic, cfg.soft, cfg.unnamed_supports)

    def offline(c: ClaimCheck) -> list[SourceStance]:
        windows = windows_of(c.evidence, index) if cfg.mode != "rules" and cfg.windows else []
        probs = score_stances(ctx, c.text, c.evidence, windows)
        return cross_check(
            c.text,
            c.evidence + windows,
            idf,
            c.features,
            index.metas,
            index.texts,
            index.doc_sentences(c.evidence),
            probs=probs,
            thresholds=thresholds,
            use_checks=cfg.mode == "combined",
        )

    checks, usage = _each_check(ctx, state, "cross_check", lambda c: c, offline, "stances")
    return {"checks": checks, "llm": usage}


@timed("verdict")
def verdict_node(state: VerifyState, ctx: Services) -> dict[str, Any]:
    index = ctx.index(refresh=False)
    aggregated = {id(c): aggregate(c.stances, index.valid_citation) for c in state.checks}
    parts, usage = _each_check(
        ctx,
        state,
        "verdict",
        lambda c: (c, aggregated[id(c)]),
        lambda c: aggregated[id(c)],
        "verdict",
    )
    record = build_record(state.model_copy(update={"llm": usage}), parts)
    return {"checks": parts, "record": record, "llm": usage}


def _add(a: LLMUsage, b: LLMUsage) -> LLMUsage:
    out = a.model_copy()
    out.add(b)
    return out


def _from_verdict(claim_id: str, claim: str, v: Verdict, llm: LLMUsage | None = None) -> ClaimRecord:
    return ClaimRecord(
        id=claim_id,
        claim=claim,
        label=v.label,
        confidence=v.confidence,
        rationale=v.rationale,
        sources=v.sources,
        citations=v.citations,
        llm=llm or LLMUsage(),
    )


def build_record(state: VerifyState, parts: list[ClaimCheck]) -> ClaimRecord:
    verdicts = [p.verdict for p in parts if p.verdict is not None]
    llm = state.llm.model_copy()
    if len(verdicts) == 1:
        return _from_verdict(state.claim_id, state.claim, verdicts[0], llm)
    label, conf, why = combine(verdicts)
    subs = [
        _from_verdict(f"{state.claim_id}.{i + 1}", p.text, v)
        for i, (p, v) in enumerate(zip(parts, verdicts, strict=True))
    ]
    cites = [c for v in verdicts for c in v.citations]
    return ClaimRecord(
        id=state.claim_id,
        claim=state.claim,
        label=label,
        confidence=conf,
        rationale=why,
        sources=merge_sources([v.sources for v in verdicts]),
        citations=list({(c.doc_id, c.start, c.end): c for c in cites}.values()),
        subclaims=subs,
        llm=llm,
    )


def build_graph() -> Any:
    g = StateGraph(VerifyState, context_schema=Services, input_schema=VerifyInput, output_schema=VerifyOutput)
    g.add_node("decompose", decompose_node)
    g.add_node("retrieve", retrieve_node)
    g.add_node("extract", extract_node)
    g.add_node("cross_check", cross_check_node)
    g.add_node("verdict", verdict_node)
    g.add_edge(START, "decompose")
    g.add_edge("decompose", "retrieve")
    g.add_conditional_edges("retrieve", route_after_retrieve)
    g.add_edge("extract", "cross_check")
    g.add_edge("cross_check", "verdict")
    g.add_edge("verdict", END)
    return g.compile()
