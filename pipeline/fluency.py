"""Reference-free fluency: find synonym-spun phrases in a sentence without its original.

An article spinner swaps words for thesaurus synonyms of the wrong sense ("win a keep of
execution" for "a stay of execution", "foyer senators" for "lobby senators"). Each swap leaves a
phrase that is grammatical word by word but that nobody writes. This stage looks for it the way a
reader does: for every word (and every multi-word thesaurus entry) of a sentence it asks whether a
synonym would make the words around it far more usual, and by how much.

* **Candidates** come from a thesaurus (English: WordNet 3.0, every sense of every part of speech,
  because the spinner ignores the sense too), inflected like the word they replace ("companies" →
  "businesses"), the most frequent few per word; multi-word entries both ways ("take away" →
  "remove", "brand new" → "new"); a language name padded with "language" ("Chinese language
  firm" → "Chinese firm"); and :data:`PARAPHRASES`, the function words and fixed phrases a
  thesaurus lacks ("in accordance with" → "according to", "could possibly be" → "could be").
* **Opaque words** (names, UI labels, code, numbers) are context for the model but never
  replaced and never counted as evidence.
* **Evidence** is the change in the sentence's log-probability under an n-gram language model
  (English: CMU's en-us trigram model, shipped in ``pocketsphinx``) when the word is replaced: in a
  trigram model only the word and the two after it change, so that is exact and cheap. A phrase is
  evidence when the usual form is at least ``min_log10_ratio`` orders of magnitude more likely.
* **Score and decide apart**: :meth:`FluencyScorer.score` returns :class:`FluencyEvidence` (the
  phrases with offsets, the usual form, the log10 ratio; the sentence score); :func:`decide`
  applies a threshold and writes the reason a reviewer sees ("‘keep of execution’ — usual: ‘stay
  of execution’"); :func:`document_fluency` aggregates a page and :func:`decide_document` makes
  the two-level decision (a failing page is judged at a relaxed threshold; elsewhere a page's own
  repeated term is not evidence). A threshold change never rescores.

Resources sit behind :class:`LanguageResources` (a tokenizer-free word LM and a thesaurus), one
registry entry per language, loaded once per process. A missing resource raises
:class:`FluencyUnavailable` naming what is missing and the command that installs it;
:func:`fluency_availability` says so without raising, for a stage that must report "skipped".
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import pickle
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from .errors import ConfigurationError, ModelUnavailable

if TYPE_CHECKING:
    from .fluency_lm import LMFluencyScorer

#: bumped whenever the compiled thesaurus format or its construction changes
THESAURUS_VERSION = 4
WORDNET_PACKAGE = "wordnet-base"
WORDNET_FILES = ("data.noun", "data.verb", "data.adj", "data.adv", "noun.exc", "verb.exc", "adj.exc")
FETCH_COMMAND = "python -m pipeline.fluency fetch"


class FluencyUnavailable(ModelUnavailable):
    """A fluency resource is missing; the message names it and the command that installs it."""


def default_cache_dir() -> Path:
    """tqa's cache folder: ``$TQA_CACHE`` or ``~/.cache/tqa``."""
    env = os.environ.get("TQA_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "tqa"


@dataclass(frozen=True)
class FluencyConfig:
    """Where the resources are and how much evidence is kept.

    ``wordnet_dir``: a folder with WordNet 3.0's ``data.*`` and ``*.exc`` files; by default
    ``/usr/share/wordnet`` (Debian's ``wordnet-base``), else ``<cache_dir>/wordnet`` (what
    ``python -m pipeline.fluency fetch`` extracts there). ``lm_path``: a Sphinx binary or ARPA
    n-gram model; by default the en-us model inside ``pocketsphinx``. ``cache_dir`` holds the
    compiled thesaurus. ``min_log10_ratio``: the weakest evidence kept (no decision threshold can
    be lower). ``max_candidates``: synonyms tried per word, the most frequent first. ``relations``:
    WordNet pointers whose targets are candidates too (``@`` hypernyms: "firm" → "company", ``&``
    similar adjectives: "identical" → "same"). ``prior_weight``: how much of a candidate's higher
    unigram frequency is taken off its gain (a common word fits anywhere; without it "traverse" →
    "deny" looks like evidence). ``token_cap``: the most one word's probability change may add
    (one odd trigram of jargon is not a spun phrase). ``related_penalty``: what a hypernym or
    similar adjective pays on top (it is not a synonym); ``paraphrase_penalty``: what a
    :data:`PARAPHRASES` entry or a pad pays; ``length_penalty``: what each word more in the
    replacement than in the replaced phrase pays (a spinner lengthens; "increasingly" → "more and
    more" is no repair). All in log10 units. ``max_candidates`` and ``related_penalty`` were chosen
    on the dev split (a small grid; ``paraphrase_penalty`` 1.0 measured worse there), the others are
    set by hand.

    ``lm_model``: a folder with a ``transformers`` causal language model and its tokenizer; when set,
    the evidence is computed with it instead of the n-gram model (:mod:`pipeline.fluency_lm`: the
    same candidates, penalties and evidence), on ``lm_device`` (``cpu``, ``cuda``, ``auto``) with
    ``lm_threads`` CPU threads (0: torch's default), its results also kept in the model cache
    ``lm_cache`` (an SQLite file; None: only in memory).
    """

    wordnet_dir: str | None = None
    lm_path: str | None = None
    cache_dir: str | None = None
    min_log10_ratio: float = 1.4
    max_candidates: int = 3
    prior_weight: float = 0.7
    relations: str = "@&"
    token_cap: float = 3.0
    related_penalty: float = 1.0
    paraphrase_penalty: float = 0.5
    length_penalty: float = 1.0
    lm_model: str | None = None
    lm_device: str = "cpu"
    lm_threads: int = 0
    lm_cache: str | None = None

    def __post_init__(self) -> None:
        if not 0.0 < self.min_log10_ratio <= 20.0:
            raise ConfigurationError(f"[fluency] min_log10_ratio = {self.min_log10_ratio!r}: must be in (0, 20]")
        if not 1 <= self.max_candidates <= 100:
            raise ConfigurationError(f"[fluency] max_candidates = {self.max_candidates!r}: must be between 1 and 100")
        if not 0.0 <= self.prior_weight <= 2.0:
            raise ConfigurationError(f"[fluency] prior_weight = {self.prior_weight!r}: must be between 0 and 2")
        if not 0.5 <= self.token_cap <= 99.0:
            raise ConfigurationError(f"[fluency] token_cap = {self.token_cap!r}: must be between 0.5 and 99")
        for name in ("related_penalty", "paraphrase_penalty", "length_penalty"):
            if not 0.0 <= getattr(self, name) <= 20.0:
                raise ConfigurationError(f"[fluency] {name} = {getattr(self, name)!r}: must be between 0 and 20")
        if set(self.relations) - set("@~&$"):
            raise ConfigurationError(f"[fluency] relations = {self.relations!r}: WordNet pointers among @ ~ & $")
        if self.lm_device not in ("cpu", "cuda", "auto"):
            raise ConfigurationError(f"[models] device = {self.lm_device!r}: must be one of cpu, cuda, auto")
        if not 0 <= self.lm_threads <= 1024:
            raise ConfigurationError(f"[models] threads = {self.lm_threads!r}: must be between 0 and 1024")

    def resource_key(self) -> tuple:
        """The fields that decide which resources are loaded (the rest only change scoring)."""
        return (self.wordnet_dir, self.lm_path, self.cache_dir, self.max_candidates, self.relations)


@dataclass(frozen=True)
class FluencyThresholds:
    """The decision, separate from scoring (changing it never rescores).

    ``sentence``: a sentence is spun when its score (log10 ratio) reaches it. ``page_share``: a page
    (or article) fails when that share of its distinct scored sentences (``min_words`` words or
    more) is spun, and at least ``page_min_spun`` of them are (three odd sentences of a short help
    page are not a spun page). ``relaxed``: on a failing page, sentences are judged at this lower
    threshold — a spinner rewrites whole pages, so weaker evidence counts where strong evidence is
    already common. ``page_pattern_cap``: one substitution makes at most that many sentences of a
    page count (0: no cap; see :func:`document_fluency`). ``term_repeats``: on a page that does not
    fail, a substitution found in that many distinct sentences of the page or more is the page's
    own term ("dimension line" all over a drawing manual), not evidence (0: off). Chosen on the dev
    split (benchmarks/eval_fluency.py).
    """

    sentence: float = 2.23
    relaxed: float = 1.42
    page_share: float = 0.29
    min_words: int = 4
    page_min_spun: int = 4
    page_pattern_cap: int = 2
    term_repeats: int = 3

    def __post_init__(self) -> None:
        if not 0.0 < self.relaxed <= self.sentence <= 50.0:
            raise ConfigurationError(f"[fluency] relaxed = {self.relaxed!r}, sentence = {self.sentence!r}: "
                                     "need 0 < relaxed <= sentence <= 50")
        if not 0.0 < self.page_share <= 1.0:
            raise ConfigurationError(f"[fluency] page_share = {self.page_share!r}: must be in (0, 1]")
        if not 0 <= self.term_repeats <= 1000:
            raise ConfigurationError(f"[fluency] term_repeats = {self.term_repeats!r}: must be between 0 and 1000")
        if not 0 <= self.page_pattern_cap <= 1000:
            raise ConfigurationError(f"[fluency] page_pattern_cap = {self.page_pattern_cap!r}: must be between 0 and 1000")
        if not 1 <= self.page_min_spun <= 1000:
            raise ConfigurationError(f"[fluency] page_min_spun = {self.page_min_spun!r}: must be between 1 and 1000")


# ---------------------------------------------------------------------------
# Evidence
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SuspectPhrase:
    """One phrase of a sentence that a synonym would make far more usual.

    ``start``/``end``: character offsets of ``phrase`` in the sentence (the replaced words and the
    words after them whose probability changed). ``usual``: the same stretch with the synonym.
    ``replaced``/``replacement``: the words swapped. ``log10_ratio``: how many orders of magnitude
    more likely the sentence is with the replacement (2.0 = 100 times).
    """

    start: int
    end: int
    phrase: str
    usual: str
    replaced: str
    replacement: str
    log10_ratio: float


@dataclass(frozen=True)
class FluencyEvidence:
    """The fluency evidence of one sentence.

    ``score``: the largest ``log10_ratio`` of its phrases (0.0 without any); ``phrases``: the
    non-overlapping suspect phrases, strongest first; ``n_words``: words the model scored;
    ``lang``: the resources' language.
    """

    text: str
    score: float
    phrases: tuple[SuspectPhrase, ...] = ()
    n_words: int = 0
    lang: str = "en"


# ---------------------------------------------------------------------------
# Language resources
# ---------------------------------------------------------------------------


class LanguageResources(Protocol):
    """What the scorer needs from a language: words, their probabilities and their synonyms."""

    lang: str
    #: (word, prev1, prev2) -> what :meth:`logprob` returned for them; the scorer reads it first (the hot path)
    memo: dict[tuple[str, str | None, str | None], float | None]
    #: first word -> the longest replaceable phrase starting with it (absent: 1)
    phrase_len: dict[str, int]
    #: padded phrases ("chinese language"): tried even where their first word is capitalized
    pads: frozenset[str]

    def logprob(self, word: str, prev1: str | None, prev2: str | None) -> float | None:
        """log10 P(word | prev2 prev1); ``None`` when the word is unknown. A ``None`` history word
        means no context (after punctuation); ``"<s>"`` is the sentence start."""
        ...

    def alternatives(self, phrase: str) -> tuple[tuple[str, int], ...]:
        """Replacements of a lower-case word or space-joined phrase, most frequent first, each with
        its kind (``KIND_SYNONYM``, ``KIND_RELATED``: a hypernym or similar adjective,
        ``KIND_PARAPHRASE``, ``KIND_PAD``)."""
        ...

    def max_phrase_words(self, word: str) -> int:
        """Longest thesaurus phrase starting with ``word`` (1 when none)."""
        ...

    def is_candidate_source(self, word: str) -> bool:
        """Whether ``word`` may be replaced at all (function words are not)."""
        ...

    def unigram(self, phrase: str) -> float:
        """log10 prior probability of a word or space-joined phrase (its words' unigrams summed)."""
        ...

    def signature(self) -> str:
        """Names and versions of the resources, for the report's signature."""
        ...


_LN10 = math.log(10.0)


_MISSING = object()


class SphinxNGram:
    """An n-gram model read by ``pocketsphinx.NGramModel`` and queried directly.

    NOTES: the model's ARPA export is unreliable, its ``prob()`` is exact and fast (~1 µs). It
    returns 0 for an unknown word and takes the word first, then its history, nearest first; values
    are in Sphinx's log base 1.0001.
    """

    memo_size = 200_000  # n-gram probabilities remembered (~40 MB at most)

    def __init__(self, path: str | None = None) -> None:
        try:
            from pocketsphinx import NGramModel, get_model_path
        except ImportError as exc:
            raise FluencyUnavailable(
                "the n-gram language model needs pocketsphinx — run `pip install pocketsphinx`") from exc
        if path is None:
            path = os.path.join(get_model_path(), "en-us", "en-us.lm.bin")
        if not os.path.isfile(path):
            raise FluencyUnavailable(f"n-gram model {path}: no such file ([fluency] lm_path)")
        self.path = path
        self._model = NGramModel(None, None, path)
        self._scale = math.log(1.0001) / _LN10
        self._prob = self._model.prob
        self._memo: dict[tuple[str, str | None, str | None], float | None] = {}

    def logprob(self, word: str, prev1: str | None, prev2: str | None) -> float | None:
        key = (word, prev1, prev2)
        v = self._memo.get(key, _MISSING)
        if v is _MISSING:
            if prev1 is None:
                raw = self._prob([word])
            elif prev2 is None:
                raw = self._prob([word, prev1])
            else:
                raw = self._prob([word, prev1, prev2])
            v = None if raw == 0 else raw * self._scale
            if len(self._memo) >= self.memo_size:
                self._memo.clear()  # a bounded memory; the common n-grams come back at once
            self._memo[key] = v
        return v

    def known(self, word: str) -> bool:
        return self._prob([word]) != 0

    def unigram(self, word: str) -> float | None:
        raw = self._prob([word])
        return None if raw == 0 else raw * self._scale


# Function words never replaced: the spinner's swaps that matter are content words, and WordNet's
# entries for "in" (inch), "can" (tin), "will" (testament) would only cost time.
FUNCTION_WORDS = frozenset(["a", "an", "the", "this", "that", "these", "those", "some", "any", "each", "every", "all", "both", "either", "neither", "no", "not", "nor", "and", "or", "but", "if", "then", "than", "so", "as", "at", "by", "for", "from", "in", "into", "of", "off", "on", "onto", "out", "over", "to", "up", "upon", "with", "within", "without", "about", "above", "across", "after", "against", "along", "among", "around", "before", "behind", "below", "beneath", "beside", "between", "beyond", "down", "during", "except", "inside", "near", "outside", "since", "through", "throughout", "till", "toward", "towards", "under", "until", "via", "i", "me", "my", "mine", "we", "us", "our", "ours", "you", "your", "yours", "he", "him", "his", "she", "her", "hers", "it", "its", "they", "them", "their", "theirs", "who", "whom", "whose", "which", "what", "where", "when", "why", "how", "there", "here", "be", "am", "is", "are", "was", "were", "been", "being", "have", "has", "had", "having", "do", "does", "did", "doing", "will", "would", "shall", "should", "can", "could", "may", "might", "must", "ought", "one", "ones", "also", "just", "very", "too", "only", "even", "still", "yet", "ever", "never", "again", "once", "further", "more", "most", "much", "many", "few", "less", "least", "own", "same", "such", "other", "another", "s", "t", "don", "didn", "doesn", "isn", "aren", "wasn", "weren", "won", "wouldn"])


#: kinds of replacement: a synonym (same synset), a related word (hypernym, similar adjective), a
#: paraphrase of :data:`PARAPHRASES`, a padded word stripped of its pad ("Chinese language" -> "Chinese")
KIND_SYNONYM, KIND_RELATED, KIND_PARAPHRASE, KIND_PAD = 0, 1, 2, 3

#: What a spinner writes -> the usual English, for what a thesaurus lacks: function words and
#: fixed phrases (WordNet has neither conjunctions nor prepositions), and the spinner's phrase
#: expansions. Written from English usage and the development spun page (``corpora/demo/001_…``);
#: the language model still decides, in context, whether the usual form is far more likely.
PARAPHRASES: dict[str, tuple[str, ...]] = {
    "in accordance with": ("according to",),
    "whereas": ("while",),
    "additionally": ("also",),
    "however": ("but",),
    "within": ("in",),
    "a few": ("about",),
    "brand new": ("new",),
    "content material": ("content",),
    "legal guidelines": ("laws", "rules"),
    "legal guideline": ("law", "rule"),
    "could possibly be": ("could be",),
    "could also be": ("may be", "might be"),
    "might also be": ("may be",),
    "whether or not": ("whether",),
    "similar to": ("such as",),
    "akin to": ("such as",),
    "with a view to": ("in order to",),
    "in the event that": ("if",),
    "in the event you": ("if you",),
    "ought to": ("should",),
    "capable of": ("able to",),
    "and many others": ("etc",),
    "as properly": ("as well",),
    "once more": ("again",),
    "again": ("back",),
    "newest": ("latest",),
    "subsequent": ("next",),
    "every one": ("all",),
    "a whole lot of": ("a lot of",),
    "count on": ("expect",),
    "known as": ("called",),
    "because": ("as",),
    "is smart": ("makes sense",),
    "much more": ("even more",),
    "dad or mum": ("parent",),
    "possible": ("likely",),
    "doable": ("possible",),
    "as per": ("according to",),
    "the truth that": ("the fact that",),
}


class WordNetThesaurus:
    """Synonyms from WordNet 3.0's plain-text database (``data.*`` and ``*.exc``).

    Every lemma gets the other lemmas of all its synsets (every sense, every part of speech);
    inflected forms get the synonyms inflected alike (noun plurals, verb -s/-ed/-ing, adjective
    -er/-est), kept only when the language model knows the form. Compiled once into
    ``<cache_dir>/fluency/`` (a pickle named by a digest of the source files, the model and the
    settings) so that a process loads it in a fraction of a second.
    """

    def __init__(self, wordnet_dir: Path, lm: SphinxNGram, cache_dir: Path, max_candidates: int,
                 relations: str = "") -> None:
        self.wordnet_dir = wordnet_dir
        digest = _files_digest([wordnet_dir / f for f in WORDNET_FILES] + [Path(lm.path)],
                               f"v{THESAURUS_VERSION}|k{max_candidates}|r{relations}")
        compiled = cache_dir / "fluency" / f"thesaurus-en-{digest}.pickle"
        table = _load_pickle(compiled)
        if table is None:
            table = compile_thesaurus(wordnet_dir, lm, max_candidates, relations)
            _save_pickle(compiled, table)
        self.synonyms: dict[str, tuple[tuple[str, int], ...]] = table["synonyms"]
        self.phrase_len: dict[str, int] = table["phrase_len"]
        self.digest = digest


def _files_digest(paths: list[Path], extra: str) -> str:
    h = hashlib.sha256(extra.encode())
    for p in paths:
        st = p.stat()
        h.update(f"{p.name}:{st.st_size}:{int(st.st_mtime)}".encode())
    return h.hexdigest()[:16]


def _load_pickle(path: Path) -> dict | None:
    try:
        with open(path, "rb") as fh:
            return pickle.load(fh)
    except (OSError, pickle.UnpicklingError, EOFError):
        return None


def _save_pickle(path: Path, obj: dict) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only cache costs a recompile per process, nothing else


_POS_FILES = {"n": "noun", "v": "verb", "a": "adj", "r": "adv"}


def read_wordnet_synsets(wordnet_dir: Path, relations: str = "") -> list[tuple[str, list[str], list[str]]]:
    """``(pos, lemmas, related lemmas)`` of every synset in WordNet's ``data.*`` files; lemmas
    lower-case, with spaces for WordNet's underscores and adjective markers such as ``(a)`` removed.
    ``relations``: WordNet pointer symbols whose target synsets' lemmas are the related lemmas
    (``@`` hypernym, ``&`` similar to, ``$`` verb group).

    Each line of a data file is ``offset lex_filenum ss_type w_cnt word lex_id ... p_cnt pointer...``
    with ``w_cnt`` in hexadecimal and each pointer ``symbol offset pos source/target``; lines
    starting with two spaces are the licence."""
    raw: list[tuple[str, list[str], list[tuple[str, str]]]] = []
    by_offset: dict[tuple[str, str], list[str]] = {}
    for pos, name in _POS_FILES.items():
        path = wordnet_dir / f"data.{name}"
        try:
            fh = open(path, encoding="utf-8", errors="replace")  # noqa: SIM115 (closed by the with below)
        except OSError as exc:
            raise FluencyUnavailable(f"WordNet file {path}: {exc.strerror} — run `{FETCH_COMMAND}`") from exc
        with fh:
            for line in fh:
                if line.startswith("  "):
                    continue
                fields = line.split(" | ", 1)[0].split()
                try:
                    count = int(fields[3], 16)
                    n_ptr = int(fields[4 + 2 * count])
                except (IndexError, ValueError) as exc:
                    raise FluencyUnavailable(f"WordNet file {path}: unreadable line {line[:60]!r}") from exc
                lemmas = []
                for k in range(count):
                    lemma = fields[4 + 2 * k]
                    paren = lemma.find("(")
                    if paren > 0:
                        lemma = lemma[:paren]
                    lemmas.append(lemma.replace("_", " ").lower())
                ptrs = []
                if relations:
                    base = 5 + 2 * count
                    for k in range(n_ptr):
                        sym, off, ppos, st = fields[base + 4 * k: base + 4 * k + 4]
                        if sym in relations and st == "0000":
                            ptrs.append(("a" if ppos == "s" else ppos, off))
                key_pos = "a" if fields[2] == "s" else fields[2]
                by_offset[(key_pos, fields[0])] = lemmas
                raw.append((pos, lemmas, ptrs))
    return [(pos, lemmas, [x for p in ptrs for x in by_offset.get(p, ())]) for pos, lemmas, ptrs in raw]


def read_wordnet_exceptions(wordnet_dir: Path) -> dict[str, dict[str, list[str]]]:
    """``{pos: {inflected form: [base forms]}}`` from WordNet's ``*.exc`` files."""
    out: dict[str, dict[str, list[str]]] = {}
    for pos, name in (("n", "noun"), ("v", "verb"), ("a", "adj")):
        table: dict[str, list[str]] = {}
        path = wordnet_dir / f"{name}.exc"
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    parts = line.split()
                    if len(parts) >= 2:
                        table[parts[0].replace("_", " ")] = [p.replace("_", " ") for p in parts[1:]]
        except OSError as exc:
            raise FluencyUnavailable(f"WordNet file {path}: {exc.strerror} — run `{FETCH_COMMAND}`") from exc
        out[pos] = table
    return out


# (tag, pos): regular endings; inflect() tries each and the model's vocabulary decides.
_INFLECTIONS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "pl": ("n", (("s", ""), ("es", ""), ("ies", "y"), ("es", "e"))),
    "3sg": ("v", (("s", ""), ("es", ""), ("ies", "y"), ("es", "e"))),
    "ed": ("v", (("ed", ""), ("d", "e"), ("ied", "y"), ("ed", "e"))),
    "ing": ("v", (("ing", ""), ("ing", "e"), ("ying", "ie"))),
    "er": ("a", (("er", ""), ("r", "e"), ("ier", "y"))),
    "est": ("a", (("est", ""), ("st", "e"), ("iest", "y"))),
}


