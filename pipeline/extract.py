"""Decode a document and extract its text blocks (txt, HTML, Markdown).

A block is a title, paragraph, list item or quote, in reading order, with two layout hints that
the later stages use: ``new_section`` (a hard break before it: two or more blank lines in text, a
``h1`` or ``<article>`` in HTML, a first-level heading in Markdown) and ``chrome`` (inside ``<nav>``,
``<header>``, ``<footer>``, ``<aside>`` or ``<form>``).

Extraction is bounded: every tree walk is iterative, HTML and Markdown nested deeper than
``[extract] max_depth`` are errors (HTML is measured from its tags before it is parsed, because the
parser's work grows with the square of the depth), and one file's extraction stops with an error
after ``[extract] max_seconds``.
"""

from __future__ import annotations

import re
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from .config import ExtractConfig
from .errors import InputError
from .frames import EXTRACT_SCHEMA
from .htmldepth import nesting_depth
from .text import CLOSING_QUOTES, OPENING_QUOTES, words

if TYPE_CHECKING:
    from markdown_it.token import Token

BULLET_RE = re.compile(r"^\s*(?:[•·▪‣◦\-*–]|\d{1,3}[.)])\s+")
TERMINAL_PUNCT = ".,;:"
# byte-order marks, longest first (a UTF-32 LE mark starts with the UTF-16 LE one)
BOMS = ((b"\x00\x00\xfe\xff", "utf-32-be", "UTF-32 BE"), (b"\xff\xfe\x00\x00", "utf-32-le", "UTF-32 LE"),
        (b"\xef\xbb\xbf", "utf-8", "UTF-8"), (b"\xfe\xff", "utf-16-be", "UTF-16 BE"),
        (b"\xff\xfe", "utf-16-le", "UTF-16 LE"))
# HTML counted deeper than this many times max_depth is refused before parsing; shallower, the
# parsed tree's own depth decides (the count from tags is an estimate)
PRESCAN_FACTOR = 4
# markdown-it drops what lies deeper than its maxNesting, recurses once per level (Python's stack
# allows a few hundred) and on some inputs (runs of '[' or list markers) works in proportion to it:
# Markdown is bounded at this depth whatever max_depth says (16 nested lists, 32 nested quotes)
MARKDOWN_MAX_DEPTH = 32


@dataclass(frozen=True)
class Block:
    kind: str  # title | paragraph | list_item | quote | code (kept whole, not language-checked)
    text: str
    new_section: bool = False
    chrome: bool = False
    blank_before: int = 0


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    warning: str | None = None


class OutOfTime(InputError):
    """One file's extraction ran past ``[extract] max_seconds``."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"extraction stopped after {seconds:g} s ([extract] max_seconds): the file is too large or "
                         f"too intricate to extract in time; split it or raise the limit")


class Budget:
    """The time budget of one file: ``check()`` raises :class:`OutOfTime` once ``seconds`` have passed.

    The check is cooperative (called between steps); a parser that runs long inside one call is
    stopped only by :func:`time_limit`.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise OutOfTime(self.seconds)


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`OutOfTime` in the block once ``seconds`` have passed, wherever it is.

    A SIGALRM timer interrupts pure-Python parsers (markdown-it) that no cooperative check
    reaches; C code (lexbor) finishes its call first. Only the main thread receives signals:
    elsewhere, and where there is no SIGALRM, this does nothing and :class:`Budget` alone applies.
    An earlier timer of the process is restored afterwards.
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def on_alarm(signum: int, frame: object) -> None:
        raise OutOfTime(seconds)

    previous = signal.signal(signal.SIGALRM, on_alarm)
    started = time.monotonic()
    earlier, interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if earlier:
            signal.setitimer(signal.ITIMER_REAL, max(earlier - (time.monotonic() - started), 0.001), interval)


def too_large(size: int, max_file_mb: float) -> str:
    """The error message for a file of ``size`` bytes over ``[extract] max_file_mb``."""
    return (f"file is {size / 2**20:.1f} MiB, over the limit of {max_file_mb:g} MiB ([extract] max_file_mb); "
            f"split it or raise the limit")


