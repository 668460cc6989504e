"""Find the corpus's languages, then identify the language of every segment and the language spans
inside mixed segments.

Backed by lingua (its models ship inside the wheel; no download). First a survey: a few long blocks
of every document are identified among all the languages lingua knows (long text is identified
well even among 75 languages); the languages that win enough of them, with the manifest's and the
source language, are the corpus's. Every segment is then identified among those only. The
restriction is what keeps short segments accurate: with {en, sv} lingua labels 93% of single Swedish
words and 99.7% of Swedish titles right, with twelve Germanic and Romance languages only 72% of the
words (benchmarks/RESULTS-libraries.md). ``[langid] languages`` overrides the survey. Segments with
fewer letters than ``min_letters`` get no language.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import polars as pl

from .config import LangIdConfig
from .frames import SPAN_TYPE, list_column
from .text import mask_quotes, prose, words


@dataclass(frozen=True)
class LangResult:
    lang: str | None
    confidence: float | None
    second: str | None
    spans: tuple[tuple[int, int, str], ...]  # (start, end, lang) when the segment mixes languages


def _iso(language) -> str:
    return language.iso_code_639_1.name.lower()


def known_language(code: str) -> bool:
    """Does lingua know this ISO 639-1 code?"""
    from .config import lingua_languages

    return code in lingua_languages()


@lru_cache(maxsize=4)
def _detector(languages: tuple[str, ...]):
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    langs = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in languages]
    return LanguageDetectorBuilder.from_languages(*langs).with_preloaded_language_models().build()


@lru_cache(maxsize=1)
def _survey_detector():
    """Every language lingua knows, on trigrams only: long text needs no more (and this one loads in
    under a second, in ~90 MB)."""
    from lingua import LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_all_languages().with_low_accuracy_mode().build()


_PLACEHOLDER_RE = re.compile(r"\b[A-Z][A-Z_\d]+\b")


def survey_text(text: str) -> str:
    """A block as the survey reads it: without URLs, code, quoted passages and PLACEHOLDERS."""
    return " ".join(_PLACEHOLDER_RE.sub(" ", mask_quotes(prose(text))).split())


def _sentence_like(text: str, min_letters: int) -> bool:
    """Long enough, and prose rather than names: most words do not start with a capital."""
    if len(text) < min_letters:
        return False
    ws = words(text)
    if len(ws) < 6 or sum(map(str.isalpha, text)) < min_letters:
        return False
    return sum(not w[0].isupper() for w in ws) >= 0.6 * len(ws)


def survey_samples(blocks: list[tuple[str, str]], cfg: LangIdConfig) -> list[str]:
    """The blocks of one document (kind, text) whose language the survey asks, read as
    ``survey_text`` and kept when they read like prose with at least ``survey_min_letters``
    letters (shorter text, names and code are too easily taken for another language): the first
    and the last two (where translated chrome sits), its longest title, and the
    ``survey_samples`` longest — each cut to 200 characters."""
    n = cfg.survey_min_letters
    texts = {i: survey_text(text) for i, (kind, text) in enumerate(blocks)  # it only takes letters away
             if kind != "code" and len(text) >= n and sum(map(str.isalpha, text)) >= n}
    usable = [i for i, t in texts.items() if _sentence_like(t, n)]
    titles = sorted((i for i in usable if blocks[i][0] == "title"), key=lambda i: (-len(texts[i]), i))
    longest = sorted(usable, key=lambda i: (-len(texts[i]), i))
    picks = dict.fromkeys(usable[:2] + usable[-2:] + titles[:1])
    for i in longest:
        if len(picks) >= 5 + cfg.survey_samples:
            break
        picks.setdefault(i)
    return [texts[i][:200] for i in sorted(picks)]


def survey(samples: list[str], min_confidence: float) -> list[str | None]:
    """The language of each sample among every language lingua knows (None below
    ``min_confidence``); each distinct text is identified once."""
    distinct = list(dict.fromkeys(samples))
    if not distinct:
        return []
    values = _survey_detector().compute_language_confidence_values_in_parallel(distinct)
    found = {text: _iso(v[0].language) if v and v[0].value >= min_confidence else None
             for text, v in zip(distinct, values, strict=True)}
    return [found[s] for s in samples]


def corpus_languages(votes: dict[str, list[list]], cfg: LangIdConfig, required: set[str]) -> tuple[str, ...]:
    """The corpus's languages from the survey's votes (document -> [sample digest, language] per
    sample): each language that holds, in some document, ``survey_min_votes`` samples and a fifth
    of that document's votes — a language of the corpus fills parts of its documents, while text
    taken for another language is scattered thinly — with ``required`` (the source language and
    the manifest's). ``[langid] languages``, when set, is the answer instead."""
    if cfg.languages:
        return tuple(sorted(set(cfg.languages) | required))
    found = set(required)
    for doc_votes in votes.values():
        counts = Counter(lang for _, lang in doc_votes if lang)
        total = sum(counts.values())
        found |= {lang for lang, n in counts.items() if n >= cfg.survey_min_votes and n >= 0.2 * total}
    return tuple(sorted(found))


def identify(texts: list[str], languages: tuple[str, ...], cfg: LangIdConfig) -> list[LangResult]:
    """Language of each text among ``languages``, in order; mixed-language spans for long,
    uncertain segments."""
    detector = _detector(tuple(sorted(languages)))
    letters = [sum(map(str.isalpha, t)) for t in texts]
    todo = [i for i, n in enumerate(letters) if n >= cfg.min_letters]
    confidences = detector.compute_language_confidence_values_in_parallel([texts[i] for i in todo])
    results: list[LangResult] = [LangResult(None, None, None, ())] * len(texts)
    spanned = [i for i, values in zip(todo, confidences, strict=True)
               if len(values) > 1 and values[1].value >= 0.01 and len(words(texts[i])) >= cfg.span_min_words]
    found = detector.detect_multiple_languages_in_parallel_of([texts[i] for i in spanned]) if spanned else []
    spans = {i: _spans(runs, cfg.span_fold_words) for i, runs in zip(spanned, found, strict=True)}
    for i, values in zip(todo, confidences, strict=True):
        top = values[0]
        second = values[1] if len(values) > 1 else None
        results[i] = LangResult(_iso(top.language), round(top.value, 4),
                                _iso(second.language) if second is not None else None, spans.get(i, ()))
    return results


def _spans(runs, fold_words: int) -> tuple[tuple[int, int, str], ...]:
    """Language spans from lingua's ``runs`` of one text; a span of fewer than ``fold_words`` words joins its longer neighbour
    (lingua splits one-language sentences at brand names and short runs otherwise)."""
    spans = [[r.start_index, r.end_index, _iso(r.language), r.word_count]
             for r in runs]
    while len(spans) > 1:
        i = min(range(len(spans)), key=lambda k: spans[k][3])
        if spans[i][3] >= fold_words:
            break
        left = spans[i - 1] if i > 0 else None
        right = spans[i + 1] if i + 1 < len(spans) else None
        j = i - 1 if right is None or (left is not None and left[3] >= right[3]) else i + 1
        a, b = sorted((i, j))
        spans[a:b + 1] = [[spans[a][0], spans[b][1], spans[j][2], spans[a][3] + spans[b][3]]]
    merged: list[list] = []
    for sp in spans:  # neighbours of one language after folding become one span
        if merged and merged[-1][2] == sp[2]:
            merged[-1][1], merged[-1][3] = sp[1], merged[-1][3] + sp[3]
        else:
            merged.append(sp)
    if len(merged) < 2:
        return ()
    return tuple((a, b, lang) for a, b, lang, _ in merged)


def identify_languages(segments: pl.DataFrame, languages: tuple[str, ...], cfg: LangIdConfig) -> pl.DataFrame:
    """``segments`` with ``lang``, ``lang_confidence`` and ``spans`` added (identified among ``languages``)."""
    texts = [t if kind != "code" else "" for t, kind in segments.select("text", "kind").iter_rows()]
    results = identify(texts, languages, cfg)  # code is no language's
    return segments.with_columns(
        pl.Series("lang", [r.lang for r in results], dtype=pl.String),
        pl.Series("lang_confidence", [r.confidence for r in results], dtype=pl.Float64),
        list_column("spans", [[{"start": a, "end": b, "lang": lg} for a, b, lg in r.spans] for r in results],
                    SPAN_TYPE),
    )


def survey_documents(segments: pl.DataFrame, cfg: LangIdConfig) -> dict[str, list[list]]:
    """The survey's votes of each document: [digest of the sample, its language] per sampled block.

    ``segments``: extracted segments (doc_path, block_idx, kind, sent_idx, text)."""
    blocks = (segments.sort("doc_path", "block_idx", "sent_idx").group_by("doc_path", "block_idx", maintain_order=True)
              .agg(pl.col("kind").first(), pl.col("text").str.join(" ")))
    by_doc: dict[str, list[tuple[str, str]]] = {}
    for doc, kind, text in blocks.select("doc_path", "kind", "text").iter_rows():
        by_doc.setdefault(doc, []).append((kind, text))
    samples = {doc: survey_samples(doc_blocks, cfg) for doc, doc_blocks in by_doc.items()}
    flat = [s for doc in samples for s in samples[doc]]
    found = iter(survey(flat, cfg.survey_min_confidence))
    return {doc: [[_digest(s), next(found)] for s in doc_samples] for doc, doc_samples in samples.items()}


def _digest(text: str) -> str:
    import hashlib

    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
