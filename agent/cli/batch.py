"""`crosscheck batch`: verify a claim list in parallel, resumably, with error records for bad lines."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from agent.cli.render import markup
from agent.schemas import ClaimRecord
from agent.text import normalise_claim

FORMATS = ("jsonl", "csv", "html", "md")
INPUT_SUFFIXES = (".jsonl", ".csv", ".txt")
RECORD_FIELDS = frozenset(ClaimRecord.model_fields) | {"line", "error"}


class InputError(Exception):
    """The input file as a whole cannot be read (exit 2)."""


@dataclass
class Item:
    """One input line: a claim to verify, or an error record to emit in its place."""

    line: int
    id: str
    claim: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def error_record(self) -> dict[str, Any]:
        return {"id": self.id, "line": self.line, "error": self.error}


# ------------------------------------------------------------------------------------------- reading
def read_text(path: Path) -> str:
    """The file's text, or InputError when it is missing, binary or not UTF-8."""
    if path.suffix.lower() not in INPUT_SUFFIXES:
        raise InputError(f"unsupported input type {path.suffix or '(none)'!r}: use .jsonl, .csv or .txt")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"input file not found: {path}") from None
    except IsADirectoryError:
        raise InputError(f"input is a directory, not a file: {path}") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    if b"\x00" in data:
        raise InputError(f"{path} looks like a binary file, not a claim list")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path} is not UTF-8 text (byte {exc.start})") from None


def _parse_jsonl(text: str) -> Iterator[Item]:
    for n, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            yield Item(n, str(n), error=f"malformed JSON: {exc.msg} (column {exc.colno})")
            continue
        if not isinstance(obj, dict):
            yield Item(n, str(n), error=f"expected a JSON object, got {type(obj).__name__}")
            continue
        ident = obj.get("id")
        ident = str(n) if ident is None or str(ident).strip() == "" else str(ident)
        claim = obj.get("claim")
        if claim is None:
            yield Item(n, ident, error="no `claim` field")
            continue
        if not isinstance(claim, str):
            yield Item(n, ident, error=f"`claim` must be a string, got {type(claim).__name__}")
            continue
        extra = {k: v for k, v in obj.items() if k not in ("id", "claim")}
        yield Item(n, ident, claim, extra)


def _parse_csv(text: str) -> Iterator[Item]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if "claim" not in header:
        raise InputError("the CSV has no `claim` column" + (f" (columns: {', '.join(header)})" if header else ""))
    reader.fieldnames = header
    try:
        for row in reader:
            n = reader.line_num
            if all((v or "").strip() == "" for k, v in row.items() if k is not None):
                continue
            ident = (row.get("id") or "").strip() or str(n)
            claim = row.get("claim")
            if claim is None:
                yield Item(n, ident, error="row has no `claim` value (too few columns)")
                continue
            extra = {k: v for k, v in row.items() if k not in ("id", "claim") and k is not None}
            yield Item(n, ident, claim, extra)
    except csv.Error as exc:
        raise InputError(f"CSV parse error at line {reader.line_num}: {exc}") from None


def _parse_txt(text: str) -> Iterator[Item]:
    """Every line is a claim: a blank one becomes an `empty claim` error record in its place, as in JSONL."""
    for n, raw in enumerate(text.splitlines(), 1):
        yield Item(n, str(n), raw)


def load_items(path: Path, max_chars: int) -> list[Item]:
    """Every input line as an Item, in file order; per-line problems become error items."""
    text = read_text(path)
    parse = {".jsonl": _parse_jsonl, ".csv": _parse_csv, ".txt": _parse_txt}[path.suffix.lower()]
    items: list[Item] = []
    seen: dict[str, int] = {}
    for item in parse(text):
        if item.error is None:
            item.claim = normalise_claim(item.claim)
            if not item.claim:
                item.error = "empty claim"
            elif len(item.claim) > max_chars:
                item.error = f"claim is {len(item.claim)} characters, over the limit of {max_chars}"
        if item.id in seen:
            item.error = f"duplicate id {item.id!r} (first on line {seen[item.id]})"
            item.id = f"{item.id}@{item.line}"
        seen.setdefault(item.id, item.line)
        items.append(item)
    return items


