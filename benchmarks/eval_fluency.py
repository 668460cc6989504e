"""Evaluate the reference-free fluency check (pipeline/fluency.py) on real English.

Spun: the hand-labelled sentences of the two synonym-spun demo pages (tests/data/spin_labels.json).
Clean: body sentences of the clean demo pages 000 and 004, the English man pages of the man-page
corpus (tests/fixtures/bilingual.py), the English Debian Reference (debian-reference-en, HTML
chapters without their <pre> blocks) and the English LibreOffice help (libreoffice-help-en-us, page
bodies without <pre> blocks). Each document is in the dev split (tuning) or the held-out split
(reported; not looked at while tuning): seed 001 and 000 dev, 003 and 004 held out, man pages,
Debian Reference chapters and help pages by a hash of their name (tests/fixtures/english_text.py).
With --synthetic, our own spinner's text (tests/fixtures/spinner.py; dev only) is reported too.
With --lm FOLDER the same figures are measured with a causal language model (a local transformers
folder, what ``[models] fluency_model`` names; pipeline/fluency_lm.py) instead of CMU's trigram model;
the candidates, penalties and thresholds are the same. A real model is slow on a CPU (every candidate
substitution is a sequence through the model): --device cuda, or --max-sentences N for a sample.

Prints, per split and for everything: the sentence-level figures at the chosen threshold (spun
sentences flagged; clean sentences flagged, pooled and by source), the trade-off curve, the pages
(every spun page must fail, no clean page may; margins) and the two-level decision of
pipeline.fluency.decide_document (sentences of a failing page judged at the relaxed threshold;
clean flagged = what the decision flags on clean pages); then speed (distinct sentences per CPU
second, resources loaded) and the resource load time in a fresh process.

    python benchmarks/eval_fluency.py [--man-corpus DIR] [--json OUT.json] [--synthetic] [--pick]
                                      [--lm FOLDER [--device cpu|cuda|auto] [--threads N]] [--max-sentences N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.fluency import (
    FluencyConfig,
    FluencyEvidence,
    FluencyScorer,
    FluencyThresholds,
    decide_document,
    document_fluency,
    page_fails,
)
from tests.fixtures import english_text as et

CLEAN_FP = 0.02
CLEAN_SOURCES = ("seeds", "man", "debref", "help")
Rows = list[tuple[et.Sentence, FluencyEvidence]]


def load(man_corpus: Path | None, synthetic: bool, max_sentences: int = 0) -> list[et.Sentence]:
    """Every evaluation sentence (spun pages with their labels, clean seeds, man pages, Debian
    Reference, LibreOffice help; with ``synthetic`` our spinner's dev-only text). With
    ``max_sentences`` > 0, a sample: every labelled spun-page sentence, and of every other source
    and split the sentences of its first pages up to that many (whole pages, in their order)."""
    if man_corpus is None:
        man_corpus = Path(tempfile.mkdtemp(prefix="tqa-man-")) / "corpus"
    et.build_man_corpus(man_corpus)
    out = (et.spun_sentences() + et.seed_sentences() + et.man_sentences(man_corpus) + et.debref_sentences()
           + et.help_sentences())
    out += et.synthetic_sentences() if synthetic else []
    if max_sentences <= 0:
        return out
    kept, counts, full = [], defaultdict(int), set()
    for s in out:
        group = (s.source, s.split)
        if s.source != "spun" and (group, s.doc) not in full and counts[group] >= max_sentences:
            continue  # this page starts past the sample's size
        counts[group] += 1
        if counts[group] >= max_sentences:
            full.add((group, s.doc))  # the page that reaches the size is kept whole
        kept.append(s)
    return kept


def rate(scores: list[float], thr: float) -> float:
    return sum(s >= thr for s in scores) / max(1, len(scores))


def in_split(s: et.Sentence, split: str | None) -> bool:
    return split is None or s.split == split


def spun_scores(rows: Rows, split: str | None, source: str = "spun") -> list[float]:
    return [e.score for s, e in rows if s.source == source and s.spun and in_split(s, split)]


def clean_scores(rows: Rows, split: str | None, sources: tuple[str, ...] = CLEAN_SOURCES) -> list[float]:
    return [e.score for s, e in rows if s.source in sources and in_split(s, split)]


def point_at(rows: Rows, split: str | None, max_fp: float) -> float:
    """The lowest threshold (a multiple of 0.01) whose pooled clean share flagged is <= max_fp."""
    neg = clean_scores(rows, split)
    for k in range(100, 2000):
        if rate(neg, k / 100) <= max_fp:
            return k / 100
    return float("inf")


def by_page(rows: Rows, split: str | None) -> dict[tuple[str, str], list[tuple[et.Sentence, FluencyEvidence]]]:
    pages: dict[tuple[str, str], list] = defaultdict(list)
    for s, e in rows:
        if in_split(s, split):
            pages[(s.source, s.doc)].append((s, e))
    return pages


def evaluate(rows: Rows, t: FluencyThresholds, split: str | None) -> dict:
    """Sentence-level, page-level and two-level figures of one split (None: all)."""
    pos, neg = spun_scores(rows, split), clean_scores(rows, split)
    out: dict = {
        "spun_sentences": len(pos), "clean_sentences": len(neg), "threshold": t.sentence,
        "spun_flagged": round(rate(pos, t.sentence), 4), "clean_flagged": round(rate(neg, t.sentence), 4),
        "clean_flagged_by_source": {src: round(rate(clean_scores(rows, split, (src,)), t.sentence), 4)
                                    for src in CLEAN_SOURCES},
        "clean_sentences_by_source": {src: len(clean_scores(rows, split, (src,))) for src in CLEAN_SOURCES},
    }
    pages = by_page(rows, split)
    spun_pages, clean_pages = {}, {}
    tp2 = fp2 = unspun_flagged = unspun = 0
    fp2_by_source: dict[str, int] = defaultdict(int)
    for (source, doc), items in pages.items():
        if source not in ("spun", *CLEAN_SOURCES):
            continue
        page, reasons = decide_document([e for _, e in items], t)
        fails = page_fails(page, t)
        entry = {"share": round(page.share, 4), "n_spun": page.n_spun, "n_scored": page.n_scored, "fails": fails}
        (spun_pages if source == "spun" else clean_pages)[f"{source}:{doc}"] = entry
        for (s, _), reason in zip(items, reasons, strict=True):
            if source == "spun":
                tp2 += bool(s.spun and reason)
                unspun += not s.spun
                unspun_flagged += bool(not s.spun and reason)
            else:
                fp2 += reason is not None
                fp2_by_source[source] += reason is not None
    eligible = [v for v in clean_pages.values() if v["n_spun"] >= t.page_min_spun]
    out["pages"] = {
        "page_share": t.page_share, "page_min_spun": t.page_min_spun, "spun": spun_pages,
        "spun_failing": sum(v["fails"] for v in spun_pages.values()),
        "spun_lowest_share": min((v["share"] for v in spun_pages.values()), default=None),
        "clean_pages": len(clean_pages), "clean_failing": sorted(k for k, v in clean_pages.items() if v["fails"]),
        "clean_highest_share": max((v["share"] for v in clean_pages.values()), default=None),
        "clean_highest_share_with_min_spun": max((v["share"] for v in eligible), default=0.0),
        "clean_most_spun_sentences": max((v["n_spun"] for v in clean_pages.values()), default=0),
    }
    out["two_level"] = {"relaxed": t.relaxed, "spun_flagged": round(tp2 / max(1, len(pos)), 4),
                        "clean_flagged": round(fp2 / max(1, len(neg)), 4),
                        "clean_flagged_by_source": {src: round(fp2_by_source[src] / max(1, n), 4) for src, n in
                                                    out["clean_sentences_by_source"].items()},
                        "unspun_sentences_of_spun_pages_flagged": f"{unspun_flagged}/{unspun}"}
    out["curve"] = curve(rows, split)
    out["point_at_2pct"] = point_at(rows, split, CLEAN_FP)
    out["spun_flagged_at_own_point"] = round(rate(pos, out["point_at_2pct"]), 4)
    return out


def curve(rows: Rows, split: str | None) -> list[dict]:
    """Threshold -> spun flagged, clean flagged (pooled and by source)."""
    pos, neg = spun_scores(rows, split), clean_scores(rows, split)
    out = []
    for k in range(6, 17):
        thr = k / 4
        point = {"threshold": thr, "spun": round(rate(pos, thr), 4), "clean": round(rate(neg, thr), 4)}
        point.update({src: round(rate(clean_scores(rows, split, (src,)), thr), 4) for src in CLEAN_SOURCES})
        out.append(point)
    return out


def synthetic_figures(rows: Rows, t: FluencyThresholds) -> dict:
    """Our spinner's dev-only text: sentences flagged at the sentence and relaxed thresholds, its
    pages' shares, and the clean Handbook sentences flagged."""
    out = {}
    for kind in ("news", "hb"):
        scores = [e.score for s, e in rows if s.source == "synthetic" and s.spun and f"-{kind}-" in s.doc]
        docs = defaultdict(list)
        for s, e in rows:
            if s.source == "synthetic" and f"-{kind}-" in s.doc:
                docs[s.doc].append(e)
        shares = [document_fluency(evs, t.sentence, t.min_words).share for evs in docs.values()]
        out[kind] = {"spun_sentences": len(scores), "flagged_at_sentence": round(rate(scores, t.sentence), 4),
                     "flagged_at_relaxed": round(rate(scores, t.relaxed), 4),
                     "pages": len(shares), "lowest_page_share": round(min(shares, default=0.0), 4)}
    hb = [e.score for s, e in rows if s.source == "handbook"]
    out["handbook_clean_flagged"] = round(rate(hb, t.sentence), 4)
    out["handbook_clean_sentences"] = len(hb)
    return out


def speed(texts: list[str], cfg: FluencyConfig, limit: int = 0) -> dict:
    """Distinct sentences per CPU second of a fresh scorer in a process whose resources (and
    language model) are loaded but whose model memo is empty (nothing of these sentences seen
    before); the first ``limit`` distinct sentences when ``limit`` > 0. CPU seconds of every thread."""
    code = ("import json, sys, time; sys.path.insert(0, '.');"
            "from pipeline.fluency import FluencyScorer, FluencyConfig, load_resources;"
            "texts = json.load(sys.stdin); cfg = FluencyConfig(**json.loads(sys.argv[1]));"
            "load_resources('en', cfg); s = FluencyScorer(cfg=cfg); cfg.lm_model and s.lm_scorer();"
            "t = time.process_time(); s.score(texts); dt = time.process_time() - t;"
            "t1 = time.process_time(); s.score(texts); dc = time.process_time() - t1;"
            "print(json.dumps([dt, dc]))")
    distinct = list(dict.fromkeys(texts))
    if limit > 0:
        distinct = distinct[:limit]
    fields = {k: getattr(cfg, k) for k in cfg.__dataclass_fields__}
    proc = subprocess.run([sys.executable, "-c", code, json.dumps(fields)], input=json.dumps(distinct), cwd=ROOT,
                          capture_output=True, text=True, check=True)
    dt, dc = json.loads(proc.stdout)
    words = sum(len(t.split()) for t in distinct)
    return {"sentences": len(distinct), "words_per_sentence": round(words / len(distinct), 1),
            "cpu_seconds": round(dt, 2), "sentences_per_cpu_s": round(len(distinct) / dt),
            "cached_sentences_per_s": round(len(distinct) / max(dc, 1e-9))}


def load_time(cfg: FluencyConfig) -> float:
    """Seconds to import the module and load the resources (and the language model, with ``lm_model``)
    in a fresh process (thesaurus compiled); the best of three."""
    code = ("import json, sys, time; t=time.perf_counter(); from pipeline.fluency import load_resources, FluencyConfig, "
            "FluencyScorer; cfg = FluencyConfig(**json.loads(sys.argv[1])); load_resources('en', cfg); "
            "cfg.lm_model and FluencyScorer(cfg=cfg).lm_scorer(); print(time.perf_counter()-t)")
    fields = {k: getattr(cfg, k) for k in cfg.__dataclass_fields__}
    best = float("inf")
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", code, json.dumps(fields)], cwd=ROOT, capture_output=True, text=True,
                             check=True)
        best = min(best, float(out.stdout.strip()))
    return round(best, 3)


