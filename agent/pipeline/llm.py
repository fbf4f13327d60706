"""LLM assistance through pydantic-ai: a model factory, one agent per task, validated outputs, layered retries.

`attach_llm(services)` puts an `LLMRunner` in `services.extras["llm"]`; `Services.llm_stage` calls
`runner.run(stage, payload, offline)` and gets `(result, LLMUsage)` back. Every stage:

1. renders its prompt from `prompts/<task>.md` (evidence as delimited data with ids),
2. asks the model for a typed, bounded output; validators turn a cited id that was not given, or a
   quote that is not in the cited sentence, into `ModelRetry` (pydantic-ai output retries),
3. wraps the run in tenacity for transient transport errors (timeouts, 429, 5xx, connection errors;
   exponential backoff with jitter, `Retry-After` honoured, bounded attempts and total time),
4. falls back to the stage's offline implementation when all that fails, with `fallback=True`,
5. and when the transport layer gave up on a refused connection or timeouts, opens a circuit breaker: the
   endpoint is dead, so later calls in this process skip the model (offline result, one warning) until a
   cooldown has passed, and then one call tries again. A dead endpoint costs one retry budget per run.

No stage invents a label: the verdict's label and confidence always come from the offline aggregation,
and a source's stance that the deterministic checks refute on a number, date or response is kept.
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
import string
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, Protocol, TypeVar

from pydantic import BaseModel, Field, StringConstraints
from pydantic_ai import Agent, ModelRetry, NativeOutput, PromptedOutput, RunContext, ToolOutput
from pydantic_ai.exceptions import (
    AgentRunError,
    ModelAPIError,
    ModelConnectionError,
    ModelEmptyResponseError,
    ModelHTTPError,
    ModelRateLimitError,
    ModelRequestTimeout,
    ModelServerError,
    ModelUnavailableError,
)
from pydantic_ai.settings import ModelSettings
from pydantic_ai.usage import RunUsage
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, stop_after_delay
from tenacity.stop import stop_base
from tenacity.wait import wait_random_exponential

from agent.schemas import Citation, Evidence, LLMUsage, SourceStance, Stance, Verdict
from agent.settings import PROJECT_ROOT, LLMSettings, Settings

if TYPE_CHECKING:
    from pydantic_ai.models import Model

    from agent.pipeline.state import ClaimCheck

log = logging.getLogger(__name__)


class HasExtras(Protocol):
    """What `attach_llm` needs of the services (`agent.pipeline.services.Services`), without importing them."""

    settings: Settings
    extras: dict[str, Any]


T = TypeVar("T")
PROMPTS_DIR = PROJECT_ROOT / "prompts"

# What each prompt's template may and must use: the test checks the files against this.
PROMPT_FIELDS: dict[str, set[str]] = {
    "decompose": {"claim"},
    "cross_check": {"claim", "claim_features", "sources"},
    "verdict": {"claim", "label", "confidence", "draft", "sources"},
    "answer": {"question", "evidence"},
}
# Which per-stage model override applies to which task.
STAGE_SETTING = {"decompose": "extract", "cross_check": "cross_check", "verdict": "verdict", "answer": "answer"}
SPLIT_CUE = re.compile(r"\b(and|but|while|whereas|also|as well as)\b|;|,\s", re.I)
ID_REF = re.compile(r"\[?\b(E\d{1,3})\b\]?")

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
EvidenceId = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^E\d{1,3}$")]


# ------------------------------------------------------------------ typed, bounded outputs
class Subclaims(BaseModel):
    """The atomic claims a compound claim makes, each checkable on its own."""

    subclaims: list[ShortText] = Field(
        min_length=1, max_length=4, description="each a full sentence using only the claim's own words and facts"
    )


class SourceJudgement(BaseModel):
    """What one source says about the claim."""

    doc: str = Field(max_length=80, description="the doc attribute of the source")
    stance: Stance = Field(description="supports, refutes, or neutral when the source does not address the claim")
    evidence_ids: list[EvidenceId] = Field(
        default_factory=list, max_length=3, description="ids of the evidence sentences that decide the stance"
    )
    quote: str | None = Field(None, max_length=200, description="optional: a few words copied from a cited sentence")
    reason: str = Field("", max_length=300, description="one sentence a person can check against the evidence")


class CrossCheckOutput(BaseModel):
    """One judgement per source."""

    sources: list[SourceJudgement] = Field(max_length=12, description="one entry per source")


class Rationale(BaseModel):
    """A short explanation of an already decided verdict."""

    rationale: str = Field(min_length=1, max_length=600, description="2-3 sentences naming which source says what")


class Answer(BaseModel):
    """A short answer drawn only from the evidence."""

    answer: str = Field(min_length=1, max_length=800, description="a short answer in plain words")
    evidence_ids: list[EvidenceId] = Field(min_length=1, max_length=5, description="ids of the evidence used")


OUTPUT_TYPES: dict[str, type[BaseModel]] = {
    "decompose": Subclaims,
    "cross_check": CrossCheckOutput,
    "verdict": Rationale,
    "answer": Answer,
}


# ------------------------------------------------------------------ prompts
@dataclass(frozen=True)
class Prompt:
    """`prompts/<task>.md`: instructions, a line `---`, then the input template (`$placeholders`)."""

    task: str
    instructions: str
    template: string.Template

    def render(self, **values: object) -> str:
        missing = PROMPT_FIELDS[self.task] ^ set(values)
        if missing:
            raise KeyError(f"prompt {self.task}: fields {sorted(missing)} do not match")
        return self.template.substitute({k: str(v) for k, v in values.items()})


@cache
def load_prompt(task: str) -> Prompt:
    text = (PROMPTS_DIR / f"{task}.md").read_text(encoding="utf-8")
    instructions, sep, body = text.partition("\n---\n")
    if not sep:
        raise ValueError(f"prompts/{task}.md: no '---' line between instructions and input")
    return Prompt(task, instructions.strip(), string.Template(body.strip() + "\n"))


def placeholders(prompt: Prompt) -> set[str]:
    return set(prompt.template.get_identifiers())


# ------------------------------------------------------------------ rendering evidence as data
def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def feature_summary(f: Any) -> str:
    """The deterministic features a sentence carries, in a few words the model can use."""
    if f is None:
        return ""
    if isinstance(f, dict):
        from agent.pipeline.nodes.extract import Features

        f = Features.model_validate(f)
    parts = []
    if f.quantities:
        parts.append("numbers: " + ", ".join(q.text for q in f.quantities[:4]))
    if f.dates:
        parts.append("dates: " + ", ".join(d.text for d in f.dates[:4]))
    if f.durations:
        parts.append("durations: " + ", ".join(d.text for d in f.durations[:3]))
    if f.responses:
        parts.append("response: " + "/".join(f.responses))
    if f.negated:
        parts.append("negated")
    if f.hedged:
        parts.append("hedged")
    return "; ".join(parts)


def number_evidence(evidence: list[Evidence]) -> dict[str, Evidence]:
    return {f"E{i + 1}": ev for i, ev in enumerate(evidence)}


def render_sources(ids: dict[str, Evidence], features: dict[str, Any], offline: dict[str, SourceStance]) -> str:
    by_doc: dict[str, list[tuple[str, Evidence]]] = {}
    for eid, ev in ids.items():
        by_doc.setdefault(ev.sentence.doc_id, []).append((eid, ev))
    blocks = []
    for doc_id, items in by_doc.items():
        off = offline.get(doc_id)
        head = f'<source doc="{_esc(doc_id)}"'
        if off is not None:
            head += f' title="{_esc(off.title[:120])}" date="{_esc(off.date or "")}"'
            head += f' rule_check="{off.stance}: {_esc(off.reason[:200])}"'
        lines = [head + ">"]
        for eid, ev in items:
            feats = feature_summary(features.get(ev.sentence.text))
            lines.append(
                f'<evidence id="{eid}" doc="{_esc(doc_id)}" features="{_esc(feats)}">'
                f"{_esc(ev.sentence.text)}</evidence>"
            )
        lines.append("</source>")
        blocks.append("\n".join(lines))
    return "\n".join(blocks) if blocks else "(no evidence)"


def render_evidence(ids: dict[str, Evidence]) -> str:
    return (
        "\n".join(
            f'<evidence id="{eid}" doc="{_esc(ev.sentence.doc_id)}">{_esc(ev.sentence.text)}</evidence>'
            for eid, ev in ids.items()
        )
        or "(no evidence)"
    )


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w%$.,]+", " ", text.lower()).split())


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in re.findall(r"\d[\d,]*(?:\.\d+)?", text)}


# ------------------------------------------------------------------ validators (ModelRetry → output retries)
@dataclass
class StageDeps:
    claim: str = ""
    ids: dict[str, Evidence] = field(default_factory=dict)


def _check_ids(ids: list[str], deps: StageDeps) -> list[Evidence]:
    bad = [i for i in ids if i not in deps.ids]
    if bad:
        raise ModelRetry(f"evidence ids {bad} were not given; cite only ids from: {', '.join(deps.ids) or 'none'}")
    return [deps.ids[i] for i in ids]


def validate_subclaims(ctx: RunContext[StageDeps], out: Subclaims) -> Subclaims:
    """Subclaims restate the claim: no number added or dropped, no new content words."""
    from agent.text import content_terms

    claim_numbers, claim_terms = _numbers(ctx.deps.claim), content_terms(ctx.deps.claim)
    for part in out.subclaims:
        extra = _numbers(part) - claim_numbers
        if extra:
            raise ModelRetry(f"subclaim {part!r} adds numbers {sorted(extra)} the claim does not contain")
        new = content_terms(part) - claim_terms
        if len(new) > 1:
            raise ModelRetry(f"subclaim {part!r} adds words the claim does not use: {sorted(new)[:5]}")
    dropped = claim_numbers - set().union(*(_numbers(p) for p in out.subclaims))
    if dropped:
        raise ModelRetry(f"the subclaims drop the claim's numbers {sorted(dropped)}")
    return out


def validate_cross_check(ctx: RunContext[StageDeps], out: CrossCheckOutput) -> CrossCheckOutput:
    docs = {ev.sentence.doc_id for ev in ctx.deps.ids.values()}
    for j in out.sources:
        if j.doc not in docs:
            raise ModelRetry(f"source {j.doc!r} is not among the sources given: {', '.join(sorted(docs))}")
        cited = _check_ids(j.evidence_ids, ctx.deps)
        foreign = [i for i, ev in zip(j.evidence_ids, cited, strict=True) if ev.sentence.doc_id != j.doc]
        if foreign:
            raise ModelRetry(f"evidence {foreign} belongs to another source than {j.doc!r}")
        if j.stance != "neutral" and not cited:
            raise ModelRetry(f"source {j.doc!r} is judged {j.stance!r} without citing an evidence id")
        if j.quote and cited and not any(_norm(j.quote) in _norm(ev.sentence.text) for ev in cited):
            raise ModelRetry(f"the quote for {j.doc!r} is not in the cited sentence(s); copy words exactly or omit it")
    return out


def validate_rationale(ctx: RunContext[StageDeps], out: Rationale) -> Rationale:
    _check_ids([m.group(1) for m in ID_REF.finditer(out.rationale)], ctx.deps)
    return out


def validate_answer(ctx: RunContext[StageDeps], out: Answer) -> Answer:
    _check_ids(out.evidence_ids + [m.group(1) for m in ID_REF.finditer(out.answer)], ctx.deps)
    return out


VALIDATORS: dict[str, Callable[[RunContext[StageDeps], Any], Any]] = {
    "decompose": validate_subclaims,
    "cross_check": validate_cross_check,
    "verdict": validate_rationale,
    "answer": validate_answer,
}


# ------------------------------------------------------------------ model factory
def api_key(cfg: LLMSettings) -> str | None:
    """The key from CROSSCHECK_LLM__API_KEY, else the provider's usual variable. Never logged."""
    if cfg.api_key is not None:
        return cfg.api_key.get_secret_value()
    env = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY", "ollama": "OLLAMA_API_KEY"}.get(cfg.provider)
    return os.environ.get(env) if env else None