def _regular_forms(base: str, tag: str) -> list[str]:
    """Candidate inflections of ``base`` (the last word of a phrase) for ``tag``."""
    _, rules = _INFLECTIONS[tag]
    head, _, last = base.rpartition(" ")
    if tag in ("3sg", "ed", "ing") and head:  # a phrasal verb inflects its first word
        first, _, tail = base.partition(" ")
        return [f"{f} {tail}" for f in _regular_forms(first, tag)]
    forms = []
    for ending, strip in rules:
        if strip and not last.endswith(strip):
            continue
        stem = last[: len(last) - len(strip)] if strip else last
        forms.append(stem + ending)
    if tag in ("ed", "ing") and len(last) >= 3 and last[-1] not in "aeiouwxy" and last[-2] in "aeiou" \
            and last[-3] not in "aeiou":
        forms.append(last + last[-1] + ("ed" if tag == "ed" else "ing"))  # stop -> stopped
    return [f"{head} {f}" if head else f for f in forms]


def compile_thesaurus(wordnet_dir: Path, lm: SphinxNGram, max_candidates: int, relations: str = "") -> dict:
    """Build the surface-form synonym table from WordNet and the model's vocabulary.

    Returns ``{"synonyms": {form: ((synonym form, only related), ...) most frequent first},
    "phrase_len": {first word: longest phrase length}}``; "only related" marks a form that shares no
    synset with ``form`` but comes through one of ``relations``. A form is kept only when every word of it is known to the model."""
    synsets = read_wordnet_synsets(wordnet_dir, relations)
    exceptions = read_wordnet_exceptions(wordnet_dir)
    lemma_pos: dict[str, set[str]] = {}
    syn: dict[str, set[str]] = {}
    close: dict[str, set[str]] = {}  # same-synset mates; the rest of syn comes through a relation
    pads: dict[str, str] = {}  # "chinese language" -> "chinese": a language name padded with "language"
    for pos, lemmas, related in synsets:
        # a spinner writes WordNet's "brand-new" as "brand new": the spaced form is a key too
        keys = lemmas + [x.replace("-", " ") for x in lemmas if "-" in x.strip("-")]
        for lemma in keys:
            lemma_pos.setdefault(lemma, set()).add(pos)
            syn.setdefault(lemma, set()).update(x for x in lemmas + related if x != lemma)
            close.setdefault(lemma, set()).update(x for x in lemmas if x != lemma)
        if pos == "n" and any(r == "language" or r.endswith(" language") for r in related):
            for lemma in lemmas:
                if " " not in lemma and "-" not in lemma:
                    pads[f"{lemma} language"] = lemma

    freq_cache: dict[str, float | None] = {}

    def freq(form: str) -> float | None:
        """log10 unigram probability of a form (sum over its words); None when a word is unknown."""
        if form not in freq_cache:
            total = 0.0
            for w in form.split(" "):
                p = lm.unigram(w)
                if p is None:
                    freq_cache[form] = None
                    break
                total += p
            else:
                freq_cache[form] = total
        return freq_cache[form]

    irregular: dict[tuple[str, str], list[str]] = {}  # (base, pos) -> irregular inflected forms
    for pos, table in exceptions.items():
        for form, bases in table.items():
            for b in bases:
                irregular.setdefault((b, pos), []).append(form)

    def inflect(base: str, tag: str) -> str | None:
        pos = _INFLECTIONS[tag][0]
        # an irregular form must look like the tag ("had" and "has" are both forms of "have")
        fits = {"3sg": ("s",), "ing": ("ing",), "er": ("er",), "est": ("est",)}.get(tag)
        options = [f for f in irregular.get((base, pos), []) if f != base and (fits is None or f.endswith(fits))
                   and not (tag == "ed" and f.endswith(("ing", "s")))] + _regular_forms(base, tag)
        scored = [(freq(f), f) for f in options]
        known = [(p, f) for p, f in scored if p is not None]
        return max(known)[1] if known else None

    surface: dict[str, set[str]] = {}
    surface_close: dict[str, set[str]] = {}

    def add(form: str, alts: Iterable[str], closes: Iterable[str]) -> None:
        if freq(form) is None:
            return
        surface.setdefault(form, set()).update(a for a in alts if a != form)
        surface_close.setdefault(form, set()).update(a for a in closes if a != form)

    for lemma, mates in syn.items():
        if not mates:
            continue
        add(lemma, (m for m in mates if freq(m) is not None), close[lemma])
        for tag, (pos, _) in _INFLECTIONS.items():
            if pos not in lemma_pos[lemma]:
                continue
            form = inflect(lemma, tag)
            if form is None or form == lemma:
                continue
            alts, closes = [], []
            for m in mates:
                if pos in lemma_pos.get(m, ()):
                    f = inflect(m, tag)
                    if f is not None:
                        alts.append(f)
                        if m in close[lemma]:
                            closes.append(f)
            add(form, alts, closes)

    synonyms: dict[str, tuple[tuple[str, int], ...]] = {}
    phrase_len: dict[str, int] = {}
    for form, alts in surface.items():
        if form in FUNCTION_WORDS:
            continue  # WordNet's "in" (inch), "can" (tin), "it" (information technology)
        ranked = sorted((a for a in alts if freq(a) is not None and a.replace("-", " ") != form.replace("-", " ")),
                        key=lambda a: -(freq(a) or -99.0))
        if not ranked:
            continue
        synonyms[form] = tuple((a, KIND_RELATED if a not in surface_close[form] else KIND_SYNONYM)
                               for a in ranked[:max_candidates])
    for padded, name in pads.items():
        if freq(padded) is not None and padded not in synonyms:
            synonyms[padded] = ((name, KIND_PAD),)
    for form in synonyms:
        n = form.count(" ") + 1
        if n > 1:
            first = form.split(" ", 1)[0]
            phrase_len[first] = max(phrase_len.get(first, 1), n)
    return {"synonyms": synonyms, "phrase_len": phrase_len}


