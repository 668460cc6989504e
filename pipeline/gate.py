"""The gate: what a CI job decides from a report, and how it says so.

:func:`evaluate` takes a report (the content of ``summary.json`` and, where findings or scores are
needed, the rows of ``segments.parquet``) and optionally an earlier report, the *baseline*, and
returns a :class:`GateResult`. Waivers were applied by the judge already: a waived finding is in the
rows (``waived``) but not in the verdicts.

Without a baseline the gate is the report's verdict. With one, only what newly fails counts:

* an article that fails now and did not before (or is new), matched by article id;
* an article that failed before and now has new findings: (segment fingerprint, flag) pairs the
  baseline did not have — a known failure with nothing new stays known;
* a score that dropped for real: the article's aligned groups that both reports hold (matched by their
  original text) are compared with sacrebleu's paired bootstrap resampling (chrF++; COMET where both
  reports have it, by a paired bootstrap of the mean); a drop counts when it is significant at
  ``alpha`` and the article has at least :data:`MIN_GROUPS` such groups. The same test over the
  changed articles' groups together tells a corpus-level drop from noise;
* an input error the baseline did not have (under ``[gate] fail_on_errors``), and an unverified
  article that is new under ``[gate] unverified = fail``.

Formats: :func:`format_text` (a compact summary; ``verbose`` lists every article), :func:`format_json`,
:func:`format_github` (workflow commands) and ``pipeline.junit.junit_xml``. Nothing here reads files:
the caller hands in the report's content and, for annotations, a function that finds a text's line.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import polars as pl

from .issues import SEVERITY_MARK, has_issue, severity, severity_counts, top_flags, worst_first_key

ALPHA = 0.05
N_BOOTSTRAP = 1000
MIN_GROUPS = 5  # fewer aligned groups than this: a bootstrap cannot tell a drop from noise
SEED = 12345  # sacrebleu's default seed (SACREBLEU_SEED), so the figures are reproducible


@dataclass(frozen=True)
class Issue:
    """One finding on one segment."""

    seg_id: int | None
    flag: str
    reason: str
    fingerprint: str
    text: str | None  # the segment; for an omission, the original text it lacks
    waived: str | None = None  # the waiver's reason when waived
    new: bool = True  # under a baseline: not in the baseline


@dataclass(frozen=True)
class ScoreChange:
    """A score of the baseline and of this report over the same aligned groups, and whether the
    difference is more than noise (paired bootstrap)."""

    metric: str
    old: float
    new: float
    n_groups: int
    p_value: float | None  # None: too few groups to test
    significant: bool

    @property
    def delta(self) -> float:
        return self.new - self.old

    def describe(self) -> str:
        fmt = "{:.3f}" if self.metric == "COMET" else "{:.1f}"
        test = (f"paired bootstrap p={self.p_value:.3f}, {self.n_groups} groups" if self.p_value is not None
                else f"{self.n_groups} groups: too few to test")
        return f"{self.metric} {fmt.format(self.old)} → {fmt.format(self.new)} ({test})"


@dataclass(frozen=True)
class ArticleOutcome:
    article_id: str
    doc_path: str
    title: str | None
    lang: str
    verdict: str  # the report's verdict of the article
    status: str  # fail | unverified | pass | known (fails, but nothing new since the baseline)
    why: tuple[str, ...]  # the verdict's reasons; under a baseline, what is new
    flag_counts: Mapping[str, int]
    waived: int
    n_body: int
    issues: tuple[Issue, ...] = ()
    score_changes: tuple[ScoreChange, ...] = ()

    @property
    def severities(self) -> dict[str, int]:
        return severity_counts(self.flag_counts)

    @property
    def first_issue(self) -> Issue | None:
        """The first flagged segment that counts (not waived; new, under a baseline)."""
        return next((i for i in self.issues if i.waived is None and i.new), None)


@dataclass(frozen=True)
class GateResult:
    verdict: str  # pass | fail
    corpus: str
    articles: tuple[ArticleOutcome, ...]  # variant articles, worst first
    references: int
    errors: tuple[Mapping[str, Any], ...]  # input errors that fail the gate
    warnings: tuple[Mapping[str, Any], ...]
    skipped_stages: Mapping[str, str]
    tool: Mapping[str, Any] = field(default_factory=dict)
    baseline: str | None = None
    corpus_changes: tuple[ScoreChange, ...] = ()
    notes: tuple[str, ...] = ()
    generated: str | None = None

    def count(self, status: str) -> int:
        return sum(1 for a in self.articles if a.status == status)

    @property
    def failing(self) -> list[ArticleOutcome]:
        return [a for a in self.articles if a.status == "fail"]


# --------------------------------------------------------------------------- findings from the rows


def article_issues(segments: pl.DataFrame | None) -> dict[str, list[Issue]]:
    """Every finding (flags other than boilerplate) of every article, in page order."""
    out: dict[str, list[Issue]] = {}
    if segments is None or segments.height == 0:
        return out
    cols = ["article_id", "seg_id", "text", "original_text", "fingerprint", "flags", "reasons", "waived"]
    flagged = segments.filter(pl.col("flags").list.len() > 0).select(cols)
    for row in flagged.iter_rows(named=True):
        if not has_issue(row["flags"]):
            continue
        waived = {w["flag"]: w["reason"] for w in row["waived"] or ()}
        text = row["text"] if row["text"] is not None else row["original_text"]
        for flag, reason in zip(row["flags"], row["reasons"], strict=True):
            if flag == "boilerplate":
                continue
            out.setdefault(row["article_id"], []).append(
                Issue(row["seg_id"], flag, reason, row["fingerprint"] or "", text, waived.get(flag)))
    return out


def _outcome(a: Mapping[str, Any], issues: Sequence[Issue]) -> ArticleOutcome:
    counts = {k: int(v or 0) for k, v in (a.get("flag_counts") or {}).items()}
    waived = sum(int(v or 0) for v in (a.get("waived_counts") or {}).values())
    return ArticleOutcome(a["article_id"], a.get("doc_path") or "", a.get("title"), a.get("lang") or "",
                          a["verdict"], a["verdict"], tuple(a.get("reasons") or ()), counts, waived,
                          int(a.get("n_body") or 0), tuple(issues))


def _skipped(summary: Mapping[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in (summary.get("stages") or {}).items() if str(v) != "ran"}


def evaluate(summary: Mapping[str, Any], segments: pl.DataFrame | None = None,
             baseline: tuple[Mapping[str, Any], pl.DataFrame | None] | None = None, baseline_name: str | None = None,
             alpha: float = ALPHA, n_bootstrap: int = N_BOOTSTRAP) -> GateResult:
    """The gate's decision on a report (see the module docstring).

    ``summary``: the content of ``summary.json``; ``segments``: its ``segments.parquet`` (needed for
    findings, annotations and a baseline; without it articles carry no issues); ``baseline``: an
    earlier report's (summary, segments)."""
    issues = article_issues(segments)
    variants = [a for a in summary.get("articles", []) if a.get("verdict") != "reference"]
    outcomes = [_outcome(a, issues.get(a["article_id"], [])) for a in variants]
    errors = [e for e in summary.get("errors", []) if e.get("severity", "error") == "error"]
    warnings = [e for e in summary.get("errors", []) if e.get("severity", "error") != "error"]
    notes: list[str] = []
    corpus_changes: tuple[ScoreChange, ...] = ()
    verdict = str(summary.get("verdict", "fail"))
    if baseline is not None:
        outcomes, errors, corpus_changes, verdict = _against_baseline(
            summary, segments, outcomes, errors, baseline, alpha, n_bootstrap)
    outcomes.sort(key=lambda o: (0 if o.status == "fail" else 1 if o.status == "known" else 2,
                                 *worst_first_key(o.verdict, o.flag_counts, o.n_body, o.article_id)))
    references = sum(1 for a in summary.get("articles", []) if a.get("verdict") == "reference")
    return GateResult(verdict, str(summary.get("corpus", "")), tuple(outcomes), references, tuple(errors),
                      tuple(warnings), _skipped(summary), summary.get("tool") or {}, baseline_name, corpus_changes,
                      tuple(notes), summary.get("generated"))


