"""Model-free evidence that a translated paragraph was damaged: cut short, words shuffled, or
replaced by a fluent paragraph that translates something else.

Evidence only: each ``*_evidence`` function returns numbers and the spans that explain them. The
detectors of ``pipeline.detectors.damage`` turn them into evidence rows and decide on them, with
their settings and the corpus's calibration.

- **Truncation** (:func:`truncation_evidence`): the paragraph stops where its original does not
  (no terminal punctuation, a dangling function word), and its length against the original's is
  far below what this corpus's confidently aligned pairs of the language pair show
  (:func:`calibrate_length` → :class:`LengthModel`).
- **Word order** (:class:`OrderModel`, :func:`order_evidence`): a bigram model of the variant
  language built from real text — the corpus's own paragraphs, each scored leave-one-out — and the
  *order gain*: how much more likely the paragraph's bigrams are than those of its own words in
  random order. Real text gains; a shuffled paragraph gains nothing, whatever its vocabulary.
- **Replacement** is judged on the cross-lingual similarity of ``pipeline.xling`` against the
  article's other aligned pairs (``ReplacementDetector``).
"""

from __future__ import annotations

import math
import re
import statistics
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from .lexicon import STOPWORDS, Lexicon, is_cjk
from .text import CODE_RE, fold

_TERMINAL = ".!?。！？…:;)\"”»’'」』）"
#: Japanese polite sentence endings: a sentence that ends in one is complete without "。" (help texts
#: often leave it out: "DLL 名を指定する文字列です").
_JA_FINAL = ("です", "ます", "ません", "ました", "でした", "ください", "ましょう")
_TOKEN_RE = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*|\d+(?:[.,]\d+)*|[^\w\s]")


# ---------------------------------------------------------------------------
# Truncation
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LengthModel:
    """Length ratio (variant / original, in characters) of a language pair on this corpus:
    ``median`` and robust ``spread`` (1.4826 · MAD) of the natural log ratio over ``n`` pairs, the
    spread of an original ``ref`` characters long (the pairs' median length). As in Gale and Church's
    length-based alignment, the spread of a pair's ratio shrinks with the square root of its length
    (measured on the dev split: spread × √length is about constant for sv, de and fr, 1.2–1.6), so a
    pair ``L`` characters long has spread ``spread · √(ref / L)``, the factor kept within ½–2 and the
    spread at least ``floor`` at any length (a corpus that repeats its pairs is more regular than
    translation is). ``ref`` 0: one spread at every length."""

    median: float
    spread: float
    n: int
    ref: float = 0.0
    floor: float = 0.08

    def spread_at(self, original_len: int) -> float:
        """The spread of the log ratio of a pair whose original is ``original_len`` characters long."""
        if self.ref <= 0:
            return self.spread
        return max(self.floor, self.spread * min(2.0, max(0.5, math.sqrt(self.ref / max(1, original_len)))))

    def z(self, variant_len: int, original_len: int) -> float:
        """How many spreads the pair's log ratio lies from the median (negative: shorter)."""
        r = math.log(max(1, variant_len) / max(1, original_len))
        return (r - self.median) / self.spread_at(original_len)

    def expected_range(self, k: float = 1.0, original_len: int | None = None) -> tuple[float, float]:
        """The ratio range median ± k spreads (at ``original_len``, else at ``ref``), as ratios."""
        sd = self.spread if original_len is None else self.spread_at(original_len)
        return math.exp(self.median - k * sd), math.exp(self.median + k * sd)


