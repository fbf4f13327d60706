"""A gold claim set rewritten as Title Case headlines, to measure claims that arrive as headlines.

    python -m evals.title_case evals/gold/dev_story_claims.jsonl /tmp/dev_story_title.jsonl

Every word is capitalised except short function words after the first, and the final full stop is dropped
("Westmoor Officials Have Refused to Hand Over the Ransom Money"). Labels and sources are unchanged. Derived
from a dev set, the result is a dev set too; from a test set, only measure it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

SMALL = frozenset({"a", "an", "the", "and", "but", "or", "for", "nor", "on", "at", "to", "by", "of", "in", "up", "as"})


def title_case(claim: str) -> str:
    words = claim.split(" ")
    out = [w[:1].upper() + w[1:] if w[:1].isalpha() and (i == 0 or w.lower() not in SMALL) else w for i, w in
           enumerate(words)]  # fmt: skip
    return " ".join(out).rstrip(".")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("src", type=Path)
    ap.add_argument("dst", type=Path)
    args = ap.parse_args()
    rows = [json.loads(x) for x in args.src.read_text(encoding="utf-8").splitlines() if x.strip()]
    with args.dst.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps({**r, "claim": title_case(r["claim"])}) + "\n")
    print(f"{len(rows)} claims -> {args.dst}")


if __name__ == "__main__":
    main()
