"""Cross-lingual similarity of a variant segment and an English segment, without a model.

The evidence is what a bilingual reader checks first: do the variant's words translate into
the English segment's words (a :class:`~pipeline.lexicon.Lexicon`, or a cognate: the same first
five letters), does the English segment say anything the variant does not, do numbers, names,
code and URLs agree, and are the lengths in proportion.

- :func:`prepare_variant` / :func:`prepare_english` turn a segment into its features once;
- :func:`cross_similarity` scores one pair and returns the evidence (:class:`CrossSimilarity`);
- :func:`similarity_matrix` scores every pair of two lists at once (numpy; the same arithmetic), and
  :func:`similarity_tables` also their 2:1 and 1:2 groups;
- :class:`DocumentIndex` ranks English documents for a variant document (pairing): an inverted
  index over translated words, cognates and anchors, idf-weighted.
"""

from __future__ import annotations

import math
import re
import weakref
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import cached_property
from itertools import combinations

import numpy as np

from .lexicon import ENGLISH_STOPWORDS, Lexicon, is_cjk, stem
from .text import CODE_RE, URL_RE, fold, folded_words, names, numbers

#: Weights of the parts of the score: word coverage F1, anchors (when either side has any), length.
W_COVERAGE, W_ANCHORS, W_LENGTH = 2.0, 1.0, 0.5


#: Regular spelling correspondences between English and the languages that share its Latin and
#: Greek vocabulary ("configuration" ~ "Konfiguration", "rectangles" ~ "rektanglar", "photo" ~ "foto"),
#: applied to both sides before the cognate prefix is taken.
_SPELLINGS = (("ph", "f"), ("th", "t"), ("qu", "kv"), ("c", "k"), ("x", "ks"), ("z", "s"), ("y", "i"), ("w", "v"))


def _cognate(folded_word: str) -> str | None:
    """The cognate key of a folded word: its first five letters after :data:`_SPELLINGS` (None when
    shorter than three letters)."""
    if len(folded_word) < 3:
        return None
    for a, b in _SPELLINGS:
        folded_word = folded_word.replace(a, b)
    return "=" + folded_word[:5]


#: The consonant each katakana stands for, as :func:`_english_consonants` spells English ones (vowels,
#: y and w, the long-vowel mark and the small tsu of a doubled consonant stand for none).
_KANA_CONSONANT = {k: c for c, kana in (
    ("k", "カキクケコ"), ("g", "ガギグゲゴ"), ("s", "サシスセソザズゼゾヅ"), ("j", "ジヂ"), ("t", "タテトツ"),
    ("c", "チ"), ("d", "ダデド"), ("n", "ナニヌネノン"), ("h", "ハヒヘホ"), ("f", "フ"), ("b", "バビブベボヴ"),
    ("p", "パピプペポ"), ("m", "マミムメモ"), ("r", "ラリルレロ")) for k in kana}
#: A run of katakana, the script Japanese writes borrowed words in ("シェルスクリプト", shell script).
_KATAKANA_RUN_RE = re.compile(r"[\u30a1-\u30fa\u30fc]{2,}")
#: English spellings of one sound, in the order they are replaced, before vowels, y, w and h are dropped
#: (l is r: Japanese has one sound for both).
_ENGLISH_SOUNDS = (("ph", "f"), ("th", "s"), ("ch", "c"), ("sh", "s"), ("ck", "k"), ("qu", "k"), ("x", "ks"),
                   ("z", "s"), ("v", "b"), ("q", "k"))
_SOUND_KEY = 3  # consonants a sound key holds


def _collapse(consonants: str) -> str:
    return re.sub(r"(.)\1+", r"\1", consonants)


def _english_consonants(folded_word: str) -> str:
    """The consonants of an English word as Japanese borrows it: "script" → "skrpt", "shell" → "sr",
    "parameter" → "prmt", "package" → "pkj" (c is s and g is j before e, i, y; an r after a vowel and
    before no other is silent; doubled letters count once)."""
    w = folded_word
    for a, b in _ENGLISH_SOUNDS:
        w = w.replace(a, b)
    w = re.sub(r"c(?=[eiy])", "s", w).replace("c", "k")
    w = re.sub(r"g(?=[eiy])", "j", w)
    w = re.sub(r"(?<=[aeiou])r(?![aeiouy])", "", w).replace("l", "r")  # "server": no r after a vowel
    return _collapse(re.sub(r"[^bcdfgjkmnprst]", "", w))