class EnglishResources:
    """English: CMU's en-us trigram model (pocketsphinx) and WordNet 3.0 (Debian ``wordnet-base``)."""

    lang = "en"

    def __init__(self, cfg: FluencyConfig) -> None:
        self.lm = SphinxNGram(cfg.lm_path)
        wordnet_dir = find_wordnet(cfg)
        cache = Path(cfg.cache_dir) if cfg.cache_dir else default_cache_dir()
        self.thesaurus = WordNetThesaurus(wordnet_dir, self.lm, cache, cfg.max_candidates, cfg.relations)
        self._synonyms = dict(self.thesaurus.synonyms)
        self._phrase_len = dict(self.thesaurus.phrase_len)
        for spun, usual in PARAPHRASES.items():
            have = tuple(x for x in self._synonyms.get(spun, ()) if x[0] not in usual)
            self._synonyms[spun] = tuple((u, KIND_PARAPHRASE) for u in usual) + have
            first, n = spun.split(" ", 1)[0], spun.count(" ") + 1
            self._phrase_len[first] = max(self._phrase_len.get(first, 1), n)
        self.logprob = self.lm.logprob  # type: ignore[method-assign]  # the hot path, without a call layer
        self.memo = self.lm._memo
        self.phrase_len = self._phrase_len
        self.pads = frozenset(k for k, alts in self._synonyms.items() if alts and alts[0][1] == KIND_PAD)
        self._unigram: dict[str, float] = {}

    def logprob(self, word: str, prev1: str | None, prev2: str | None) -> float | None:
        return self.lm.logprob(word, prev1, prev2)

    def alternatives(self, phrase: str) -> tuple[tuple[str, int], ...]:
        return self._synonyms.get(phrase, ())

    def max_phrase_words(self, word: str) -> int:
        return self._phrase_len.get(word, 1)

    def is_candidate_source(self, word: str) -> bool:
        return word not in FUNCTION_WORDS

    def unigram(self, phrase: str) -> float:
        v = self._unigram.get(phrase)
        if v is None:
            v = sum(self.lm.unigram(w) or -8.0 for w in phrase.split(" "))
            self._unigram[phrase] = v
        return v

    def signature(self) -> str:
        return f"en:pocketsphinx-en-us:{Path(self.lm.path).name}|wordnet-3.0:{self.thesaurus.digest}"


