"""Bilingual lexicons without a translation model: source-language words → English word stems.

A :class:`Lexicon` maps the *key* of a source-language word (case- and accent-folded, then
stripped of one inflectional suffix by a small per-language table) to the English stems it
translates to, with weights. It is built from

- FreeDict dictionaries (dictd ``.index`` + ``.dict.dz``, as Debian's ``dict-freedict-*``
  packages install them under ``/usr/share/dictd``, or straight from the ``.deb``):
  :func:`read_dictd`, :func:`load_freedict`;
- a translation memory the user keeps (``.po``, ``.mo``, ``.tmx``, ``.xliff``):
  :func:`read_translation_memory` gives aligned (English, translation) segment pairs and
  :func:`learn_lexicon` learns word translations from them by Dice co-occurrence;
- the corpus's own confidently aligned segment pairs, through the same :func:`learn_lexicon`.

Lexicons combine with :meth:`Lexicon.merged`. Japanese has no spaces: :func:`tokenize` splits
it with a backend chosen by name (``dict``: greedy longest match over the lexicon's own keys, no
dependency; ``fugashi``, ``janome``, ``tinysegmenter``: optional libraries imported on first use).
Swedish and German compounds missing from the lexicon are split into two known parts.
"""

from __future__ import annotations

import gzip
import io
import math
import os
import re
import shutil
import struct
import subprocess
import tarfile
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

from .errors import InputError
from .text import fold

#: ISO 639-1 → the ISO 639-3 code FreeDict names its dictionaries with.
FREEDICT_CODES = {"sv": "swe", "de": "deu", "fr": "fra", "ja": "jpn", "it": "ita", "pt": "por",
                  "es": "spa", "nl": "nld", "da": "dan", "fi": "fin", "pl": "pol", "cs": "ces",
                  "ru": "rus", "nb": "nob", "no": "nob", "tr": "tur", "hu": "hun"}

#: Where installed dictd dictionaries are looked for, then where ``tqa resources fetch`` puts ``.deb``
#: files with the default ``[lexicons] dir`` (``ResourcesConfig.dict_dirs``).
DEFAULT_DICT_DIRS = (Path("/usr/share/dictd"), Path.home() / ".cache" / "tqa" / "resources" / "debian")

