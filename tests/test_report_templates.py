"""Both HTML reports (batch: agent/app/report.py, eval: evals/report.py) render from agent/templates/ with autoescaping:
hostile text in a claim, quote, reason or title comes out as text, and the page keeps its content."""

from __future__ import annotations

import re
from typing import Any

from agent.app import report
from evals import metrics as m
from evals.report import html_report

SCRIPT = "<script>alert(1)</script>"
IMG = '<img src=x onerror="alert(1)">'


def _hostile_page_checks(page: str) -> None:
    assert "<script" not in page.lower()  # no script at all: neither the hostile one nor one of ours
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img" not in page and "&lt;img src=x onerror=" in page
    assert not re.search(r"<[^>]*\sonerror=", page)  # onerror only ever inside text, never as an attribute
    assert not re.search(r"""(?:src|href)=["']?https?:""", page)  # no external assets


def _batch_records() -> list[dict[str, Any]]:
    return [
        {
            "id": "c1",
            "claim": f"The mayor said {SCRIPT}",
            "label": "REFUTED",
            "confidence": 0.82,
            "rationale": "the record says otherwise",
            "subclaims": [{"label": "REFUTED", "claim": "sub-claim one"}],
            "sources": [
                {
                    "doc_id": "city-news",
                    "title": "City News",
                    "date": "2024-03-01",
                    "stance": "refutes",
                    "reason": "a different figure",
                    "citations": [{"quote": f"the vote was 5-4 {IMG}"}],
                },
                {"doc_id": "blog", "title": "Blog", "stance": "neutral", "citations": [{"quote": "hidden quote"}]},
            ],
        },
        {"id": "c2", "claim": "Another claim", "label": "SUPPORTED", "confidence": 0.6, "sources": []},
        {"id": "c3", "error": "unreadable line", "line": 3},
    ]


def test_batch_html_escapes_claims_and_quotes_and_keeps_its_content() -> None:
    page = report.render(_batch_records(), "html", title=f"batch {SCRIPT}")
    _hostile_page_checks(page)
    assert page.startswith("<!doctype html>") and "<title>batch &lt;script&gt;" in page
    # label counts and the inline SVG chart (one bar per label, with its share)
    assert '<div class="count" data-label="REFUTED" style="background:#cf222e"><b>1</b>REFUTED</div>' in page
    assert '<svg id="chart" role="img"' in page and "<title>ERROR: 1</title>" in page and "1 (33%)" in page
    # the per-source stance table: quote for a refuting source, none for a neutral one
    assert '<table class="stances">' in page
    assert ">refutes</td><td><blockquote>“the vote was 5-4 &lt;img" in page
    assert "hidden quote" not in page and ">neutral</td>" in page
    assert '<p class="error">unreadable line</p>' in page and "confidence 0.82 — the record says otherwise" in page


def test_eval_html_escapes_claims_and_quotes_and_keeps_its_content() -> None:
    labels = ["SUPPORTED", "REFUTED"]
    gold, pred = ["SUPPORTED", "REFUTED", "REFUTED"], ["SUPPORTED", "SUPPORTED", "REFUTED"]
    summary = {
        "dataset": "gold",
        "claims": 3,
        "macro_f1": m.macro_f1(gold, pred, labels),
        "labels": labels,
        "per_label": m.per_label(gold, pred, labels),
        "confusion": m.confusion(gold, pred, labels),
        "reliability": m.reliability([0.9, 0.6, 0.7], [True, False, True]),
        "ece": 0.2,
    }
    rows = [
        {
            "kind": "claim",
            "id": "g2",
            "gold": "REFUTED",
            "pred": "SUPPORTED",
            "confidence": 0.6,
            "correct": False,
            "claim": f"Claim {SCRIPT}",
            "evidence": [{"doc_id": "d1", "stance": "supports", "quote": f"quoted {IMG}"}],
            "rationale": "why",
        }
    ]
    page = html_report(rows, summary, f"eval {SCRIPT}")
    _hostile_page_checks(page)
    assert page.startswith("<!doctype html>") and "<title>eval &lt;script&gt;" in page
    assert "<tr><th>macro_f1</th><td>0.667</td></tr>" in page
    assert all(f'id="{i}"' in page for i in ("confusion", "per-label", "reliability"))
    assert "<h2>Failures (1)</h2>" in page and "<b>d1</b> supports: “quoted &lt;img" in page