def find_wordnet(cfg: FluencyConfig) -> Path:
    """The WordNet folder: ``[fluency] wordnet_dir``, else ``/usr/share/wordnet``, else the cache's
    ``wordnet`` folder. Raises :class:`FluencyUnavailable` naming the places looked in."""
    if cfg.wordnet_dir:
        folder = Path(cfg.wordnet_dir)
        missing = [f for f in WORDNET_FILES if not (folder / f).is_file()]
        if missing:
            raise FluencyUnavailable(f"[fluency] wordnet_dir = {cfg.wordnet_dir!r}: no {', '.join(missing)} there "
                                     f"— point it at WordNet 3.0's dict folder or run `{FETCH_COMMAND}`")
        return folder
    cache = Path(cfg.cache_dir) if cfg.cache_dir else default_cache_dir()
    places = [Path("/usr/share/wordnet"), cache / "wordnet"]
    for folder in places:
        if all((folder / f).is_file() for f in WORDNET_FILES):
            return folder
    raise FluencyUnavailable(f"WordNet 3.0 not found (looked in {', '.join(map(str, places))}) "
                             f"— run `{FETCH_COMMAND}` or `apt-get install {WORDNET_PACKAGE}`")


def fetch_wordnet(cache_dir: Path | None = None) -> Path:
    """Download Debian's ``wordnet-base`` with ``apt-get download`` and extract its database into
    ``<cache_dir>/wordnet``; a ``.deb`` already in ``<cache_dir>/debian`` is used as it is.

    Returns the folder. Raises :class:`FluencyUnavailable` when the package cannot be had."""
    cache = cache_dir or default_cache_dir()
    debs_dir = cache / "debian"
    debs_dir.mkdir(parents=True, exist_ok=True)
    debs = sorted(debs_dir.glob(f"{WORDNET_PACKAGE}_*.deb"))
    if not debs:
        if shutil.which("apt-get") is None:
            raise FluencyUnavailable(f"apt-get not found and no {WORDNET_PACKAGE} .deb in {debs_dir}")
        tmp = Path(tempfile.mkdtemp(prefix=".dl-", dir=debs_dir))
        try:
            proc = subprocess.run(["apt-get", "-q", "-o", "APT::Sandbox::User=root", "download", WORDNET_PACKAGE],
                                  cwd=tmp, capture_output=True, text=True, timeout=600, check=False)
            got = sorted(tmp.glob(f"{WORDNET_PACKAGE}_*.deb"))
            if proc.returncode != 0 or not got:
                raise FluencyUnavailable(f"apt-get download {WORDNET_PACKAGE} failed: {proc.stderr.strip()[-300:]}")
            target = debs_dir / got[0].name
            os.replace(got[0], target)
            debs = [target]
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    out = cache / "wordnet"
    extract_wordnet_deb(debs[-1], out)
    return out


