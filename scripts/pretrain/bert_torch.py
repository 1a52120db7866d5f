"""From-scratch PyTorch BERT, numerically identical to Hugging Face `BertModel` /
`BertForMaskedLM` (transformers 4.x, "eager" attention, absolute positions).

Used offline to (a) pretrain the playground's default model and (b) produce the
reference outputs that the TypeScript/tfjs engine is tested against.

State-dict names are exactly Hugging Face's, so a `state_dict()` of `BertModel`
here can be saved as `model.safetensors` and loaded by HF (and vice versa):

    embeddings.word_embeddings.weight            [vocab, H]
    embeddings.position_embeddings.weight        [max_pos, H]
    embeddings.token_type_embeddings.weight      [type_vocab, H]
    embeddings.LayerNorm.weight / .bias          [H]
    encoder.layer.{i}.attention.self.query|key|value.weight / .bias   [H, H] / [H]
    encoder.layer.{i}.attention.output.dense.weight / .bias           [H, H] / [H]
    encoder.layer.{i}.attention.output.LayerNorm.weight / .bias       [H]
    encoder.layer.{i}.intermediate.dense.weight / .bias               [I, H] / [I]
    encoder.layer.{i}.output.dense.weight / .bias                     [H, I] / [H]
    encoder.layer.{i}.output.LayerNorm.weight / .bias                 [H]
    pooler.dense.weight / .bias                                       [H, H] / [H]

`BertForMaskedLM` prefixes the encoder with `bert.` and adds
`cls.predictions.transform.dense.*`, `cls.predictions.transform.LayerNorm.*` and
`cls.predictions.bias`; its decoder weight is tied to the word embeddings and is
not part of the saved tensors (HF omits tied weights too).

Linear weights use the torch layout [out_features, in_features]: y = x @ W.T + b.
"""

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class BertConfig:
    """The subset of HF `BertConfig` fields this implementation uses."""

    vocab_size: int = 30522
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    hidden_act: str = "gelu"
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    initializer_range: float = 0.02
    layer_norm_eps: float = 1e-12
    pad_token_id: int = 0
    position_embedding_type: str = "absolute"
    architectures: List[str] = field(default_factory=lambda: ["BertModel"])
    model_type: str = "bert"

    @classmethod
    def from_dict(cls, d: Dict) -> "BertConfig":
        """Build a config from an HF config.json dict, ignoring unknown keys."""
        names = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in d.items() if k in names})

    @classmethod
    def from_json_file(cls, path: str) -> "BertConfig":
        """Read an HF `config.json`."""
        with open(path, "r", encoding="utf-8") as f:
            return cls.from_dict(json.load(f))

    def to_dict(self) -> Dict:
        """Plain dict in HF config.json style."""
        return asdict(self)


def activation(name: str):
    """HF ACT2FN subset. "gelu" is the exact erf GELU: 0.5 x (1 + erf(x / sqrt 2))."""
    if name == "gelu":
        return lambda x: F.gelu(x)  # exact (erf) form, as HF GELUActivation
    if name == "gelu_new":
        return lambda x: F.gelu(x, approximate="tanh")
    if name == "relu":
        return F.relu
    raise ValueError(f"unsupported hidden_act {name!r}")