def decode(data: bytes, cfg: ExtractConfig) -> Decoded:
    """Text of a file's bytes.

    A byte-order mark decides (UTF-8, UTF-16 or UTF-32, either byte order); else UTF-8 when the
    bytes are UTF-8; else UTF-16/UTF-32 without a mark when the zero bytes say so (with a
    warning); else the first of ``[extract] fallback_encodings`` that charset-normalizer accepts
    (with a warning). Raises InputError for empty, oversized, binary or undecodable files.
    """
    limit = int(cfg.max_file_mb * 2**20)
    if len(data) > limit:
        raise InputError(too_large(len(data), cfg.max_file_mb))
    for bom, encoding, label in BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom):].decode(encoding)
            except UnicodeDecodeError as exc:
                raise InputError(f"starts with a {label} byte-order mark but is not {label} text (byte "
                                 f"{exc.start + len(bom)}); save it as UTF-8") from None
            if encoding == "utf-8":  # as without the mark: valid UTF-8 is text
                if not text.strip():
                    raise InputError("empty file: nothing to audit")
                return Decoded(text, encoding)
            return Decoded(_checked_text(text), encoding)
    if not data.strip():
        raise InputError("empty file: nothing to audit")
    head = data[:65536]
    wide = _wide_without_bom(head)
    if wide is not None:
        encoding, label = wide
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise InputError(f"looks like {label} text without a byte-order mark, but is not {label} (byte "
                             f"{exc.start}); save it as UTF-8") from None
        return Decoded(_checked_text(text), encoding,
                       f"{label} without a byte-order mark; decoded as {label} — save it as UTF-8 (or add a "
                       f"byte-order mark)")
    if b"\x00" in head:
        raise InputError("binary file (NUL bytes): not text, HTML or Markdown")
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    from charset_normalizer import from_bytes  # imported on demand: most corpora are UTF-8

    # Restricted to the configured encodings: unrestricted detection called cp1252 Swedish "big5"
    # and a mostly-ASCII file "cp1250" (benchmarks/RESULTS-libraries.md).
    best = from_bytes(data, cp_isolation=list(cfg.fallback_encodings)).best()
    if best is None or best.encoding is None:
        raise InputError(f"undecodable bytes: not UTF-8 (byte {first_bad}) nor "
                         f"{', '.join(cfg.fallback_encodings)} ([extract] fallback_encodings)")
    text = _checked_text(data.decode(best.encoding, errors="replace"))
    return Decoded(text, best.encoding,
                   f"not UTF-8 (byte {first_bad}); decoded as {best.encoding} — convert it to UTF-8")


def _checked_text(text: str) -> str:
    """``text`` unless it is empty or full of control characters (binary data that decoded)."""
    if not text.strip():
        raise InputError("empty file: nothing to audit")
    sample = text[:20000]
    control = sum(1 for c in sample if ord(c) < 32 and c not in "\t\n\r\f")
    if control > 0.01 * len(sample):
        raise InputError("binary file: too many control characters to be text")
    return text


