"""The typed data the detectors score: segments, aligned groups and the article they belong to.

An article's segments are aligned with its original's into groups (``pipeline.audit``): a group
holds the variant segments and the original segments aligned together (1:1, 2:1, 1:2, 3:1, 1:3), a variant
segment with no counterpart (``addition``), an original segment with none (``omission``), a
variant's boilerplate (``boilerplate``), or — where there is nothing to align with — one segment of
an original (``original``) or of an unpaired variant (``unpaired``). Every detector scores groups;
the judge decides on what they scored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .score import GroupStats, Scores
from .text import fold


@dataclass(frozen=True)
class Span:
    """A language span of a mixed segment: character offsets into its text."""

    start: int
    end: int
    lang: str


@dataclass(frozen=True)
class Segment:
    seg_id: int
    block: str  # title | paragraph | list_item | quote | code | boilerplate
    text: str
    lang: str | None = None
    confidence: float | None = None
    spans: tuple[Span, ...] = ()
    boilerplate_reason: str | None = None
    backtranslation: str | None = None
    block_idx: int | None = None  # the block (paragraph, list item, …) of its document it comes from

    @property
    def is_boilerplate(self) -> bool:
        return self.block == "boilerplate"

    @property
    def compare_text(self) -> str:
        """What is compared with an English original: the back-translation when there is one."""
        return self.backtranslation or self.text


@dataclass(frozen=True)
class ScoringResources:
    """What scoring reads besides the corpus: bilingual lexicons by language (``pipeline.lexicon``),
    the English fluency scorer (``pipeline.fluency``), word-order models by language
    (``pipeline.garble.OrderModel``) and a sentence embedder (``pipeline.embed``); any may be missing."""

    lexicons: Mapping[str, Any] = field(default_factory=dict)
    fluency: Any = None
    order_models: Mapping[str, Any] = field(default_factory=dict)
    embedder: Any = None  # pipeline.embed.Embedder
    embeddings_below: float = 0.2  # the pairs the embedder is asked about: similarity at or below this


@dataclass(frozen=True)
class ArticleContext:
    """What every detector knows of the article a group belongs to."""

    article_id: str
    doc_path: str
    role: str  # original | variant
    lang: str  # the language the article is meant to be in
    source_lang: str
    original_lang: str | None = None  # language of the paired original; None when there is none
    glossary: tuple[str, ...] = ()
    backtranslated: bool = False  # its segments carry back-translations
    resources: ScoringResources | None = None

    @property
    def lexicon(self):  # noqa: ANN201 — the article's lexicon (its language to English), or None
        return self.resources.lexicons.get(self.lang) if self.resources else None

    @property
    def paired(self) -> bool:
        return self.role == "variant" and self.original_lang is not None

    @property
    def same_language(self) -> bool:
        return self.paired and self.original_lang == self.lang

    @property
    def comparable(self) -> bool:
        """Variant and original can be compared word for word (same language, or a back-translation)."""
        return self.same_language or (self.paired and self.backtranslated)

    @property
    def translated(self) -> bool:
        """The article is meant to be in another language than the source language."""
        return self.lang != self.source_lang


#: The kinds of group that pair variant segments with original ones.
PAIRED_KINDS = ("1:1", "2:1", "1:2", "3:1", "1:3")


@dataclass(frozen=True)
class AlignedGroup:
    index: int | None  # alignment group number within the article; None where nothing was aligned
    kind: str  # 1:1 | 2:1 | 1:2 | 3:1 | 1:3 | addition | omission | boilerplate | unpaired | original
    variant: tuple[Segment, ...]
    original: tuple[Segment, ...] = ()
    similarity: float | None = None  # the aligner's similarity of the group
    stats: GroupStats | None = None  # sacrebleu statistics against the original (comparable groups)
    scores: Scores = Scores()
    #: the original segment (index into the article's original) that matches the group's variant
    #: side best other than its own, and that similarity (cross-language 1:1 groups)
    alternative: tuple[int, float] | None = None

    @cached_property
    def text(self) -> str:
        return " ".join(s.text for s in self.variant)

    @cached_property
    def compare_text(self) -> str:
        return " ".join(s.compare_text for s in self.variant)

    @cached_property
    def original_text(self) -> str | None:
        return " ".join(s.text for s in self.original) or None

    @cached_property
    def copies_original(self) -> bool:
        """The variant side is its original's own text (case, accents and spacing aside): no translation,
        no spin, and nothing replaced."""
        original = self.original_text
        return original is not None and fold(" ".join(self.text.split())) == fold(" ".join(original.split()))

    @cached_property
    def original_body_text(self) -> str | None:
        """The original side without its boilerplate; None when it has only boilerplate (or nothing)."""
        return " ".join(s.text for s in self.original if not s.is_boilerplate) or None

    @property
    def n_rows(self) -> int:
        """Rows of ``segments.parquet`` the group makes: one per variant segment, one for an omission."""
        return len(self.variant) or 1
