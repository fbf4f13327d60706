"""Ingestion against the real embedding model and a real Chroma (embedded, and a `chroma run` server)."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.app.ingest import ingest
from agent.data.store import Embedder, StoreError
from agent.pipeline.services import Services

from .conftest import SEEDS, free_port, make_services


def _check_store(services: Services, seeds: Path) -> dict[str, list[str]]:
    chunks = services.store.all_chunks()
    texts = services.store.document_texts(sorted({c.doc_id for c in chunks}))
    for c in chunks:
        assert c.text == texts[c.doc_id][c.start : c.end]
        for s, e in c.sentences:
            assert c.start <= s < e <= c.end
    for f in seeds.glob("*.txt"):
        assert texts[f.stem] == f.read_text(encoding="utf-8")
    by_doc: dict[str, list[str]] = {}
    for c in chunks:
        by_doc.setdefault(c.doc_id, []).append(c.text)
    return by_doc


def test_ingest_seeds_twice_then_edit_one(services: Services, seeds_copy: Path) -> None:
    first = ingest([seeds_copy], services.settings, services.store, services.embedder)
    assert (first.documents, first.new, first.changed, first.unchanged) == (5, 5, 0, 0)
    metas = {m.doc_id: m for m in services.store.documents()}
    assert len(metas) == 5
    assert (
        metas["004_eb269963b8a04d98"].title
        == "Anthropic accuses Alibaba of the largest distillation campaign against Claude"
    )
    assert metas["001_530ad8e28140dcaf"].date == "2026-06-28"
    assert sum(m.chunks for m in metas.values()) == services.store.count() == first.chunks_written
    before = _check_store(services, seeds_copy)

    second = ingest([seeds_copy], services.settings, services.store, services.embedder)
    assert (second.new, second.changed, second.unchanged, second.chunks_written) == (0, 0, 5, 0)
    assert services.store.count() == first.chunks_written

    # edit one document: only its chunks change, none of its old chunks survive
    target = seeds_copy / "002_2a0152b85f9d3ae4.txt"
    text = target.read_text(encoding="utf-8")
    target.write_text(
        text.split("Our assessment")[0] + "A short new closing paragraph written for the test.\n", encoding="utf-8"
    )
    third = ingest([seeds_copy], services.settings, services.store, services.embedder)
    assert (third.new, third.changed, third.unchanged) == (0, 1, 4)
    after = _check_store(services, seeds_copy)
    assert after["002_2a0152b85f9d3ae4"] != before["002_2a0152b85f9d3ae4"]
    assert not any("Our assessment" in t for t in after["002_2a0152b85f9d3ae4"])
    for doc_id in before:
        if doc_id != "002_2a0152b85f9d3ae4":
            assert after[doc_id] == before[doc_id]
    assert services.store.count() == sum(len(v) for v in after.values())


def test_dense_query_finds_the_right_passage(seeded_services: Services) -> None:
    vec = seeded_services.embedder.encode(["How many fake accounts did Alibaba use?"])[0]
    hits = seeded_services.store.query(vec, k=3)
    chunks = {c.chunk_id: c for c in seeded_services.store.all_chunks()}
    assert "25,000" in chunks[hits[0][0]].text
    assert hits[0][1] > hits[-1][1] - 1e-6 > 0.3
    only = seeded_services.store.query(vec, k=3, doc_ids=["004_eb269963b8a04d98"])
    assert only and all(cid.startswith("004_eb269963b8a04d98:") for cid, _ in only)


def test_client_server_mode(chroma_server: str, tmp_path: Path, embedder: Embedder, seeds_copy: Path) -> None:
    services = make_services(tmp_path / "unused", embedder, store={"url": chroma_server})
    first = ingest([seeds_copy], services.settings, services.store, services.embedder)
    assert first.new == 5 and first.chunks_written > 0
    assert not (tmp_path / "unused" / "chroma").exists()  # nothing written locally in server mode
    _check_store(services, seeds_copy)
    # a second client sees the same data and skips it all
    again = make_services(tmp_path / "unused", embedder, store={"url": chroma_server})
    second = ingest([seeds_copy], again.settings, again.store, again.embedder)
    assert (second.unchanged, second.chunks_written) == (5, 0)
    assert [m.doc_id for m in again.store.documents()] == sorted(p.stem for p in SEEDS.glob("*.txt"))


def test_another_machine_reads_sentence_vectors_from_the_server(
    chroma_server: str, tmp_path: Path, embedder: Embedder, seeds_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What one machine's ingest encoded, a machine with an empty data dir never encodes again: verifying
    there encodes only the claim, and its local cache is filled from the server for the next restart."""
    from agent.app.verify import verify_claim
    from agent.data.index import CACHE_FILE, VectorCache

    first = make_services(tmp_path / "machine1", embedder, store={"url": chroma_server})
    report = ingest([seeds_copy], first.settings, first.store, first.embedder)
    assert report.sentences_encoded > 100
    encoded: list[str] = []
    real = type(embedder).encode
    monkeypatch.setattr(
        type(embedder), "encode", lambda self, texts, **kw: encoded.extend(texts) or real(self, texts, **kw)
    )
    other = make_services(tmp_path / "machine2", embedder, store={"url": chroma_server})
    claim = "Anthropic said the campaign used 24,000 fraudulent accounts."
    record = verify_claim(other, claim)
    assert record.citations
    assert all(t.startswith(claim) for t in encoded), encoded[:3]  # the query only, no sentence
    index = other.index()
    local = VectorCache(tmp_path / "machine2" / CACHE_FILE)
    texts = [index.sentences[i].text for i in index.by_doc["004_eb269963b8a04d98"]]
    assert local.missing(embedder.name, texts) == []