class BertEmbeddings(nn.Module):
    """word + token-type + position embeddings, then LayerNorm and dropout."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.word_embeddings = nn.Embedding(config.vocab_size, config.hidden_size, padding_idx=config.pad_token_id)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.hidden_size)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor) -> torch.Tensor:
        """input_ids, token_type_ids: [B, T] int64 -> [B, T, H]."""
        seq_len = input_ids.shape[1]
        position_ids = torch.arange(seq_len, dtype=torch.long, device=input_ids.device)[None, :]  # [1, T]
        # Same summation order as HF: (word + token_type) + position.
        embeddings = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)  # [B, T, H]
        embeddings = embeddings + self.position_embeddings(position_ids)  # [B, T, H]
        embeddings = self.LayerNorm(embeddings)
        return self.dropout(embeddings)


class BertSelfAttention(nn.Module):
    """Multi-head scaled dot-product attention with Q/K/V projections."""

    def __init__(self, config: BertConfig):
        super().__init__()
        if config.hidden_size % config.num_attention_heads != 0:
            raise ValueError("hidden_size must be a multiple of num_attention_heads")
        self.num_heads = config.num_attention_heads
        self.head_dim = config.hidden_size // config.num_attention_heads
        self.query = nn.Linear(config.hidden_size, config.hidden_size)
        self.key = nn.Linear(config.hidden_size, config.hidden_size)
        self.value = nn.Linear(config.hidden_size, config.hidden_size)
        self.dropout = nn.Dropout(config.attention_probs_dropout_prob)

    def split_heads(self, x: torch.Tensor) -> torch.Tensor:
        """[B, T, H] -> [B, heads, T, head_dim]."""
        b, t, _ = x.shape
        return x.view(b, t, self.num_heads, self.head_dim).permute(0, 2, 1, 3)

    def forward(self, hidden: torch.Tensor, additive_mask: torch.Tensor) -> torch.Tensor:
        """hidden: [B, T, H]; additive_mask: [B, 1, 1, T] -> context [B, T, H]."""
        q = self.split_heads(self.query(hidden))  # [B, nh, T, hd]
        k = self.split_heads(self.key(hidden))  # [B, nh, T, hd]
        v = self.split_heads(self.value(hidden))  # [B, nh, T, hd]
        scores = torch.matmul(q, k.transpose(-1, -2))  # [B, nh, T, T]
        scores = scores / math.sqrt(self.head_dim)
        scores = scores + additive_mask  # broadcast over heads and queries
        probs = self.dropout(torch.softmax(scores, dim=-1))  # [B, nh, T, T]
        context = torch.matmul(probs, v)  # [B, nh, T, hd]
        b, _, t, _ = context.shape
        return context.permute(0, 2, 1, 3).contiguous().view(b, t, self.num_heads * self.head_dim)  # [B, T, H]


class BertSelfOutput(nn.Module):
    """Attention output projection + dropout + residual + LayerNorm (post-LN)."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, context: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        """[B, T, H], [B, T, H] -> [B, T, H]."""
        return self.LayerNorm(self.dropout(self.dense(context)) + residual)


class BertAttention(nn.Module):
    """Holds `self` (BertSelfAttention) and `output` (BertSelfOutput), as HF names them."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.self = BertSelfAttention(config)
        self.output = BertSelfOutput(config)

    def forward(self, hidden: torch.Tensor, additive_mask: torch.Tensor) -> torch.Tensor:
        """[B, T, H] -> [B, T, H]."""
        return self.output(self.self(hidden, additive_mask), hidden)


class BertIntermediate(nn.Module):
    """Feed-forward expansion: dense H -> I and activation."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intermediate_size)
        self.act = activation(config.hidden_act)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        """[B, T, H] -> [B, T, I]."""
        return self.act(self.dense(hidden))


class BertOutput(nn.Module):
    """Feed-forward projection I -> H + dropout + residual + LayerNorm."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.dense = nn.Linear(config.intermediate_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, intermediate: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        """[B, T, I], [B, T, H] -> [B, T, H]."""
        return self.LayerNorm(self.dropout(self.dense(intermediate)) + residual)


class BertLayer(nn.Module):
    """One post-LN transformer block."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.attention = BertAttention(config)
        self.intermediate = BertIntermediate(config)
        self.output = BertOutput(config)

    def forward(self, hidden: torch.Tensor, additive_mask: torch.Tensor) -> torch.Tensor:
        """[B, T, H] -> [B, T, H]."""
        attn = self.attention(hidden, additive_mask)
        return self.output(self.intermediate(attn), attn)


class BertEncoder(nn.Module):
    """Stack of `num_hidden_layers` BertLayers, stored as `layer.{i}`."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(config) for _ in range(config.num_hidden_layers)])


class BertPooler(nn.Module):
    """dense + tanh on the first token ([CLS])."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        """[B, T, H] -> [B, H]."""
        return torch.tanh(self.dense(hidden[:, 0]))


def extended_attention_mask(attention_mask: torch.Tensor, dtype=torch.float32) -> torch.Tensor:
    """[B, T] 1/0 mask -> additive [B, 1, 1, T]: 0 where attended, finfo.min where masked."""
    mask = attention_mask[:, None, None, :].to(dtype)  # [B, 1, 1, T]
    return (1.0 - mask) * torch.finfo(dtype).min


class BertModel(nn.Module):
    """HF-compatible BertModel. forward() returns a dict with
    last_hidden_state [B, T, H], hidden_states (tuple of L+1 tensors [B, T, H]:
    embedding output then every layer's output) and pooler_output [B, H] (or None)."""

    def __init__(self, config: BertConfig, add_pooling_layer: bool = True):
        super().__init__()
        self.config = config
        self.embeddings = BertEmbeddings(config)
        self.encoder = BertEncoder(config)
        self.pooler = BertPooler(config) if add_pooling_layer else None

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: Optional[torch.Tensor] = None,
        token_type_ids: Optional[torch.Tensor] = None,
    ) -> Dict[str, object]:
        """input_ids / attention_mask / token_type_ids: [B, T]; defaults are all-ones / zeros."""
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        additive_mask = extended_attention_mask(attention_mask)  # [B, 1, 1, T]
        hidden = self.embeddings(input_ids, token_type_ids)  # [B, T, H]
        all_hidden = [hidden]
        for layer in self.encoder.layer:
            hidden = layer(hidden, additive_mask)  # [B, T, H]
            all_hidden.append(hidden)
        pooled = self.pooler(hidden) if self.pooler is not None else None  # [B, H]
        return {"last_hidden_state": hidden, "hidden_states": tuple(all_hidden), "pooler_output": pooled}