# --------------------------------------------------------------------------- baseline


def _against_baseline(summary, segments, outcomes, errors, baseline, alpha, n_bootstrap):
    old_summary, old_segments = baseline
    old_articles = {a["article_id"]: a for a in old_summary.get("articles", [])}
    old_found = {(i.fingerprint, i.flag) for found in article_issues(old_segments).values() for i in found
                 if i.waived is None}
    unverified_fails = (summary.get("gate") or {}).get("unverified") == "fail"
    new_groups, old_groups = scored_groups(segments), scored_groups(old_segments)
    changed_pairs: list[tuple[str, str, str]] = []  # (old hyp, new hyp, ref) of changed articles
    changed_comet: list[tuple[float, float]] = []
    result = []
    for o in outcomes:
        old = old_articles.get(o.article_id)
        marked = tuple(Issue(i.seg_id, i.flag, i.reason, i.fingerprint, i.text, i.waived,
                             (i.fingerprint, i.flag) not in old_found) for i in o.issues)
        counting = [i for i in marked if i.waived is None]
        new_issues = [i for i in counting if i.new]
        why: list[str] = []
        pairs, comet_pairs = _common_groups(old_groups.get(o.article_id, []), new_groups.get(o.article_id, []))
        changes = _score_changes(pairs, comet_pairs, alpha, n_bootstrap)
        if any(old_h != new_h for old_h, new_h, _ in pairs):
            changed_pairs += pairs
            changed_comet += comet_pairs
        if o.verdict == "fail":
            if old is None:
                why.append("a new article that fails: " + "; ".join(o.why))
            elif old.get("verdict") != "fail":
                why.append(f"newly failing (was {old.get('verdict')}): " + "; ".join(o.why))
            elif new_issues:
                why.append(_new_findings(new_issues))
        elif o.verdict == "unverified" and unverified_fails and (old is None or old.get("verdict") != "unverified"):
            why.append("newly unverified: " + "; ".join(o.why))
        why += [f"score dropped: {c.describe()}" for c in changes if c.significant and c.delta < 0]
        status = "fail" if why else ("known" if o.verdict == "fail" else o.verdict)
        if status == "known":
            why = [f"fails as in the baseline, nothing new: {'; '.join(o.why)}"]
        result.append(ArticleOutcome(o.article_id, o.doc_path, o.title, o.lang, o.verdict, status,
                                     tuple(why) if why else o.why, o.flag_counts, o.waived, o.n_body, marked,
                                     changes))
    old_errors = {(e.get("path"), e.get("error")) for e in old_summary.get("errors", [])}
    fail_on_errors = (summary.get("gate") or {}).get("fail_on_errors", True)
    new_errors = [e for e in errors if (e.get("path"), e.get("error")) not in old_errors] if fail_on_errors else []
    corpus = _score_changes(changed_pairs, changed_comet, alpha, n_bootstrap) if changed_pairs else ()
    drop = any(c.significant and c.delta < 0 for c in corpus)
    verdict = "fail" if any(o.status == "fail" for o in result) or new_errors or drop else "pass"
    return result, new_errors, corpus, verdict


