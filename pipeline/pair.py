"""Pair each variant article with its original article.

Documents named in the manifest are paired with their original document, and their articles with
that document's articles. Without a manifest entry a variant article is paired with the original
article that shares the most evidence that survives translation — numbers, names, URLs, command
options, cognate stems — weighted by rarity, with the length ratio as a tie-breaker; or with none
when the best match is weak or not clearly better than the next one — unless the variant's path is an
original's with the language code swapped (``sv/guide/x.html`` ↔ ``en/guide/x.html``): localized
sites mirror their paths, so the path twin is its original unless another original's text fits the
variant clearly better. English "variants" of English
originals (spun rewrites) are found as near-duplicates and oriented by word frequency: a spinner
swaps common words for rarer synonyms, so the side whose differing words are rarer in the corpus
is the variant.
"""

from __future__ import annotations

import difflib
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import polars as pl

from .config import PairConfig
from .frames import ARTICLE_SCHEMA
from .text import CODE_RE, fold, folded_words, names, numbers

#: batches the anchors of a corpus's articles are found in (spread over the processes a mapper has)
_BATCHES = 8
_LANG_PART_RE = re.compile(r"(?i)^[a-z]{2,3}(?:[-_][a-z]{2,4})?$")
_LANG_SUFFIX_RE = re.compile(r"(?i)[._-][a-z]{2,3}(?:[-_][a-z]{2,4})?$")


def path_key(path: str, is_language: Callable[[str], bool]) -> str:
    """``path`` with its language codes made wild: a folder named by a language ("sv", "pt-BR") and a
    language suffix of the file's stem ("x.sv.md", "x_de.html")."""
    parts = path.split("/")
    out = ["*" if _LANG_PART_RE.match(p) and is_language(p[:3].split("-")[0].split("_")[0].lower()) else p
           for p in parts[:-1]]
    stem, dot, ext = parts[-1].rpartition(".") if "." in parts[-1] else (parts[-1], "", "")
    m = _LANG_SUFFIX_RE.search(stem)
    if m and is_language(re.split(r"[-_]", m.group(0)[1:])[0].lower()):
        stem = stem[:m.start()]
    return "/".join([*out, stem + ".*" + dot + ext])  # x.md and x.de.md alike


def path_language(path: str, is_language: Callable[[str], bool]) -> str | None:
    """The language a path names: its first folder named by a language ("sv/…", "pt-BR/…"), else a
    language suffix of the file's stem ("x.sv.md"); None when it names none."""
    parts = path.split("/")
    for p in parts[:-1]:
        if _LANG_PART_RE.match(p) and is_language(code := re.split(r"[-_]", p)[0].lower()):
            return code
    stem = parts[-1].rpartition(".")[0] if "." in parts[-1] else parts[-1]
    m = _LANG_SUFFIX_RE.search(stem)
    if m and is_language(code := re.split(r"[-_]", m.group(0)[1:])[0].lower()):
        return code
    return None


def _below_top(path: str) -> str | None:
    """The path below its first folder (``text/x.html`` of ``mirror/text/x.html``); None at the top."""
    top, sep, rest = path.partition("/")
    return rest if sep else None


def path_twins(variants: list[str], originals: list[str], is_language: Callable[[str], bool]) -> dict[str, str]:
    """The original document each variant document mirrors by path (only where exactly one does)."""
    by_key: dict[str, list[str]] = defaultdict(list)
    for o in dict.fromkeys(originals):
        by_key[path_key(o, is_language)].append(o)
    out = {}
    for v in dict.fromkeys(variants):
        found = [o for o in by_key.get(path_key(v, is_language), []) if o != v]
        if len(found) == 1:
            out[v] = found[0]
    return out


@dataclass(frozen=True)
class ArticleText:
    article_id: str
    doc_path: str
    position: int  # article index in its document
    lang: str
    role: str | None  # from the manifest; None when undecided
    title: str
    body: str
    segments: tuple[str, ...] = ()  # its body segments, in order (for checking a candidate pair by aligning it)


@dataclass(frozen=True)
class Pairing:
    original_article_id: str | None
    original_path: str | None
    score: float | None
    method: str  # manifest | automatic | none
    reason: str


def anchors(text: str) -> set[str]:
    """Evidence that survives translation: numbers, names, code-like tokens, long-word stems."""
    out = {"#" + n for n in numbers(text)}
    out |= {"@" + fold(n) for n in names(text)}
    out |= {"$" + m.group(0).lower().split("=")[0] for m in CODE_RE.finditer(text)}
    out |= {w for w in folded_words(text) if len(w) >= 4}
    return out


