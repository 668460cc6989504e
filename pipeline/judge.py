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


#: Flags an original is checked for too: they need no original (a corpus's "original" can be a spun copy).
REFERENCE_FREE = ("spun",)


@dataclass(frozen=True)
class Verdict:
    verdict: str
    reasons: tuple[str, ...]


def calibrating() -> list[Detector]:
    """The detectors that learn from the corpus's evidence before deciding."""
    return [d for d in DETECTORS if type(d).calibrate is not Detector.calibrate]


def calibrate(segments: Iterable[pl.DataFrame], pairs: Mapping[str, str], flags_cfg: FlagsConfig
              ) -> dict[tuple[str, str], dict[str, Any]]:
    """Each calibrating detector's view of the corpus, per (detector, language pair), under its
    settings in ``flags_cfg``.

    ``segments``: the scored rows of the whole corpus (article_id, evidence), in parts; ``pairs``
    maps an article id to its language pair ("sv-en"). Evidence of detectors that do not calibrate
    is not even collected."""
    detectors = calibrating()
    if not detectors:
        return {}
    collected: dict[tuple[str, str], list] = defaultdict(list)
    # only rows whose evidence can hold a calibrating detector's key are parsed (evidence is compact
    # JSON: a detector's key is written as "name":)
    holds = pl.any_horizontal(pl.col("evidence").str.contains(f'"{d.name}":', literal=True) for d in detectors)
    rows = (row for frame in segments for row in frame.select("article_id", "evidence").filter(holds).iter_rows())
    for article_id, evidence in rows:
        if evidence == "{}":
            continue
        ev = json.loads(evidence)
        for d in detectors:
            if d.name in ev:
                collected[(d.name, pairs.get(article_id, "?"))].append(ev[d.name])
    by_name = {d.name: d for d in detectors}
    return {key: by_name[key[0]].calibrate(values, flags_cfg[key[0]]) for key, values in collected.items()}


def parsed_evidence(segments: pl.DataFrame) -> list[tuple[str, dict | None]]:
    """(article_id, evidence parsed; None for none) of every row of ``segments``, in order: parse it
    once, for ``article_summaries`` and ``judge_segments`` both."""
    return [(a, json.loads(e) if e != "{}" else None) for a, e in segments.select("article_id", "evidence").iter_rows()]


def article_summaries(segments: pl.DataFrame, flags_cfg: FlagsConfig,
                      parsed: list[tuple[str, dict | None]] | None = None) -> dict[str, dict[str, dict]]:
    """What the summarizing detectors make of each article's evidence: article -> detector -> summary
    (``parsed``: ``parsed_evidence(segments)``, when it was already made)."""
    return _article_summaries(parsed_evidence(segments) if parsed is None else parsed, flags_cfg)


def _article_summaries(rows: list[tuple[str, dict | None]], flags_cfg: FlagsConfig
                       ) -> dict[str, dict[str, dict]]:
    detectors = [d for d in DETECTORS if type(d).summarize is not Detector.summarize]
    collected: dict[tuple[str, str], list] = defaultdict(list)
    for article_id, ev in rows:
        for d in detectors if ev else ():
            if d.name in ev:
                collected[(article_id, d.name)].append(ev[d.name])
    by_name = {d.name: d for d in detectors}
    out: dict[str, dict[str, dict]] = defaultdict(dict)
    for (article_id, name), evidence in collected.items():
        summary = by_name[name].summarize(evidence, flags_cfg[name])
        if summary is not None:
            out[article_id][name] = summary
    return out


def decide_row(evidence: Mapping[str, Any], flags_cfg: FlagsConfig, calibration: Mapping[tuple[str, str], dict],
               pair: str, article: Mapping[str, dict] | None = None
               ) -> tuple[list[str], list[str], list[str], list[dict[str, Any]]]:
    """Flags, reasons and the detectors that raised them (one each per flag; several detectors of a
    flag joined by "+"), and highlights, of one row from its evidence (``article``: the summarizing
    detectors' view of the row's article)."""
    flags: list[str] = []
    reasons: list[str] = []
    raised_by: list[str] = []
    highlights: list[dict[str, Any]] = []
    for det in DETECTORS:
        ev = evidence.get(det.name)
        if ev is None or any(f in flags for f in det.unless):
            continue
        calib = calibration.get((det.name, pair), {})
        if article and det.name in article:
            calib = {**calib, "article": article[det.name]}
        finding = det.decide(ev, flags_cfg[det.name], calib)
        if finding is None:
            continue
        if det.flag in flags:
            i = flags.index(det.flag)
            reasons[i] = f"{reasons[i]}; {finding.reason}"
            raised_by[i] = f"{raised_by[i]}+{det.name}"
        else:
            flags.append(det.flag)
            reasons.append(finding.reason)
            raised_by.append(det.name)
        highlights += [{"start": h.start, "end": h.end, "flag": det.flag, "side": h.side} for h in finding.highlights]
    return flags, reasons, raised_by, highlights