def _new_findings(new: Sequence[Issue]) -> str:
    counts = Counter(i.flag for i in new)
    first = new[0]
    where = f"segment {first.seg_id}" if first.seg_id is not None else "an omitted segment"
    return (f"{len(new)} new finding{'s' if len(new) > 1 else ''} since the baseline ("
            + ", ".join(f"{f} {n}" for f, n in counts.most_common()) + f"), first at {where}: {first.reason}")


def scored_groups(segments: pl.DataFrame | None) -> dict[str, list[tuple[str, str, float | None]]]:
    """Per article, its aligned groups that have a chrF++ score: (original text, the variant text the
    score compared — back-translation where there is one —, COMET or None), in order."""
    if segments is None or segments.height == 0:
        return {}
    rows = segments.filter(pl.col("chrf").is_not_null() & pl.col("text").is_not_null()
                           & pl.col("original_text").is_not_null() & pl.col("align_group").is_not_null()
                           & (pl.col("role") == "variant"))
    if rows.height == 0:
        return {}
    grouped = rows.sort("article_id", "seg_id").group_by(["article_id", "align_group"], maintain_order=True).agg(
        pl.col("original_text").first(), pl.coalesce("backtranslation", "text").str.join(" ").alias("hyp"),
        pl.col("comet").first())
    out: dict[str, list[tuple[str, str, float | None]]] = {}
    for article_id, _, ref, hyp, comet in grouped.iter_rows():
        out.setdefault(article_id, []).append((ref, hyp, comet))
    return out