ENGLISH_STOPWORDS = frozenset(["a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could", "did", "do", "does", "doing", "down", "during", "each", "either", "else", "etc", "even", "ever", "every", "few", "for", "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "him", "his", "how", "however", "i", "if", "in", "into", "is", "it", "its", "itself", "just", "may", "me", "might", "more", "most", "much", "must", "my", "neither", "no", "nor", "not", "now", "of", "off", "on", "once", "one", "only", "or", "other", "our", "ours", "out", "over", "own", "per", "same", "shall", "she", "should", "since", "so", "some", "such", "than", "that", "the", "their", "theirs", "them", "then", "there", "these", "they", "this", "those", "through", "thus", "to", "too", "under", "until", "up", "upon", "us", "very", "via", "was", "we", "were", "what", "when", "where", "whether", "which", "while", "who", "whom", "whose", "why", "will", "with", "within", "without", "would", "yet", "you", "your", "yours", "e", "g", "ie", "eg", "s", "t", "sth", "sb", "someone", "something", "somebody", "oneself", "one's", "esp", "usu", "fig", "pl", "sg"])

#: Function words per language: not counted as content (their dictionary translations are
#: noisy), and a paragraph that ends on one is cut mid-sentence.
STOPWORDS: dict[str, frozenset[str]] = {
    "en": ENGLISH_STOPWORDS,
    "sv": frozenset(fold(w) for w in ["alla", "allt", "andra", "annan", "annat", "att", "av", "bara", "blir", "bli", "bör", "da", "dem", "den", "denna", "deras", "dess", "dessa", "det", "detta", "dig", "din", "ditt", "du", "där", "efter", "eftersom", "ej", "eller", "en", "ett", "fler", "för", "från", "ha", "har", "hade", "han", "hans", "har", "hon", "honom", "hur", "här", "i", "icke", "ingen", "inom", "inte", "innan", "jag", "kan", "kunde", "man", "med", "mellan", "men", "mer", "mig", "min", "mitt", "mot", "måste", "när", "och", "också", "om", "oss", "på", "sig", "sin", "sina", "sitt", "ska", "skall", "skulle", "som", "så", "till", "under", "upp", "ut", "utan", "vad", "var", "vara", "varje", "vars", "vi", "vid", "vilka", "vilken", "vilket", "vår", "än", "ännu", "är", "åt", "över", "samt", "sådan", "även"]),
    "de": frozenset(fold(w) for w in ["aber", "als", "also", "am", "an", "auch", "auf", "aus", "bei", "bin", "bis", "bist", "da", "damit", "dann", "das", "dass", "dem", "den", "denen", "der", "des", "dessen", "die", "dies", "diese", "diesem", "diesen", "dieser", "dieses", "doch", "dort", "du", "durch", "ein", "eine", "einem", "einen", "einer", "eines", "er", "es", "etwa", "für", "gegen", "hat", "hatte", "hier", "ihr", "ihre", "ihrem", "ihren", "ihrer", "im", "in", "ist", "ja", "jede", "jedem", "jeden", "jeder", "jedes", "kann", "kein", "keine", "können", "man", "mit", "muss", "nach", "nicht", "noch", "nur", "ob", "oder", "ohne", "sein", "seine", "sich", "sie", "sind", "so", "soll", "sollte", "um", "und", "uns", "unter", "vom", "von", "vor", "war", "wenn", "werden", "wie", "wir", "wird", "wo", "zu", "zum", "zur", "über", "sowie", "bzw", "werden", "wurde", "wurden", "sehr"]),
    "fr": frozenset(fold(w) for w in ["à", "au", "aux", "avec", "ce", "ces", "cette", "celle", "celui", "dans", "de", "des", "du", "elle", "en", "et", "être", "est", "il", "ils", "je", "la", "le", "les", "leur", "leurs", "lui", "mais", "me", "même", "mes", "moi", "ne", "ni", "nous", "on", "ou", "où", "par", "pas", "pour", "qu", "que", "qui", "sa", "sans", "se", "ses", "si", "son", "sont", "sur", "ta", "te", "tes", "toi", "ton", "tous", "tout", "toute", "toutes", "tu", "un", "une", "vos", "votre", "vous", "y", "été", "sera", "peut", "peuvent", "cela", "ceci", "ainsi", "dont", "lors"]),
    "it": frozenset(fold(w) for w in ["a", "al", "alla", "alle", "allo", "ai", "agli", "anche", "che", "chi", "con", "da", "dal", "dalla", "dei", "del", "della", "delle", "dello", "di", "e", "è", "ed", "gli", "i", "il", "in", "la", "le", "lo", "ma", "ne", "nel", "nella", "non", "o", "per", "più", "se", "si", "sia", "sono", "su", "sul", "sulla", "tra", "un", "una", "uno"]),
    "es": frozenset(fold(w) for w in ["a", "al", "como", "con", "de", "del", "el", "en", "es", "esta", "este", "esto", "la", "las", "lo", "los", "más", "no", "o", "para", "pero", "por", "que", "se", "si", "sin", "su", "sus", "un", "una", "y", "ya", "sobre", "entre", "cuando", "también", "puede"]),
    "pt": frozenset(fold(w) for w in ["a", "ao", "aos", "as", "com", "como", "da", "das", "de", "do", "dos", "e", "é", "em", "entre", "mais", "mas", "na", "nas", "no", "nos", "o", "os", "ou", "para", "pela", "pelo", "por", "que", "se", "sem", "seu", "sua", "um", "uma", "são", "também", "pode"]),
}

# One inflectional suffix is stripped (the longest that leaves a stem of at least 3 letters).
# The tables are in folded form (no accents), as keys are folded first.
_SUFFIXES: dict[str, tuple[str, ...]] = {
    "en": ("ations", "ation", "ions", "ion", "ingly", "ings", "ing", "ied", "ies", "edly", "ed", "es", "ly", "s", "e", "y"),
    "sv": ("arnas", "ernas", "ornas", "andet", "arna", "erna", "orna", "ande", "ende", "aste", "heten",
           "ade", "are", "ast", "het", "ens", "ets", "era", "en", "et", "na", "ar", "er", "or", "de",
           "te", "ad", "at", "as", "es", "s", "a", "e"),
    "de": ("ungen", "heiten", "keiten", "ungen", "ieren", "ierte", "iert", "ung", "heit", "keit", "lich",
           "isch", "ern", "en", "er", "es", "em", "st", "te", "n", "s", "e"),
    "fr": ("ements", "ement", "ations", "ation", "euses", "euse", "ites", "ite", "ives", "ive", "eaux",
           "aux", "ees", "es", "ee", "er", "ez", "ent", "ant", "e", "s", "x"),
    "it": ("azioni", "azione", "mente", "ando", "endo", "are", "ere", "ire", "ato", "ata", "ati", "ate",
           "i", "e", "o", "a"),
    "es": ("aciones", "acion", "mente", "ando", "iendo", "ados", "adas", "ado", "ada", "ar", "er", "ir",
           "es", "os", "as", "s", "o", "a", "e"),
    "pt": ("acoes", "acao", "mente", "ando", "endo", "ados", "adas", "ado", "ada", "ar", "er", "ir", "os",
           "as", "es", "s", "o", "a", "e"),
}
_COMPOUNDING = ("sv", "de", "nl", "da", "nb", "no")
_LINKS = ("s", "es", "n", "en", "e", "")  # linking elements of compounds ("arbets|minne", "Arbeit|s|speicher")

_WORD_RE = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
_JA_SCRIPT_RE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff66-\uff9f]")
_NON_JA_WORD_RE = re.compile(r"[A-Za-z\u00c0-\u024f][A-Za-z\u00c0-\u024f'\-]*")


@lru_cache(maxsize=262_144)
def stem(key: str, lang: str) -> str:
    """``key`` (a folded word) stripped of up to two suffixes of ``lang``'s table, longest first,
    each leaving at least 3 letters."""
    suffixes = _SUFFIXES.get(lang, ())
    for _ in range(2):  # "fichiers" -> "fichier" -> "fichi", as "fichier" -> "fichi"
        for suffix in suffixes:
            if key.endswith(suffix) and len(key) - len(suffix) >= 3:
                key = key[: len(key) - len(suffix)]
                break
        else:
            break
    return key


def english_stems(text: str) -> list[str]:
    """Stems of the English content words of ``text`` (stopwords dropped), in order."""
    return [stem(w, "en") for w in _WORD_RE.findall(fold(text)) if w not in ENGLISH_STOPWORDS and len(w) > 1]


def is_cjk(lang: str) -> bool:
    """True for languages written without spaces between words (Japanese, Chinese)."""
    return lang in ("ja", "zh")


# ---------------------------------------------------------------------------
# Tokenizers (Japanese) — a small registry with lazy imports
# ---------------------------------------------------------------------------

def _fugashi() -> Callable[[str], list[str]]:
    import fugashi  # optional: pip install fugashi unidic-lite

    tagger = fugashi.Tagger()

    def run(text: str) -> list[str]:
        out = []
        for w in tagger(text):
            lemma = getattr(w.feature, "lemma", None) or w.surface
            out.append(lemma.split("-")[0] if lemma else w.surface)
        return out
    return run


def _janome() -> Callable[[str], list[str]]:
    from janome.tokenizer import Tokenizer  # optional: pip install janome

    tok = Tokenizer()

    def run(text: str) -> list[str]:
        return [t.base_form if t.base_form != "*" else t.surface for t in tok.tokenize(text)]
    return run


def _tinysegmenter() -> Callable[[str], list[str]]:
    import tinysegmenter  # optional: pip install tinysegmenter

    seg = tinysegmenter.TinySegmenter()
    return seg.tokenize


#: Japanese tokenizer backends by name: each factory imports its library only when called.
JA_TOKENIZERS: dict[str, Callable[[], Callable[[str], list[str]]]] = {
    "fugashi": _fugashi, "janome": _janome, "tinysegmenter": _tinysegmenter,
}


@lru_cache(maxsize=8)
def ja_tokenizer(name: str) -> Callable[[str], list[str]]:
    """The Japanese tokenizer ``name`` (one of :data:`JA_TOKENIZERS`), loaded once per process.

    Raises :class:`ImportError` with the pip command when its library is missing."""
    if name not in JA_TOKENIZERS:
        raise ValueError(f"unknown Japanese tokenizer {name!r}; choose one of {sorted(JA_TOKENIZERS)} or 'dict'")
    try:
        return JA_TOKENIZERS[name]()
    except ImportError as exc:
        extra = {"fugashi": "fugashi unidic-lite"}.get(name, name)
        raise ImportError(f"Japanese tokenizer {name!r} needs `pip install {extra}` ({exc})") from exc


def _greedy_segment(run: str, keys: Mapping[str, object], max_len: int) -> list[str]:
    """Longest-match segmentation of a run of Japanese script over the dictionary's keys."""
    out, i = [], 0
    while i < len(run):
        for n in range(min(max_len, len(run) - i), 0, -1):
            piece = run[i:i + n]
            if n == 1 or piece in keys:
                out.append(piece)
                i += n
                break
    return out


# ---------------------------------------------------------------------------
# The lexicon
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Lexicon:
    """Source-language word keys → English stems with weights in (0, 1].

    ``entries`` is keyed by :meth:`key` of a source word; ``sources`` says what it was built from
    (e.g. ``("freedict:swe-eng", "tm:3 files", "corpus")``). Build with :func:`read_dictd`,
    :func:`load_freedict` or :func:`learn_lexicon`; combine with :meth:`merged`.
    """

    lang: str
    entries: Mapping[str, Mapping[str, float]]
    sources: tuple[str, ...] = ()
    tokenizer: str = "dict"  # Japanese only: "dict" or a name in JA_TOKENIZERS
    _memo: dict[str, Mapping[str, float]] = field(default_factory=dict, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.entries)

    @cached_property
    def english_vocabulary(self) -> frozenset[str]:
        """Every English stem some entry translates to (what a variant word can match at all)."""
        return frozenset(e for tr in self.entries.values() for e in tr)

    @cached_property
    def max_key_length(self) -> int:
        """Length of the longest key (bounds the Japanese longest-match segmentation)."""
        return min(12, max((len(k) for k in self.entries), default=1))

    def key(self, word: str) -> str:
        """The lookup key of a source word: folded, then stemmed (Japanese: NFKC form, unstemmed)."""
        if is_cjk(self.lang):
            return word
        return stem(fold(word), self.lang)

    def translations(self, word: str) -> Mapping[str, float]:
        """English stems ``word`` translates to ({} when unknown). Compounds of sv/de/nl/da/nb
        missing from the lexicon are split into two known parts (modifier + head, with a linking
        -s/-e/-n/-en), giving the head's translations at full weight and the modifier's at half."""
        k = self.key(word)
        hit = self.entries.get(k)
        if hit is not None:
            return hit
        memo = self._memo.get(k)
        if memo is not None:
            return memo
        out: Mapping[str, float] = {}
        if self.lang in _COMPOUNDING and len(k) >= 7:
            out = self._split_compound(fold(word))
        self._memo[k] = out
        return out

    def _split_compound(self, folded: str) -> Mapping[str, float]:
        for cut in range(3, len(folded) - 2):  # longest head first
            head = self.entries.get(stem(folded[cut:], self.lang))
            if not head:
                continue
            left = folded[:cut]
            for link in _LINKS:
                if link and not left.endswith(link):
                    continue
                mod = left[: len(left) - len(link)] if link else left
                if len(mod) < 3:
                    continue
                mod_tr = self.entries.get(stem(mod, self.lang)) or self.entries.get(mod)
                if mod_tr:
                    out = {e: 0.5 * w for e, w in mod_tr.items()}
                    out.update(head)
                    return out
        return {}

    def tokens(self, text: str) -> list[str]:
        """The words of ``text`` in order (Japanese: segmented with this lexicon's tokenizer;
        Latin-script words inside Japanese text are kept whole)."""
        if not is_cjk(self.lang):
            return _WORD_RE.findall(text)
        return tokenize_japanese(text, self)

    def content_tokens(self, text: str) -> list[str]:
        """:meth:`tokens` without the language's function words (Japanese: without one- or
        two-kana particles and endings)."""
        stop = STOPWORDS.get(self.lang, frozenset())
        out = []
        for t in self.tokens(text):
            if is_cjk(self.lang):
                if _JA_SCRIPT_RE.match(t) and len(t) <= 2 and all("\u3040" <= c <= "\u309f" for c in t):
                    continue
                if not _JA_SCRIPT_RE.search(t) and not _NON_JA_WORD_RE.fullmatch(t):
                    continue
            elif fold(t) in stop or len(t) < 2:
                continue
            out.append(t)
        return out

    def merged(self, *others: Lexicon) -> Lexicon:
        """One lexicon holding this one's and ``others``' entries; a stem's weight is the
        largest any of them gives. All must be of the same language."""
        for o in others:
            if o.lang != self.lang:
                raise ValueError(f"cannot merge a {o.lang} lexicon into a {self.lang} one")
        entries: dict[str, dict[str, float]] = {k: dict(v) for k, v in self.entries.items()}
        for o in others:
            for k, tr in o.entries.items():
                cur = entries.setdefault(k, {})
                for e, w in tr.items():
                    if w > cur.get(e, 0.0):
                        cur[e] = w
        return Lexicon(self.lang, entries, self.sources + tuple(s for o in others for s in o.sources),
                       self.tokenizer)

    def with_tokenizer(self, name: str) -> Lexicon:
        """The same entries, with another Japanese tokenizer (``dict`` or a :data:`JA_TOKENIZERS` name)."""
        if name != "dict" and name not in JA_TOKENIZERS:
            raise ValueError(f"unknown Japanese tokenizer {name!r}")
        return Lexicon(self.lang, self.entries, self.sources, name)


def tokenize_japanese(text: str, lexicon: Lexicon) -> list[str]:
    """Words of Japanese ``text``: runs of Japanese script segmented by ``lexicon.tokenizer``
    (``dict`` = greedy longest match over the lexicon's keys), Latin words and numbers whole."""
    if lexicon.tokenizer != "dict":
        run = ja_tokenizer(lexicon.tokenizer)
        return [t for t in run(text) if t.strip() and (_JA_SCRIPT_RE.search(t) or _NON_JA_WORD_RE.fullmatch(t))]
    max_len = lexicon.max_key_length
    out: list[str] = []
    for m in re.finditer(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff66-\uff9fー]+|[A-Za-z][A-Za-z'\-]*", text):
        piece = m.group(0)
        if piece[0].isascii():
            out.append(piece)
        else:
            out.extend(_greedy_segment(piece, lexicon.entries, max_len))
    return out


def source_stopwords(lang: str) -> frozenset[str]:
    """Folded function words of ``lang`` (empty when tqa has no list for it)."""
    return STOPWORDS.get(lang, frozenset())


# ---------------------------------------------------------------------------
# FreeDict (dictd) dictionaries
# ---------------------------------------------------------------------------

_B64 = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}
_PAREN_RE = re.compile(r"\([^()]*\)|\{[^{}]*\}|<[^<>]*>|\[[^\[\]]*\]|/[^/]*/")
_SKIP_LINE = ("see:", "synonym", "antonym", "note:", "see also", "example", "usage:", "-->")
_MAX_STEMS = 16  # English stems kept per source key


def _b64(s: str) -> int:
    n = 0
    for c in s:
        n = n * 64 + _B64[c]
    return n


def _definition_stems(definition: str) -> list[str]:
    """English stems of a dictd definition, first senses first (pronunciations, POS tags,
    cross-references, notes and examples dropped)."""
    lines = definition.split("\n")[1:]  # line 1 repeats the headword(s) with pronunciation
    out: list[str] = []
    for line in lines:
        s = line.strip()
        s = re.sub(r"^\d+\.\s*", "", s)
        if not s or s.lower().startswith(_SKIP_LINE) or s[0] in "(\"":  # POS lines, quoted examples
            continue
        prev = None
        while prev != s:  # nested "(noun (common) (futsuumeishi))"
            prev, s = s, _PAREN_RE.sub(" ", s)
        for part in re.split(r"[,;]", s):
            for st in english_stems(part):
                if st not in out:
                    out.append(st)
    return out


def read_dictd(index_path: str | Path, dict_path: str | Path, lang: str) -> Lexicon:
    """A lexicon from a dictd dictionary of ``lang`` → English (``.index`` and ``.dict`` or
    ``.dict.dz``). Multi-word headwords are skipped; a headword's translations are weighted by
    their position (first sense 1.0, then down to 0.5).

    Raises :class:`InputError` naming the file when it cannot be read or parsed."""
    index_path, dict_path = Path(index_path), Path(dict_path)
    try:
        raw = dict_path.read_bytes()
        data = gzip.decompress(raw) if dict_path.suffix == ".dz" or raw[:2] == b"\x1f\x8b" else raw
        index = index_path.read_text(encoding="utf-8")
    except (OSError, EOFError, gzip.BadGzipFile, UnicodeDecodeError) as exc:
        raise InputError(f"{index_path if isinstance(exc, UnicodeDecodeError) else dict_path}: "
                         f"cannot read the dictionary: {exc}") from exc
    return _parse_dictd(index, data, lang, f"freedict:{index_path.name.removesuffix('.index')}", str(index_path))


def _parse_dictd(index: str, data: bytes, lang: str, source: str, where: str) -> Lexicon:
    cjk = is_cjk(lang)
    entries: dict[str, dict[str, float]] = {}
    parsed: dict[tuple[int, int], list[str]] = {}
    for n, line in enumerate(index.split("\n"), 1):
        if not line:
            continue
        parts = line.split("\t")
        if len(parts) < 3:
            raise InputError(f"{where}: line {n}: expected 'headword<TAB>offset<TAB>length', got {line[:60]!r}")
        head = parts[0].strip()
        if not head or head.startswith("00database") or (not cjk and " " in head):
            continue
        try:
            span = (_b64(parts[1]), _b64(parts[2]))
        except KeyError as exc:
            raise InputError(f"{where}: line {n}: bad offset/length {parts[1]!r}/{parts[2]!r}") from exc
        stems = parsed.get(span)
        if stems is None:
            text = data[span[0]:span[0] + span[1]].decode("utf-8", errors="replace")
            stems = parsed[span] = _definition_stems(text)
        if not stems:
            continue
        key = head if cjk else stem(fold(head), lang)
        cur = entries.setdefault(key, {})
        for rank, st in enumerate(stems[:_MAX_STEMS]):
            w = max(0.5, 1.0 - 0.1 * rank)
            if w > cur.get(st, 0.0):
                cur[st] = w
    if not entries:
        raise InputError(f"{where}: no entries found (not a dictd dictionary of single words?)")
    return Lexicon(lang, entries, (source,))


def _deb_member(deb: Path, suffixes: tuple[str, ...]) -> dict[str, bytes]:
    """Files of ``deb`` whose names end with one of ``suffixes`` (read with dpkg-deb when present,
    else with a small ``ar`` reader)."""
    tar_bytes = None
    if shutil.which("dpkg-deb"):
        proc = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(deb)], capture_output=True, timeout=300, check=False)
        if proc.returncode == 0:
            tar_bytes = proc.stdout
    if tar_bytes is None:
        with open(deb, "rb") as fh:
            if fh.read(8) != b"!<arch>\n":
                raise InputError(f"{deb}: not a Debian package")
            while True:
                header = fh.read(60)
                if len(header) < 60:
                    raise InputError(f"{deb}: no data.tar member")
                name, size = header[:16].decode().strip().rstrip("/"), int(header[48:58].decode().strip())
                blob = fh.read(size + (size % 2))[:size]
                if name.startswith("data.tar"):
                    break
        if name.endswith(".xz"):
            import lzma
            tar_bytes = lzma.decompress(blob)
        elif name.endswith(".gz"):
            tar_bytes = gzip.decompress(blob)
        elif name.endswith(".zst"):
            raise InputError(f"{deb}: a zstd-compressed package needs dpkg-deb")
        else:
            tar_bytes = blob
    out = {}
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tar:
        for m in tar:
            if m.isfile() and m.name.endswith(suffixes):
                out[m.name] = tar.extractfile(m).read()  # type: ignore[union-attr]
    return out