def model_name(cfg: LLMSettings, stage: str) -> str:
    override = getattr(cfg, STAGE_SETTING.get(stage, stage), None)
    return (override.model if override is not None and override.model else None) or cfg.model


def build_model(cfg: LLMSettings, name: str) -> Model:
    """Settings → a pydantic-ai model. Raises ValueError for settings that cannot work."""
    key = api_key(cfg)
    if cfg.provider == "anthropic":
        try:
            from pydantic_ai.models.anthropic import AnthropicModel
            from pydantic_ai.providers.anthropic import AnthropicProvider
        except ImportError as exc:
            raise ValueError("provider 'anthropic' needs the extra: pip install 'crosscheck[anthropic]'") from exc
        return AnthropicModel(name or "claude-sonnet-4-5", provider=AnthropicProvider(api_key=key))

    from pydantic_ai.models.openai import OpenAIChatModel

    if cfg.provider == "openai":
        from pydantic_ai.providers.openai import OpenAIProvider

        if key is None and not cfg.base_url:
            raise ValueError("provider 'openai' needs OPENAI_API_KEY or CROSSCHECK_LLM__API_KEY in the environment")
        return OpenAIChatModel(name or "gpt-4o-mini", provider=OpenAIProvider(base_url=cfg.base_url, api_key=key))
    if cfg.provider == "ollama":
        from pydantic_ai.providers.ollama import OllamaProvider

        url = cfg.base_url or os.environ.get("OLLAMA_BASE_URL") or "http://127.0.0.1:11434/v1"
        return OpenAIChatModel(name or "llama3.2", provider=OllamaProvider(base_url=url, api_key=key))
    if cfg.provider == "openai-compatible":
        from pydantic_ai.providers.openai_compatible import OpenAICompatibleProvider

        if not cfg.base_url:
            raise ValueError("provider 'openai-compatible' needs llm.base_url (e.g. http://127.0.0.1:8080/v1)")
        provider = OpenAICompatibleProvider("openai-compatible", base_url=cfg.base_url, api_key=key)
        return OpenAIChatModel(name or "local", provider=provider)
    raise ValueError(f"no model for provider {cfg.provider!r}")


