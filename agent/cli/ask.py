"""`crosscheck ask QUESTION`: the sources grouped by their answer."""

from __future__ import annotations

from typing import Annotated

import typer

from agent.cli.common import checked_input, console
from agent.cli.render import markup


def ask(
    question: Annotated[str, typer.Argument(help="the question to answer")],
    as_json: Annotated[bool, typer.Option("--json", help="print the grouped answer as JSON")] = False,
) -> None:
    """Answer one question source by source: the sources grouped by what they say, where they differ,
    one exact quote each, and which sources say nothing."""
    from agent.app.answers import answer_question

    question, services = checked_input(question, "question")
    answer = services.guard(lambda: answer_question(services, question))
    if as_json:
        print(answer.model_dump_json(indent=2))
    else:
        from rich.panel import Panel
        from rich.text import Text

        console.print(Panel(Text(answer.text), title=markup(question), title_align="left", border_style="cyan"))
