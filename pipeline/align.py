"""Align the segments of a variant article with those of its original.

Monotonic dynamic programming over 1:1, 1:2, 2:1 groups (and, across languages, 1:3 and 3:1 groups
of three sentences that one block holds), omissions (original segment without a counterpart) and
additions (variant segment without one), inside a band around the diagonal. A group never joins a
site-frame line with a body line, nor body segments of two blocks (a paragraph translates no
heading and the paragraph after it), and a frame line may stay unaligned at little or no cost.
The similarity works across languages without a model — length ratio, numbers, names, command
options and other code-like tokens, cognate stems — and, for same-language pairs or when a
back-translation exists, on the words themselves.
"""

from __future__ import annotations

import difflib
import math
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise

import numpy as np

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

    Length agreement is exp(-2·|ln(lv/lo)|) = (shorter/longer)²; the rest are Dice overlaps. The
    aligner computes the same arithmetic as matrices (``similarity_table``); this per-pair form is
    its reference and the path for articles too large for the matrices."""
    lv, lo = v.length or 1, o.length or 1
    ratio = lv / lo if lv < lo else lo / lv
    length = ratio * ratio
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
class Layout:
    """Where one side's segments sit: the block (paragraph, list item, …) each comes from, and
    whether it is site frame."""

    blocks: Sequence[int | None]
    frame: Sequence[bool]

    @classmethod
    def plain(cls, n: int) -> Layout:
        """``n`` body segments of unknown blocks: no joins barred, no three-segment runs."""
        return cls([None] * n, [False] * n)

    def part(self, start: int, end: int) -> Layout:
        return Layout(self.blocks[start:end], self.frame[start:end])

    def joins(self) -> list[bool]:
        """For each segment, whether a group may join it with the one before: both frame, or both body
        of one block (a paragraph translates no heading and the paragraph after it)."""
        return [True] + [fa == fb and (fa or ba is None or bb is None or ba == bb)
                         for (fa, ba), (fb, bb) in pairwise(zip(self.frame, self.blocks, strict=True))]

    def gaps(self, body: float, frame: float) -> list[float]:
        """The cost of leaving each segment unaligned: less for frame (editions of a site differ in
        their chrome)."""
        return [frame if f else body for f in self.frame]

    def runs(self, k: int) -> list[int]:
        """The first segments of the runs of ``k`` consecutive segments that one block holds."""
        b = self.blocks
        return [i for i in range(len(b) - k + 1) if b[i] is not None and all(b[i + d] == b[i] for d in range(1, k))]


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


# Above this many variant x original segments, similarities are computed cell by cell inside the
# band instead of as whole matrices (memory grows with the product).
_DENSE_CELLS = 1_000_000


def similarity_table(vf: list[SegFeatures], of: list[SegFeatures], same_language: bool
                     ) -> dict[tuple[int, int], list[list[float]]]:
    """``similarity`` of every 1:1, 2:1 and 1:2 group at once, as matrices indexed by the first
    variant and first original segment of the group: the same arithmetic, in the same order, as
    ``similarity``, on set sizes and intersections counted by matrix products."""

    def incidence(groups: list[list[frozenset[str]]]) -> list[np.ndarray]:
        vocab: dict[str, int] = {}
        for sets in groups:
            for items in sets:
                for item in items:
                    vocab.setdefault(item, len(vocab))
        out = []
        for sets in groups:
            m = np.zeros((len(sets), max(1, len(vocab))), dtype=np.float32)
            for row, items in enumerate(sets):
                m[row, [vocab[item] for item in items]] = 1.0
            out.append(m)
        return out

    def merged(m: np.ndarray) -> np.ndarray:  # unions of neighbours
        return np.maximum(m[:-1], m[1:])

    def lengths(fs: list[SegFeatures]) -> tuple[np.ndarray, np.ndarray]:
        raw = np.array([f.length for f in fs], dtype=np.float64)
        return np.where(raw == 0, 1.0, raw), raw[:-1] + raw[1:] + 1

    kinds = ("words",) if same_language else ("anchors", "stems")
    mats = {k: incidence([[getattr(f, k) for f in vf], [getattr(f, k) for f in of]]) for k in kinds}
    len_v, len_o = lengths(vf), lengths(of)
    table = {}
    for dv, do in ((1, 1), (2, 1), (1, 2)):
        if len(vf) < dv or len(of) < do:
            table[(dv, do)] = []
            continue
        lv, lo = len_v[dv - 1][:, None], len_o[do - 1][None, :]
        ratio = np.where(lv < lo, lv / lo, lo / lv)
        ratio = ratio * ratio
        parts = {}
        for k, (v, o) in mats.items():
            v, o = (v if dv == 1 else merged(v)), (o if do == 1 else merged(o))
            parts[k] = ((v @ o.T).astype(np.float64), v.sum(axis=1, dtype=np.float64)[:, None],
                        o.sum(axis=1, dtype=np.float64)[None, :])
        if same_language:
            inter, nv, no = parts["words"]
            n = nv + no
            sim = 0.8 * np.where(n > 0, 2 * inter / np.where(n > 0, n, 1.0), 0.0) + 0.2 * ratio
        else:
            inter, nv, no = parts["anchors"]
            n = nv + no
            total = ratio + np.where(n > 0, 1.5 * (2 * inter / np.where(n > 0, n, 1.0)), 0.0)
            weight = np.where(n > 0, 2.5, 1.0)
            inter, nv, no = parts["stems"]
            both = (nv > 0) & (no > 0)
            total = total + np.where(both, 0.5 * np.minimum(1.0, 6 * inter / np.where(both, nv + no, 1.0)), 0.0)
            sim = total / (weight + np.where(both, 0.5, 0.0))
        table[(dv, do)] = sim.tolist()
    return table


def align_segments(variant: list[str], original: list[str], same_language: bool, cfg: AlignConfig,
                   variant_compare: list[str] | None = None, lexicon=None,  # noqa: ANN001
                   table_out: dict | None = None, layout: tuple[Layout, Layout] | None = None) -> list[Group]:
    """Alignment groups in order. ``variant_compare`` (e.g. back-translations) replaces the variant
    texts for the similarity when given, and makes the comparison same-language. Across languages,
    a ``lexicon`` (``pipeline.lexicon.Lexicon`` of the variant's language) makes the similarity the
    cross-lingual one of ``pipeline.xling`` (translated words, anchors, length); ``table_out``, when
    given, receives its 1:1 matrix (``"1:1"``: variant × original similarities). ``layout``, when
    given (the variant's, the original's), says where the segments sit: a 2:1 or 1:2 group never
    joins a frame line with a body line (a paragraph is no translation of its neighbour's chrome)
    nor body segments of two blocks,
    a frame line left unaligned costs ``frame_gap_cost`` (editions of a site differ in their chrome),
    and across languages with a lexicon, three sentences of one block may form a group with one
    segment (3:1, 1:3: a list item kept whole in one language and cut into its sentences in the
    other, where its words run past the limit).

    Within a language, runs of identical segments (after case and accent folding) are pinned 1:1
    first, and the dynamic programme runs only on the stretches between them."""
    if variant_compare is not None:
        if len(variant_compare) != len(variant):
            raise ValueError("variant_compare must have one text per variant segment")
        variant, same_language = variant_compare, True
    if not same_language:
        table = _cross_table(variant, original, lexicon, table_out, layout) if lexicon is not None else None
        return split_unexplained(_align_dp(variant, original, same_language, cfg, table, layout), variant,
                                 original, same_language, lexicon)
    keys_v, keys_o = [fold(t) for t in variant], [fold(t) for t in original]
    groups: list[Group] = []
    vi = oj = 0
    for block in difflib.SequenceMatcher(a=keys_v, b=keys_o, autojunk=False).get_matching_blocks():
        part = None if layout is None else (layout[0].part(vi, block.a), layout[1].part(oj, block.b))
        for g in _align_dp(variant[vi:block.a], original[oj:block.b], same_language, cfg, layout=part):
            groups.append(Group(tuple(vi + i for i in g.variant), tuple(oj + j for j in g.original), g.score))
        groups += [Group((block.a + k,), (block.b + k,), 1.0) for k in range(block.size)]
        vi, oj = block.a + block.size, block.b + block.size
    return split_unexplained(groups, variant, original, same_language)


#: A 1:2 group is split when its variant is at most this share of the length the article's 1:1 pairs
#: lead to expect for both originals, and within this factor of what they expect for the one it
#: matches better.
_MERGED_MAX_SHARE, _SINGLE_FACTOR = 0.6, 1.6
#: What the other original must end with to be split off: a sentence (a heading, a breadcrumb or a
#: caption, merged with its paragraph, is left to the group).
_SENTENCE_END = re.compile(r"[^\W\d_][\"'”’»)\]]*[.!?。][\"'”’»)\]]*$")


def split_unexplained(groups: list[Group], variant: list[str], original: list[str], same_language: bool,
                      lexicon=None) -> list[Group]:  # noqa: ANN001
    """``groups`` with each 1:2 group whose variant is far too short for its two originals, and
    as long as the one it matches better leads to expect (Gale and Church: lengths of a translation
    and its original keep their ratio, here the median ratio of the article's 1:1 pairs), split
    into that pair and an omission of the other (when it is a sentence):
    a translator who dropped a sentence leaves the aligner free to fold it into its neighbour's
    group, where no omission would show."""
    logs = [math.log(len(variant[g.variant[0]]) / len(original[g.original[0]])) for g in groups
            if g.kind == "1:1" and min(len(variant[g.variant[0]]), len(original[g.original[0]])) >= 20]
    if len(logs) < 3 or not any(g.kind == "1:2" for g in groups):
        return groups
    expected = math.exp(statistics.median(logs))
    out: list[Group] = []
    for g in groups:
        if g.kind == "1:2":
            text = variant[g.variant[0]]
            o = [len(original[j]) for j in g.original]
            if len(text) <= _MERGED_MAX_SHARE * expected * (o[0] + o[1] + 1):
                scores = [_pair_score(text, original[j], same_language, lexicon) for j in g.original]
                misfit = [abs(math.log(len(text) / (expected * max(1, n)))) for n in o]
                # the original it translates: the one it matches better, or, matching both alike
                # (a heading the dictionary does not know), the one whose length it has
                k = int(scores[1] > scores[0]) if abs(scores[1] - scores[0]) > 0.05 else int(misfit[1] < misfit[0])
                if misfit[k] <= math.log(_SINGLE_FACTOR) \
                        and _SENTENCE_END.search(original[g.original[1 - k]]):
                    keep, drop = g.original[k], g.original[1 - k]
                    pair = Group(g.variant, (keep,), round(scores[k], 4))
                    out += [pair, Group((), (drop,), None)] if drop > keep else [Group((), (drop,), None), pair]
                    continue
        out.append(g)
    return out


def _pair_score(v: str, o: str, same_language: bool, lexicon=None) -> float:  # noqa: ANN001
    """The similarity of one pair as the aligner scores it."""
    if not same_language and lexicon is not None:
        from .xling import cross_similarity, prepare_english, prepare_variant

        return cross_similarity(prepare_variant(v, lexicon), prepare_english(o)).score
    return similarity(features(v), features(o), same_language)


def _cross_table(variant: list[str], original: list[str], lexicon, table_out: dict | None,  # noqa: ANN001
                 layout: tuple[Layout, Layout] | None = None) -> dict[tuple[int, int], list | dict]:
    """The cross-lingual similarity of every 1:1, 2:1 and 1:2 group (``xling.similarity_tables``;
    merged segments are read as one: their features joined), in the layout of ``similarity_table``;
    with a ``layout``, also of the 3:1 and 1:3 groups (``_three_tables``)."""
    from .xling import prepare_english, prepare_variant, similarity_tables

    vs = [prepare_variant(t, lexicon) for t in variant]
    es = [prepare_english(t) for t in original]
    one, two_one, one_two = similarity_tables(vs, es)
    if table_out is not None:
        table_out["1:1"] = one
    table = {(1, 1): one.tolist(), (2, 1): two_one.tolist(), (1, 2): one_two.tolist()}
    if layout is not None:
        table[(3, 1)], table[(1, 3)] = _three_tables(variant, original, vs, es, layout)
    return table


def _three_tables(variant: list[str], original: list[str], vs: list, es: list, layout: tuple[Layout, Layout]
                  ) -> tuple[dict[int, dict[int, float]], dict[int, dict[int, float]]]:
    """The similarities of the 3:1 and 1:3 groups (``{first variant row: {first original column:
    similarity}}``) whose three segments one block holds and whose length fits the one segment's
    (within ``_SINGLE_FACTOR`` of what the article's body lengths lead to expect): three sentences
    are one item's translation only if they are about as long as it."""
    from .xling import similarity_matrix

    body = [sum(len(t) for t, f in zip(texts, side.frame, strict=True) if not f)
            for texts, side in ((variant, layout[0]), (original, layout[1]))]
    ratio = body[0] / body[1] if min(body) else 1.0

    def fits(v_len: int, o_len: int) -> bool:
        return abs(math.log(max(1, v_len) / (ratio * max(1, o_len)))) <= math.log(_SINGLE_FACTOR)

    def joined3(feats: list, k: int):  # a VariantSide or EnglishSide joined with its next two
        return feats[k].joined(feats[k + 1]).joined(feats[k + 2])

    def size3(texts: list[str], k: int) -> int:
        return len(texts[k]) + len(texts[k + 1]) + len(texts[k + 2])

    v3, e3 = layout[0].runs(3), layout[1].runs(3)
    t31: dict[int, dict[int, float]] = {}
    t13: dict[int, dict[int, float]] = {}
    if v3:
        for i, row in zip(v3, similarity_matrix([joined3(vs, i) for i in v3], es).tolist(), strict=True):
            size = size3(variant, i)
            t31[i] = {j: sim for j, sim in enumerate(row) if fits(size, len(original[j]))}
    if e3:
        sizes = [size3(original, j) for j in e3]
        for i, row in enumerate(similarity_matrix(vs, [joined3(es, j) for j in e3]).tolist()):
            t13[i] = {j: sim for j, sim, size in zip(e3, row, sizes, strict=True) if fits(len(variant[i]), size)}
    return t31, t13


def _align_dp(variant: list[str], original: list[str], same_language: bool, cfg: AlignConfig,
              table: dict[tuple[int, int], list | dict] | None = None,
              layout: tuple[Layout, Layout] | None = None) -> list[Group]:
    n, m = len(variant), len(original)
    lay_v, lay_o = layout or (Layout.plain(n), Layout.plain(m))
    join_v, join_o = lay_v.joins(), lay_o.joins()
    gap_v, gap_o = (side.gaps(cfg.gap_cost, cfg.frame_gap_cost) for side in (lay_v, lay_o))
    three = table is not None and (1, 3) in table
    if n == 0 or m == 0:
        return [Group((i,), (), None) for i in range(n)] + [Group((), (j,), None) for j in range(m)]
    vf = [features(t) for t in variant] if table is None else []
    of = [features(t) for t in original] if table is None else []
    if table is None and n * m <= _DENSE_CELLS:
        table = similarity_table(vf, of, same_language)

    @cache
    def vfeat(i: int, k: int) -> SegFeatures:
        return vf[i] if k == 1 else merge(vfeat(i, k - 1), vf[i + k - 1])

    @cache
    def ofeat(j: int, k: int) -> SegFeatures:
        return of[j] if k == 1 else merge(ofeat(j, k - 1), of[j + k - 1])

    def sims(di: int, dj: int, pi: int, lo: int, hi: int):
        """Similarities of the groups starting at variant ``pi`` and original ``lo..hi``."""
        if pi < 0:
            return None
        if table is not None:
            return table[(di, dj)][pi] if pi < len(table[(di, dj)]) else None
        return {pj: similarity(vfeat(pi, di), ofeat(pj, dj), same_language)
                for pj in range(max(0, lo), min(hi, m - dj) + 1)}

    # The moves, in the order that breaks ties: 1:1, addition (1, 0), omission (0, 1), 2:1, 1:2, 3:1, 1:3.
    band = max(cfg.band, abs(n - m) + 2)
    merge_cost = cfg.merge_cost
    neg = -1e18
    best = [[neg] * (m + 1) for _ in range(n + 1)]
    back: list[list[tuple[int, int, float | None]]] = [[(0, 0, None)] * (m + 1) for _ in range(n + 1)]
    best[0][0] = 0.0
    for i in range(n + 1):
        centre = i * m / n
        lo, hi = max(0, int(centre - band)), min(m, int(centre + band) + 1)
        row, brow = best[i], back[i]
        up, up2 = (best[i - 1] if i > 0 else None), (best[i - 2] if i > 1 else None)
        s11 = sims(1, 1, i - 1, lo - 1, hi - 1)
        s21 = sims(2, 1, i - 2, lo - 1, hi - 1)
        s12 = sims(1, 2, i - 1, lo - 2, hi - 2)
        up3 = best[i - 3] if i > 2 else None
        s31 = table[(3, 1)].get(i - 3) if three else None
        s13 = table[(1, 3)].get(i - 1) if three else None
        for j in range(lo, hi + 1):
            if i == 0 and j == 0:
                continue
            cur, arg = neg, (0, 0, None)
            if up is not None:
                if j > 0 and (b := up[j - 1]) != neg and b + (sim := s11[j - 1]) > cur:
                    cur, arg = b + sim, (1, 1, sim)
                if (b := up[j]) != neg and b - gap_v[i - 1] > cur:
                    cur, arg = b - gap_v[i - 1], (1, 0, None)
            if j > 0 and (b := row[j - 1]) != neg and b - gap_o[j - 1] > cur:
                cur, arg = b - gap_o[j - 1], (0, 1, None)
            if up2 is not None and j > 0 and join_v[i - 1] and (b := up2[j - 1]) != neg:
                sim = s21[j - 1]
                if b + (sim - merge_cost) > cur:
                    cur, arg = b + (sim - merge_cost), (2, 1, sim)
            if s12 is not None and j > 1 and join_o[j - 1] and (b := up[j - 2]) != neg:
                sim = s12[j - 2]
                if b + (sim - merge_cost) > cur:
                    cur, arg = b + (sim - merge_cost), (1, 2, sim)
            if s31 is not None and (sim := s31.get(j - 1)) is not None and (b := up3[j - 1]) != neg \
                    and b + sim - 2 * merge_cost > cur:
                cur, arg = b + sim - 2 * merge_cost, (3, 1, sim)
            if s13 is not None and (sim := s13.get(j - 3)) is not None and (b := up[j - 3]) != neg \
                    and b + sim - 2 * merge_cost > cur:
                cur, arg = b + sim - 2 * merge_cost, (1, 3, sim)
            row[j] = cur
            brow[j] = arg
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
