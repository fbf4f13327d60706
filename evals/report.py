"""Report files for one run (results.jsonl, summary.json, report.md, report.html), baseline deltas, the CI gate."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, PackageLoader

from agent.app.report import TEMPLATES

GATE_TOLERANCE = 0.02
TRACKED = (
    "accuracy",
    "macro_f1",
    "citation_precision",
    "source_recall",
    "quote_validity",
    "evidence_recall@3",
    "ece",
    "latency_ms.p50",
    "latency_ms.p95",
    "llm_per_claim.calls",
    "qa.key_fact_recall",
    "qa.citation_validity",
    "official.abstract_label_only.f1",
    "official.sentence_selection_label.f1",
)


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


def gate(
    summary: dict[str, Any],
    baseline: dict[str, Any] | None,
    tolerance: float = GATE_TOLERANCE,
    metrics: Sequence[str] = ("macro_f1",),
) -> GateResult:
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


def write_report(
    out_dir: Path,
    rows: Sequence[dict[str, Any]],
    summary: dict[str, Any],
    baseline: dict[str, Any] | None = None,
    title: str = "crosscheck eval",
) -> dict[str, Path]:
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
    rows: list[tuple[str, Any]] = [
        (k, summary.get(k))
        for k in (
            "claims",
            "accuracy",
            "macro_f1",
            "citation_precision",
            "source_recall",
            "quote_validity",
            "citations",
            "invalid_citations",
            "evidence_recall@3",
            "ece",
        )
        if k in summary
    ]
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
        lines += [
            "",
            "## Confusion (rows gold, columns predicted)",
            "",
            "| gold \\ pred | " + " | ".join(labs) + " |",
            "|---" * (len(labs) + 1) + "|",
        ]
        for lab, row in zip(labs, summary["confusion"], strict=True):
            lines.append(f"| {lab} | " + " | ".join(str(x) for x in row) + " |")
    if summary.get("baseline_deltas"):
        lines += ["", "## Against the baseline", "", "| metric | now | baseline | delta |", "|---|---|---|---|"]
        for k, d in summary["baseline_deltas"].items():
            lines.append(f"| {k} | {d['now']:.3f} | {d['baseline']:.3f} | {d['delta']:+.3f} |")
    fails = failures(rows)
    lines += [
        "",
        f"## Failures ({len(fails)})",
        "",
        "| id | gold | predicted | conf | claim | evidence |",
        "|---|---|---|---|---|---|",
    ]
    for r in fails[:200]:
        ev = "; ".join(f"{e['doc_id']} {e['stance']}: “{e['quote'][:120]}”" for e in r.get("evidence", [])[:3])
        claim = str(r.get("claim", "")).replace("|", "\\|")
        lines.append(
            f"| {r['id']} | {r.get('gold')} | {r.get('pred')} | {_fmt(r.get('confidence'))} | {claim} | "
            f"{(ev or r.get('error', '—')).replace('|', '/')} |"
        )
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------ html
# The eval page is the eval suite's own; it extends the product's shell (base.html.j2, macros.html.j2), with
# the product's autoescaping settings.
EVAL_TEMPLATES = Environment(
    loader=ChoiceLoader([PackageLoader("evals", "templates"), TEMPLATES.loader]),  # type: ignore[list-item]
    autoescape=True,
    keep_trailing_newline=True,
)


def html_report(rows: Sequence[dict[str, Any]], summary: dict[str, Any], title: str) -> str:
    """The page is evals/templates/eval_report.html.j2 (autoescaped) on the shell the batch report uses too."""
    matrix = summary.get("confusion") or []
    return EVAL_TEMPLATES.get_template("eval_report.html.j2").render(
        title=title,
        summary=summary,
        head=[(k, _fmt(v)) for k, v in headline(summary)],
        peak=max((x for row in matrix for x in row), default=0) or 1,
        total=sum(b["count"] for b in summary.get("reliability") or []) or 1,
        fails=failures(rows),
        fmt=_fmt,
    )