def freedict_files(lang: str, dirs: Iterable[str | Path] = DEFAULT_DICT_DIRS) -> tuple[Path, Path] | Path | None:
    """Where the FreeDict ``lang``→English dictionary is: ``(index, dict.dz)`` when installed in
    one of ``dirs``, else a ``dict-freedict-xxx-eng_*.deb`` found there, else None."""
    code = FREEDICT_CODES.get(lang)
    if code is None:
        return None
    dirs = [Path(d).expanduser() for d in dirs]
    for d in dirs:
        idx = d / f"freedict-{code}-eng.index"
        for dz in (d / f"freedict-{code}-eng.dict.dz", d / f"freedict-{code}-eng.dict"):
            if idx.is_file() and dz.is_file():
                return idx, dz
    for d in dirs:
        debs = sorted(d.glob(f"dict-freedict-{code}-eng_*.deb")) if d.is_dir() else []
        if debs:
            return debs[-1]
    return None


#: Bumped when parsing changes; with the stemming tables, names the cached parsed dictionaries.
PARSER_VERSION = 1


def _parser_digest() -> str:
    import hashlib
    blob = repr((PARSER_VERSION, sorted(_SUFFIXES.items()), sorted(ENGLISH_STOPWORDS), _MAX_STEMS, _SKIP_LINE))
    return hashlib.sha1(blob.encode()).hexdigest()[:10]