def _common_groups(old: Sequence[tuple[str, str, float | None]], new: Sequence[tuple[str, str, float | None]]
                   ) -> tuple[list[tuple[str, str, str]], list[tuple[float, float]]]:
    """Groups both reports hold, matched by their original text (in order where it repeats)."""
    pending: dict[str, list[tuple[str, float | None]]] = {}
    for ref, hyp, score in old:
        pending.setdefault(ref, []).append((hyp, score))
    pairs: list[tuple[str, str, str]] = []
    comet: list[tuple[float, float]] = []
    for ref, hyp, c in new:
        if pending.get(ref):
            old_hyp, old_c = pending[ref].pop(0)
            pairs.append((old_hyp, hyp, ref))
            if c is not None and old_c is not None:
                comet.append((old_c, c))
    return pairs, comet


def _score_changes(pairs: Sequence[tuple[str, str, str]], comet: Sequence[tuple[float, float]], alpha: float,
                   n_bootstrap: int) -> tuple[ScoreChange, ...]:
    out = []
    if pairs and any(a != b for a, b, _ in pairs):
        out.append(chrf_change(pairs, alpha, n_bootstrap))
    if comet and any(a != b for a, b in comet):
        out.append(mean_change("COMET", comet, alpha, n_bootstrap))
    return tuple(out)


def chrf_change(pairs: Sequence[tuple[str, str, str]], alpha: float = ALPHA, n_bootstrap: int = N_BOOTSTRAP
                ) -> ScoreChange:
    """chrF++ of the baseline's and this report's texts against the same originals, with sacrebleu's
    paired bootstrap resampling test (``pairs``: (old text, new text, original))."""
    from sacrebleu.metrics import CHRF
    from sacrebleu.significance import PairedTest

    old = [a for a, _, _ in pairs]
    new = [b for _, b, _ in pairs]
    refs = [[r for _, _, r in pairs]]
    metric = CHRF(word_order=2)
    old_score = metric.corpus_score(old, refs).score
    new_score = metric.corpus_score(new, refs).score
    if len(pairs) < MIN_GROUPS:
        return ScoreChange("chrF++", old_score, new_score, len(pairs), None, False)
    _, results = PairedTest([("baseline", old), ("current", new)], {"chrF++": metric}, refs, test_type="bs",
                            n_samples=n_bootstrap)()
    found = [r.p_value for k, v in results.items() if k != "System" for r in v[1:] if not isinstance(r, str)]
    p_value = float(found[0]) if found and found[0] is not None else 1.0
    return ScoreChange("chrF++", old_score, new_score, len(pairs), p_value, p_value < alpha)