def _wide_without_bom(head: bytes) -> tuple[str, str] | None:
    """(encoding, label) when ``head`` looks like UTF-16 or UTF-32 text without a byte-order mark.

    Text in the Latin, Greek or Cyrillic ranges has a zero byte in every other position (UTF-16)
    or in three of four (UTF-32); binary data has zeros everywhere or in no pattern.
    """
    n = len(head) - len(head) % 4
    if n < 16:
        return None
    zeros = [head[k:n:4].count(0) / (n // 4) for k in range(4)]
    if zeros[1] > 0.9 and zeros[2] > 0.9 and zeros[3] > 0.9 and zeros[0] < 0.01:
        return "utf-32-le", "UTF-32 LE"
    if zeros[0] > 0.9 and zeros[1] > 0.9 and zeros[2] > 0.9 and zeros[3] < 0.01:
        return "utf-32-be", "UTF-32 BE"
    even, odd = (zeros[0] + zeros[2]) / 2, (zeros[1] + zeros[3]) / 2
    if odd > 0.5 and even < 0.01:
        return "utf-16-le", "UTF-16 LE"
    if even > 0.5 and odd < 0.01:
        return "utf-16-be", "UTF-16 BE"
    return None


def extract_blocks(text: str, kind: str, cfg: ExtractConfig) -> list[Block]:
    """Blocks of a decoded document of the given kind ('txt', 'html' or 'md').

    Raises InputError when the document nests deeper than ``cfg.max_depth`` or its extraction
    takes longer than ``cfg.max_seconds``.
    """
    budget = Budget(cfg.max_seconds)
    if kind == "html":
        blocks = _html_blocks(text, cfg, budget)
    elif kind == "md":
        blocks = _markdown_blocks(text, cfg, budget)
    else:
        blocks = _text_blocks(text, cfg, budget)
    budget.check()
    return [b for b in blocks if words(b.text) or re.search(r"\d", b.text)]


def _is_title_like(line: str, cfg: ExtractConfig) -> bool:
    stripped = line.strip()
    n = len(words(stripped))
    if n == 0 or n > cfg.title_max_words or stripped[-1] in TERMINAL_PUNCT:
        return False
    return stripped[0].isupper() or stripped[0].isdigit() or stripped[0] in OPENING_QUOTES


def _title_case(line: str) -> bool:
    long_words = [w for w in words(line) if len(w) >= 4]
    if len(long_words) <= 1:
        return True
    return sum(w[0].isupper() for w in long_words) / len(long_words) >= 0.6


def _text_blocks(text: str, cfg: ExtractConfig, budget: Budget) -> list[Block]:
    """Plain text: one block per line, hard-wrapped paragraphs joined back."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    # (blank lines before, line) for each non-blank line
    rows: list[tuple[int, str]] = []
    blank = 0
    for line in lines:
        if not line.strip():
            blank += 1
            continue
        rows.append((blank if rows else max(blank, 2), line.rstrip()))
        blank = 0
    rows.append((2, ""))  # sentinel: what follows the last line
    # blank before, the lines of a paragraph, blank after, its length joined (parts are joined once,
    # at the end: joining as lines come is quadratic in a long hard-wrapped paragraph)
    merged: list[tuple[int, list[str], int, int]] = []
    for i, (before, line) in enumerate(rows[:-1]):
        if i % 1024 == 0:
            budget.check()
        after = rows[i + 1][0]
        if merged and before == 0 and _continues(merged[-1][1][-1], merged[-1][3], line):
            b, parts, _, length = merged[-1]
            part = line.strip()
            parts.append(part)
            merged[-1] = (b, parts, after, length + 1 + len(part))
        else:
            merged.append((before, [line], after, len(line)))
    blocks = []
    for i, (before, parts, after, _) in enumerate(merged):
        if i % 1024 == 0:
            budget.check()
        line = " ".join(parts)
        stripped = line.strip()
        if BULLET_RE.match(line) and len(words(stripped)) > 0:
            blocks.append(Block("list_item", BULLET_RE.sub("", line, count=1).strip(), False, False, before))
            continue
        standalone = before >= 1 and after >= 1
        title = _is_title_like(stripped, cfg) and standalone and (
            _title_case(stripped) or before >= 2 or len(words(stripped)) <= 4)
        if title:
            kind = "title"
        elif stripped[0] in OPENING_QUOTES or (stripped[-1] in CLOSING_QUOTES and stripped.count("“") == 0
                                                 and len(words(stripped)) > 3):
            kind = "quote"
        else:
            kind = "paragraph"
        blocks.append(Block(kind, stripped, before >= 2, False, before))
    return blocks


def _continues(prev_tail: str, prev_length: int, line: str) -> bool:
    """Is ``line`` the hard-wrapped continuation of a paragraph ending in ``prev_tail``, ``prev_length`` long?"""
    if BULLET_RE.match(line):
        return False
    p = prev_tail.rstrip()
    if not p or p[-1] in ".!?:;”\"»)]…":
        return False
    first = line.strip()[:1]
    return first.islower() or (prev_length >= 60 and not first.isupper())


_BLOCK_TAGS = {"h1": "title", "h2": "title", "h3": "title", "h4": "title", "h5": "title", "h6": "title",
               "p": "paragraph", "li": "list_item", "blockquote": "quote", "pre": "code",
               "td": "paragraph", "th": "paragraph", "dt": "paragraph", "dd": "paragraph",
               "figcaption": "paragraph", "caption": "paragraph", "div": "paragraph", "section": "paragraph",
               "article": "paragraph", "main": "paragraph", "header": "paragraph", "footer": "paragraph",
               "nav": "paragraph", "aside": "paragraph", "form": "paragraph", "body": "paragraph",
               "label": "paragraph", "address": "paragraph", "summary": "paragraph"}
_CONTAINERS = {"div", "section", "article", "main", "header", "footer", "nav", "aside", "form", "body",
               "blockquote", "li", "td", "th", "dd", "label", "address"}
_CHROME_TAGS = {"nav", "header", "footer", "aside", "form"}
_SKIP_TAGS = {"script", "style", "noscript", "template", "svg", "head", "title", "iframe", "object", "canvas",
              "select", "button"}


def _html_blocks(html: str, cfg: ExtractConfig, budget: Budget) -> list[Block]:
    """HTML through the lexbor parser (selectolax): leaf blocks in document order.

    The tree is walked with an explicit stack (a recursive walk overflows Python's stack on deep
    pages); the depth is checked from the tags before parsing and again on the parsed tree.
    """
    from selectolax.lexbor import LexborHTMLParser

    limit = cfg.max_depth
    # a page of few tags cannot nest deep (each start tag opens at most one element, and the
    # formatting elements it reopens were counted once already): most pages skip the count
    counted = nesting_depth(html, budget.check) if 2 * html.count("<") > PRESCAN_FACTOR * limit else 0
    if counted > PRESCAN_FACTOR * limit:
        raise InputError(f"HTML nested {counted:,} levels deep (limit {limit:,}, [extract] max_depth): not parsed; "
                         f"flatten the markup or raise the limit")
    budget.check()
    tree = LexborHTMLParser(html)
    budget.check()
    root = tree.body or tree.root
    if root is None:
        return []
    blocks: list[Block] = []
    pending: list[str] = []
    new_section = True

    def flush(kind: str, chrome: bool) -> None:
        nonlocal new_section
        text = re.sub(r"\s+", " ", "".join(pending)).strip()
        pending.clear()
        if text:
            blocks.append(Block(kind, text, new_section, chrome))
            new_section = False

    # one frame per open element: its children still to visit, the block kind and chrome flag its
    # text gets, whether it is inside a quote, and whether leaving it ends a block
    stack = [(root.iter(include_text=True), "paragraph", False, False, False)]
    visited = 0
    while stack:
        children, kind, chrome, in_quote, is_block = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            if is_block:
                flush(kind, chrome)
            continue
        visited += 1
        if visited % 4096 == 0:
            budget.check()
        tag = child.tag
        if tag == "-text":
            pending.append(child.text_content or "")
            continue
        if tag in _SKIP_TAGS or tag in ("-comment", "!doctype"):
            continue
        if tag == "br":
            pending.append(" ")
            continue
        if len(stack) >= limit:
            raise InputError(f"HTML nested more than {limit:,} levels deep ([extract] max_depth): not extracted; "
                             f"flatten the markup or raise the limit")
        if tag in _BLOCK_TAGS:
            flush(kind, chrome)
            child_kind = _BLOCK_TAGS[tag]
            if in_quote or tag == "blockquote":
                child_kind = "quote" if child_kind in ("paragraph", "quote") else child_kind
            elif tag == "p" and kind == "list_item":
                child_kind = "list_item"
            if kind == "code":
                child_kind = "code"
            if tag in ("h1", "article"):  # an h2 is a section of the article, not a new one
                new_section = True
            inner = child_kind if tag not in _CONTAINERS or tag in ("li", "blockquote") else kind
            stack.append((child.iter(include_text=True), inner, chrome or tag in _CHROME_TAGS,
                          in_quote or tag == "blockquote", True))
        else:  # inline element: its text joins the current block
            stack.append((child.iter(include_text=True), kind, chrome, in_quote, False))
    flush("paragraph", False)
    return blocks


def _markdown_blocks(md: str, cfg: ExtractConfig, budget: Budget) -> list[Block]:
    """Markdown through markdown-it-py: headings, paragraphs, list items, quotes and code blocks.

    markdown-it drops what lies deeper than its ``maxNesting`` without a word, so a document that
    reaches that depth is an error rather than an audit of part of it.
    """
    from markdown_it import MarkdownIt

    limit = min(cfg.max_depth, MARKDOWN_MAX_DEPTH)
    try:
        tokens = MarkdownIt("commonmark", {"maxNesting": limit}).parse(md)
    except RecursionError:
        raise InputError(f"Markdown nested too deep to parse (the limit for Markdown is {limit} levels): "
                         f"not extracted; flatten the lists and quotes") from None
    budget.check()
    blocks: list[Block] = []
    stack: list[str] = []
    new_section = True
    for i, tok in enumerate(tokens):
        if i % 4096 == 0:
            budget.check()
        if tok.level >= limit - 1:
            raise InputError(f"Markdown nested {limit} or more levels deep (the limit for Markdown is "
                             f"{limit}: [extract] max_depth, at most {MARKDOWN_MAX_DEPTH}): not extracted; flatten "
                             f"the lists and quotes")
        if tok.type.endswith("_open"):
            stack.append(tok.tag)
            if tok.tag == "h1":
                new_section = True
        elif tok.type.endswith("_close"):
            if stack:
                stack.pop()
        elif tok.type == "hr":
            new_section = True
        elif tok.type in ("fence", "code_block"):
            code = re.sub(r"\s+", " ", tok.content).strip()
            if code:
                blocks.append(Block("code", code, new_section))
                new_section = False
        elif tok.type == "inline":
            text = "".join(_inline_text(c) for c in (tok.children or [])).strip()
            if not text:
                continue
            if any(t.startswith("h") and t[1:].isdigit() for t in stack[-1:]):
                kind = "title"
            elif "blockquote" in stack:
                kind = "quote"
            elif "li" in stack:
                kind = "list_item"
            else:
                kind = "paragraph"
            blocks.append(Block(kind, re.sub(r"\s+", " ", text), new_section))
            new_section = False
    return blocks


def _inline_text(tok: Token) -> str:
    if tok.type in ("text", "code_inline"):
        return tok.content
    if tok.type in ("softbreak", "hardbreak"):
        return " "
    if tok.type == "image":
        return ""
    return ""


@dataclass(frozen=True)
class SourceFile:
    document: Document
    data: bytes
    lang_hint: str  # language to segment with: the manifest's, else the source language


def extract_documents(files: list[SourceFile], cfg: ExtractConfig) -> tuple[pl.DataFrame, list[InputProblem]]:
    """Decode, extract blocks and segment sentences; one problem per file that cannot be audited.

    Returns the segments (``frames.EXTRACT_SCHEMA``) of every file that could be read."""
    from .discover import InputProblem  # discover reads files with this module's decoding
    from .segment import segment_block

    rows: dict[str, list] = {k: [] for k in EXTRACT_SCHEMA}
    problems: list[InputProblem] = []
    for f in files:
        doc = f.document
        try:
            decoded = decode(f.data, cfg)
            blocks = extract_blocks(decoded.text, doc.kind, cfg)
        except InputError as exc:
            problems.append(InputProblem(doc.path, str(exc)))
            continue
        except Exception as exc:  # a parser crash on one file must not stop the corpus
            problems.append(InputProblem(doc.path, f"cannot extract text ({type(exc).__name__}: {exc})"))
            continue
        if decoded.warning:
            problems.append(InputProblem(doc.path, decoded.warning, "warning"))
        if not blocks:
            problems.append(InputProblem(doc.path, "no text found (markup only?)"))
            continue
        for b_idx, block in enumerate(blocks):
            for s_idx, sent in enumerate(segment_block(block.kind, block.text, f.lang_hint)):
                for key, value in zip(EXTRACT_SCHEMA, (doc.path, b_idx, block.kind, block.new_section,
                                                       block.chrome, s_idx, sent), strict=True):
                    rows[key].append(value)
    return pl.DataFrame(rows, schema=EXTRACT_SCHEMA), problems