def sound_keys(katakana: str) -> frozenset[str]:
    """The sound keys of a katakana run: every three consecutive consonants it spells, so that each
    English word of a compound ("シェルスクリプト", "shell script") finds the key its own first three
    consonants make (:func:`english_sound_key`)."""
    cons = _collapse("".join(_KANA_CONSONANT.get(ch, "") for ch in katakana))
    return frozenset("~" + cons[i:i + _SOUND_KEY] for i in range(len(cons) - _SOUND_KEY + 1))


def english_sound_key(folded_word: str) -> str | None:
    """The sound key of an English word: its first three consonants (None with fewer)."""
    cons = _english_consonants(folded_word)
    return "~" + cons[:_SOUND_KEY] if len(cons) >= _SOUND_KEY else None


def anchor_set(text: str) -> frozenset[str]:
    """Numbers, names (capitalised words inside a sentence), code-like tokens and URLs of ``text``:
    what a translation keeps as it is."""
    out = {"#" + n for n in numbers(text)}
    out |= {"@" + fold(n) for n in names(text) if len(n) > 1}
    out |= {"$" + m.group(0).lower().split("=")[0].rstrip(".,;:") for m in CODE_RE.finditer(text)}
    out |= {"$" + m.group(0).lower().rstrip(".,;:)") for m in URL_RE.finditer(text)}
    return frozenset(out)


#: Every feature string seen in this process, numbered: the sides keep their features as these numbers,
#: so a similarity matrix is built with numpy from them, not feature by feature.
_FEATURE_IDS: dict[str, int] = {}


def _feature_ids(groups: tuple[frozenset[str], ...]) -> tuple[np.ndarray, np.ndarray]:
    """(number of features of each group, the features' numbers, flattened)."""
    sizes = np.fromiter((len(g) for g in groups), dtype=np.int64, count=len(groups))
    ids = np.fromiter((_FEATURE_IDS.setdefault(x, len(_FEATURE_IDS)) for g in groups for x in g), dtype=np.int64,
                      count=int(sizes.sum()))
    return sizes, ids


