"""Align the segments of a variant article with those of its original.

Monotonic dynamic programming over 1:1, 1:2, 2:1 groups, omissions (original segment without a
counterpart) and additions (variant segment without one), inside a band around the diagonal.
The similarity works across languages without a model — length ratio, numbers, names, command
options and other code-like tokens, cognate stems — and, for same-language pairs or when a
back-translation exists, on the words themselves.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import lru_cache

from .config import AlignConfig
from .text import CODE_RE, fold, folded_words, names, numbers


@dataclass(frozen=True)
class SegFeatures:
    length: int
    words: frozenset[str]
    stems: frozenset[str]
    anchors: frozenset[str]


def features(text: str) -> SegFeatures:
    ws = folded_words(text)
    anchor = {"#" + n for n in numbers(text)} | {"@" + fold(n) for n in names(text)}
    anchor |= {"$" + m.group(0).lower().split("=")[0] for m in CODE_RE.finditer(text)}
    return SegFeatures(len(text), frozenset(ws), frozenset(w[:5] for w in ws if len(w) >= 5),
                       frozenset(anchor))


def merge(a: SegFeatures, b: SegFeatures) -> SegFeatures:
    return SegFeatures(a.length + b.length + 1, a.words | b.words, a.stems | b.stems, a.anchors | b.anchors)


def similarity(v: SegFeatures, o: SegFeatures, same_language: bool) -> float:
    """Similarity in [0, 1] of a variant and an original segment (or merged segments).

    Length agreement is exp(-2·|ln(lv/lo)|) = (shorter/longer)²; the rest are Dice overlaps. Written
    out flat: the alignment calls this hundreds of thousands of times per corpus."""
    lv, lo = v.length or 1, o.length or 1
    length = (lv / lo) ** 2 if lv < lo else (lo / lv) ** 2
    if same_language:
        n = len(v.words) + len(o.words)
        return 0.8 * (2 * len(v.words & o.words) / n if n else 0.0) + 0.2 * length
    total, weight = length, 1.0
    n = len(v.anchors) + len(o.anchors)
    if n:
        total += 1.5 * (2 * len(v.anchors & o.anchors) / n)
        weight += 1.5
    if v.stems and o.stems:
        total += 0.5 * min(1.0, 6 * len(v.stems & o.stems) / (len(v.stems) + len(o.stems)))
        weight += 0.5
    return total / weight


@dataclass(frozen=True)
class Group:
    variant: tuple[int, ...]  # indices into the variant segments
    original: tuple[int, ...]  # indices into the original segments
    score: float | None

    @property
    def kind(self) -> str:
        if not self.original:
            return "addition"
        if not self.variant:
            return "omission"
        return f"{len(self.variant)}:{len(self.original)}"


_MOVES = ((1, 1), (1, 0), (0, 1), (2, 1), (1, 2))


def align_segments(variant: list[str], original: list[str], same_language: bool, cfg: AlignConfig,
                   variant_compare: list[str] | None = None) -> list[Group]:
    """Alignment groups in order. ``variant_compare`` (e.g. back-translations) replaces the variant
    texts for the similarity when given, and makes the comparison same-language.

    Within a language, runs of identical segments (after case and accent folding) are pinned 1:1
    first, and the dynamic programme runs only on the stretches between them."""
    if variant_compare is not None:
        if len(variant_compare) != len(variant):
            raise ValueError("variant_compare must have one text per variant segment")
        variant, same_language = variant_compare, True
    if not same_language:
        return _align_dp(variant, original, same_language, cfg)
    keys_v, keys_o = [fold(t) for t in variant], [fold(t) for t in original]
    groups: list[Group] = []
    vi = oj = 0
    for block in difflib.SequenceMatcher(a=keys_v, b=keys_o, autojunk=False).get_matching_blocks():
        for g in _align_dp(variant[vi:block.a], original[oj:block.b], same_language, cfg):
            groups.append(Group(tuple(vi + i for i in g.variant), tuple(oj + j for j in g.original), g.score))
        groups += [Group((block.a + k,), (block.b + k,), 1.0) for k in range(block.size)]
        vi, oj = block.a + block.size, block.b + block.size
    return groups


def _align_dp(variant: list[str], original: list[str], same_language: bool, cfg: AlignConfig) -> list[Group]:
    n, m = len(variant), len(original)
    if n == 0 or m == 0:
        return [Group((i,), (), None) for i in range(n)] + [Group((), (j,), None) for j in range(m)]
    vf = [features(t) for t in variant]
    of = [features(t) for t in original]

    @lru_cache(maxsize=None)
    def vfeat(i: int, k: int) -> SegFeatures:
        return vf[i] if k == 1 else merge(vfeat(i, k - 1), vf[i + k - 1])

    @lru_cache(maxsize=None)
    def ofeat(j: int, k: int) -> SegFeatures:
        return of[j] if k == 1 else merge(ofeat(j, k - 1), of[j + k - 1])

    band = max(cfg.band, abs(n - m) + 2)
    neg = -1e18
    best = [[neg] * (m + 1) for _ in range(n + 1)]
    back: list[list[tuple[int, int, float | None]]] = [[(0, 0, None)] * (m + 1) for _ in range(n + 1)]
    best[0][0] = 0.0
    for i in range(n + 1):
        centre = i * m / n
        lo, hi = max(0, int(centre - band)), min(m, int(centre + band) + 1)
        for j in range(lo, hi + 1):
            if i == 0 and j == 0:
                continue
            cur, arg = neg, (0, 0, None)
            for di, dj in _MOVES:
                pi, pj = i - di, j - dj
                if pi < 0 or pj < 0 or best[pi][pj] == neg:
                    continue
                if di == 0 or dj == 0:
                    gain, sim = -cfg.gap_cost, None
                else:
                    sim = similarity(vfeat(pi, di), ofeat(pj, dj), same_language)
                    gain = sim - (cfg.merge_cost if di + dj > 2 else 0.0)
                if best[pi][pj] + gain > cur:
                    cur, arg = best[pi][pj] + gain, (di, dj, sim)
            best[i][j] = cur
            back[i][j] = arg
    groups: list[Group] = []
    i, j = n, m
    while i > 0 or j > 0:
        di, dj, sim = back[i][j]
        if di == 0 and dj == 0:  # outside the band: fall back to gaps
            di, dj = (1, 0) if i > 0 else (0, 1)
        groups.append(Group(tuple(range(i - di, i)), tuple(range(j - dj, j)),
                            None if sim is None else round(sim, 4)))
        i, j = i - di, j - dj
    groups.reverse()
    return groups
