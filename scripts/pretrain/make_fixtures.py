"""Generate the reference fixtures the TypeScript engine is tested against.

Regenerate with (from the repository root, takes a few seconds):

    /usr/bin/python3 scripts/pretrain/make_fixtures.py

Writes:
  src/engine/fixtures/tokenizer/vocab.txt     ~2,000-token WordPiece vocab trained (wordpiece.py)
                                              on a fixed sample of the corpora, plus a few CJK,
                                              kana and non-decomposable accented letters
  src/engine/fixtures/tokenizer/cases.json    expected tokenizations (HF BertTokenizer semantics)
  src/engine/fixtures/tiny-bert/config.json   HF BertConfig of a 2-layer, hidden-32 BertModel
  src/engine/fixtures/tiny-bert/vocab.txt     copy of the tokenizer fixture vocab
  src/engine/fixtures/tiny-bert/model.safetensors       F32, BertModel names (no prefix)
  src/engine/fixtures/tiny-bert/model.f16.safetensors   F16,  "bert."-prefixed names
  src/engine/fixtures/tiny-bert/model.bf16.safetensors  BF16, "bert."-prefixed names
  src/engine/fixtures/tiny-bert/expected.json           bert_torch.py outputs for each file

Everything is deterministic (fixed corpus sample, fixed torch seed).
"""

import json
import os
import shutil
import sys
from collections import OrderedDict

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import build_corpus  # noqa: E402
from bert_torch import BertConfig, BertModel  # noqa: E402
from safetensors_io import load_torch, roundtrip_dtype, save_file  # noqa: E402
from wordpiece import BertTokenizer, count_words, save_vocab, train_wordpiece  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(REPO, "src", "engine", "fixtures")
TOK_DIR = os.path.join(FIXTURES, "tokenizer")
BERT_DIR = os.path.join(FIXTURES, "tiny-bert")

VOCAB_SIZE = 2000
# Characters added to the alphabet so that CJK / kana / accent cases are meaningful.
# (Accented letters that decompose, like é, never reach the vocab after accent stripping;
# these ones do not decompose under NFD and so survive lowercasing + stripping.)
EXTRA_CHARS = "日本語中文你好世界の" + "øßæłđþ"
SEED = 1234


# ----------------------------------------------------------------------------
# Tokenizer fixture
# ----------------------------------------------------------------------------


def sample_texts():
    """A deterministic sample of the three corpora (all splits; this is only a test vocab)."""
    texts = []
    for i, (_, _, sents) in enumerate(build_corpus.iter_brown()):
        if i % 6 == 0:  # 84 of the 500 Brown files, spread over all genres
            texts.extend(sents)
    for i, (_, _, sents) in enumerate(build_corpus.iter_nlp_corpus()):
        if i % 20 == 0:
            texts.extend(sents)
    ham = build_corpus.iter_ham()
    for i, (_, _, sents) in enumerate(ham):
        if i >= 1200:
            break
        if i % 4 == 0:
            texts.extend(sents)
    return texts


def build_vocab():
    """Train the ~2,000-token fixture vocabulary."""
    counts = count_words(sample_texts())
    # min_char_freq keeps rare symbols/emoji out, so they exercise the [UNK] path.
    return train_wordpiece(counts, VOCAB_SIZE, min_char_freq=20, extra_chars=EXTRA_CHARS)


LONG_WORD_120 = "pneumonoultramicroscopicsilicovolcanoconiosis" * 2 + "x" * 30  # 120 chars
WORD_100 = ("abcdefghij" * 10)  # exactly max_input_chars_per_word
WORD_101 = WORD_100 + "a"
LONG_A = (
    "The Fulton County Grand Jury said Friday an investigation of Atlanta's recent primary election "
    "produced no evidence that any irregularities took place."
)
LONG_B = (
    "The jury further said in term-end presentments that the City Executive Committee, which had "
    "over-all charge of the election, deserves the praise and thanks of the City of Atlanta."
)

