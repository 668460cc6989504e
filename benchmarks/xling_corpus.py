"""Raw parallel text for measuring cross-language evidence: real translations from Debian packages.

- LibreOffice help (``libreoffice-help-en-us`` vs ``-sv``/``-de``/``-fr``/``-ja``): pages paired by
  file name, paragraphs by their ``id`` attribute (the help is generated from one source per page);
- Debian Reference (``debian-reference-en`` vs ``-de``/``-fr``/``-ja``): chapters split into
  sections at their headings, paragraphs paired by position (the translations are po4a-generated
  and keep every paragraph; a chapter whose paragraph counts differ is skipped);
- Debian's English man pages vs ``manpages-sv`` (through ``tests.fixtures.bilingual``).

Only *translated prose* pairs are kept as aligned pairs (a paragraph left in English upstream, a
code line or one shorter than five words is not evidence of anything). Pages are split into a
development half and a held-out half by a hash of their name (:func:`split_of`).

The ``.deb`` files are fetched with ``apt-get download`` into ``~/.cache/tqa/debian`` (as the test
fixtures do) and unpacked once into ``~/.cache/tqa/unpacked``.
"""

from __future__ import annotations

import hashlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline.lexicon import ENGLISH_STOPWORDS
from pipeline.text import fold, folded_words

LO_CODES = {"sv": "sv", "de": "de", "fr": "fr", "ja": "ja", "en": "en-US"}


@dataclass
class ParallelPage:
    """One page in English and in ``lang``: their paragraphs and the translated prose pairs."""

    source: str  # libreoffice | debian-reference | manpages
    name: str
    lang: str
    en: list[str]
    xx: list[str]
    pairs: list[tuple[int, int]]  # (xx index, en index)

    @property
    def split(self) -> str:
        return split_of(self.name)


def split_of(name: str) -> str:
    """``dev`` or ``heldout``: half of the pages each, by a hash of the page name."""
    return "dev" if hashlib.sha1(name.encode()).digest()[0] < 128 else "heldout"


def fetch(package: str) -> Path:
    """The unpacked tree of a Debian package (downloaded with ``apt-get download`` when missing)."""
    from tests.fixtures.debs import unpacked

    return unpacked(package)


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def is_translated_prose(xx: str, en: str, lang: str) -> bool:
    """True when ``xx`` is a real translation of the English prose paragraph ``en``."""
    if fold(xx) == fold(en) or not en:
        return False
    ew = folded_words(en)
    if len([w for w in ew if len(w) > 1]) < 5:
        return False
    code = sum(1 for t in en.split() if re.search(r"[/=<>{}\[\]$]|^-", t))
    if code > 0.3 * len(en.split()):
        return False
    if lang == "ja":
        return sum(1 for c in xx if "\u3040" <= c <= "\u9fff") >= 8
    xw = folded_words(xx)
    if len(xw) < 5:
        return False
    if sum(1 for w in xw if w in ENGLISH_STOPWORDS) > 0.25 * len(xw):
        return False  # left in English (or mostly)
    a, b = set(xw), set(ew)
    return 2 * len(a & b) / (len(a) + len(b)) < 0.5


def libreoffice_pages(lang: str) -> list[ParallelPage]:
    """LibreOffice help pages in English and ``lang`` with at least three translated prose pairs."""
    from selectolax.lexbor import LexborHTMLParser

    en_root = fetch("libreoffice-help-en-us") / "usr/share/libreoffice/help/en-US"
    xx_root = fetch(f"libreoffice-help-{lang}") / f"usr/share/libreoffice/help/{LO_CODES[lang]}"

    def paragraphs(path: Path) -> tuple[list[str], dict[str, int]]:
        tree = LexborHTMLParser(path.read_bytes().decode("utf-8", errors="replace"))
        texts, ids = [], {}
        for node in tree.css("p[id], h1[id], h2[id], h3[id], h4[id], h5[id], h6[id], td p[id]"):
            t = _clean(node.text(deep=True))
            if not t:
                continue
            pid = node.attributes.get("id") or ""
            if pid in ids:
                continue
            ids[pid] = len(texts)
            texts.append(t)
        return texts, ids

    pages = []
    for en_path in sorted(en_root.rglob("*.html")):
        rel = en_path.relative_to(en_root)
        xx_path = xx_root / rel
        if not xx_path.is_file():
            continue
        en, en_ids = paragraphs(en_path)
        xx, xx_ids = paragraphs(xx_path)
        pairs = [(xi, en_ids[pid]) for pid, xi in xx_ids.items()
                 if pid in en_ids and is_translated_prose(xx[xi], en[en_ids[pid]], lang)]
        if len(pairs) >= 3:
            pages.append(ParallelPage("libreoffice", f"lo:{rel}", lang, en, xx, sorted(pairs)))
    return pages