def output_spec(cfg: LLMSettings, task: str) -> tuple[Any, dict[str, Any]]:
    """The pydantic-ai output marker for the configured mode, and the `extra_body` it needs (if any).

    `tool`: a named output tool; for OpenAI-style servers the call is forced by naming the function in
    `tool_choice` (llama.cpp ignores `"required"`). `prompted-json`: the schema in the prompt and the
    server constrained to JSON with that schema. `native`/`prompted`: pydantic-ai's own modes.
    """
    out_type = OUTPUT_TYPES[task]
    name = f"submit_{task}"
    openai_style = cfg.provider in ("openai", "ollama", "openai-compatible")
    if cfg.output_mode == "tool":
        extra = {"tool_choice": {"type": "function", "function": {"name": name}}} if openai_style else {}
        return ToolOutput(out_type, name=name, max_retries=cfg.output_retries), extra
    if cfg.output_mode == "native":
        return NativeOutput(out_type, name=name), {}
    if cfg.output_mode == "prompted-json":
        extra = {"response_format": {"type": "json_object", "schema": grammar_schema(out_type)}} if openai_style else {}
        return PromptedOutput(out_type, name=name), extra
    return PromptedOutput(out_type, name=name), {}


def grammar_schema(out_type: type[BaseModel]) -> dict[str, Any]:
    """The output schema for a server that compiles it to a grammar (llama.cpp): list bounds kept, string length
    and pattern bounds left to pydantic validation and `max_tokens` (llama.cpp unrolls `maxLength` into nested
    rules, and a few hundred of them crash its grammar parser)."""

    def strip(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k not in ("maxLength", "minLength", "pattern")}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    result: dict[str, Any] = strip(out_type.model_json_schema())
    return result


