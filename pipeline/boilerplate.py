"""Label boilerplate: what a site wraps around its articles, learnt from the corpus itself.

Nothing is deleted: a block gets a reason, and later stages keep boilerplate out of the checks.
Boilerplate is the site's frame, never content that several articles happen to share:

* ``chrome``: HTML inside ``<nav>``, ``<header>``, ``<footer>``, ``<aside>`` or ``<form>``;
* ``frame``: a line in the run at the head or the tail of a page that recurs, next to the same
  neighbour (or the page's edge), across a large share of the site's pages of that language
  ("Connect with us", a copyright notice): frame comes in blocks; a short line between such lines
  (a breadcrumb, a page's own "see also" link) belongs to the run, as do link-like lines that recur
  alone, breadcrumbs, and a menu written on one line ("1. Tutorials | 2. Package management | …")
  whose items are lines of the site's pages;
* ``teaser``: a link-like line whose lead words recur ("See also  <title>", "Se även  <title>");
* ``repeated``: a short link-like line repeated many times in one page and found in others too
  ("Continue Reading");
* ``mirrored``: a line in the head or tail run of a page where other pages have frame lines, of a
  similar length but in another language that has no frame of its own in the corpus ("Ta kontakt
  med oss" where the English pages say "Connect with us") — translated chrome of a lone edition.

Lines a page shares with a page it is paired with (a variant and its original, in any language, by
the manifest or because they share many long lines) are no evidence of frame: such pages count as one
family. A title is never boilerplate because of its place alone.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from .config import BoilerplateConfig
from .text import UNSPACED_RE, fold, link_like, words

TEASER_RE = re.compile(r"^(\S+(?:[ \u00a0]\S+){0,2})[ \u00a0]{2,}\S")
_LONG_LINE_WORDS = 6
_RELATED_MAX_DOCS = 5  # a page, its original and a few variants
_MAX_GAP = 2  # short unlabelled lines a frame run may hold between two frame lines (deeper is the body)
_MAX_EDGE_GAP = 4  # … and before its first frame line, at the very edge of the page
_MAX_LINKS = 30  # link-like lines a frame run may hold between two frame lines


@dataclass(frozen=True)
class BlockInfo:
    doc_path: str
    block_idx: int
    kind: str
    text: str
    chrome: bool
    lang: str | None


CHROME = "page chrome (navigation, header, footer or form)"
FRAME = "site frame: a line that recurs at the {where} of the site's pages"
GAP = "site frame: a short line inside the run of frame lines at the {where} of the page"
TRAIL = "site frame: the page's breadcrumb trail, after its title in the frame at the {where}"
REPEATED = "repeated line: a short link-like line repeated {n} times in this page"


def families(by_doc: Mapping[str, list[BlockInfo]], related: Mapping[str, str | None],
             min_shared: float) -> dict[str, str]:
    """The family of each document: a page, its variants and its original (``related`` maps a page to
    its original), and pages that share ``min_shared`` of their long lines (near-duplicates)."""
    parent = {d: d for d in by_doc}

    def find(d: str) -> str:
        while parent[d] != d:
            parent[d] = parent[parent[d]]
            d = parent[d]
        return d

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for doc, original in related.items():
        if original and doc in parent and original in parent:
            union(doc, original)
    long_lines = {d: {fold(b.text) for b in blocks if len(words(b.text)) >= _LONG_LINE_WORDS}
                  for d, blocks in by_doc.items()}
    postings: dict[str, list[str]] = defaultdict(list)
    for d, lines in long_lines.items():
        for line in lines:
            postings[line].append(d)
    # a long line in many pages is the frame's, not evidence that two pages are one text
    rare = {line for line, docs in postings.items() if len(docs) <= _RELATED_MAX_DOCS}
    shared: Counter[tuple[str, str]] = Counter()
    for line in rare:
        docs = postings[line]
        for i, a in enumerate(docs):
            for b in docs[i + 1:]:
                shared[(a, b)] += 1
    n_rare = {d: len(lines & rare) for d, lines in long_lines.items()}
    for (a, b), n in shared.items():
        if n >= 2 and n >= min_shared * min(n_rare[a], n_rare[b]):
            union(a, b)
    copies: dict[frozenset[str], str] = {}  # pages with the same long lines are copies of one text, however many
    for d, lines in long_lines.items():
        if len(lines) >= 2:
            union(d, copies.setdefault(frozenset(lines), d))
    return {d: find(d) for d in by_doc}


def label_boilerplate(blocks: list[BlockInfo], cfg: BoilerplateConfig, doc_langs: Mapping[str, str | None] | None = None,
                      related: Mapping[str, str | None] | None = None) -> dict[tuple[str, int], str]:
    """Reason per boilerplate block, keyed by (doc_path, block_idx). ``blocks`` in document order.

    ``doc_langs`` gives the language of the documents the manifest knows (the others get the
    language most of their text is in); ``related`` maps a document to its original (the manifest)."""
    by_doc: dict[str, list[BlockInfo]] = defaultdict(list)
    for b in blocks:
        by_doc[b.doc_path].append(b)
    doc_lang = {doc: (doc_langs or {}).get(doc) or _majority(doc_blocks) for doc, doc_blocks in by_doc.items()}
    family = families(by_doc, related or {}, cfg.related_min_shared)
    short = {(b.doc_path, b.block_idx): _short(b.text, cfg.frame_max_words) for b in blocks}
    keys = {(b.doc_path, b.block_idx): fold(b.text) for b in blocks}

    # A line recurs as frame when it and a neighbour recur together, in that order, across the
    # site: frame comes in blocks (header, footer), while a line that several texts share sits
    # among lines of their own. The page's start and end count as neighbours ("Connect with us"
    # opens pages). A link-like line is also known by its lead ("Home › Calc › …", "This page is:
    # …"): its variable tail (a breadcrumb's last step, a page name) does not make it the page's own.
    leads = {(b.doc_path, b.block_idx): _lead(b.text) for b in blocks}
    families_of: dict[tuple[str, str], set[str]] = defaultdict(set)
    line_families: dict[str, set[str]] = defaultdict(set)
    repeats: Counter[tuple[str, str]] = Counter()
    teaser_prefixes: Counter[str] = Counter()
    sequences: dict[str, tuple[list[str], list[str]]] = {}
    for doc, doc_blocks in by_doc.items():
        full = ["\x02", *(keys[(b.doc_path, b.block_idx)] for b in doc_blocks), "\x03"]
        lead = ["\x02", *(leads[(b.doc_path, b.block_idx)] or keys[(b.doc_path, b.block_idx)]
                          for b in doc_blocks), "\x03"]
        sequences[doc] = (full, lead)
        for seq in (full, lead):
            for a, b in pairwise(seq):
                families_of[(a, b)].add(family[doc])
        for b in doc_blocks:
            k = keys[(b.doc_path, b.block_idx)]
            line_families[k].add(family[doc])
            if leads[(b.doc_path, b.block_idx)]:
                line_families[leads[(b.doc_path, b.block_idx)]].add(family[doc])
            repeats[(doc, k)] += 1
            if m := TEASER_RE.match(b.text):
                teaser_prefixes[fold(m.group(1))] += 1
    families_of_lang: dict[str | None, set[str]] = defaultdict(set)
    for doc, lang in doc_lang.items():
        families_of_lang[lang].add(family[doc])
    position = {(b.doc_path, b.block_idx): i for doc_blocks in by_doc.values()
                for i, b in enumerate(doc_blocks, start=1)}

    def need(b: BlockInfo) -> float:
        return max(cfg.frame_min_docs, cfg.frame_min_share * len(families_of_lang[doc_lang[b.doc_path]]))

    def in_block(b: BlockInfo) -> bool:
        """It recurs together with a neighbour (or the page's edge)."""
        i, n = position[(b.doc_path, b.block_idx)], need(b)
        return any(len(families_of.get((seq[j], seq[j + 1]), ())) >= n
                   for seq in sequences[b.doc_path] for j in (i - 1, i))

    def menu(b: BlockInfo) -> bool:
        """A menu written on one line ("1. Tutorials | 2. Package management | …") whose every item is
        a line of as many of the site's pages as frame needs (their menus list the items one by one)."""
        items = _MENU_RE.split(b.text)
        return len(items) >= 3 and all(len(line_families.get(fold(i), ())) >= need(b) for i in items)

    def alone(b: BlockInfo) -> bool:
        """A link-like line that recurs by itself ("Related topics"), a breadcrumb ("Calc › Delete
        Page Break") or a menu of the site's lines: frame once inside a run."""
        k = (b.doc_path, b.block_idx)
        return (bool(leads[k]) and (len(line_families.get(leads[k], ())) >= need(b) or _crumb(b.text))) or menu(b)

    labels: dict[tuple[str, int], str] = {}
    for b in blocks:
        key = (b.doc_path, b.block_idx)
        m = TEASER_RE.match(b.text)
        n = repeats[(b.doc_path, keys[key])]
        if b.chrome:
            labels[key] = CHROME
        elif m and teaser_prefixes[fold(m.group(1))] >= cfg.teaser_min_repeats:
            labels[key] = f"link-like teaser: lines led by '{m.group(1)}' recur across the corpus"
        elif short[key] and n >= cfg.within_doc_min_repeats and link_like(b.text) and \
                len(line_families[keys[key]]) >= cfg.frame_min_docs:
            labels[key] = REPEATED.format(n=n)

    def label_runs(in_block, alone) -> dict[tuple[str, int], str]:  # noqa: ANN001
        out = dict(labels)
        for doc_blocks in by_doc.values():
            for where, seq in (("head", doc_blocks), ("tail", doc_blocks[::-1])):
                _label_run(seq, where, in_block, alone, short, out)
        return out

    # A line is frame where, on most of the pages it occurs on, it is part of their frame (chrome, a
    # run, …): a first pass finds the runs, and a line framed on a minority of its pages vouches for no
    # run (GNU's "--help display this help and exit" recurs on every page, but near the head of a
    # short page only).
    first = label_runs(in_block, alone)
    seen: Counter[str] = Counter()
    framed: Counter[str] = Counter()
    for b in blocks:
        k = (b.doc_path, b.block_idx)
        for line in {keys[k], leads[k]} - {None}:
            seen[line] += 1
            framed[line] += k in first

    def framing(line: str | None) -> bool:
        return line is not None and 2 * framed[line] >= seen[line]

    labels = label_runs(lambda b: in_block(b) and framing(keys[(b.doc_path, b.block_idx)]),
                        lambda b: alone(b) and (framing(leads[(b.doc_path, b.block_idx)]) or _crumb(b.text) or menu(b)))
    frame_langs = {b.lang for b in blocks if labels.get((b.doc_path, b.block_idx), "").startswith("site frame")}
    _label_mirrored(by_doc, labels, frame_langs, cfg)
    return labels


def _majority(blocks: list[BlockInfo]) -> str | None:
    chars: Counter[str] = Counter()
    for b in blocks:
        if b.lang:
            chars[b.lang] += len(b.text)
    return chars.most_common(1)[0][0] if chars else None


@lru_cache(maxsize=65_536)
def _short(text: str, max_words: int) -> bool:
    """At most ``max_words`` words (in a script written without spaces: as many characters as that
    many words take, about three each)."""
    if len(words(text)) <= max_words:
        return True
    return bool(UNSPACED_RE.search(text)) and len(text) <= 3 * max_words


_SEPARATOR_RE = re.compile(r"\s[›>»|·•→/–—]\s|:\s")
_CRUMB_RE = re.compile(r"\s[›»→]\s")
_TRAIL_RE = re.compile(r"\s[›»]\s")  # a breadcrumb trail's separator (not a menu path's "→")
_TRAIL_STEP_WORDS = 8
_MENU_RE = re.compile(r"\s[|·•]\s")  # between the items of a menu written on one line
_QUOTED_RE = re.compile(r"«[^«»]*»|‹[^‹›]*›")  # French quotes: their » and › separate nothing


def _separators(text: str) -> list[re.Match]:
    return list(_SEPARATOR_RE.finditer(_unquoted(text)))


def _crumb(text: str) -> bool:
    """A breadcrumb: steps joined by "›", "»" or "→" — not a sentence that names a menu path on its way
    ("書式 → レイヤーを選択します。", Choose Format → Layer)."""
    return link_like(text) and bool(_CRUMB_RE.search(_unquoted(text)))


def _unquoted(text: str) -> str:
    return _QUOTED_RE.sub(lambda m: "q" * len(m.group(0)), text)


def trail_steps(text: str) -> int:
    """The steps of ``text`` read as a breadcrumb trail ("Debian Reference › Chapter 4. … › 4.5.2."):
    its separators "›" and "»" (outside French quotes) plus one."""
    return len(_TRAIL_RE.findall(_unquoted(text))) + 1


def _trail(text: str) -> bool:
    """A breadcrumb trail: short steps joined by "›" or "»" ("Debian Reference › Chapter 4. … › 4.5.2. …")."""
    steps = _TRAIL_RE.split(text)
    return len(steps) > 1 and all(_short(step, _TRAIL_STEP_WORDS) for step in steps)


@lru_cache(maxsize=65_536)  # a site's frame lines recur on every page
def _lead(text: str) -> str | None:
    """The lead of a short link-like line, a breadcrumb or a menu — what comes before its first
    separator ("Home › …", "This page is: …"), else the line itself when short, or its first two
    words — by which it recurs; None for other lines, and for a sentence whatever its separators (a
    step "ファイル → 印刷を選択します。" is led by a menu, not a link). A labelled line ("Title is: …")
    may run as long as a breadcrumb: its tail is a page's name."""
    if not link_like(text):
        return None
    n = len(words(text))
    found = _separators(text)
    m = found[0] if found else None
    links = len(found)
    labelled = m is not None and m.start() > 0 and m.group(0).startswith(":") and len(words(text[:m.start()])) <= 3
    if (n > 12 and links < 2 and not labelled) or n > 40:
        return None  # a long line; but a breadcrumb or a menu (two separators and more) may run long
    if m and m.start() > 0:
        head = text[:m.start()]
    else:  # a short line is its own lead ("Table des matières" leads "Table des matières | 1. …")
        head = text if n <= 3 else " ".join(text.split()[:2])
    return "\x01" + fold(head)


def _label_run(seq: list[BlockInfo], where: str, in_block, alone, short: dict,  # noqa: ANN001
               labels: dict) -> None:
    """Label the frame run at one end of a page: lines that recur in blocks, page chrome and
    teasers — and, once the run has begun, link-like lines that recur alone — with short non-title
    lines between them: up to ``_MAX_GAP`` that read as sentences (``_MAX_EDGE_GAP`` at the very
    edge), any number of link-like ones ("see also" links, a breadcrumb). The run ends where more
    come first, or a long line or a title that is none of these. A title belongs to the run but
    vouches for no line around it (section headings recur in documents of a kind without being
    any site's frame): a recurring heading reached after a sentence of the page ends the run. The
    page's own title, met inside the run, is passed over (never labelled) where a breadcrumb trail
    follows it (``_trail``); any other line after it is the page's text and ends the run."""
    gap: list[BlockInfo] = []
    sentences, limit, started, title = 0, _MAX_EDGE_GAP, False, False
    for b in seq:
        key = (b.doc_path, b.block_idx)
        if title and not _trail(b.text):
            return  # the page's own title, then its text (whatever labels the lines of that text carry)
        if key in labels or in_block(b) or (started and alone(b)) or title:
            if b.kind == "title" and sentences and key not in labels:
                return  # a heading after a sentence of the page's own ("Written by …", then AUTHOR)
            if key not in labels:
                labels[key] = (TRAIL if title else FRAME).format(where=where)
            started, title = True, False
            if b.kind != "title":
                for g in gap:
                    labels[(g.doc_path, g.block_idx)] = GAP.format(where=where)
                gap, sentences, limit = [], 0, _MAX_GAP
        elif started and b.kind == "title" and not sentences:
            title = True  # the page's title, inside its frame: passed over, never labelled, and the run
            # goes on only where the next line is the page's breadcrumb trail ("Home › Docs › <title>")
        elif short[key] and b.kind != "title" and not b.text.rstrip().endswith(":"):
            link = link_like(b.text)
            if (not link and sentences >= limit) or len(gap) >= _MAX_LINKS:
                return
            sentences += not link
            gap.append(b)
        else:
            return


def _label_mirrored(by_doc: dict[str, list[BlockInfo]], labels: dict[tuple[str, int], str],
                    frame_langs: set[str | None], cfg: BoilerplateConfig) -> None:
    """Translated chrome of a lone edition: blocks at the head or tail of a page, where other pages
    have boilerplate in another language, in a language without frame lines of its own."""
    for from_end in (False, True):
        # position -> template line -> [order of first sight, {language: how many pages have it there}],
        # from the runs of boilerplate that open (or close) every page
        template: dict[int, dict[str, list]] = defaultdict(dict)
        for doc_blocks in by_doc.values():
            seq = list(reversed(doc_blocks)) if from_end else doc_blocks
            for pos, b in enumerate(seq):
                if (b.doc_path, b.block_idx) not in labels:
                    break
                line = template[pos].setdefault(b.text, [len(template[pos]), Counter()])
                line[1][b.lang] += 1
        for doc_blocks in by_doc.values():
            seq = list(reversed(doc_blocks)) if from_end else doc_blocks
            for pos, b in enumerate(seq):
                key = (b.doc_path, b.block_idx)
                if key in labels:
                    continue
                if b.lang in frame_langs or (b.kind == "title" and len(words(b.text)) > 4):
                    break
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
