"""HTML pages of an audit: one index page and one page per article.

Pure rendering: the functions here take plain dicts shaped as in ``docs/output.md``
(rows of ``articles.parquet`` / ``segments.parquet``, the content of ``summary.json``)
and return the HTML as a string. They read nothing but their Jinja2 templates
(``pipeline/templates/``) and write nothing.

Every string that comes from the corpus goes through Jinja2's autoescaping; the
only markup built here is by the templates. Pages are self-contained: inline CSS,
no script, no external URL. Filters on the pages work with CSS alone.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import quote

import jinja2
from markupsafe import Markup, escape

__all__ = [
    "KNOWN_FLAGS",
    "ArticleView",
    "FlagView",
    "StageView",
    "TextPiece",
    "article_href",
    "format_score",
    "parse_stage",
    "render_article",
    "render_index",
    "split_spans",
]

#: Flags of the output contract, in the order pages list them. Other flag names
#: still render, with a neutral colour.
KNOWN_FLAGS: tuple[str, ...] = (
    "untranslated",
    "partially_translated",
    "garbled",
    "omission",
    "addition",
    "number_mismatch",
    "term_violation",
    "boilerplate",
)

# Decimals shown per metric: sacrebleu scores are on 0..100, COMET and the
# aligner's similarity on 0..1.
_DECIMALS: dict[str, int] = {
    "bleu": 1,
    "chrf": 1,
    "ter": 1,
    "comet": 3,
    "align": 2,
    "lang": 2,
}

MISSING = "—"

# "skipped: <why> — run <command>"; the dash may be typed as em/en dash or ASCII.
_RUN_SEPARATOR = re.compile(r"\s+(?:—|–|--|-)\s+run\s+")


# --------------------------------------------------------------------------- views


@dataclass(frozen=True)
class TextPiece:
    """A run of characters of a segment; ``lang`` is None outside any language span."""

    text: str
    lang: str | None
    start: int
    end: int


@dataclass(frozen=True)
class FlagView:
    name: str
    reason: str
    css: str  # "flag-<name>" for known flags, "flag-other" otherwise


@dataclass(frozen=True)
class StageView:
    name: str
    state: str  # "ran", "skipped" or "other"
    why: str | None
    command: str | None
    raw: str


@dataclass(frozen=True)
class ArticleView:
    article_id: str
    href: str  # relative to the index page
    page_href: str  # relative to another article page
    doc_path: str
    original_path: str | None
    original_article_id: str | None
    original_href: str | None  # relative to an article page
    role: str
    title: str | None
    lang: str
    n_segments: int | None
    n_body: int | None
    scores: tuple[tuple[str, str, str], ...]
    flags: tuple[tuple[str, int, str], ...]  # (flag, count, css) for counts > 0
    verdict: str
    reasons: tuple[str, ...]


_SCORE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("bleu", "BLEU"),
    ("chrf", "chrF++"),
    ("ter", "TER"),
    ("comet", "COMET"),
)


# --------------------------------------------------------------------------- helpers


def format_score(value: Any, decimals: int = 1) -> str:
    """Format a score for display; None and NaN (not computed) become "—", never 0."""
    if value is None or isinstance(value, bool):
        return MISSING
    try:
        number = float(value)
    except (TypeError, ValueError):
        return MISSING
    if math.isnan(number):
        return MISSING
    return f"{number:.{decimals}f}"


def article_href(article_id: str) -> str:
    """The page name of an article, URL-encoded (``/`` included) for use in an href."""
    return quote(f"{article_id}.html", safe="")


def parse_stage(name: str, status: str) -> StageView:
    """Split a stage status of ``summary.json`` into state, reason and command.

    ``"ran"`` -> state ``ran``; ``"skipped: <why> — run <command>"`` -> state
    ``skipped`` with ``why`` and ``command``; anything else is kept raw
    (state ``other``).
    """
    text = str(status).strip()
    if text == "ran":
        return StageView(name=name, state="ran", why=None, command=None, raw=text)
    if text.startswith("skipped"):
        rest = text[len("skipped") :].lstrip(":").strip()
        matches = list(_RUN_SEPARATOR.finditer(rest))
        if matches:
            last = matches[-1]
            why = rest[: last.start()].strip() or None
            command = rest[last.end() :].strip() or None
        else:
            why, command = (rest or None), None
        return StageView(name=name, state="skipped", why=why, command=command, raw=text)
    return StageView(name=name, state="other", why=None, command=None, raw=text)


def split_spans(
    text: str, spans: Iterable[Mapping[str, Any]] | None
) -> tuple[TextPiece, ...]:
    """Cut ``text`` into pieces at the language spans' character offsets.

    The pieces always cover the whole text, in order (their texts joined give
    ``text`` back): characters outside every span form pieces with ``lang`` None;
    offsets out of range are clamped and overlapping spans are cut where the
    previous one ended, so a malformed span never hides or repeats text.
    """
    n = len(text)
    ordered = sorted(
        (
            (_clamp(span.get("start"), n), _clamp(span.get("end"), n), span.get("lang"))
            for span in (spans or [])
        ),
        key=lambda item: (item[0], item[1]),
    )
    pieces: list[TextPiece] = []
    pos = 0
    for start, end, lang in ordered:
        start = max(start, pos)
        if end <= start:
            continue
        if start > pos:
            pieces.append(TextPiece(text[pos:start], None, pos, start))
        pieces.append(
            TextPiece(text[start:end], None if lang is None else str(lang), start, end)
        )
        pos = end
    if pos < n or not pieces:
        pieces.append(TextPiece(text[pos:], None, pos, n))
    return tuple(pieces)


def _clamp(value: Any, n: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 0
    return min(max(number, 0), n)


def _as_list(value: Any) -> list[Any]:
    # Parquet list columns may arrive as lists, tuples or arrays; `value or []`
    # would be ambiguous for arrays.
    return [] if value is None else list(value)


def _flag_css(name: str) -> str:
    return f"flag-{name}" if name in KNOWN_FLAGS else "flag-other"


def _scores(row: Mapping[str, Any]) -> tuple[tuple[str, str, str], ...]:
    return tuple(
        (key, label, format_score(row.get(key), _DECIMALS[key]))
        for key, label in _SCORE_COLUMNS
    )


def _flags(row: Mapping[str, Any], where: str) -> tuple[FlagView, ...]:
    flags = [str(f) for f in _as_list(row.get("flags"))]
    reasons = [str(r) for r in _as_list(row.get("reasons"))]
    if len(flags) != len(reasons):
        raise ValueError(
            f"{where}: {len(flags)} flags but {len(reasons)} reasons "
            f"(flags={flags!r}); the contract wants one reason per flag"
        )
    return tuple(
        FlagView(name=f, reason=r, css=_flag_css(f))
        for f, r in zip(flags, reasons, strict=True)
    )


def _optional_int(value: Any) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _has_issue(flags: tuple[FlagView, ...]) -> bool:
    """A row carries an issue when it has a flag other than ``boilerplate``."""
    return any(f.name != "boilerplate" for f in flags)


def _segment_row(seg: Mapping[str, Any], expected_lang: str, show_original: bool, index: int, where: str
                 ) -> tuple[Markup, tuple[FlagView, ...]]:
    """The ``<tr>`` of one segment row of ``segments.parquet``, and its flags.

    Built here rather than in ``article.html``: a page holds hundreds of rows, and this is several
    times faster than the same markup through Jinja2's generator. Every value that is not a
    number or a fixed word goes through ``escape``, as autoescaping would."""
    seg_id = _optional_int(seg.get("seg_id"))
    block, text = str(seg.get("block") or ""), seg.get("text")
    flags = _flags(seg, f"{where} segment {seg_id if seg_id is not None else '(omission)'}")
    classes = ["seg"] + (["boilerplate"] if block == "boilerplate" else []) + (["omission"] if text is None else [])
    classes.append("issue" if _has_issue(flags) else "clean")
    classes.extend(f"has-{f.css}" for f in flags)
    anchor = f"seg-{seg_id}" if seg_id is not None else f"omitted-{index}"
    out = [f'<tr class="{escape(" ".join(dict.fromkeys(classes)))}" id="{anchor}">',
           f'<td class="num">{seg_id if seg_id is not None else MISSING}</td>',
           f'<td class="block">{escape(block)}</td><td class="variant">']
    if text is None:
        out.append('<span class="missing-text">omitted — this original text has no counterpart here</span>')
    else:
        lang = None if seg.get("lang") is None else str(seg["lang"])
        spans = _as_list(seg.get("spans"))
        out.append(f'<div class="text" lang="{escape(lang)}">' if lang else '<div class="text">')
        for p in split_spans(str(text), spans):
            if p.lang is None:
                out.append(escape(p.text))
            else:
                side, plang = "expected" if p.lang == expected_lang else "foreign", escape(p.lang)
                out.append(f'<span class="span span-{side}" lang="{plang}" data-lang="{plang}" '
                           f'title="{plang}: characters {p.start}–{p.end}">{escape(p.text)}</span>')
        mismatch = bool(lang and expected_lang and lang != expected_lang)
        title = f"detected language differs from the expected {escape(expected_lang)}" if mismatch \
            else "detected language"
        out.append(f'</div><div class="small"><span class="langtag{" mismatch" if mismatch else ""}" '
                   f'title="{title}">{escape(lang or "lang ?")}</span>')
        confidence = format_score(seg.get("lang_confidence"), _DECIMALS["lang"])
        if confidence != MISSING:
            out.append(f" {confidence}")
        out.append(" · mixed</div>" if spans else "</div>")
        if seg.get("backtranslation") is not None:
            out.append(f'<div class="bt" lang="en"><span class="small">back-translation</span>'
                       f'<span class="text">{escape(str(seg["backtranslation"]))}</span></div>')
    out.append("</td>")
    alignment = str(seg.get("alignment") or "")
    if show_original:
        out.append('<td class="original">')
        if seg.get("original_text") is not None:
            out.append(f'<div class="text">{escape(str(seg["original_text"]))}</div>')
            if ids := _as_list(seg.get("original_seg_ids")):
                out.append(f'<div class="small">original #{", #".join(str(int(i)) for i in ids)}</div>')
        elif alignment == "addition":
            out.append('<span class="missing-text">no counterpart in the original</span>')
        elif alignment == "unpaired":
            out.append('<span class="missing-text">no original to compare with</span>')
        else:
            out.append(f'<span class="na">{MISSING}</span>')
        out.append("</td>")
    out.append(f'<td class="align"><div>{escape(alignment or MISSING)}</div>')
    if (group := _optional_int(seg.get("align_group"))) is not None:
        out.append(f'<div class="small">group {group}</div>')
    if (similarity := format_score(seg.get("align_score"), _DECIMALS["align"])) != MISSING:
        out.append(f'<div class="small">similarity {similarity}</div>')
    out.append('</td><td class="scores"><dl class="scorelist">')
    for key, label, value in _scores(seg):
        na = ' class="na" title="not computed"' if value == MISSING else ""
        out.append(f'<dt>{label}</dt><dd data-metric="{key}"{na}>{value}</dd>')
    out.append('</dl></td><td class="flagcell">')
    if flags:
        out.append('<ul class="flags">')
        for flag in flags:
            reason = escape(flag.reason)
            out.append(f'<li><span class="badge {escape(flag.css)}" title="{reason}">{escape(flag.name)}</span>'
                       f'<span class="why">{reason}</span></li>')
        out.append("</ul>")
    out.append("</td></tr>\n")
    return Markup("".join(out)), flags


def _article_view(article: Mapping[str, Any]) -> ArticleView:
    article_id = str(article["article_id"])
    original_article_id = article.get("original_article_id")
    counts = article.get("flag_counts") or {}
    ordered_flags = [f for f in KNOWN_FLAGS if f in counts] + sorted(
        str(f) for f in counts if f not in KNOWN_FLAGS
    )
    flags = tuple(
        (name, int(counts[name]), _flag_css(name))
        for name in ordered_flags
        if counts[name] is not None and int(counts[name]) > 0
    )
    return ArticleView(
        article_id=article_id,
        href="articles/" + article_href(article_id),
        page_href=article_href(article_id),
        doc_path=str(article.get("doc_path") or ""),
        original_path=None
        if article.get("original_path") is None
        else str(article["original_path"]),
        original_article_id=None
        if original_article_id is None
        else str(original_article_id),
        original_href=None
        if original_article_id is None
        else article_href(str(original_article_id)),
        role=str(article.get("role") or ""),
        title=None if article.get("title") is None else str(article["title"]),
        lang=str(article.get("lang") or ""),
        n_segments=_optional_int(article.get("n_segments")),
        n_body=_optional_int(article.get("n_body")),
        scores=_scores(article),
        flags=flags,
        verdict=str(article.get("verdict") or ""),
        reasons=tuple(str(r) for r in _as_list(article.get("reasons"))),
    )


def _stages(stages: Mapping[str, Any] | None) -> tuple[StageView, ...]:
    return tuple(
        parse_stage(str(name), str(status)) for name, status in (stages or {}).items()
    )


def _verdict_order(verdict: str) -> int:
    return {"fail": 0, "pass": 2}.get(verdict, 1)


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("pipeline", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _run_context(run: Mapping[str, Any]) -> dict[str, Any]:
    tool = run.get("tool") or {}
    return {
        "tool_version": tool.get("version"),
        "tool_signature": tool.get("signature"),
        "corpus": run.get("corpus"),
        "generated": run.get("generated"),
        "stages": _stages(run.get("stages")),
    }


# --------------------------------------------------------------------------- API


def render_article(
    article: Mapping[str, Any],
    segments: Sequence[Mapping[str, Any]],
    run: Mapping[str, Any],
) -> str:
    """Render the page ``articles/<article_id>.html`` of one article.

    Inputs:
      article:  one row of ``articles.parquet`` as a dict (see docs/output.md).
      segments: that article's rows of ``segments.parquet`` as dicts, in order;
                omission rows have ``seg_id`` and ``text`` None and
                ``original_text`` set.
      run:      ``{"tool": {"version", "signature"}, "corpus": str,
                "stages": {stage: "ran" | "skipped: <why> — run <command>"},
                "generated": ISO timestamp}``.
    Returns the complete HTML document. Raises ValueError when a segment's
    ``flags`` and ``reasons`` differ in length.
    """
    view = _article_view(article)
    where = f"article {view.article_id}"
    show_original = view.role != "original"
    rows = [_segment_row(seg, view.lang, show_original, i, where) for i, seg in enumerate(segments, 1)]
    seen = {f.name for _, flags in rows for f in flags}
    present_flags = (*(f for f in KNOWN_FLAGS if f in seen), *sorted(seen - set(KNOWN_FLAGS)))
    template = _environment().get_template("article.html")
    return template.render(
        article=view,
        row_html=[html for html, _ in rows],
        present_flags=present_flags,
        n_issue_rows=sum(1 for _, flags in rows if _has_issue(flags)),
        show_original=show_original,
        known_flags=KNOWN_FLAGS,
        missing=MISSING,
        **_run_context(run),
    )


def render_index(
    summary: Mapping[str, Any], articles: Sequence[Mapping[str, Any]]
) -> str:
    """Render ``index.html``.

    Inputs:
      summary:  the content of ``summary.json`` (contract, tool, corpus, stages,
                articles, errors, verdict; an optional ``generated`` timestamp
                is shown).
      articles: the rows of ``articles.parquet`` as dicts, in any order; the page
                lists failing articles first, then by document path.
    Returns the complete HTML document.
    """
    views = sorted(
        (_article_view(a) for a in articles),
        key=lambda v: (_verdict_order(v.verdict), v.doc_path, v.article_id),
    )
    errors = tuple(
        (str(e.get("path", "")), str(e.get("error", "")))
        for e in _as_list(summary.get("errors"))
    )
    template = _environment().get_template("index.html")
    return template.render(
        summary_verdict=str(summary.get("verdict") or ""),
        contract=summary.get("contract"),
        articles=views,
        n_fail=sum(1 for v in views if v.verdict == "fail"),
        n_pass=sum(1 for v in views if v.verdict == "pass"),
        errors=errors,
        known_flags=KNOWN_FLAGS,
        missing=MISSING,
        **_run_context(summary),
    )
