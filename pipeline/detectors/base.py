"""What a detector is: a name, the flag it raises, its thresholds, a scoring step and a decision step.

Scoring is the expensive, per-shard part: ``score(group, ctx)`` returns the evidence of each row of
an aligned group — plain numbers, words and character offsets, JSON-serialisable — or None where the
detector has nothing to say. Deciding is cheap and corpus-wide: ``decide(evidence, settings,
calibration)`` applies the thresholds and returns a :class:`Finding` (the reason a person reads and
the spans that triggered it) or None. ``calibrate`` may first learn, per language pair, what the
corpus's own evidence looks like (e.g. how long translations of this pair run), so a threshold can
be relative rather than one fixed number. Thresholds can so be re-tuned without scoring again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from ..groups import AlignedGroup, ArticleContext
from ..settings import Settings

Evidence = dict[str, Any]
SEVERITIES = ("critical", "major", "minor", "info")


@dataclass(frozen=True)
class Highlight:
    """Characters that triggered a finding: offsets into the row's ``text`` (side ``text``), its
    ``original_text`` (``original``) or its ``backtranslation``."""

    start: int
    end: int
    side: str = "text"


@dataclass(frozen=True)
class Finding:
    reason: str
    highlights: tuple[Highlight, ...] = ()


@dataclass(frozen=True)
class NoSettings(Settings, section="flags"):
    """A detector without thresholds."""


class Detector:
    """Base of every detector. Subclasses set the class attributes and implement ``score``/``decide``."""

    name: ClassVar[str]  # unique; its settings are the keys ``<name>_<field>`` of [flags]
    flag: ClassVar[str]  # the flag it raises (several detectors may raise one flag)
    severity: ClassVar[str] = "major"
    summary: ClassVar[str]  # "raised when …", for the docs and the report's legend
    Settings: ClassVar[type] = NoSettings
    #: flags that, found on the same row by an earlier detector, make this one say nothing
    unless: ClassVar[tuple[str, ...]] = ()
    #: evidence this detector gets from a model stage rather than from ``score``
    model_stage: ClassVar[str | None] = None

    def score(self, group: AlignedGroup, ctx: ArticleContext) -> Sequence[Evidence | None] | None:
        """Evidence per row of ``group`` (``group.n_rows`` entries), or None for no evidence at all."""
        return None

    def score_article(self, groups: Sequence[AlignedGroup], ctx: ArticleContext
                      ) -> list[Sequence[Evidence | None] | None]:
        """Evidence of every group of an article (by default each group on its own; detectors that
        compare a group with the rest of its article, or batch, override this)."""
        return [self.score(g, ctx) for g in groups]

    def summarize(self, evidence: list[Evidence], settings: Any) -> dict[str, Any] | None:
        """What an article's evidence says as a whole, for ``decide`` (``calibration["article"]``);
        None (the default): the detector decides row by row."""
        return None

    def gate_count(self, summary: dict[str, Any], settings: Any) -> tuple[int, int, str] | None:
        """(count, out of, what is counted) that the gate compares with its threshold for this flag,
        from the article's summary; None (the default): the article's flagged body segments."""
        return None

    def calibrate(self, evidence: list[Evidence], settings: Any) -> dict[str, Any]:
        """What the corpus's evidence for one language pair says, read under the detector's
        ``settings`` (default: nothing)."""
        return {}

    def decide(self, evidence: Evidence, settings: Any, calibration: dict[str, Any]) -> Finding | None:
        raise NotImplementedError

    @classmethod
    def keys(cls) -> list[str]:
        """Its keys in the [flags] section."""
        return [f"{cls.name}_{name}" for name, *_ in cls.Settings.specs()]


def first_row(group: AlignedGroup, evidence: Evidence | None) -> list[Evidence | None] | None:
    """Evidence of the group as a whole, on its first row."""
    if evidence is None:
        return None
    return [evidence] + [None] * (group.n_rows - 1)


def shorten(text: str, n: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def find_all(text: str, needles: Iterable[str]) -> list[tuple[int, int]]:
    """Character offsets of each needle's first whole-word occurrence in ``text``."""
    out = []
    for needle in needles:
        m = re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", text)
        if m:
            out.append((m.start(), m.end()))
    return out