def _length_score(a: str, b: str) -> float:
    la, lb = max(1, len(a)), max(1, len(b))
    return math.exp(-2.0 * abs(math.log(la / lb)))


class _Index:
    """Inverted index of original articles by anchor, with idf weights.

    A candidate's score is the F1 of two recalls: the share of the variant's evidence found in
    the original, and the share of the original's evidence found in the variant, each counted
    only over evidence that can match at all (a Swedish function word never occurs in an English
    original, so it does not dilute the score), weighted by idf; the length ratio breaks ties.
    """

    def __init__(self, originals: list[ArticleText], variants: list[ArticleText],
                 features: dict[str, set[str]]) -> None:
        self.originals = originals
        self.article_features = features
        self.features = [features[a.article_id] for a in originals]
        self.postings: dict[str, list[int]] = defaultdict(list)
        for i, feats in enumerate(self.features):
            for f in feats:
                self.postings[f].append(i)
        self.cap = max(50, len(originals) // 20)  # features in more originals than this do not discriminate
        n = max(1, len(originals))
        self.idf = {f: math.log(1 + n / len(p)) for f, p in self.postings.items()}
        self.variant_vocab: dict[str, set[str]] = defaultdict(set)  # per language of the variants
        for v in variants:
            self.variant_vocab[v.lang] |= features[v.article_id]
        self._matchable: dict[tuple[int, str], float] = {}  # (original, variant language) -> its matchable evidence

    def scores(self, art: ArticleText, allowed: set[int] | None = None) -> list[tuple[float, int]]:
        feats = sorted(f for f in self.article_features[art.article_id]
                       if f in self.postings and len(self.postings[f]) <= self.cap)  # sorted: stable float sums
        matchable_v = sum(self.idf[f] for f in feats)
        shared: Counter[int] = Counter()
        for f in feats:
            for i in self.postings[f]:
                if allowed is None or i in allowed:
                    shared[i] += self.idf[f]
        for i in allowed or ():
            shared.setdefault(i, 0.0)
        out = []
        vocab = self.variant_vocab[art.lang]
        for i, s in shared.items():
            if (i, art.lang) not in self._matchable:
                self._matchable[(i, art.lang)] = sum(self.idf[f] for f in sorted(self.features[i])
                                                     if f in vocab and len(self.postings[f]) <= self.cap)
            matchable_o = self._matchable[(i, art.lang)]
            r_v, r_o = s / max(1e-9, matchable_v), s / max(1e-9, matchable_o)
            f1 = 2 * r_v * r_o / max(1e-9, r_v + r_o)
            score = 0.85 * f1 + 0.15 * _length_score(art.body, self.originals[i].body) * (1.0 if s > 0 else 0.0)
            out.append((score, i))
        out.sort(key=lambda x: (-x[0], x[1]))
        return out


def anchors_of(texts: list[str]) -> list[set[str]]:
    """:func:`anchors` of each text (a batch: the unit a parallel ``mapper`` ships to a process)."""
    return [anchors(t) for t in texts]


def _serial(fn: Callable[[list[str]], list], batches: list[list[str]]) -> list:
    return [fn(b) for b in batches]


def pair_articles(articles: list[ArticleText], manifest_original: Mapping[str, str | None],
                  cfg: PairConfig, source_lang: str, lexicons: Mapping[str, object] | None = None,
                  mapper: Callable = _serial) -> tuple[dict[str, str], dict[str, Pairing]]:
    """Role ('original' | 'variant') and pairing of every article, keyed by article id.

    ``manifest_original`` maps the documents the manifest lists to their original document (or
    None). Articles of documents it does not list are paired automatically: a variant in a language
    with a lexicon (``lexicons``: language -> ``pipeline.lexicon.Lexicon``) by the words its text
    translates to, names, numbers and code (``pipeline.xling.DocumentIndex``); others by names,
    numbers, code and shared words alone. ``mapper(fn, batches)`` returns ``[fn(b) for b in
    batches]``; a caller with a process pool passes one that spreads the batches over it.
    """
    role: dict[str, str] = {}
    for a in articles:
        if a.role:
            role[a.article_id] = a.role
        elif manifest_original.get(a.doc_path):
            role[a.article_id] = "variant"
        else:
            role[a.article_id] = "original" if a.lang == source_lang else "variant"

    auto = [a for a in articles if a.doc_path not in manifest_original]
    _find_same_language_variants(auto, articles, role, cfg, source_lang)

    originals = [a for a in articles if role[a.article_id] == "original"]
    texts = [a.title + " " + a.body for a in articles]
    batches = [texts[k::_BATCHES] for k in range(_BATCHES)]  # dealt, so each holds long and short texts
    found = mapper(anchors_of, batches)
    features = {a.article_id: found[i % _BATCHES][i // _BATCHES] for i, a in enumerate(articles)}
    index = _Index(originals, [a for a in articles if role[a.article_id] == "variant"], features)
    by_doc: dict[str, list[int]] = defaultdict(list)
    for i, o in enumerate(originals):
        by_doc[o.doc_path].append(i)
    articles_in_doc = Counter(a.doc_path for a in articles)
    twins: dict[str, str] = {}
    if cfg.by_path:
        from .langid import known_language

        twins = path_twins([a.doc_path for a in auto if role[a.article_id] == "variant"],
                           [o.doc_path for o in originals], known_language)

    pairs: dict[str, Pairing] = {}
    xindex = None  # built on the first variant with a lexicon
    for a in articles:
        if role[a.article_id] == "original":
            pairs[a.article_id] = Pairing(None, None, None, "none", "original")
            continue
        if a.doc_path in manifest_original:
            orig_doc = manifest_original[a.doc_path]
            if not orig_doc:
                pairs[a.article_id] = Pairing(None, None, None, "none", "manifest gives no original")
                continue
            candidates = set(by_doc.get(orig_doc, []))
            if not candidates:
                pairs[a.article_id] = Pairing(None, orig_doc, None, "manifest",
                                              f"original {orig_doc} has no article to pair with")
                continue
            # articles of a manifest pair keep their order when the counts agree; else each finds the
            # original article it aligns with best (the dictionary's, across languages)
            same_pos = [i for i in candidates if originals[i].position == a.position]
            lexicon = (lexicons or {}).get(a.lang)
            if lexicon is not None and len(candidates) > 1 and len(candidates) != articles_in_doc[a.doc_path]:
                ranked = sorted(((alignment_fit(a.segments, originals[i].segments, lexicon), i) for i in candidates),
                                key=lambda x: (-x[0], x[1]))
            else:
                ranked = index.scores(a, candidates)
            best_score, best = ranked[0]
            if same_pos and len(candidates) == articles_in_doc[a.doc_path]:
                best = same_pos[0]
                best_score = next(s for s, i in ranked if i == best)
            o = originals[best]
            pairs[a.article_id] = Pairing(o.article_id, o.doc_path, round(best_score, 4), "manifest",
                                          f"manifest pairs {a.doc_path} with {o.doc_path}")
            continue
        lexicon = (lexicons or {}).get(a.lang)
        twin = twins.get(a.doc_path)
        if twin is not None:
            # the path twin's article this one fits best (the one at its position when the counts agree)
            candidates = by_doc[twin]
            twin_ranked = sorted(((alignment_fit(a.segments, originals[i].segments, lexicon), i) for i in candidates),
                                 key=lambda x: (-x[0], x[1])) if lexicon is not None else index.scores(a, set(candidates))
            same_pos = [i for i in candidates if originals[i].position == a.position]
            twin_score, twin_best = twin_ranked[0]
            if same_pos and len(candidates) == articles_in_doc[a.doc_path]:
                twin_best = same_pos[0]
                twin_score = next(sc for sc, i in twin_ranked if i == twin_best)
        if lexicon is not None:
            if xindex is None:
                from .xling import DocumentIndex

                xindex = DocumentIndex([o.title + " " + o.body for o in originals])
            # the dictionary ranks the candidates; aligning with each of the best tells the one it translates
            ranked = [(alignment_fit(a.segments, originals[i].segments, lexicon), i)
                      for _, i in xindex.rank(a.title + " " + a.body, lexicon, top=cfg.candidates)]
            ranked.sort(key=lambda x: (-x[0], x[1]))
        else:
            ranked = index.scores(a)
        ranked = [r for r in ranked if originals[r[1]].article_id != a.article_id]
        if twin is not None and not (ranked and originals[ranked[0][1]].doc_path != twin
                                     and ranked[0][0] - twin_score > cfg.path_margin):
            o = originals[twin_best]
            pairs[a.article_id] = Pairing(o.article_id, o.doc_path, round(twin_score, 4), "automatic",
                                          f"mirrors the path of {o.doc_path} (language code aside); text fit "
                                          f"{twin_score:.2f}")
            continue
        if not ranked or ranked[0][0] < cfg.min_score:
            best = f" (best {ranked[0][0]:.2f} < {cfg.min_score})" if ranked else ""
            pairs[a.article_id] = Pairing(None, None, round(ranked[0][0], 4) if ranked else None, "none",
                                          f"no original article shares enough names, numbers or terms{best}")
            continue
        best_score, best = ranked[0]
        how = f"shares names, numbers and terms with {originals[best].article_id} (score {best_score:.2f})"
        if len(ranked) > 1 and best_score - ranked[1][0] < cfg.min_margin and \
                originals[ranked[1][1]].doc_path != originals[best].doc_path:
            # near-twin originals (two help pages that differ in a line): the one whose path the variant
            # mirrors below its first folder ("mirror/text/x.html" and "en/text/x.html") is the one
            close = {originals[i].doc_path: (sc, i) for sc, i in ranked if best_score - sc < cfg.min_margin}
            mirrored = [d for d in close if cfg.by_path and _below_top(a.doc_path) is not None
                        and _below_top(d) == _below_top(a.doc_path)]
            if len(mirrored) != 1:
                pairs[a.article_id] = Pairing(None, None, round(best_score, 4), "none",
                                              f"ambiguous: {originals[best].article_id} ({best_score:.2f}) and "
                                              f"{originals[ranked[1][1]].article_id} ({ranked[1][0]:.2f})")
                continue
            best_score, best = close[mirrored[0]]
            how = (f"of near-twin originals, mirrors the path of {mirrored[0]}; shares names, numbers and terms "
                   f"with {originals[best].article_id} (score {best_score:.2f})")
        o = originals[best]
        pairs[a.article_id] = Pairing(o.article_id, o.doc_path, round(best_score, 4), "automatic", how)
    return role, pairs


def _find_same_language_variants(candidates: list[ArticleText], articles: list[ArticleText],
                                 role: dict[str, str], cfg: PairConfig, source_lang: str = "en") -> None:
    """Mark rewrites among source-language articles as variants (their original stays original): two
    articles whose word sequences match for at least ``same_lang_min_similarity`` of their length
    (difflib's ratio: a third of the words substituted still leaves about two thirds). Of two such
    articles, one in a document whose path names another language ("ja/…" beside "en/…") is that
    language's edition left untranslated, however alike the texts (identical ones too). Of two rewrites,
    the original is the one whose path the corpus's translations share (language code aside: "sv/x.html"
    for "en/x.html", not for "rewrites/x.html"), else the one whose own words are the commoner in the
    corpus."""
    src = [a for a in candidates if role[a.article_id] == "original"]
    if len(src) < 2:
        return
    if cfg.by_path:
        from .langid import known_language

        named = {a.article_id: path_language(a.doc_path, known_language) for a in src}
        editions = Counter(path_key(a.doc_path, known_language) for a in articles if a.lang != source_lang)
        shared_path = {a.article_id: editions[path_key(a.doc_path, known_language)] for a in src}
    else:
        named, shared_path = {}, {}

    def edition(a_id: str) -> bool:
        return named.get(a_id) not in (None, source_lang)
    freq: Counter[str] = Counter()
    seqs = {a.article_id: folded_words(a.body) for a in articles}
    for a in articles:
        freq.update(seqs[a.article_id])
    sets = {a.article_id: set(seqs[a.article_id]) for a in src}
    postings: dict[str, list[str]] = defaultdict(list)
    for a in src:
        for w in sets[a.article_id]:
            if len(w) >= 5:
                postings[w].append(a.article_id)
    by_id = {a.article_id: a for a in src}
    for a in src:
        if role[a.article_id] != "original":
            continue
        shared: Counter[str] = Counter()
        for w in sets[a.article_id]:
            for other in postings.get(w, ()):
                if other != a.article_id and len(postings[w]) <= 50:
                    shared[other] += 1
        # ties broken by article id: set iteration order varies between processes
        for other_id, _ in sorted(shared.items(), key=lambda kv: (-kv[1], kv[0]))[:3]:
            if role[other_id] != "original" or by_id[other_id].doc_path == by_id[a.article_id].doc_path:
                continue
            sa, sb = seqs[a.article_id], seqs[other_id]
            if not sa or not sb:
                continue
            if edition(a.article_id) != edition(other_id):
                matcher = difflib.SequenceMatcher(a=sa, b=sb, autojunk=False)
                if sa == sb or matcher.ratio() >= cfg.same_lang_min_similarity:
                    role[a.article_id if edition(a.article_id) else other_id] = "variant"
                    break
                continue
            if sa == sb:
                continue
            matcher = difflib.SequenceMatcher(a=sa, b=sb, autojunk=False)
            if matcher.real_quick_ratio() < cfg.same_lang_min_similarity or \
                    matcher.ratio() < cfg.same_lang_min_similarity or not _rewrite_like(matcher):
                continue
            editions_a, editions_b = shared_path.get(a.article_id, 0), shared_path.get(other_id, 0)
            if min(editions_a, editions_b) == 0 < max(editions_a, editions_b):
                variant = a.article_id if editions_a == 0 else other_id
            else:
                rarity_a = _mean_log_freq(set(sa) - set(sb), freq)
                rarity_b = _mean_log_freq(set(sb) - set(sa), freq)
                variant = a.article_id if rarity_a < rarity_b else other_id
            role[variant] = "variant"
            break


def _rewrite_like(matcher: difflib.SequenceMatcher, max_words: int = 3, min_distinct: int = 3) -> bool:
    """Whether two similar texts differ as a rewrite does — word by word, most differing words in
    short replacements (at most ``max_words`` on each side), at least ``min_distinct`` different
    ones among words without digits — rather than as two pages of one kind do: in whole lines and
    sections (the man pages of sha224sum and b2sum), or in a name and its numbers alone (sha256sum
    and sha384sum, ls and dir). Lines one side has before the first shared word or after the last
    (a title or a menu the other side's frame took) are not counted."""
    a, b = matcher.a, matcher.b
    short = changed = 0
    distinct: set[tuple] = set()
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal" or (op in ("insert", "delete") and ((i1 == 0 and j1 == 0) or
                                                              (i2 == len(a) and j2 == len(b)))):
            continue
        n = max(i2 - i1, j2 - j1)
        changed += n
        if op == "replace" and i2 - i1 <= max_words and j2 - j1 <= max_words:
            short += n
            pair = (tuple(a[i1:i2]), tuple(b[j1:j2]))
            if not any(ch.isdigit() for w in pair[0] + pair[1] for ch in w):
                distinct.add(pair)
    return changed > 0 and short / changed >= 0.5 and len(distinct) >= min_distinct


def _mean_log_freq(ws: set[str], freq: Counter[str]) -> float:
    if not ws:
        return float("inf")
    return sum(math.log(freq[w] + 1) for w in ws) / len(ws)


def pair_corpus(articles: pl.DataFrame, segments: pl.DataFrame, manifest_original: Mapping[str, str | None],
                manifest_role: Mapping[str, str | None], cfg: PairConfig, source_lang: str,
                lexicons: Mapping[str, object] | None = None, mapper: Callable = _serial) -> pl.DataFrame:
    """``articles`` with role and pairing columns. ``segments``: structure joined with text."""
    body = (segments.filter(pl.col("block") != "boilerplate")
            .group_by("article_id", maintain_order=True)
            .agg(pl.col("text").filter(pl.col("block") == "title").first().alias("title"),
                 pl.col("text").str.join(" ").alias("body"), pl.col("text").alias("segments")))
    texts = {r[0]: (r[1] or "", r[2] or "", tuple(r[3])) for r in body.iter_rows()}
    items = [ArticleText(a["article_id"], a["doc_path"], a["position"], a["lang"], manifest_role.get(a["doc_path"]),
                         *texts.get(a["article_id"], ("", "", ())))
             for a in articles.iter_rows(named=True)]
    roles, pairs = pair_articles(items, manifest_original, cfg, source_lang, lexicons, mapper)
    ids = articles["article_id"].to_list()
    return articles.with_columns(
        pl.Series("role", [roles[i] for i in ids], dtype=pl.String),
        pl.Series("original_article_id", [pairs[i].original_article_id for i in ids], dtype=pl.String),
        pl.Series("original_path", [pairs[i].original_path for i in ids], dtype=pl.String),
        pl.Series("pair_score", [pairs[i].score for i in ids], dtype=pl.Float64),
        pl.Series("pair_method", [pairs[i].method for i in ids], dtype=pl.String),
        pl.Series("pair_reason", [pairs[i].reason for i in ids], dtype=pl.String),
    ).select(list(ARTICLE_SCHEMA))


def alignment_fit(variant: tuple[str, ...], original: tuple[str, ...], lexicon) -> float:  # noqa: ANN001
    """How well two articles align as a translation: the segments of both that the aligner puts in
    groups, weighted by the groups' cross-lingual similarity, over all their segments (0..1). A
    translation aligns nearly whole; a page that only shares a topic with it does not."""
    if not variant or not original:
        return 0.0
    from .align import align_segments
    from .config import AlignConfig

    groups = align_segments(list(variant), list(original), False, AlignConfig(), lexicon=lexicon)
    covered = sum((len(g.variant) + len(g.original)) * g.score for g in groups if g.variant and g.original and g.score)
    return round(covered / (len(variant) + len(original)), 4)
