"""Real English and Swedish text for the library benchmarks, built deterministically.

English: the English seed pages (``000_*.txt`` and ``004_*.txt``) in the shared seeds folder
(``--seeds`` / ``TQA_SEEDS``, default ``../shared/seeds`` beside the repository).

Swedish: two Debian packages, fetched once with ``apt-get download`` and cached under
``~/.cache/tqa/debs`` (``TQA_CACHE`` overrides ``~/.cache/tqa``):

* ``cfi-sv``  -- "Copyright finns inte", a public-domain Swedish book (essay prose, HTML, 1377
  paragraphs, 86 headings);
* ``manpages-sv`` -- Swedish translations of coreutils/grub manual pages (technical register);

and two word lists used only to decide which single words belong to one language only:
``wswedish`` (/usr/share/dict/swedish) and ``wbritish`` (/usr/share/dict/british-english).

The .deb files are unpacked in Python (ar + tar), so only ``apt-get`` is needed, not dpkg.
Nothing here imports a third-party library.
"""

from __future__ import annotations

import gzip
import io
import lzma
import os
import random
import re
import subprocess
import tarfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

CACHE_DIR = Path(os.environ.get("TQA_CACHE", "~/.cache/tqa")).expanduser()
DEB_DIR = CACHE_DIR / "debs"
REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SEEDS = Path(os.environ.get("TQA_SEEDS", REPO_ROOT.parent / "shared" / "seeds"))
ENGLISH_SEED_GLOBS = ("000_*.txt", "004_*.txt")

WORD_RE = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
# Function words that exist in only one of the two languages; used to drop quoted English
# passages from the Swedish book and the odd untranslated line in the manual pages.
EN_ONLY = frozenset(
    ["the", "and", "of", "that", "with", "this", "you", "are", "was", "were", "have", "has", "which", "would", "they", "there", "what", "when", "your", "from", "been", "their", "will", "about"]
)
SV_ONLY = frozenset(["och", "att", "det", "är", "som", "för", "inte", "med", "av", "till", "på", "har", "den", "ett", "jag", "var", "också"])


# --------------------------------------------------------------------------- Debian packages
def fetch_deb(package: str) -> Path:
    """Return the cached .deb of *package*, downloading it with ``apt-get download`` once."""
    DEB_DIR.mkdir(parents=True, exist_ok=True)
    found = sorted(DEB_DIR.glob(f"{package}_*.deb"))
    if not found:
        try:
            subprocess.run(
                ["apt-get", "download", package], cwd=DEB_DIR, check=True,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )
        except (OSError, subprocess.CalledProcessError) as exc:
            raise SystemExit(
                f"cannot fetch Debian package {package!r} into {DEB_DIR} with 'apt-get download' "
                f"({exc}); run 'apt-get update' first, or put {package}_*.deb there by hand"
            ) from exc
        found = sorted(DEB_DIR.glob(f"{package}_*.deb"))
    if not found:
        raise SystemExit(f"apt-get download {package} left no .deb in {DEB_DIR}")
    return found[-1]


def deb_files(deb: Path, wanted: re.Pattern[str]) -> dict[str, bytes]:
    """Files of the data archive of *deb* whose path matches *wanted* (path -> bytes)."""
    raw = deb.read_bytes()
    if not raw.startswith(b"!<arch>\n"):
        raise SystemExit(f"{deb} is not a Debian archive")
    pos, data = 8, None
    while pos < len(raw):
        name = raw[pos:pos + 16].decode().strip().rstrip("/")
        size = int(raw[pos + 48:pos + 58].decode().strip())
        body = raw[pos + 60:pos + 60 + size]
        if name.startswith("data.tar"):
            data = body
            if name.endswith(".xz"):
                data = lzma.decompress(body)
            elif name.endswith(".zst"):
                raise SystemExit(f"{deb}: zstd-compressed data is not supported")
        pos += 60 + size + (size & 1)
    if data is None:
        raise SystemExit(f"{deb} has no data.tar member")
    out = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
        for member in tar.getmembers():
            if member.isfile() and wanted.search(member.name):
                out[member.name.lstrip("./")] = tar.extractfile(member).read()
    return out


