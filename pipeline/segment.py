"""Split blocks into sentences with blingfire's multilingual segmenter.

Titles and list items are kept whole; paragraphs and quotes are split. blingfire was chosen by
measurement (benchmarks/RESULTS-libraries.md): it got all 14 hard Swedish cases right ("t.ex.",
"bl.a.", "kl. 15.30") where sentencex got 8 and pysbd, which has no Swedish rules, 10.
"""

from __future__ import annotations

import re

from blingfire import text_to_sentences, text_to_sentences_and_offsets

from .text import words


def split_sentences(text: str, lang: str) -> list[str]:
    """Sentences of ``text`` (stripped, non-empty), re-joining fragments without words.

    ``lang`` is the language hint; blingfire's model is language-independent, but the hint
    stays part of the interface for segmenters that need one."""
    out: list[str] = []
    for piece in _pieces(text):
        if not piece:
            continue
        if out and (not words(piece) or _is_fragment(out[-1]) or _continues(out[-1], piece)):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out or [text.strip()]


#: Punctuation after which a sentence may end (full stops, question and exclamation marks, colons and
#: semicolons, ellipses, in the scripts blingfire segments): a text without any before its last
#: character is one sentence, and blingfire is not asked.
_MAY_END = re.compile(r"[.!?;:…‼‽⁇⁈⁉。｡．！？；：։؟۔।॥።፧፨᙮᠃᠉]")


def _pieces(text: str) -> list[str]:
    """blingfire's sentences of ``text``. Its plain splitter is the fast path (the offsets variant
    maps every byte back to a character in Python); its pieces are kept only when each one is
    found verbatim, in order, in ``text`` — otherwise the offsets tell where the sentences are."""
    if "\n" not in text:
        body = text.rstrip()
        if not _MAY_END.search(body, 0, len(body) - 1):
            return [text.strip()]  # one sentence: most blocks (headings, menu items, short lines)
        pieces, pos = [p.strip() for p in text_to_sentences(text).split("\n")], 0
        for piece in pieces:
            found = text.find(piece, pos)
            if found < 0:
                break
            pos = found + len(piece)
        else:
            return pieces
    return [text[a:b].strip() for a, b in text_to_sentences_and_offsets(text)[1]]


def _is_fragment(sentence: str) -> bool:
    # A split right after a number or a one-letter initial ("No. 5", "J. Smith") is a segmenter slip.
    return bool(re.search(r"(?:^|\s)(?:\d{1,3}|[A-ZÅÄÖ])\.$", sentence)) and len(words(sentence)) <= 2


#: An ellipsis (with any closing quote or bracket after it) ending a piece.
_ELLIPSIS_END = re.compile(r"(?:…|\.\.\.)[\"'”’»)\]]*$")


def _continues(previous: str, piece: str) -> bool:
    # An ellipsis followed by a lower-case word ("tools such as "dpkg -i …" and "debi …" should be")
    # elides words inside the sentence; it does not end it.
    return bool(_ELLIPSIS_END.search(previous)) and piece[:1].islower()


def segment_block(kind: str, text: str, lang: str) -> list[str]:
    """Segments of one block."""
    if kind == "code" or (kind in ("title", "list_item") and len(words(text)) <= 40):
        return [text.strip()]
    return split_sentences(text, lang)