def _lexicon_cache_dir() -> Path:
    return Path(os.environ.get("TQA_LEXICON_CACHE", Path.home() / ".cache" / "tqa" / "lexicon"))


def load_freedict(lang: str, dirs: Iterable[str | Path] = DEFAULT_DICT_DIRS, *, cache: bool = True,
                  cache_dir: Path | None = None) -> Lexicon:
    """The FreeDict ``lang``→English lexicon from an installed dictionary or a ``.deb`` in ``dirs``.

    The parsed lexicon is kept in ``~/.cache/tqa/lexicon`` (``$TQA_LEXICON_CACHE``), named by the
    source file's size and modification time and by the parser's version and tables, so later processes load it in a fraction of the parse
    time. Raises :class:`InputError` when no dictionary is found (naming the folders searched and
    the Debian package to install)."""
    dirs = list(dirs)
    found = freedict_files(lang, dirs)
    code = FREEDICT_CODES.get(lang, "?")
    if found is None:
        raise InputError(f"no FreeDict {lang}→en dictionary in {', '.join(map(str, dirs))}: install "
                         f"dict-freedict-{code}-eng (or `apt-get download` it into one of those folders)")
    src = found[0] if isinstance(found, tuple) else found
    st = src.stat()
    cache_file = (cache_dir or _lexicon_cache_dir()) / \
        f"freedict-{code}-eng-{st.st_size}-{int(st.st_mtime)}-{_parser_digest()}.pickle"
    if cache and cache_file.is_file():
        try:
            return _read_pickle(cache_file)
        except (OSError, ValueError, EOFError):
            pass
    if isinstance(found, tuple):
        lex = read_dictd(found[0], found[1], lang)
    else:
        files = _deb_member(found, (".index", ".dict.dz"))
        idx = next((v for k, v in files.items() if k.endswith(".index")), None)
        dz = next((v for k, v in files.items() if k.endswith(".dict.dz")), None)
        if idx is None or dz is None:
            raise InputError(f"{found}: no dictd .index/.dict.dz inside")
        lex = _parse_dictd(idx.decode("utf-8"), gzip.decompress(dz), lang, f"freedict:{code}-eng", str(found))
    if cache:
        _write_pickle(cache_file, lex)
    return lex