# --------------------------------------------------------------------------- Swedish sources
class _BlockCollector(HTMLParser):
    """Text of h1-h6/p/li/blockquote blocks of an old-style HTML page (stdlib parser)."""

    BLOCKS = {"h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "blockquote", "td"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, str]] = []
        self._tag: str | None = None
        self._buf: list[str] = []

    def _flush(self) -> None:
        text = " ".join("".join(self._buf).split())
        if self._tag and text:
            self.blocks.append((self._tag, text))
        self._buf = []

    def handle_starttag(self, tag, attrs):
        if tag in self.BLOCKS:
            self._flush()
            self._tag = tag
        elif tag == "br":
            self._buf.append(" ")

    def handle_endtag(self, tag):
        if tag in self.BLOCKS:
            self._flush()
            self._tag = None

    def handle_data(self, data):
        if self._tag:
            self._buf.append(data)


def swedish_book_blocks() -> list[tuple[str, str]]:
    """(tag, text) blocks of the Swedish book "Copyright finns inte" (cfi-sv)."""
    files = deb_files(fetch_deb("cfi-sv"), re.compile(r"cfi\.html$"))
    page = next(iter(files.values())).decode("latin-1")  # ASCII with entities
    parser = _BlockCollector()
    parser.feed(page)
    parser.close()
    return parser.blocks


_ROFF_ESCAPES = [
    (re.compile(r"\\f(?:\[[^]]*\]|\(..|.)"), ""),
    (re.compile(r"\\\(co"), "©"), (re.compile(r"\\\(aq"), "'"), (re.compile(r"\\\(em"), "—"),
    (re.compile(r"\\\(en"), "–"), (re.compile(r"\\\([a-z]{2}"), ""),
    (re.compile(r"\\[-]"), "-"), (re.compile(r"\\[,/&:]"), ""), (re.compile(r"\\ "), " "),
    (re.compile(r"\\e"), "\\"),
]


def _roff_text(line: str) -> str:
    for pattern, repl in _ROFF_ESCAPES:
        line = pattern.sub(lambda _m, r=repl: r, line)
    return line


def swedish_manpage_blocks() -> list[tuple[str, str]]:
    """(kind, text) blocks of the Swedish manual pages: 'title' (NAME line, sections) or 'p'."""
    files = deb_files(fetch_deb("manpages-sv"), re.compile(r"/man/sv/man\d/.*\.gz$"))
    blocks: list[tuple[str, str]] = []
    for name in sorted(files):
        roff = gzip.decompress(files[name]).decode("utf-8", "replace")
        section, para = "", []

        def flush() -> None:
            text = " ".join(" ".join(para).split())
            para.clear()
            if not text:
                return
            if section == "NAMN":
                # "md5sum — beräkna och kontrollera ..." -> the description is a title
                desc = re.split(r"\s[—-]\s", text, maxsplit=1)
                if len(desc) == 2:
                    blocks.append(("title", desc[1].strip()))
            elif section not in {"SYNOPSIS", "COPYRIGHT", "SE ÄVEN", "RAPPORTERA FEL"}:
                blocks.append(("p", text))

        for line in roff.splitlines():
            if line.startswith((".\\\"", "'\\\"")):
                continue
            if line.startswith("."):
                macro, _, rest = line.partition(" ")
                flush()
                if macro in (".SH", ".SS"):
                    heading = _roff_text(rest).strip().strip('"')
                    if macro == ".SH":
                        section = heading
                    else:
                        blocks.append(("title", heading))
                elif macro in (".B", ".I", ".BR", ".IR", ".BI", ".IB", ".RB", ".RI"):
                    para.append(_roff_text(rest).replace('"', ""))
                continue
            para.append(_roff_text(line))
        flush()
    return blocks


def word_list(package: str, path_re: str, encoding: str) -> frozenset[str]:
    """Lower-cased words of a /usr/share/dict word list shipped by *package*."""
    files = deb_files(fetch_deb(package), re.compile(path_re))
    text = next(iter(files.values())).decode(encoding)
    return frozenset(w.strip().lower() for w in text.splitlines() if w.strip())


# --------------------------------------------------------------------------- English source
def english_seed_lines(seeds: Path = DEFAULT_SEEDS) -> list[str]:
    """Non-empty lines of the English seed pages, in file order."""
    paths = sorted(p for g in ENGLISH_SEED_GLOBS for p in seeds.glob(g))
    if len(paths) != len(ENGLISH_SEED_GLOBS):
        raise SystemExit(f"expected English seed pages {ENGLISH_SEED_GLOBS} in {seeds}")
    lines = []
    for p in paths:
        lines += [" ".join(l.split()) for l in p.read_text(encoding="utf-8").splitlines()]
    return [l for l in lines if l]


# --------------------------------------------------------------------------- segmenting
_ABBREV = re.compile(
    r"(?:\b(?:[A-Za-zÅÄÖåäö]\.){2,}|\b(?:Mr|Mrs|Ms|Dr|St|vs|etc|ca|kl|resp|jfr|dvs|osv|nr|s|f|e)\.)$"
)


def rough_sentences(text: str) -> list[str]:
    """Split a paragraph into sentences with a plain regex (only used to draw samples)."""
    parts, start = [], 0
    for m in re.finditer(r"[.!?…]+[\"”’)]*\s+(?=[\"“”‘(]?[A-ZÅÄÖÉ0-9])", text):
        if _ABBREV.search(text[start:m.start() + 1]):
            continue
        parts.append(text[start:m.end()].strip())
        start = m.end()
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def words_of(text: str) -> list[str]:
    return WORD_RE.findall(text)


def looks_like(lang: str, text: str) -> bool:
    """False when *text* carries two or more function words of the other language."""
    toks = [w.lower() for w in words_of(text)]
    other = SV_ONLY if lang == "en" else EN_ONLY
    return sum(t in other for t in toks) < 2


# --------------------------------------------------------------------------- the sample
BUCKETS = ("word", "phrase", "title", "sentence")


@dataclass(frozen=True)
class Segment:
    lang: str      # 'en' or 'sv' (ground truth)
    bucket: str    # one of BUCKETS
    source: str    # where it comes from
    text: str


def _sentences_en(seeds: Path) -> list[str]:
    out = []
    for line in english_seed_lines(seeds):
        for s in rough_sentences(line):
            n = len(words_of(s))
            if 5 <= n <= 45 and s[-1] in ".!?”\"’:" and looks_like("en", s):
                out.append(s)
    return list(dict.fromkeys(out))


def _sentences_sv() -> tuple[list[str], list[str]]:
    book, man = [], []
    for tag, text in swedish_book_blocks():
        if tag in ("p", "li", "blockquote"):
            book += rough_sentences(text)
    for kind, text in swedish_manpage_blocks():
        if kind == "p":
            man += rough_sentences(text)

    def keep(s: str) -> bool:
        n = len(words_of(s))
        return 5 <= n <= 45 and s[-1] in ".!?”\"’:" and looks_like("sv", s) and "@" not in s

    return (list(dict.fromkeys(s for s in book if keep(s))),
            list(dict.fromkeys(s for s in man if keep(s))))


def other_language_share(lang: str, text: str, en_dict: frozenset[str],
                         sv_dict: frozenset[str]) -> float:
    """Share of the words of *text* found only in the other language's word list."""
    toks = [w.lower() for w in words_of(text)]
    if not toks:
        return 0.0
    own, other = (en_dict, sv_dict) if lang == "en" else (sv_dict, en_dict)
    return sum(t in other and t not in own for t in toks) / len(toks)


def _title_from_sentence(s: str, rng: random.Random) -> str:
    head = re.split(r"[,;:–—(]", s, maxsplit=1)[0]
    toks = head.split()
    n = min(len(toks), rng.randint(3, 8))
    return " ".join(toks[:n]).rstrip(".!?,;:")


def _real_titles_en(seeds: Path) -> list[str]:
    out = []
    for line in english_seed_lines(seeds):
        n = len(words_of(line))
        if 2 <= n <= 8 and line[-1] not in ".,;:" and looks_like("en", line):
            out.append(line)
    return list(dict.fromkeys(out))


def _real_titles_sv() -> list[str]:
    out = [t for tag, t in swedish_book_blocks() if tag.startswith("h")]
    out += [t for kind, t in swedish_manpage_blocks() if kind == "title"]
    out = [t.rstrip(".") for t in out if 2 <= len(words_of(t)) <= 8 and not t.isupper()
           and looks_like("sv", t) and not re.search(r"\d", t)]
    return list(dict.fromkeys(out))


def _phrases(sentences: list[str], rng: random.Random, n: int) -> list[str]:
    out: dict[str, None] = {}
    tries = 0
    while len(out) < n and tries < 50 * n:
        tries += 1
        toks = words_of(rng.choice(sentences))
        k = rng.choice((2, 3))
        if len(toks) < k:
            continue
        i = rng.randrange(len(toks) - k + 1)
        out[" ".join(toks[i:i + k])] = None
    return list(out)


def _words(sentences: list[str], other_dict: frozenset[str], rng: random.Random,
           n: int) -> tuple[list[str], int]:
    vocab = sorted({w for s in sentences for w in words_of(s) if w.islower() and len(w) >= 3})
    unique = [w for w in vocab if w not in other_dict]
    rng.shuffle(unique)
    return [w[0].upper() + w[1:] for w in unique[:n]], len(vocab) - len(unique)


def build_sample(n_per_bucket: int = 300, seed: int = 20240801,
                 seeds: Path = DEFAULT_SEEDS) -> tuple[list[Segment], dict[str, str]]:
    """Segments per language x bucket, and notes on how they were drawn.

    word: lower-case word (>= 3 letters) of the language's sentences that is NOT in the other
          language's word list, shown capitalised like a label ("Downloads", "Kontrollsumma");
    phrase: 2-3 consecutive words of a sentence, punctuation dropped;
    title: real headings of <= 8 words, topped up with the first 3-8 words of a sentence
           (cut at the first comma/colon/dash), final punctuation dropped;
    sentence: whole sentences of 5-45 words (Swedish: 2/3 from the book, 1/3 manual pages).
    """
    rng = random.Random(seed)
    sv_dict = word_list("wswedish", r"dict/swedish$", "latin-1")
    en_dict = word_list("wbritish", r"dict/british-english$", "utf-8")

    def clean(lang: str, texts: list[str]) -> list[str]:
        # drops untranslated English lines in the Swedish sources (e.g. "generate a GRUB
        # configuration file" among the manual page titles) and the odd quoted passage
        return [t for t in texts if other_language_share(lang, t, en_dict, sv_dict) < 0.5]

    en_sent = clean("en", _sentences_en(seeds))
    sv_book, sv_man = (clean("sv", pool) for pool in _sentences_sv())
    rng.shuffle(sv_book)
    rng.shuffle(sv_man)
    n_man = min(len(sv_man), n_per_bucket // 3)
    sv_sent = sv_book[: n_per_bucket - n_man] + sv_man[:n_man]
    notes: dict[str, str] = {}
    segs: list[Segment] = []
    for lang, sents, pool_all, other_dict, real_titles in (
        ("en", en_sent, en_sent, sv_dict, clean("en", _real_titles_en(seeds))),
        ("sv", sv_sent, sv_book + sv_man, en_dict, clean("sv", _real_titles_sv())),
    ):
        rs = random.Random(f"{seed}-{lang}")
        chosen = list(sents)
        rs.shuffle(chosen)
        chosen = chosen[:n_per_bucket]
        segs += [Segment(lang, "sentence", "text", s) for s in chosen]
        segs += [Segment(lang, "phrase", "text", p) for p in _phrases(pool_all, rs, n_per_bucket)]
        words, shared = _words(pool_all, other_dict, rs, n_per_bucket)
        segs += [Segment(lang, "word", "text", w) for w in words]
        titles = list(real_titles)
        rs.shuffle(titles)
        titles = titles[:n_per_bucket]
        n_real = len(titles)
        seen = set(titles)
        for s in pool_all:
            if len(titles) >= n_per_bucket:
                break
            t = _title_from_sentence(s, rs)
            if len(words_of(t)) >= 3 and t not in seen:
                titles.append(t)
                seen.add(t)
        segs += [Segment(lang, "title", "heading" if i < n_real else "sentence-start", t)
                 for i, t in enumerate(titles)]
        notes[lang] = (f"{len(chosen)} sentences (pool {len(pool_all)}), "
                       f"{len(titles)} titles ({n_real} real headings), "
                       f"{len(words)} words ({shared} dropped as words of both languages)")
    return segs, notes


def swedish_paragraphs() -> list[str]:
    """Paragraphs of the Swedish book, for segmenter and encoding tests."""
    return [t for tag, t in swedish_book_blocks() if tag == "p" and len(t) > 40]


def english_paragraphs(seeds: Path = DEFAULT_SEEDS) -> list[str]:
    return [l for l in english_seed_lines(seeds) if len(l) > 40]


if __name__ == "__main__":
    segs, notes = build_sample()
    for lang, note in notes.items():
        print(lang, note)
    rng = random.Random(1)
    for b in BUCKETS:
        for lang in ("en", "sv"):
            pick = [s.text for s in segs if s.bucket == b and s.lang == lang]
            print(f"--- {lang} {b}: {len(pick)}")
            for t in rng.sample(pick, min(5, len(pick))):
                print("   ", t)