def mean_change(metric: str, pairs: Sequence[tuple[float, float]], alpha: float = ALPHA,
                n_bootstrap: int = N_BOOTSTRAP) -> ScoreChange:
    """The mean of a segment-level score (COMET) before and after, with a paired bootstrap test of the
    difference done the way sacrebleu's ``paired_bs`` does it (same seed, same p-value)."""
    import numpy as np

    old = np.array([a for a, _ in pairs], dtype=float)
    new = np.array([b for _, b in pairs], dtype=float)
    if len(pairs) < MIN_GROUPS:
        return ScoreChange(metric, float(old.mean()), float(new.mean()), len(pairs), None, False)
    idx = np.random.default_rng(SEED).choice(len(pairs), size=(n_bootstrap, len(pairs)), replace=True)
    diffs = np.abs(new[idx].mean(axis=1) - old[idx].mean(axis=1))
    real = abs(new.mean() - old.mean())
    p_value = (int(np.sum(diffs - diffs.mean() > real)) + 1) / (n_bootstrap + 1)
    return ScoreChange(metric, float(old.mean()), float(new.mean()), len(pairs), p_value, p_value < alpha)


# --------------------------------------------------------------------------- formats


def _flags_text(o: ArticleOutcome) -> str:
    parts = [f"{flag} {n}" for flag, n in top_flags(o.flag_counts)]
    return ", ".join(parts) or "no flags"


def _headline(r: GateResult) -> str:
    n = len(r.articles)
    parts = [f"{r.count('fail')} of {n} variant article{'s' if n != 1 else ''} fail"]
    if r.baseline is not None:
        parts[0] = f"{r.count('fail')} of {n} variant articles newly fail"
        parts.append(f"{r.count('known')} fail as in the baseline")
    parts += [f"{r.count('unverified')} unverified", f"{r.count('pass')} pass", f"{r.references} references"]
    if r.errors:
        parts.append(f"{len(r.errors)} input error{'s' if len(r.errors) > 1 else ''}")
    return f"gate: {r.verdict.upper()} — " + ", ".join(parts)


def format_text(r: GateResult, verbose: bool = False, limit: int = 10) -> str:
    """The gate's terminal output: one headline, the worst articles (``limit``; every article with
    ``verbose``), input errors, and the stages that were skipped."""
    lines = [_headline(r)]
    if r.baseline is not None:
        lines.append(f"baseline: {r.baseline}")
    shown = [o for o in r.articles if o.status in ("fail", "known", "unverified")] if verbose else r.failing
    if shown:
        lines.append("failing articles, worst first:" if not verbose else "articles, worst first:")
    for o in shown[: None if verbose else limit]:
        sev = o.severities
        mark = "critical" if sev["critical"] else "major" if sev["major"] else severity(top_flags(o.flag_counts)[0][0]) \
            if top_flags(o.flag_counts) else "info"
        lines.append(f"  {SEVERITY_MARK.get(mark, '·')} {o.article_id}  [{o.lang}]  {_flags_text(o)}  ({o.doc_path})")
        # the reasons say what the flag counts say; under a baseline the first one says what is new
        for why in (o.why if verbose else o.why[:1] if r.baseline is not None else ()):
            lines.append(f"      {why}")
        if verbose and o.waived:
            lines.append(f"      {o.waived} finding{'s' if o.waived > 1 else ''} waived")
    hidden = len(shown) - limit if not verbose else 0
    if hidden > 0:
        lines.append(f"  … and {hidden} more failing (tqa gate --verbose lists all)")
    for c in r.corpus_changes:
        lines.append(f"changed articles together: {c.describe()}" + (" — a real drop" if c.significant and
                                                                       c.delta < 0 else ""))
    for e in r.errors[: None if verbose else 5]:
        lines.append(f"input error: {e.get('path')}: {e.get('error')}")
    if not verbose and len(r.errors) > 5:
        lines.append(f"  … and {len(r.errors) - 5} more input errors")
    if verbose:
        lines += [f"warning: {e.get('path')}: {e.get('error')}" for e in r.warnings]
    elif r.warnings:
        lines.append(f"{len(r.warnings)} warning{'s' if len(r.warnings) > 1 else ''} (--verbose shows them)")
    lines += [f"stage {name} skipped: {status.removeprefix('skipped: ')}" for name, status in r.skipped_stages.items()]
    if r.verdict == "pass" and r.skipped_stages:
        lines.append(f"note: this pass did not run {', '.join(r.skipped_stages)}; their checks are missing, not passed")
    lines += list(r.notes)
    return "\n".join(lines) + "\n"


