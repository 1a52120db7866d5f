"""WordPiece tokenizer identical to Hugging Face `BertTokenizer` (slow, Python) with
do_lower_case=True, plus a deterministic WordPiece vocabulary trainer.

Tokenization pipeline (as in transformers 4.x `tokenization_bert.py`):
  0. the text is split on literal special tokens ("[CLS]", "[SEP]", "[PAD]", "[UNK]",
     "[MASK]", case-sensitive); those become their own ids, the rest goes on:
  1. BasicTokenizer
     - clean: drop U+0000, U+FFFD and control chars (category C*, except \\t \\n \\r);
       whitespace (" ", \\t, \\n, \\r, category Zs) becomes " "
     - put spaces around CJK ideographs (HF's exact code-point ranges, see `is_cjk`)
     - NFC normalize, split on whitespace (Python str.split(), which also splits
       on U+2028/U+2029)
     - per word: lowercase, NFD, drop combining marks (category Mn), split off
       every punctuation char (ASCII 33-47, 58-64, 91-96, 123-126 or category P*)
  2. WordPiece: greedy longest-match-first, continuation pieces start with "##";
     a word longer than 100 code points, or with any unmatched remainder, becomes
     a single [UNK].

Encoding: [CLS] A [SEP] (+ B [SEP]); token_type_ids 0 for [CLS] A [SEP], 1 for B [SEP].
Truncation 'longest_first' follows the *slow* tokenizer (`truncate_sequences` in
tokenization_utils_base.py): after the longer sequence has been cut down to the
length of the shorter one, the remaining removals alternate starting with the
second sequence, i.e. when an odd number must go, the second loses one more.
The fast (Rust) tokenizer instead gives the odd token to the second sequence;
`truncate_pair(..., fast=True)` reproduces that for comparison.

Trainer: BPE-style frequency merges over words split into a first character and
"##"-prefixed continuation characters (the same scheme as HF's WordPieceTrainer).
Ties are broken by the lexicographically smallest pair, so training is deterministic.
"""

import heapq
import re
import unicodedata
from collections import Counter
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


# ----------------------------------------------------------------------------
# Character classes (exactly as HF's helpers)
# ----------------------------------------------------------------------------


def is_whitespace(ch: str) -> bool:
    """" ", \\t, \\n, \\r or Unicode category Zs."""
    if ch in (" ", "\t", "\n", "\r"):
        return True
    return unicodedata.category(ch) == "Zs"


def is_control(ch: str) -> bool:
    """Category C* except \\t, \\n, \\r (which count as whitespace)."""
    if ch in ("\t", "\n", "\r"):
        return False
    return unicodedata.category(ch).startswith("C")


def is_punctuation(ch: str) -> bool:
    """ASCII non-alphanumeric printable chars or any Unicode P* category."""
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def is_cjk(cp: int) -> bool:
    """CJK Unified Ideographs blocks as listed in HF's `_is_chinese_char`
    (Hiragana, Katakana and Hangul are NOT included)."""
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2B73F
        or 0x2B740 <= cp <= 0x2B81F
        or 0x2B820 <= cp <= 0x2CEAF
        or 0xF900 <= cp <= 0xFAFF
        or 0x2F800 <= cp <= 0x2FA1F
    )


# ----------------------------------------------------------------------------
# BasicTokenizer
# ----------------------------------------------------------------------------


def clean_text(text: str) -> str:
    """Drop NUL, U+FFFD and control chars; map whitespace chars to " "."""
    out = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or is_control(ch):
            continue
        out.append(" " if is_whitespace(ch) else ch)
    return "".join(out)


def pad_cjk(text: str) -> str:
    """Surround every CJK ideograph with spaces."""
    return "".join(f" {ch} " if is_cjk(ord(ch)) else ch for ch in text)


def strip_accents(text: str) -> str:
    """NFD, then drop combining marks (category Mn)."""
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn")


