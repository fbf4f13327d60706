"""The default onnxruntime embedder gives the torch model's vectors, and a verify never imports torch."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from agent.data.onnx_embedding import onnx_path
from agent.data.store import Embedder, resolve_model_path
from agent.settings import EmbeddingSettings, Settings

TEXTS = [
    "Anthropic accused Alibaba of a distillation campaign.",
    "The campaign ran from April 22 to June 5, 2026, a period of 44 days.",
    "x",
    "Ünïcödé, emoji 🚀 and $25.5M figures",
    "Volunteers walked 14 miles of riverbank during the survey. " * 40,  # past the 256-token limit: truncated
]


def test_onnx_vectors_match_sentence_transformers(embedder: Embedder) -> None:
    assert embedder.settings.backend == "onnx" and embedder.onnx is not None
    torch_side = Embedder(EmbeddingSettings(backend="torch"))
    a, b = embedder.encode(TEXTS), torch_side.encode(TEXTS)
    assert a.shape == b.shape == (len(TEXTS), 384)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert float((a * b).sum(axis=1).min()) > 0.9999
    # batches of mixed lengths give each text the vector it gets alone (padding never leaks into the mean)
    alone = np.stack([embedder.encode([t])[0] for t in TEXTS])
    assert float((alone * a).sum(axis=1).min()) > 0.9999


def test_batches_are_capped_in_padded_tokens(embedder: Embedder, monkeypatch: pytest.MonkeyPatch) -> None:
    """Attention's memory grows as batch × tokens²: long texts go a few at a time, short ones many at a time,
    and the vectors are those of one big batch."""
    onnx = embedder.onnx
    assert onnx is not None
    texts = [t * k for t in TEXTS[:2] for k in (1, 3, 9)] + ["short one"] * 20 + [TEXTS[4]] * 6
    whole = onnx.encode(texts, batch_size=64, max_tokens=10**9)
    shapes: list[tuple[int, int]] = []
    run = onnx._run

    def recorded(encs: list[Any], session: Any) -> np.ndarray:
        shapes.append((len(encs), max(len(e.ids) for e in encs)))
        return run(encs, session)

    monkeypatch.setattr(onnx, "_run", recorded)
    capped = onnx.encode(texts, batch_size=64, max_tokens=600)
    assert sum(n for n, _ in shapes) == len(texts)
    assert all(n * width <= 600 for n, width in shapes if n > 1), shapes
    assert any(n == 1 and width > 250 for n, width in shapes) and any(n > 10 for n, _ in shapes), shapes
    assert float((whole * capped).sum(axis=1).min()) > 0.9999


def test_the_export_is_made_once_and_reused(embedder: Embedder) -> None:
    embedder.encode(["warm"])
    cache = Path(os.environ["CROSSCHECK_EMBEDDING__ONNX_DIR"])
    path = onnx_path(Path(resolve_model_path(embedder.settings.model)), cache)
    assert path.exists()
    before = path.stat().st_mtime_ns
    again = Embedder(EmbeddingSettings(onnx_dir=cache))
    again.encode(["reuse"])
    assert path.stat().st_mtime_ns == before and not list(cache.glob("*.part"))


def test_a_verify_process_never_imports_torch(seeded_services: object, tmp_path: Path) -> None:
    settings: Settings = seeded_services.settings  # type: ignore[attr-defined]
    code = (
        "import sys\n"
        "from agent.cli import run\n"
        f"sys.argv = ['crosscheck', '--data-dir', {str(settings.data_dir)!r}, 'verify', 'Alibaba denied it.']\n"
        "try:\n    run()\nexcept SystemExit:\n    pass\n"
        "print('TORCH' if any(m == 'torch' or m.startswith('torch.') for m in sys.modules) else 'NO-TORCH')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=os.environ)
    assert out.stdout.strip().endswith("NO-TORCH"), out.stdout[-500:] + out.stderr[-2000:]


def test_a_failed_export_falls_back_to_torch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import agent.data.onnx_embedding as onnx_embedding

    def broken(model_dir: Path, out: Path) -> Path:
        raise RuntimeError("Module onnx is not installed!")

    monkeypatch.setattr(onnx_embedding, "export", broken)
    e = Embedder(EmbeddingSettings(onnx_dir=tmp_path / "models"))
    with caplog.at_level("WARNING"):
        v = e.encode(TEXTS[:2])
    assert e.onnx is None and "ONNX export failed" in caplog.text
    ref = Embedder(EmbeddingSettings(backend="torch")).encode(TEXTS[:2])
    assert float((v * ref).sum(axis=1).min()) > 0.9999
