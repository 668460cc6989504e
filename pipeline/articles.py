"""Split pages into articles and decide each document's expected language.

A page can hold several articles: a new one starts at a title that follows a hard break (two
blank lines in text, an ``h1`` or ``<article>`` in HTML, ``#`` in Markdown), once the
current article has body text — :data:`MIN_BODY_WORDS` words outside titles and boilerplate
(a pager or two link lines above the title are not an article). Runs of titles stay together (a
teaser title and the article's own title), boilerplate never starts an article, and a trailing
article with less body joins its neighbour.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass


#: Body words an article needs before a title can start the next one.
MIN_BODY_WORDS = 25


@dataclass(frozen=True)
class BlockLayout:
    kind: str
    new_section: bool
    boilerplate: bool
    words: int = MIN_BODY_WORDS


def split_articles(blocks: list[BlockLayout]) -> list[int]:
    """Article index (0-based) of each block of one document."""
    index: list[int] = []
    current = 0
    body = 0
    for b in blocks:
        if b.kind == "title" and b.new_section and not b.boilerplate and body >= MIN_BODY_WORDS:
            current += 1
            body = 0
        index.append(current)
        if not b.boilerplate and b.kind != "title":
            body += b.words
    if body < MIN_BODY_WORDS and current > 0:  # a trailing article without body joins the previous one
        index = [min(i, current - 1) for i in index]
    return index


def document_slug(path: str) -> str:
    """A short, file-name-safe slug of a document path, unique by a hash of the path: derived from the
    document alone, so it stays the same when other files come and go (waivers and links keep working)."""
    stem = re.sub(r"\.[A-Za-z0-9]+$", "", path)
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", stem.replace("/", "__")).strip("-.")[:72] or "doc"
    return f"{slug}-{hashlib.blake2b(path.encode('utf-8', 'surrogateescape'), digest_size=3).hexdigest()}"


def document_slugs(paths: list[str]) -> dict[str, str]:
    return {p: document_slug(p) for p in paths}


def article_id(doc_slug: str, article_idx: int) -> str:
    return f"{doc_slug}-a{article_idx + 1}"


@dataclass(frozen=True)
class LangEvidence:
    lang: str | None
    chars: int
    boilerplate: bool


def expected_language(evidence: list[LangEvidence], source_lang: str, min_share: float,
                      manifest_lang: str | None, path_lang: str | None = None) -> tuple[str, str]:
    """The language a document is meant to be in, and why.

    The manifest decides when it names one. Otherwise a page whose chrome is in another language
    than the source language is that language's edition (the body may be untranslated); else the
    language that holds at least ``min_share`` of the body text besides the source language; else
    ``path_lang``, the language its path names where the path mirrors a source-language page's
    ("ja/x.html" beside "en/x.html": an edition left untranslated); else the source language.
    """
    if manifest_lang:
        return manifest_lang, "manifest"
    chrome = Counter(e.lang for e in evidence if e.boilerplate and e.lang)
    if chrome:
        lang, n = chrome.most_common(1)[0]
        if lang != source_lang and n >= 2 and n > chrome.get(source_lang, 0):
            return lang, f"page chrome is {lang} ({n} lines)"
    body = Counter()
    for e in evidence:
        if not e.boilerplate and e.lang:
            body[e.lang] += e.chars
    total = sum(body.values())
    if total:
        for lang, chars in body.most_common():
            if lang != source_lang and chars / total >= min_share:
                return lang, f"{chars / total:.0%} of the body text is {lang}"
    if path_lang and path_lang != source_lang:
        return path_lang, f"its path names {path_lang} and mirrors a {source_lang} page's"
    return source_lang, "detected"