# (name, text, text2, max_length)
CASES = [
    ("simple", "The quick brown fox jumps over the lazy dog.", None, None),
    ("accents", "Café naïve RÉSUMÉ Ångström", None, None),
    ("combining_mark_input", "e\u0301cole cafe\u0301", None, None),
    ("non_decomposable_letters", "Øresund Straße ẞ Łódź Æther Þorn đak", None, None),
    ("dotted_capital_i", "İstanbul", None, None),
    ("punct_run_ellipsis", "Wait...what?!", None, None),
    ("double_dash", "--", None, None),
    ("money", "$3.50!!", None, None),
    ("unicode_punctuation", "«Hello» — “quoted” ‘single’ ¿qué? 50¢ §3", None, None),
    ("cjk_mixed", "I love 日本語 and 中文text!", None, None),
    ("cjk_and_kana", "日本のテスト 世界の", None, None),
    ("hangul_not_cjk", "한국어 text", None, None),
    ("long_word_120", f"before {LONG_WORD_120} after", None, None),
    ("word_exactly_100_chars", WORD_100, None, None),
    ("word_101_chars", WORD_101, None, None),
    ("empty", "", None, None),
    ("whitespace_only", " \t\r\n  ", None, None),
    ("control_and_whitespace", "tab\there\r\nnew line\u0000null\ufffdrepl\u200bzero\u0007bell", None, None),
    ("unicode_spaces", "a\u00a0b\u2028c\u2029d\u3000e\u2009f", None, None),
    ("numbers", "In 1961, 3,500 people paid 12.5% of $1,000,000 on 10/12/61.", None, None),
    ("email_address", "Contact john.doe+list@example.com or jm@netnoteinc.com now", None, None),
    ("url", "See http://www.example.com/path?query=1&x=2", None, None),
    ("contractions", "I can't believe it's not butter, y'all won't!", None, None),
    ("uppercase", "THE UNITED STATES OF AMERICA", None, None),
    ("unknown_symbols", "snowman \u2603 and emoji \U0001F600 end", None, None),
    ("fullwidth_letters", "ＡＢＣ１２３", None, None),
    ("special_tokens_literal", "the [MASK] sat on [SEP] a mat [mask] [MASK]!", None, None),
    ("pair_short", "How old are you?", "I'm 6 years old.", None),
    ("pair_no_truncation_needed", "Hello there.", "General Kenobi!", 32),
    ("single_truncated_8", LONG_A, None, 8),
    ("single_truncated_16", LONG_A, None, 16),
    ("pair_first_long_8", LONG_A, "Yes.", 8),
    ("pair_first_long_12", LONG_A, "Yes indeed.", 12),
    ("pair_first_long_16", LONG_A, "Yes indeed.", 16),
    ("pair_second_long_8", "Why?", LONG_B, 8),
    ("pair_second_long_12", "Why not?", LONG_B, 12),
    ("pair_second_long_16", "Why not?", LONG_B, 16),
    ("pair_both_long_8", LONG_A, LONG_B, 8),
    ("pair_both_long_12", LONG_A, LONG_B, 12),
    ("pair_both_long_16", LONG_A, LONG_B, 16),
    ("pair_equal_length_odd_removal_12", "one two three four five", "six seven eight nine ten", 12),
    ("pair_first_shorter_both_cut_12", "one two three four five", "six seven eight nine ten eleven twelve", 12),
]

# (words, max_length)
WORD_CASES = [
    (["Hello", "world", "!"], None),
    (["Café", "don't", "U.S.A.", "日本語", "e-mail"], None),
    (["Ångström", LONG_WORD_120, "ok"], None),
    (["", "a", "\u200b", "b", " "], None),
    (["The", "quick", "brown", "fox", "jumps", "over", "the", "lazy", "dog"], 8),
    (["unbelievably", "counterrevolutionaries", "tokenization"], 6),
]


