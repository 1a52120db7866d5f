"""Offline check that the adapter folders exported by the playground load and compute
the same logits in PyTorch as in our TypeScript/tfjs engine, when loaded the way the
AdapterHub `adapters` library and Hugging Face PEFT load them.

Run with the system Python (PyTorch 1.13 + numpy; no `transformers`, `adapters`,
`peft` or `safetensors` packages), from the repository root:

    /usr/bin/python3 scripts/interop/check_exports.py
        [--fixtures src/engine/fixtures/interop] [--plm src/engine/fixtures/tiny-bert]

Neither library is importable here, so both are re-implemented in plain PyTorch from
their source, on top of the independent BERT of scripts/pretrain/bert_torch.py:

  * the module trees are mirrored so that `state_dict()` names are literally the
    libraries' names (`bert.encoder.layer.0.output.adapters.<name>.adapter_down.0.weight`,
    `heads.<name>.1.weight`, `base_model.model.bert.encoder.layer.0.attention.self.query
    .lora_A.default.weight`, `base_model.model.classifier.modules_to_save.default.weight`);
  * the config files are parsed as the libraries parse them (defaults, required keys,
    accepted values, the keyword arguments each head class takes);
  * the weight files are loaded as the libraries load them (the `adapters` loader
    loads the whole file into the model and only filters the missing keys; PEFT maps
    modules_to_save keys, inserts the adapter name into `lora_` keys, then calls
    `load_state_dict(strict=False)`), and then judged STRICTLY: every file tensor must
    land in an adapter/head parameter of the right shape and every adapter/head
    parameter must come from the file, otherwise the case fails with the key names;
  * the forward passes follow the libraries' code paths (pre_forward / forward /
    post_forward of the bottleneck adapters, LoRA's base + B(A(x)) * scaling,
    ModulesToSaveWrapper forwarding through its copy, the flexible heads and HF's
    BertFor{Sequence,Token}Classification), in eval mode.

Inputs (written by `npx tsx scripts/interop/make-fixtures.ts`):
  <fixtures>/inputs.json   {"input_ids": [[...]], "attention_mask": [[...]],
                            "cases": {"<case>": {"library": "adapters"|"peft",
                                                 "head": "sequence"|"token",
                                                 "logits": [[...]]}}}
                           sequence logits are [B, C]; token logits are [B*T, C] (every
                           position, padding included, row-major); token_type_ids are 0.
  <fixtures>/<case>/       one exported folder per case.
  <plm>/config.json, <plm>/model.safetensors   the frozen base model (HF names).

Output: per case the keys loaded and max |logits - TS logits|; exit status 1 if any
case differs by more than 1e-4 or has a structural error. When every case passes it
writes <fixtures>/python_logits.json:
  {"<case>": {"logits": [[...]] (7 significant digits), "keys": [sorted file tensor
   names], "max_abs_diff_vs_ts": float}}
which a TypeScript test compares against in CI (where there is no PyTorch).

`--real` loads the same folders with the real libraries instead (only where
`transformers`, `adapters` and `peft` are installed; it cannot run on this machine).
"""

import argparse
import copy
import json
import math
import os
import re
import sys
from collections import OrderedDict
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "scripts", "pretrain"))

from bert_torch import BertConfig, BertModel, BertOutput, BertSelfOutput, load_state_dict_flexible  # noqa: E402
from safetensors_io import load_torch  # noqa: E402

DEFAULT_FIXTURES = os.path.join(REPO, "src", "engine", "fixtures", "interop")
DEFAULT_PLM = os.path.join(REPO, "src", "engine", "fixtures", "tiny-bert")
TOLERANCE = 1e-4


class CheckError(Exception):
    """A structural problem: the library would refuse the folder, load it differently
    from what we exported, or this checker does not mirror the requested feature."""


# ----------------------------------------------------------------------------
# Shared helpers
# ----------------------------------------------------------------------------


def read_json(path: str) -> Dict:
    """Parse a JSON file the way Python's json module does (1.0 stays a float, 1 an int)."""
    if not os.path.isfile(path):
        raise CheckError(f"missing file {path}")
    with open(path, "r", encoding="utf-8") as f:
        return json.load(f)


def read_safetensors(path: str) -> "OrderedDict[str, torch.Tensor]":
    """Tensors of a safetensors file as float32 torch tensors, in file order."""
    if not os.path.isfile(path):
        raise CheckError(f"missing file {path}")
    tensors, _ = load_torch(path)
    return OrderedDict((k, v.float()) for k, v in tensors.items())


class HFActivation(nn.Module):
    """transformers' ACT2FN entries by name (the subset an exported adapter or head can use).
    gelu is the exact erf form; gelu_new / gelu_pytorch_tanh the tanh approximation;
    swish and silu are x * sigmoid(x). Has no parameters (no state-dict entries)."""

    KNOWN = ("relu", "gelu", "gelu_new", "gelu_pytorch_tanh", "swish", "silu", "tanh", "sigmoid", "linear", "leakyrelu")

    def __init__(self, name: Optional[str]):
        super().__init__()
        if name is not None and name not in self.KNOWN:
            raise CheckError(f"activation {name!r} is not mirrored by this checker (known: {', '.join(self.KNOWN)})")
        self.name = name

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = self.name
        if n is None or n == "linear":
            return x
        if n == "relu":
            return F.relu(x)
        if n == "gelu":
            return F.gelu(x)
        if n in ("gelu_new", "gelu_pytorch_tanh"):
            return F.gelu(x, approximate="tanh")
        if n in ("swish", "silu"):
            return F.silu(x)
        if n == "tanh":
            return torch.tanh(x)
        if n == "sigmoid":
            return torch.sigmoid(x)
        return F.leaky_relu(x)  # "leakyrelu", special-cased by adapters' Activation_Function_Class


def load_plm(plm_dir: str) -> Tuple[BertConfig, "OrderedDict[str, torch.Tensor]"]:
    """The frozen base model: HF config.json and model.safetensors (BertModel names)."""
    config = BertConfig.from_json_file(os.path.join(plm_dir, "config.json"))
    state = read_safetensors(os.path.join(plm_dir, "model.safetensors"))
    return config, state


def load_bert(config: BertConfig, state: Dict[str, torch.Tensor], bert: BertModel) -> None:
    """Load the PLM into `bert` as HF from_pretrained does: checkpoint tensors the model has no
    place for (the pooler, for a model built without one) are skipped, everything else must fit."""
    own = bert.state_dict()
    kept = {}
    for k, v in state.items():
        bare = k[5:] if k.startswith("bert.") else k
        if bare.startswith("pooler.") and bert.pooler is None:
            continue  # HF only warns "Some weights of the model checkpoint were not used"
        if bare.startswith("cls."):
            continue
        kept[bare] = v
    missing = [k for k in own if k not in kept]
    if missing:
        raise CheckError(f"PLM checkpoint lacks {missing}")
    load_state_dict_flexible(bert, kept)


