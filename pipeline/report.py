"""HTML pages of an audit: one index page and one page per article.

Pure rendering: the functions here take plain dicts shaped as in ``docs/output.md`` (rows of
``articles.parquet`` / ``segments.parquet``, the content of ``summary.json``) and return the HTML as
a string. They read nothing but their templates (``pipeline/templates/``) and write nothing.

Every string that comes from the corpus is escaped: by Jinja2's autoescaping in the templates, by
``markupsafe.escape`` in the rows built here (several times faster than a template per row), and
no corpus text ever goes inside ``<script>``. Pages are self-contained: inline CSS and SVG, one small
inline script each (keyboard shortcuts; on the index sorting, search and filters), no external URL;
a Content-Security-Policy allows that one script (by its hash) and no network request at all.
Everything but the shortcuts, sorting and search works without the script.

An article page leads with what a reviewer acts on: the verdict and its reasons (each linking to its
segments), the issues grouped by what they say, most severe first; then the segments — issues only
when the article fails —, the words that triggered each flag highlighted and, for same-language or
back-translated pairs, the word-level changes against the original. The index lists variant articles
worst first, with corpus charts drawn in SVG, originals in their own section.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from itertools import pairwise
from typing import Any
from urllib.parse import quote

import jinja2
from markupsafe import Markup, escape

from .detectors import FLAGS
from .issues import (
    flag_order,
    group_reasons,
    has_issue,
    remedy,
    severity,
    severity_counts,
    severity_rank,
    top_flags,
    worst_first_key,
)

__all__ = [
    "KNOWN_FLAGS",
    "ORDER_COLUMNS",
    "ArticleView",
    "FlagView",
    "Nav",
    "StageView",
    "TextPiece",
    "article_href",
    "format_score",
    "navigation",
    "parse_stage",
    "render_article",
    "render_index",
    "report_order",
    "split_spans",
    "word_diff",
]

#: Flags of the output contract (the detector registry's), in the order pages list them. Other flag
#: names still render, with a neutral colour.
KNOWN_FLAGS: tuple[str, ...] = FLAGS

# Decimals shown per metric: sacrebleu scores are on 0..100, COMET and the aligner's similarity on 0..1.
_DECIMALS: dict[str, int] = {"bleu": 1, "chrf": 1, "ter": 1, "comet": 3, "align": 2, "lang": 2}
MISSING = "—"
_RUN_SEPARATOR = re.compile(r"\s+(?:—|–|--|-)\s+run\s+")  # "skipped: <why> — run <command>"
_SCORE_COLUMNS: tuple[tuple[str, str], ...] = (("chrf", "chrF++"), ("bleu", "BLEU"), ("ter", "TER"),
                                               ("comet", "COMET"))
_REASON_RE = re.compile(r"^(?P<flag>[a-z_]+): (?P<n>\d+) of (?P<of>\d+) body segments \((?P<share>\d+%)\)")
_DIFF_CONTEXT = 4  # unchanged words kept on each side of a change in a word diff


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
    waived: str | None = None  # the waiver's reason


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
    waived: Mapping[str, int]
    verdict: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Nav:
    """Where an article sits in the report's order (worst first): its neighbours and position."""

    position: int
    total: int
    prev: str | None = None  # article ids
    next: str | None = None

    @property
    def prev_href(self) -> str | None:
        return article_href(self.prev) if self.prev else None

    @property
    def next_href(self) -> str | None:
        return article_href(self.next) if self.next else None


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

    ``"ran"`` -> state ``ran``; ``"skipped: <why> — run <command>"`` -> state ``skipped`` with ``why``
    and ``command``; anything else is kept raw (state ``other``)."""
    text = str(status).strip()
    if text == "ran":
        return StageView(name=name, state="ran", why=None, command=None, raw=text)
    if text.startswith("skipped"):
        rest = text[len("skipped"):].lstrip(":").strip()
        matches = list(_RUN_SEPARATOR.finditer(rest))
        if matches:
            last = matches[-1]
            why = rest[: last.start()].strip() or None
            command = rest[last.end():].strip() or None
        else:
            why, command = (rest or None), None
        return StageView(name=name, state="skipped", why=why, command=command, raw=text)
    return StageView(name=name, state="other", why=None, command=None, raw=text)


def split_spans(text: str, spans: Iterable[Mapping[str, Any]] | None) -> tuple[TextPiece, ...]:
    """Cut ``text`` into pieces at the language spans' character offsets.

    The pieces always cover the whole text, in order (their texts joined give ``text`` back):
    characters outside every span form pieces with ``lang`` None; offsets out of range are clamped
    and overlapping spans are cut where the previous one ended, so a malformed span never hides or
    repeats text."""
    n = len(text)
    ordered = sorted(((_clamp(span.get("start"), n), _clamp(span.get("end"), n), span.get("lang"))
                      for span in (spans or [])), key=lambda item: (item[0], item[1]))
    pieces: list[TextPiece] = []
    pos = 0
    for start, end, lang in ordered:
        start = max(start, pos)
        if end <= start:
            continue
        if start > pos:
            pieces.append(TextPiece(text[pos:start], None, pos, start))
        pieces.append(TextPiece(text[start:end], None if lang is None else str(lang), start, end))
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
    # Parquet list columns may arrive as lists, tuples or arrays; `value or []` is ambiguous for arrays.
    return [] if value is None else list(value)


def _flag_css(name: str) -> str:
    return f"flag-{name}" if name in KNOWN_FLAGS else "flag-other"


def _optional_int(value: Any) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _flags(row: Mapping[str, Any], where: str) -> tuple[FlagView, ...]:
    flags = [str(f) for f in _as_list(row.get("flags"))]
    reasons = [str(r) for r in _as_list(row.get("reasons"))]
    if len(flags) != len(reasons):
        raise ValueError(f"{where}: {len(flags)} flags but {len(reasons)} reasons (flags={flags!r}); the contract "
                         f"wants one reason per flag")
    waived = {str(w.get("flag")): w for w in _as_list(row.get("waived"))}
    views = []
    for f, r in zip(flags, reasons, strict=True):
        w = waived.get(f)
        note = None
        if w is not None:
            until = f" (until {w.get('expires')})" if w.get("expires") else ""
            note = f"{w.get('reason') or 'waived'}{until}"
        views.append(FlagView(name=f, reason=r, css=_flag_css(f), waived=note))
    return tuple(sorted(views, key=lambda v: flag_order(v.name)))


def sev_badge(sev: str, count: int | None = None) -> str:
    """A severity as an icon and its name, and a count if given (markup; ``sev`` is one of the
    registry's words)."""
    sev = sev if sev in ("critical", "major", "minor", "info") else "info"
    n = "" if count is None else f" {int(count)}"
    return f'<span class="sev sev-{sev}">{sev}{n}</span>'  # the icon is the class's ::before (style.css)


# --------------------------------------------------------------------------- text with highlights


def _highlights(row: Mapping[str, Any], side: str, n: int) -> list[tuple[int, int, str]]:
    out = []
    for h in _as_list(row.get("highlights")):
        if str(h.get("side") or "text") != side:
            continue
        start, end = _clamp(h.get("start"), n), _clamp(h.get("end"), n)
        if end > start:
            out.append((start, end, str(h.get("flag") or "")))
    return sorted(out)


def _marks(text: str, start: int, end: int, marks: list[tuple[int, int, str]]) -> str:
    """``text[start:end]`` escaped, with ``<mark>`` around the characters that triggered a flag. A
    flag whose highlight is the whole segment (an untranslated sentence) gets a lighter mark, so the
    words a narrower finding points at stand out inside it."""
    inside = [(max(a, start), min(b, end), f) for a, b, f in marks if a < end and b > start]
    if not inside:
        return str(escape(text[start:end]))
    whole = {(a, b, f) for a, b, f in marks if a == 0 and b == len(text)}
    cuts = sorted({start, end, *(a for a, _, _ in inside), *(b for _, b, _ in inside)})
    out = []
    for a, b in pairwise(cuts):
        piece = escape(text[a:b])
        covering = [(x, y, f) for x, y, f in marks if x <= a and y >= b]
        if covering:
            flags = sorted({f for _, _, f in covering}, key=flag_order)
            narrow = [m for m in covering if m not in whole]
            top = min((severity(f) for f in flags), key=severity_rank)
            names = escape(", ".join(flags))
            out.append(f'<mark class="hl hl-{top}{"" if narrow else " whole"}" title="{names}">{piece}</mark>')
        else:
            out.append(str(piece))
    return "".join(out)


def marked_text(text: str, spans: Sequence[Mapping[str, Any]] | None, marks: list[tuple[int, int, str]],
                expected_lang: str) -> str:
    """A segment's text as markup: language spans (the expected language and others) and, inside
    them, the characters that triggered a flag. Every character of ``text`` appears once, escaped."""
    if not spans and not marks:
        return str(escape(text))
    out = []
    for p in split_spans(text, spans):
        inner = _marks(text, p.start, p.end, marks)
        if p.lang is None:
            out.append(inner)
        else:
            side, plang = "expected" if p.lang == expected_lang else "foreign", escape(p.lang)
            out.append(f'<span class="span span-{side}" lang="{plang}" data-lang="{plang}" '
                       f'title="{plang}: characters {p.start}–{p.end}">{inner}</span>')
    return "".join(out)


def word_diff(original: str, variant: str) -> list[tuple[str, str]]:
    """Word-level changes from ``original`` to ``variant``: ('=', words), ('-', words of the original
    left out), ('+', words of the variant put in), in order. Joining the '=' and '+' parts with spaces
    gives the variant's words back; the '=' and '-' parts the original's."""
    a, b = original.split(), variant.split()
    out: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(("=", " ".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(("-", " ".join(a[i1:i2])))
        if j2 > j1:
            out.append(("+", " ".join(b[j1:j2])))
    return out


def _diff_html(ops: list[tuple[str, str]], against: str) -> str:
    parts = []
    for k, (op, words) in enumerate(ops):
        if op == "=":
            w = words.split()
            if len(w) > 2 * _DIFF_CONTEXT + 1:
                head = " ".join(w[:_DIFF_CONTEXT]) if k > 0 else ""
                tail = " ".join(w[-_DIFF_CONTEXT:]) if k < len(ops) - 1 else ""
                parts.append(" ".join(x for x in (str(escape(head)), '<span class="gap">…</span>', str(escape(tail)))
                                      if x))
            else:
                parts.append(str(escape(words)))
        elif op == "-":
            parts.append(f"<del><span class=\"vh\">[removed: </span>{escape(words)}<span class=\"vh\">]</span></del>")
        else:
            parts.append(f"<ins><span class=\"vh\">[added: </span>{escape(words)}<span class=\"vh\">]</span></ins>")
    return (f'<div class="diff"><span class="side-label">changes against {escape(against)}</span>'
            + " ".join(parts) + "</div>")


# --------------------------------------------------------------------------- segment rows


@dataclass
class _Row:
    seg: Mapping[str, Any]
    flags: tuple[FlagView, ...]
    anchor: str
    issue: bool


def _segment_html(r: _Row, expected_lang: str, paired: bool, prev_issue: str | None, next_issue: str | None
                  ) -> str:
    """The markup of one segment row (a ``<li>``). Built here rather than in the template: a page holds
    hundreds of rows, and this is several times faster than Jinja2's generator. Every value that is not
    a number or a fixed word goes through ``escape``."""
    seg, flags = r.seg, r.flags
    seg_id = _optional_int(seg.get("seg_id"))
    block, text = str(seg.get("block") or ""), seg.get("text")
    counting = [f for f in flags if f.name != "boilerplate" and f.waived is None]
    classes = ["seg"]
    if block == "boilerplate":
        classes.append("boilerplate")
    if text is None:
        classes.append("omission")
    if r.issue:
        classes.append("issue")
        top = min((severity(f.name) for f in counting), key=severity_rank) if counting else None
        classes.append(f"sev-top-{top}" if top else "waived-all")
    classes.extend(f"has-{f.css}" for f in flags)
    out = [f'<li class="{escape(" ".join(dict.fromkeys(classes)))}" id="{r.anchor}"'
           + (' tabindex="-1"' if r.issue else "") + ">"]
    # head: number, block, language, alignment, scores, steps
    head = [f'<a class="num" href="#{r.anchor}">#{seg_id}</a>' if seg_id is not None
            else f'<a class="num" href="#{r.anchor}">omitted</a>', f'<span class="block">{escape(block)}</span>']
    lang = None if seg.get("lang") is None else str(seg["lang"])
    if text is not None:
        mismatch = bool(lang and expected_lang and lang != expected_lang and block != "boilerplate")
        conf = format_score(seg.get("lang_confidence"), _DECIMALS["lang"])
        title = f"detected language; {escape(expected_lang)} was expected" if mismatch else "detected language"
        head.append(f'<span class="langtag{" mismatch" if mismatch else ""}" title="{title}">'
                    f'{escape(lang or "lang ?")}</span>' + (f" {conf}" if conf != MISSING else ""))
    alignment = str(seg.get("alignment") or "")
    if paired and alignment not in ("unpaired", "original", ""):
        detail: list[str] = [str(escape(alignment))]
        if (ids := _as_list(seg.get("original_seg_ids"))) and text is not None:
            detail.append("original #" + ", #".join(str(int(i)) for i in ids))
        if (similarity := format_score(seg.get("align_score"), _DECIMALS["align"])) != MISSING:
            detail.append(f"similarity {similarity}")
        head.append(f'<span class="align">{" · ".join(map(str, detail))}</span>')
    scores = [f"{label} {value}" for key, label in _SCORE_COLUMNS
              if (value := format_score(seg.get(key), _DECIMALS[key])) != MISSING]
    if scores:
        head.append(f'<span class="scores">{" · ".join(scores)}</span>')
    if r.issue and seg.get("fingerprint"):
        head.append(f'<span class="fp" title="fingerprint: the scope of a waiver for this segment">'
                    f'{escape(seg["fingerprint"])}</span>')
    if r.issue and (prev_issue or next_issue):
        steps = []
        if prev_issue:
            steps.append(f'<a href="#{prev_issue}">↑ previous issue</a>')
        if next_issue:
            steps.append(f'<a href="#{next_issue}">next issue ↓</a>')
        head.append(f'<span class="steps">{"".join(steps)}</span>')
    out.append(f'<div class="seg-head">{"".join(head)}</div>')
    # body: the variant (and the original beside it when there is one)
    original = seg.get("original_text")
    two = paired and (original is not None or alignment in ("addition", "omission"))
    out.append(f'<div class="seg-body{" two" if two else ""}">')
    if text is None:
        out.append('<div class="variant"><span class="missing-text">omitted — this original text has no '
                   'counterpart here</span></div>')
    else:
        text = str(text)
        body = marked_text(text, _as_list(seg.get("spans")), _highlights(seg, "text", len(text)) if r.issue else [],
                           expected_lang)
        out.append('<div class="variant">')
        if two:
            out.append('<div class="side-label">variant</div>')
        out.append(f'<div class="text" lang="{escape(lang)}">{body}</div>' if lang else f'<div class="text">{body}</div>')
        bt = seg.get("backtranslation")
        if bt is not None:
            bt = str(bt)
            marks = _highlights(seg, "backtranslation", len(bt)) if r.issue else []
            out.append(f'<div class="bt" lang="en"><span class="side-label">back-translation</span>'
                       f'<span class="text">{_marks(bt, 0, len(bt), marks)}</span></div>')
        out.append("</div>")
    if two:
        out.append('<div class="original"><div class="side-label">original</div>')
        if original is not None:
            o = str(original)
            marks = _highlights(seg, "original", len(o)) if r.issue else []
            out.append(f'<div class="text">{_marks(o, 0, len(o), marks)}</div>')
        else:
            out.append('<span class="missing-text">no counterpart in the original</span>')
        out.append("</div>")
    out.append("</div>")
    # the word-level changes, for a flagged group compared in one language
    if r.issue and text is not None and original is not None and seg.get("chrf") is not None:
        against = seg.get("backtranslation")
        compared = str(against) if against is not None else str(text)
        ops = word_diff(str(original), compared)
        if any(op != "=" for op, _ in ops):
            out.append(_diff_html(ops, "the original (back-translation)" if against is not None else "the original"))
    if flags:
        out.append('<ul class="flags">')
        for f in flags:
            sev = severity(f.name)
            waived = f.waived is not None
            out.append(f'<li class="{"is-waived" if waived else ""}">{sev_badge(sev)} '
                       f'<span class="badge {f.css}">{escape(f.name)}</span> '
                       + ('<span class="badge waived">waived</span> ' if waived else "")
                       + f'<span class="why">{escape(f.reason)}</span>'
                       + (f' <span class="waiver">waived: {escape(f.waived)}</span>' if waived else "") + "</li>")
        out.append("</ul>")
    out.append("</li>\n")
    return "".join(out)


# --------------------------------------------------------------------------- the article page


def _scores(row: Mapping[str, Any]) -> tuple[tuple[str, str, str], ...]:
    return tuple((key, label, format_score(row.get(key), _DECIMALS[key])) for key, label in _SCORE_COLUMNS)


def _article_view(article: Mapping[str, Any]) -> ArticleView:
    article_id = str(article["article_id"])
    original_article_id = article.get("original_article_id")
    counts = article.get("flag_counts") or {}
    ordered = sorted((str(f) for f in counts), key=flag_order)
    flags = tuple((name, int(counts[name]), _flag_css(name)) for name in ordered
                  if counts[name] is not None and int(counts[name]) > 0)
    return ArticleView(
        article_id=article_id, href="articles/" + article_href(article_id), page_href=article_href(article_id),
        doc_path=str(article.get("doc_path") or ""),
        original_path=None if article.get("original_path") is None else str(article["original_path"]),
        original_article_id=None if original_article_id is None else str(original_article_id),
        original_href=None if original_article_id is None else article_href(str(original_article_id)),
        role=str(article.get("role") or ""), title=None if article.get("title") is None else str(article["title"]),
        lang=str(article.get("lang") or ""), n_segments=_optional_int(article.get("n_segments")),
        n_body=_optional_int(article.get("n_body")), scores=_scores(article), flags=flags,
        waived={str(k): int(v) for k, v in (article.get("waived_counts") or {}).items() if v},
        verdict=str(article.get("verdict") or ""), reasons=tuple(str(r) for r in _as_list(article.get("reasons"))))


def _stages(stages: Mapping[str, Any] | None) -> tuple[StageView, ...]:
    return tuple(parse_stage(str(name), str(status)) for name, status in (stages or {}).items())


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("pipeline", "templates"), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                              keep_trailing_newline=True)


@lru_cache(maxsize=4)
def _script(name: str) -> tuple[Markup, str]:
    """An inline script of the templates folder and the Content-Security-Policy that allows it alone."""
    source = _environment().loader.get_source(_environment(), name)[0]  # type: ignore[union-attr]
    digest = base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii")
    csp = (f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-{digest}'; "
           f"base-uri 'none'; form-action 'none'")
    return Markup(source), csp


def _run_context(run: Mapping[str, Any]) -> dict[str, Any]:
    tool = run.get("tool") or {}
    return {"tool_version": tool.get("version"), "tool_signature": tool.get("signature"),
            "corpus": run.get("corpus"), "generated": run.get("generated"), "stages": _stages(run.get("stages"))}


def _reason_html(reason: str, first_anchor: Mapping[str, str], counts: Mapping[str, int]) -> Markup:
    """A verdict reason, its flag linking to the first segment that carries it (and, with the page's
    script, showing only those segments)."""
    flag = reason.partition(":")[0]
    rest = reason[len(flag):]
    if flag in first_anchor:
        n = counts.get(flag, 0)
        return Markup(f'{sev_badge(severity(flag))} <a href="#{first_anchor[flag]}" data-show="flag-{escape(flag)}" '
                      f'title="show the {n} segment{"" if n == 1 else "s"} flagged {escape(flag)}">{escape(flag)}</a>'
                      f"{escape(rest)}")
    return Markup(escape(reason))


def _group_html(g: Any, waived: bool = False) -> Markup:
    links = g.anchors[:40]
    where = " ".join(f'<a href="#{a}">{"#" + a[4:] if a.startswith("seg-") else "omitted"}</a>' for a in links)
    more = f" … and {g.count - len(links)} more" if g.count > len(links) else ""
    label = f"{escape(g.flag)} ×{g.count}" if g.count > 1 else escape(g.flag)
    show = (f' · <a href="#{g.anchors[0]}" data-show="flag-{escape(g.flag)}">show only {escape(g.flag)}</a>'
            if not waived else "")
    return Markup(f'<div class="group-head">{sev_badge(g.severity)} <span class="badge {_flag_css(g.flag)}">'
                  f'<span class="times">{label}</span></span> '
                  + ('<span class="badge waived">waived</span> ' if waived else "")
                  + f'<span class="what">{escape(g.text)}</span></div>'
                  f'<div class="where">segment{"s" if g.count > 1 else ""}: {where}{more}{show}</div>')


def _score_line(view: ArticleView, paired: bool) -> Markup:
    shown = [(label, value) for key, label, value in view.scores if value != MISSING]
    missing = [label for key, label, value in view.scores if value == MISSING]
    if view.role == "original":
        return Markup("")
    if not paired:
        return Markup('<span class="small">No scores: scores compare a variant with its original, and this '
                      "article has none.</span>")
    if not shown:
        return Markup('<span class="small">No scores: chrF++, BLEU and TER compare texts in one language, and this '
                      "cross-language pair has no back-translation (see the stages).</span>")
    parts = [f'<span class="score">{escape(label)} <strong>{value}</strong></span>' for label, value in shown]
    if missing:
        parts.append(f'<span class="small">not computed: {escape(", ".join(missing))}</span>')
    return Markup("".join(parts))


def render_article(article: Mapping[str, Any], segments: Sequence[Mapping[str, Any]], run: Mapping[str, Any],
                   navigation: Nav | None = None) -> str:
    """Render the page ``articles/<article_id>.html`` of one article.

    Inputs:
      article:  one row of ``articles.parquet`` as a dict (see docs/output.md).
      segments: that article's rows of ``segments.parquet`` as dicts, in order; omission rows have
                ``seg_id`` and ``text`` None and ``original_text`` set.
      run:      ``{"tool": {"version", "signature"}, "corpus": str, "stages": {stage: "ran" |
                "skipped: <why> — run <command>"}, "generated": ISO timestamp}``.
      navigation: the article's place in the report (see :func:`navigation`), for the previous/next
                article links; None leaves them out.
    Returns the complete HTML document. Raises ValueError when a segment's ``flags`` and ``reasons``
    differ in length."""
    view = _article_view(article)
    where = f"article {view.article_id}"
    paired = view.role != "original" and view.original_article_id is not None
    rows = []
    for i, seg in enumerate(segments, 1):
        flags = _flags(seg, f"{where} segment {seg.get('seg_id') if seg.get('seg_id') is not None else '(omission)'}")
        seg_id = _optional_int(seg.get("seg_id"))
        rows.append(_Row(seg, flags, f"seg-{seg_id}" if seg_id is not None else f"omitted-{i}",
                         has_issue([f.name for f in flags])))
    issue_anchors = [r.anchor for r in rows if r.issue]
    position = {a: k for k, a in enumerate(issue_anchors)}
    row_html = []
    for r in rows:
        k = position.get(r.anchor)
        prev_a = issue_anchors[k - 1] if k is not None and k > 0 else None
        next_a = issue_anchors[k + 1] if k is not None and k + 1 < len(issue_anchors) else None
        row_html.append(_segment_html(r, view.lang, paired, prev_a, next_a))
    findings = [(f.name, f.reason, r.anchor) for r in rows for f in r.flags
                if f.name != "boilerplate" and f.waived is None]
    waived = [(f.name, f.reason, r.anchor) for r in rows for f in r.flags if f.waived is not None]
    first_anchor: dict[str, str] = {}
    counts: Counter[str] = Counter()
    for flag, _, anchor in findings:
        first_anchor.setdefault(flag, anchor)
        counts[flag] += 1
    groups = [_group_html(g) for g in group_reasons(findings)] + [_group_html(g, True) for g in group_reasons(waived)]
    seen = {f.name for r in rows for f in r.flags}
    present_flags = sorted(seen, key=flag_order)
    script, csp = _script("article.js")
    n_issue_rows = sum(1 for r in rows if r.issue)
    return _environment().get_template("article.html").render(
        article=view, rows_html=Markup("\n".join(row_html)), present_flags=[f for f in present_flags if f in KNOWN_FLAGS],
        n_issue_rows=n_issue_rows, n_rows=len(rows), issues_first=view.verdict == "fail" and n_issue_rows > 0,
        reason_html=[_reason_html(r, first_anchor, counts) for r in view.reasons], groups=groups,
        waived_total=len(waived), score_html=_score_line(view, paired), nav=navigation,
        legend=any(r.issue for r in rows) or any(_as_list(r.seg.get("spans")) for r in rows),
        has_diff=paired and any(r.issue and r.seg.get("chrf") is not None for r in rows),
        known_flags=KNOWN_FLAGS, missing=MISSING, script=script, csp=csp, **_run_context(run))


#: The columns of articles.parquet that :func:`report_order` reads.
ORDER_COLUMNS = ("article_id", "role", "verdict", "flag_counts", "n_body", "doc_path")


def report_order(articles: Iterable[Mapping[str, Any]]) -> list[str]:
    """Article ids in the report's order: variant articles worst first, as the index lists them, then
    the originals by path. ``articles``: rows with article_id, role, verdict, flag_counts, n_body,
    doc_path."""
    rows = list(articles)
    variants = sorted((a for a in rows if a.get("role") != "original" and a.get("verdict") != "reference"),
                      key=lambda a: worst_first_key(str(a.get("verdict")), a.get("flag_counts") or {},
                                                    a.get("n_body"), str(a["article_id"])))
    originals = sorted((a for a in rows if a.get("role") == "original" or a.get("verdict") == "reference"),
                       key=lambda a: (str(a.get("doc_path") or ""), str(a["article_id"])))
    return [str(a["article_id"]) for a in variants + originals]


def navigation(order: Sequence[str], wanted: Iterable[str] | None = None) -> dict[str, Nav]:
    """Each article's place in ``order`` (see :func:`report_order`) with its previous and next
    article; only for the ids in ``wanted`` when given."""
    keep = None if wanted is None else set(wanted)
    return {a: Nav(k + 1, len(order), order[k - 1] if k > 0 else None, order[k + 1] if k + 1 < len(order) else None)
            for k, a in enumerate(order) if keep is None or a in keep}


# --------------------------------------------------------------------------- the index page


def _short_reason(reason: str) -> str:
    m = _REASON_RE.match(reason)
    if m:
        return f"{m['flag']} {m['n']} of {m['of']} ({m['share']})"
    return reason.partition(": ")[0] if len(reason) > 90 else reason


#: Rows per chunk of the index's article table: each chunk is laid out only when it is on screen
#: (``content-visibility: auto``), so a 2,000-article index loads as fast as a 100-article one.
INDEX_CHUNK = 100


def _index_row(v: ArticleView, article: Mapping[str, Any]) -> Markup:
    """One row of the index's article table (an ARIA table of rows in chunks: see ``INDEX_CHUNK``):
    few elements per row, the sort and filter keys in data attributes."""
    counts = article.get("flag_counts") or {}
    sev = severity_counts(counts)
    n_issues = sum(sev.values())
    rank = worst_first_key(v.verdict, counts, v.n_body, v.article_id)
    flags = " ".join(f for f, _, _ in v.flags if f != "boilerplate")
    attrs = {"verdict": v.verdict, "lang": v.lang, "flags": flags, "issues": str(n_issues),
             "rank": f"{rank[0]}{-rank[1]:06d}{-rank[2]:06d}"}
    data = " ".join(f'data-{k}="{escape(val)}"' for k, val in attrs.items())
    scores = {key: value for key, _, value in v.scores}
    data += "".join(f' data-{key}="{escape(str(article.get(key)))}"' for key, _ in _SCORE_COLUMNS
                    if scores[key] != MISSING)
    row_class = v.verdict if v.verdict in ("fail", "pass", "unverified") else "other"
    original = (f' · original <a href="articles/{escape(v.original_href)}">{escape(v.original_path or "")}</a>'
                if v.original_href else " · no original")
    # the cells' labels on a narrow screen come from style.css, not from attributes
    out = [f'<div role="row" class="art row-{row_class}" {data}>',
           f'<div role="cell" class="c-verdict">{_verdict_badge(v.verdict)}</div>',
           (f'<div role="cell" class="c-article"><a class="article-link" href="{escape(v.href)}">'
            f'{escape(v.title) if v.title else escape(v.article_id)}</a>'
            f'<div class="small mono">{escape(v.article_id)} · {escape(v.doc_path)}{original}</div></div>'),
           f'<div role="cell" class="c-lang">{escape(v.lang or "?")}</div>', '<div role="cell" class="c-issues">']
    out += [sev_badge(s, sev[s]) + " " for s in ("critical", "major", "minor") if sev[s]]
    if not n_issues:
        out.append("none")
    waived = sum(v.waived.values())
    if waived:
        out.append(f' <span class="badge waived">{waived} waived</span>')
    out.append("</div>")
    for key, _label in _SCORE_COLUMNS:
        value = scores[key]
        out.append(f'<div role="cell" class="num c-{key}{" na" if value == MISSING else ""}">{value}</div>')
    out.append('<div role="cell" class="flagcell">')
    out += [f'<span class="badge {css}">{str(escape(name)).replace("_", "_<wbr>")} {count}</span> '
            for name, count, css in v.flags if name != "boilerplate"]
    out.append('</div><div role="cell" class="why">')
    out.append("<br>".join(str(escape(_short_reason(r))) for r in v.reasons))
    out.append("</div></div>\n")
    return Markup("".join(out))


def _verdict_badge(verdict: str) -> str:
    v = verdict if verdict in ("pass", "fail", "unverified", "reference") else "other"
    return f'<span class="badge verdict verdict-{v}">{escape(verdict or "unknown")}</span>'


def _reference_row(v: ArticleView, n_variants: int) -> Markup:
    """One original of the index's references list (a list, not a table: there can be thousands)."""
    name = escape(v.title) if v.title else escape(v.article_id)
    return Markup(f'<li><a href="{escape(v.href)}">{name}</a> <span class="small mono">{escape(v.doc_path)} · '
                  f'{escape(v.lang)} · {n_variants} variant{"" if n_variants == 1 else "s"}</span></li>\n')


# --------------------------------------------------------------------------- charts (inline SVG)

_FLAG_COLOURS = {"untranslated": "#c0392b", "partially_translated": "#e67e22", "garbled": "#8e44ad",
                 "spun": "#6d28d9", "omission": "#2563eb", "addition": "#0f766e", "number_mismatch": "#b7791f",
                 "term_violation": "#be185d"}


def _e(text: str) -> str:
    """``escape`` as a plain str, safe to concatenate with other markup strings (a Markup on the
    right of ``+`` would escape the markup on its left)."""
    return str(escape(text))


def _colour(flag: str) -> str:
    return _FLAG_COLOURS.get(flag, "#6b7280")


def _legend(items: Sequence[tuple[str, str]]) -> str:
    return ('<div class="chart-legend">' + "".join(f'<span style="--c:{c}">{escape(t)}</span>' for t, c in items)
            + "</div>")


def chart_flags_by_language(articles: Sequence[Mapping[str, Any]]) -> Markup | None:
    """Segments flagged per flag, one stacked bar per variant language."""
    by_lang: dict[str, Counter[str]] = {}
    for a in articles:
        if a.get("role") == "original":
            continue
        c = by_lang.setdefault(str(a.get("lang") or "?"), Counter())
        c.update({k: int(v) for k, v in (a.get("flag_counts") or {}).items() if v and k != "boilerplate"})
    langs = sorted(by_lang, key=lambda lg: (-sum(by_lang[lg].values()), lg))
    if not langs or not any(by_lang.values()):
        return None
    flags = sorted({f for c in by_lang.values() for f in c}, key=flag_order)
    top = max(sum(c.values()) for c in by_lang.values()) or 1
    width, left, bar, gap = 380, 34, 20, 8
    height = len(langs) * (bar + gap) + 4
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="c-flags-t">'
             f'<title id="c-flags-t">Segments flagged, per flag, per language: '
             + _e("; ".join(f"{lg}: " + ", ".join(f"{f} {by_lang[lg][f]}" for f in flags if by_lang[lg][f])
                                for lg in langs)) + "</title>"]
    for k, lg in enumerate(langs):
        y = k * (bar + gap) + 2
        parts.append(f'<text x="0" y="{y + bar - 6}">{escape(lg)}</text>')
        x = float(left)
        for f in flags:
            n = by_lang[lg][f]
            if not n:
                continue
            w = (width - left - 44) * n / top
            parts.append(f'<rect x="{x:.1f}" y="{y}" width="{max(w, 1):.1f}" height="{bar}" fill="{_colour(f)}">'
                         f"<title>{escape(lg)}: {escape(f)} {n}</title></rect>")
            x += w
        parts.append(f'<text x="{x + 6:.1f}" y="{y + bar - 6}">{sum(by_lang[lg].values())}</text>')
    parts.append("</svg>")
    legend = _legend([(f"{f} ({sum(c[f] for c in by_lang.values())})", _colour(f)) for f in flags])
    return Markup('<figure class="chart"><figcaption>Flagged segments per language</figcaption>'
                  + "".join(parts) + legend + "</figure>")


def chart_score_distribution(articles: Sequence[Mapping[str, Any]], key: str, label: str, top: float
                             ) -> Markup | None:
    """Histogram of the articles' ``key`` score (0..``top``, ten bins), one row per variant language."""
    values: dict[str, list[float]] = {}
    for a in articles:
        v = a.get(key)
        if a.get("role") == "original" or v is None or (isinstance(v, float) and math.isnan(v)):
            continue
        values.setdefault(str(a.get("lang") or "?"), []).append(float(v))
    if not values:
        return None
    langs = sorted(values)
    bins = 10
    width, left, row_h = 380, 34, 50
    height = len(langs) * row_h + 22
    inner = width - left - 10
    counts = {lg: Counter(min(bins - 1, max(0, int(v / top * bins))) for v in values[lg]) for lg in langs}
    peak = max(max(c.values()) for c in counts.values()) or 1
    cid = f"c-{key}-t"
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{cid}">'
             f'<title id="{cid}">{escape(label)} of the articles, per language: '
             + _e("; ".join(f"{lg}: {len(values[lg])} articles, median "
                                f"{sorted(values[lg])[len(values[lg]) // 2]:.{_DECIMALS[key]}f}" for lg in langs))
             + "</title>"]
    for k, lg in enumerate(langs):
        y0 = k * row_h
        parts.append(f'<text x="0" y="{y0 + row_h - 14}">{escape(lg)}</text>')
        for b in range(bins):
            n = counts[lg].get(b, 0)
            if not n:
                continue
            h = (row_h - 12) * n / peak
            lo, hi = top * b / bins, top * (b + 1) / bins
            x = left + inner * b / bins
            parts.append(f'<rect x="{x + 1:.1f}" y="{y0 + row_h - 8 - h:.1f}" width="{inner / bins - 2:.1f}" '
                         f'height="{h:.1f}" fill="#2563eb"><title>{escape(lg)}: {n} article{"" if n == 1 else "s"} '
                         f"with {escape(label)} {lo:g}–{hi:g}</title></rect>")
        parts.append(f'<line class="axis" x1="{left}" x2="{width - 10}" y1="{y0 + row_h - 8}" y2="{y0 + row_h - 8}"/>')
    for t in (0, 0.5, 1):
        x = left + inner * t
        parts.append(f'<text x="{x:.1f}" y="{height - 4}" text-anchor="{"start" if t == 0 else "end" if t == 1 else "middle"}">'
                     f"{top * t:g}</text>")
    parts.append("</svg>")
    return Markup(f'<figure class="chart"><figcaption>{escape(label)} per article, per language</figcaption>'
                  + "".join(parts) + "</figure>")


