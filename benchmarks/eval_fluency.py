"""Evaluate the reference-free fluency check (pipeline/fluency.py) on real English.

Spun: the hand-labelled sentences of the two synonym-spun demo pages (tests/data/spin_labels.json).
Clean: body sentences of the clean demo pages 000 and 004, the English man pages of the man-page
corpus (tests/fixtures/bilingual.py) and the English Debian Reference (debian-reference-en, HTML
chapters without their <pre> blocks). Each document is in the dev split (tuning) or the held-out
split (reported; not looked at while tuning): seed 001 and 000 dev, 003 and 004 held out, man pages
and Debian Reference chapters by a hash of their file name (tests/fixtures/english_text.py).

Prints, per split and for everything: the trade-off curve (sentence threshold -> share of spun
sentences flagged, share of clean sentences flagged), the point at <= 2% clean flagged, the
page-level shares (every spun page must fail, no clean page may) and the two-level decision
(sentences of a failing page are judged at the relaxed threshold); then speed (sentences/s on one
core, resources loaded) and the resource load time in a fresh process.

    python benchmarks/eval_fluency.py [--man-corpus DIR] [--json OUT.json] [--tune]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.fluency import FluencyConfig, FluencyEvidence, FluencyScorer, FluencyThresholds, document_fluency
from tests.fixtures import english_text as et

CLEAN_FP = 0.02


def load(man_corpus: Path | None) -> list[et.Sentence]:
    """Every evaluation sentence (spun pages with their labels, clean seeds, man pages, Debian Reference)."""
    if man_corpus is None:
        man_corpus = Path(tempfile.mkdtemp(prefix="tqa-man-")) / "corpus"
    et.build_man_corpus(man_corpus)
    return et.spun_sentences() + et.seed_sentences() + et.man_sentences(man_corpus) + et.debref_sentences()


def rates(scores_pos: list[float], scores_neg: list[float], thr: float) -> tuple[float, float]:
    tp = sum(s >= thr for s in scores_pos) / max(1, len(scores_pos))
    fp = sum(s >= thr for s in scores_neg) / max(1, len(scores_neg))
    return tp, fp


def point_at(scores_pos: list[float], scores_neg: list[float], max_fp: float) -> float:
    """The lowest threshold (among the scores) whose clean share flagged is <= max_fp."""
    best = None
    for thr in sorted(set(scores_pos + scores_neg + [0.0]), reverse=True):
        if thr <= 0:
            break
        if rates(scores_pos, scores_neg, thr)[1] <= max_fp:
            best = thr
        else:
            break
    return best if best is not None else float("inf")


def split_of(rows: list[tuple[et.Sentence, FluencyEvidence]], split: str | None):
    pos = [e.score for s, e in rows if s.spun and split in (None, s.split)]
    neg = [e.score for s, e in rows if s.source != "spun" and split in (None, s.split)]
    return pos, neg


def page_shares(rows, thr: float, split: str | None) -> dict[tuple[str, str], tuple[float, int]]:
    by_doc: dict[tuple[str, str], list[FluencyEvidence]] = defaultdict(list)
    for s, e in rows:
        if split in (None, s.split):
            by_doc[(s.source, s.doc)].append(e)
    out = {}
    for key, evs in by_doc.items():
        d = document_fluency(evs, thr)
        out[key] = (d.share, d.n_scored)
    return out


def evaluate(rows, thr: float, relaxed: float, page_share: float, split: str | None) -> dict:
    pos, neg = split_of(rows, split)
    tp, fp = rates(pos, neg, thr)
    pages = page_shares(rows, thr, split)
    spun_pages = {k: v for k, v in pages.items() if k[0] == "spun"}
    clean_pages = {k: v for k, v in pages.items() if k[0] != "spun"}
    failing = {k for k, (share, _) in pages.items() if share >= page_share}
    # two-level: sentences of a failing page at the relaxed threshold, the others at thr
    tp2 = fp2 = 0
    for s, e in rows:
        if split not in (None, s.split):
            continue
        t = relaxed if (s.source, s.doc) in failing else thr
        flagged = e.score >= t
        if s.spun:
            tp2 += flagged
        elif s.source != "spun":
            fp2 += flagged
    spun_clean = [(s, e) for s, e in rows if s.source == "spun" and not s.spun and split in (None, s.split)]
    return {
        "spun_sentences": len(pos), "clean_sentences": len(neg),
        "threshold": thr, "spun_flagged": round(tp, 4), "clean_flagged": round(fp, 4),
        "clean_flagged_by_source": {src: round(rates([], [e.score for s, e in rows if s.source == src
                                                           and split in (None, s.split)], thr)[1], 4)
                                    for src in ("seeds", "man", "debref")},
        "pages": {"spun_min_share": round(min((v[0] for v in spun_pages.values()), default=0), 4),
                  "clean_max_share": round(max((v[0] for v in clean_pages.values()), default=0), 4),
                  "clean_pages": len(clean_pages), "page_share": page_share,
                  "spun_pages_failing": sum(k in failing for k in spun_pages),
                  "clean_pages_failing": sorted(f"{k[0]}:{k[1]}" for k in clean_pages if k in failing)},
        "two_level": {"relaxed_threshold": relaxed, "spun_flagged": round(tp2 / max(1, len(pos)), 4),
                      "clean_flagged": round(fp2 / max(1, len(neg)), 4),
                      "unspun_sentences_of_spun_pages_flagged":
                          f"{sum(e.score >= (relaxed if (s.source, s.doc) in failing else thr) for s, e in spun_clean)}"
                          f"/{len(spun_clean)}"},
    }


def curve(rows, split: str | None) -> list[tuple[float, float, float]]:
    pos, neg = split_of(rows, split)
    out = []
    for thr in [x / 4 for x in range(4, 33)]:
        tp, fp = rates(pos, neg, thr)
        out.append((thr, round(tp, 4), round(fp, 4)))
    return out


def speed(texts: list[str], cfg: FluencyConfig) -> dict:
    """Sentences per CPU second of a fresh scorer (resources already loaded in this process), distinct sentences."""
    scorer = FluencyScorer(cfg=cfg)
    scorer.score(["warm up"])  # resources loaded before timing
    distinct = list(dict.fromkeys(texts))
    t0 = time.process_time()
    scorer.score(distinct)
    dt = time.process_time() - t0
    t1 = time.process_time()
    scorer.score(distinct)  # every one cached now
    dt_cached = time.process_time() - t1
    words = sum(len(t.split()) for t in distinct)
    return {"sentences": len(distinct), "words_per_sentence": round(words / len(distinct), 1),
            "seconds": round(dt, 2), "sentences_per_s": round(len(distinct) / dt),
            "cached_sentences_per_s": round(len(distinct) / max(dt_cached, 1e-9))}


def load_time() -> float:
    """Seconds to import the module and load the resources in a fresh process (thesaurus compiled)."""
    code = ("import time; t=time.perf_counter(); from pipeline.fluency import load_resources, FluencyConfig; "
            "load_resources('en', FluencyConfig()); print(time.perf_counter()-t)")
    best = float("inf")
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
        best = min(best, float(out.stdout.strip()))
    return round(best, 3)


def tune(sentences: list[et.Sentence]) -> None:
    """A small grid on the dev split only: recall at <= 2% clean flagged for each setting."""
    dev = [s for s in sentences if s.split == "dev"]
    base = FluencyConfig()
    for prior in (0.0, 0.5, 0.7, 1.0):
        for cap in (2.0, 3.0, 4.0, 99.0):
            for rel in ("", "@&"):
                cfg = replace(base, prior_weight=prior, token_cap=cap, relations=rel)
                ev = FluencyScorer(cfg=cfg).score([s.text for s in dev])
                rows = list(zip(dev, ev, strict=True))
                pos, neg = split_of(rows, "dev")
                thr = point_at(pos, neg, CLEAN_FP)
                print(f"prior {prior:3.1f} cap {cap:4.1f} relations {rel or '-':2}  threshold {thr:5.2f}  "
                      f"spun flagged {rates(pos, neg, thr)[0]:.3f}", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--man-corpus", type=Path, default=None,
                    help="man-page corpus folder (built there when missing; default: a temp folder)")
    ap.add_argument("--json", type=Path, default=None, help="write the figures as JSON")
    ap.add_argument("--tune", action="store_true", help="run the dev-split grid instead")
    ap.add_argument("--threshold", type=float, default=None,
                    help="sentence threshold (default: the dev split's point at <= 2%% clean flagged)")
    args = ap.parse_args()
    sentences = load(args.man_corpus)
    if args.tune:
        tune(sentences)
        return 0
    cfg = FluencyConfig()
    ev = FluencyScorer(cfg=cfg).score([s.text for s in sentences])
    rows = list(zip(sentences, ev, strict=True))
    pos, neg = split_of(rows, "dev")
    thr = args.threshold if args.threshold is not None else point_at(pos, neg, CLEAN_FP)
    relaxed, page_share = FluencyThresholds().relaxed, FluencyThresholds().page_share
    report: dict = {"config": {k: getattr(cfg, k) for k in cfg.__dataclass_fields__ if k.endswith("dir") is False},
                    "threshold_from": "dev split" if args.threshold is None else "--threshold", "splits": {}}
    for name, split in (("dev", "dev"), ("heldout", "heldout"), ("all", None)):
        r = evaluate(rows, thr, relaxed, page_share, split)
        r["point_at_2pct"] = point_at(*split_of(rows, split), CLEAN_FP)
        r["curve"] = curve(rows, split)
        report["splits"][name] = r
    report["speed"] = speed([s.text for s in sentences], cfg)
    report["load_seconds"] = load_time()
    for name, r in report["splits"].items():
        print(f"== {name}: {r['spun_sentences']} spun, {r['clean_sentences']} clean sentences")
        print(f"   at threshold {thr:.2f} (from the dev split): spun flagged {r['spun_flagged']:.1%}, "
              f"clean flagged {r['clean_flagged']:.2%} {r['clean_flagged_by_source']}")
        p = r["point_at_2pct"]
        print(f"   this split's own point at <= 2% clean: threshold {p:.2f}, spun flagged "
              f"{rates(*split_of(rows, None if name == 'all' else name), p)[0]:.1%}")
        print(f"   pages at share >= {page_share:.0%}: spun pages failing {r['pages']['spun_pages_failing']} "
              f"(lowest share {r['pages']['spun_min_share']:.0%}); clean pages failing "
              f"{len(r['pages']['clean_pages_failing'])} of {r['pages']['clean_pages']} "
              f"(highest share {r['pages']['clean_max_share']:.0%}) {r['pages']['clean_pages_failing']}")
        t2 = r["two_level"]
        print(f"   two-level (failing pages at {relaxed:.2f}): spun flagged {t2['spun_flagged']:.1%}, clean flagged "
              f"{t2['clean_flagged']:.2%}; unspun sentences of the spun pages flagged "
              f"{t2['unspun_sentences_of_spun_pages_flagged']}")
        print("   curve (threshold, spun flagged, clean flagged): "
              + " ".join(f"{t:.2f}:{a:.2f}/{b:.3f}" for t, a, b in r["curve"]))
    sp = report["speed"]
    print(f"== speed: {sp['sentences_per_s']:,} sentences/s on one core ({sp['sentences']} distinct sentences, "
          f"{sp['words_per_sentence']} words each; cached: {sp['cached_sentences_per_s']:,}/s); "
          f"load {report['load_seconds']:.2f} s")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
