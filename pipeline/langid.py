"""Identify the language of every segment, and the language spans inside mixed segments.

Backed by lingua (its models ship inside the wheel; no download), restricted to the configured
languages, which keeps short segments accurate. Segments with fewer letters than
``min_letters`` get no language.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .config import LangIdConfig
from .text import words


@dataclass(frozen=True)
class LangResult:
    lang: str | None
    confidence: float | None
    second: str | None
    spans: tuple[tuple[int, int, str], ...]  # (start, end, lang) when the segment mixes languages


def _iso(language) -> str:  # noqa: ANN001
    return language.iso_code_639_1.name.lower()


@lru_cache(maxsize=4)
def _detector(languages: tuple[str, ...]):  # noqa: ANN202
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    langs = []
    for code in languages:
        try:
            langs.append(Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())))
        except AttributeError as exc:
            from .errors import ConfigurationError

            raise ConfigurationError(f"[langid] languages: {code!r} is not a language lingua knows") from exc
    return LanguageDetectorBuilder.from_languages(*langs).with_preloaded_language_models().build()


def identify(texts: list[str], cfg: LangIdConfig) -> list[LangResult]:
    """Language of each text, in order; mixed-language spans for long, uncertain segments."""
    detector = _detector(tuple(cfg.languages))
    letters = [sum(c.isalpha() for c in t) for t in texts]
    todo = [i for i, n in enumerate(letters) if n >= cfg.min_letters]
    confidences = detector.compute_language_confidence_values_in_parallel([texts[i] for i in todo])
    results: list[LangResult] = [LangResult(None, None, None, ())] * len(texts)
    for i, values in zip(todo, confidences, strict=True):
        top = values[0]
        second = values[1] if len(values) > 1 else None
        spans: tuple[tuple[int, int, str], ...] = ()
        text = texts[i]
        if len(words(text)) >= cfg.span_min_words and second is not None and second.value >= 0.05:
            spans = _spans(detector, text)
        results[i] = LangResult(_iso(top.language), round(top.value, 4),
                                _iso(second.language) if second is not None else None, spans)
    return results


def _spans(detector, text: str) -> tuple[tuple[int, int, str], ...]:  # noqa: ANN001
    found = detector.detect_multiple_languages_of(text)
    spans = [(r.start_index, r.end_index, _iso(r.language)) for r in found]
    if len({lang for _, _, lang in spans}) < 2:
        return ()
    return tuple(spans)