def _write_pickle(path: Path, lex: Lexicon) -> None:
    import pickle
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as fh:
        pickle.dump((lex.lang, dict(lex.entries), lex.sources), fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)


def _read_pickle(path: Path) -> Lexicon:
    import pickle
    with open(path, "rb") as fh:
        lang, entries, sources = pickle.load(fh)
    return Lexicon(lang, entries, tuple(sources))


# ---------------------------------------------------------------------------
# Translation memories: .po, .mo, .tmx, .xliff
# ---------------------------------------------------------------------------

_PO_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


def _po_unquote(s: str, where: str) -> str:
    s = s.strip()
    if len(s) < 2 or s[0] != '"' or s[-1] != '"':
        raise InputError(f"{where}: expected a quoted string, got {s[:60]!r}")
    return re.sub(r"\\(.)", lambda m: _PO_ESCAPES.get(m.group(1), m.group(1)), s[1:-1])


def read_po(path: str | Path) -> list[tuple[str, str]]:
    """(msgid, msgstr) of the translated, non-fuzzy messages of a gettext ``.po`` file (plural
    messages give (msgid, msgstr[0]) and (msgid_plural, msgstr[1])). Raises :class:`InputError`
    naming the file and line on a syntax error."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from exc
    out: list[tuple[str, str]] = []
    cur: dict[str, str] = {}
    key: str | None = None
    fuzzy = False

    def flush() -> None:
        nonlocal cur, fuzzy, key
        if not fuzzy and cur.get("msgid"):
            for k, v in cur.items():
                if k.startswith("msgstr") and v:
                    src = cur["msgid"] if k in ("msgstr", "msgstr[0]") else cur.get("msgid_plural", "")
                    if src and k in ("msgstr", "msgstr[0]", "msgstr[1]"):
                        out.append((src, v))
        cur, fuzzy, key = {}, False, None

    for n, line in enumerate(lines, 1):
        s = line.strip()
        where = f"{path}:{n}"
        if not s or s.startswith("#~"):  # blank, obsolete entries
            continue
        if s.startswith("#"):
            if any(k.startswith("msgstr") for k in cur):
                flush()
            if s.startswith("#,") and "fuzzy" in s:
                fuzzy = True
            continue
        m = re.match(r"(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(.*)", s)
        if m:
            if m.group(1) in ("msgctxt", "msgid") and any(k.startswith("msgstr") for k in cur):
                flush()
            key = m.group(1)
            cur[key] = _po_unquote(m.group(2), where)
        elif s.startswith('"') and key is not None:
            cur[key] += _po_unquote(s, where)
        else:
            raise InputError(f"{where}: not a .po line: {s[:60]!r}")
    flush()
    return out


def read_mo(path: str | Path) -> list[tuple[str, str]]:
    """(msgid, msgstr) of a compiled gettext ``.mo`` catalogue (header and context markers
    removed; plural forms as in :func:`read_po`). Raises :class:`InputError` naming the file."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc}") from exc
    if len(data) < 28:
        raise InputError(f"{path}: too short for a .mo file")
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic == 0x950412DE else ">" if magic == 0xDE120495 else None
    if end is None:
        raise InputError(f"{path}: not a .mo file (magic {magic:#x})")
    _, count, o_ids, o_strs = struct.unpack(end + "4I", data[4:20])
    out: list[tuple[str, str]] = []
    try:
        for i in range(count):
            ln, off = struct.unpack(end + "2I", data[o_ids + 8 * i:o_ids + 8 * i + 8])
            msgid = data[off:off + ln].decode("utf-8", errors="replace")
            ln, off = struct.unpack(end + "2I", data[o_strs + 8 * i:o_strs + 8 * i + 8])
            msgstr = data[off:off + ln].decode("utf-8", errors="replace")
            if not msgid or not msgstr:
                continue
            msgid = msgid.split("\x04", 1)[-1]
            ids, strs = msgid.split("\x00"), msgstr.split("\x00")
            out.append((ids[0], strs[0]))
            if len(ids) > 1 and len(strs) > 1 and strs[1]:
                out.append((ids[1], strs[1]))
    except struct.error as exc:
        raise InputError(f"{path}: truncated .mo file: {exc}") from exc
    return out


