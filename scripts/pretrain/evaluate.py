"""Held-out evaluation of any model or checkpoint: `pretrain.py --eval-only MODEL`.

MODEL is a Hugging Face-style folder (config.json, model.safetensors, vocab.txt; e.g.
public/models/default) or a training checkpoint (.cache/run/ckpt.pt, or the committed
checkpoints/*/ckpt.pt.xz; its vocabulary is .cache/vocab-<size>.txt). Two figures, each
beside the unigram baseline (always predict the most frequent token of the training text,
counted with the model's own vocabulary on every 10th training document):

  * in-domain: masked-token accuracy on the corpus's held-out documents (valid.txt);
  * held-out domain: the same on Debian's /usr/share/common-licenses texts (licence prose,
    a kind of text build_corpus.py keeps out of the corpus on purpose), and on a hashed
    sample of the distinct paragraphs of /usr/share/doc/*/copyright (names, file lists,
    licence excerpts; depends on which packages the machine has).

Both pack sentences into sequences of 128 word pieces and mask as HF's collator does (15%,
80/10/10) with a fixed seed (0), so figures are comparable across models with the same
vocabulary; across vocabularies they count each model's own word pieces. For an ELECTRA
checkpoint the generator's masked-token accuracy and the discriminator's replaced-token
detection are reported too (its MLM head is only trained at the end of the run).
"""

import json
import os
import re
import sys
from typing import Dict, List

import numpy as np
import torch

import build_corpus
import checkpoint as ckpt_io
import pretrain as P
from bert_torch import BertConfig, BertForMaskedLM, load_state_dict_flexible
from safetensors_io import load_torch
from wordpiece import BertTokenizer, basic_tokenize, load_vocab

LICENSES_DIR = "/usr/share/common-licenses"
EVAL_LEN = 128


def common_license_docs() -> List[List[str]]:
    """Every distinct file of /usr/share/common-licenses (symlinks resolved once) as a
    document of sentences."""
    seen, docs = set(), []
    for name in sorted(os.listdir(LICENSES_DIR)):
        real = os.path.realpath(os.path.join(LICENSES_DIR, name))
        if real in seen or not os.path.isfile(real):
            continue
        seen.add(real)
        with open(real, "r", encoding="utf-8", errors="replace") as f:
            paras = re.split(r"\n\s*\n", f.read())
        docs.append([s for p in paras for s in build_corpus.split_sentences(p)])
    return docs


def doc_copyright_docs(every: int = 10, limit: int = 2000) -> List[List[str]]:
    """A deterministic sample of the distinct paragraphs of /usr/share/doc/*/copyright (those
    whose sha1 mod `every` is 0, in hash order, at most `limit`), 20 paragraphs a document.
    Which packages are installed varies between machines, so this figure does too; the
    common-licenses one does not."""
    import glob
    import hashlib

    paras = set()
    for path in sorted(glob.glob("/usr/share/doc/*/copyright")):
        with open(path, "r", encoding="utf-8", errors="replace") as f:
            for p in re.split(r"\n\s*\n", f.read()):
                p = re.sub(r"\s+", " ", p).strip()
                if len(p) >= 20:
                    paras.add(p)
    keyed = sorted((hashlib.sha1(p.encode("utf-8")).hexdigest(), p) for p in paras)
    keep = [p for h, p in keyed if int(h[:8], 16) % every == 0][:limit]
    return [[s for p in keep[k : k + 20] for s in build_corpus.split_sentences(p)] for k in range(0, len(keep), 20)]


def pack_docs(docs: List[List[str]], vocab: List[str], max_len: int = EVAL_LEN) -> np.ndarray:
    """Sentence documents -> packed [N, max_len] id array under `vocab`."""
    tok = BertTokenizer(vocab)
    words = [[basic_tokenize(s) for s in d] for d in docs]
    return P.pack(P.encode_docs(words, vocab), max_len, tok.cls_id, tok.sep_id, tok.pad_id)


def most_frequent_train_token(vocab: List[str]) -> int:
    """Most frequent non-special word piece of every 10th training document."""
    docs = build_corpus.read_documents(os.path.join(build_corpus.CORPUS_DIR, "train.txt"))[::10]
    arr = pack_docs(docs, vocab)
    tok = BertTokenizer(vocab)
    counts = np.bincount(arr.ravel(), minlength=len(vocab))
    counts[[tok.pad_id, tok.cls_id, tok.sep_id, tok.unk_id]] = 0
    return int(counts.argmax())


def load_model(path: str, args):
    """(BertForMaskedLM, vocab, checkpoint or None) from a folder or a checkpoint file."""
    if os.path.isdir(path):
        config = BertConfig.from_json_file(os.path.join(path, "config.json"))
        model = BertForMaskedLM(config)
        state, _ = load_torch(os.path.join(path, "model.safetensors"))
        load_state_dict_flexible(model, {k: v.float() for k, v in state.items()})
        return model.eval(), load_vocab(os.path.join(path, "vocab.txt")), None
    ck = ckpt_io.load_any(path)
    sig = ck["sig"]
    for k, v in sig.items():
        if k != "vocab_size":
            setattr(args, k, v)
    vocab = load_vocab(os.path.join(P.CACHE, f"vocab-{sig['vocab_size']}.txt"))
    config = P.model_config(args, len(vocab))
    module, export_model = P.build_model(args, config)
    module.load_state_dict(ck["model"])
    return export_model.eval(), vocab, (module, ck)


def main_eval(args) -> Dict:
    """Prints and returns the held-out figures of args.eval_only."""
    model, vocab, from_ckpt = load_model(args.eval_only, args)
    tok = BertTokenizer(vocab)
    args.most_frequent_id = most_frequent_train_token(vocab)
    valid = pack_docs(build_corpus.read_documents(os.path.join(build_corpus.CORPUS_DIR, "valid.txt")), vocab)
    licences = pack_docs(common_license_docs(), vocab)
    copyrights = pack_docs(doc_copyright_docs(), vocab)
    out: Dict = {"model": args.eval_only, "most_frequent_token": vocab[args.most_frequent_id]}
    for name, data in (("heldout_docs", valid), ("common_licenses", licences), ("doc_copyright_sample", copyrights)):
        ev = P.evaluate(model, data, args, tok)
        out[name] = {k: ev[k] for k in ("masked_tokens", "accuracy", "unigram_accuracy", "accuracy_mask_only", "unigram_accuracy_mask_only", "loss")}
        P.log(f"{name}: masked-token accuracy {ev['accuracy'] * 100:.2f}% (unigram {ev['unigram_accuracy'] * 100:.2f}%), "
              f"[MASK] positions only {ev['accuracy_mask_only'] * 100:.2f}% (unigram {ev['unigram_accuracy_mask_only'] * 100:.2f}%), "
              f"loss {ev['loss']:.3f}, {ev['masked_tokens']} selected tokens of {len(data)} sequences")
    if from_ckpt is not None:
        module, ck = from_ckpt
        out["step"] = ck["step"]
        if args.objective == "electra":
            for name, data in (("heldout_docs", valid), ("common_licenses", licences)):
                rtd = P.evaluate_objective(module, module.disc, data, args, tok, mlm_head=False)
                out[name].update(rtd)
                P.log(f"{name} (step {ck['step']}): generator masked-token accuracy {rtd['gen_acc'] * 100:.2f}%, "
                      f"replaced-token detection accuracy {rtd['disc_acc'] * 100:.2f}% (recall of replaced {rtd['replaced_recall'] * 100:.1f}%)")
    print(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    sys.exit("run: /usr/bin/python3 scripts/pretrain/pretrain.py --eval-only MODEL")