def extract_wordnet_deb(deb: Path, out: Path) -> None:
    """Extract ``usr/share/wordnet/*`` of a ``wordnet-base`` package into ``out`` (atomically)."""
    tar_bytes = _deb_data_tar(deb)
    tmp = Path(tempfile.mkdtemp(prefix=".wordnet-", dir=out.parent if out.parent.exists() else None))
    try:
        with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tar:
            for member in tar.getmembers():
                name = member.name.lstrip("./")
                if member.isfile() and name.startswith("usr/share/wordnet/") and "/" not in name[18:]:
                    data = tar.extractfile(member)
                    if data is not None:
                        (tmp / name[18:]).write_bytes(data.read())
        missing = [f for f in WORDNET_FILES if not (tmp / f).is_file()]
        if missing:
            raise FluencyUnavailable(f"{deb}: no {', '.join(missing)} in usr/share/wordnet")
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _deb_data_tar(deb: Path) -> bytes:
    """The uncompressed data tarball of a ``.deb`` (an ``ar`` archive), read without dpkg."""
    import gzip
    import lzma

    with open(deb, "rb") as fh:
        if fh.read(8) != b"!<arch>\n":
            raise FluencyUnavailable(f"{deb}: not a Debian package")
        while True:
            header = fh.read(60)
            if len(header) < 60:
                raise FluencyUnavailable(f"{deb}: no data.tar member")
            name = header[:16].decode().strip().rstrip("/")
            size = int(header[48:58].decode().strip())
            data = fh.read(size)
            if size % 2:
                fh.read(1)
            if name.startswith("data.tar"):
                break
    if name.endswith(".xz"):
        return lzma.decompress(data)
    if name.endswith(".gz"):
        return gzip.decompress(data)
    if name.endswith(".zst"):
        raise FluencyUnavailable(f"{deb}: zstd-compressed; install it with `apt-get install {WORDNET_PACKAGE}`")
    return data