def split_on_punctuation(word: str) -> List[str]:
    """"a,b!!" -> ["a", ",", "b", "!", "!"]."""
    pieces: List[List[str]] = []
    start_new = True
    for ch in word:
        if is_punctuation(ch):
            pieces.append([ch])
            start_new = True
        else:
            if start_new:
                pieces.append([])
            start_new = False
            pieces[-1].append(ch)
    return ["".join(p) for p in pieces]


# ASCII fast path: control chars 0-31 and 127 are dropped, except \t \n \r -> " ".
_ASCII_CLEAN = {i: None for i in list(range(32)) + [127]}
_ASCII_CLEAN.update({9: " ", 10: " ", 13: " "})
_ASCII_PUNCT = re.compile(r"([!-/:-@\[-`{-~])")


def basic_tokenize(text: str, do_lower_case: bool = True) -> List[str]:
    """HF BasicTokenizer.tokenize (tokenize_chinese_chars=True, strip_accents=None)."""
    if text.isascii():  # same result, much faster: no CJK, accents, or Unicode categories
        text = text.translate(_ASCII_CLEAN)
        if do_lower_case:
            text = text.lower()
        return _ASCII_PUNCT.sub(r" \1 ", text).split()
    text = pad_cjk(clean_text(text))
    text = unicodedata.normalize("NFC", text)
    out: List[str] = []
    for token in text.split():
        if do_lower_case:
            token = strip_accents(token.lower())
        out.extend(split_on_punctuation(token))
    return " ".join(out).split()


# ----------------------------------------------------------------------------
# WordPiece
# ----------------------------------------------------------------------------


def wordpiece(word: str, vocab: Dict[str, int], unk: str = "[UNK]", max_chars: int = 100) -> List[str]:
    """Greedy longest-match-first split of one basic token. Lengths are in code points."""
    if len(word) > max_chars:
        return [unk]
    pieces = []
    start = 0
    while start < len(word):
        end = len(word)
        found = None
        while start < end:
            sub = word[start:end]
            if start > 0:
                sub = "##" + sub
            if sub in vocab:
                found = sub
                break
            end -= 1
        if found is None:
            return [unk]
        pieces.append(found)
        start = end
    return pieces


def truncate_pair(n_a: int, n_b: Optional[int], num_remove: int, fast: bool = False) -> Tuple[int, Optional[int]]:
    """New lengths of (A, B) after 'longest_first' truncation removing `num_remove` tokens.
    Slow BertTokenizer semantics by default; fast=True gives the Rust tokenizers result."""
    if num_remove <= 0:
        return n_a, n_b
    if n_b is None:
        # Slow tokenizer refuses (logs an error, no truncation) if everything would go.
        return (n_a - num_remove, None) if n_a > num_remove else (n_a, None)
    if not fast:
        first_remove = min(abs(n_b - n_a), num_remove)
        second_remove = num_remove - first_remove
        if n_a > n_b:
            a_cut = first_remove + second_remove // 2
            b_cut = second_remove - second_remove // 2
        else:
            a_cut = second_remove // 2
            b_cut = first_remove + second_remove - second_remove // 2
        return max(0, n_a - a_cut), max(0, n_b - b_cut)
    target = n_a + n_b - num_remove
    n1, n2, swap = n_a, n_b, False
    if n1 > n2:
        n1, n2, swap = n2, n1, True
    n2 = n1 if n1 > target else max(n1, target - n1)
    if n1 + n2 > target:
        n1 = target // 2
        n2 = n1 + target % 2
    if swap:
        n1, n2 = n2, n1
    return min(n1, n_a), min(n2, n_b)