def explain_load(title: str, unexpected: List[str], shape_errors: List[str], missing: List[str], outside: List[str]) -> None:
    """Raise a CheckError listing every way the file and the model failed to match one to one."""
    problems = []
    if shape_errors:
        problems.append("size mismatch (the library raises): " + "; ".join(shape_errors))
    if unexpected:
        problems.append("file tensors with no matching parameter (unexpected keys): " + ", ".join(unexpected))
    if outside:
        problems.append("file tensors that would overwrite base-model weights: " + ", ".join(outside))
    if missing:
        problems.append("adapter/head parameters not in the file (left at their random init): " + ", ".join(missing))
    if problems:
        raise CheckError(f"{title}: " + " | ".join(problems))


# ----------------------------------------------------------------------------
# AdapterHub `adapters` library
# Follows adapters/src/adapters: configuration/adapter_config.py (BnConfig),
# methods/modeling.py (Adapter, ParallelAdapter, Activation_Function_Class),
# methods/bottleneck.py (BottleneckLayer), models/bert/{modeling_bert,mixin_bert,adapter_model}.py,
# heads/base.py (PredictionHead, ClassificationHead, TaggingHead), heads/model_mixin.py,
# loading.py (AdapterLoader, PredictionHeadLoader, WeightsLoaderHelper), utils.py.
# ----------------------------------------------------------------------------

AH_CONFIG_NAME = "adapter_config.json"
AH_WEIGHTS_NAME = "pytorch_adapter.bin"
AH_SAFE_WEIGHTS_NAME = "adapter.safetensors"
AH_HEAD_CONFIG_NAME = "head_config.json"
AH_HEAD_WEIGHTS_NAME = "pytorch_model_head.bin"
AH_SAFE_HEAD_WEIGHTS_NAME = "model_head.safetensors"

# BnConfig fields and their defaults; the first four have none (BnConfig(**d) raises without them).
BN_REQUIRED = ("mh_adapter", "output_adapter", "reduction_factor", "non_linearity")
BN_DEFAULTS = {
    "original_ln_before": False,
    "original_ln_after": True,
    "ln_before": False,
    "ln_after": False,
    "init_weights": "bert",
    "is_parallel": False,
    "scaling": 1.0,
    "use_gating": False,
    "residual_before_ln": True,
    "adapter_residual_before_ln": False,
    "inv_adapter": None,
    "inv_adapter_reduction_factor": None,
    "cross_adapter": False,
    "leave_out": [],
    "dropout": 0.0,
    "phm_layer": False,
    "phm_dim": 4,
    "factorized_phm_W": True,
    "shared_W_phm": False,
    "shared_phm_rule": True,
    "factorized_phm_rule": False,
    "phm_c_init": "normal",
    "phm_init_range": 0.0001,
    "learn_phm": True,
    "hypercomplex_nonlinearity": "glorot-uniform",
    "phm_rank": 1,
    "phm_bias": True,
    "stochastic_depth": 0.0,
}
# Options that change the module tree or the forward and that this checker does not mirror.
BN_NOT_MIRRORED = ("ln_before", "ln_after", "use_gating", "phm_layer", "leave_out", "inv_adapter", "stochastic_depth")
# Old adapter-transformers activation names, renamed on load when the file has no "version".
AH_ACTIVATION_RENAME = {"gelu": "gelu_new", "gelu_orig": "gelu"}


def check_adapters_version(version: str, what: str) -> None:
    """The loader parses the part after "adapters." with packaging.version.Version, which raises
    InvalidVersion on a malformed string. This is a PEP 440 subset (release, pre/post/dev, local)."""
    if not version.startswith("adapters."):
        return
    rest = version[len("adapters."):]
    pep440 = r"v?(\d+!)?\d+(\.\d+)*((a|b|rc|alpha|beta|c)\.?\d*)?(\.?post\d*)?(\.?dev\d*)?(\+[a-z0-9]+([._-][a-z0-9]+)*)?"
    if not re.fullmatch(pep440, rest.strip(), flags=re.IGNORECASE):
        raise CheckError(f"{what}: version {version!r}: packaging.version.Version({rest!r}) would raise InvalidVersion")


def load_weights_config(path: str, what: str) -> Dict:
    """WeightsLoaderHelper.load_weights_config: the JSON, with old activation names renamed
    when the file carries no "version" (files from adapter-transformers v1/v2)."""
    cfg = read_json(path)
    if "version" not in cfg:
        inner = cfg.get("config")
        if isinstance(inner, dict) and inner.get("non_linearity") in AH_ACTIVATION_RENAME:
            inner["non_linearity"] = AH_ACTIVATION_RENAME[inner["non_linearity"]]
    else:
        check_adapters_version(str(cfg["version"]), what)
    return cfg


def parse_bn_config(raw: Dict) -> Dict:
    """AdapterConfig.load(dict) for a bottleneck adapter: the class is chosen by "architecture"
    (absent/None/"bottleneck" -> BnConfig), required fields must be present, defaults fill the rest
    and unknown keys are kept as extra attributes (no error)."""
    if not isinstance(raw, dict):
        raise CheckError(f"adapter config must be a JSON object, got {raw!r}")
    arch = raw.get("architecture")
    if arch not in (None, "bottleneck"):
        raise CheckError(f"architecture {arch!r}: only bottleneck adapters (BnConfig) are mirrored")
    missing = [k for k in BN_REQUIRED if k not in raw]
    if missing:
        raise CheckError(f"BnConfig.__init__ would raise TypeError: missing required fields {missing}")
    cfg = dict(BN_DEFAULTS)
    cfg.update(raw)
    for key in BN_NOT_MIRRORED:
        if cfg[key] != BN_DEFAULTS[key]:
            raise CheckError(f"{key}={cfg[key]!r} is not mirrored by this checker (only the default {BN_DEFAULTS[key]!r})")
    # Adapter.__init__: scaling must be a Python float; "learned"/"channel" add a parameter; anything
    # else (including an int such as 4, which is what JSON.stringify(4.0) writes) raises ValueError.
    if not isinstance(cfg["scaling"], float):
        if cfg["scaling"] in ("learned", "channel"):
            raise CheckError(f"scaling={cfg['scaling']!r} (a learned scaling parameter) is not mirrored")
        raise CheckError(f"scaling={cfg['scaling']!r} ({type(cfg['scaling']).__name__}): Adapter raises "
                         f"'Unknown scaling type'; it must be a JSON float such as 4.0")
    if cfg["init_weights"] not in ("bert", "mam_adapter", "houlsby"):
        raise CheckError(f"init_weights={cfg['init_weights']!r}: Adapter raises 'Unknown init_weights type'")
    if cfg["residual_before_ln"] not in (True, False, "post_add"):
        raise CheckError(f"residual_before_ln={cfg['residual_before_ln']!r}: Adapter.pre_forward only knows True, False "
                         "and 'post_add' (anything else leaves the residual unset)")
    if cfg["residual_before_ln"] == "post_add" and not cfg["original_ln_before"] and not cfg["is_parallel"]:
        raise CheckError("residual_before_ln='post_add' without original_ln_before leaves the residual unset "
                         "(UnboundLocalError in Adapter.pre_forward)")
    if not isinstance(cfg["non_linearity"], str):
        raise CheckError(f"non_linearity must be a string, got {cfg['non_linearity']!r}")
    extra = sorted(set(raw) - set(BN_REQUIRED) - set(BN_DEFAULTS) - {"architecture"})
    cfg["_extra_keys"] = extra
    return cfg


