"""`crosscheck verify CLAIM`: one verdict, with what each source says."""

from __future__ import annotations

from typing import Annotated

import typer

from agent.cli.common import checked_input, console


def verify(
    claim: Annotated[str, typer.Argument(help="the claim to check")],
    as_json: Annotated[bool, typer.Option("--json", help="print the batch record as JSON")] = False,
) -> None:
    """Verify one claim: label, confidence, rationale and what each source says, with quotes."""
    from agent.app.verify import verify_claim
    from agent.cli.render import verdict_panel

    claim, services = checked_input(claim, "claim")
    record = services.guard(lambda: verify_claim(services, claim))
    if as_json:
        print(record.model_dump_json(indent=2))
    else:
        console.print(verdict_panel(record))