# ------------------------------------------------------------------ transport retries (tenacity)
TRANSIENT_STATUS = {408, 409, 425, 429}


def is_transient(exc: BaseException) -> bool:
    """Timeouts, rate limits, 5xx, dropped connections, and a 200 whose body is empty or cut off before it
    decodes (a connection lost mid-body; measured over real HTTP in `tests/test_llm_faults.py`): worth another
    attempt."""
    if isinstance(exc, ModelHTTPError):
        return exc.status_code in TRANSIENT_STATUS or exc.status_code >= 500
    if isinstance(exc, ModelAPIError) and isinstance(exc.__cause__, json.JSONDecodeError | UnicodeDecodeError):
        return True
    return isinstance(
        exc,
        ModelRateLimitError
        | ModelEmptyResponseError
        | ModelServerError
        | ModelUnavailableError
        | ModelConnectionError
        | ModelRequestTimeout
        | TimeoutError
        | ConnectionError,
    )


def is_dead_endpoint(exc: BaseException) -> bool:
    """A refused or dropped connection, or a timeout, still there after the retries: nobody is answering.

    HTTP errors (401, 429, 5xx) mean a server answered; they never open the breaker."""
    return isinstance(exc, ModelConnectionError | ModelRequestTimeout | TimeoutError | ConnectionError)


