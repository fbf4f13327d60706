"""The embedding model on onnxruntime: the same vectors as sentence-transformers, without torch at run time.

On first use the packaged sentence-transformers model is exported once (fp32, the transformer only; mean
pooling and normalisation are done here exactly as its Pooling and Normalize modules do) into a cache folder;
every later process loads the ONNX file and the `tokenizers` tokenizer in well under a second, instead of
importing torch, transformers and sentence-transformers (≈ 4–6 s here). Vectors match the torch model to
cosine > 0.9999 (`tests/test_onnx_embedding.py`), so a store ingested with either backend serves the other.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np

INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# padded tokens per model call: 8 texts of 256 tokens. Measured on 512 SciFact abstracts (256 tokens each):
# batch 64 peaked at 1.9 GB RSS in 35 s, batch 8 at 0.5 GB in 23 s (attention memory grows as batch × tokens²)
MAX_BATCH_TOKENS = 2048


def default_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "crosscheck" / "models"


def onnx_path(model_dir: Path, cache_dir: Path) -> Path:
    """One file per model folder and weights version: a changed model is exported anew, never confused."""
    weights = [model_dir / n for n in ("model.safetensors", "pytorch_model.bin") if (model_dir / n).exists()]
    st = weights[0].stat() if weights else None
    stamp = f"{model_dir.resolve()}|{st.st_size if st else 0}|{st.st_mtime_ns if st else 0}"
    return cache_dir / f"{model_dir.name}-{hashlib.sha256(stamp.encode()).hexdigest()[:12]}.onnx"


def export(model_dir: Path, out: Path) -> Path:
    """Export the transformer of a sentence-transformers folder to ONNX (needs torch; run once per model)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(model_dir))

    class Hidden(torch.nn.Module):  # keyword arguments: positional order differs across transformers releases
        def __init__(self) -> None:
            super().__init__()
            self.bert = AutoModel.from_pretrained(str(model_dir), dtype=torch.float32)

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return out.last_hidden_state

    model = Hidden().eval()
    enc = tok(["a first sentence", "and a second, longer sentence"], padding=True, return_tensors="pt")
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, suffix=".onnx.part")
    os.close(fd)
    try:
        axes = {k: {0: "batch", 1: "tokens"} for k in INPUTS} | {"last_hidden_state": {0: "batch", 1: "tokens"}}
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer notes about shapes fixed at trace time; the axes are dynamic
            torch.onnx.export(
                model, tuple(enc[k] for k in INPUTS), tmp, input_names=list(INPUTS),
                output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=17, dynamo=False,
            )  # fmt: skip
        os.replace(tmp, out)  # atomic: a concurrent process sees no file or the whole file
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return out


class OnnxSentenceEncoder:
    """`encode(texts) -> unit vectors`, as SentenceTransformer.encode(normalize_embeddings=True) gives them."""

    def __init__(self, model_dir: Path, cache_dir: Path, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        path = onnx_path(model_dir, cache_dir)
        if not path.exists():
            export(model_dir, path)
        cfg_file = model_dir / "sentence_bert_config.json"
        max_len = int(json.loads(cfg_file.read_text()).get("max_seq_length", 256)) if cfg_file.exists() else 256
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=max_len)
        self.tokenizer.no_padding()  # tokenizer.json pads to 128; `_run` pads each batch to its own longest text
        self._sessions: dict[int, Any] = {}
        self._lock = threading.Lock()
        self._ort = ort
        self._path = path
        self._bulk = max(1, threads or os.cpu_count() or 1)
        self.dim = int(self._session(1).get_outputs()[0].shape[-1] or 0) or self._probe_dim()

    def _session(self, threads: int) -> Any:
        """One session per thread count: a query or two on one thread (no hand-off cost), bulk on every core."""
        with self._lock:
            if threads not in self._sessions:
                opts = self._ort.SessionOptions()
                opts.intra_op_num_threads = threads
                opts.inter_op_num_threads = 1
                opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
                self._sessions[threads] = self._ort.InferenceSession(
                    str(self._path), opts, providers=["CPUExecutionProvider"]
                )
            return self._sessions[threads]

    def _probe_dim(self) -> int:
        return int(self._run(self.tokenizer.encode_batch(["x"]), self._session(1)).shape[1])

    def _run(self, encs: list[Any], session: Any) -> np.ndarray:
        width = max(len(e.ids) for e in encs)
        ids = np.zeros((len(encs), width), dtype=np.int64)
        mask = np.zeros((len(encs), width), dtype=np.int64)
        types = np.zeros((len(encs), width), dtype=np.int64)
        for row, e in enumerate(encs):  # pad to the batch's longest text: [PAD] is id 0
            n = len(e.ids)
            ids[row, :n], mask[row, :n], types[row, :n] = e.ids, e.attention_mask, e.type_ids
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        hidden = session.run(["last_hidden_state"], feed)[0]
        m = mask[..., None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)  # mean over real tokens
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)

    def encode(self, texts: list[str], batch_size: int = 64, max_tokens: int = MAX_BATCH_TOKENS) -> np.ndarray:
        """Texts sorted by token length, then cut into batches of at most `batch_size` texts and `max_tokens`
        padded tokens: short sentences go 64 at a time, 256-token chunks 8 at a time, so attention's memory
        (batch × tokens²) stays bounded whatever the texts are."""
        session = self._session(1 if len(texts) <= 8 else self._bulk)
        encs = self.tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encs[i].ids))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        k = 0
        while k < len(order):
            end = k + 1  # sorted ascending, so the last text of a batch is its longest
            while end < len(order) and end - k < batch_size and (end - k + 1) * len(encs[order[end]].ids) <= max_tokens:
                end += 1
            idx = order[k:end]
            out[idx] = self._run([encs[i] for i in idx], session)
            k = end
        return out