def _xml_text(el: ET.Element) -> str:
    return re.sub(r"\s+", " ", "".join(el.itertext())).strip()


def _lang_of(el: ET.Element) -> str:
    return (el.get("{http://www.w3.org/XML/1998/namespace}lang") or el.get("lang") or "").lower()


def read_tmx(path: str | Path, lang: str, source_lang: str = "en") -> list[tuple[str, str]]:
    """(source_lang text, lang text) of every translation unit of a ``.tmx`` file that has both
    (language codes matched on their first subtag, ``en-US`` = ``en``)."""
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise InputError(f"{path}: not a readable TMX file: {exc}") from exc
    out = []
    for tu in root.iter("tu"):
        segs: dict[str, str] = {}
        for tuv in tu.iter("tuv"):
            seg = tuv.find("seg")
            if seg is not None:
                segs.setdefault(_lang_of(tuv).split("-")[0], _xml_text(seg))
        if segs.get(source_lang) and segs.get(lang):
            out.append((segs[source_lang], segs[lang]))
    return out


def read_xliff(path: str | Path) -> list[tuple[str, str]]:
    """(source, target) of every unit of an XLIFF 1.2 or 2.x file with a non-empty target."""
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise InputError(f"{path}: not a readable XLIFF file: {exc}") from exc
    out = []
    for el in root.iter():
        tag = el.tag.rsplit("}", 1)[-1]
        if tag not in ("trans-unit", "segment"):
            continue
        src = tgt = None
        for child in el:
            ctag = child.tag.rsplit("}", 1)[-1]
            if ctag == "source":
                src = _xml_text(child)
            elif ctag == "target":
                tgt = _xml_text(child)
        if src and tgt:
            out.append((src, tgt))
    return out