def format_json(r: GateResult) -> str:
    """The gate's result as JSON (``tqa gate --format json``)."""
    def outcome(o: ArticleOutcome) -> dict:
        d = asdict(o)
        d["severities"] = o.severities
        d["issues"] = [asdict(i) for i in o.issues]
        d["score_changes"] = [{**asdict(c), "delta": c.delta} for c in o.score_changes]
        return d

    return json.dumps({"verdict": r.verdict, "corpus": r.corpus, "baseline": r.baseline,
                       "counts": {s: r.count(s) for s in ("fail", "known", "unverified", "pass")}
                       | {"reference": r.references},
                       "skipped_stages": dict(r.skipped_stages), "errors": list(r.errors),
                       "warnings": list(r.warnings),
                       "corpus_changes": [{**asdict(c), "delta": c.delta} for c in r.corpus_changes],
                       "articles": [outcome(o) for o in r.articles], "notes": list(r.notes)},
                      ensure_ascii=False, indent=1, default=_json_default) + "\n"


def _json_default(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    return str(value)


def escape_data(value: str) -> str:
    """A workflow command's message: ``%``, CR and LF percent-encoded (as @actions/core does)."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """A workflow command's property value: as ``escape_data``, and ``:`` and ``,`` too."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def workflow_command(command: str, message: str, **properties: str | int | None) -> str:
    """``::command key=value,…::message`` with GitHub's escaping."""
    props = ",".join(f"{k}={escape_property(str(v))}" for k, v in properties.items() if v is not None and v != "")
    return f"::{command}{' ' + props if props else ''}::{escape_data(message)}"


def format_github(r: GateResult, locate: Callable[[str, str | None], tuple[str, int | None]] | None = None) -> str:
    """GitHub Actions workflow commands: an ``error`` per failing article (on its document, at the line
    of its first flagged segment where ``locate`` finds it), a ``warning`` per unverified article and
    input error, a ``notice`` per skipped stage, and a last ``notice`` with the verdict.

    ``locate(doc_path, text) -> (file path to show, line or None)``."""
    out = []
    for o in r.articles:
        if o.status not in ("fail", "unverified"):
            continue
        first = o.first_issue
        path, line = locate(o.doc_path, first.text if first else None) if locate else (o.doc_path, None)
        title = f"tqa {o.status}: {o.article_id}"
        message = "; ".join(o.why)
        if first is not None and o.status == "fail":
            where = f"segment {first.seg_id}" if first.seg_id is not None else "an omitted segment"
            message += f"\nfirst finding ({where}, {first.flag}): {first.reason}"
        out.append(workflow_command("error" if o.status == "fail" else "warning", message, file=path, line=line,
                                    title=title))
    for e in r.errors:
        out.append(workflow_command("error", str(e.get("error")), file=str(e.get("path")), title="tqa input error"))
    for name, status in r.skipped_stages.items():
        out.append(workflow_command("notice", f"stage {name} {status}", title="tqa stage skipped"))
    out.append(workflow_command("notice", _headline(r).removeprefix("gate: "), title="tqa gate"))
    return "\n".join(out) + "\n"


def merge_counts(outcomes: Iterable[ArticleOutcome]) -> dict[str, int]:
    """Segments flagged per flag over several articles (for summaries)."""
    total: Counter[str] = Counter()
    for o in outcomes:
        total.update({k: v for k, v in o.flag_counts.items() if v})
    return dict(total)