#: language -> resources class; a new language is one entry (a model and a thesaurus behind the protocol)
RESOURCES: dict[str, type] = {"en": EnglishResources}


def load_resources(lang: str, cfg: FluencyConfig) -> LanguageResources:
    """The resources of ``lang``, loaded once per process and resource configuration."""
    if lang not in RESOURCES:
        raise FluencyUnavailable(f"no fluency resources for language {lang!r} (have: {', '.join(sorted(RESOURCES))})")
    key = (lang, *cfg.resource_key())
    res = _LOADED.get(key)
    if res is None:
        res = _LOADED[key] = RESOURCES[lang](cfg)
    return res


_LOADED: dict[tuple, LanguageResources] = {}


def fluency_availability(lang: str = "en", cfg: FluencyConfig | None = None) -> str | None:
    """``None`` when the stage can run for ``lang``, else why not and the command that fixes it
    (what a stage reports as ``skipped: …``)."""
    try:
        load_resources(lang, cfg or FluencyConfig())
    except FluencyUnavailable as exc:
        return str(exc)
    return None


# ---------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------

# Words (apostrophes and inner hyphens kept), numbers, and single punctuation marks (which break
# the n-gram context: a chunk is a run of words between them).
_TOKEN_RE = re.compile(r"([^\W\d_]+(?:['’\-][^\W\d_]+)*)|(\d[\d.,:/]*)|([^\w\s])", re.UNICODE)
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'"})
# a whitespace-delimited token with these is code, a path, a key combination or markup: its words are opaque
_CODE_HINT_RE = re.compile(r"[/\\_=*+<>{}\[\]@#$%^&|~]|[^\W\d_]\.[^\W\d_]|(?<!\S)-|\d[^\W\d_]|[^\W\d_]\d")
_CODE_TOKEN_RE = re.compile(r"(?<!\S)\S*(?:[/\\_=*+<>{}\[\]@#$%^&|~]|[^\W\d_]\.[^\W\d_]|(?<!\S)-|\d[^\W\d_]|[^\W\d_]\d)\S*")
_OPENERS = frozenset(".!?:;“\"‘(«—–")  # after these a capital letter starts a sentence (or a quote)


def _chunks(text: str) -> list[tuple[list[str | None], list[int], list[tuple[int, int]]]]:
    """Word runs of ``text`` between punctuation: per run its words (lower case; None for a
    number), whether each is opaque (0 no, 1 a capitalized word, 2 code or a number), and their
    character spans.

    Opaque words (kept as context, never replaced and never counted as evidence): words with a
    capital letter inside ("TikTok", "MODE") or a capital initial anywhere but at the start of a
    sentence (names, UI labels, "Smart Tags"), every capitalized word of a title-case line, and the
    words of a token that is code, a path or a key combination ("*.oxt", "--output-error", "Shift+F10")."""
    raw = [m.span() for m in _CODE_TOKEN_RE.finditer(text)] if _CODE_HINT_RE.search(text) else []
    n_raw = len(raw)
    ri = 0
    low = text.translate(_APOSTROPHES).lower()
    same_length = len(low) == len(text)
    chunks = []
    words: list[str | None] = []
    opaque: list[int] = []
    spans: list[tuple[int, int]] = []
    prev_punct = True  # the text's first word starts a sentence
    caps = longer = 0
    for m in _TOKEN_RE.finditer(text):
        kind = m.lastindex
        if kind == 1:
            s, e = m.span()
            c = text[s]
            hidden = 0
            if n_raw:
                while ri < n_raw and raw[ri][1] <= s:
                    ri += 1
                if ri < n_raw and raw[ri][0] <= s:
                    hidden = 2
            if not hidden:
                rest = text[s + 1:e]
                if rest != rest.lower():
                    hidden = 2
                elif not prev_punct and c.isupper():
                    hidden = 1
            if e - s > 3:
                longer += 1
                caps += c.isupper()
            words.append(low[s:e] if same_length else m.group(1).translate(_APOSTROPHES).lower())
            opaque.append(hidden)
            spans.append((s, e))
            prev_punct = False
        elif kind == 2:
            words.append(None)
            opaque.append(2)
            spans.append(m.span())
            prev_punct = False
        else:
            if words:
                chunks.append((words, opaque, spans))
                words, opaque, spans = [], [], []
            prev_punct = m.group(3) in _OPENERS
    if words:
        chunks.append((words, opaque, spans))
    if longer >= 2 and caps >= 0.6 * longer:  # a title: its capitals say nothing about names
        for _, op, sp in chunks:
            for k, (s, _) in enumerate(sp):
                if text[s].isupper() and not op[k]:
                    op[k] = 1
    return chunks