def read_translation_memory(path: str | Path, lang: str) -> list[tuple[str, str]]:
    """(English, ``lang``) segment pairs of a ``.po``, ``.mo``, ``.tmx`` or ``.xliff``/``.xlf`` file."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".po":
        return read_po(p)
    if suffix == ".mo":
        return read_mo(p)
    if suffix == ".tmx":
        return read_tmx(p, lang)
    if suffix in (".xliff", ".xlf"):
        return read_xliff(p)
    raise InputError(f"{p}: not a translation memory (expected .po, .mo, .tmx, .xliff or .xlf)")


_MARKUP_RE = re.compile(r"%(?:\d+\$)?[-#0 +']*\d*(?:\.\d+)?[hlLqjzt]*[diouxXeEfFgGcsp%]|%\([^)]*\)[sd]|\{[^{}]*\}|"
                        r"<[^<>]+>|&[a-z]+;|\\[nt]")


def clean_tm_text(text: str) -> str:
    """A catalogue string without format specifiers, markup and accelerator marks (``_File``, ``&File``)."""
    t = _MARKUP_RE.sub(" ", text)
    t = re.sub(r"(?<![\w&])[_&](?=\w)", "", t)
    return t.replace("~", "")


def tm_segment_pairs(pairs: Iterable[tuple[str, str]], max_words: int = 40) -> list[tuple[str, str]]:
    """Catalogue messages cut into pairs short enough for word learning: a message whose English
    and translation have the same number of non-empty lines (``--help`` texts) gives one pair per
    line; other messages are kept whole up to ``max_words`` English words."""
    out = []
    for en, tr in pairs:
        en, tr = clean_tm_text(en), clean_tm_text(tr)
        el = [x for x in en.split("\n") if x.strip()]
        tl = [x for x in tr.split("\n") if x.strip()]
        if len(el) > 1 and len(el) == len(tl):
            out.extend(zip(el, tl, strict=True))
        elif len(en.split()) <= max_words:
            out.append((en, tr))
    return out


# ---------------------------------------------------------------------------
# Learning word translations from aligned segment pairs
# ---------------------------------------------------------------------------


def learn_lexicon(pairs: Iterable[tuple[str, str]], lang: str, *, base: Lexicon | None = None,
                  min_count: int = 2, min_dice: float = 0.3, max_per_word: int = 3, max_tokens: int = 40,
                  source: str = "learned") -> Lexicon:
    """Word translations learned from (English, ``lang``) segment pairs by Dice co-occurrence.

    For each source key s and English stem e, Dice = 2·c(s, e) / (c(s) + c(e)) over the pairs
    (counted once per pair); a source key keeps its ``max_per_word`` best stems with
    c(s, e) ≥ ``min_count`` and Dice ≥ ``min_dice``, weighted by the Dice value. A pair's English
    stems already explained by ``base`` (the dictionary) are not counted against its other words,
    which sharpens the estimate on small memories. Identical tokens (names, code) are skipped:
    the similarity matches them without a lexicon. Tokens are capped at ``max_tokens`` per side."""
    tok_lex = base if base is not None else Lexicon(lang, {})
    c_s: Counter[str] = Counter()
    c_e: Counter[str] = Counter()
    c_se: Counter[tuple[str, str]] = Counter()
    for en, tr in pairs:
        es = set(english_stems(en)[:max_tokens])
        ss = {tok_lex.key(t) for t in tok_lex.content_tokens(tr)[:max_tokens]}
        ss = {s for s in ss if s and s not in es}
        if not es or not ss:
            continue
        if base is not None:
            explained = {s for s in ss if set(base.entries.get(s, ())) & es}
            ss -= explained
            es -= {e for s in explained for e in base.entries[s]}
        c_s.update(ss)
        c_e.update(es)
        c_se.update((s, e) for s in ss for e in es)
    best: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for (s, e), n in c_se.items():
        if n < min_count:
            continue
        dice = 2 * n / (c_s[s] + c_e[e])
        if dice >= min_dice:
            best[s].append((dice, e))
    entries = {s: {e: round(d, 4) for d, e in sorted(c, key=lambda x: (-x[0], x[1]))[:max_per_word]}
               for s, c in best.items()}
    return Lexicon(lang, entries, (source,), tok_lex.tokenizer)


def lexicon_from_translation_memory(paths: Iterable[str | Path], lang: str, *, base: Lexicon | None = None,
                                    min_count: int = 2, min_dice: float = 0.3) -> Lexicon:
    """:func:`learn_lexicon` over the segment pairs of the translation memories at ``paths``."""
    paths = list(paths)
    pairs: list[tuple[str, str]] = []
    for p in paths:
        pairs += read_translation_memory(p, lang)
    return learn_lexicon(tm_segment_pairs(pairs), lang, base=base, min_count=min_count, min_dice=min_dice,
                         source=f"tm:{len(paths)} files")


def idf_weights(docs: Iterable[Iterable[str]]) -> dict[str, float]:
    """log(1 + N / df) of every item of ``docs`` (each counted once per doc)."""
    df: Counter[str] = Counter()
    n = 0
    for d in docs:
        df.update(set(d))
        n += 1
    return {k: math.log(1 + n / v) for k, v in df.items()}
