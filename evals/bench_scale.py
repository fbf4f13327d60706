"""Scale benchmark: verification cost as the corpus grows (`make bench-scale`, not in CI).

    python -m evals.bench_scale [--sizes 1000 10000 50000] [--claims 40] [--out reports/bench-scale.json] [--server]

For each size, a corpus of that many documents is built from SciFact's 5,183 abstracts (repeated with new
ids and a numbered title past 5,183, so every document is distinct to the store), ingested into a fresh
embedded store, and measured, each phase in its own process so peak RSS is the phase's own:
- ingest: wall time, documents/s, the share of it spent encoding (every chunk and sentence encode), and an
  unchanged re-ingest;
- store size on disk (Chroma + sentence vectors);
- verify over SciFact dev claims: p50/p95 on the first pass of a fresh process (after the restart the
  sentence vectors are already stored) and on a second, warm pass, and the time to build the index;
- batch claims/s over the same claims with the default workers, in a process that loads the saved index
  (`index_restart_s`: what a restart costs) and the models (`models_load_s`) before the clock starts.
Results go to `--out` as JSON, one object per size, and are printed as a table.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from agent.settings import PROJECT_ROOT, Settings  # noqa: E402
from evals.metrics import percentile  # noqa: E402


def build_corpus(size: int, out: Path) -> Path:
    src = Settings().benchmarks_dir / "scifact" / "corpus.jsonl"
    rows = [json.loads(line) for line in src.read_text(encoding="utf-8").splitlines() if line.strip()]
    with out.open("w", encoding="utf-8") as fh:
        for i in range(size):
            r = rows[i % len(rows)]
            copy = i // len(rows)
            doc = {
                "doc_id": f"{r['doc_id']}" + (f"-{copy}" if copy else ""),
                "title": r.get("title", "") + (f" ({copy})" if copy else ""),
                "abstract": r["abstract"],
            }
            fh.write(json.dumps(doc) + "\n")
    return out


def claims(n: int) -> list[str]:
    path = Settings().benchmarks_dir / "scifact" / "claims_dev.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r["claim"] for r in rows[:n]]


def du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


class PhaseFailed(RuntimeError):
    pass


def child(phase: str, data_dir: Path, arg: str) -> dict[str, Any]:
    """Run one phase in a fresh process; its JSON result plus its own peak RSS."""
    out = subprocess.run(
        [sys.executable, "-m", "evals.bench_scale", "--phase", phase, "--data-dir", str(data_dir), "--arg", arg],
        capture_output=True, text=True, cwd=PROJECT_ROOT,
    )  # fmt: skip
    if out.returncode != 0:
        raise PhaseFailed(f"phase {phase} exited {out.returncode}: {out.stderr.strip()[-1500:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase_ingest(data_dir: Path, corpus: str) -> dict[str, Any]:
    from agent.app.ingest import ingest
    from agent.pipeline.services import Services

    services = Services.from_settings(Settings(data_dir=data_dir))
    t = time.perf_counter()
    report = ingest([Path(corpus)], services.settings, services.store, services.embedder)
    wall = time.perf_counter() - t
    t = time.perf_counter()
    again = ingest([Path(corpus)], services.settings, services.store, services.embedder)
    rewall = time.perf_counter() - t
    return {
        "ingest_s": round(wall, 1),
        "docs": report.documents,
        "chunks": report.chunks_written,
        "sentences_encoded": report.sentences_encoded,
        "embed_s": round(report.embed_seconds, 1),
        "reingest_s": round(rewall, 2),
        "reingest_unchanged": again.unchanged,
        "rss_mb": round(_rss_mb()),
    }


def phase_verify(data_dir: Path, n: str) -> dict[str, Any]:
    from agent.app.verify import verify_claim
    from agent.pipeline.services import Services

    services = Services.from_settings(Settings(data_dir=data_dir))
    texts = claims(int(n))
    t = time.perf_counter()
    services.index()
    index_s = time.perf_counter() - t
    out: dict[str, Any] = {"index_s": round(index_s, 1)}
    model = services.stance_model()
    spent = {"asked": 0, "s": 0.0}  # evidence units sent to the model, and its time, per claim
    if model is not None:
        real = model.score

        def timed_score(claim: str, evidence: list[str]) -> Any:
            t0 = time.perf_counter()
            try:
                return real(claim, evidence)
            finally:
                spent["asked"] += len(evidence)
                spent["s"] += time.perf_counter() - t0

        model.score = timed_score
    half = len(texts) // 2  # the warm pass gets other claims: no pair is scored from the model's cache
    for name, part in (("first", texts[:half]), ("warm", texts[half:])):
        ms, rest = [], []
        for c in part:
            spent["s"] = 0.0
            t = time.perf_counter()
            verify_claim(services, c)
            ms.append((time.perf_counter() - t) * 1000)
            rest.append(ms[-1] - spent["s"] * 1000)
        out[f"{name}_p50_ms"], out[f"{name}_p95_ms"] = round(percentile(ms, 50)), round(percentile(ms, 95))
        out[f"{name}_p50_ms_without_model"] = round(percentile(rest, 50))  # retrieval, checks, graph
    if model is not None:
        # the model scores each distinct (claim, text) pair once: copies of a document repeat texts, so on the
        # repeated-abstract corpora past 5,183 documents fewer pairs per claim reach the model than were asked
        out["model_pairs_asked_per_claim"] = round(spent["asked"] / len(texts), 1)
        out["model_pairs_scored_per_claim"] = round(model.pairs_scored / len(texts), 1)
    out["rss_mb"] = round(_rss_mb())
    return out


def phase_batch(data_dir: Path, n: str) -> dict[str, Any]:
    from agent.app.batch import Item, default_workers, run_items
    from agent.pipeline.services import Services

    services = Services.from_settings(Settings(data_dir=data_dir))
    t = time.perf_counter()
    services.index()  # after the verify phase saved it: the restart cost of a process that finds it on disk
    index_s = time.perf_counter() - t
    t = time.perf_counter()
    services.stance_model()  # the models load once per process, like the index: timed apart from the claims
    services.embedder.encode(["warm-up"])
    models_s = time.perf_counter() - t
    t = time.perf_counter()
    services.store.query(services.embedder.encode(["warm-up"])[0], 1)  # Chroma loads its vector index on first use
    store_s = time.perf_counter() - t
    items = [Item(line=i + 1, id=f"c{i}", claim=c) for i, c in enumerate(claims(int(n)))]
    done: list[dict[str, Any]] = []
    t = time.perf_counter()
    run_items(services, items, default_workers(), lambda item, record: done.append(record))
    wall = time.perf_counter() - t
    rate = round(len(done) / wall, 2)
    return {
        "index_restart_s": round(index_s, 2),
        "models_load_s": round(models_s, 2),
        "store_load_s": round(store_s, 2),
        "claims_per_s": rate,
        "claims_per_s_with_load": round(len(done) / (wall + models_s + store_s), 2),  # how it was measured before
        "workers": default_workers(),
        "rss_mb": round(_rss_mb()),
    }


PHASES = {"ingest": phase_ingest, "verify": phase_verify, "batch": phase_batch}


def start_server(path: Path) -> subprocess.Popen[bytes]:
    """A `chroma run` on a free 127.0.0.1 port over `path`; the phases (child processes) reach it through
    CROSSCHECK_STORE__URL."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    exe = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    proc = subprocess.Popen(
        [exe, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                os.environ["CROSSCHECK_STORE__URL"] = f"http://127.0.0.1:{port}"
                return proc
        except OSError:
            if proc.poll() is not None:
                raise SystemExit("chroma run exited early") from None
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("chroma server did not start within 60 s")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 50000])
    ap.add_argument(
        "--claims", type=int, default=60, help="SciFact dev claims verified per size (half first pass, half warm)"
    )
    ap.add_argument("--out", type=Path, default=PROJECT_ROOT / "reports" / "bench-scale.json")
    ap.add_argument("--keep", action="store_true", help="keep each size's store (in --work)")
    ap.add_argument("--work", type=Path, default=None, help="where the stores are built (default: a temp dir)")
    ap.add_argument(
        "--server",
        action="store_true",
        help="against a `chroma run` server on 127.0.0.1 (started here) instead of "
        "the embedded store; results keyed '<size>-server'",
    )
    ap.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    ap.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--arg", default="", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase:
        print(json.dumps(PHASES[args.phase](args.data_dir, args.arg)))
        return 0

    work = args.work or Path(tempfile.mkdtemp(prefix="bench-scale-"))
    results = json.loads(args.out.read_text()) if args.out.exists() else {}
    for size in args.sizes:
        d = work / f"n{size}"
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
        corpus = build_corpus(size, d / "corpus.jsonl")
        row: dict[str, Any] = {"size": size, "store": "server" if args.server else "embedded"}
        server = start_server(d / "server") if args.server else None
        results[f"{size}-server" if args.server else str(size)] = row  # `row |=` updates it in place

        def save() -> None:  # after every phase: a later failure keeps what was measured
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(results, indent=2))

        failed = False
        try:
            print(f"[{size}] ingest …", flush=True)
            ing = child("ingest", d / "data", str(corpus))
            row |= {f"ingest.{k}": v for k, v in ing.items()}
            row["store_mb"] = round((du(d / "data") + (du(d / "server") if server else 0)) / 2**20, 1)
            save()
            print(f"[{size}] verify …", flush=True)
            row |= {f"verify.{k}": v for k, v in child("verify", d / "data", str(args.claims)).items()}
            save()
            print(f"[{size}] batch …", flush=True)
            row |= {f"batch.{k}": v for k, v in child("batch", d / "data", str(args.claims)).items()}
            save()
        except PhaseFailed as exc:
            failed = True
            row["error"] = str(exc)
            save()
            print(f"[{size}] {exc}\n[{size}] the store is kept in {d}: rerun the rest with --phase", file=sys.stderr)
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
            os.environ.pop("CROSSCHECK_STORE__URL", None)
        print(json.dumps(row), flush=True)
        if not args.keep and not failed:
            shutil.rmtree(d, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