def debian_reference_pages(lang: str) -> list[ParallelPage]:
    """Sections of the Debian Reference in English and ``lang`` (chapters whose paragraph counts
    agree), each with at least three translated prose pairs."""
    from selectolax.lexbor import LexborHTMLParser

    en_root = fetch("debian-reference-en") / "usr/share/debian-reference"
    xx_root = fetch(f"debian-reference-{lang}") / "usr/share/debian-reference"

    def blocks(path: Path) -> list[tuple[str, str]]:
        tree = LexborHTMLParser(path.read_text(encoding="utf-8", errors="replace"))
        out = []
        for node in tree.css("h1.title, h2.title, h3.title, h4.title, p"):
            out.append(("title" if node.tag.startswith("h") else "p", _clean(node.text(deep=True))))
        return out

    pages = []
    for en_path in sorted(en_root.glob("*.en.html")):
        chapter = en_path.name.split(".")[0]
        xx_path = xx_root / f"{chapter}.{lang}.html"
        if not xx_path.is_file() or chapter == "index":
            continue
        eb, xb = blocks(en_path), blocks(xx_path)
        if [k for k, _ in eb] != [k for k, _ in xb]:
            continue
        section = 0
        en_s: list[str] = []
        xx_s: list[str] = []
        pairs: list[tuple[int, int]] = []
        sections = []
        for (kind, et), (_, xt) in zip(eb, xb, strict=True):
            if kind == "title":
                sections.append((section, en_s, xx_s, pairs))
                section += 1
                en_s, xx_s, pairs = [], [], []
            if not et or not xt:
                continue
            if kind == "p" and is_translated_prose(xt, et, lang):
                pairs.append((len(xx_s), len(en_s)))
            en_s.append(et)
            xx_s.append(xt)
        sections.append((section, en_s, xx_s, pairs))
        pages += [ParallelPage("debian-reference", f"dr:{chapter}#{n}", lang, e, x, pr)
                  for n, e, x, pr in sections if len(pr) >= 3]
    return pages


def manpage_pages() -> list[ParallelPage]:
    """English man pages and their Swedish translations (``manpages-sv``), paragraphs aligned by
    section structure as the held-out audit corpus does."""
    from tests.fixtures import bilingual as bl

    en, sv = bl._load_pages(bl.fetch_debs())
    pages = []
    for key in sorted(set(en) & set(sv)):
        e, s = en[key], sv[key]
        mapping = bl._align(e, s)
        if mapping is None:
            continue
        et, st = e.texts, s.texts
        pairs = [(i, j) for i, j in enumerate(mapping)
                 if j is not None and s.blocks[i].kind == "paragraph" and is_translated_prose(st[i], et[j], "sv")]
        if len(pairs) >= 3:
            pages.append(ParallelPage("manpages", f"man:{key}", "sv", et, st, pairs))
    return pages


def load(lang: str, sources: tuple[str, ...] = ("libreoffice", "debian-reference", "manpages")) -> list[ParallelPage]:
    """Every page of ``lang`` from ``sources`` (each source only where it has the language)."""
    out: list[ParallelPage] = []
    if "libreoffice" in sources and lang in LO_CODES:
        out += libreoffice_pages(lang)
    if "debian-reference" in sources and lang in ("de", "fr", "ja"):
        out += debian_reference_pages(lang)
    if "manpages" in sources and lang == "sv":
        out += manpage_pages()
    return out


if __name__ == "__main__":
    for lg in ("sv", "de", "fr", "ja"):
        ps = load(lg)
        by: dict[str, list[int]] = {}
        for p in ps:
            by.setdefault(p.source, [0, 0, 0])
            by[p.source][0] += 1
            by[p.source][1 if p.split == "dev" else 2] += len(p.pairs)
        print(lg, {k: f"{v[0]} pages, pairs dev {v[1]} / held-out {v[2]}" for k, v in by.items()})