def calibrate_length(pairs: Iterable[tuple[int, int]], min_spread: float = 0.08) -> LengthModel:
    """:class:`LengthModel` from (variant_len, original_len) of confidently aligned pairs (lengths in
    characters; pairs with a zero length are ignored): the median log ratio, and the spread of the
    deviations brought to the pairs' median length (× √(length / ref)). The spread is at least
    ``min_spread`` so that a handful of very regular pairs does not make every small difference
    extreme. Raises ValueError when fewer than 5 usable pairs are given."""
    usable = [(v, o) for v, o in pairs if v > 0 and o > 0]
    if len(usable) < 5:
        raise ValueError(f"calibrate_length needs at least 5 aligned pairs, got {len(usable)}")
    logs = [math.log(v / o) for v, o in usable]
    med = statistics.median(logs)
    ref = float(statistics.median(o for _, o in usable))
    model = LengthModel(med, 1.0, len(usable), ref, 0.0)
    mad = statistics.median(abs(x - med) / model.spread_at(o) for x, (_, o) in zip(logs, usable, strict=True))
    return LengthModel(med, max(min_spread, 1.4826 * mad), len(usable), ref, min_spread)


@dataclass(frozen=True)
class TruncationEvidence:
    """``ends_open``: the variant lacks the terminal punctuation its original has; ``dangling``: its
    last word is a function word (e.g. "i den"); ``ratio``/``z``: its length against the original's
    and against the corpus's :class:`LengthModel`; ``tail``: its last words (the span to show)."""

    ends_open: bool
    dangling: str | None
    ratio: float
    z: float
    expected: tuple[float, float]
    tail: str


def truncation_evidence(variant: str, original: str, lang: str, model: LengthModel) -> TruncationEvidence:
    """Evidence that ``variant`` stops before the end of what ``original`` says."""
    v, o = variant.rstrip(), original.rstrip()
    ends_open = bool(o) and o[-1] in _TERMINAL and (not v or v[-1] not in _TERMINAL) \
        and not (lang == "ja" and v.endswith(_JA_FINAL))
    dangling = None
    if not is_cjk(lang):
        ws = re.findall(r"[^\W\d_]+", v)
        if ws and fold(ws[-1]) in STOPWORDS.get(lang, ()) and (not v or v[-1] not in _TERMINAL):
            dangling = ws[-1]
        tail = " ".join(v.split()[-4:])
    else:
        if v and "\u3040" <= v[-1] <= "\u309f" and v[-1] in "のをにがはでとへもや":
            dangling = v[-1]
        tail = v[-12:]
    ratio = max(1, len(v)) / max(1, len(o))
    return TruncationEvidence(ends_open, dangling, ratio, model.z(len(v), len(o)), model.expected_range(1.0, len(o)),
                              tail)


# ---------------------------------------------------------------------------
# Word order
# ---------------------------------------------------------------------------


def order_tokens(text: str, lexicon: Lexicon | None = None, lang: str = "") -> list[str]:
    """Tokens for the order model: lower-cased words (a capitalised one preceded by ``^``, since a
    capital after no full stop is evidence of order too), words in capitals ("NO WARRANTY", "SEE
    ALSO": acronyms, quoted headings, emphasis) as ``A`` and numbers as ``0`` — a class each, as
    names of no language —, punctuation (Japanese: the lexicon's words, or characters without a
    lexicon). Code — options, paths, URLs, ``name(1)`` — is one token ``§`` per span: it has no word
    order of a language."""
    lang = lexicon.lang if lexicon is not None else lang
    text = _code_spans(text)
    if is_cjk(lang):
        return [t for run in _runs(text, lang) for t in run]
    out = []
    for t in _TOKEN_RE.findall(text):
        if t[0].isdigit():
            out.append("0")
            continue
        if len(t) > 1 and t.isupper():
            out.append("A")
            continue
        if t[0].isupper():
            out.append("^")
        out.append(fold(t))
    return out


def _code_spans(text: str) -> str:
    """``text`` with each code span (``CODE_RE``) replaced by `` § ``."""
    return CODE_RE.sub(" § ", text) if CODE_RE.search(text) else text