def reduction_factor_for(cfg: Dict, layer_idx: int):
    """BottleneckLayer.add_adapter: a mapping is looked up by str(layer index), then "default"."""
    rf = cfg["reduction_factor"]
    if isinstance(rf, dict):
        if str(layer_idx) in rf:
            return rf[str(layer_idx)]
        if "default" in rf:
            return rf["default"]
        raise CheckError("reduction_factor mapping has neither this layer nor 'default' (KeyError in the library)")
    if isinstance(rf, bool) or not isinstance(rf, (int, float)) or rf <= 0:
        raise CheckError(f"reduction_factor {rf!r} must be a positive number")
    return rf


class Adapter(nn.Module):
    """Mirror of adapters' sequential bottleneck `Adapter` (without ln_before/ln_after/gating/PHM):
    adapter_down = Sequential(Linear(H, d), activation), adapter_up = Linear(d, H), a float scaling."""

    def __init__(self, name: str, input_size: int, down_sample: int, cfg: Dict):
        super().__init__()
        self.name = name
        self.input_size = input_size
        self.add_layer_norm_before = cfg["ln_before"]
        self.add_layer_norm_after = cfg["ln_after"]
        self.adapter_residual_before_ln = cfg["adapter_residual_before_ln"]
        self.residual_before_ln = cfg["residual_before_ln"]
        self.original_ln_before = cfg["original_ln_before"]
        self.original_ln_after = cfg["original_ln_after"]
        self.down_sample = max(1, down_sample)  # the library raises a size below 1 to 1
        self.non_linearity = HFActivation(cfg["non_linearity"].lower())
        self.adapter_down = nn.Sequential(nn.Linear(input_size, self.down_sample), self.non_linearity)
        self.adapter_up = nn.Linear(self.down_sample, input_size)
        self.scaling = cfg["scaling"]
        self.dropout = nn.Dropout(p=cfg["dropout"])

    def pre_forward(self, hidden_states, input_tensor, layer_norm):
        """Returns (adapter input, adapter residual). hidden_states is the sublayer output after
        dense + dropout, input_tensor the sublayer input. With original_ln_before the pretrained
        residual + LayerNorm is applied first; residual_before_ln picks where the residual is taken."""
        residual = None
        if self.residual_before_ln is True:
            residual = hidden_states
        if self.original_ln_before:
            hidden_states = hidden_states + input_tensor
            if self.residual_before_ln == "post_add":
                residual = hidden_states
            hidden_states = layer_norm(hidden_states)
        if not self.residual_before_ln:
            residual = hidden_states
        return hidden_states, residual

    def forward(self, x, residual_input):
        """up(act(down(x))) * scaling, then dropout, then the adapter residual."""
        up = self.adapter_up(self.adapter_down(x))
        output = self.dropout(up * self.scaling)
        # adapter_residual_before_ln only orders the residual against ln_after, which is refused here
        return output + residual_input

    def post_forward(self, hidden_states, input_hidden_states, input_tensor, layer_norm):
        """With original_ln_after: LayerNorm(out + sublayer input). Without it the output is
        returned as is (no residual to the sublayer input is added in that case)."""
        if self.original_ln_after:
            hidden_states = layer_norm(hidden_states + input_tensor)
        return hidden_states


class ParallelAdapter(Adapter):
    """Mirror of adapters' `ParallelAdapter`: reads the sublayer input, adds its scaled output to
    the sublayer output, then the pretrained residual + LayerNorm."""

    def pre_forward(self, hidden_states, input_tensor, layer_norm):
        """The adapter input and residual are both the sublayer input."""
        return input_tensor, input_tensor

    def forward(self, x, residual_input):
        """up(act(down(x))) * scaling, then dropout; no residual here."""
        up = self.adapter_up(self.adapter_down(x))
        return self.dropout(up * self.scaling)

    def post_forward(self, hidden_states, input_hidden_states, input_tensor, layer_norm):
        """out + sublayer output, then (original_ln_after) LayerNorm(. + sublayer input)."""
        hidden_states = hidden_states + input_hidden_states
        if self.original_ln_after:
            hidden_states = layer_norm(hidden_states + input_tensor)
        return hidden_states


class AdapterSetup:
    """Stands for ModelAdaptersConfig: the active adapter setup shared by every layer (a plain
    object, so it adds nothing to the state dict)."""

    def __init__(self):
        self.active: List[str] = []