def chart_worst(views: Sequence[ArticleView], articles: Mapping[str, Mapping[str, Any]], n: int = 10
                ) -> Markup | None:
    """The ``n`` worst failing articles: the share of their body segments flagged, linked to their pages."""
    worst = [v for v in views if v.verdict == "fail"][:n]
    if not worst:
        return None
    width, left, bar, gap = 380, 170, 18, 6
    height = len(worst) * (bar + gap) + 4
    titles = Counter(v.title for v in worst)
    # a group, not an image: its bars are links to the articles' pages
    parts = [(f'<svg class="chart" viewBox="0 0 {width} {height}" role="group" aria-labelledby="c-worst-t">'
              f'<title id="c-worst-t">The {len(worst)} worst failing articles and the share of their body segments '
              f"that carry a flag</title>")]
    for k, v in enumerate(worst):
        counts = articles[v.article_id].get("flag_counts") or {}
        issues = sum(severity_counts(counts).values())
        share = min(1.0, issues / max(1, v.n_body or 0))
        y = k * (bar + gap) + 2
        name = v.title if v.title and titles[v.title] == 1 else v.doc_path or v.article_id
        name = name if len(name) <= 24 else name[:23] + "…"
        tops = top_flags(counts, 1)
        colour = _colour(tops[0][0]) if tops else "#6b7280"
        parts.append(f'<a href="{escape(v.href)}"><text x="0" y="{y + bar - 5}">{escape(name)}</text>'
                     f'<rect x="{left}" y="{y}" width="{max(2.0, (width - left - 40) * share):.1f}" height="{bar}" '
                     f'fill="{colour}"><title>{escape(v.article_id)}: {issues} of {v.n_body or 0} body segments flagged'
                     f"</title></rect></a>"
                     f'<text x="{left + (width - left - 40) * share + 4:.1f}" y="{y + bar - 5}">{share:.0%}</text>')
    parts.append("</svg>")
    return Markup('<figure class="chart"><figcaption>Worst articles: share of body segments flagged</figcaption>'
                  + "".join(parts) + "</figure>")