def order_chunks(text: str, lexicon: Lexicon | None = None, lang: str = "") -> list[list[str]]:
    """:func:`order_tokens` grouped by the unit a shuffled paragraph moves around: the
    whitespace-separated word they come from; in Japanese, a run of one script (kanji, hiragana,
    katakana, a Latin word, a number), whose characters are its tokens: the run's own order holds in
    any shuffle, and the pairs of characters where two runs meet ("み" then "を") tell whether they
    belong together."""
    lang = lexicon.lang if lexicon is not None else lang
    if is_cjk(lang):
        return _runs(_code_spans(text), lang)
    return [c for c in (order_tokens(w, lexicon, lang) for w in _code_spans(text).split()) if c]


_KANA_KANJI = "\u3041-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々〆"
#: Runs of one script in Japanese: kanji, hiragana, katakana, a word of another script, a number.
_RUN_RE = re.compile(rf"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々〆]+|[\u3041-\u309fー]+|[\u30a1-\u30ffー]+"
                     rf"|(?:(?![{_KANA_KANJI}])[^\W\d_])+|\d+(?:[.,]\d+)*|\S")
_KANA_KANJI_RE = re.compile(f"[{_KANA_KANJI}ー]")


def _runs(text: str, lang: str) -> list[list[str]]:
    """A text written without spaces as its units, each a list of tokens: Japanese by script runs
    (characters; a word of another script is one folded token, a number ``0``), any other such
    language by characters."""
    if lang != "ja":
        return [[c] for c in text if not c.isspace()]
    out = []
    for run in _RUN_RE.findall(text):
        if run[0].isdigit():
            out.append(["0"])
        elif run[0].isalpha() and not _KANA_KANJI_RE.match(run):
            out.append([fold(run)])
        else:
            out.append(list(run))
    return out


def _word_class(token: str) -> str:
    """The class a rare token is counted as: its last two letters (a cheap part-of-speech guess)."""
    return "~" + token[-2:]