@dataclass
class FluencyScorer:
    """Scores sentences of one language; resources load on first use, results are cached per text.

    ``score(sentences)`` returns one :class:`FluencyEvidence` per sentence, in order; scoring a
    sentence alone or in a batch gives the same evidence. With ``cfg.lm_model`` the evidence comes
    from that causal language model (:class:`pipeline.fluency_lm.LMFluencyScorer`, loaded on first
    use) instead of the n-gram model; the candidates are this class's either way.
    """

    lang: str = "en"
    cfg: FluencyConfig = field(default_factory=FluencyConfig)
    cache_size: int = 200_000
    _cache: dict[str, FluencyEvidence] = field(default_factory=dict, repr=False)
    _prepared: dict[str, tuple[tuple[tuple[str, ...], float], ...]] = field(default_factory=dict, repr=False)
    _windows: dict[tuple, tuple[float, tuple[str, ...]] | None] = field(default_factory=dict, repr=False)
    _lm: LMFluencyScorer | None = field(default=None, repr=False)

    @property
    def resources(self) -> LanguageResources:
        return load_resources(self.lang, self.cfg)

    def lm_scorer(self) -> LMFluencyScorer:
        """The causal-LM backend of this scorer (``cfg.lm_model``), its model loaded on first use."""
        if self._lm is None:
            from .fluency_lm import LMFluencyScorer

            self._lm = LMFluencyScorer(self)
        return self._lm

    def score(self, sentences: Sequence[str]) -> list[FluencyEvidence]:
        """Evidence for every sentence of ``sentences`` (same length, same order)."""
        if self.cfg.lm_model:
            return self.lm_scorer().score(sentences)
        res = self.resources
        out = []
        cache = self._cache
        for text in sentences:
            ev = cache.get(text)
            if ev is None:
                ev = self._score_one(text, res)
                if len(cache) >= self.cache_size:
                    cache.clear()
                cache[text] = ev
            out.append(ev)
        if len(out) != len(sentences):
            raise AssertionError("fluency: one evidence per sentence")
        return out

    def _alternatives(self, key: str, res: LanguageResources) -> tuple[tuple[tuple[str, ...], float], ...]:
        """The replacements of a word or phrase with their fixed cost (log10): the frequency prior,
        the penalty of their kind and of a longer replacement."""
        got = self._prepared.get(key)
        if got is None:
            cfg = self.cfg
            n_key = key.count(" ") + 1
            prior_key = res.unigram(key)
            kind_penalty = (0.0, cfg.related_penalty, cfg.paraphrase_penalty, cfg.paraphrase_penalty)
            prepared = []
            for alt, kind in res.alternatives(key):
                words = tuple(alt.split(" "))
                penalty = kind_penalty[int(kind)]
                if kind < 2:
                    penalty += cfg.prior_weight * max(0.0, res.unigram(alt) - prior_key)
                penalty += cfg.length_penalty * max(0, len(words) - n_key)
                prepared.append((words, penalty))
            prepared.sort(key=lambda x: x[1])  # cheapest first: the search stops at the first that cannot win
            got = self._prepared[key] = tuple(prepared)
        return got

    def _score_one(self, text: str, res: LanguageResources) -> FluencyEvidence:
        cfg = self.cfg
        floor, cap = cfg.min_log10_ratio, cfg.token_cap
        lp = res.logprob
        memo = res.memo
        memo_get = memo.get
        phrase_len = res.phrase_len
        pads = res.pads
        prepared = self._prepared
        windows = self._windows
        best_of = self._best
        found: list[SuspectPhrase] = []
        n_words = 0
        for ci, (words, opaque, spans) in enumerate(_chunks(text)):
            n = len(words)
            # history of position k: (prev1, prev2); a chunk after punctuation starts without context
            padded: list[str | None] = [None, "<s>" if ci == 0 else None, *words]
            base = []
            for k, w in enumerate(words):
                if w is None:
                    base.append(0.0)
                    continue
                h1 = padded[k + 1]
                key3 = (w, h1, padded[k] if h1 is not None else None)
                v = memo_get(key3, _MISSING)
                if v is _MISSING:
                    v = lp(*key3)
                if v is None:
                    base.append(0.0)
                else:
                    base.append(v)
                    n_words += not opaque[k]
            for i, w in enumerate(words):
                if w is None or base[i] == 0.0:
                    continue
                first_span = 1
                if opaque[i]:
                    # a capitalized word is a name, but "Chinese language" is still the spinner's pad
                    if opaque[i] == 2 or i + 1 >= n or opaque[i + 1] or words[i + 1] is None \
                            or f"{w} {words[i + 1]}" not in pads:
                        continue
                    first_span = 2
                for span in range(first_span, min(phrase_len.get(w, 1), n - i) + 1):
                    j = i + span
                    if span > 1 and (None in words[i:j] or any(opaque[i + 1:j]) or 0.0 in base[i:j]):
                        break
                    key = w if span == 1 else " ".join(words[i:j])  # type: ignore[arg-type]
                    alts = prepared.get(key)
                    if alts is None:
                        alts = self._alternatives(key, res)
                    if not alts:
                        continue
                    tail = min(n, j + 2)
                    wkey = (padded[i], padded[i + 1], span, *words[i:tail], *opaque[j:tail])
                    hit = windows.get(wkey, _MISSING)
                    if hit is _MISSING:
                        hit = best_of(alts, padded, words, opaque, base, i, j, tail, lp, memo_get, floor, cap)
                        if len(windows) >= self.cache_size:
                            windows.clear()
                        windows[wkey] = hit
                    if hit is not None:
                        found.append(self._phrase(text, spans, i, j, tail, " ".join(hit[1]), hit[0]))
        if not found:
            return FluencyEvidence(text, 0.0, (), n_words, self.lang)
        found.sort(key=lambda p: -p.log10_ratio)
        kept: list[SuspectPhrase] = []
        for p in found:
            if all(p.end <= q.start or p.start >= q.end for q in kept):
                kept.append(p)
        return FluencyEvidence(text, round(kept[0].log10_ratio, 3), tuple(kept), n_words, self.lang)

    @staticmethod
    def _best(alts, padded, words, opaque, base, i, j, tail, lp, memo_get, floor, cap):
        """The best replacement of ``words[i:j]`` as ``(gain, words)``, or None below ``floor``.

        The gain is exact for a trigram model: the replaced words and the two after them change.
        Each following word adds at most ``cap`` (one odd trigram of jargon is no spun phrase);
        opaque following words add nothing. The replacements' own words are scored first and the
        following words only for those that can still win, best first (the search stays exact)."""
        old_rep = base[i] if j == i + 1 else sum(base[i:j])
        follow = words[j:tail]
        follow_base = base[j:tail]
        follow_op = opaque[j:tail]
        n_follow = tail - j
        room = [0.0] * (n_follow + 1)  # room[k]: the most the following words from k on can add
        for k in range(n_follow - 1, -1, -1):
            b = 0.0 if follow_op[k] or follow[k] is None else -follow_base[k]
            room[k] = room[k + 1] + (cap if b > cap else b)  # noqa: FURB136 (the hot loop: no call)
        follow_max = room[0]
        if follow_max - old_rep < floor:
            return None  # no replacement can gain more than the window's own cost
        p2, p1 = padded[i], padded[i + 1]
        missing = _MISSING
        own_max = -old_rep if -old_rep < cap else cap  # noqa: FURB136
        first_h2 = p2 if p1 is not None else None
        scored = []
        for alt_words, penalty in alts:
            if own_max - penalty + follow_max < floor:
                break  # this one and every costlier one cannot reach the floor
            # the replacement's own words, in the original history
            if len(alt_words) == 1:
                a = alt_words[0]
                key3 = (a, p1, first_h2)
                rep = memo_get(key3, missing)
                if rep is missing:
                    rep = lp(a, p1, first_h2)
                if rep is None:
                    continue
                h2, h1 = p1, a
            else:
                rep = 0.0
                h2, h1 = p2, p1
                for a in alt_words:
                    key3 = (a, h1, h2 if h1 is not None else None)
                    v = memo_get(key3, missing)
                    if v is missing:
                        v = lp(*key3)
                    if v is None:
                        rep = None
                        break
                    rep += v
                    h2, h1 = h1, a
                if rep is None:
                    continue
            gain = rep - old_rep
            gain = (cap if gain > cap else gain) - penalty  # noqa: FURB136
            if gain + follow_max >= floor:
                scored.append((gain, alt_words, h1, h2))
        if not scored:
            return None
        if len(scored) > 1:
            scored.sort(key=lambda x: -x[0])
        best = None
        bar = floor
        for gain, alt_words, h1, h2 in scored:
            if gain + follow_max < bar:
                break  # sorted: no later one can reach the bar either
            for k in range(n_follow):
                tok = follow[k]
                if tok is not None and not follow_op[k]:
                    if gain + room[k] < bar:
                        gain = -99.0
                        break
                    key3 = (tok, h1, h2 if h1 is not None else None)
                    v = memo_get(key3, missing)
                    if v is missing:
                        v = lp(*key3)
                    if v is not None:
                        d = v - follow_base[k]
                        gain += cap if d > cap else d  # noqa: FURB136
                h2, h1 = h1, tok
            if gain >= bar:
                best, bar = (gain, alt_words), gain
        return best

    @staticmethod
    def _phrase(text: str, spans: list[tuple[int, int]], i: int, j: int, tail: int, alt: str,
                delta: float) -> SuspectPhrase:
        start, end = spans[i][0], spans[tail - 1][1]
        replaced = text[start:spans[j - 1][1]]
        phrase = text[start:end]
        replacement = alt
        if replaced[:1].isupper():
            replacement = alt[:1].upper() + alt[1:]
        usual = replacement + text[spans[j - 1][1]:end]
        return SuspectPhrase(start, end, phrase, usual, replaced, replacement, round(delta, 3))


