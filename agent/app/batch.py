"""The batch runner: read a claim list (bad lines become error records in place), verify it in parallel,
journal each record so `--resume` skips what was done, and write the records in input order."""

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
from typing import Any

from agent.data.store import StoreUnavailable
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
    except StoreUnavailable:
        raise  # the server is gone: the whole run stops (resumable), no claim is marked failed for it
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
    model = services.stance_model()
    if model is not None:
        model.parallel(workers)  # one model session per worker: claims scored side by side
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
