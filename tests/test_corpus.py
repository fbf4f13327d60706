from __future__ import annotations

import json
from pathlib import Path

from agent.data.corpus import (
    LoadError,
    chunk_document,
    find_date,
    load_paths,
    parse_html_document,
    parse_text_document,
    split_sentences,
)
from agent.schemas import Document

from .conftest import SEEDS


def _docs(*paths: Path) -> tuple[list[Document], list[LoadError]]:
    items = list(load_paths(paths))
    return [i for i in items if isinstance(i, Document)], [i for i in items if isinstance(i, LoadError)]


def test_find_date_formats() -> None:
    assert find_date("published June 25, 2026 · 3 min read") == "2026-06-25"
    assert find_date("2026年6月28日 · 阅读约 5 分钟") == "2026-06-28"
    assert find_date("on 24 June 2026 in London") == "2026-06-24"
    assert find_date("date: 2026-06-25") == "2026-06-25"
    assert find_date("sometime in June") is None


def test_seed_metadata() -> None:
    docs, errors = _docs(SEEDS)
    assert not errors
    by_id = {d.doc_id: d.meta for d in docs}
    assert len(by_id) == 5
    assert by_id["000_4ef8fc55e1dac0fd"].title.startswith("Anthropic Accuses Alibaba of 'Brazen' Industrial-Scale")
    assert by_id["000_4ef8fc55e1dac0fd"].date == "2026-06-25"
    assert by_id["000_4ef8fc55e1dac0fd"].author == "lschvn"
    assert by_id["001_530ad8e28140dcaf"].date == "2026-06-28"
    assert by_id["001_530ad8e28140dcaf"].title.startswith("Anthropic Accuses Alibaba of 25K Fake Account")
    assert by_id["002_2a0152b85f9d3ae4"].title.startswith("Anthropic accuses Alibaba of largest known AI distillation")
    assert by_id["003_9be5edd4fc6ed721"].title.startswith("25,000 Fake Accounts, 28.8 Million Hits on Claude")
    # the section label "Inteligencia Artificial" is not a headline
    assert (
        by_id["004_eb269963b8a04d98"].title
        == "Anthropic accuses Alibaba of the largest distillation campaign against Claude"
    )
    assert by_id["004_eb269963b8a04d98"].date == "2026-06-25"


def test_trailing_boilerplate_is_not_evidence() -> None:
    docs, _ = _docs(SEEDS)
    by_id = {d.doc_id: d for d in docs}
    for doc_id, junk in [
        ("001_530ad8e28140dcaf", "相关资讯"),
        ("001_530ad8e28140dcaf", "OpenAI Launches GPT-5.6 Sol"),
        ("003_9be5edd4fc6ed721", "AI 트렌드를 앞서가세요"),
        ("003_9be5edd4fc6ed721", "Anthropic Launches Claude Marketplace"),
        ("004_eb269963b8a04d98", "Keep reading"),
        ("002_2a0152b85f9d3ae4", "https://www.cnbc.com/2026/06/24"),
    ]:
        doc = by_id[doc_id]
        assert junk in doc.text
        evidence = "".join(doc.text[s:e] for s, e in doc.segments)
        assert junk not in evidence, (doc_id, junk)
    # but the article body right before it is kept
    body = by_id["001_530ad8e28140dcaf"]
    assert "The Bottom Line" in "".join(body.text[s:e] for s, e in body.segments)


def test_front_matter_values_are_evidence_spans() -> None:
    doc = parse_text_document("x", (SEEDS / "000_4ef8fc55e1dac0fd.txt").read_text())
    texts = [doc.text[s:e] for s, e in doc.segments]
    assert any(t.startswith("Anthropic published a blog post on 2026-06-24") for t in texts)
    assert not any(t.startswith("/images/") for t in texts)


def test_sentence_split_keeps_numbers_and_abbreviations() -> None:
    text = "The U.S. Senate got a letter. It cited 28.8 million exchanges! Dr. Smith said so.\nNew line here now"
    spans = split_sentences(text, 0, len(text))
    assert [text[s:e] for s, e in spans] == [
        "The U.S. Senate got a letter.",
        "It cited 28.8 million exchanges!",
        "Dr. Smith said so.",
        "New line here now",
    ]


def test_chunks_are_exact_slices_with_overlap() -> None:
    docs, _ = _docs(SEEDS)
    for doc in docs:
        chunks = chunk_document(doc, max_chars=500, overlap=1)
        assert chunks
        for c in chunks:
            assert c.text == doc.text[c.start : c.end]
            assert c.chunk_id == f"{doc.doc_id}:{c.ordinal}"
            for s, e in c.sentences:
                assert c.start <= s < e <= c.end
        for a, b in zip(chunks, chunks[1:], strict=False):
            if len(a.sentences) > 1:
                assert a.sentences[-1] == b.sentences[0]  # one sentence of overlap


def test_html_loader_strips_markup_and_reads_meta() -> None:
    html = """<html><head><title>T</title><meta property="og:title" content="Big News">
    <meta property="article:published_time" content="2026-06-24T10:00:00Z"><script>var x=1;</script></head>
    <body><nav>Home | About</nav><h1>Big News</h1><p>Anthropic says 25,000 accounts were &amp; used.</p>
    <footer>Subscribe now</footer></body></html>"""
    doc = parse_html_document("h", html)
    assert doc.meta.title == "Big News" and doc.meta.date == "2026-06-24"
    assert "var x" not in doc.text and "Home | About" not in doc.text and "Subscribe" not in doc.text
    assert "25,000 accounts were & used." in doc.text


def test_jsonl_corpora_and_bad_lines(tmp_path: Path) -> None:
    f = tmp_path / "corpus.jsonl"
    f.write_text(
        json.dumps({"doc_id": 7, "title": "Sci", "abstract": ["First sentence here.", "Second one, too."]})
        + "\n"
        + "{not json\n"
        + json.dumps({"doc_id": "n1", "title": "News", "text": "Plain text body of the article."})
        + "\n"
        + json.dumps({"title": "no id"})
        + "\n"
    )
    docs, errors = _docs(f)
    assert [d.doc_id for d in docs] == ["7", "n1"]
    sci = docs[0]
    assert sci.presplit and [sci.text[s:e] for s, e in sci.segments] == ["First sentence here.", "Second one, too."]
    assert {(e.line, e.message.split(" (")[0]) for e in errors} == {(2, "not JSON"), (4, "record has no doc_id")}


def test_bad_files_are_named_and_skipped(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_text("   \n")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02abc")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9 au lait".encode("latin-1"))
    (tmp_path / "good.txt").write_text("A good headline for the test\nSome body text that is long enough.\n")
    empty_dir = tmp_path / "nothing"
    empty_dir.mkdir()
    docs, errors = _docs(
        tmp_path / "empty.txt",
        tmp_path / "binary.txt",
        tmp_path / "latin1.txt",
        tmp_path / "good.txt",
        empty_dir,
        tmp_path / "missing.txt",
    )
    assert [d.doc_id for d in docs] == ["good"]
    messages = {Path(e.path).name: e.message for e in errors}
    assert messages["empty.txt"] == "empty file"
    assert messages["binary.txt"].startswith("binary")
    assert messages["latin1.txt"].startswith("not UTF-8")
    assert messages["nothing"].startswith("directory has no readable files")
    assert messages["missing.txt"] == "no such file or directory"