def pick_thresholds(rows: Rows) -> FluencyThresholds:
    """The thresholds from the dev split only: ``sentence`` at <= 2% pooled clean flagged;
    ``relaxed`` the lowest level whose dev clean share flagged stays <= 10% (what a clean sentence
    risks on a page that fails); ``page_share`` halfway between the highest share of a clean dev
    page (among pages with ``page_min_spun`` spun sentences or more) and the lowest share of the
    dev spun pages (the real page 001 and our spinner's three spun versions of page 000)."""
    base = FluencyThresholds()
    sentence = point_at(rows, "dev", CLEAN_FP)
    relaxed = point_at(rows, "dev", 0.10)
    t = replace(base, sentence=sentence, relaxed=min(relaxed, sentence))
    clean, spun = [], []
    for (source, doc), items in by_page(rows, "dev").items():
        d = document_fluency([e for _, e in items], t.sentence, t.min_words, t.page_pattern_cap)
        if source in CLEAN_SOURCES and d.n_spun >= t.page_min_spun:
            clean.append(d.share)
        elif source == "spun" or (source == "synthetic" and "-news-" in doc):
            spun.append(d.share)
    return replace(t, page_share=round((max(clean, default=0.0) + min(spun)) / 2, 2))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--man-corpus", type=Path, default=None,
                    help="man-page corpus folder (built there when missing; default: a temp folder)")
    ap.add_argument("--json", type=Path, default=None, help="write the figures as JSON")
    ap.add_argument("--synthetic", action="store_true", help="also score our spinner's dev-only text")
    ap.add_argument("--pick", action="store_true",
                    help="choose the thresholds on the dev split (needs --synthetic) instead of the defaults")
    ap.add_argument("--lm", default=None, metavar="FOLDER",
                    help="measure with this causal language model (a transformers folder) instead of the n-gram model")
    ap.add_argument("--device", default="cpu", choices=("cpu", "cuda", "auto"), help="where --lm runs (default cpu)")
    ap.add_argument("--threads", type=int, default=0, help="CPU threads of --lm (0: torch's default)")
    ap.add_argument("--max-sentences", type=int, default=0, metavar="N",
                    help="a sample: every spun-page sentence and the first pages of each other source and split, up "
                         "to N sentences each (default: everything)")
    ap.add_argument("--speed-sentences", type=int, default=None, metavar="N",
                    help="distinct sentences the speed is measured on (default: all; with --lm 2000)")
    args = ap.parse_args()
    sentences = load(args.man_corpus, args.synthetic or args.pick, args.max_sentences)
    cfg = FluencyConfig(lm_model=args.lm, lm_device=args.device, lm_threads=args.threads)
    backend = "n-gram: CMU en-us trigram model (pocketsphinx)"
    if args.lm:
        from pipeline.fluency_lm import preflight

        info = preflight(args.lm, args.device)
        backend = f"causal LM: {info.path} (blake2b {info.checksum}): {info.describe()}"
    print(f"backend: {backend}", flush=True)
    ev = FluencyScorer(cfg=cfg).score([s.text for s in sentences])
    rows = list(zip(sentences, ev, strict=True))
    t = pick_thresholds(rows) if args.pick else FluencyThresholds()
    report: dict = {"backend": backend, "sample": args.max_sentences or "everything",
                    "config": {k: getattr(cfg, k) for k in cfg.__dataclass_fields__ if not k.endswith("dir")},
                    "thresholds": {k: getattr(t, k) for k in t.__dataclass_fields__},
                    "thresholds_from": "dev split (--pick)" if args.pick else "FluencyThresholds() defaults",
                    "splits": {}}
    for name, split in (("dev", "dev"), ("heldout", "heldout"), ("all", None)):
        report["splits"][name] = evaluate(rows, t, split)
    if args.synthetic or args.pick:
        report["synthetic_dev"] = synthetic_figures(rows, t)
    limit = args.speed_sentences if args.speed_sentences is not None else (2000 if args.lm else 0)
    report["speed"] = speed([s.text for s in sentences if s.source != "synthetic"], cfg, limit)
    report["load_seconds"] = load_time(cfg)
    print(f"thresholds ({report['thresholds_from']}): {report['thresholds']}")
    for name, r in report["splits"].items():
        print(f"== {name}: {r['spun_sentences']} spun, {r['clean_sentences']} clean sentences "
              f"{r['clean_sentences_by_source']}")
        print(f"   sentence level at {t.sentence:.2f}: spun flagged {r['spun_flagged']:.1%}, clean flagged "
              f"{r['clean_flagged']:.2%} {r['clean_flagged_by_source']}")
        print(f"   this split's own point at <= 2% clean: threshold {r['point_at_2pct']:.2f}, spun flagged "
              f"{r['spun_flagged_at_own_point']:.1%}")
        p = r["pages"]
        print(f"   pages (fail at share >= {t.page_share:.0%} and >= {t.page_min_spun} spun): spun pages failing "
              f"{p['spun_failing']} of {len(p['spun'])} {p['spun']}; clean pages failing {len(p['clean_failing'])} of "
              f"{p['clean_pages']} {p['clean_failing'][:10]}; highest clean share {p['clean_highest_share']}, "
              f"with >= {t.page_min_spun} spun {p['clean_highest_share_with_min_spun']}; most spun sentences on a "
              f"clean page {p['clean_most_spun_sentences']}")
        t2 = r["two_level"]
        print(f"   two-level (failing pages at {t.relaxed:.2f}): spun flagged {t2['spun_flagged']:.1%}, clean flagged "
              f"{t2['clean_flagged']:.2%} {t2['clean_flagged_by_source']}; unspun sentences of the spun pages flagged "
              f"{t2['unspun_sentences_of_spun_pages_flagged']}")
        print("   curve (threshold: spun / clean [seeds man debref help]): " + "; ".join(
            f"{c['threshold']:.2f}: {c['spun']:.2f} / {c['clean']:.3f} [{c['seeds']:.3f} {c['man']:.3f} "
            f"{c['debref']:.3f} {c['help']:.3f}]" for c in r["curve"]))
    if "synthetic_dev" in report:
        print(f"== synthetic (dev only, our spinner): {report['synthetic_dev']}")
    sp = report["speed"]
    print(f"== speed: {sp['sentences_per_cpu_s']:,} distinct sentences per CPU second ({sp['sentences']} sentences, "
          f"{sp['words_per_sentence']} words each; cached: {sp['cached_sentences_per_s']:,}/s); "
          f"load {report['load_seconds']:.2f} s")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
