"""Judge the scored corpus: flags from the evidence and the thresholds, then verdicts, once for the corpus.

Scoring (``pipeline.audit``) wrote each row's evidence; here every detector of the registry decides on
it with its ``[flags]`` thresholds — after learning, per language pair, what the corpus's own evidence
looks like where a detector calibrates — and the articles get their verdicts from ``[gate]``:

* ``reference`` — an original: what variants are checked against, not itself checked;
* ``fail`` — a rule of the gate failed (the reasons say which, with counts);
* ``unverified`` — a variant that could not be checked against an original (none was found, or a
  required model stage was skipped) and failed no reference-free check;
* ``pass`` — checked against its original, and no rule failed.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from .config import GateConfig
from .detectors import DETECTORS, FLAGS, Detector, FlagsConfig
from .frames import HIGHLIGHT_TYPE, articles_schema, list_column
from .waivers import WaiverSet, apply_waivers, no_waivers


@dataclass(frozen=True)
class Verdict:
    verdict: str
    reasons: tuple[str, ...]


def calibrating() -> list[Detector]:
    """The detectors that learn from the corpus's evidence before deciding."""
    return [d for d in DETECTORS if type(d).calibrate is not Detector.calibrate]


def calibrate(segments: Iterable[pl.DataFrame], pairs: Mapping[str, str]) -> dict[tuple[str, str], dict[str, Any]]:
    """Each calibrating detector's view of the corpus, per (detector, language pair).

    ``segments``: the scored rows of the whole corpus (article_id, evidence), in parts; ``pairs``
    maps an article id to its language pair ("sv-en"). Evidence of detectors that do not calibrate
    is not even collected."""
    detectors = calibrating()
    if not detectors:
        return {}
    collected: dict[tuple[str, str], list] = defaultdict(list)
    rows = (row for frame in segments for row in frame.select("article_id", "evidence").iter_rows())
    for article_id, evidence in rows:
        if evidence == "{}":
            continue
        ev = json.loads(evidence)
        for d in detectors:
            if d.name in ev:
                collected[(d.name, pairs.get(article_id, "?"))].append(ev[d.name])
    by_name = {d.name: d for d in detectors}
    return {key: by_name[key[0]].calibrate(values) for key, values in collected.items()}


def decide_row(evidence: Mapping[str, Any], flags_cfg: FlagsConfig, calibration: Mapping[tuple[str, str], dict],
               pair: str) -> tuple[list[str], list[str], list[dict[str, Any]]]:
    """Flags, reasons (one per flag) and highlights of one row from its evidence."""
    flags: list[str] = []
    reasons: list[str] = []
    highlights: list[dict[str, Any]] = []
    for det in DETECTORS:
        ev = evidence.get(det.name)
        if ev is None or any(f in flags for f in det.unless):
            continue
        finding = det.decide(ev, flags_cfg[det.name], calibration.get((det.name, pair), {}))
        if finding is None:
            continue
        if det.flag in flags:
            i = flags.index(det.flag)
            reasons[i] = f"{reasons[i]}; {finding.reason}"
        else:
            flags.append(det.flag)
            reasons.append(finding.reason)
        highlights += [{"start": h.start, "end": h.end, "flag": det.flag, "side": h.side} for h in finding.highlights]
    return flags, reasons, highlights


def judge_segments(segments: pl.DataFrame, flags_cfg: FlagsConfig, pairs: Mapping[str, str],
                   calibration: Mapping[tuple[str, str], dict], comet: pl.DataFrame | None = None,
                   waivers: WaiverSet | None = None) -> pl.DataFrame:
    """``segments`` (scored rows) with ``flags``, ``reasons``, ``highlights`` and ``waived``; COMET
    scores (article_id, align_group, comet) join their groups first. ``pairs`` and ``calibration``:
    from ``language_pairs`` and ``calibrate`` over the whole corpus; ``waivers``: see ``pipeline.waivers``."""
    if comet is not None and comet.height:
        segments = _with_comet(segments, comet)
    all_flags, all_reasons, all_highlights = [], [], []
    for article_id, evidence in segments.select("article_id", "evidence").iter_rows():
        if evidence == "{}":
            all_flags.append(())
            all_reasons.append(())
            all_highlights.append(())
            continue
        f, r, h = decide_row(json.loads(evidence), flags_cfg, calibration, pairs.get(article_id, "?"))
        all_flags.append(f)
        all_reasons.append(r)
        all_highlights.append(h)
    judged = segments.with_columns(list_column("flags", all_flags, pl.List(pl.String)),
                                   list_column("reasons", all_reasons, pl.List(pl.String)),
                                   list_column("highlights", all_highlights, HIGHLIGHT_TYPE))
    return apply_waivers(judged, waivers or no_waivers())


def language_pairs(articles: pl.DataFrame) -> dict[str, str]:
    """The language pair of each article ("sv-en"; an unpaired variant or an original: its language)."""
    originals = dict(articles.select("article_id", "lang").iter_rows())
    return {a: f"{lang}-{originals.get(o, '?')}" if o else lang
            for a, lang, o in articles.select("article_id", "lang", "original_article_id").iter_rows()}