class OrderModel:
    """A bigram model of one language from real text, with leave-one-out scoring.

    Tokens seen fewer than ``min_count`` times are counted as their class (their last two
    letters: "-en", "-ar", "-ly"), so that rare words still carry their likely part of speech.
    P(b | a) = (c(a, b) + k · P(b)) / (c(a) + k), P(b) = (c(b) + 1) / (N + V): the unigram
    distribution smoothed add-one, the bigram interpolated towards it with ``k`` pseudo-counts.
    ``logprobs(tokens, exclude=True)`` removes the tokens' own counts first, so a paragraph of the
    corpus is scored by the rest of the corpus."""

    def __init__(self, texts: Iterable[Sequence[str]], k: float = 2.0, min_count: int = 3) -> None:
        texts = [list(t) for t in texts]
        raw: Counter[str] = Counter()
        for toks in texts:
            raw.update(toks)
        self.known = frozenset(w for w, c in raw.items() if c >= min_count)
        self.uni: Counter[str] = Counter()
        self.bi: Counter[tuple[str, str]] = Counter()
        self.first: Counter[str] = Counter()  # counts as the left side of a bigram
        self.k = k
        self._size = 0
        for toks in texts:
            self.add(toks)

    def classes(self, tokens: Sequence[str]) -> list[str]:
        """``tokens`` with rare tokens replaced by their class."""
        known = self.known
        return [t if t in known else _word_class(t) for t in tokens]

    def map(self, tokens: Sequence[str]) -> list[str]:
        """``<s> tokens </s>`` with rare tokens replaced by their class."""
        return ["<s>", *self.classes(tokens), "</s>"]

    def add(self, tokens: Sequence[str]) -> None:
        """Count one text's tokens."""
        seq = self.map(tokens)
        self.uni.update(seq)
        self.bi.update(pairwise(seq))
        self.first.update(seq[:-1])
        self._size += len(seq)
        _ORDER_EVIDENCE.pop(self, None)  # what was scored before scores otherwise now

    @property
    def size(self) -> int:
        """Tokens counted."""
        return self._size

    def logprobs(self, tokens: Sequence[str], exclude: bool = True, orders: Sequence[Sequence[str]] = ()
                 ) -> list[float]:
        """Log probability of each bigram of ``<s> tokens </s>`` — or, when ``orders`` (permutations
        of ``tokens``) are given, of theirs — with the text's own counts removed when ``exclude``."""
        seq = self.map(tokens)
        scored = self.mapped_logprobs(seq, exclude, [self.map(o) for o in orders] if orders else [seq])
        return [lp for lps in scored for lp in lps]

    def _terms(self, seq: Sequence[str], exclude: bool, tokens: Iterable[str]
               ) -> tuple[dict[str, float], dict[str, float], Callable[[tuple[str, str]], int]]:
        """For ``tokens``: k · P(b) and the denominator c(a) + k, with the counts of ``seq`` (the mapped
        text) removed when ``exclude`` (counts never below zero: a text that was not counted is scored
        as it is), and the bigram count of a pair so corrected."""
        own_uni: Counter[str] = Counter(seq) if exclude else Counter()
        own_bi: Counter[tuple[str, str]] = Counter(pairwise(seq)) if exclude else Counter()
        own_first: Counter[str] = Counter(seq[:-1]) if exclude else Counter()
        n = max(1, self.size - (len(seq) if exclude else 0))
        vocab = len(self.uni) + 1
        uni_get, first_get, bi_get, own_bi_get, k = self.uni.get, self.first.get, self.bi.get, own_bi.get, self.k
        tokens = set(tokens)
        kpb = {t: k * ((max(0, uni_get(t, 0) - own_uni[t]) + 1) / (n + vocab)) for t in tokens}
        den = {t: max(0, first_get(t, 0) - own_first[t]) + k for t in tokens}

        def count(ab: tuple[str, str]) -> int:
            c = bi_get(ab, 0)
            return max(0, c - own_bi_get(ab, 0)) if c else 0

        return kpb, den, count

    def mapped_logprobs(self, seq: Sequence[str], exclude: bool, seqs: Sequence[Sequence[str]]
                        ) -> list[list[float]]:
        """The log probability of each bigram of each of ``seqs`` (already :meth:`map`-ped: the text
        and its reorderings), one list per sequence, with the counts of ``seq`` (the mapped text)
        removed when ``exclude``. The unigram and left-side terms of a token are computed once for
        all the sequences (the arithmetic of :meth:`logprobs`, so the same floats)."""
        kpb, den, count = self._terms(seq, exclude, (t for s in seqs for t in s))
        log = math.log
        return [[log((count(ab) + kpb[ab[1]]) / den[ab[0]]) for ab in pairwise(s)] for s in seqs]

    def cross_logprob(self, seq: Sequence[str], exclude: bool, lefts: Counter, rights: Counter) -> float:
        """The summed log probability of every bigram (a, b) of a token of ``lefts`` then one of
        ``rights`` (mapped tokens with their multiplicities), scored as :meth:`mapped_logprobs` scores
        them: in |lefts| · |rights| lookups, the unseen pairs (most) summed in closed form."""
        kpb, den, count = self._terms(seq, exclude, [*lefts, *rights])
        log = math.log
        log_kpb = {b: log(kpb[b]) for b in rights}
        unseen = sum(c * log_kpb[b] for b, c in rights.items())  # every pair as if never seen
        n_right = sum(rights.values())
        total = 0.0
        for a, ca in lefts.items():
            row = unseen - n_right * log(den[a])
            for b, cb in rights.items():
                c = count((a, b))
                if c:
                    row += cb * (log(c + kpb[b]) - log_kpb[b])
            total += ca * row
        return total


