"""LLM faults over real HTTP (issue 13): a scripted OpenAI-compatible server on 127.0.0.1 answers with 429 and
Retry-After, 500s, a hang past the timeout, a body cut off mid-JSON, or a valid tool call.

The request goes through the real stack (pydantic-ai's OpenAI model, the openai client, httpx), so what is
checked is what a user's endpoint would do to a run: how many requests it costs, how long, and that the result
is the model's answer or the offline one, never a made-up label.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pydantic_ai.models
import pytest

from agent.pipeline.llm import LLMRunner
from agent.pipeline.nodes.verdict import aggregate
from agent.settings import LLMSettings

from .test_llm import make_check, offline_stances

RATIONALE = "docA reports about 25,000 accounts [E1]."


def completion(tool: str) -> bytes:
    """A chat completion whose one choice calls the output tool with a valid rationale."""
    args = json.dumps({"rationale": RATIONALE})
    call = {"id": "call_1", "type": "function", "function": {"name": tool, "arguments": args}}
    body = {
        "id": "cmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": "scripted",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": None, "tool_calls": [call]},
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }
    return json.dumps(body).encode()


class FaultServer(ThreadingHTTPServer):
    """Answers each POST with the next fault of `script` ("ok" once the script is used up)."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.script: list[str] = []
        self.requests = 0
        self.hang_s = 3.0
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def next_fault(self) -> str:
        with self.lock:
            self.requests += 1
            return self.script.pop(0) if self.script else "ok"


class Handler(BaseHTTPRequestHandler):
    server: FaultServer

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up on a hung request
            self.wfile.write(body)

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        tool = request["tools"][0]["function"]["name"]
        fault = self.server.next_fault()
        error = json.dumps({"error": {"message": fault, "type": "scripted"}}).encode()
        if fault == "429":
            self._send(429, error, {"Retry-After": "1"})
        elif fault == "500":
            self._send(500, error)
        elif fault == "hang":
            time.sleep(self.server.hang_s)
            self._send(200, completion(tool))
        elif fault == "truncated":
            body = completion(tool)
            self._send(200, body[: len(body) // 2])
        elif fault == "garbage":
            self._send(200, completion(tool).replace(b"E1", b"E99"))  # cites an evidence id it was not given
        else:
            self._send(200, completion(tool))


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultServer]:
    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", True)  # a local server, no network
    srv = FaultServer()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def run_verdict(server: FaultServer, script: list[str], **cfg: Any) -> tuple[Any, Any, float]:
    """The verdict stage through the real HTTP stack; production retry settings unless `cfg` shortens them."""
    server.script = list(script)
    settings = LLMSettings(provider="openai-compatible", base_url=server.url, model="scripted", **cfg)
    runner = LLMRunner(settings, backoff_s=0.05, max_wait_s=cfg.get("max_wait_s", 30.0))
    check = make_check()
    offline = aggregate(offline_stances(check)())
    start = time.perf_counter()
    out, usage = runner.run("verdict", (check, offline), lambda: offline)
    return (out, offline), usage, time.perf_counter() - start


def test_429_waits_as_long_as_retry_after_says_then_succeeds(server: FaultServer) -> None:
    (out, _), usage, took = run_verdict(server, ["429", "429"])
    assert not usage.fallback and out.rationale.startswith("docA reports about 25,000")
    assert server.requests == 3  # two refusals, one answer: the openai client adds no retries of its own
    assert took >= 2.0  # Retry-After: 1, twice


def test_500s_are_retried_then_fall_back_to_the_offline_verdict(server: FaultServer) -> None:
    (out, offline), usage, took = run_verdict(server, ["500"] * 10, transport_retries=3)
    assert usage.fallback and out == offline
    assert server.requests == 4  # 1 + transport_retries, bounded
    assert took < 5.0


def test_a_hang_past_the_timeout_is_cut_off_and_retried(server: FaultServer) -> None:
    (out, _), usage, took = run_verdict(server, ["hang"], timeout_s=0.5)
    assert not usage.fallback and out.rationale.startswith("docA reports about 25,000")
    assert server.requests == 2
    assert took < server.hang_s  # the hung request was abandoned at the timeout, not waited out


def test_a_body_cut_off_mid_json_is_retried(server: FaultServer) -> None:
    (out, _), usage, _ = run_verdict(server, ["truncated"])
    assert not usage.fallback and out.rationale.startswith("docA reports about 25,000")
    assert server.requests == 2


def test_truncated_bodies_every_time_fall_back_without_a_made_up_label(server: FaultServer) -> None:
    (out, offline), usage, took = run_verdict(server, ["truncated"] * 10, transport_retries=3)
    assert usage.fallback and out == offline
    assert server.requests == 4
    assert took < 5.0


def test_garbage_output_is_sent_back_then_falls_back(server: FaultServer) -> None:
    (out, offline), usage, _ = run_verdict(server, ["garbage"] * 10, output_retries=2)
    assert usage.fallback and out == offline
    assert server.requests == 3  # the first answer and two output retries, each told what was wrong