def _joined_numbered(first: tuple, second: tuple, anchors: frozenset[str]
                     ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """The ``numbered`` features of two sides read as one text, from theirs: the items end to end (the
    same numbers :func:`_feature_ids` gives the joined items, since every feature is numbered once per
    process) and the joined ``anchors`` numbered."""
    (s1, i1), (s2, i2) = first[0], second[0]
    return (np.concatenate([s1, s2]), np.concatenate([i1, i2])), _feature_ids((anchors,))


@dataclass(frozen=True)
class VariantSide:
    """A variant segment's features: its content tokens, for each the English features it can
    match (translations, its cognate key), its anchors and its length in characters."""

    text: str
    tokens: tuple[str, ...]
    options: tuple[frozenset[str], ...]
    anchors: frozenset[str]
    length: int

    @property
    def union(self) -> frozenset[str]:
        """Every English feature some token of the segment can match."""
        return frozenset().union(*self.options) if self.options else frozenset()

    @cached_property
    def numbered(self) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
        """``_feature_ids`` of its tokens' options and of its anchors."""
        return _feature_ids(self.options), _feature_ids((self.anchors,))

    def joined(self, other: VariantSide) -> VariantSide:
        """The features of this segment and the next read as one text (a 2:1 group), numbered from theirs."""
        side = VariantSide(f"{self.text} {other.text}", self.tokens + other.tokens, self.options + other.options,
                           self.anchors | other.anchors, self.length + 1 + other.length)
        side.__dict__["numbered"] = _joined_numbered(self.numbered, other.numbered, side.anchors)
        return side


@dataclass(frozen=True)
class EnglishSide:
    """An English segment's features: its content words, for each its stem and cognate key."""

    text: str
    words: tuple[str, ...]
    features: tuple[frozenset[str], ...]
    anchors: frozenset[str]
    length: int

    @property
    def union(self) -> frozenset[str]:
        """Every feature of the segment's words."""
        return frozenset().union(*self.features) if self.features else frozenset()

    @cached_property
    def numbered(self) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
        """``_feature_ids`` of its words' features and of its anchors."""
        return _feature_ids(self.features), _feature_ids((self.anchors,))

    def joined(self, other: EnglishSide) -> EnglishSide:
        """The features of this segment and the next read as one text (a 1:2 group), numbered from theirs."""
        side = EnglishSide(f"{self.text} {other.text}", self.words + other.words, self.features + other.features,
                           self.anchors | other.anchors, self.length + 1 + other.length)
        side.__dict__["numbered"] = _joined_numbered(self.numbered, other.numbered, side.anchors)
        return side


#: Prepared sides by text (a corpus repeats its steps, notes and chrome), per lexicon; bounded.
_VARIANTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_ENGLISH: dict[str, EnglishSide] = {}
_CACHE_MAX = 200_000


def prepare_variant(text: str, lexicon: Lexicon) -> VariantSide:
    """Features of a variant segment in ``lexicon.lang`` (cached per lexicon and text)."""
    cache = _VARIANTS.setdefault(lexicon, {})
    side = cache.get(text)
    if side is None:
        if len(cache) >= _CACHE_MAX:
            cache.clear()
        side = cache[text] = _prepare_variant(text, lexicon)
    return side


def _borrows_in_katakana(lang: str) -> bool:
    """Whether ``lang`` writes borrowed words in katakana (its variants have sound keys)."""
    return lang == "ja"


def _prepare_variant(text: str, lexicon: Lexicon) -> VariantSide:
    """A Japanese run of katakana is one token, matched by what the dictionary says of it and of its
    parts and by its sound keys (a borrowed word: "パラメーター", parameter); other text is tokenized by
    the lexicon."""
    toks: list[str] = []
    opts: list[frozenset[str]] = []
    for piece, katakana in _katakana_pieces(text) if _borrows_in_katakana(lexicon.lang) else [(text, False)]:
        if katakana:
            toks.append(piece)
            opts.append(frozenset().union(lexicon.translations(piece), sound_keys(piece),
                                          *(lexicon.translations(t) for t in lexicon.content_tokens(piece))))
            continue
        for t in lexicon.content_tokens(piece):
            o = set(lexicon.translations(t))
            f = fold(t)
            if not is_cjk(lexicon.lang) or f.isascii():
                c = _cognate(f)
                if c:
                    o.add(c)
                if f.isascii() and f not in ENGLISH_STOPWORDS:
                    o.add(stem(f, "en"))  # an English word left in the translation (a name, a term)
            toks.append(t)
            opts.append(frozenset(o))
    return VariantSide(text, tuple(toks), tuple(opts), anchor_set(text), len(text))


def _katakana_pieces(text: str) -> list[tuple[str, bool]]:
    """``text`` cut into its runs of katakana (True) and what lies between them (False)."""
    out, pos = [], 0
    for m in _KATAKANA_RUN_RE.finditer(text):
        out += [(text[pos:m.start()], False), (m.group(0), True)]
        pos = m.end()
    return [*out, (text[pos:], False)]


def prepare_english(text: str) -> EnglishSide:
    """Features of an English segment (cached by text)."""
    side = _ENGLISH.get(text)
    if side is None:
        if len(_ENGLISH) >= _CACHE_MAX:
            _ENGLISH.clear()
        side = _ENGLISH[text] = _prepare_english(text)
    return side


def _prepare_english(text: str) -> EnglishSide:
    ws = [w for w in folded_words(text) if w not in ENGLISH_STOPWORDS and len(w) > 1]
    feats = []
    for w in ws:
        f = {stem(w, "en")}
        for key in (_cognate(w), english_sound_key(w)):
            if key:
                f.add(key)
        feats.append(frozenset(f))
    return EnglishSide(text, tuple(ws), tuple(feats), anchor_set(text), len(text))


@dataclass(frozen=True)
class CrossSimilarity:
    """Evidence of one variant/English pair.

    ``coverage_variant``: share of the variant's content tokens with a translation or cognate in
    the English segment; ``coverage_english``: share of the English content words some variant
    token translates to; ``anchor_dice`` (None when neither side has an anchor), ``length``
    agreement (shorter/longer)², ``score`` in [0, 1] combining them. ``matched`` and ``unmatched``
    list the variant tokens behind the coverage (for reasons); ``anchors_missing`` the anchors of
    one side absent from the other."""

    score: float
    coverage_variant: float
    coverage_english: float
    anchor_dice: float | None
    length: float
    matched: tuple[str, ...] = ()
    unmatched: tuple[str, ...] = ()
    anchors_missing: tuple[str, ...] = ()


def _combine(cov_v: float, cov_e: float, anchor: float | None, length: float) -> float:
    f1 = 2 * cov_v * cov_e / (cov_v + cov_e) if cov_v + cov_e > 0 else 0.0
    total, weight = W_COVERAGE * f1 + W_LENGTH * length, W_COVERAGE + W_LENGTH
    if anchor is not None:
        total += W_ANCHORS * anchor
        weight += W_ANCHORS
    return total / weight


def cross_similarity(v: VariantSide, e: EnglishSide) -> CrossSimilarity:
    """The evidence that ``v`` translates ``e`` (see :class:`CrossSimilarity`)."""
    eu, vu = e.union, v.union
    hits = [bool(o & eu) for o in v.options]
    cov_v = sum(hits) / len(hits) if hits else 0.0
    ehits = [bool(f & vu) for f in e.features]
    cov_e = sum(ehits) / len(ehits) if ehits else 0.0
    n = len(v.anchors) + len(e.anchors)
    anchor = 2 * len(v.anchors & e.anchors) / n if n else None
    lv, lo = max(1, v.length), max(1, e.length)
    ratio = min(lv, lo) / max(lv, lo)
    length = ratio * ratio
    return CrossSimilarity(round(_combine(cov_v, cov_e, anchor, length), 6), cov_v, cov_e, anchor, length,
                           tuple(t for t, h in zip(v.tokens, hits, strict=True) if h),
                           tuple(t for t, h in zip(v.tokens, hits, strict=True) if not h),
                           tuple(sorted(v.anchors ^ e.anchors)))


def untranslated_tail(v: VariantSide, e: EnglishSide, min_words: int = 5) -> float | None:
    """The share of ``e``'s content words after the last one that some token of ``v`` translates:
    what a translation that stops early leaves out is the end of its original, while a terse one
    leaves out words all along. 1.0 when ``v`` translates none of them — unless it has fewer
    than four content words, which a small dictionary may not know (None, as when ``e`` has fewer
    than ``min_words`` content words: the dictionary cannot tell)."""
    if len(e.features) < min_words:
        return None
    vu = v.union
    last = max((i for i, f in enumerate(e.features) if f & vu), default=-1)
    if last < 0:
        return 1.0 if len(v.tokens) >= 4 else None
    return (len(e.features) - 1 - last) / len(e.features)


def ends_together(v: VariantSide, e: EnglishSide, last: int = 2) -> bool | None:
    """Whether one of ``v``'s ``last`` content tokens (of those the dictionary knows) translates one of
    ``e``'s ``last`` content words: a translation that drops its final punctuation still ends where its
    original does, a cut one ends on a word from its middle (on the man pages, 71% of whole Swedish
    translations and 7% of ones cut at 30-70% of their length). None where either side has no such
    word. (Of languages that order a sentence as English does: a Japanese one ends on its verb.)"""
    known = [opts for opts in v.options if opts]
    if not known or not e.features:
        return None
    end = frozenset().union(*e.features[-last:])
    return any(opts & end for opts in known[-last:])


def order_agreement(v: VariantSide, e: EnglishSide) -> tuple[float | None, int]:
    """How far ``v`` keeps the word order of ``e``: of its tokens that match exactly one of ``e``'s
    words, the share of pairs that come in the same order on both sides (None for fewer than two
    such pairs), and the number of such tokens. A translation into a language of English word order
    keeps most; the same words shuffled keep half."""
    places = []
    for opts in v.options:
        hits = [j for j, f in enumerate(e.features) if f & opts]
        if len(hits) == 1:
            places.append(hits[0])
    kept = broken = 0
    for a, b in combinations(places, 2):
        if a != b:
            kept += a < b
            broken += a > b
    return (kept / (kept + broken) if kept + broken >= 2 else None), len(places)


def _stacked(numbered: list) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """The sides' ``numbered`` features end to end: (item sizes, ids) of the items, of the anchors."""
    items = [n[0] for n in numbered]
    anchors = [n[1] for n in numbered]
    return ((np.concatenate([s for s, _ in items]), np.concatenate([i for _, i in items])),
            (np.concatenate([s for s, _ in anchors]), np.concatenate([i for _, i in anchors])))


def _run_sums(rows: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Sums of consecutive runs of ``rows`` (axis 0) of the given ``sizes``, as int32 (differences of
    the running sum); a run of size 0 sums to zeros. ``rows`` has ``sizes.sum()`` rows."""
    acc = np.zeros((len(rows) + 1, *rows.shape[1:]), dtype=np.int32)
    np.cumsum(rows, axis=0, dtype=np.int32, out=acc[1:])
    ends = np.cumsum(sizes)
    return acc[ends] - acc[ends - sizes]


def _marks(n_features: int, n_owners: int, features: np.ndarray, owners: np.ndarray) -> np.ndarray:
    """A features x owners boolean matrix, True where an owner has the feature."""
    m = np.zeros((n_features, n_owners), dtype=bool)
    m[features, owners] = True
    return m


def similarity_matrix(vs: list[VariantSide], es: list[EnglishSide]) -> np.ndarray:
    """``cross_similarity(v, e).score`` for every v in ``vs`` (rows) and e in ``es`` (columns), in
    float64 with the same arithmetic. The counts behind it (tokens that find a translation in a
    segment, words some token translates to, shared anchors) are counted by gathering the rows of
    small feature x segment incidences, never as dense feature matrices of the tokens."""
    if not vs or not es:
        return np.zeros((len(vs), len(es)))
    return _Counts(vs, es).scores()


def similarity_tables(vs: list[VariantSide], es: list[EnglishSide]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``similarity_matrix`` of ``vs`` x ``es``, of each two neighbours of ``vs`` joined x ``es`` (2:1)
    and of ``vs`` x each two neighbours of ``es`` joined (1:2): the same numbers as
    ``similarity_matrix`` over the ``joined`` sides, counted from the one pair's incidences (a joined
    segment's token hits add up; its words hit by either neighbour are both counts less the words
    both hit)."""
    if not vs or not es:
        return np.zeros((len(vs), len(es))), np.zeros((max(0, len(vs) - 1), len(es))), \
            np.zeros((len(vs), max(0, len(es) - 1)))
    c = _Counts(vs, es)
    one = c.scores()
    if len(vs) > 1:
        both = _run_sums(c.word_hit[:, :-1] & c.word_hit[:, 1:], c.e_words).T
        anchors = c.v_anchors[:, :-1] | c.v_anchors[:, 1:]
        two_one = _score(c.cov_v[:-1] + c.cov_v[1:], c.v_tokens[:-1] + c.v_tokens[1:],
                         c.cov_e[:-1] + c.cov_e[1:] - both, c.e_words,
                         anchors, c.e_anchors, c.v_len[:-1] + 1 + c.v_len[1:], c.e_len)
    else:
        two_one = np.zeros((0, len(es)))
    if len(es) > 1:
        both = _run_sums(c.tok_hit[:, :-1] & c.tok_hit[:, 1:], c.v_tokens)
        anchors = c.e_anchors[:, :-1] | c.e_anchors[:, 1:]
        one_two = _score(c.cov_v[:, :-1] + c.cov_v[:, 1:] - both, c.v_tokens,
                         c.cov_e[:, :-1] + c.cov_e[:, 1:], c.e_words[:-1] + c.e_words[1:],
                         c.v_anchors, anchors, c.v_len, c.e_len[:-1] + 1 + c.e_len[1:])
    else:
        one_two = np.zeros((len(vs), 0))
    return one, two_one, one_two


class _Counts:
    """The counts of every pair of ``vs`` x ``es`` that the score is made of, and the incidences
    they come from: ``tok_hit`` (variant tokens x English segments: the token translates some word
    of the segment), ``word_hit`` (English words x variant segments), the anchors of each side
    (anchor features x segments)."""

    def __init__(self, vs: list[VariantSide], es: list[EnglishSide]) -> None:
        (v_sizes, v_ids), (va_sizes, va_ids) = _stacked([v.numbered for v in vs])
        (e_sizes, e_ids), (ea_sizes, ea_ids) = _stacked([e.numbered for e in es])
        uniq, local = np.unique(np.concatenate([v_ids, e_ids]), return_inverse=True)
        nf = max(1, len(uniq))
        v_local, e_local = np.split(local.reshape(-1), [len(v_ids)])
        self.v_tokens = np.fromiter((len(v.options) for v in vs), dtype=np.int64, count=len(vs))
        self.e_words = np.fromiter((len(e.features) for e in es), dtype=np.int64, count=len(es))
        # features x segments: the features some token (word) of each segment has
        v_union = _marks(nf, len(vs), v_local, np.repeat(np.repeat(np.arange(len(vs)), self.v_tokens), v_sizes))
        e_union = _marks(nf, len(es), e_local, np.repeat(np.repeat(np.arange(len(es)), self.e_words), e_sizes))
        self.tok_hit = _run_sums(e_union[v_local], v_sizes) > 0
        self.cov_v = _run_sums(self.tok_hit, self.v_tokens)
        self.word_hit = _run_sums(v_union[e_local], e_sizes) > 0
        self.cov_e = _run_sums(self.word_hit, self.e_words).T
        a_uniq, a_local = np.unique(np.concatenate([va_ids, ea_ids]), return_inverse=True)
        va_local, ea_local = np.split(a_local.reshape(-1), [len(va_ids)])
        self.v_anchors = _marks(max(1, len(a_uniq)), len(vs), va_local, np.repeat(np.arange(len(vs)), va_sizes))
        self.e_anchors = _marks(max(1, len(a_uniq)), len(es), ea_local, np.repeat(np.arange(len(es)), ea_sizes))
        self.v_len = np.fromiter((v.length for v in vs), dtype=np.int64, count=len(vs))
        self.e_len = np.fromiter((e.length for e in es), dtype=np.int64, count=len(es))

    def scores(self) -> np.ndarray:
        return _score(self.cov_v, self.v_tokens, self.cov_e, self.e_words, self.v_anchors, self.e_anchors,
                      self.v_len, self.e_len)


def _score(cov_v_num: np.ndarray, v_tokens: np.ndarray, cov_e_num: np.ndarray, e_words: np.ndarray,
           v_marks: np.ndarray, e_marks: np.ndarray, v_len: np.ndarray, e_len: np.ndarray) -> np.ndarray:
    """The score of every pair from its counts (rows x columns: tokens of the rows that translate a
    word of the column, words of the column that a token of the row translates), the anchors of each
    side (anchor features x rows, x columns) and the sides' sizes (tokens, words, characters), as
    ``cross_similarity`` computes it."""
    inter = v_marks.T.astype(np.int32) @ e_marks.astype(np.int32)
    v_anchors, e_anchors = v_marks.sum(0), e_marks.sum(0)
    n_tok = v_tokens.astype(np.float32)[:, None]
    cov_v = np.where(n_tok > 0, cov_v_num.astype(np.float32) / np.where(n_tok > 0, n_tok, 1), 0.0).astype(np.float64)
    n_word = e_words.astype(np.float32)[None, :]
    cov_e = np.where(n_word > 0, cov_e_num.astype(np.float32) / np.where(n_word > 0, n_word, 1), 0.0
                     ).astype(np.float64)
    f1 = np.where(cov_v + cov_e > 0, 2 * cov_v * cov_e / np.where(cov_v + cov_e > 0, cov_v + cov_e, 1), 0.0)
    n = v_anchors.astype(np.float32)[:, None] + e_anchors.astype(np.float32)[None, :]
    anchor = np.where(n > 0, 2 * inter.astype(np.float64) / np.where(n > 0, n, 1), 0.0)
    lv = np.maximum(1, v_len).astype(np.float64)[:, None]
    lo = np.maximum(1, e_len).astype(np.float64)[None, :]
    length = (np.minimum(lv, lo) / np.maximum(lv, lo)) ** 2
    total = W_COVERAGE * f1 + W_LENGTH * length + np.where(n > 0, W_ANCHORS * anchor, 0.0)
    weight = W_COVERAGE + W_LENGTH + np.where(n > 0, W_ANCHORS, 0.0)
    return np.round(total / weight, 6)


# ---------------------------------------------------------------------------
# Documents: pairing a variant page with its English original
# ---------------------------------------------------------------------------


class DocumentIndex:
    """English documents indexed by the features of their words and their anchors.

    ``rank(variant_text, lexicon)`` scores every English document sharing a feature with the
    variant: the F1 of (a) the idf mass of the variant's tokens found in the document (a token
    counts once, with the idf of its rarest matching feature) over that of all its tokens that
    can match anything indexed, and (b) the idf mass of the document's features the variant
    matches over the mass of its features that the variant's language can reach at all
    (``vocabulary``: the lexicon's English stems plus cognate and anchor features), plus anchors
    counted the same way. Features in more than ``max_df`` share of the documents are ignored.
    """

    def __init__(self, documents: list[str], max_df: float = 0.2) -> None:
        self.sides = [prepare_english(d) for d in documents]
        self.features = [s.union | s.anchors for s in self.sides]
        self.postings: dict[str, list[int]] = defaultdict(list)
        for i, fs in enumerate(self.features):
            for f in fs:
                self.postings[f].append(i)
        n = max(1, len(documents))
        cap = max(2, int(max_df * n))
        self.idf = {f: math.log(1 + n / len(p)) for f, p in self.postings.items() if len(p) <= cap}
        self._reach: dict[tuple[int, int], float] = {}

    def _reachable_mass(self, i: int, lexicon: Lexicon) -> float:
        key = (i, id(lexicon))
        got = self._reach.get(key)
        if got is None:
            vocab = lexicon.english_vocabulary
            keys = "=#@$~" if _borrows_in_katakana(lexicon.lang) else "=#@$"
            got = sum(self.idf.get(f, 0.0) for f in self.features[i] if f in vocab or f[0] in keys)
            self._reach[key] = got
        return got

    def rank(self, variant_text: str, lexicon: Lexicon, top: int | None = None) -> list[tuple[float, int]]:
        """(score, document index) best first; documents sharing nothing are left out."""
        v = prepare_variant(variant_text, lexicon)
        token_feats = [sorted(f for f in o if f in self.idf) for o in v.options]
        token_feats += [[a] for a in sorted(v.anchors) if a in self.idf]
        # per document: the best idf each token reaches there, and the document's features matched
        tok_best: dict[int, float] = Counter()
        matched_feats: dict[int, set[str]] = defaultdict(set)
        mass_v = 0.0
        for feats in token_feats:
            if not feats:
                continue
            mass_v += max(self.idf[f] for f in feats)
            best_here: dict[int, float] = {}
            for f in feats:
                w = self.idf[f]
                for i in self.postings[f]:
                    matched_feats[i].add(f)
                    if w > best_here.get(i, 0.0):
                        best_here[i] = w
            for i, w in best_here.items():
                tok_best[i] += w
        out = []
        for i, s in tok_best.items():
            r_v = s / mass_v if mass_v else 0.0
            reach = self._reachable_mass(i, lexicon)
            r_e = sum(self.idf[f] for f in matched_feats[i]) / reach if reach else 0.0
            f1 = 2 * r_v * r_e / (r_v + r_e) if r_v + r_e else 0.0
            out.append((round(f1, 6), i))
        out.sort(key=lambda x: (-x[0], x[1]))
        return out[:top] if top else out
