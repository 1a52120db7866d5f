"""ELECTRA-style replaced-token detection (Clark et al., 2020) over bert_torch's BertForMaskedLM.

A small generator (the same width, fewer layers, sharing the discriminator's embeddings, as
ELECTRA shares them) fills 15% masked positions with samples from its MLM distribution; the
discriminator (the model we export, a BertForMaskedLM) learns, at every position, whether its
token was replaced. Loss = generator MLM loss + disc_weight * discriminator BCE (ELECTRA: 50).
The discriminator's own MLM head (`cls.predictions.*`) is not used here: pretrain.py trains it
on the frozen discriminator at the end so that a masked-token figure can be measured.
"""

from typing import Dict, Tuple

import torch
from torch import nn
import torch.nn.functional as F

from bert_torch import BertConfig, BertForMaskedLM, activation


class DiscriminatorHead(nn.Module):
    """ELECTRA's `discriminator_predictions`: dense -> act -> dense to one logit per token."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.act = activation(config.hidden_act)
        self.out = nn.Linear(config.hidden_size, 1)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        """hidden [B, T, H] -> logits [B, T]."""
        return self.out(self.act(self.dense(hidden))).squeeze(-1)


class Electra(nn.Module):
    """disc (exported) + gen + disc_head; gen.bert.embeddings IS disc.bert.embeddings."""

    def __init__(self, config: BertConfig, gen_layers: int):
        super().__init__()
        self.disc = BertForMaskedLM(config)
        gen_cfg = BertConfig.from_dict({**config.to_dict(), "num_hidden_layers": gen_layers})
        self.gen = BertForMaskedLM(gen_cfg, add_pooling_layer=False)
        self.gen.bert.embeddings = self.disc.bert.embeddings  # shared (ELECTRA ties them)
        self.disc_head = DiscriminatorHead(config)


def electra_mask(ids: torch.Tensor, special: torch.Tensor, mask_id: int, g: torch.Generator, prob: float = 0.15):
    """ids [B, T] -> (generator inputs with 15% of non-special tokens -> [MASK], selected [B, T] bool)."""
    selected = (torch.rand(ids.shape, generator=g) < prob) & ~special
    inputs = ids.masked_fill(selected, mask_id)
    return inputs, selected


def electra_loss(m: Electra, ids: torch.Tensor, pad_id: int, special_ids, mask_id: int, g: torch.Generator,
                 disc_weight: float = 50.0) -> Tuple[torch.Tensor, Dict[str, float]]:
    """One ELECTRA step's loss on a batch ids [B, T]; returns (loss, metrics)."""
    special = torch.zeros_like(ids, dtype=torch.bool)
    for s in special_ids:
        special |= ids == s
    attention = (ids != pad_id).long()  # [B, T]
    types = torch.zeros_like(ids)
    gen_in, selected = electra_mask(ids, special, mask_id, g)
    positions = selected.nonzero()  # [N, 2]
    gen_logits = m.gen(gen_in, attention, types, gather_positions=positions)["logits"]  # [N, V]
    targets = ids[positions[:, 0], positions[:, 1]]  # [N]
    gen_loss = F.cross_entropy(gen_logits, targets)
    with torch.no_grad():
        # Sampling from the generator (temperature 1) with the step's generator: reproducible.
        probs = torch.softmax(gen_logits.float(), -1)
        sampled = torch.multinomial(probs, 1, generator=g).squeeze(-1)  # [N]
        disc_in = ids.clone()
        disc_in[positions[:, 0], positions[:, 1]] = sampled
        replaced = (disc_in != ids).float()  # [B, T]; a correct sample counts as original
    hidden = m.disc.bert(disc_in, attention, types)["last_hidden_state"]  # [B, T, H]
    disc_logits = m.disc_head(hidden)  # [B, T]
    live = attention.bool() & ~special
    disc_loss = F.binary_cross_entropy_with_logits(disc_logits[live], replaced[live])
    with torch.no_grad():
        pred = disc_logits[live] > 0
        rep = replaced[live].bool()
        metrics = {
            "gen_loss": gen_loss.item(),
            "gen_acc": (gen_logits.argmax(-1) == targets).float().mean().item(),
            "disc_loss": disc_loss.item(),
            "disc_acc": (pred == rep).float().mean().item(),
            "replaced_frac": rep.float().mean().item(),
            "replaced_recall": (pred & rep).sum().item() / max(1, rep.sum().item()),
        }
    return gen_loss + disc_weight * disc_loss, metrics