@dataclass(frozen=True)
class OrderEvidence:
    """``gain``: mean log probability per bigram of the paragraph minus that of its words in random
    order (≈ 0 for shuffled text, clearly positive for real text); ``strength``: gain · √words, which
    grows with the length of real text and stays near 0 for shuffled text of any length (the
    statistic the threshold applies to); ``tokens``: how many words were scored; ``worst``: the
    least likely adjacent word pairs (the spans to show); ``lexical``: the share of its words that are
    words of a language (not names in capitals, numbers, code or punctuation alone): a list of
    names or codes reads the same in any order, so it is no evidence either way."""

    gain: float
    strength: float
    logprob: float
    shuffled_logprob: float
    tokens: int
    worst: tuple[str, ...]
    lexical: float = 1.0


def _lexical(chunk: Sequence[str]) -> bool:
    """The chunk holds a word of a language: a lower-case (folded) word, not a class token."""
    return any(t.isalpha() and t != "A" for t in chunk)


def order_evidence(chunks: Sequence[Sequence[str]], model: OrderModel, exclude: bool = True) -> OrderEvidence:
    """Word-order evidence for one paragraph given as :func:`order_chunks`: the mean log probability
    of its bigrams against their expected mean over every order of its chunks (words with their
    punctuation). That expectation is exact, not sampled: a chunk's own bigrams are the same in any
    order, and in a random order each chunk follows any given other one, opens or closes the text,
    with probability 1/n — so a short sentence's verdict does not hang on a few random shuffles."""
    toks = [t for c in chunks for t in c]
    lexical = sum(map(_lexical, chunks)) / len(chunks) if chunks else 0.0
    n = len(chunks)
    if n < 3:
        return OrderEvidence(0.0, 0.0, 0.0, 0.0, n, (), lexical)
    mapped = [model.classes(c) for c in chunks]  # mapping is token by token: map the chunks once
    seq = ["<s>", *(t for c in mapped for t in c), "</s>"]
    firsts, lasts = [c[0] for c in mapped], [c[-1] for c in mapped]
    inner = [list(c) for c in mapped if len(c) > 1]
    # the pairs within chunks; each chunk's last token then its own first (no order joins a chunk to
    # itself: taken out of the cross sum); the pairs at the text's two ends
    own = [[la, f] for la, f in zip(lasts, firsts, strict=True)] + [["<s>", f] for f in firsts] \
        + [[la, "</s>"] for la in lasts]
    real, *rest = model.mapped_logprobs(seq, exclude, [seq, *inner, *own])
    within = sum(lp for lps in rest[:len(inner)] for lp in lps)
    diagonal, ends = (sum(lps[0] for lps in part) for part in (rest[len(inner):len(inner) + n], rest[len(inner) + n:]))
    cross = model.cross_logprob(seq, exclude, Counter(lasts), Counter(firsts)) - diagonal
    expected = within + (ends + cross) / n
    lp, slp = sum(real) / len(real), expected / len(real)  # every order has as many bigrams as the text
    seq = ["<s>", *toks, "</s>"]
    order = sorted(range(len(real)), key=lambda i: real[i])[:3]
    worst = tuple(f"{seq[i]} {seq[i + 1]}".strip() for i in sorted(order))
    return OrderEvidence(lp - slp, (lp - slp) * math.sqrt(n), lp, slp, n, worst, lexical)


#: :func:`paragraph_order_evidence` by model, then by (text, language, lexicon); bounded.
_ORDER_EVIDENCE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_CACHE_MAX = 200_000


def paragraph_order_evidence(text: str, model: OrderModel, lexicon: Lexicon | None = None, lang: str = ""
                             ) -> OrderEvidence:
    """``order_evidence(order_chunks(text, lexicon, lang), model)``, remembered per model and text: a
    corpus repeats paragraphs (steps, notes, republished articles), and the evidence depends on
    nothing else."""
    cache = _ORDER_EVIDENCE.get(model)
    if cache is None:
        cache = _ORDER_EVIDENCE[model] = {}
    key = (text, lang, lexicon)
    ev = cache.get(key)
    if ev is None:
        if len(cache) >= _CACHE_MAX:
            cache.clear()
        ev = cache[key] = order_evidence(order_chunks(text, lexicon, lang), model)
    return ev
