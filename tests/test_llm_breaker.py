"""A dead LLM endpoint costs one retry budget per run, not one per claim (issue 13, row 8).

The endpoint is a real refused port on 127.0.0.1; the claims go through the real graph over the seeded store.
"""

from __future__ import annotations

import logging
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pydantic_ai.models
import pydantic_ai.models.openai  # noqa: F401 - imported up front: ~1-2 s once, not part of any retry budget
import pytest
from pydantic_ai.exceptions import ModelConnectionError, ModelHTTPError, ModelRequestTimeout
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from agent.pipeline.llm import LLMRunner, attach_llm
from agent.pipeline.nodes.verdict import aggregate
from agent.pipeline.services import Services
from agent.settings import LLMSettings, Settings

from .test_llm import make_check, offline_stances

CLAIMS = [
    "Anthropic said the campaign used 24,000 fraudulent accounts and Alibaba denied it.",
    "Anthropic accused Alibaba of a distillation campaign against Claude.",
    "The campaign used 25,000 fraudulent accounts.",
    "Alibaba confirmed the accusations, but Anthropic withdrew them.",
    "Volunteers walked 14 miles of riverbank during the survey.",
    "The accounts were created over three years while Claude was in beta.",
]
# transport layer as in production (tenacity, 3 retries), waits shortened: one claim's retry chain waits at most
# 0.2 + 0.4 + 0.8 s
RETRY = {"backoff_s": 0.2, "max_wait_s": 0.8, "retry_budget_s": 5.0}
ONE_CHAIN_S = 0.2 + 0.4 + 0.8


def refused_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    return f"http://127.0.0.1:{port}/v1"  # closed: connecting is refused


def services_with(seeded: Services, llm: dict[str, Any]) -> Services:
    settings = Settings(data_dir=seeded.settings.data_dir, llm=llm)  # type: ignore[arg-type]
    return Services(
        settings=settings,
        store=seeded.store,
        embedder=seeded.embedder,
        extras={"index": seeded.index(), "idf": seeded.idf(), "features": seeded.feature_cache()},
    )


def run_claims(services: Services, workers: int) -> tuple[list[Any], float]:
    from agent.app.verify import verify_claim

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        records = list(pool.map(lambda c: verify_claim(services, c), CLAIMS))
    return records, time.perf_counter() - start


@pytest.mark.parametrize("workers", [1, 2])
def test_refused_endpoint_costs_one_retry_budget_per_run(
    seeded_services: Services, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, workers: int
) -> None:
    offline = services_with(seeded_services, {"provider": "none"})
    run_claims(offline, workers)  # warm the stance model and caches
    expected, offline_s = run_claims(offline, workers)

    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", True)  # a real request, to 127.0.0.1 only
    services = services_with(seeded_services, {"provider": "openai-compatible", "base_url": refused_url()})
    attach_llm(services, **RETRY)
    with caplog.at_level(logging.INFO, logger="agent.pipeline.llm"):
        records, dead_s = run_claims(services, workers)
    print(f"\n{len(CLAIMS)} claims, {workers} workers: offline {offline_s:.2f} s, dead endpoint {dead_s:.2f} s")

    # never a made-up label: every claim gets exactly its offline verdict, marked as a fallback
    assert [(r.label, r.confidence) for r in records] == [(r.label, r.confidence) for r in expected]
    assert all(r.llm.fallback and r.llm.provider == "openai-compatible" for r in records)
    # one retry chain (one per worker racing it), not one per claim and stage
    retries = [m for m in caplog.messages if "transient error" in m]
    assert len(retries) <= 3 * workers, retries
    opened = [m for m in caplog.messages if "circuit open" in m]
    assert len(opened) == 1 and "127.0.0.1" in opened[0] and "offline" in opened[0], caplog.messages
    # the waits of one chain, four refused connections and building the client; before the breaker: 17 s (1 worker)
    assert dead_s - offline_s < ONE_CHAIN_S + 3.0


# ------------------------------------------------------------------ what trips the breaker (scripted model)
CFG = LLMSettings(provider="openai-compatible", base_url="http://127.0.0.1:9/v1", transport_retries=2)


def _runner(errors: list[Exception], calls: list[int], clock: list[float]) -> LLMRunner:
    def script(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        calls.append(1)
        if errors:
            raise errors.pop(0)
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, {"rationale": "docA says so [E1]."})])

    return LLMRunner(CFG, model=FunctionModel(script), backoff_s=0.001, max_wait_s=0.002, clock=lambda: clock[0])


def _verdict(runner: LLMRunner) -> tuple[bool, bool]:
    """(fallback, rationale rewritten by the model) for one verdict stage."""
    check = make_check()
    verdict = aggregate(offline_stances(check)())
    out, usage = runner.run("verdict", (check, verdict), lambda: verdict)
    assert out.label == verdict.label and out.confidence == verdict.confidence
    return usage.fallback, out.rationale != verdict.rationale


@pytest.mark.parametrize(
    "error",
    [lambda: ModelConnectionError("m", "Connection refused"), lambda: ModelRequestTimeout("m", 1.0)],
    ids=["refused", "timeout"],
)
def test_breaker_opens_after_retries_give_up_and_skips_later_calls(error: Any) -> None:
    calls: list[int] = []
    runner = _runner([error() for _ in range(10)], calls, [0.0])
    assert _verdict(runner) == (True, False) and len(calls) == 3  # 1 + 2 transport retries, then open
    assert _verdict(runner) == (True, False) and len(calls) == 3  # skipped without a call


@pytest.mark.parametrize("status", [401, 429, 500])
def test_http_errors_do_not_open_the_breaker(status: int) -> None:
    calls: list[int] = []
    attempts = 1 if status == 401 else 3  # a 401 is not retried
    runner = _runner([ModelHTTPError(status, "m") for _ in range(attempts)], calls, [0.0])
    assert _verdict(runner)[0] and len(calls) == attempts
    assert _verdict(runner) == (False, True)  # the endpoint answered: the next claim asks it again


def test_breaker_lets_one_try_through_after_the_cooldown() -> None:
    calls: list[int] = []
    clock = [0.0]
    runner = _runner([ModelConnectionError("m", "refused") for _ in range(3)], calls, clock)
    assert _verdict(runner) == (True, False) and len(calls) == 3
    clock[0] = CFG.breaker_cooldown_s - 1
    assert _verdict(runner) == (True, False) and len(calls) == 3
    clock[0] = CFG.breaker_cooldown_s + 1  # the endpoint is back
    assert _verdict(runner) == (False, True) and len(calls) == 4