def judge_segments(segments: pl.DataFrame, flags_cfg: FlagsConfig, pairs: Mapping[str, str],
                   calibration: Mapping[tuple[str, str], dict], comet: pl.DataFrame | None = None,
                   summaries: Mapping[str, dict[str, dict]] | None = None,
                   waivers: WaiverSet | None = None,
                   parsed: list[tuple[str, dict | None]] | None = None) -> pl.DataFrame:
    """``segments`` (scored rows) with ``flags``, ``reasons``, ``detectors``, ``highlights`` and
    ``waived``; COMET scores (article_id, align_group, comet) join their groups first. ``pairs`` and
    ``calibration``: from ``language_pairs`` and ``calibrate`` over the whole corpus;
    ``summaries``: from ``article_summaries`` (made here when not given); ``waivers``: see
    ``pipeline.waivers``; ``parsed``: ``parsed_evidence(segments)``, when it was already made (COMET
    scores change the evidence: with them it is parsed again)."""
    if comet is not None and comet.height:
        segments, parsed = _with_comet(segments, comet), None
    rows = parsed_evidence(segments) if parsed is None else parsed
    articles = _article_summaries(rows, flags_cfg) if summaries is None else summaries
    decided: list[tuple[list, list, list, list]] = [
        ([], [], [], []) if evidence is None else
        decide_row(evidence, flags_cfg, calibration, pairs.get(article_id, "?"), articles.get(article_id))
        for article_id, evidence in rows]
    columns = zip(*decided, strict=True) if decided else ([], [], [], [])
    judged = segments.with_columns(list_column(name, list(values), dtype) for (name, dtype), values in zip(
        (("flags", pl.List(pl.String)), ("reasons", pl.List(pl.String)), ("detectors", pl.List(pl.String)),
         ("highlights", HIGHLIGHT_TYPE)), columns, strict=True))
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
                    cfg: GateConfig, skipped_required: Iterable[str] = (),
                    gate_counts: Mapping[str, tuple[int, int, str]] | None = None) -> Verdict:
    """The verdict of one article from its flagged body segments (see the module docstring);
    ``gate_counts``: (count, out of, what) for a flag whose detector counts an article its own way
    (the flag's other detectors count in ``flag_counts``; either count can fail the article)."""
    reasons = []
    for flag in FLAGS if role != "original" else REFERENCE_FREE:
        limit = cfg.threshold(flag, lang)
        if limit is None:
            continue
        for count, total, what in ((flag_counts.get(flag, 0), n_body, "body segments"),
                                   *([gate_counts[flag]] if gate_counts and flag in gate_counts else [])):
            share = count / max(1, total)
            if count and (limit == 0.0 or share > limit):
                rule = "any" if limit == 0.0 else f"more than {limit:.0%}"
                reasons.append(f"{flag}: {count} of {total} {what} ({share:.0%}); the gate fails {rule}")
                break
    if reasons:
        return Verdict("fail", tuple(reasons))
    if role == "original":
        return Verdict("reference", ())
    if not paired:
        return Verdict("unverified", ("no original to compare with: only the checks that need none ran "
                                      "(languages, terms, fluency)",))
    skipped = sorted(skipped_required)
    if skipped:
        return Verdict("unverified", (f"required stage{'s' if len(skipped) > 1 else ''} skipped: "
                                      f"{', '.join(skipped)}",))
    return Verdict("pass", ())


def _gate_counts(summaries: Mapping[str, dict], flags_cfg: FlagsConfig | None) -> dict[str, tuple[int, int, str]]:
    out = {}
    for det in DETECTORS:
        if det.name in summaries and flags_cfg is not None:
            counted = det.gate_count(summaries[det.name], flags_cfg[det.name])
            if counted is not None:
                out[det.flag] = counted
    return out


def judge_articles(articles: pl.DataFrame, segments: pl.DataFrame, cfg: GateConfig,
                   skipped_required: Iterable[str] = (), comet: pl.DataFrame | None = None,
                   summaries: Mapping[str, dict[str, dict]] | None = None,
                   flags_cfg: FlagsConfig | None = None) -> pl.DataFrame:
    """``articles`` (scored) with ``flag_counts`` (waived findings left out), ``waived_counts``,
    ``verdict`` and ``reasons``, and the mean COMET of their groups; ``segments`` judged;
    ``summaries`` (with the ``flags_cfg`` they were made with): the detectors' view of each article,
    for the flags counted their own way."""
    if comet is not None and comet.height:
        means = comet.group_by("article_id").agg(pl.col("comet").mean().round(4).alias("_comet"))
        articles = articles.join(means, on="article_id", how="left").with_columns(
            pl.col("_comet").alias("comet")).drop("_comet")
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    waived: dict[str, Counter[str]] = defaultdict(Counter)
    by_segment: dict[str, Counter[str]] = defaultdict(Counter)  # the flags of detectors that count segments
    own_count = {d.name for d in DETECTORS if type(d).gate_count is not Detector.gate_count}
    for article_id, flags, raised_by, row_waived in segments.select("article_id", "flags", "detectors",
                                                                    "waived").iter_rows():
        if flags:
            off = {w["flag"] for w in row_waived}
            counts[article_id].update(f for f in flags if f not in off)
            waived[article_id].update(off)
            by_segment[article_id].update(f for f, names in zip(flags, raised_by, strict=True)
                                          if f not in off and not own_count.issuperset(names.split("+")))
    skipped = tuple(skipped_required)
    flag_counts, waived_counts, verdicts, reasons = [], [], [], []
    for a in articles.select("article_id", "role", "lang", "original_article_id", "n_body").iter_rows(named=True):
        c = {f: counts[a["article_id"]].get(f, 0) for f in FLAGS}
        own = _gate_counts((summaries or {}).get(a["article_id"], {}), flags_cfg)
        for flag in [f for f in own if waived[a["article_id"]].get(f) and not c.get(f)]:
            del own[flag]  # every finding of the flag waived: the article's count goes too
        v = article_verdict(a["role"], a["lang"], a["original_article_id"] is not None, by_segment[a["article_id"]],
                            a["n_body"] or 0, cfg, skipped, own)
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