def load_vocab(path: str) -> List[str]:
    """One token per line (line number = id)."""
    with open(path, "r", encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


def save_vocab(tokens: Sequence[str], path: str) -> None:
    """Write one token per line."""
    with open(path, "w", encoding="utf-8") as f:
        for t in tokens:
            f.write(t + "\n")


class BertTokenizer:
    """Slow-HF-compatible BERT tokenizer (do_lower_case=True by default)."""

    def __init__(self, vocab, do_lower_case: bool = True, max_input_chars_per_word: int = 100):
        tokens = load_vocab(vocab) if isinstance(vocab, str) else list(vocab)
        self.ids_to_tokens = tokens
        self.vocab = {t: i for i, t in enumerate(tokens)}
        self.do_lower_case = do_lower_case
        self.max_chars = max_input_chars_per_word
        self.specials = [t for t in SPECIAL_TOKENS if t in self.vocab]
        self.unk_id = self.vocab["[UNK]"]
        self.cls_id = self.vocab["[CLS]"]
        self.sep_id = self.vocab["[SEP]"]
        self.pad_id = self.vocab["[PAD]"]
        self.mask_id = self.vocab.get("[MASK]")

    def _split_specials(self, text: str) -> List[Tuple[str, bool]]:
        """Split text on literal special tokens (leftmost, longest match)."""
        parts: List[Tuple[str, bool]] = []
        i = start = 0
        while i < len(text):
            hit = None
            if text[i] == "[":
                for s in self.specials:
                    if text.startswith(s, i) and (hit is None or len(s) > len(hit)):
                        hit = s
            if hit:
                if start < i:
                    parts.append((text[start:i], False))
                parts.append((hit, True))
                i += len(hit)
                start = i
            else:
                i += 1
        if start < len(text):
            parts.append((text[start:], False))
        return parts

    def tokenize(self, text: str) -> List[str]:
        """Text -> word pieces (no [CLS]/[SEP] added)."""
        out: List[str] = []
        for part, special in self._split_specials(text):
            if special:
                out.append(part)
                continue
            for word in basic_tokenize(part, self.do_lower_case):
                out.extend(wordpiece(word, self.vocab, "[UNK]", self.max_chars))
        return out

    def convert_tokens_to_ids(self, tokens: Iterable[str]) -> List[int]:
        """Pieces -> ids (unknown -> [UNK] id)."""
        return [self.vocab.get(t, self.unk_id) for t in tokens]

    def encode(self, text: str, text2: Optional[str] = None, max_length: Optional[int] = None, fast_truncation: bool = False) -> Dict[str, List[int]]:
        """HF `tokenizer(text, text2, truncation=True, max_length=...)` without padding."""
        a = self.convert_tokens_to_ids(self.tokenize(text))
        b = self.convert_tokens_to_ids(self.tokenize(text2)) if text2 is not None else None
        n_special = 2 if b is None else 3
        if max_length is not None:
            total = len(a) + (len(b) if b is not None else 0) + n_special
            na, nb = truncate_pair(len(a), len(b) if b is not None else None, total - max_length, fast_truncation)
            a = a[:na]
            b = b[:nb] if b is not None else None
        ids = [self.cls_id] + a + [self.sep_id]
        types = [0] * len(ids)
        if b is not None:
            ids += b + [self.sep_id]
            types += [1] * (len(b) + 1)
        return {"input_ids": ids, "token_type_ids": types, "attention_mask": [1] * len(ids)}

    def encode_words(self, words: Sequence[str], max_length: Optional[int] = None) -> Dict[str, List]:
        """HF `tokenizer(words, is_split_into_words=True, truncation=True, max_length=...)`;
        word_ids as the fast tokenizer reports them (None for specials)."""
        ids: List[int] = []
        word_ids: List[Optional[int]] = []
        for i, w in enumerate(words):
            piece_ids = self.convert_tokens_to_ids(self.tokenize(w))
            ids += piece_ids
            word_ids += [i] * len(piece_ids)
        if max_length is not None:
            n, _ = truncate_pair(len(ids), None, len(ids) + 2 - max_length)
            ids, word_ids = ids[:n], word_ids[:n]
        ids = [self.cls_id] + ids + [self.sep_id]
        word_ids = [None] + word_ids + [None]
        return {
            "input_ids": ids,
            "token_type_ids": [0] * len(ids),
            "attention_mask": [1] * len(ids),
            "word_ids": word_ids,
        }


# ----------------------------------------------------------------------------
# Trainer
# ----------------------------------------------------------------------------


def count_words(texts: Iterable[str], do_lower_case: bool = True) -> Counter:
    """Basic-tokenize every text and count the resulting words."""
    counts: Counter = Counter()
    for t in texts:
        counts.update(basic_tokenize(t, do_lower_case))
    return counts


def train_wordpiece(
    word_counts: Dict[str, int],
    vocab_size: int,
    min_char_freq: int = 1,
    max_alphabet: Optional[int] = None,
    extra_chars: Iterable[str] = (),
    max_word_chars: int = 100,
    log_every: int = 0,
) -> List[str]:
    """Learn a WordPiece vocabulary from word frequencies.

    Vocab layout: the 5 specials, then every alphabet character (sorted by code point),
    then the "##" form of each, then merged pieces in the order they were learned.
    The alphabet is the characters seen at least `min_char_freq` times (the
    `max_alphabet` most frequent if given; ties by code point) plus `extra_chars`.
    Merges: repeatedly merge the most frequent adjacent symbol pair (ties: smallest
    pair in lexicographic order) until `vocab_size` is reached or nothing is left."""
    char_counts: Counter = Counter()
    for w, c in word_counts.items():
        for ch in w:
            char_counts[ch] += c
    chars = sorted((ch for ch, c in char_counts.items() if c >= min_char_freq), key=lambda ch: (-char_counts[ch], ch))
    if max_alphabet is not None:
        chars = chars[:max_alphabet]
    alphabet = sorted(set(chars) | set(extra_chars))
    vocab: List[str] = list(SPECIAL_TOKENS) + alphabet + ["##" + ch for ch in alphabet]
    in_vocab = set(vocab)
    alpha = set(alphabet)

    # Words as symbol lists; words with characters outside the alphabet are skipped.
    words: List[List[str]] = []
    freqs: List[int] = []
    for w in sorted(word_counts):
        if len(w) > max_word_chars or any(ch not in alpha for ch in w):
            continue
        words.append([w[0]] + ["##" + ch for ch in w[1:]])
        freqs.append(word_counts[w])

    pair_counts: Counter = Counter()
    where: Dict[Tuple[str, str], set] = {}
    for wi, syms in enumerate(words):
        for p in zip(syms, syms[1:]):
            pair_counts[p] += freqs[wi]
            where.setdefault(p, set()).add(wi)
    heap = [(-c, p) for p, c in pair_counts.items()]
    heapq.heapify(heap)

    while len(vocab) < vocab_size and heap:
        neg, pair = heapq.heappop(heap)
        if pair_counts.get(pair, 0) != -neg or -neg <= 0:
            continue  # stale heap entry
        a, b = pair
        merged = a + b[2:]  # b is always a "##" continuation
        if merged not in in_vocab:
            vocab.append(merged)
            in_vocab.add(merged)
            if log_every and len(vocab) % log_every == 0:
                print(f"  vocab {len(vocab)}: {merged!r} ({-neg})", flush=True)
        changed = set()
        for wi in sorted(where.pop(pair, ())):
            syms, f = words[wi], freqs[wi]
            for p in zip(syms, syms[1:]):  # remove this word's old pairs
                pair_counts[p] -= f
                changed.add(p)
                s = where.get(p)
                if s is not None:
                    s.discard(wi)
            new_syms: List[str] = []
            i = 0
            while i < len(syms):
                if i + 1 < len(syms) and syms[i] == a and syms[i + 1] == b:
                    new_syms.append(merged)
                    i += 2
                else:
                    new_syms.append(syms[i])
                    i += 1
            words[wi] = new_syms
            for p in zip(new_syms, new_syms[1:]):  # add the new pairs
                pair_counts[p] += f
                changed.add(p)
                where.setdefault(p, set()).add(wi)
        pair_counts.pop(pair, None)
        for p in changed:
            c = pair_counts.get(p, 0)
            if c > 0 and p != pair:
                heapq.heappush(heap, (-c, p))
            elif c <= 0:
                pair_counts.pop(p, None)
    return vocab
