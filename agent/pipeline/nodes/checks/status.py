"""Status: the claim says it has happened ('has become law'), the source that it is still to come.

Run only when no check refutes; a refutation here decides the sentence."""

from __future__ import annotations

import re

from agent.pipeline.nodes.checks.base import NO_RESULT, CheckContext, CheckResult, Refutation

_DONE = re.compile(
    r"\b(?:has|have|had)\s+(?:already\s+)?(?:become|been\s+(?:passed|enacted|signed|approved|adopted|finali[sz]ed|"
    r"completed|settled|closed))\b|\b(?:became|become|is\s+now|already)\s+law\b|\b(?:was|were)\s+(?:passed|enacted|"
    r"signed into law|approved|adopted|finali[sz]ed|completed|settled)\b|\b(?:took|has taken|went into)\s+effect\b",
    re.I,
)
_PENDING = re.compile(
    r"\b(?:working on|drafting|drafts?|would|proposed|proposal|considering|plans? to|planning|expected to|pending|"
    r"yet to|introduc(?:e|ed|es|ing)|seeking|under review|could)\b",
    re.I,
)


def check(ctx: CheckContext) -> CheckResult:
    if (
        ctx.pcov >= 0.4
        and ctx.shared
        and not ctx.missing_rare
        and _DONE.search(ctx.claim.text)
        and not _DONE.search(ctx.text)
        and _PENDING.search(ctx.text)
    ):
        why = "claim says it has happened; the source says it is still planned or pending"
        return CheckResult(refutes=(Refutation(0.6, why, "status"),))
    return NO_RESULT