class DeadEndpoint(RuntimeError):
    """The circuit breaker is open: the endpoint was found dead and the cooldown has not passed."""


class CircuitBreaker:
    """Shared by every stage and worker thread of one runner (one endpoint).

    Closed: calls go through. Open (after the transport retries gave up on a dead endpoint): calls are
    refused at once until `cooldown_s` has passed; then the next call is let through as a probe (one
    attempt: `StopWhenOpen` ends its retries), and its outcome closes or reopens the breaker. Other calls
    keep being refused while the probe runs.
    """

    def __init__(self, cooldown_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.cooldown_s = cooldown_s
        self.clock = clock
        self._lock = threading.Lock()
        self._opened_at: float | None = None
        self._probing = False
        self.reason = ""

    @property
    def is_open(self) -> bool:
        return self._opened_at is not None

    def allow(self) -> bool:
        """Whether a call may go to the endpoint now (claims the probe slot when the cooldown is over)."""
        with self._lock:
            if self._opened_at is None:
                return True
            if self._probing or self.clock() - self._opened_at < self.cooldown_s:
                return False
            self._probing = True
            return True

    def record(self, exc: BaseException | None) -> bool:
        """The outcome of a call that was allowed. True when this opened the breaker (closed -> open)."""
        with self._lock:
            was_open, self._probing = self._opened_at is not None, False
            if exc is None or not is_dead_endpoint(exc):
                self._opened_at = None  # someone answered
                return False
            self._opened_at = self.clock()
            self.reason = f"{type(exc).__name__}: {str(exc)[:120]}"
            return not was_open


class StopWhenOpen(stop_base):
    """Stop retrying once another call has found the endpoint dead (parallel workers)."""

    def __init__(self, breaker: CircuitBreaker) -> None:
        self.breaker = breaker

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self.breaker.is_open


@dataclass
class WaitRetryAfter:
    """Exponential backoff with full jitter, or the server's `Retry-After` when it sent one (capped)."""

    base_s: float = 1.0
    max_s: float = 30.0

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        after = getattr(exc, "retry_after", None)
        if isinstance(after, int | float) and after >= 0:
            return min(float(after), self.max_s)
        return float(wait_random_exponential(multiplier=self.base_s, max=self.max_s)(state))


# ------------------------------------------------------------------ the runner
class LLMRunner:
    """Runs one stage through the model; the offline implementation is always the fallback."""

    def __init__(
        self,
        cfg: LLMSettings,
        *,
        model: Model | None = None,
        backoff_s: float | None = None,
        max_wait_s: float | None = None,
        retry_budget_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.cfg = cfg
        self._model = model
        self._agents: dict[str, tuple[Agent[StageDeps, Any], ModelSettings]] = {}
        # Not (yet) in LLMSettings: read them if a later settings version has them.
        self.backoff_s = backoff_s if backoff_s is not None else getattr(cfg, "backoff_s", 1.0)
        self.max_wait_s = max_wait_s if max_wait_s is not None else getattr(cfg, "max_wait_s", 30.0)
        self.retry_budget_s = retry_budget_s if retry_budget_s is not None else getattr(cfg, "retry_budget_s", 120.0)
        self._warned: set[str] = set()
        self.breaker = CircuitBreaker(getattr(cfg, "breaker_cooldown_s", 300.0), clock)

    # --- plumbing
    def model_label(self, stage: str) -> str:
        if self._model is not None:
            return getattr(self._model, "model_name", type(self._model).__name__)
        return model_name(self.cfg, stage) or "default"

    def agent(self, stage: str) -> tuple[Agent[StageDeps, Any], ModelSettings]:
        if stage not in self._agents:
            prompt = load_prompt(stage)
            spec, extra = output_spec(self.cfg, stage)
            model = self._model if self._model is not None else build_model(self.cfg, model_name(self.cfg, stage))
            settings = ModelSettings(
                max_tokens=self.cfg.max_tokens,
                temperature=self.cfg.temperature,
                timeout=self.cfg.timeout_s,
                max_retries=0,
            )  # tenacity owns retries
            if extra:
                settings["extra_body"] = extra
            agent: Agent[StageDeps, Any] = Agent(
                model,
                output_type=spec,
                instructions=prompt.instructions,
                deps_type=StageDeps,
                retries={"output": self.cfg.output_retries},
                name=f"crosscheck-{stage}",
            )
            agent.output_validator(VALIDATORS[stage])
            self._agents[stage] = (agent, settings)
        return self._agents[stage]

    def call(self, stage: str, prompt: str, deps: StageDeps, usage: RunUsage) -> Any:
        """One validated model output, with transport retries around the run. Raises when it cannot get one;
        raises `DeadEndpoint` without a request while the circuit breaker is open."""
        agent, settings = self.agent(stage)
        if not self.breaker.allow():
            raise DeadEndpoint(self.breaker.reason)
        retrying = Retrying(
            retry=retry_if_exception(is_transient),
            wait=WaitRetryAfter(self.backoff_s, self.max_wait_s),
            stop=stop_after_attempt(self.cfg.transport_retries + 1)
            | stop_after_delay(self.retry_budget_s)
            | StopWhenOpen(self.breaker),
            reraise=True,
            before_sleep=lambda s: log.info(
                "llm %s: transient error (%s), retry %d",
                stage,
                type(s.outcome.exception()).__name__ if s.outcome else "?",
                s.attempt_number,
            ),
        )
        try:
            for attempt in retrying:
                with attempt:
                    output = agent.run_sync(prompt, deps=deps, model_settings=settings, usage=usage).output
            self.breaker.record(None)
            return output
        except Exception as exc:
            if self.breaker.record(exc):
                log.warning(
                    "llm endpoint %s is not answering (%s) after %d attempts: circuit open, the LLM is skipped "
                    "and offline results are used for the next %.0f s of this run",
                    self.endpoint(),
                    self.breaker.reason,
                    retrying.statistics.get("attempt_number", 1),
                    self.breaker.cooldown_s,
                )
            raise

    def run(self, stage: str, payload: Any, offline: Callable[[], T]) -> tuple[T, LLMUsage]:
        """The stage's result and what it cost. Falls back to offline() after retries, never raises for the model."""
        usage = RunUsage()
        handler = getattr(self, f"_{stage}", None)
        if handler is None:
            raise ValueError(f"unknown LLM stage {stage!r}")
        fallback = False
        memo: list[T] = []

        def offline_once() -> T:  # the rules run once, whether as features, cross-check or fallback
            if not memo:
                memo.append(offline())
            return memo[0]

        try:
            result = handler(payload, offline_once, usage)
        except DeadEndpoint:  # said once, when the breaker opened
            result, fallback = offline_once(), True
        except (AgentRunError, ModelAPIError, TimeoutError, ConnectionError, ValueError) as exc:
            # ModelAPIError/UnexpectedModelBehavior/UsageLimitExceeded are AgentRunErrors; ValueError is bad config.
            if not is_dead_endpoint(exc):  # a dead endpoint was reported when the breaker opened
                self._warn(stage, exc)
            result, fallback = offline_once(), True
        return result, LLMUsage(
            provider=self.cfg.provider,
            model=self.model_label(stage),
            calls=usage.requests,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            fallback=fallback,
        )

    def endpoint(self) -> str:
        return self.cfg.base_url or self.cfg.provider

    def _warn(self, stage: str, exc: BaseException) -> None:
        kind = f"{stage}:{type(exc).__name__}"
        if kind not in self._warned:
            self._warned.add(kind)
            log.warning("llm %s failed (%s: %s); using the offline result", stage, type(exc).__name__, str(exc)[:200])

    # --- stages
    def _decompose(self, claim: str, offline: Callable[[], list[str]], usage: RunUsage) -> list[str]:
        if not SPLIT_CUE.search(claim):
            return offline()  # one predicate, nothing to split: no call spent
        prompt = load_prompt("decompose").render(claim=_esc(claim))
        out: Subclaims = self.call("decompose", prompt, StageDeps(claim=claim), usage)
        parts = [p.strip() for p in out.subclaims if p.strip()]
        return parts or offline()

    def _cross_check(
        self, check: ClaimCheck, offline: Callable[[], list[SourceStance]], usage: RunUsage
    ) -> list[SourceStance]:
        rules = offline()
        if not check.evidence:
            return rules
        ids = number_evidence(check.evidence)
        by_doc = {s.doc_id: s for s in rules}
        prompt = load_prompt("cross_check").render(
            claim=_esc(check.text),
            claim_features=_esc(feature_summary(check.features.get(check.text)) or "none"),
            sources=render_sources(ids, check.features, by_doc),
        )
        out: CrossCheckOutput = self.call("cross_check", prompt, StageDeps(claim=check.text, ids=ids), usage)
        return merge_stances(rules, out, ids)

    def _verdict(self, payload: tuple[ClaimCheck, Verdict], offline: Callable[[], Verdict], usage: RunUsage) -> Verdict:
        check, verdict = payload
        if not any(s.stance != "neutral" for s in verdict.sources):
            return offline()  # nothing addresses the claim: the abstention needs no prose
        ids = {f"E{i + 1}": Evidence(sentence=_as_sentence(c)) for i, c in enumerate(verdict.citations)}
        stance_of = {s.doc_id: s.stance for s in verdict.sources}
        draft = verdict.rationale
        sources = (
            "\n".join(
                f'<evidence id="{eid}" doc="{_esc(ev.sentence.doc_id)}" '
                f'stance="{stance_of.get(ev.sentence.doc_id, "")}">'
                f"{_esc(ev.sentence.text)}</evidence>"
                for eid, ev in ids.items()
            )
            or "(no quotes)"
        )
        prompt = load_prompt("verdict").render(
            claim=_esc(check.text),
            label=verdict.label,
            confidence=verdict.confidence,
            draft=_esc(draft),
            sources=sources,
        )
        out: Rationale = self.call("verdict", prompt, StageDeps(claim=check.text, ids=ids), usage)
        text = ID_REF.sub(lambda m: f"[{ids[m.group(1)].sentence.doc_id}]", out.rationale)
        return verdict.model_copy(update={"rationale": text.strip()})

    def _answer(self, payload: tuple[str, list[Evidence]], offline: Callable[[], T], usage: RunUsage) -> Any:
        question, evidence = payload
        if not evidence:
            return offline()
        ids = number_evidence(evidence)
        prompt = load_prompt("answer").render(question=_esc(question), evidence=render_evidence(ids))
        out: Answer = self.call("answer", prompt, StageDeps(claim=question, ids=ids), usage)
        cited = list(dict.fromkeys(out.evidence_ids + [m.group(1) for m in ID_REF.finditer(out.answer)]))
        text = ID_REF.sub(lambda m: f"[{ids[m.group(1)].sentence.doc_id}]", out.answer).strip()
        return shape_answer(offline, text, [ids[i].citation() for i in cited])


def _as_sentence(c: Citation) -> Any:
    from agent.schemas import Sentence

    return Sentence(doc_id=c.doc_id, chunk_id=c.chunk_id, start=c.start, end=c.end, text=c.quote)


def merge_stances(rules: list[SourceStance], out: CrossCheckOutput, ids: dict[str, Evidence]) -> list[SourceStance]:
    """The model's judgements over the rule-based ones, with the deterministic checks as a cross-check.

    Citations are always the cited evidence sentences' exact slices. A source the checks refute on values
    parsed unambiguously on both sides (explicit figures, durations or dates: `SourceStance.unambiguous`)
    stays refuted whatever the model says; any other offline stance yields to the model's reading; a
    source the model leaves out keeps its offline stance.
    """
    judged = {j.doc: j for j in out.sources}
    merged = []
    for rule in rules:
        j = judged.get(rule.doc_id)
        if j is None:
            merged.append(rule)
            continue
        if rule.stance == "refutes" and rule.unambiguous and j.stance != "refutes":
            merged.append(
                rule.model_copy(
                    update={"reason": f"{rule.reason} (the model said {j.stance}; the rule check on this fact is kept)"}
                )
            )
            continue
        cites = [ids[i].citation() for i in dict.fromkeys(j.evidence_ids)]
        if j.stance == "neutral":
            cites = cites[:1] or rule.citations[:1]
        merged.append(
            rule.model_copy(update={"stance": j.stance, "reason": j.reason.strip() or rule.reason, "citations": cites})
        )
    merged.sort(key=lambda s: ({"supports": 0, "refutes": 1, "neutral": 2}[s.stance], s.doc_id))
    return merged


def shape_answer(offline: Callable[[], Any], text: str, citations: list[Citation]) -> Any:
    """Return the LLM answer in the shape the chat's offline answer has (model, (text, citations) or str)."""
    base = offline()
    if isinstance(base, BaseModel):
        fields = type(base).model_fields
        update: dict[str, Any] = {k: text for k in ("answer", "text") if k in fields}
        if "citations" in fields:
            update["citations"] = citations
        return base.model_copy(update=update)
    if isinstance(base, tuple) and len(base) == 2:
        return text, citations
    return text


def attach_llm(services: HasExtras, *, model: Model | None = None, **retry: float) -> LLMRunner | None:
    """Put an LLM runner in `services.extras["llm"]` when a provider is configured (tests may pass a model).

    `retry` takes `backoff_s`, `max_wait_s`, `retry_budget_s` for the tenacity layer.
    """
    cfg = services.settings.llm
    if cfg.provider == "none" and model is None:
        services.extras.pop("llm", None)
        return None
    unknown = set(retry) - {"backoff_s", "max_wait_s", "retry_budget_s"}
    if unknown:
        raise TypeError(f"attach_llm: unknown retry settings {sorted(unknown)}")
    runner = LLMRunner(
        cfg,
        model=model,
        backoff_s=retry.get("backoff_s"),
        max_wait_s=retry.get("max_wait_s"),
        retry_budget_s=retry.get("retry_budget_s"),
    )
    services.extras["llm"] = runner
    return runner
