"""Batch reports: the records as JSONL, CSV, Markdown, or one self-contained HTML page."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from typing import Any

from jinja2 import Environment, PackageLoader

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
# The pages live in agent/app/templates/ (batch_report.html.j2 and conflicts.html.j2, on the shared base.html.j2
# and macros.html.j2); autoescaping is on for every template, so claims, quotes, reasons and titles are always
# escaped.
TEMPLATES = Environment(loader=PackageLoader("agent.app", "templates"), autoescape=True, keep_trailing_newline=True)
CHART_WIDTH, BAR_HEIGHT, LABEL_WIDTH = 460, 24, 150


def chart_rows(counts: dict[str, int]) -> dict[str, Any]:
    """Geometry of the label chart (macros.html.j2 `label_chart`): one bar per label, width by share."""
    total = max(1, sum(counts.values()))
    rows = [
        {
            "label": label,
            "n": n,
            "y": i * (BAR_HEIGHT + 8),
            "x": LABEL_WIDTH,
            "w": max(round((CHART_WIDTH - LABEL_WIDTH - 60) * n / total), 1),
            "h": BAR_HEIGHT,
            "color": COLORS.get(label, "#888"),
            "pct": f"{100 * n / total:.0f}",
        }
        for i, (label, n) in enumerate(counts.items())
    ]
    return {"rows": rows, "width": CHART_WIDTH, "height": len(counts) * (BAR_HEIGHT + 8)}


def to_html(records: list[dict[str, Any]], title: str) -> str:
    counts = label_counts(records)
    cards = [{"record": r, "label": label_of(r), "id": str(r.get("id", ""))} for r in records]
    return TEMPLATES.get_template("batch_report.html.j2").render(
        title=title,
        records=records,
        counts=counts,
        chart=chart_rows(counts),
        cards=cards,
        colors=COLORS,
        stance_colors=STANCE_COLORS,
    )


def render(records: list[dict[str, Any]], fmt: str, title: str = "crosscheck batch") -> str:
    if fmt == "csv":
        return to_csv(records)
    if fmt == "md":
        return to_markdown(records, title)
    if fmt == "html":
        return to_html(records, title)
    return to_jsonl(records)


def conflicts_html(cmap: Any, title: str = "crosscheck: where the sources differ") -> str:
    """The corpus map (`agent.app.conflicts.ConflictMap`) as one self-contained, escaped HTML page."""
    return TEMPLATES.get_template("conflicts.html.j2").render(title=title, map=cmap, stance_colors=STANCE_COLORS)
