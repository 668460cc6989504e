"""Decode a document and extract its text blocks (txt, HTML, Markdown).

A block is a title, paragraph, list item or quote, in reading order, with two layout hints that
the later stages use: ``new_section`` (a hard break before it: two or more blank lines in text, a
``h1`` or ``<article>`` in HTML, a first-level heading in Markdown) and ``chrome`` (inside ``<nav>``,
``<header>``, ``<footer>``, ``<aside>`` or ``<form>``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from .config import ExtractConfig
from .discover import Document, InputProblem
from .errors import InputError
from .frames import EXTRACT_SCHEMA
from .text import CLOSING_QUOTES, OPENING_QUOTES, words

BULLET_RE = re.compile(r"^\s*(?:[•·▪‣◦\-*–]|\d{1,3}[.)])\s+")
TERMINAL_PUNCT = ".,;:"


@dataclass(frozen=True)
class Block:
    kind: str  # title | paragraph | list_item | quote
    text: str
    new_section: bool = False
    chrome: bool = False
    blank_before: int = 0


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    warning: str | None = None


def decode(data: bytes, cfg: ExtractConfig) -> Decoded:
    """Text of a file's bytes: UTF-8 when it is, else the encoding charset-normalizer finds.

    Raises InputError for empty, oversized, binary or undecodable files.
    """
    limit = int(cfg.max_file_mb * 2**20)
    if not data.strip():
        raise InputError("empty file: nothing to audit")
    if len(data) > limit:
        raise InputError(f"file is {len(data) / 2**20:.1f} MiB, over the limit of {cfg.max_file_mb:g} MiB "
                         f"([extract] max_file_mb); split it or raise the limit")
    head = data[:65536]
    if b"\x00" in head:
        raise InputError("binary file (NUL bytes): not text, HTML or Markdown")
    try:
        return Decoded(data.decode("utf-8-sig"), "utf-8")
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    from charset_normalizer import from_bytes  # imported on demand: most corpora are UTF-8

    # Restricted to the configured encodings: unrestricted detection called cp1252 Swedish "big5"
    # and a mostly-ASCII file "cp1250" (benchmarks/RESULTS-libraries.md).
    best = from_bytes(data, cp_isolation=list(cfg.fallback_encodings)).best()
    if best is None or best.encoding is None:
        raise InputError(f"undecodable bytes: not UTF-8 (byte {first_bad}) nor "
                         f"{', '.join(cfg.fallback_encodings)} ([extract] fallback_encodings)")
    text = data.decode(best.encoding, errors="replace")
    control = sum(1 for c in text[:20000] if ord(c) < 32 and c not in "\t\n\r\f")
    if control > 0.01 * min(len(text), 20000):
        raise InputError("binary file: too many control characters to be text")
    return Decoded(text, best.encoding,
                   f"not UTF-8 (byte {first_bad}); decoded as {best.encoding} — convert it to UTF-8")


def extract_blocks(text: str, kind: str, cfg: ExtractConfig) -> list[Block]:
    """Blocks of a decoded document of the given kind ('txt', 'html' or 'md')."""
    if kind == "html":
        blocks = _html_blocks(text)
    elif kind == "md":
        blocks = _markdown_blocks(text)
    else:
        blocks = _text_blocks(text, cfg)
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


def _text_blocks(text: str, cfg: ExtractConfig) -> list[Block]:
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
    merged: list[tuple[int, str, int]] = []  # blank before, text, blank after
    for i, (before, line) in enumerate(rows[:-1]):
        after = rows[i + 1][0]
        if merged and before == 0 and _continues(merged[-1][1], line):
            b, prev, _ = merged[-1]
            merged[-1] = (b, prev + " " + line.strip(), after)
        else:
            merged.append((before, line, after))
    blocks = []
    for before, line, after in merged:
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


def _continues(prev: str, line: str) -> bool:
    """Is ``line`` the hard-wrapped continuation of ``prev``?"""
    if BULLET_RE.match(line):
        return False
    p = prev.rstrip()
    if not p or p[-1] in ".!?:;”\"»)]…":
        return False
    first = line.strip()[:1]
    return first.islower() or (len(p) >= 60 and not first.isupper())


_BLOCK_TAGS = {"h1": "title", "h2": "title", "h3": "title", "h4": "title", "h5": "title", "h6": "title",
               "p": "paragraph", "li": "list_item", "blockquote": "quote", "pre": "paragraph",
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


def _html_blocks(html: str) -> list[Block]:
    """HTML through the lexbor parser (selectolax): leaf blocks in document order."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(html)
    root = tree.body or tree.root
    if root is None:
        return []
    blocks: list[Block] = []
    pending: list[str] = []
    state = {"new_section": True}

    def flush(kind: str, chrome: bool) -> None:
        text = re.sub(r"\s+", " ", "".join(pending)).strip()
        pending.clear()
        if text:
            blocks.append(Block(kind, text, state["new_section"], chrome))
            state["new_section"] = False

    def walk(node, kind: str, chrome: bool, in_quote: bool) -> None:
        for child in node.iter(include_text=True):
            tag = child.tag
            if tag == "-text":
                pending.append(child.text_content or "")
                continue
            if tag in _SKIP_TAGS or tag in ("-comment", "!doctype"):
                continue
            if tag == "br":
                pending.append(" ")
                continue
            if tag in _BLOCK_TAGS:
                flush(kind, chrome)
                child_kind = _BLOCK_TAGS[tag]
                if in_quote or tag == "blockquote":
                    child_kind = "quote" if child_kind in ("paragraph", "quote") else child_kind
                elif tag == "p" and kind == "list_item":
                    child_kind = "list_item"
                if tag in ("h1", "article"):  # an h2 is a section of the article, not a new one
                    state["new_section"] = True
                walk(child, child_kind if tag not in _CONTAINERS or tag in ("li", "blockquote") else kind,
                     chrome or tag in _CHROME_TAGS, in_quote or tag == "blockquote")
                flush(child_kind if tag not in _CONTAINERS or tag in ("li", "blockquote") else kind,
                      chrome or tag in _CHROME_TAGS)
            else:  # inline element: its text joins the current block
                walk(child, kind, chrome, in_quote)

    walk(root, "paragraph", False, False)
    flush("paragraph", False)
    return blocks


def _markdown_blocks(md: str) -> list[Block]:
    """Markdown through markdown-it-py: headings, paragraphs, list items and quotes; code skipped."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").parse(md)
    blocks: list[Block] = []
    stack: list[str] = []
    new_section = True
    for tok in tokens:
        if tok.type.endswith("_open"):
            stack.append(tok.tag)
            if tok.tag == "h1":
                new_section = True
        elif tok.type.endswith("_close"):
            if stack:
                stack.pop()
        elif tok.type == "hr":
            new_section = True
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


def _inline_text(tok) -> str:
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