def _chunks(rows: list[Markup]) -> list[Markup]:
    return [Markup("".join(rows[k:k + INDEX_CHUNK])) for k in range(0, len(rows), INDEX_CHUNK)]


def render_index(summary: Mapping[str, Any], articles: Sequence[Mapping[str, Any]]) -> str:
    """Render ``index.html``.

    Inputs:
      summary:  the content of ``summary.json`` (contract, tool, corpus, stages, articles, errors,
                verdict, counts, languages, waivers; an optional ``generated`` timestamp is shown).
      articles: the rows of ``articles.parquet`` as dicts, in any order; the page lists variant
                articles worst first, then the originals by document path.
    Returns the complete HTML document."""
    by_id = {str(a["article_id"]): a for a in articles}
    views = [_article_view(a) for a in articles]
    variants = sorted((v for v in views if v.role != "original" and v.verdict != "reference"),
                      key=lambda v: worst_first_key(v.verdict, by_id[v.article_id].get("flag_counts") or {},
                                                    v.n_body, v.article_id))
    originals = sorted((v for v in views if v.role == "original" or v.verdict == "reference"),
                       key=lambda v: (v.doc_path, v.article_id))
    n_variants_of = Counter(v.original_article_id for v in variants if v.original_article_id)
    errors = [{"path": str(e.get("path", "")), "error": str(e.get("error", "")),
               "severity": str(e.get("severity", "error")), "todo": remedy(str(e.get("path", "")),
                                                                            str(e.get("error", "")))}
              for e in _as_list(summary.get("errors"))]
    waivers = summary.get("waivers") or {}
    if waivers.get("file"):
        waivers = {**waivers, "unused": [w for w in waivers.get("active", []) if not w.get("applied")]}
    else:
        waivers = {}
    counts_map = summary.get("counts") or Counter(v.verdict for v in views)
    counts = [(k, counts_map.get(k, 0)) for k in ("fail", "unverified", "pass", "reference")]
    charts = [c for c in (chart_flags_by_language(articles),
                          chart_score_distribution(articles, "chrf", "chrF++", 100.0),
                          chart_score_distribution(articles, "comet", "COMET", 1.0),
                          chart_worst(variants, by_id)) if c is not None]
    flag_options = sorted({f for v in variants for f, _, _ in v.flags if f != "boilerplate"}, key=flag_order)
    script, csp = _script("index.js")
    return _environment().get_template("index.html").render(
        summary_verdict=str(summary.get("verdict") or ""), contract=summary.get("contract"),
        counts=counts, languages=list(summary.get("languages") or ()), n_variants=len(variants),
        n_references=len(originals), n_fail=sum(1 for v in variants if v.verdict == "fail"),
        chunks=_chunks([_index_row(v, by_id[v.article_id]) for v in variants]),
        reference_html=[_reference_row(v, n_variants_of.get(v.article_id, 0)) for v in originals],
        errors=errors, waivers=waivers, charts=charts,
        verdict_options=[v for v in ("fail", "unverified", "pass") if any(x.verdict == v for x in variants)],
        lang_options=sorted({v.lang for v in variants}), flag_options=flag_options,
        score_columns=_SCORE_COLUMNS, known_flags=KNOWN_FLAGS, missing=MISSING, script=script, csp=csp,
        **_run_context(summary))