def make_tokenizer_fixture(vocab):
    """Write vocab.txt and cases.json; returns the tokenizer."""
    os.makedirs(TOK_DIR, exist_ok=True)
    save_vocab(vocab, os.path.join(TOK_DIR, "vocab.txt"))
    tok = BertTokenizer(vocab)
    cases = []
    for name, text, text2, max_length in CASES:
        enc = tok.encode(text, text2, max_length)
        case = OrderedDict(
            name=name,
            text=text,
            text2=text2,
            max_length=max_length,
            tokens=tok.tokenize(text),
            input_ids=enc["input_ids"],
            token_type_ids=enc["token_type_ids"],
            attention_mask=enc["attention_mask"],
        )
        fast = tok.encode(text, text2, max_length, fast_truncation=True)
        if fast["input_ids"] != enc["input_ids"]:
            case["fast_tokenizer_input_ids"] = fast["input_ids"]
            case["fast_tokenizer_token_type_ids"] = fast["token_type_ids"]
        cases.append(case)
    word_cases = []
    for words, max_length in WORD_CASES:
        enc = tok.encode_words(words, max_length)
        word_cases.append(OrderedDict(words=words, max_length=max_length, input_ids=enc["input_ids"], word_ids=enc["word_ids"]))
    doc = OrderedDict(
        vocab="vocab.txt",
        do_lower_case=True,
        notes=(
            "Expected outputs of HF BertTokenizer (slow/Python, transformers 4.x) with do_lower_case=True, "
            "truncation='longest_first', no padding. 'tokens' are the word pieces of 'text' alone, without "
            "special tokens and before truncation. Where the fast (Rust) tokenizer truncates a pair differently "
            "(it gives the odd leftover token to the second sequence, the slow one to the first), the fast result "
            "is given as fast_tokenizer_input_ids / fast_tokenizer_token_type_ids. word_ids: null for [CLS]/[SEP], "
            "else the index of the input word (is_split_into_words=True). Literal special tokens in the text "
            "(case-sensitive, e.g. '[MASK]') map to their ids, as in HF. Word lengths are counted in Unicode code points."
        ),
        cases=cases,
        word_cases=word_cases,
    )
    with open(os.path.join(TOK_DIR, "cases.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
        f.write("\n")
    return tok


# ----------------------------------------------------------------------------
# tiny-bert fixture
# ----------------------------------------------------------------------------


def tiny_config(vocab_size):
    """HF BertConfig dict for the tiny test model."""
    return OrderedDict(
        architectures=["BertModel"],
        model_type="bert",
        vocab_size=vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        hidden_act="gelu",
        hidden_dropout_prob=0.1,
        attention_probs_dropout_prob=0.1,
        max_position_embeddings=64,
        type_vocab_size=2,
        initializer_range=0.02,
        layer_norm_eps=1e-12,
        pad_token_id=0,
        position_embedding_type="absolute",
    )


# Standard deviations that differ from the HF-style 0.02, chosen so that the fixture is
# sensitive to real bugs: with 0.02 everywhere the attention is almost uniform and the
# FFN pre-activations are ~0.1, where tanh-GELU and erf-GELU agree to 1e-7.
WIDE_STD = {"intermediate.dense.weight": 0.5, "attention.self.query.weight": 0.2, "attention.self.key.weight": 0.2}


def random_weights(model: BertModel, seed: int):
    """Fill every parameter from a fixed generator: weight matrices and embeddings ~ N(0, 0.02)
    (except WIDE_STD), biases ~ N(0, 0.02), LayerNorm weights ~ 1 + N(0, 0.1), LayerNorm
    biases ~ N(0, 0.05), so that every tensor (and a mix-up between any two) affects the outputs."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=g)
            if "LayerNorm.weight" in name:
                p.copy_(1.0 + 0.1 * noise)
            elif "LayerNorm.bias" in name:
                p.copy_(0.05 * noise)
            else:
                std = next((v for k, v in WIDE_STD.items() if name.endswith(k)), 0.02)
                p.copy_(std * noise)


def fixed_inputs(tok: BertTokenizer):
    """Batch 2 x length 9: row 0 is a full sentence pair, row 1 a shorter pair padded with [PAD]."""
    r0 = tok.encode("the jury said friday", "it was late", max_length=9)
    r1 = tok.encode("good", "no", max_length=9)
    assert len(r0["input_ids"]) == 9 and len(r1["input_ids"]) <= 6, (r0, r1)
    rows = [r0, r1]
    ids, types, mask = [], [], []
    for r in rows:
        pad = 9 - len(r["input_ids"])
        ids.append(r["input_ids"] + [tok.pad_id] * pad)
        types.append(r["token_type_ids"] + [0] * pad)
        mask.append(r["attention_mask"] + [0] * pad)
    return {"input_ids": ids, "token_type_ids": types, "attention_mask": mask}


def round7(x):
    """Nested lists of floats rounded to 7 significant digits."""
    if isinstance(x, list):
        return [round7(v) for v in x]
    return float(f"{x:.7g}")


def run_model(config: BertConfig, state, inputs):
    """bert_torch forward in float32 with the given weights; returns JSON-ready outputs."""
    model = BertModel(config).eval()
    model.load_state_dict(state)
    with torch.no_grad():
        out = model(
            torch.tensor(inputs["input_ids"]),
            torch.tensor(inputs["attention_mask"]),
            torch.tensor(inputs["token_type_ids"]),
        )
    return OrderedDict(
        last_hidden_state=round7(out["last_hidden_state"].tolist()),
        hidden_states=[round7(h.tolist()) for h in out["hidden_states"]],
        pooler_output=round7(out["pooler_output"].tolist()),
    )


def make_bert_fixture(tok: BertTokenizer, vocab):
    """Write the tiny-bert directory and check that every file round-trips."""
    os.makedirs(BERT_DIR, exist_ok=True)
    cfg_dict = tiny_config(len(vocab))
    with open(os.path.join(BERT_DIR, "config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg_dict, f, indent=2)
        f.write("\n")
    shutil.copyfile(os.path.join(TOK_DIR, "vocab.txt"), os.path.join(BERT_DIR, "vocab.txt"))
    config = BertConfig.from_dict(cfg_dict)
    torch.manual_seed(SEED)
    model = BertModel(config)
    random_weights(model, SEED)
    state = OrderedDict((k, v.detach().clone()) for k, v in model.state_dict().items())

    meta = {"format": "pt"}
    save_file(state, os.path.join(BERT_DIR, "model.safetensors"), "F32", metadata=meta)
    prefixed = OrderedDict(("bert." + k, state[k]) for k in sorted(state))  # sorted names, like many HF files
    save_file(prefixed, os.path.join(BERT_DIR, "model.f16.safetensors"), "F16", metadata=meta)
    save_file(prefixed, os.path.join(BERT_DIR, "model.bf16.safetensors"), "BF16", metadata=meta)

    inputs = fixed_inputs(tok)
    outputs = OrderedDict()
    for key, dtype, fname in (("f32", "F32", "model.safetensors"), ("f16", "F16", "model.f16.safetensors"), ("bf16", "BF16", "model.bf16.safetensors")):
        cast = OrderedDict((k, torch.from_numpy(roundtrip_dtype(v.numpy(), dtype))) for k, v in state.items())
        loaded, _ = load_torch(os.path.join(BERT_DIR, fname))  # what the engine will read
        for k, v in cast.items():
            got = loaded.get(k, loaded.get("bert." + k))
            assert got is not None and torch.equal(got, v), f"{fname}: {k} does not round-trip"
        outputs[key] = run_model(config, cast, inputs)
    doc = OrderedDict(
        notes=(
            "Outputs of scripts/pretrain/bert_torch.py (HF BertModel semantics, eval mode) in float32, "
            "after casting the weights to the file's dtype and back. hidden_states = embedding output, "
            "then each layer's output. Floats rounded to 7 significant digits. Padded positions "
            "(attention_mask 0) are computed too, exactly as HF does."
        ),
        files={"f32": "model.safetensors", "f16": "model.f16.safetensors", "bf16": "model.bf16.safetensors"},
        inputs=inputs,
        outputs=outputs,
    )
    with open(os.path.join(BERT_DIR, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")


def main():
    """Build all fixtures."""
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    vocab = build_vocab()
    tok = make_tokenizer_fixture(vocab)
    make_bert_fixture(tok, vocab)
    size = sum(os.path.getsize(os.path.join(d, n)) for d in (TOK_DIR, BERT_DIR) for n in os.listdir(d))
    print(f"vocab {len(vocab)} tokens; fixtures written to {FIXTURES} ({size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
