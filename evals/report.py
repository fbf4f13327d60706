"""Report files for one run (results.jsonl, summary.json, report.md, report.html), baseline deltas, the CI gate."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GATE_TOLERANCE = 0.02
TRACKED = ("accuracy", "macro_f1", "citation_precision", "source_recall", "quote_validity", "evidence_recall@3",
           "ece", "latency_ms.p50", "latency_ms.p95", "llm_per_claim.calls", "qa.key_fact_recall",
           "qa.citation_validity", "official.abstract_label_only.f1", "official.sentence_selection_label.f1")


def _get(summary: dict[str, Any], dotted: str) -> Any:
    cur: Any = summary
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def deltas(summary: dict[str, Any], baseline: dict[str, Any]) -> dict[str, dict[str, float]]:
    out = {}
    for key in TRACKED:
        now, then = _get(summary, key), _get(baseline, key)
        if isinstance(now, int | float) and isinstance(then, int | float):
            out[key] = {"now": float(now), "baseline": float(then), "delta": float(now) - float(then)}
    return out


@dataclass
class GateResult:
    ok: bool
    reasons: list[str] = field(default_factory=list)


METRIC_NAMES = {
    "macro_f1": "macro-F1",
    "official.abstract_label_only.f1": "abstract label-only F1",
    "official.sentence_selection_label.f1": "sentence selection+label F1",
}


def gate(summary: dict[str, Any], baseline: dict[str, Any] | None, tolerance: float = GATE_TOLERANCE,
         metrics: Sequence[str] = ("macro_f1",)) -> GateResult:
    """Fail when a gated metric (dotted key; default macro-F1) drops more than `tolerance` below the baseline,
    when any citation fails the slice check, or when a case raised. Metrics the baseline lacks are not gated."""
    reasons = []
    for key in metrics:
        then = _get(baseline or {}, key)
        if not isinstance(then, int | float):
            continue
        now = _get(summary, key)
        now = float(now) if isinstance(now, int | float) else 0.0
        floor = then - tolerance
        if now < floor:
            reasons.append(f"{METRIC_NAMES.get(key, key)} {now:.3f} < baseline {then:.3f} - {tolerance} = {floor:.3f}")
    bad = (summary.get("invalid_citations") or 0) + (_get(summary, "qa.invalid_citations") or 0)
    if bad:
        reasons.append(f"{bad} citation(s) fail the slice check (quote != text[start:end])")
    if summary.get("errors"):
        reasons.append(f"{summary['errors']} case(s) raised an error")
    return GateResult(not reasons, reasons)


def write_report(out_dir: Path, rows: Sequence[dict[str, Any]], summary: dict[str, Any],
                 baseline: dict[str, Any] | None = None, title: str = "crosscheck eval") -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    if baseline is not None:
        summary = {**summary, "baseline_deltas": deltas(summary, baseline)}
    paths = {name: out_dir / name for name in ("results.jsonl", "summary.json", "report.md", "report.html")}
    with paths["results.jsonl"].open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    paths["summary.json"].write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    paths["report.md"].write_text(markdown(rows, summary, title), encoding="utf-8")
    paths["report.html"].write_text(html_report(rows, summary, title), encoding="utf-8")
    return paths


def _fmt(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


def headline(summary: dict[str, Any]) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = [(k, summary.get(k)) for k in (
        "claims", "accuracy", "macro_f1", "citation_precision", "source_recall", "quote_validity", "citations",
        "invalid_citations", "evidence_recall@3", "ece") if k in summary]
    if "latency_ms" in summary:
        rows += [("latency p50 ms", summary["latency_ms"]["p50"]), ("latency p95 ms", summary["latency_ms"]["p95"])]
    if "llm_per_claim" in summary:
        rows += [(f"LLM {k} / claim", v) for k, v in summary["llm_per_claim"].items()]
    for k, v in summary.get("extra", {}).items():
        rows.append((k, v))
    for k, v in summary.get("qa", {}).items():
        if not isinstance(v, dict):
            rows.append((f"questions: {k}", v))
    return rows


def failures(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if r.get("kind") == "claim" and not r.get("correct")]


def markdown(rows: Sequence[dict[str, Any]], summary: dict[str, Any], title: str) -> str:
    lines = [f"# {title}: {summary.get('dataset', '')}", "", "| metric | value |", "|---|---|"]
    lines += [f"| {k} | {_fmt(v)} |" for k, v in headline(summary)]
    if summary.get("per_label"):
        lines += ["", "## Per label", "", "| label | precision | recall | F1 | support |", "|---|---|---|---|---|"]
        for lab, s in summary["per_label"].items():
            lines.append(f"| {lab} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | {int(s['support'])} |")
        labs = summary["labels"]
        lines += ["", "## Confusion (rows gold, columns predicted)", "",
                  "| gold \\ pred | " + " | ".join(labs) + " |", "|---" * (len(labs) + 1) + "|"]
        for lab, row in zip(labs, summary["confusion"], strict=True):
            lines.append(f"| {lab} | " + " | ".join(str(x) for x in row) + " |")
    if summary.get("baseline_deltas"):
        lines += ["", "## Against the baseline", "", "| metric | now | baseline | delta |", "|---|---|---|---|"]
        for k, d in summary["baseline_deltas"].items():
            lines.append(f"| {k} | {d['now']:.3f} | {d['baseline']:.3f} | {d['delta']:+.3f} |")
    fails = failures(rows)
    lines += ["", f"## Failures ({len(fails)})", "", "| id | gold | predicted | conf | claim | evidence |",
              "|---|---|---|---|---|---|"]
    for r in fails[:200]:
        ev = "; ".join(f"{e['doc_id']} {e['stance']}: “{e['quote'][:120]}”" for e in r.get("evidence", [])[:3])
        claim = str(r.get("claim", "")).replace("|", "\\|")
        lines.append(f"| {r['id']} | {r.get('gold')} | {r.get('pred')} | {_fmt(r.get('confidence'))} | {claim} | "
                     f"{(ev or r.get('error', '—')).replace('|', '/')} |")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------ SVG plots
def svg_confusion(labels: Sequence[str], matrix: Sequence[Sequence[int]]) -> str:
    cell, left, top = 70, 150, 40
    n = len(labels)
    peak = max((x for row in matrix for x in row), default=0) or 1
    w, h = left + cell * n + 90, top + cell * n + 110
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="plot" id="confusion" width="{w}" height="{h}">',
             f'<text x="{left}" y="20" font-size="13">predicted →  (rows: gold)</text>']
    for i, row in enumerate(matrix):
        parts.append(f'<text x="{left - 6}" y="{top + i * cell + cell / 2 + 4}" text-anchor="end" '
                     f'font-size="11">{html.escape(labels[i])}</text>')
        for j, v in enumerate(row):
            a = v / peak
            fill = f"rgba(31,119,180,{0.08 + 0.92 * a:.2f})"
            parts.append(f'<rect x="{left + j * cell}" y="{top + i * cell}" width="{cell}" height="{cell}" '
                         f'fill="{fill}" stroke="#fff"/>')
            parts.append(f'<text x="{left + j * cell + cell / 2}" y="{top + i * cell + cell / 2 + 5}" '
                         f'text-anchor="middle" font-size="14" fill="{"#fff" if a > 0.5 else "#222"}">{v}</text>')
    for j, lab in enumerate(labels):
        x, y = left + j * cell + cell / 2, top + n * cell + 10
        parts.append(f'<text x="{x}" y="{y}" font-size="11" transform="rotate(40 {x} {y})">{html.escape(lab)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def svg_bars(per_label: dict[str, dict[str, float]]) -> str:
    metrics = ("precision", "recall", "f1")
    colors = ("#1f77b4", "#ff7f0e", "#2ca02c")
    group, bar, left, top, height = 130, 30, 40, 20, 200
    w, h = left + group * len(per_label) + 20, top + height + 60
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="plot" id="per-label" width="{w}" height="{h}">']
    for t in (0, 0.5, 1):
        y = top + height * (1 - t)
        parts.append(f'<line x1="{left}" x2="{w}" y1="{y}" y2="{y}" stroke="#ddd"/>'
                     f'<text x="{left - 4}" y="{y + 4}" text-anchor="end" font-size="10">{t}</text>')
    for g, (lab, s) in enumerate(per_label.items()):
        for k, (met, col) in enumerate(zip(metrics, colors, strict=True)):
            v = s[met]
            x = left + g * group + 10 + k * bar
            parts.append(f'<rect x="{x}" y="{top + height * (1 - v)}" width="{bar - 4}" height="{height * v}" '
                         f'fill="{col}"><title>{html.escape(lab)} {met} {v:.3f}</title></rect>')
        parts.append(f'<text x="{left + g * group + 55}" y="{top + height + 16}" text-anchor="middle" '
                     f'font-size="11">{html.escape(lab)}</text>')
    for k, (met, col) in enumerate(zip(metrics, colors, strict=True)):
        parts.append(f'<rect x="{left + k * 90}" y="{h - 20}" width="10" height="10" fill="{col}"/>'
                     f'<text x="{left + k * 90 + 14}" y="{h - 11}" font-size="11">{met}</text>')
    parts.append("</svg>")
    return "".join(parts)


def svg_reliability(bins: Sequence[dict[str, float]]) -> str:
    size, left, top = 260, 45, 15
    w, h = left + size + 20, top + size + 45
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="plot" id="reliability" width="{w}" height="{h}">',
             f'<rect x="{left}" y="{top}" width="{size}" height="{size}" fill="none" stroke="#999"/>',
             f'<line x1="{left}" y1="{top + size}" x2="{left + size}" y2="{top}" stroke="#999" stroke-dasharray="4"/>']
    total = sum(b["count"] for b in bins) or 1
    for b in bins:
        if not b["count"]:
            continue
        x = left + b["lo"] * size
        bw = (b["hi"] - b["lo"]) * size
        parts.append(f'<rect x="{x + 1}" y="{top + size * (1 - b["accuracy"])}" width="{bw - 2}" '
                     f'height="{size * b["accuracy"]}" fill="#1f77b4" fill-opacity="0.75"><title>'
                     f'conf {b["lo"]:.1f}–{b["hi"]:.1f}: n={int(b["count"])}, accuracy {b["accuracy"]:.2f}, '
                     f'mean confidence {b["confidence"]:.2f}</title></rect>')
        parts.append(f'<rect x="{x + 1}" y="{top + size - 3}" width="{(bw - 2) * b["count"] / total}" height="3" '
                     f'fill="#d62728"/>')
    parts.append(f'<text x="{left + size / 2}" y="{h - 8}" text-anchor="middle" font-size="11">confidence</text>'
                 f'<text x="12" y="{top + size / 2}" font-size="11" transform="rotate(-90 12 {top + size / 2})" '
                 f'text-anchor="middle">accuracy</text></svg>')
    return "".join(parts)


def html_report(rows: Sequence[dict[str, Any]], summary: dict[str, Any], title: str) -> str:
    e = html.escape
    head = "".join(f"<tr><th>{e(k)}</th><td>{e(_fmt(v))}</td></tr>" for k, v in headline(summary))
    plots = ""
    if summary.get("confusion"):
        plots = (f"<figure><figcaption>Confusion matrix</figcaption>"
                 f"{svg_confusion(summary['labels'], summary['confusion'])}</figure>"
                 f"<figure><figcaption>Per-label precision / recall / F1</figcaption>"
                 f"{svg_bars(summary['per_label'])}</figure>"
                 f"<figure><figcaption>Reliability diagram (ECE {summary.get('ece', 0):.3f}); red: share of cases"
                 f"</figcaption>{svg_reliability(summary['reliability'])}</figure>")
    delta = ""
    if summary.get("baseline_deltas"):
        delta = ("<h2>Against the baseline</h2><table>"
                 "<tr><th>metric</th><th>now</th><th>baseline</th><th>delta</th></tr>")
        delta += "".join(f"<tr><td>{e(k)}</td><td>{d['now']:.3f}</td><td>{d['baseline']:.3f}</td>"
                         f"<td class='{'neg' if d['delta'] < 0 else 'pos'}'>{d['delta']:+.3f}</td></tr>"
                         for k, d in summary["baseline_deltas"].items()) + "</table>"
    fails = failures(rows)
    ftable = "".join(
        f"<tr><td>{e(str(r['id']))}</td><td>{e(str(r.get('gold')))}</td><td>{e(str(r.get('pred')))}</td>"
        f"<td>{e(_fmt(r.get('confidence')))}</td><td>{e(str(r.get('claim', '')))}</td><td><ul>"
        + "".join(f"<li><b>{e(x['doc_id'])}</b> {e(x['stance'])}: “{e(x['quote'][:240])}”</li>"
                  for x in r.get("evidence", [])[:4])
        + (f"<li>{e(r['error'])}</li>" if r.get("error") else "")
        + f"</ul><small>{e(str(r.get('rationale', ''))[:300])}</small></td></tr>"
        for r in fails[:300])
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>
<style>
body{{font-family:system-ui,sans-serif;margin:24px;color:#222}} table{{border-collapse:collapse;margin:8px 0}}
td,th{{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top;font-size:13px}}
figure{{display:inline-block;margin:8px 24px 8px 0;vertical-align:top}} figcaption{{font-weight:600}}
.neg{{color:#b00}} .pos{{color:#070}} ul{{margin:0;padding-left:16px}}
</style></head><body>
<h1>{e(title)}: {e(str(summary.get('dataset', '')))}</h1>
<table>{head}</table>
<div class="plots">{plots}</div>
{delta}
<h2>Failures ({len(fails)})</h2>
<table><tr><th>id</th><th>gold</th><th>predicted</th><th>conf</th><th>claim</th>
<th>evidence (non-neutral sources)</th></tr>
{ftable}</table>
</body></html>
"""
