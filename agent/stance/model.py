"""The shipped stance cross-encoder: (claim, evidence) -> P(supports), P(refutes), P(neutral).

Loaded from a local folder only (the int8 ONNX export next to this module by default, see
`agent.stance.export`); never from a hub. Scoring is batched per claim, with dynamic padding.
"""

from __future__ import annotations

import json
import queue
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
ONNX_NAME = "model.int8.onnx"
SUPPORTS, REFUTES, NEUTRAL = 0, 1, 2
CACHE_PAIRS = 50_000


class StanceModelMissing(RuntimeError):
    pass


@lru_cache(maxsize=1)
def exact_int8_kernel() -> bool:
    """True when the CPU has VNNI (AVX512-VNNI, AVX-VNNI or AMX-INT8): onnxruntime's uint8 x int8 kernel then
    accumulates exactly in 32 bits. Unknown (no /proc/cpuinfo) counts as no."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="ignore").split()
    except OSError:
        return False
    return not {"avx512_vnni", "avx_vnni", "amx_int8"}.isdisjoint(flags)


def portable_int8(onnx_file: Path) -> bytes:
    """The shipped graph with every int8 weight of a MatMulInteger re-based to uint8 (q + 128, zero point 128).

    The dequantised weights are the same numbers, but the kernel onnxruntime picks is not: uint8 x int8
    runs on x86 CPUs without AVX512-VNNI through VPMADDUBSW, whose int16 sums saturate, while uint8 x uint8
    widens to 16 bits first and is exact everywhere. With signed weights the stance probabilities (and so
    the labels) depended on the host's CPU: the headline test set scored 0.409 macro-F1 on a VNNI machine
    and 0.386 in CI. Both forms are exact on a VNNI machine (bit-identical probabilities, checked in
    `tests/test_stance_model.py`), where uint8 x int8 is also ~1.5x faster, so `StanceModel` re-bases
    only where the CPU lacks VNNI (`exact_int8_kernel`).
    """
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(onnx_file))
    inits = {t.name: t for t in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type != "MatMulInteger" or len(node.input) < 4:
            continue
        weight, zero = inits.get(node.input[1]), inits.get(node.input[3])
        if weight is None or zero is None or weight.data_type != onnx.TensorProto.INT8:
            continue
        w = numpy_helper.to_array(weight).astype(np.int16) + 128
        z = numpy_helper.to_array(zero).astype(np.int16) + 128
        weight.CopyFrom(numpy_helper.from_array(w.astype(np.uint8), weight.name))
        zero.CopyFrom(numpy_helper.from_array(z.astype(np.uint8), zero.name))
    return model.SerializeToString()


@lru_cache(maxsize=1)
def vocabulary() -> frozenset[str]:
    """The whole words of the shipped tokenizer's (uncased English WordPiece) vocabulary: a word list of
    ordinary English, in which rare names ("Westmoor", "CivicPay") are absent."""
    path = WEIGHTS_DIR / "tokenizer.json"
    if not path.is_file():
        return frozenset()
    vocab = json.loads(path.read_text(encoding="utf-8"))["model"]["vocab"]
    return frozenset(w for w in vocab if w.isalpha() and len(w) >= 3)


class StanceModel:
    """int8 ONNX on onnxruntime with the `tokenizers` tokenizer: no torch or transformers at run time."""

    def __init__(
        self,
        path: Path | str = WEIGHTS_DIR,
        max_len: int = 128,
        batch_size: int = 8,
        threads: int = 2,
        spin: bool = False,
    ) -> None:
        path = Path(path)
        onnx_file = path / ONNX_NAME
        if not onnx_file.exists() or not (path / "tokenizer.json").exists():
            raise StanceModelMissing(f"no stance model in {path} (run `make train-stance`)")
        from tokenizers import Tokenizer

        self.path = path
        self.batch_size = batch_size
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=max_len, strategy="longest_first")
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self.threads, self.spin = threads, spin
        self._graph = str(onnx_file) if exact_int8_kernel() else portable_int8(onnx_file)
        self._idle: queue.SimpleQueue[Any] = queue.SimpleQueue()  # sessions free to run a claim's batches
        self._idle.put(self._session(threads))
        self.sessions = 1
        self._lock = threading.Lock()  # guards the cache and the counters, not inference
        self.pairs_scored = 0
        self._cache: dict[tuple[str, str], np.ndarray] = {}  # a claim re-checked (chat, eval sweeps) is free

    def _session(self, threads: int) -> Any:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads  # 2 on this 2-core machine: seeds verify p50 179 ms -> 119 ms
        opts.inter_op_num_threads = 1
        # idle threads sleep unless `spin`: spinning saves the wake-up between batches but burns a core
        opts.add_session_config_entry("session.intra_op.allow_spinning", "1" if self.spin else "0")
        return ort.InferenceSession(self._graph, opts, providers=["CPUExecutionProvider"])

    def parallel(self, workers: int) -> None:
        """Size the model for `workers` claims verified at once: one session per worker, sharing the configured
        threads (2 workers on 2 threads: two 1-thread sessions), so one claim's batches run beside another's
        instead of queueing for one session. On the seeds, one session on two threads scored 16.4 claims/s of
        pairs and two 1-thread sessions 20.0: a session on two threads waits on itself between small batches.
        Probabilities are identical whichever session computes them (`tests/test_stance_model.py`)."""
        workers = max(1, workers)
        with self._lock:
            if workers == self.sessions:
                return
            per = max(1, self.threads // workers)
            fresh: queue.SimpleQueue[Any] = queue.SimpleQueue()
            for _ in range(workers):
                fresh.put(self._session(per))
            self._idle, self.sessions = fresh, workers  # a claim still running hands its session back to the old pool

    def clear_cache(self) -> None:
        """Forget the scored pairs (a benchmark that re-runs claims must pay for them again)."""
        with self._lock:
            self._cache.clear()

    def _probs(self, session: Any, claim: str, texts: list[str]) -> np.ndarray:
        encs = self.tokenizer.encode_batch([(claim, t) for t in texts])
        feed = {
            "input_ids": np.array([e.ids for e in encs], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encs], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encs], dtype=np.int64),
        }
        logits = session.run(["logits"], feed)[0].astype(np.float64)
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)

    def score(self, claim: str, evidence: list[str]) -> np.ndarray:
        """Probabilities, one row per evidence text: columns supports, refutes, neutral."""
        out = np.zeros((len(evidence), 3), dtype=np.float32)
        with self._lock:
            todo = []
            for i, text in enumerate(evidence):
                hit = self._cache.get((claim, text))
                if hit is None:
                    todo.append(i)
                else:
                    out[i] = hit
        if todo:
            pool = self._idle
            session = pool.get()  # waits while every session is busy with another claim
            try:
                order = sorted(todo, key=lambda i: len(evidence[i]))  # similar lengths per batch: little padding
                for k in range(0, len(order), self.batch_size):
                    idx = order[k : k + self.batch_size]
                    out[idx] = self._probs(session, claim, [evidence[i] for i in idx])
            finally:
                pool.put(session)
        with self._lock:
            self.pairs_scored += len(todo)
            if len(self._cache) > CACHE_PAIRS:
                self._cache.clear()
            for i in todo:
                self._cache[(claim, evidence[i])] = out[i]
        return out