class BottleneckLayerMixin:
    """BertSelfOutput / BertOutput with the library's `adapters` and `adapter_fusion_layer`
    ModuleDicts (the library makes these modules inherit from BottleneckLayer directly)."""

    def init_adapters(self, location_key: str, layer_idx: int, setup: AdapterSetup, hidden_size: int) -> None:
        """Empty adapter containers, as init_adapters leaves them before add_adapter."""
        self.location_key = location_key
        self.layer_idx = layer_idx
        self.adapters_config = setup
        self.hidden_size = hidden_size
        self.adapters = nn.ModuleDict()
        self.adapter_fusion_layer = nn.ModuleDict()

    def add_adapter(self, name: str, cfg: Dict) -> bool:
        """An adapter goes here if the config enables this location (mh_adapter = attention.output,
        output_adapter = output) and the layer is not left out; d = int(H // reduction_factor)."""
        if not cfg.get(self.location_key, False) or self.layer_idx in cfg["leave_out"]:
            return False
        rf = reduction_factor_for(cfg, self.layer_idx)
        down_sample = int(self.hidden_size // rf)
        cls = ParallelAdapter if cfg["is_parallel"] else Adapter
        adapter = cls(name, self.hidden_size, down_sample, cfg)
        adapter.train(self.training)
        self.adapters[name] = adapter
        return True

    def bottleneck_layer_forward(self, hidden_states, residual_input, layer_norm):
        """With an active adapter here: pre_forward, forward, post_forward (a Stack of one adapter);
        otherwise the unchanged sublayer: LayerNorm(hidden_states + residual_input)."""
        active = [n for n in self.adapters_config.active if n in self.adapters]
        if not active:
            return layer_norm(hidden_states + residual_input)
        adapter = self.adapters[active[0]]
        input_hidden_states = hidden_states
        hidden_states, adapter_residual = adapter.pre_forward(hidden_states, residual_input, layer_norm)
        hidden_states = adapter(hidden_states, adapter_residual)
        return adapter.post_forward(hidden_states, input_hidden_states, residual_input, layer_norm)


class BertSelfOutputWithAdapters(BottleneckLayerMixin, BertSelfOutput):
    """attention.output: dense, dropout, then the bottleneck layer with the attention LayerNorm."""

    def forward(self, context: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        """[B, T, H], [B, T, H] -> [B, T, H]."""
        hidden = self.dropout(self.dense(context))
        return self.bottleneck_layer_forward(hidden, residual, self.LayerNorm)


class BertOutputWithAdapters(BottleneckLayerMixin, BertOutput):
    """output: dense, dropout, then the bottleneck layer with the feed-forward LayerNorm."""

    def forward(self, intermediate: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        """[B, T, I], [B, T, H] -> [B, T, H]."""
        hidden = self.dropout(self.dense(intermediate))
        return self.bottleneck_layer_forward(hidden, residual, self.LayerNorm)


HEAD_KWARGS = {
    # head_type -> (the keyword arguments its class accepts, their defaults)
    "classification": {"num_labels": 2, "layers": 2, "activation_function": "tanh", "id2label": None,
                       "use_pooler": False, "bias": True, "dropout_prob": None},
    "tagging": {"num_labels": 2, "layers": 1, "activation_function": "tanh", "id2label": None, "dropout_prob": None},
}


class PredictionHead(nn.Sequential):
    """Mirror of PredictionHead.build: per layer a Dropout, then Linear(H, H) + activation for all
    but the last, Linear(H, num_labels, bias) for the last; modules are named "0", "1", ..."""

    def __init__(self, name: str, head_type: str, cfg: Dict, hidden_size: int):
        super().__init__()
        self.name = name
        self.head_type = head_type
        self.config = cfg
        modules: List[nn.Module] = []
        for l_id in range(cfg["layers"]):
            modules.append(nn.Dropout(0.0))  # eval mode: the probability does not matter
            if l_id < cfg["layers"] - 1:
                modules.append(nn.Linear(hidden_size, hidden_size))
                if cfg["activation_function"]:
                    modules.append(HFActivation(cfg["activation_function"].lower()))
            else:
                modules.append(nn.Linear(hidden_size, cfg["num_labels"], bias=cfg.get("bias", True)))
        for i, m in enumerate(modules):
            self.add_module(str(i), m)

    def head_forward(self, last_hidden: torch.Tensor, pooled: Optional[torch.Tensor]) -> torch.Tensor:
        """classification: the [CLS] vector (or the pooler output with use_pooler) -> [B, C];
        tagging: every position -> [B, T, C]."""
        if self.head_type == "classification":
            x = pooled if self.config["use_pooler"] else last_hidden[:, 0]
            return super().forward(x)
        return super().forward(last_hidden)


class BertAdapterModel(nn.Module):
    """Mirror of BertAdapterModel: `bert` (a BertModel with pooler whose attention.output and
    output modules carry adapters) and `heads` (ModuleDict of flexible heads)."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.config = config
        self.setup = AdapterSetup()
        self.bert = BertModel(config, add_pooling_layer=True)
        for i, layer in enumerate(self.bert.encoder.layer):
            attn_out = BertSelfOutputWithAdapters(config)
            attn_out.init_adapters("mh_adapter", i, self.setup, config.hidden_size)
            layer.attention.output = attn_out
            ffn_out = BertOutputWithAdapters(config)
            ffn_out.init_adapters("output_adapter", i, self.setup, config.hidden_size)
            layer.output = ffn_out
        self.heads = nn.ModuleDict()
        self.active_head: Optional[str] = None

    def add_adapter(self, name: str, cfg: Dict) -> int:
        """Adds the adapter to every layer location the config selects; returns how many."""
        added = 0
        for layer in self.bert.encoder.layer:
            added += layer.attention.output.add_adapter(name, cfg)
            added += layer.output.add_adapter(name, cfg)
        return added

    def set_active_adapters(self, name: str) -> None:
        """Activates Stack(name); the head of the same name becomes the active head, if there is one."""
        self.setup.active = [name]
        self.active_head = name if name in self.heads else None

    def forward(self, input_ids, attention_mask, token_type_ids):
        """Logits of the active head."""
        out = self.bert(input_ids, attention_mask, token_type_ids)
        if self.active_head is None:
            raise CheckError("no active head: the model would return the base model outputs, not logits")
        return self.heads[self.active_head].head_forward(out["last_hidden_state"], out["pooler_output"])


def ah_filter_adapter(name: str):
    """AdapterLoader.filter_func: the parameter names that belong to adapter `name`."""
    parts = [f"_adapters.{name}.", f".adapters.{name}.", f".prefix_tunings.{name}.", f".prefix_gates.{name}.",
             f".loras.{name}.", f".refts.{name}.", f".prompt_tunings.{name}."]
    return lambda k: any(p in k for p in parts)


def ah_filter_head(name: str):
    """PredictionHeadLoader.filter_func: not under the base model and containing heads.<name>."""
    return lambda k: not k.startswith("bert") and f"heads.{name}" in k


AH_LEGACY_RENAMES = {
    "attention_text_task_adapters": "adapters",
    "attention_text_lang_adapters": "adapters",
    "layer_text_task_adapters": "adapters",
    "layer_text_lang_adapters": "adapters",
    "invertible_lang_adapters": "invertible_adapters",
}


def ah_load_weights(model: BertAdapterModel, state: Dict[str, torch.Tensor], filter_func, in_base_model: bool,
                    title: str) -> Dict[str, str]:
    """WeightsLoaderHelper.load_weights_from_state_dict, then the strict judgement (explain_load).

    The library loads the WHOLE file into the model (into the full model when a key starts with
    the base-model prefix "bert", else into model.bert if in_base_model), raises on a size
    mismatch, and only reports missing keys that pass filter_func and unexpected keys.
    Returns {file key: model parameter name}."""
    has_prefix = any(k.startswith("bert") for k in state)
    target, prefix = model, ""
    if in_base_model and not has_prefix:
        target, prefix = model.bert, "bert."
    own = target.state_dict()
    landed, unexpected, shape_errors, outside = {}, [], [], []
    for k, v in state.items():
        if k not in own:
            unexpected.append(k)
            continue
        if tuple(own[k].shape) != tuple(v.shape):
            shape_errors.append(f"{k}: file {tuple(v.shape)} vs model {tuple(own[k].shape)}")
            continue
        if not filter_func(prefix + k):
            outside.append(k)
        landed[k] = prefix + k
    missing = [prefix + k for k in own if filter_func(prefix + k) and k not in state]
    explain_load(title, unexpected, shape_errors, missing, outside)
    with torch.no_grad():
        for k, v in state.items():
            own[k].copy_(v)
    return landed


def load_adapterhub_folder(folder: str, plm_config: BertConfig, plm_state, head_kind: str, log) -> Tuple[BertAdapterModel, List[str]]:
    """BertAdapterModel.from_pretrained(plm) + load_adapter(folder, use_safetensors=True)
    + set_active_adapters(name). Returns the model and the sorted file tensor names."""
    if not (os.path.isfile(os.path.join(folder, AH_WEIGHTS_NAME)) or os.path.isfile(os.path.join(folder, AH_SAFE_WEIGHTS_NAME))) \
            or not os.path.isfile(os.path.join(folder, AH_CONFIG_NAME)):
        raise CheckError(f"resolve_adapter_path: no {AH_SAFE_WEIGHTS_NAME} (or {AH_WEIGHTS_NAME}) and {AH_CONFIG_NAME} in {folder}")
    model = BertAdapterModel(plm_config)
    load_bert(plm_config, plm_state, model.bert)
    model.eval()

    # AdapterLoader.load: read the config, add the adapter, load the weights.
    full = load_weights_config(os.path.join(folder, AH_CONFIG_NAME), AH_CONFIG_NAME)
    for key in ("config", "name"):
        if key not in full:
            raise CheckError(f"{AH_CONFIG_NAME} has no {key!r}")
    name = full["name"]
    cfg = parse_bn_config(full["config"])
    if cfg["_extra_keys"]:
        log(f"  note: unknown BnConfig keys kept as attributes by the library: {cfg['_extra_keys']}")
    if full.get("hidden_size") not in (None, plm_config.hidden_size):
        log(f"  note: {AH_CONFIG_NAME} says hidden_size {full['hidden_size']}, the PLM has {plm_config.hidden_size}")
    if model.add_adapter(name, cfg) == 0:
        raise CheckError("the config enables neither mh_adapter nor output_adapter: the library adds no adapter module")
    weights_path = os.path.join(folder, AH_SAFE_WEIGHTS_NAME)
    adapter_state = read_safetensors(weights_path)
    renamed = OrderedDict()
    for k, v in adapter_state.items():
        for old, new in AH_LEGACY_RENAMES.items():
            k = k.replace(old, new)
        renamed[k] = v
    landed = ah_load_weights(model, renamed, ah_filter_adapter(name), in_base_model=True, title=AH_SAFE_WEIGHTS_NAME)

    # PredictionHeadLoader.load (error_on_missing=False: without head files there is just no head).
    file_keys = list(adapter_state)
    head_cfg_path = os.path.join(folder, AH_HEAD_CONFIG_NAME)
    head_path = os.path.join(folder, AH_SAFE_HEAD_WEIGHTS_NAME)
    if not os.path.isfile(head_path) or not os.path.isfile(head_cfg_path):
        raise CheckError(f"no {AH_SAFE_HEAD_WEIGHTS_NAME} + {AH_HEAD_CONFIG_NAME}: load_adapter loads no head")
    head_full = load_weights_config(head_cfg_path, AH_HEAD_CONFIG_NAME)
    if head_full.get("model_class") != "BertAdapterModel":
        raise CheckError(f"{AH_HEAD_CONFIG_NAME} model_class {head_full.get('model_class')!r}: a BertAdapterModel "
                         "loads its own flex heads only as 'BertAdapterModel' (others are converted or refused)")
    head_name = head_full.get("name")
    if head_name != name:
        raise CheckError(f"head name {head_name!r} differs from adapter name {name!r}: set_active_adapters({name!r}) "
                         "would not activate the head")
    head_cfg = dict(head_full.get("config") or {})
    if "head_type" not in head_cfg:
        raise CheckError(f"{AH_HEAD_CONFIG_NAME} config has no head_type")
    head_type = head_cfg.pop("head_type")
    if head_type not in HEAD_KWARGS:
        raise CheckError(f"head_type {head_type!r} is not mirrored (only {sorted(HEAD_KWARGS)})")
    expected_kind = {"classification": "sequence", "tagging": "token"}[head_type]
    if expected_kind != head_kind:
        raise CheckError(f"head_type {head_type!r} but inputs.json says the case is a {head_kind!r} head")
    # label2id -> id2label with int ids (the loader calls int() on every id).
    label2id = head_cfg.pop("label2id", None)
    head_cfg.pop("id2label", None)
    if label2id is not None:
        try:
            head_cfg["id2label"] = {int(i): lab for lab, i in label2id.items()}
        except (TypeError, ValueError, AttributeError):
            raise CheckError(f"label2id {label2id!r}: ids must be int-convertible")
    allowed = HEAD_KWARGS[head_type]
    unknown = sorted(set(head_cfg) - set(allowed))
    if unknown:
        raise CheckError(f"{head_type} head class gets unexpected keyword arguments {unknown} (TypeError)")
    resolved = dict(allowed)
    resolved.update(head_cfg)
    if not isinstance(resolved["layers"], int) or resolved["layers"] < 1:
        raise CheckError(f"head layers={resolved['layers']!r}")
    head = PredictionHead(name, head_type, resolved, plm_config.hidden_size)
    head.eval()
    model.heads[name] = head
    head_state = read_safetensors(head_path)
    landed.update(ah_load_weights(model, head_state, ah_filter_head(name), in_base_model=False, title=AH_SAFE_HEAD_WEIGHTS_NAME))
    file_keys += list(head_state)

    model.set_active_adapters(name)
    for k, target in landed.items():
        log(f"  {k}  ->  {target}" if k != target else f"  {k}")
    return model, sorted(file_keys)


# ----------------------------------------------------------------------------
# Hugging Face PEFT (LoRA)
# Follows peft/src/peft: config.py (PeftConfigMixin.from_pretrained / from_peft_type),
# tuners/lora/config.py (LoraConfig), tuners/lora/layer.py (LoraLayer, Linear),
# tuners/tuners_utils.py (check_target_module_exists), utils/other.py (ModulesToSaveWrapper,
# _set_trainable), utils/save_and_load.py (set_peft_model_state_dict,
# _insert_adapter_name_into_state_dict, load_peft_weights), peft_model.py
# (PeftModelForSequenceClassification / ForTokenClassification add "classifier" and "score"
# to modules_to_save), and transformers' BertForSequenceClassification / BertForTokenClassification.
# ----------------------------------------------------------------------------

PEFT_CONFIG_NAME = "adapter_config.json"
PEFT_SAFE_WEIGHTS_NAME = "adapter_model.safetensors"
ADAPTER_NAME = "default"

LORA_KNOWN_FIELDS = {
    # PeftConfig + LoraConfig fields (peft/config.py, peft/tuners/lora/config.py)
    "peft_type", "task_type", "base_model_name_or_path", "revision", "inference_mode", "auto_mapping",
    "r", "lora_alpha", "lora_dropout", "target_modules", "modules_to_save", "init_lora_weights",
    "fan_in_fan_out", "use_rslora", "bias", "use_dora", "exclude_modules", "layers_to_transform",
    "layers_pattern", "rank_pattern", "alpha_pattern", "megatron_config", "megatron_core", "loftq_config",
    "layer_replication", "lora_bias", "eva_config", "corda_config", "trainable_token_indices",
    "target_parameters", "use_qalora", "qalora_group_size", "alora_invocation_tokens", "arrow_config",
    "ensure_weight_tying", "runtime_config",
}
# Options that change the module tree, the keys or the forward and that this checker does not mirror:
# they must be absent or empty (None, False, [], {}).
LORA_MUST_BE_UNSET = (
    "use_dora", "lora_bias", "use_qalora", "rank_pattern", "alpha_pattern", "megatron_config", "exclude_modules",
    "layers_to_transform", "layers_pattern", "layer_replication", "trainable_token_indices", "target_parameters",
    "alora_invocation_tokens", "arrow_config",
)


def parse_lora_config(raw: Dict, log) -> Dict:
    """PeftConfig.from_pretrained for a LORA config: unknown keys are dropped with a warning by
    recent PEFT (older versions raise TypeError); options this checker does not mirror fail."""
    if raw.get("peft_type") != "LORA":
        raise CheckError(f"peft_type {raw.get('peft_type')!r}: only LORA is mirrored")
    unknown = sorted(set(raw) - LORA_KNOWN_FIELDS)
    if unknown:
        log(f"  warning: keys unknown to LoraConfig (PEFT ignores them with a warning; old PEFT raises): {unknown}")
    for key in LORA_MUST_BE_UNSET:
        if raw.get(key) not in (None, False, [], {}):
            raise CheckError(f"{key}={raw[key]!r} is not mirrored by this checker")
    if raw.get("bias", "none") != "none":
        raise CheckError(f"bias={raw['bias']!r}: only 'none' is mirrored (other values save bias tensors)")
    if raw.get("init_lora_weights", True) not in (True, False, "gaussian"):
        raise CheckError(f"init_lora_weights={raw['init_lora_weights']!r} may rewrite the base weights on load; not mirrored")
    for key in ("r", "lora_alpha", "target_modules"):
        if key not in raw:
            raise CheckError(f"{PEFT_CONFIG_NAME} has no {key!r} (the LoraConfig default would apply; refusing)")
    r = raw["r"]
    if not isinstance(r, int) or isinstance(r, bool) or r <= 0:
        raise CheckError(f"r={r!r} must be a positive int")
    if raw.get("task_type") not in ("SEQ_CLS", "TOKEN_CLS"):
        raise CheckError(f"task_type {raw.get('task_type')!r}: only SEQ_CLS and TOKEN_CLS are mirrored")
    cfg = dict(raw)
    cfg.setdefault("lora_dropout", 0.0)
    cfg.setdefault("use_rslora", False)
    cfg.setdefault("fan_in_fan_out", False)
    cfg.setdefault("modules_to_save", None)
    return cfg


class LoraLinear(nn.Module):
    """Mirror of peft.tuners.lora.layer.Linear around an nn.Linear: `base_layer` (the original),
    `lora_dropout`, `lora_A` = {adapter: Linear(in, r, bias=False)}, `lora_B` = {adapter: Linear(r, out,
    bias=False)}; forward = base_layer(x) + lora_B(lora_A(dropout(x))) * scaling."""

    def __init__(self, base_layer: nn.Linear, r: int, lora_alpha: float, lora_dropout: float, use_rslora: bool):
        super().__init__()
        self.base_layer = base_layer
        self.r = {ADAPTER_NAME: r}
        self.lora_alpha = {ADAPTER_NAME: lora_alpha}
        self.lora_dropout = nn.ModuleDict({ADAPTER_NAME: nn.Dropout(lora_dropout) if lora_dropout > 0 else nn.Identity()})
        self.lora_A = nn.ModuleDict({ADAPTER_NAME: nn.Linear(base_layer.in_features, r, bias=False)})
        self.lora_B = nn.ModuleDict({ADAPTER_NAME: nn.Linear(r, base_layer.out_features, bias=False)})
        # scaling = alpha / r, or alpha / sqrt(r) with rank-stabilised LoRA
        self.scaling = {ADAPTER_NAME: lora_alpha / math.sqrt(r) if use_rslora else lora_alpha / r}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[..., in] -> [..., out]."""
        result = self.base_layer(x)
        a, b = self.lora_A[ADAPTER_NAME], self.lora_B[ADAPTER_NAME]
        return result + b(a(self.lora_dropout[ADAPTER_NAME](x))) * self.scaling[ADAPTER_NAME]


class ModulesToSaveWrapper(nn.Module):
    """Mirror of peft.utils.other.ModulesToSaveWrapper: `original_module` and a trainable copy in
    `modules_to_save[adapter]`; the forward goes through the copy of the active adapter."""

    def __init__(self, module: nn.Module):
        super().__init__()
        self.original_module = module
        self.modules_to_save = nn.ModuleDict({ADAPTER_NAME: copy.deepcopy(module)})

    def forward(self, *args, **kwargs):
        """Same signature as the wrapped module."""
        return self.modules_to_save[ADAPTER_NAME](*args, **kwargs)

    def load_map(self) -> Dict[str, str]:
        """adapter_state_dict_load_map: saved key (the wrapped module's own key) -> in-model key."""
        return {k: f"modules_to_save.{ADAPTER_NAME}.{k}" for k in self.modules_to_save[ADAPTER_NAME].state_dict()}


class BertForSequenceClassification(nn.Module):
    """HF BertForSequenceClassification: classifier(dropout(pooler_output)), pooler = tanh(dense(h[:, 0]))."""

    def __init__(self, config: BertConfig, num_labels: int):
        super().__init__()
        self.bert = BertModel(config, add_pooling_layer=True)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.classifier = nn.Linear(config.hidden_size, num_labels)

    def forward(self, input_ids, attention_mask, token_type_ids):
        """[B, T] -> [B, C]."""
        out = self.bert(input_ids, attention_mask, token_type_ids)
        return self.classifier(self.dropout(out["pooler_output"]))


class BertForTokenClassification(nn.Module):
    """HF BertForTokenClassification: BertModel without pooler, classifier(dropout(sequence_output))."""

    def __init__(self, config: BertConfig, num_labels: int):
        super().__init__()
        self.bert = BertModel(config, add_pooling_layer=False)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.classifier = nn.Linear(config.hidden_size, num_labels)

    def forward(self, input_ids, attention_mask, token_type_ids):
        """[B, T] -> [B, T, C]."""
        out = self.bert(input_ids, attention_mask, token_type_ids)
        return self.classifier(self.dropout(out["last_hidden_state"]))


class LoraModel(nn.Module):
    """The tuner: holds the transformers model as `model`."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, *args):
        """Straight to the wrapped model."""
        return self.model(*args)


class PeftModel(nn.Module):
    """PeftModelFor{Sequence,Token}Classification: the tuner as `base_model`."""

    def __init__(self, base_model: LoraModel):
        super().__init__()
        self.base_model = base_model

    def forward(self, *args):
        """Straight to the tuner."""
        return self.base_model(*args)


def lora_target_matches(target_modules, key: str) -> bool:
    """check_target_module_exists: a string is a regex that must match the whole module name; a
    list matches a name equal to an entry or ending with "." + entry."""
    if isinstance(target_modules, str):
        return re.fullmatch(target_modules, key) is not None
    return key in target_modules or any(key.endswith("." + t) for t in target_modules)


def set_submodule(root: nn.Module, name: str, new: nn.Module) -> None:
    """Replace the submodule at dotted path `name`."""
    parent_name, _, child = name.rpartition(".")
    parent = root.get_submodule(parent_name) if parent_name else root
    setattr(parent, child, new)


def load_peft_folder(folder: str, plm_config: BertConfig, plm_state, head_kind: str, num_labels: int, log) -> Tuple[PeftModel, List[str]]:
    """PeftModel.from_pretrained(AutoModelFor{Sequence,Token}Classification.from_pretrained(plm,
    num_labels=C), folder). Returns the model and the sorted file tensor names."""
    cfg = parse_lora_config(read_json(os.path.join(folder, PEFT_CONFIG_NAME)), log)
    expected_task = {"sequence": "SEQ_CLS", "token": "TOKEN_CLS"}[head_kind]
    if cfg["task_type"] != expected_task:
        raise CheckError(f"task_type {cfg['task_type']!r} but inputs.json says the case is a {head_kind!r} head")
    hf_cls = BertForSequenceClassification if head_kind == "sequence" else BertForTokenClassification
    hf_model = hf_cls(plm_config, num_labels)
    load_bert(plm_config, plm_state, hf_model.bert)

    # LoRA injection (BaseTuner.inject_adapter): every targeted module must be an nn.Linear.
    targeted = []
    for key, module in list(hf_model.named_modules()):
        if key and lora_target_matches(cfg["target_modules"], key):
            if not isinstance(module, nn.Linear):
                raise CheckError(f"target {key} is a {type(module).__name__}: PEFT raises 'Target module ... is not supported'")
            if cfg["fan_in_fan_out"]:
                log(f"  note: fan_in_fan_out=True on an nn.Linear: PEFT warns and sets it to False")
            set_submodule(hf_model, key, LoraLinear(module, cfg["r"], cfg["lora_alpha"], cfg["lora_dropout"], cfg["use_rslora"]))
            targeted.append(key)
    if not targeted:
        raise CheckError(f"target modules {cfg['target_modules']!r} not found in the base model (PEFT raises ValueError)")
    peft_model = PeftModel(LoraModel(hf_model))

    # modules_to_save: the config's list plus "classifier" and "score" for these task types;
    # _set_trainable wraps every module whose name ends with one of them (plain endswith).
    module_names = list(cfg["modules_to_save"] or []) + ["classifier", "score"]
    wrappers: Dict[str, ModulesToSaveWrapper] = {}
    for key, module in list(peft_model.named_modules()):
        if key and any(key.endswith(t) for t in module_names):
            wrapper = ModulesToSaveWrapper(module)
            set_submodule(peft_model, key, wrapper)
            wrappers[key] = wrapper
    for t in cfg["modules_to_save"] or []:
        if not any(k.endswith(t) for k in wrappers):
            log(f"  note: modules_to_save entry {t!r} matches no module (PEFT silently ignores it)")
    peft_model.eval()

    # set_peft_model_state_dict
    file_state = read_safetensors(os.path.join(folder, PEFT_SAFE_WEIGHTS_NAME))
    state = OrderedDict(file_state)
    origin = {k: k for k in state}  # in-model key -> file key
    for name, wrapper in wrappers.items():
        for k, mapped in wrapper.load_map().items():
            lookup, store = f"{name}.{k}", f"{name}.{mapped}"
            if lookup not in state:
                raise CheckError(f"{PEFT_SAFE_WEIGHTS_NAME} has no {lookup} for the modules_to_save wrapper {name} "
                                 "(KeyError in set_peft_model_state_dict)")
            state[store] = state.pop(lookup)
            origin[store] = origin.pop(lookup)
    inserted = OrderedDict()
    for key, v in state.items():
        new_key = key
        if "lora_" in key:
            # _insert_adapter_name_into_state_dict: "...lora_A.weight" -> "...lora_A.default.weight"
            _, _, suffix = key.rpartition("lora_")
            if "." in suffix:
                leaf = ".".join(suffix.split(".")[1:])
                if "." not in leaf:
                    new_key = re.sub(re.escape(leaf) + r"$", f"{ADAPTER_NAME}.{leaf}", key)
            else:
                new_key = f"{key}.{ADAPTER_NAME}"
        inserted[new_key] = v
        origin[new_key] = origin.pop(key)

    # model.load_state_dict(strict=False), judged strictly.
    own = peft_model.state_dict()
    is_adapter_param = lambda k: "lora_" in k or ".modules_to_save." in k  # noqa: E731
    landed, unexpected, shape_errors, outside = {}, [], [], []
    for k, v in inserted.items():
        if k not in own:
            unexpected.append(origin[k] if origin[k] == k else f"{origin[k]} (as {k})")
            continue
        if tuple(own[k].shape) != tuple(v.shape):
            shape_errors.append(f"{origin[k]}: file {tuple(v.shape)} vs model {k} {tuple(own[k].shape)}")
            continue
        if not is_adapter_param(k):
            outside.append(origin[k])
        landed[origin[k]] = k
    missing = [k for k in own if is_adapter_param(k) and k not in inserted]
    explain_load(PEFT_SAFE_WEIGHTS_NAME, unexpected, shape_errors, missing, outside)
    with torch.no_grad():
        for k, v in inserted.items():
            own[k].copy_(v)
    for k, target in landed.items():
        log(f"  {k}  ->  {target}")
    return peft_model, sorted(file_state)


# ----------------------------------------------------------------------------
# Running the cases
# ----------------------------------------------------------------------------


LIBRARY_FILES = {
    "adapters": (AH_CONFIG_NAME, AH_SAFE_WEIGHTS_NAME, AH_WEIGHTS_NAME, AH_HEAD_CONFIG_NAME, AH_SAFE_HEAD_WEIGHTS_NAME,
                 AH_HEAD_WEIGHTS_NAME),
    "peft": (PEFT_CONFIG_NAME, PEFT_SAFE_WEIGHTS_NAME, "adapter_model.bin"),
}


def flat_logits(logits: torch.Tensor, head_kind: str) -> torch.Tensor:
    """[B, C] for sequence heads; [B, T, C] -> [B*T, C] (row-major) for token heads."""
    return logits.reshape(-1, logits.shape[-1]) if head_kind == "token" else logits


def max_abs_diff(ours: torch.Tensor, ts_logits: List[List[float]], what: str) -> float:
    """max |ours - TS|, after checking the shapes agree."""
    ts = torch.tensor(ts_logits, dtype=torch.float64)
    if tuple(ts.shape) != tuple(ours.shape):
        raise CheckError(f"{what}: logits shape {tuple(ours.shape)} but the TS logits are {tuple(ts.shape)}")
    return float((ours.double() - ts).abs().max())


def sig7(x: float) -> float:
    """Round to 7 significant digits."""
    return float(f"{x:.7g}")


def run_mirror(args, inputs: Dict) -> int:
    """Every case through the library mirrors; prints the figures, writes python_logits.json."""
    plm_config, plm_state = load_plm(args.plm)
    input_ids = torch.tensor(inputs["input_ids"], dtype=torch.long)
    attention_mask = torch.tensor(inputs["attention_mask"], dtype=torch.long)
    token_type_ids = torch.zeros_like(input_ids)
    results, failures = OrderedDict(), []
    for case, spec in inputs["cases"].items():
        folder = os.path.join(args.fixtures, case)
        print(f"== {case} ({spec['library']}, {spec['head']} head): {folder}")
        lines: List[str] = []
        try:
            if not os.path.isdir(folder):
                raise CheckError(f"no folder {folder}")
            if spec["library"] == "adapters":
                model, keys = load_adapterhub_folder(folder, plm_config, plm_state, spec["head"], lines.append)
            elif spec["library"] == "peft":
                num_labels = len(spec["logits"][0])
                model, keys = load_peft_folder(folder, plm_config, plm_state, spec["head"], num_labels, lines.append)
            else:
                raise CheckError(f"unknown library {spec['library']!r}")
            with torch.no_grad():
                logits = flat_logits(model(input_ids, attention_mask, token_type_ids), spec["head"])
            diff = max_abs_diff(logits, spec["logits"], case)
        except CheckError as e:
            for line in lines:
                print(line)
            print(f"  FAIL (structure): {e}")
            failures.append(case)
            continue
        ignored = sorted(set(os.listdir(folder)) - set(LIBRARY_FILES[spec["library"]]))
        print(f"  {len(keys)} file tensors loaded (files the library does not read: {', '.join(ignored) or 'none'}):")
        for line in lines:
            print(line)
        verdict = "ok" if diff <= TOLERANCE else f"FAIL (> {TOLERANCE:g})"
        print(f"  max |logits - TS logits| = {diff:.3e}  {verdict}")
        if diff > TOLERANCE:
            failures.append(case)
        results[case] = {
            "logits": [[sig7(x) for x in row] for row in logits.tolist()],
            "keys": keys,
            "max_abs_diff_vs_ts": float(f"{diff:.3g}"),
        }
    print()
    print(f"{'case':20s} {'library':9s} {'head':9s} max |Δ| vs TS")
    for case, spec in inputs["cases"].items():
        d = f"{results[case]['max_abs_diff_vs_ts']:.3e}" if case in results else "structural error"
        print(f"{case:20s} {spec['library']:9s} {spec['head']:9s} {d}")
    if failures:
        print(f"\nFAILED: {', '.join(failures)}; {args.out} not written")
        return 1
    write_python_logits(args.out, results)
    shown = os.path.relpath(args.out, REPO) if os.path.abspath(args.out).startswith(REPO + os.sep) else args.out
    print(f"\nall {len(results)} cases within {TOLERANCE:g}; wrote {shown}")
    return 0


def write_python_logits(path: str, results: Dict) -> None:
    """JSON with one logits row per line, stable across runs."""
    out = ["{"]
    for i, (case, r) in enumerate(results.items()):
        rows = ",\n".join("      " + json.dumps(row) for row in r["logits"])
        out.append(f"  {json.dumps(case)}: {{")
        out.append(f'    "logits": [\n{rows}\n    ],')
        out.append(f'    "keys": {json.dumps(r["keys"])},')
        out.append(f'    "max_abs_diff_vs_ts": {json.dumps(r["max_abs_diff_vs_ts"])}')
        out.append("  }" + ("," if i < len(results) - 1 else ""))
    out.append("}")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


# ----------------------------------------------------------------------------
# --real: the same folders through the real libraries (not runnable on this machine)
# ----------------------------------------------------------------------------


def run_real(args, inputs: Dict) -> int:
    """Load each folder with transformers + adapters / peft and compare with the TS logits."""
    try:
        import adapters
        import peft
        import transformers
    except ImportError as e:
        print(f"--real needs transformers, adapters and peft installed: {e}")
        return 2
    ids = torch.tensor(inputs["input_ids"], dtype=torch.long)
    mask = torch.tensor(inputs["attention_mask"], dtype=torch.long)
    tt = torch.zeros_like(ids)
    failed = False
    for case, spec in inputs["cases"].items():
        folder = os.path.join(args.fixtures, case)
        try:
            if spec["library"] == "adapters":
                model = adapters.BertAdapterModel.from_pretrained(args.plm)
                name = model.load_adapter(folder, use_safetensors=True)
                model.set_active_adapters(name)
            else:
                auto = (transformers.AutoModelForSequenceClassification if spec["head"] == "sequence"
                        else transformers.AutoModelForTokenClassification)
                base = auto.from_pretrained(args.plm, num_labels=len(spec["logits"][0]))
                model = peft.PeftModel.from_pretrained(base, folder)
            model.eval()
            with torch.no_grad():
                out = model(input_ids=ids, attention_mask=mask, token_type_ids=tt)
            diff = max_abs_diff(flat_logits(out.logits, spec["head"]), spec["logits"], case)
            verdict = "ok" if diff <= TOLERANCE else "FAIL"
        except Exception as e:  # noqa: BLE001 - report every case, whatever the library raised
            diff, verdict = float("nan"), f"FAIL ({type(e).__name__}: {e})"
        failed |= verdict != "ok"
        print(f"{case:20s} {spec['library']:9s} max |Δ| vs TS = {diff:.3e}  {verdict}")
    return 1 if failed else 0


def main() -> int:
    """Parse the command line and run the mirrors (default) or the real libraries (--real)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fixtures", default=DEFAULT_FIXTURES, help="folder with inputs.json and one folder per case")
    parser.add_argument("--plm", default=DEFAULT_PLM, help="base model folder (config.json + model.safetensors)")
    parser.add_argument("--out", default=None, help="where to write python_logits.json (default: <fixtures>/python_logits.json)")
    parser.add_argument("--real", action="store_true",
                        help="load the folders with the real transformers + adapters + peft instead of the mirrors "
                             "and compare with the TS logits (needs those packages, so it cannot run on the "
                             "offline machine; writes nothing)")
    args = parser.parse_args()
    args.out = args.out or os.path.join(args.fixtures, "python_logits.json")
    inputs = read_json(os.path.join(args.fixtures, "inputs.json"))
    torch.manual_seed(0)  # random inits that a strict load replaces; fixed for reproducible failures
    if args.real:
        return run_real(args, inputs)
    return run_mirror(args, inputs)


if __name__ == "__main__":
    sys.exit(main())