def _with_comet(segments: pl.DataFrame, comet: pl.DataFrame) -> pl.DataFrame:
    """COMET scores on every row of their group, and as evidence on the group's first row."""
    merged = segments.drop("comet").join(comet, on=["article_id", "align_group"], how="left")
    first = (pl.col("seg_id") == pl.col("seg_id").min().over("article_id", "align_group")) & \
        pl.col("comet").is_not_null() & pl.col("text").is_not_null() & (pl.col("alignment") != "boilerplate")
    evidence = [_add(ev, "comet", {"comet": c}) if is_first else ev
                for ev, c, is_first in merged.select("evidence", "comet", first.alias("_first")).iter_rows()]
    return merged.with_columns(pl.Series("evidence", evidence, dtype=pl.String)).select(segments.columns)


def _add(evidence: str, name: str, value: dict) -> str:
    ev = json.loads(evidence)
    ev[name] = value
    return json.dumps(ev, ensure_ascii=False, separators=(",", ":"))


def article_verdict(role: str, lang: str, paired: bool, flag_counts: Mapping[str, int], n_body: int,
                    cfg: GateConfig, skipped_required: Iterable[str] = ()) -> Verdict:
    """The verdict of one article from its flag counts (see the module docstring)."""
    if role == "original":
        return Verdict("reference", ())
    reasons = []
    for flag in FLAGS:
        limit = cfg.threshold(flag, lang)
        count = flag_counts.get(flag, 0)
        if limit is None or count == 0:
            continue
        share = count / max(1, n_body)
        if limit == 0.0 or share > limit:
            rule = "any" if limit == 0.0 else f"more than {limit:.0%}"
            reasons.append(f"{flag}: {count} of {n_body} body segments ({share:.0%}); the gate fails {rule}")
    if reasons:
        return Verdict("fail", tuple(reasons))
    if not paired:
        return Verdict("unverified", ("no original to compare with: only the checks that need none ran "
                                      "(languages, terms, fluency)",))
    skipped = sorted(skipped_required)
    if skipped:
        return Verdict("unverified", (f"required stage{'s' if len(skipped) > 1 else ''} skipped: "
                                      f"{', '.join(skipped)}",))
    return Verdict("pass", ())


def judge_articles(articles: pl.DataFrame, segments: pl.DataFrame, cfg: GateConfig,
                   skipped_required: Iterable[str] = (), comet: pl.DataFrame | None = None) -> pl.DataFrame:
    """``articles`` (scored) with ``flag_counts`` (waived findings left out), ``waived_counts``,
    ``verdict`` and ``reasons``, and the mean COMET of their groups; ``segments`` judged."""
    if comet is not None and comet.height:
        means = comet.group_by("article_id").agg(pl.col("comet").mean().round(4).alias("_comet"))
        articles = articles.join(means, on="article_id", how="left").with_columns(
            pl.col("_comet").alias("comet")).drop("_comet")
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    waived: dict[str, Counter[str]] = defaultdict(Counter)
    for article_id, flags, row_waived in segments.select("article_id", "flags", "waived").iter_rows():
        if flags:
            off = {w["flag"] for w in row_waived}
            counts[article_id].update(f for f in flags if f not in off)
            waived[article_id].update(off)
    skipped = tuple(skipped_required)
    flag_counts, waived_counts, verdicts, reasons = [], [], [], []
    for a in articles.select("article_id", "role", "lang", "original_article_id", "n_body").iter_rows(named=True):
        c = {f: counts[a["article_id"]].get(f, 0) for f in FLAGS}
        v = article_verdict(a["role"], a["lang"], a["original_article_id"] is not None, c, a["n_body"] or 0, cfg,
                            skipped)
        flag_counts.append(c)
        waived_counts.append({f: waived[a["article_id"]].get(f, 0) for f in FLAGS})
        verdicts.append(v.verdict)
        reasons.append(list(v.reasons))
    schema = articles_schema(FLAGS)
    return articles.with_columns(pl.Series("flag_counts", flag_counts, dtype=schema["flag_counts"]),
                                 pl.Series("waived_counts", waived_counts, dtype=schema["waived_counts"]),
                                 pl.Series("verdict", verdicts, dtype=pl.String),
                                 list_column("reasons", reasons, pl.List(pl.String)))


def run_verdict(article_verdicts: Iterable[str], errors: Iterable[Mapping[str, Any]], cfg: GateConfig) -> str:
    """The run's verdict: ``fail`` when an article fails, an unverified one does under ``[gate]
    unverified = fail``, or a file could not be audited under ``fail_on_errors``; else ``pass``."""
    verdicts = set(article_verdicts)
    if "fail" in verdicts or (cfg.unverified == "fail" and "unverified" in verdicts):
        return "fail"
    if cfg.fail_on_errors and any(e.get("severity", "error") == "error" for e in errors):
        return "fail"
    return "pass"


def check_gate(cfg: GateConfig) -> GateConfig:
    """``cfg``, once every flag its ``fail_on`` names is one the detectors raise."""
    from .errors import ConfigurationError

    gated = [f for f in FLAGS if f != "boilerplate"]
    for key in cfg.fail_on:
        flag = key.partition("@")[0]
        if flag not in gated:
            raise ConfigurationError(f"[gate] fail_on names {flag!r}: not a flag tqa raises (one of "
                                     f"{', '.join(gated)})")
    return cfg