# ---------------------------------------------------------------------------
# Deciding
# ---------------------------------------------------------------------------


def format_phrase(p: SuspectPhrase) -> str:
    """‘keep of execution’ — usual: ‘stay of execution’ (×10^8)"""
    return f"‘{p.phrase}’ — usual: ‘{p.usual}’ ({_ratio(p.log10_ratio)} as likely)"


def _ratio(log10_ratio: float) -> str:
    if log10_ratio < 6:
        return f"{10 ** log10_ratio:,.0f}×"
    return f"10^{log10_ratio:.0f}×"


def decide(evidence: FluencyEvidence, threshold: float, max_phrases: int = 3) -> str | None:
    """The reason a reviewer sees when ``evidence`` passes ``threshold`` (a log10 ratio), else None."""
    if evidence.score < threshold:
        return None
    shown = [p for p in evidence.phrases if p.log10_ratio >= threshold][:max_phrases]
    more = sum(1 for p in evidence.phrases if p.log10_ratio >= threshold) - len(shown)
    reason = "reads as synonym-spun: " + "; ".join(format_phrase(p) for p in shown)
    return reason + (f"; and {more} more" if more > 0 else "")


@dataclass(frozen=True)
class DocumentFluency:
    """A page's fluency: ``n_scored`` sentences with at least ``min_words`` scored words,
    ``n_spun`` of them past the threshold, ``share`` = n_spun / n_scored (0.0 when none)."""

    n_scored: int
    n_spun: int
    share: float


def document_fluency(evidence: Sequence[FluencyEvidence], threshold: float, min_words: int = 4,
                     pattern_cap: int = 0) -> DocumentFluency:
    """Aggregate the sentences of one page (or article) at a sentence threshold.

    A sentence repeated on the page counts once (help pages repeat their instructions). With
    ``pattern_cap`` > 0, one substitution ("dimension" -> "property") makes at most that many
    sentences count: a page that uses one term throughout is not a spun page, a spinner's page
    has many different odd phrases."""
    distinct = {e.text: e for e in evidence if e.n_words >= min_words}
    spun = 0
    seen: dict[tuple[str, str], int] = {}
    for e in distinct.values():
        if e.score < threshold:
            continue
        patterns = [(p.replaced.lower(), p.replacement.lower()) for p in e.phrases if p.log10_ratio >= threshold]
        if pattern_cap and patterns and all(seen.get(k, 0) >= pattern_cap for k in patterns):
            continue
        spun += 1
        for k in patterns:
            seen[k] = seen.get(k, 0) + 1
    return DocumentFluency(len(distinct), spun, spun / len(distinct) if distinct else 0.0)


def page_fails(doc: DocumentFluency, thresholds: FluencyThresholds) -> bool:
    """Whether a page with aggregate ``doc`` (at ``thresholds.sentence``) fails the fluency check."""
    return doc.n_spun >= thresholds.page_min_spun and doc.share >= thresholds.page_share


def decide_document(evidence: Sequence[FluencyEvidence], thresholds: FluencyThresholds | None = None,
                    ) -> tuple[DocumentFluency, list[str | None]]:
    """The two-level decision for the sentences of one page (or article), in order.

    The page's share of distinct sentences at ``thresholds.sentence`` decides whether it fails
    (:func:`page_fails`); on a failing page every sentence is judged at ``relaxed``, elsewhere at
    ``sentence``. Returns the page aggregate and one reason (or None) per sentence."""
    t = thresholds or FluencyThresholds()
    doc = document_fluency(evidence, t.sentence, t.min_words, t.page_pattern_cap)
    if page_fails(doc, t):
        level, judged = t.relaxed, list(evidence)
    else:
        level, judged = t.sentence, _without_page_terms(evidence, t.term_repeats, t.relaxed)
    reasons = [decide(e, level) if e.n_words >= t.min_words or e.score >= t.sentence else None for e in judged]
    if len(reasons) != len(evidence):
        raise AssertionError("fluency: one decision per sentence")
    return doc, reasons


def page_terms(evidence: Sequence[FluencyEvidence], repeats: int, level: float) -> set[tuple[str, str]]:
    """The substitutions (replaced, replacement) found at ``level`` in ``repeats`` or more distinct
    sentences of a page: the page's own terms, not evidence (empty when ``repeats`` is 0)."""
    if repeats <= 0:
        return set()
    counts: dict[tuple[str, str], int] = {}
    for e in {e.text: e for e in evidence}.values():
        for k in {(p.replaced.lower(), p.replacement.lower()) for p in e.phrases if p.log10_ratio >= level}:
            counts[k] = counts.get(k, 0) + 1
    return {k for k, n in counts.items() if n >= repeats}


def without_terms(e: FluencyEvidence, terms: set[tuple[str, str]]) -> FluencyEvidence:
    """``e`` without the phrases whose substitution is one of ``terms``."""
    kept = tuple(p for p in e.phrases if (p.replaced.lower(), p.replacement.lower()) not in terms)
    if len(kept) == len(e.phrases):
        return e
    return FluencyEvidence(e.text, kept[0].log10_ratio if kept else 0.0, kept, e.n_words, e.lang)


def _without_page_terms(evidence: Sequence[FluencyEvidence], repeats: int, level: float) -> list[FluencyEvidence]:
    terms = page_terms(evidence, repeats, level)
    return [without_terms(e, terms) for e in evidence] if terms else list(evidence)


def main(argv: list[str] | None = None) -> int:
    """``python -m pipeline.fluency fetch [--cache DIR]`` or ``score [SENTENCE...]`` (stdin without)."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m pipeline.fluency", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    fetch = sub.add_parser("fetch", help=f"download Debian's {WORDNET_PACKAGE} and compile the thesaurus")
    fetch.add_argument("--cache", type=Path, default=None, help="cache folder (default $TQA_CACHE or ~/.cache/tqa)")
    score = sub.add_parser("score", help="print the evidence of sentences (arguments, else stdin lines)")
    score.add_argument("sentences", nargs="*")
    score.add_argument("--threshold", type=float, default=2.0)
    score.add_argument("--lm", default=None, help="a causal language model folder (default: the n-gram model)")
    score.add_argument("--device", default="cpu", choices=("cpu", "cuda", "auto"), help="where --lm runs")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "fetch":
            folder = fetch_wordnet(args.cache)
            cfg = FluencyConfig(cache_dir=str(args.cache) if args.cache else None,
                                wordnet_dir=str(folder))
            load_resources("en", cfg)
            print(f"WordNet in {folder}; thesaurus compiled")
            return 0
        sentences = args.sentences or [line.rstrip("\n") for line in sys.stdin if line.strip()]
        for ev in FluencyScorer(cfg=FluencyConfig(lm_model=args.lm, lm_device=args.device)).score(sentences):
            reason = decide(ev, args.threshold)
            print(f"{ev.score:6.2f}  {ev.text}")
            if reason:
                print(f"        {reason}")
    except FluencyUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