def test_unreachable_server_is_a_clean_error(tmp_path: Path, embedder: Embedder) -> None:
    services = make_services(tmp_path, embedder, store={"url": f"http://127.0.0.1:{free_port()}"})
    with pytest.raises(StoreError, match="cannot open the Chroma store"):
        services.store.documents()


# ------------------------------------------------------------------ a shared store with token auth
TOKEN = "team-token-9f3c1e77"


class TokenGate(BaseHTTPRequestHandler):
    """A reverse proxy that lets a request through to `chroma run` only with the right token.

    `chroma run` (Chroma >= 1.0) has no auth of its own: Chroma documents putting a token-checking proxy
    (Envoy) in front of it, and Chroma Cloud checks `X-Chroma-Token`. This plays that proxy on 127.0.0.1.
    """

    protocol_version = "HTTP/1.1"
    upstream_port = 0

    def _forward(self) -> None:
        given = self.headers.get("X-Chroma-Token") or self.headers.get("Authorization", "").removeprefix("Bearer ")
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if given != TOKEN:
            payload = b'{"error":"AuthError","message":"Unauthorized"}'
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        conn = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=60)
        skip = {"host", "authorization", "x-chroma-token", "connection", "content-length"}
        headers = {k: v for k, v in self.headers.items() if k.lower() not in skip}
        conn.request(self.command, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        conn.close()

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _forward

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


@pytest.fixture
def token_server(chroma_server: str) -> Iterator[str]:
    """The real `chroma run` behind the token gate: its URL."""
    gate = type("Gate", (TokenGate,), {"upstream_port": int(chroma_server.rsplit(":", 1)[1])})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), gate)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_shared_store_with_token_tenant_and_database(
    token_server: str, chroma_server: str, tmp_path: Path, embedder: Embedder, seeds_copy: Path
) -> None:
    """The right token ingests and verifies in a named database; nothing of it lands in the default one."""
    import chromadb

    from agent.app.verify import verify_claim

    admin = chromadb.AdminClient(
        chromadb.Settings(
            chroma_server_host="127.0.0.1",
            chroma_server_http_port=int(chroma_server.rsplit(":", 1)[1]),
            chroma_api_impl="chromadb.api.fastapi.FastAPI",
            anonymized_telemetry=False,
        )
    )
    admin.create_database("team", tenant="default_tenant")
    store = {"url": token_server, "token": TOKEN, "database": "team"}
    services = make_services(tmp_path / "unused", embedder, store=store)
    assert TOKEN not in repr(services.settings) and TOKEN not in services.settings.model_dump_json()
    report = ingest([seeds_copy], services.settings, services.store, services.embedder)
    assert report.new == 5 and not report.errors
    record = verify_claim(services, "Anthropic said the campaign used 24,000 fraudulent accounts.")
    assert any(c.doc_id == "004_eb269963b8a04d98" for c in record.citations), record
    assert TOKEN not in record.model_dump_json()
    # the header Chroma Cloud uses works too, and a second client sees the same database
    again = make_services(tmp_path / "unused", embedder, store={**store, "token_header": "x-chroma-token"})
    assert [m.doc_id for m in again.store.documents()] == sorted(p.stem for p in SEEDS.glob("*.txt"))
    # the default database behind the same server was not touched
    default = make_services(tmp_path / "unused", embedder, store={"url": token_server, "token": TOKEN})
    assert default.store.documents() == []


@pytest.mark.parametrize("token", [None, "wrong-token-5521"])
def test_missing_or_wrong_token_is_a_clean_error(
    token_server: str, tmp_path: Path, embedder: Embedder, token: str | None
) -> None:
    services = make_services(tmp_path, embedder, store={"url": token_server, "token": token})
    with pytest.raises(StoreError, match="requires a token" if token is None else "rejected the token") as err:
        services.store.documents()
    assert token is None or token not in str(err.value)


def test_cli_with_wrong_token_says_so_without_traceback_or_token(
    token_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agent.cli import app

    monkeypatch.setenv("CROSSCHECK_STORE__URL", token_server)
    monkeypatch.setenv("CROSSCHECK_STORE__TOKEN", "wrong-token-5521")
    result = CliRunner().invoke(app, ["--data-dir", str(tmp_path / "data"), "ingest", str(SEEDS)])
    assert result.exit_code == 2, result.output
    assert "rejected the token from CROSSCHECK_STORE__TOKEN" in result.output
    assert "Traceback" not in result.output and "wrong-token-5521" not in result.output
    monkeypatch.delenv("CROSSCHECK_STORE__TOKEN")
    result = CliRunner().invoke(app, ["--data-dir", str(tmp_path / "data"), "sources"])
    assert result.exit_code == 2 and "set CROSSCHECK_STORE__TOKEN" in result.output, result.output
    assert "Traceback" not in result.output


def test_missing_database_is_named(token_server: str, tmp_path: Path, embedder: Embedder) -> None:
    services = make_services(tmp_path, embedder, store={"url": token_server, "token": TOKEN, "database": "nope"})
    with pytest.raises(StoreError, match="no database 'nope' in tenant 'default_tenant'"):
        services.store.documents()
