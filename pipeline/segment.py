"""Split blocks into sentences with a multilingual segmenter (sentencex).

Titles and list items are kept whole; paragraphs and quotes are split. The segmenter is told the
document's language when the manifest gives it, else the source language.
"""

from __future__ import annotations

import re

from .text import words


def split_sentences(text: str, lang: str) -> list[str]:
    """Sentences of ``text`` (stripped, non-empty), re-joining fragments without words."""
    from sentencex import segment

    pieces = [p.strip() for p in segment(lang, text)]
    out: list[str] = []
    for piece in pieces:
        if not piece:
            continue
        if out and (not words(piece) or _is_fragment(out[-1])):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out or [text.strip()]


def _is_fragment(sentence: str) -> bool:
    # A split right after a number or a one-letter initial ("No. 5", "J. Smith") is a segmenter slip.
    return bool(re.search(r"(?:^|\s)(?:\d{1,3}|[A-ZÅÄÖ])\.$", sentence)) and len(words(sentence)) <= 2


def segment_block(kind: str, text: str, lang: str) -> list[str]:
    """Segments of one block."""
    if kind in ("title", "list_item") and len(words(text)) <= 40:
        return [text.strip()]
    return split_sentences(text, lang)
