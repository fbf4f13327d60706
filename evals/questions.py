"""Score the grouped answers (what chat and `crosscheck ask` call) on the per-source question gold set.

    python -m evals.questions [--gold evals/gold/seed_questions_by_source.jsonl]

Prints aggregates only: per-source answer accuracy (a null gold answer must be met by silence), disagreement
precision/recall of "sources differ", and quote validity. The set is a test set: individual errors are not
printed, so nobody tunes on them.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

from agent.app.answers import DatePoint, Value, answer_question, dates_compatible
from agent.pipeline.nodes.extract import entity_key, extract_entities
from agent.settings import PROJECT_ROOT

GOLD = PROJECT_ROOT / "evals" / "gold" / "seed_questions_by_source.jsonl"
_ISO = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")


def _point(text: str) -> DatePoint | None:
    m = _ISO.match(text.strip())
    if not m:
        return None
    y, mo, d = (int(g) if g else None for g in m.groups())
    return DatePoint(year=y, month=mo, day=d)


def _number(text: str) -> float | None:
    m = re.search(r"\d[\d,]*(?:\.\d+)?", text)
    return float(m.group().replace(",", "")) if m else None


def matches(gold: str, value: Value) -> bool:
    """Is our normalised value the gold one? Dates/periods by containment, figures within 2%, names as sets,
    yes/no by label; anything else by normalised text."""
    g = str(gold).strip()
    if value.kind == "when" and value.start and value.end:
        a, _, b = g.partition("/")
        start, end = _point(a), _point(b or a)
        if start and end:
            gv = Value(kind="when", text=g, label=g, start=start, end=end)
            return dates_compatible(gv, value)
    if value.kind == "count" and value.number is not None and (n := _number(g)) is not None:
        return abs(n - value.number) <= 0.02 * max(n, value.number)
    if value.kind == "yesno":
        return g.lower().startswith(value.label)
    if value.kind == "who":
        want = {entity_key(n) for n in extract_entities(g)} or {entity_key(g)}
        return want == {entity_key(n) for n in value.names}
    norm = re.sub(r"\W+", " ", g.lower()).strip()
    return norm in re.sub(r"\W+", " ", f"{value.label} {value.text}".lower())


def score(services: Any, rows: list[dict[str, Any]]) -> dict[str, Any]:
    index = services.index()
    pairs = correct = tp = n_pred = n_gold = quotes = bad_quotes = 0
    answered_gold = answered_right = 0
    for row in rows:
        out = answer_question(services, row["question"])
        ours = {a.doc_id: a.value for a in out.sources}
        for doc_id, gold in row["answers"].items():
            pairs += 1
            value = ours.get(doc_id)
            if gold is None:
                correct += value is None
            else:
                answered_gold += 1
                hit = value is not None and matches(gold, value)
                correct += hit
                answered_right += hit
        gold_differ, pred_differ = bool(row.get("differ")), out.differ
        n_gold += gold_differ
        n_pred += pred_differ
        tp += gold_differ and pred_differ
        cites = [*out.citations, *(c for g in out.groups for c in g.citations)]
        quotes += len(cites)
        bad_quotes += sum(not index.valid_citation(c) for c in cites)
    return {
        "questions": len(rows),
        "per_source_accuracy": round(correct / pairs, 3) if pairs else None,
        "accuracy_where_gold_answers": round(answered_right / answered_gold, 3) if answered_gold else None,
        "differ_precision": round(tp / n_pred, 3) if n_pred else None,
        "differ_recall": round(tp / n_gold, 3) if n_gold else None,
        "differ_gold": n_gold,
        "differ_predicted": n_pred,
        "quotes": quotes,
        "invalid_quotes": bad_quotes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", type=Path, default=GOLD)
    args = parser.parse_args()

    from agent.pipeline.services import Services
    from agent.settings import Settings, offline_environment

    offline_environment()
    services = Services.from_settings(Settings())
    rows = [json.loads(line) for line in args.gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    print(json.dumps(score(services, rows), indent=2))


if __name__ == "__main__":
    main()
