"""The offline checks `cross_check.sentence_signal` runs on each (claim, sentence): one module per check,
each a `check(ctx: CheckContext) -> CheckResult` (see `base`). `SLOT_CHECKS` compare values and run
on every sentence; `NAME_CHECKS` run only when none of those refutes; `DECIDING_CHECKS` run after that,
and the first that refutes decides the sentence."""

from agent.pipeline.nodes.checks import actors, dates, durations, figures, names, polarity, responses, status, titles

# in order: the orchestrator reads the results positionally (responses and actors carry `decisive`)
SLOT_CHECKS = (figures.check, durations.check, dates.check, responses.check, actors.check, titles.check)
NAME_CHECKS = (names.check,)
DECIDING_CHECKS = (polarity.check, status.check)