# ------------------------------------------------------------------------------------------- records
def to_record(item: Item, record: ClaimRecord) -> dict[str, Any]:
    """The design's record, with the input's extra fields carried through (renamed when they collide)."""
    out: dict[str, Any] = record.model_dump(mode="json")
    for k, v in item.extra.items():
        out[f"input_{k}" if k in RECORD_FIELDS else k] = v
    return out


def verify_item(services: Any, item: Item) -> dict[str, Any]:
    from agent.app.verify import verify_claim

    try:
        return to_record(item, verify_claim(services, item.claim, item.id))
    except Exception as exc:  # one failed claim must not sink the batch; it is reported in its place
        return {"id": item.id, "line": item.line, "error": f"verification failed: {type(exc).__name__}: {exc}"}


class Journal:
    """Append-only completion log next to the output: one JSON record per line, written as each finishes."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> dict[str, dict[str, Any]]:
        done: dict[str, dict[str, Any]] = {}
        if not self.path.exists():
            return done
        good = 0
        with self.path.open("rb") as f:
            for raw in f:
                try:
                    rec = json.loads(raw)
                except (json.JSONDecodeError, UnicodeDecodeError):
                    break  # a line cut short by a kill: everything after it is untrustworthy
                if not raw.endswith(b"\n"):
                    break
                good += len(raw)
                if isinstance(rec, dict) and "id" in rec:
                    done[str(rec["id"])] = rec
        with self.path.open("r+b") as f:  # drop a torn tail so appends start on a clean line
            f.truncate(good)
        return done

    def open(self) -> Any:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return self.path.open("a", encoding="utf-8")


def load_existing_output(path: Path) -> dict[str, dict[str, Any]]:
    """Records of a finished JSONL output (resume after completion re-verifies nothing)."""
    done: dict[str, dict[str, Any]] = {}
    if path.suffix.lower() != ".jsonl" or not path.is_file():
        return done
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            rec = json.loads(raw)
        except json.JSONDecodeError:
            continue
        if isinstance(rec, dict) and "id" in rec and "error" not in rec:
            done[str(rec["id"])] = rec
    return done


def run_items(
    services: Any,
    items: list[Item],
    workers: int,
    on_done: Callable[[Item, dict[str, Any]], None],
) -> None:
    """Verify items on a thread pool, calling on_done (in the calling thread) as each completes."""
    if not items:
        return
    services.index()  # build the shared index once, before the workers race for it
    pending = iter(items)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="verify") as pool:
        running: dict[Future[dict[str, Any]], Item] = {}
        try:
            for item in pending:  # keep a bounded window in flight so Ctrl-C stops promptly
                running[pool.submit(verify_item, services, item)] = item
                if len(running) >= workers * 2:
                    break
            while running:
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in finished:
                    on_done(running.pop(fut), fut.result())
                    nxt = next(pending, None)
                    if nxt is not None:
                        running[pool.submit(verify_item, services, nxt)] = nxt
        except BaseException:
            for fut in running:
                fut.cancel()
            raise


# ------------------------------------------------------------------------------------------- output
class RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        elapsed = task.finished_time if task.finished else task.elapsed
        speed = task.completed / elapsed if elapsed and task.completed else None
        return Text(f"{speed:.1f} claims/s" if speed else "– claims/s", style="progress.data.speed")


def output_format(out: Path | None, fmt: str | None) -> str:
    if fmt:
        fmt = fmt.lower().lstrip(".")
        if fmt not in FORMATS:
            raise InputError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
        return fmt
    if out is None:
        return "jsonl"
    suffix = out.suffix.lower().lstrip(".")
    return {"json": "jsonl", "htm": "html", "markdown": "md"}.get(suffix, suffix if suffix in FORMATS else "jsonl")


def write_output(records: list[dict[str, Any]], fmt: str, out: Path | None, title: str) -> None:
    from agent.app import report

    text = report.render(records, fmt, title)
    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, out)


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def batch(
    file: Annotated[Path, typer.Argument(help="claims: .jsonl (`claim`, `id`), .csv (`claim` column) or .txt")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="output file (default: stdout)")] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="jsonl | csv | html | md (default: by extension)")] = None,
    workers: Annotated[int, typer.Option(help="parallel verifications", min=1)] = default_workers(),
    resume: Annotated[bool, typer.Option("--resume", help="keep records already in OUT; do the rest")] = False,
) -> None:
    """Verify every claim in FILE; records come out in input order, bad lines as error records in place."""
    from agent.cli.common import State, fail

    err = Console(stderr=True)
    try:
        fmt_name = output_format(output, fmt)
    except InputError as exc:
        fail(str(exc))
    if resume and output is None:
        fail("--resume needs an output file (-o OUT)")
    services = State.services()
    try:
        items = load_items(file, services.settings.max_claim_chars)
    except InputError as exc:
        fail(str(exc))
    for item in items:
        if item.error:
            err.print(f"[yellow]line {item.line}[/] ({markup(item.id)}): {markup(item.error)}", soft_wrap=True)
    todo = [i for i in items if i.error is None]
    if todo and services.guard(services.store.count) == 0:
        fail("the store is empty: run `crosscheck ingest` first")

    journal = Journal(output.with_name(output.name + ".partial")) if output is not None else None
    done: dict[str, dict[str, Any]] = {}
    if journal is not None:
        if resume:
            done = load_existing_output(output) if output is not None else {}
            done.update(journal.load())
        elif journal.path.exists():
            journal.path.unlink()
    todo = [i for i in todo if i.id not in done or "error" in done[i.id]]
    if resume and done:
        err.print(f"resuming: {len(items) - len(todo) - sum(1 for i in items if i.error)} done, {len(todo)} to go")

    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=err,
        transient=False,
        disable=not todo,
    ) as bar:
        task = bar.add_task("verifying", total=len(todo))
        sink = journal.open() if journal is not None else None
        try:

            def on_done(item: Item, rec: dict[str, Any]) -> None:
                done[item.id] = rec
                if sink is not None:
                    sink.write(json.dumps(rec, ensure_ascii=False) + "\n")
                    sink.flush()
                if "error" in rec:
                    err.print(f"[red]line {item.line}[/] ({markup(item.id)}): {markup(rec['error'])}", soft_wrap=True)
                bar.advance(task)

            services.guard(lambda: run_items(services, todo, workers, on_done))
        except KeyboardInterrupt:
            bar.stop()
            hint = " — rerun with --resume to finish" if journal is not None else ""
            err.print(f"interrupted after {len(done)} record(s){hint}")
            raise typer.Exit(130) from None
        finally:
            if sink is not None:
                sink.close()

    records = [item.error_record() if item.error else done[item.id] for item in items]
    write_output(records, fmt_name, output, title=f"crosscheck batch: {file.name}")
    if journal is not None and journal.path.exists():
        journal.path.unlink()
    failed = sum("error" in r for r in records)
    counts: dict[str, int] = {}
    for r in records:
        counts[r.get("label", "ERROR")] = counts.get(r.get("label", "ERROR"), 0) + 1
    if output is not None and len(records) <= 50:
        err.print(verdict_table(records))
    summary = ", ".join(f"{k} {v}" for k, v in counts.items())
    err.print(f"{len(records)} record(s): {summary}" + (f" → {markup(output)}" if output else ""), soft_wrap=True)
    if failed:
        raise typer.Exit(1)


def verdict_table(records: list[dict[str, Any]]) -> Table:
    """One row per claim: the glance a person wants after a short batch."""
    from agent.cli.render import LABEL_STYLE

    table = Table(title="verdicts", expand=True)
    table.add_column("id", no_wrap=True)
    table.add_column("label", no_wrap=True)
    table.add_column("conf", justify="right", no_wrap=True)
    table.add_column("for / against", no_wrap=True)
    table.add_column("claim", ratio=1, overflow="fold")
    for r in records:
        if "error" in r:
            table.add_row(markup(r["id"]), "[red]ERROR[/]", "", "", markup(r["error"]))
            continue
        pro = sum(s["stance"] == "supports" for s in r.get("sources", []))
        con = sum(s["stance"] == "refutes" for s in r.get("sources", []))
        table.add_row(
            markup(r["id"]),
            f"[{LABEL_STYLE[r['label']]}]{r['label']}[/]",
            f"{r['confidence']:.2f}",
            f"{pro} / {con}",
            markup(r["claim"]),
        )
    return table


def register(app: typer.Typer) -> None:
    """Add `crosscheck batch` to the CLI."""
    app.command("batch")(batch)
