"""Rich rendering of verdicts for the terminal (verify, chat)."""

from __future__ import annotations

from rich.console import Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from agent.schemas import ClaimRecord
from agent.text import strip_controls

LABEL_STYLE = {
    "SUPPORTED": "bold green",
    "REFUTED": "bold red",
    "CONFLICTING": "bold yellow",
    "NOT_ENOUGH_INFO": "bold blue",
}
STANCE_STYLE = {"supports": "green", "refutes": "red", "neutral": "dim"}


def safe(text: object) -> str:
    """Text for the terminal: no escape sequences or control characters (a title or quote could carry them)."""
    return strip_controls(str(text))


def markup(text: object) -> str:
    """`safe` and escaped for Rich markup, for strings spliced into markup."""
    return escape(safe(text))


def stance_table(record: ClaimRecord, show_neutral: bool = True) -> Table:
    table = Table(expand=True, show_lines=True)
    table.add_column("source", ratio=3, overflow="fold")
    table.add_column("date", min_width=10, no_wrap=True)
    table.add_column("stance", min_width=8, no_wrap=True)
    table.add_column("quote / reason", ratio=6, overflow="fold")
    for s in record.sources:
        if s.stance == "neutral" and not show_neutral:
            continue
        quote = s.citations[0].quote if s.citations and s.stance != "neutral" else ""
        body = Text()
        if quote:
            body.append(f"“{safe(quote)}”\n")
        body.append(safe(s.reason), style="italic dim")
        table.add_row(
            f"{markup(s.title or s.doc_id)}\n[dim]{markup(s.doc_id)}[/]",
            markup(s.date or "—"),
            f"[{STANCE_STYLE[s.stance]}]{s.stance}[/]",
            body,
        )
    return table


def verdict_panel(record: ClaimRecord) -> Panel:
    head = Text()
    head.append(record.label, style=LABEL_STYLE[record.label])
    head.append(f"  confidence {record.confidence:.2f}\n")
    head.append(safe(record.rationale))
    parts: list[object] = [head]
    for sub in record.subclaims:
        parts.append(Text.assemble(("  • ", ""), (sub.label, LABEL_STYLE[sub.label]), f"  {safe(sub.claim)}"))
    parts.append(stance_table(record))
    return Panel(Group(*parts), title=markup(record.claim), title_align="left")  # type: ignore[arg-type]