class BertPredictionHeadTransform(nn.Module):
    """MLM head transform: dense H -> H, activation, LayerNorm."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.act = activation(config.hidden_act)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        """[..., H] -> [..., H]."""
        return self.LayerNorm(self.act(self.dense(hidden)))


class BertLMPredictionHead(nn.Module):
    """transform, then logits = h @ word_embeddings.T + bias (decoder tied to the embeddings)."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.transform = BertPredictionHeadTransform(config)
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))

    def forward(self, hidden: torch.Tensor, decoder_weight: torch.Tensor) -> torch.Tensor:
        """hidden [..., H], decoder_weight [V, H] -> logits [..., V]."""
        return F.linear(self.transform(hidden), decoder_weight, self.bias)


class BertOnlyMLMHead(nn.Module):
    """Named `cls` in BertForMaskedLM; holds `predictions`."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.predictions = BertLMPredictionHead(config)


class BertForMaskedLM(nn.Module):
    """HF-compatible BertForMaskedLM (`bert.` + `cls.predictions.*`).

    HF builds its encoder with add_pooling_layer=False; we keep a pooler optional
    (default True) so that an exported checkpoint also loads as a BertModel with
    pooler. HF's BertForMaskedLM ignores `bert.pooler.*` on load."""

    def __init__(self, config: BertConfig, add_pooling_layer: bool = True):
        super().__init__()
        self.config = config
        self.bert = BertModel(config, add_pooling_layer=add_pooling_layer)
        self.cls = BertOnlyMLMHead(config)

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, gather_positions=None):
        """Returns the BertModel outputs plus `logits`.
        gather_positions: optional LongTensor [N, 2] of (batch, position) pairs; when given,
        logits are computed only there ([N, V]) which saves a lot of time in training.
        Otherwise logits are [B, T, V]."""
        out = self.bert(input_ids, attention_mask, token_type_ids)
        hidden = out["last_hidden_state"]  # [B, T, H]
        if gather_positions is not None:
            hidden = hidden[gather_positions[:, 0], gather_positions[:, 1]]  # [N, H]
        out["logits"] = self.cls.predictions(hidden, self.bert.embeddings.word_embeddings.weight)
        return out

    def export_state_dict(self) -> Dict[str, torch.Tensor]:
        """State dict as HF saves it: tied decoder weight omitted."""
        return {k: v for k, v in self.state_dict().items() if not k.startswith("cls.predictions.decoder")}


def init_weights(module: nn.Module, std: float = 0.02, generator: Optional[torch.Generator] = None) -> None:
    """HF `_init_weights`: Linear/Embedding weights ~ N(0, std), biases 0,
    padding row of word embeddings 0, LayerNorm weight 1 / bias 0."""
    for m in module.modules():
        if isinstance(m, nn.Linear):
            with torch.no_grad():
                m.weight.normal_(0.0, std, generator=generator)
                if m.bias is not None:
                    m.bias.zero_()
        elif isinstance(m, nn.Embedding):
            with torch.no_grad():
                m.weight.normal_(0.0, std, generator=generator)
                if m.padding_idx is not None:
                    m.weight[m.padding_idx].zero_()
        elif isinstance(m, nn.LayerNorm):
            with torch.no_grad():
                m.weight.fill_(1.0)
                m.bias.zero_()
    if isinstance(module, BertForMaskedLM):
        with torch.no_grad():
            module.cls.predictions.bias.zero_()


def count_parameters(state: Dict[str, torch.Tensor]) -> int:
    """Total number of scalars in a state dict."""
    return int(sum(t.numel() for t in state.values()))


def load_state_dict_flexible(model: nn.Module, state: Dict[str, torch.Tensor]) -> None:
    """Load HF-named tensors into `model`, adding or stripping a `bert.` prefix as needed
    and tolerating the absent tied decoder weight. Raises on any other mismatch."""
    own = model.state_dict()
    fixed = {}
    for k, v in state.items():
        if k in own:
            fixed[k] = v
        elif "bert." + k in own:
            fixed["bert." + k] = v
        elif k.startswith("bert.") and k[5:] in own:
            fixed[k[5:]] = v
        elif k.startswith("cls.") and k not in own:
            continue  # MLM head tensors when loading into a bare BertModel
        else:
            raise KeyError(f"unexpected tensor {k}")
    missing = [k for k in own if k not in fixed and not k.startswith("cls.predictions.decoder")]
    if missing:
        raise KeyError(f"missing tensors: {missing}")
    model.load_state_dict(fixed, strict=False)
