"""Label boilerplate blocks (site chrome, teasers, newsletter boxes), learnt from the corpus itself.

Nothing is deleted: a block gets a reason, and later stages keep boilerplate out of alignment,
scores and language flags. The rules, each a reason a person can check:

* ``chrome``: HTML inside ``<nav>``, ``<header>``, ``<footer>``, ``<aside>`` or ``<form>``;
* ``recurring``: a short line found in several documents ("Connect with us", "Source link");
* ``repeated``: a short line repeated many times in one document ("Continue Reading");
* ``teaser``: a link-like line whose lead words recur ("See also  <title>", "Se även  <title>");
* ``mirrored``: a line at the same place as boilerplate of other documents, of a similar length
  but in another language ("Ta kontakt med oss" where the others say "Connect with us") —
  translated chrome.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass

from .config import BoilerplateConfig
from .text import fold, words

TEASER_RE = re.compile(r"^(\S+(?:[ \u00a0]\S+){0,2})[ \u00a0]{2,}\S")


@dataclass(frozen=True)
class BlockInfo:
    doc_path: str
    block_idx: int
    kind: str
    text: str
    chrome: bool
    lang: str | None


def label_boilerplate(blocks: list[BlockInfo], cfg: BoilerplateConfig,
                      doc_langs: dict[str, str | None] | None = None) -> dict[tuple[str, int], str]:
    """Reason per boilerplate block, keyed by (doc_path, block_idx). ``blocks`` in document order.

    ``doc_langs`` gives the language of documents the manifest knows; the others get the
    language most of their blocks are in. A line recurs only among documents of one language:
    an untranslated paragraph that repeats its English original is not site chrome.
    """
    by_doc: dict[str, list[BlockInfo]] = defaultdict(list)
    for b in blocks:
        by_doc[b.doc_path].append(b)
    doc_lang = {}
    for doc, doc_blocks in by_doc.items():
        langs = Counter(b.lang for b in doc_blocks if b.lang)
        doc_lang[doc] = (doc_langs or {}).get(doc) or (langs.most_common(1)[0][0] if langs else None)
    docs_of_line: dict[tuple[str | None, str], set[str]] = defaultdict(set)
    repeats: Counter[tuple[str, str]] = Counter()
    teaser_prefixes: Counter[str] = Counter()
    keys = [fold(b.text) for b in blocks]
    teasers = [TEASER_RE.match(b.text) for b in blocks]
    for b, key, m in zip(blocks, keys, teasers, strict=True):
        docs_of_line[(doc_lang[b.doc_path], key)].add(b.doc_path)
        repeats[(b.doc_path, key)] += 1
        if m:
            teaser_prefixes[fold(m.group(1))] += 1

    labels: dict[tuple[str, int], str] = {}
    for b, key, m in zip(blocks, keys, teasers, strict=True):
        n_words = len(words(b.text))
        n_docs = len(docs_of_line[(doc_lang[b.doc_path], key)])
        if b.chrome:
            labels[(b.doc_path, b.block_idx)] = "page chrome (navigation, header, footer or form)"
        elif m and teaser_prefixes[fold(m.group(1))] >= cfg.teaser_min_repeats:
            labels[(b.doc_path, b.block_idx)] = (
                f"link-like teaser: lines led by '{m.group(1)}' recur across the corpus")
        elif b.text.rstrip().endswith(":"):
            continue  # a line that introduces what follows is part of the article ("As explained by Meta:")
        elif n_words <= cfg.recurring_max_words and n_docs >= (
                cfg.title_min_docs if b.kind == "title" and n_words > 4 else cfg.recurring_min_docs):
            labels[(b.doc_path, b.block_idx)] = "recurring line: found in other documents of the same language"
        elif n_words <= cfg.recurring_max_words and repeats[(b.doc_path, key)] >= cfg.within_doc_min_repeats:
            labels[(b.doc_path, b.block_idx)] = f"repeated line: {repeats[(b.doc_path, key)]} times in this document"

    _label_mirrored(by_doc, doc_lang, labels, cfg)
    return labels


def _label_mirrored(by_doc: dict[str, list[BlockInfo]], doc_lang: dict[str, str | None],
                    labels: dict[tuple[str, int], str], cfg: BoilerplateConfig) -> None:
    """Translated chrome: blocks at the head or tail of a page, where other pages have boilerplate."""
    for from_end in (False, True):
        # position -> template line -> [order of first sight, {language: how many pages have it there}],
        # from the runs of recurring boilerplate that open (or close) every page
        template: dict[int, dict[str, list]] = defaultdict(dict)
        for doc_blocks in by_doc.values():
            seq = list(reversed(doc_blocks)) if from_end else doc_blocks
            for pos, b in enumerate(seq):
                if (b.doc_path, b.block_idx) not in labels or not labels[(b.doc_path, b.block_idx)].startswith(
                        ("recurring", "repeated", "page chrome")):
                    break
                line = template[pos].setdefault(b.text, [len(template[pos]), Counter()])
                line[1][b.lang or doc_lang.get(b.doc_path)] += 1
        for doc_blocks in by_doc.values():
            seq = list(reversed(doc_blocks)) if from_end else doc_blocks
            for pos, b in enumerate(seq):
                key = (b.doc_path, b.block_idx)
                if key in labels:
                    continue
                # a page's own template lines sit before its first unlabelled block: all are other pages'
                example = _mirrored_line(b, template.get(pos, {}), cfg)
                if example is None:
                    break
                labels[key] = f"mirrored chrome: in the place of '{example[:60]}' on other pages, in another language"


def _mirrored_line(b: BlockInfo, lines: dict[str, list], cfg: BoilerplateConfig) -> str | None:
    """The template line ``b`` stands in for: of the lines in another (known) language and of a
    similar length, the one most pages have there (the first seen on a tie) — stable while other
    pages come and go. None when there is none."""
    best, best_key = None, None
    for text, (order, langs) in lines.items():
        ratio = max(len(b.text), len(text)) / max(1, min(len(b.text), len(text)))
        if ratio > cfg.mirror_max_length_ratio:
            continue
        # unknown (too short to tell) counts as another language; a template of unknown language never matches
        count = sum(n for lang, n in langs.items() if lang is not None and lang != b.lang)
        if count and (best_key is None or (-count, order) < best_key):
            best, best_key = text, (-count, order)
    return best
