"""Training checkpoints: a full one in .cache (every ~10 minutes) and a compact committed one.

Full (`.cache/run/ckpt.pt`): torch.save of the model, AdamW state, step, run signature,
corpus hash, history and elapsed seconds. The data order and every random draw are
functions of (seed, step) in pretrain.py, so the step *is* the data position and RNG state;
the torch RNG state is saved as well for completeness.

Compact (`scripts/pretrain/checkpoints/<name>/ckpt.pt.xz.part0, .part1, …`: one xz stream in parts of ≤ 16 MiB, committed so that a fresh clone
continues the run): the same content with the weights kept in F32 but AdamW's moments
quantized blockwise to 8 bits (exp_avg: int8 with one absmax scale per 256 values;
exp_avg_sq: its square root as uint8 likewise, as in 8-bit Adam), then xz-compressed.
Resuming from it perturbs the optimizer's moments by < 1% of their block maxima, once.
"""

import io
import lzma
import os
from typing import Dict

import torch

BLOCK = 256


def _quantize(t: torch.Tensor, signed: bool) -> Dict:
    """f32 tensor -> {q: int8/uint8 [n], scale: f16 [blocks], shape} (blockwise absmax)."""
    flat = t.detach().float().reshape(-1)
    n = flat.numel()
    pad = (-n) % BLOCK
    x = torch.cat([flat, flat.new_zeros(pad)]).view(-1, BLOCK)  # [blocks, BLOCK]
    scale = x.abs().amax(1).clamp_min(1e-30)  # [blocks]
    top = 127.0 if signed else 255.0
    q = torch.round(x / scale[:, None] * top)
    q = q.to(torch.int8) if signed else q.to(torch.uint8)
    return {"q": q.reshape(-1)[:n].clone(), "scale": scale.float(), "shape": tuple(t.shape), "signed": signed}


def _dequantize(d: Dict) -> torch.Tensor:
    """Inverse of _quantize."""
    q = d["q"].float()
    n = q.numel()
    pad = (-n) % BLOCK
    x = torch.cat([q, q.new_zeros(pad)]).view(-1, BLOCK)
    top = 127.0 if d["signed"] else 255.0
    return (x * d["scale"][:, None] / top).reshape(-1)[:n].view(d["shape"])


def compact(ckpt: Dict) -> Dict:
    """Full checkpoint dict -> compact dict (moments quantized)."""
    opt = ckpt["opt"]
    state = {}
    for k, s in opt["state"].items():
        state[k] = {
            "step": s["step"],
            "exp_avg": _quantize(s["exp_avg"], True),
            "sqrt_exp_avg_sq": _quantize(s["exp_avg_sq"].sqrt(), False),
        }
    return {**ckpt, "opt": {"state": state, "param_groups": opt["param_groups"]}, "compact": True}


def expand(ckpt: Dict) -> Dict:
    """Compact dict -> full checkpoint dict loadable by torch.optim.AdamW."""
    if not ckpt.get("compact"):
        return ckpt
    state = {}
    for k, s in ckpt["opt"]["state"].items():
        state[k] = {"step": s["step"], "exp_avg": _dequantize(s["exp_avg"]), "exp_avg_sq": _dequantize(s["sqrt_exp_avg_sq"]) ** 2}
    out = {**ckpt, "opt": {"state": state, "param_groups": ckpt["opt"]["param_groups"]}}
    out.pop("compact")
    return out


def save_full(path: str, ckpt: Dict) -> None:
    """Atomic torch.save."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    torch.save(ckpt, path + ".tmp")
    os.replace(path + ".tmp", path)


#: Committed checkpoints are written in parts of at most this many bytes (the repository keeps
#: every tracked file under 20 MiB); `path` names the whole, its parts are path.part0, path.part1, ...
PART_BYTES = 16 * 1024 * 1024


def compact_parts(path: str) -> list:
    """The part files of a compact checkpoint at `path`, in order (empty if there is none)."""
    parts = []
    while os.path.exists(f"{path}.part{len(parts)}"):
        parts.append(f"{path}.part{len(parts)}")
    return parts


def checkpoint_exists(path: str) -> bool:
    """Whether a checkpoint is at `path`, as one file or (compact) in parts."""
    return os.path.exists(path) or bool(compact_parts(path))


def save_compact(path: str, ckpt: Dict) -> int:
    """Writes compact(ckpt) xz-compressed as path.part0, path.part1, ... (each <= PART_BYTES);
    removes older parts and a single-file copy; returns the total size in bytes."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    buf = io.BytesIO()
    torch.save(compact(ckpt), buf)
    data = lzma.compress(buf.getvalue(), preset=6)
    chunks = [data[i:i + PART_BYTES] for i in range(0, len(data), PART_BYTES)]
    for i, chunk in enumerate(chunks):
        with open(f"{path}.part{i}.tmp", "wb") as f:
            f.write(chunk)
    old = compact_parts(path)
    for i in range(len(chunks)):
        os.replace(f"{path}.part{i}.tmp", f"{path}.part{i}")
    for stale in old[len(chunks):]:
        os.remove(stale)
    if os.path.exists(path):
        os.remove(path)
    return len(data)


def load_any(path: str) -> Dict:
    """Loads a full (.pt) or compact (.pt.xz, one file or in parts) checkpoint as a full checkpoint dict."""
    if path.endswith(".xz"):
        if os.path.exists(path):
            with open(path, "rb") as f:
                data = f.read()
        else:
            data = b"".join(open(p, "rb").read() for p in compact_parts(path))
        return expand(torch.load(io.BytesIO(lzma.decompress(data))))
    return torch.load(path)
