"""Batch reports: the records as JSONL, CSV, Markdown, or one self-contained HTML page."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from html import escape
from typing import Any

from agent.schemas import LABELS

ERROR = "ERROR"
COLORS = {
    "SUPPORTED": "#1a7f37",
    "REFUTED": "#cf222e",
    "CONFLICTING": "#bf8700",
    "NOT_ENOUGH_INFO": "#0969da",
    ERROR: "#6e7781",
}
STANCE_COLORS = {"supports": "#1a7f37", "refutes": "#cf222e", "neutral": "#6e7781"}


def label_of(record: dict[str, Any]) -> str:
    return ERROR if "error" in record else str(record.get("label", ERROR))


def label_counts(records: list[dict[str, Any]]) -> dict[str, int]:
    counts = Counter(label_of(r) for r in records)
    return {k: counts.get(k, 0) for k in (*LABELS, ERROR) if counts.get(k, 0) or k != ERROR}


def _by_stance(record: dict[str, Any], stance: str) -> list[str]:
    return [s["doc_id"] for s in record.get("sources", []) if s.get("stance") == stance]


# ------------------------------------------------------------------------------------------- jsonl / csv
def to_jsonl(records: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def to_csv(records: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["id", "claim", "label", "confidence", "sources_for", "sources_against", "error"])
    for r in records:
        w.writerow(
            [
                r.get("id", ""),
                r.get("claim", ""),
                r.get("label", ""),
                "" if "confidence" not in r else f"{r['confidence']:.2f}",
                ";".join(_by_stance(r, "supports")),
                ";".join(_by_stance(r, "refutes")),
                r.get("error", ""),
            ]
        )
    return buf.getvalue()


# ------------------------------------------------------------------------------------------- markdown
def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def to_markdown(records: list[dict[str, Any]], title: str) -> str:
    counts = label_counts(records)
    lines = [f"# {title}", "", f"{len(records)} claims.", "", "| label | claims |", "|---|---:|"]
    lines += [f"| {k} | {v} |" for k, v in counts.items()]
    for r in records:
        lines += ["", f"## {_md(r.get('id', ''))}: {_md(r.get('claim', '(unreadable line)'))}", ""]
        if "error" in r:
            lines.append(f"**ERROR** (line {r.get('line')}): {_md(r['error'])}")
            continue
        lines += [f"**{r['label']}** (confidence {r['confidence']:.2f}). {_md(r.get('rationale', ''))}", ""]
        for sub in r.get("subclaims", []):
            lines.append(f"- {sub['label']}: {_md(sub['claim'])}")
        if r.get("subclaims"):
            lines.append("")
        lines += ["| source | date | stance | quote |", "|---|---|---|---|"]
        for s in r.get("sources", []):
            quote = s["citations"][0]["quote"] if s.get("citations") and s.get("stance") != "neutral" else ""
            lines.append(
                f"| {_md(s.get('title') or s['doc_id'])} (`{s['doc_id']}`) | {s.get('date') or '—'} | "
                f"{s.get('stance')} | {_md(quote and '“' + quote + '”')} {_md(s.get('reason', ''))} |"
            )
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------- html
CSS = """
*{box-sizing:border-box}body{font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;
background:#f6f8fa;color:#1f2328}main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}.muted{color:#656d76}
#summary{display:flex;gap:24px;flex-wrap:wrap;align-items:center;background:#fff;border:1px solid #d0d7de;
border-radius:8px;padding:16px;margin:16px 0}
.counts{display:flex;gap:10px;flex-wrap:wrap}.count{border-radius:6px;padding:8px 12px;color:#fff;min-width:120px}
.count b{display:block;font-size:22px}.card{background:#fff;border:1px solid #d0d7de;border-left:6px solid #888;
border-radius:8px;padding:14px 16px;margin:12px 0}.card h2{font-size:16px;margin:0 0 6px}
.badge{display:inline-block;color:#fff;border-radius:4px;padding:1px 8px;font-size:12px;font-weight:600}
table{width:100%;border-collapse:collapse;margin-top:8px;font-size:14px}th,td{text-align:left;vertical-align:top;
padding:6px 8px;border-top:1px solid #eaeef2}th{color:#656d76;font-weight:600}
blockquote{margin:0 0 4px;padding-left:8px;border-left:3px solid #d0d7de}.reason{color:#656d76;font-style:italic}
ul.sub{margin:6px 0 0;padding-left:20px}code{font-size:12px;color:#656d76}
"""


def _badge(label: str) -> str:
    return f'<span class="badge" style="background:{COLORS.get(label, "#888")}">{escape(label)}</span>'


def svg_chart(counts: dict[str, int]) -> str:
    """A horizontal bar chart of the label distribution, inline SVG (no scripts, no external assets)."""
    total = max(1, sum(counts.values()))
    width, bar_h, label_w = 460, 24, 150
    rows = []
    for i, (label, n) in enumerate(counts.items()):
        y = i * (bar_h + 8)
        w = round((width - label_w - 60) * n / total)
        rows.append(
            f'<text x="0" y="{y + 17}" font-size="13">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{max(w, 1)}" height="{bar_h}" rx="3" '
            f'fill="{COLORS.get(label, "#888")}">'
            f"<title>{escape(label)}: {n}</title></rect>"
            f'<text x="{label_w + max(w, 1) + 6}" y="{y + 17}" font-size="13">{n} ({100 * n / total:.0f}%)</text>'
        )
    height = len(counts) * (bar_h + 8)
    return (
        f'<svg id="chart" role="img" aria-label="label distribution" xmlns="http://www.w3.org/2000/svg" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">{"".join(rows)}</svg>'
    )


def _card(r: dict[str, Any]) -> str:
    label = label_of(r)
    rid = escape(str(r.get("id", "")))
    head = (
        f'<article class="card" id="claim-{rid}" data-id="{rid}" data-label="{label}" '
        f'style="border-left-color:{COLORS.get(label, "#888")}">'
    )
    if "error" in r:
        return (
            f"{head}<h2>{_badge(label)} <code>{rid}</code> line {escape(str(r.get('line')))}</h2>"
            f'<p class="error">{escape(str(r["error"]))}</p></article>'
        )
    parts = [
        f"{head}<h2>{_badge(label)} <code>{rid}</code> {escape(r.get('claim', ''))}</h2>",
        f"<p>confidence {r.get('confidence', 0):.2f} — {escape(r.get('rationale', ''))}</p>",
    ]
    if r.get("subclaims"):
        parts.append(
            '<ul class="sub">'
            + "".join(f"<li>{_badge(s['label'])} {escape(s['claim'])}</li>" for s in r["subclaims"])
            + "</ul>"
        )
    rows = []
    for s in r.get("sources", []):
        quotes = (
            "".join(f"<blockquote>“{escape(c['quote'])}”</blockquote>" for c in s.get("citations", [])[:2])
            if s.get("stance") != "neutral"
            else ""
        )
        stance = s.get("stance", "neutral")
        rows.append(
            f"<tr><td>{escape(s.get('title') or s['doc_id'])}<br><code>{escape(s['doc_id'])}</code></td>"
            f"<td>{escape(s.get('date') or '—')}</td>"
            f'<td style="color:{STANCE_COLORS.get(stance, "#888")};font-weight:600">{escape(stance)}</td>'
            f'<td>{quotes}<span class="reason">{escape(s.get("reason", ""))}</span></td></tr>'
        )
    if rows:
        parts.append(
            '<table class="stances"><thead><tr><th style="width:28%">source</th><th>date</th>'
            "<th>stance</th><th>quote / reason</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
        )
    parts.append("</article>")
    return "".join(parts)


def to_html(records: list[dict[str, Any]], title: str) -> str:
    counts = label_counts(records)
    boxes = "".join(
        f'<div class="count" data-label="{k}" style="background:{COLORS[k]}"><b>{v}</b>{k}</div>'
        for k, v in counts.items()
    )
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1"><title>{escape(title)}</title>'
        f"<style>{CSS}</style></head><body><main>"
        f'<h1>{escape(title)}</h1><p class="muted">{len(records)} claims verified against the corpus; '
        f"each card shows what every source says, with exact quotes.</p>"
        f'<section id="summary"><div class="counts">{boxes}</div>{svg_chart(counts)}</section>'
        f'<section id="claims">{"".join(_card(r) for r in records)}</section>'
        f"</main></body></html>\n"
    )


def render(records: list[dict[str, Any]], fmt: str, title: str = "crosscheck batch") -> str:
    if fmt == "csv":
        return to_csv(records)
    if fmt == "md":
        return to_markdown(records, title)
    if fmt == "html":
        return to_html(records, title)
    return to_jsonl(records)
