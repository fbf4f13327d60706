"""`crosscheck chat`: a REPL where questions get cited answers and claims get verdicts."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import typer
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from agent.app.session import Session, Turn, classify, export, resolve_doc
from agent.cli.render import markup, safe
from agent.text import normalise_claim

HELP = """[bold]Ask a question[/] (ends with ? or starts with who/what/when/how/…) for a short answer with quotes,
or [bold]type a claim[/] to verify it against every source.
Questions are answered source by source, grouped by what each source says.
Follow-ups that refer back use the previous turn: "and the February one?", "did they deny it?",
"which source disagrees?"; a new question starts afresh.
  /help            this text
  /sources         the ingested documents
  /why             the full evidence and per-source stance behind the last answer
  /source DOC_ID   a source's own answer to the last question (or its stance on the last claim), and metadata
  /without DOC_ID  the last question or claim again, without that source
  /conflicts       where the sources differ: each point with every source's quote (computed once, ~30 s on 5 sources)
  /export FILE     this session's verdicts as JSONL
  /quit            leave (Ctrl-D too; Ctrl-C cancels the current input or answer)
Esc then Enter inserts a new line."""


def answer_panel(turn: Turn) -> Panel:
    assert turn.answer is not None
    body = Text(safe(turn.answer.text))
    if turn.answer.citations:
        body.append("\n\n")
        for i, c in enumerate(turn.answer.citations, 1):
            body.append(f"[{i}] {safe(c.doc_id)} chars {c.start}–{c.end}\n", style="dim")
    q = turn.question
    # a follow-up that used the previous turn says how it was read; a new question does not
    followed = q is not None and q.query not in ("", q.text)
    context = f"read with the previous turn: {markup(q.query)}" if q is not None and followed else None
    return Panel(
        body, title=markup(turn.text), title_align="left", subtitle=context, subtitle_align="left", border_style="cyan"
    )


def why_view(session: Session) -> Any:
    from agent.cli.render import stance_table

    last = session.last
    if last is None:
        return Text("Nothing to explain yet: ask a question or type a claim.")
    parts: list[Any] = [Text(f"Evidence behind: {safe(last.text)}", style="bold")]
    previous = session.last_verdict() if last.answer and not last.evidence else None
    record = last.record or (previous.record if previous is not None else None)
    if record is not None:
        parts.append(Text(f"{record.label} (confidence {record.confidence:.2f}) — {safe(record.rationale)}"))
        parts.append(stance_table(record))
        for c in record.citations:
            parts.append(Text(f"  {safe(c.doc_id)} [{c.start}:{c.end}] “{safe(c.quote)}”"))
    if last.evidence:
        table = Table("score", "source", "evidence sentence", expand=True, show_lines=True)
        for e in sorted(last.evidence, key=lambda e: -e.score)[:10]:
            table.add_row(
                f"{e.score:.2f}",
                f"{markup(e.sentence.doc_id)}\n[dim]{e.sentence.start}–{e.sentence.end}[/]",
                markup(e.sentence.text),
            )
        parts.append(table)
    return Group(*parts)


def sources_table(session: Session) -> Table:
    metas = session.services.index().metas
    table = Table(title=f"{len(metas)} sources")
    for col in ("doc_id", "title", "date", "chunks"):
        table.add_column(col, overflow="fold")
    for m in metas.values():
        table.add_row(markup(m.doc_id), markup(m.title), markup(m.date or "—"), str(m.chunks))
    return table


def source_view(session: Session, doc_id: str) -> Any:
    metas = session.services.index().metas
    meta = metas.get(doc_id) or next((m for d, m in metas.items() if d.startswith(doc_id)), None) if doc_id else None
    if meta is None:
        return Text(f"no source {doc_id!r}; /sources lists them", style="red")
    table = Table(show_header=False, title=markup(meta.doc_id))
    for k in ("title", "date", "author", "outlet", "url", "path", "n_chars", "chunks"):
        v = getattr(meta, k)
        if v not in (None, ""):
            table.add_row(k, markup(v))
    lines = own_answer(session, meta.doc_id)
    cites = session.cited(meta.doc_id)
    lines.append(Text(f"cited {len(cites)} time(s) in this session"))
    lines += [Text(f"  for “{safe(t.text)}”: [{c.start}:{c.end}] “{safe(c.quote)}”") for t, c in cites]
    return Group(table, *lines)


def own_answer(session: Session, doc_id: str) -> list[Text]:
    """What this source itself says to the last question (or about the last claim), with its quote."""
    last = next((t for t in reversed(session.turns) if t.question is not None or t.record is not None), None)
    if last is None:
        return []
    if last.record is not None:
        s = next((s for s in last.record.sources if s.doc_id == doc_id), None)
        if s is None:
            return [Text(f"on “{safe(last.text)}”: not among the sources searched")]
        quote = f": “{safe(s.citations[0].quote)}”" if s.citations else ""
        return [Text(f"on “{safe(last.text)}”: {s.stance} — {safe(s.reason)}{quote}")]
    a = next((a for a in last.answers if a.doc_id == doc_id), None)
    if a is None or a.citation is None:
        return [Text(f"its answer to “{safe(last.text)}”: it says nothing about it")]
    value = a.value.label if a.value is not None else "its closest sentence"
    c = a.citation
    return [Text(f"its answer to “{safe(last.text)}”: {safe(value)} — [{c.start}:{c.end}] “{safe(c.quote)}”")]


def handle(session: Session, line: str, console: Console) -> bool:
    """One input; False when the user wants to leave."""
    from agent.cli.render import verdict_panel

    text = normalise_claim(line)  # what is typed or pasted may carry escape sequences: none reach the screen
    if not text:
        return True
    if text.startswith("/"):
        cmd, _, arg = text.partition(" ")
        arg = arg.strip()
        if cmd in ("/quit", "/exit", "/q"):
            return False
        if cmd == "/help":
            console.print(HELP)
        elif cmd == "/sources":
            console.print(sources_table(session))
        elif cmd == "/why":
            console.print(why_view(session))
        elif cmd == "/source":
            console.print(source_view(session, arg) if arg else Text("usage: /source DOC_ID", style="red"))
        elif cmd == "/without":
            doc = resolve_doc(session, arg)
            if doc is None:
                console.print(Text(f"usage: /without DOC_ID (no source {arg!r}; /sources lists them)", style="red"))
            else:
                try:
                    with console.status(f"re-checking without {doc}…"):
                        out = session.without(doc)
                except LookupError as exc:
                    console.print(Text(str(exc), style="red"))
                else:
                    console.print(Text(f"without {doc}:", style="bold"))
                    console.print(answer_panel(out) if isinstance(out, Turn) else verdict_panel(out))
        elif cmd == "/conflicts":
            from agent.app.conflicts import conflict_map
            from agent.cli.conflicts import print_map

            if session.conflicts is None:
                console.print(Text("checking every source's statements against the others…", style="dim"))
                session.conflicts = conflict_map(session.services)
            print_map(session.conflicts, console)
        elif cmd == "/export":
            if not arg:
                console.print(Text("usage: /export FILE", style="red"))
            else:
                try:
                    n = export(session, Path(arg).expanduser())
                    console.print(f"wrote {n} verdict(s) to {markup(arg)}")
                except OSError as exc:
                    console.print(Text(f"cannot write {arg}: {exc.strerror or exc}", style="red"))
        else:
            console.print(Text(f"unknown command {cmd}; /help lists them", style="red"))
        return True
    if len(text) > session.services.settings.max_claim_chars:
        console.print(
            Text(f"too long: keep it under {session.services.settings.max_claim_chars} characters", style="red")
        )
        return True
    if classify(text) == "question":
        with console.status("searching the sources…"):
            turn = session.ask(text)
        console.print(answer_panel(turn))
    else:
        with console.status("verifying…"):
            turn = session.verify(text)
        assert turn.record is not None
        console.print(verdict_panel(turn.record))
    return True


def plain_lines(stream: Any) -> Iterator[str]:
    for line in stream:
        yield line.rstrip("\n")


def prompt_lines(history_file: Path) -> Iterator[str]:
    """Lines from a prompt_toolkit prompt with saved history; Ctrl-C clears the line, Ctrl-D ends."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory
    from prompt_toolkit.key_binding import KeyBindings

    history_file.parent.mkdir(parents=True, exist_ok=True)
    keys = KeyBindings()

    @keys.add("escape", "enter")
    def _newline(event: Any) -> None:
        event.current_buffer.insert_text("\n")

    prompt: PromptSession[str] = PromptSession(history=FileHistory(str(history_file)), key_bindings=keys)
    while True:
        try:
            yield prompt.prompt("crosscheck> ")
        except KeyboardInterrupt:
            continue
        except EOFError:
            return


def repl(session: Session, lines: Iterator[str], console: Console, on_cancel: Callable[[], None]) -> None:
    for line in lines:
        try:
            if not handle(session, line, console):
                return
        except KeyboardInterrupt:
            on_cancel()


def chat() -> None:
    """Ask questions (cited, extractive answers offline) or type claims (verdicts); /help lists commands."""
    from agent.cli.common import State, fail

    console = Console()
    services = State.services()
    if services.guard(services.store.count) == 0:
        fail("the store is empty: run `crosscheck ingest` first", 1)
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    with console.status("loading the sources…"):
        services.guard(services.index)
    session = Session(services)
    if interactive:
        console.print(
            f"crosscheck chat over {len(services.index().metas)} sources — /help for commands, Ctrl-D to leave"
        )
        lines = prompt_lines(services.settings.data_dir / "chat_history")
    else:
        lines = plain_lines(sys.stdin)
    repl(session, lines, console, lambda: console.print("[dim]cancelled[/]"))


def register(app: typer.Typer) -> None:
    """Add `crosscheck chat` to the CLI."""
    app.command("chat")(chat)
