"""Throughput of tqa's model stages on tiny offline models, beside the libraries' own paths.

    python benchmarks/bench_models.py [--segments 2000] [--comet-items 1000] [--json PATH]
                                      [--threads 1,0] [--device cpu]

Run it from the repository root with the project's Python (the one with the ``models`` extra
installed).  It builds the tiny randomly initialised models of ``tests/fixtures/tiny_models.py``
into a temporary folder (a few seconds, offline), measures, and removes everything it wrote.
The default run takes about two minutes on two cores.

What the figures are, and are not
    The models are tiny (d_model 32, one or two layers): their translations and scores are
    garbage, and a real model spends far more time in the network itself.  The figures show
    the *overheads* that tqa's design removes or keeps -- per-call work, batching, caching,
    batch size -- not the speed of a real model.  Published figures for real models belong
    next to them, labelled as such.

The Swedish segments
    Real Swedish sentences only: the sentences of ``tiny_models.SV_EN``, then the sentences of
    the Swedish man pages of ``tests/fixtures/bilingual.py`` (Debian's manpages-sv, split with
    that module's ``sentences``; titles and code-like paragraphs left out), distinct, 3 to 60
    words, in a seeded order.  When there are fewer than ``--segments`` distinct sentences
    (or the Debian packages cannot be had), adjacent sentences are joined two by two to make
    more; the output says how many are joined.

1. Back-translation (sv -> en, beam 4, the same package file for every path)
    tqa     ``ArgosBackTranslator(pkg, device, threads=T, batch_size=64).translate(texts)``: the
            package's CTranslate2 model and sentencepiece model loaded once, every segment in
            one length-sorted ``translate_batch`` call.
    argos   ``argostranslate.translate.translate(text, "sv", "en")`` once per segment, after
            ``argostranslate.package.install_from_path`` into a temporary XDG folder (the
            ``XDG_*`` and ``ARGOS_*`` variables are set before argostranslate is imported, with
            ``tiny_models.argos_env``).  Argos' defaults otherwise: ``compute_type="auto"``
            (int8 on most CPUs), ``max_batch_size=32`` tokens, beam 4.  One more row runs it
            with CTranslate2's ``compute_type="default"``, as tqa loads the model, so that only
            the per-call path differs (their outputs are then compared).
            Argos splits every paragraph into sentences with MiniSBD, which downloads a
            splitter model on first use unless the package carries one; the tiny package carries
            none.  The benchmark replaces the splitter's ``split_sentences`` on the loaded
            translation with ``lambda text: [text]`` (each input already is one sentence), as
            ``tests/test_tiny_models.py`` does.  So argos is measured *without* its sentence
            splitter's cost: its real per-call cost is higher than shown.
    cache   ``back_translate(texts, translator, ModelCache(tmp))`` on an empty cache, then again:
            the second run reads every translation from SQLite and makes no model call
            (``translator.model_calls`` is printed).
    Load times (imports, package install, model load, first call) are shown apart from
    throughput.  Tokens are sentencepiece pieces of the package's tokenizer: source pieces, and
    output pieces re-encoded from the translations.

2. COMET (the tiny reference-based ``RegressionMetric``)
    ``CometScorer.predict`` over ``--comet-items`` items at batch sizes 1, 8, 32 and 64 (one
    model load; the scorer's batch size is changed between runs), after one warm-up call.
    Items are real aligned Swedish/English sentence pairs (``SV_EN``, then man-page paragraphs
    whose Swedish and English sides split into the same number of sentences): ``src`` the
    Swedish sentence, ``mt`` its back-translation by the tiny package (what tqa scores; a tiny
    model's output is short), ``ref`` the English sentence.  Then ``comet_scores`` on an empty
    cache and again (the second run makes no model call).

``--json PATH`` writes every figure, the library versions and the machine to PATH.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import io
import json
import os
import platform
import random
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SEED = 20240612
COMET_BATCH_SIZES = (1, 8, 32, 64)
LIBRARIES = ("ctranslate2", "sentencepiece", "argostranslate", "minisbd", "unbabel-comet", "torch",
             "pytorch-lightning", "transformers", "tokenizers", "numpy")


# ---------------------------------------------------------------------------------------------
# text


def _real_pairs() -> tuple[list[str], list[tuple[str, str]], str]:
    """Swedish man-page sentences, aligned (sv, en) sentence pairs, and a note on the source.

    Every Swedish page of Debian's manpages-sv (not only the pages the bilingual corpus picks),
    converted and paragraph-aligned with the fixture's own helpers."""
    from tests.fixtures import bilingual

    try:
        with contextlib.redirect_stdout(io.StringIO()):
            en_pages, sv_pages = bilingual._load_pages(bilingual.fetch_debs())
    except Exception as exc:  # noqa: BLE001  (no apt, no network, no cached packages)
        return [], [], f"the Debian man pages could not be had ({type(exc).__name__}: {exc})"
    sv_sentences: list[str] = []
    pairs: list[tuple[str, str]] = []
    for key in sorted(sv_pages):
        sv = sv_pages[key]
        mapping = bilingual._align(en_pages[key], sv) if key in en_pages else None
        for i, block in enumerate(sv.blocks):
            if block.kind != "paragraph" or bilingual.is_code_like(block.text):
                continue
            sents = bilingual.sentences(block.text)
            sv_sentences += sents
            if mapping is None or mapping[i] is None:
                continue
            en_sents = bilingual.sentences(en_pages[key].blocks[mapping[i]].text)
            if len(en_sents) == len(sents):
                pairs += [(a, b) for a, b in zip(sents, en_sents) if a != b]
    return sv_sentences, pairs, f"Debian manpages-sv, {len(sv_pages)} pages (tests/fixtures/bilingual.py)"


def _keep(sentence: str) -> bool:
    return 3 <= len(sentence.split()) <= 60


def swedish_segments(n: int, man_sentences: list[str]) -> tuple[list[str], dict]:
    """``n`` distinct real Swedish segments (seeded order) and a note of where they came from."""
    from tests.fixtures import tiny_models as tiny

    pool = list(dict.fromkeys(s for s in [*tiny.SV_SENTENCES, *man_sentences] if _keep(s)))
    random.Random(SEED).shuffle(pool)
    texts, joined = pool[:n], 0
    seen = set(texts)
    i = 0
    while len(texts) < n and len(pool) > 1:  # join neighbours (still real text) for more
        a, b = pool[i % len(pool)], pool[(i + 1 + i // len(pool)) % len(pool)]
        i += 1
        candidate = f"{a} {b}"
        if candidate not in seen:
            seen.add(candidate)
            texts.append(candidate)
            joined += 1
        if i > 20 * n:
            break
    return texts, {"distinct_sentences": len(pool), "segments": len(texts), "joined_pairs": joined}


# ---------------------------------------------------------------------------------------------
# helpers


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    value = fn(*args, **kwargs)
    return value, time.perf_counter() - start


def versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def machine() -> dict:
    cpu = None
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                mem = round(int(line.split()[1]) / 1024 / 1024, 1)
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"platform": platform.platform(), "machine": platform.machine(), "cpu": cpu,
            "cores": os.cpu_count(), "usable_cores": usable, "memory_gib": mem}


def time_imports() -> dict[str, float]:
    """Import times, in this order; each counts only what the earlier ones did not load."""
    from pipeline.comet_score import quiet_comet

    out = {}
    quiet_comet()  # before ``import comet``, which configures the root logger
    for label, modules in (("ctranslate2 + sentencepiece", ("ctranslate2", "sentencepiece")),
                           ("comet (with torch, transformers, lightning)", ("comet",)),
                           ("argostranslate.translate", ("argostranslate.package", "argostranslate.translate"))):
        start = time.perf_counter()
        for name in modules:
            importlib.import_module(name)
        out[label] = time.perf_counter() - start
    quiet_comet()
    import logging

    # argos logs every call at INFO (tokens, batches); in a program that configured no logging
    # these records are dropped.  Here the root logger has a handler, so keep them off it.
    logging.getLogger("argostranslate.utils").propagate = False
    return out


def _rate(count: float, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


# ---------------------------------------------------------------------------------------------
# 1. back-translation


def bench_backtranslation(archive: Path, texts: list[str], work: Path, threads: list[int], device: str,
                          comet_sources: list[str]) -> dict:
    from pipeline.backtranslate import ArgosBackTranslator, back_translate, install_package_file
    from pipeline.cache import ModelCache

    out: dict = {"segments": len(texts), "rows": [], "load": {}}
    pkg, t_install = timed(install_package_file, archive, work / "tqa-packages")
    out["load"]["tqa: install_package_file"] = t_install

    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=str(pkg.tokenizer_path))
    src_tokens = sum(len(x) for x in sp.encode(texts))

    def out_tokens(translations: list[str]) -> int:
        return sum(len(x) for x in sp.encode(translations))

    tqa_outputs: dict[int, list[str]] = {}
    for t in threads:
        bt = ArgosBackTranslator(pkg, device, threads=t, batch_size=64)
        start = time.perf_counter()
        _ = bt._translator, bt._tokenizer
        load = time.perf_counter() - start
        _, first = timed(bt.translate, texts[:1])
        out["load"][f"tqa threads={t}: model load"] = load
        out["load"][f"tqa threads={t}: first call (1 segment)"] = first
        result, secs = timed(bt.translate, texts)
        tqa_outputs[t] = result
        out["rows"].append({"path": "tqa", "threads": t, "compute_type": bt._translator.compute_type,
                            "how": "1 translate_batch call, length-sorted, max_batch_size=64",
                            "seconds": secs, "segments_per_s": _rate(len(texts), secs),
                            "src_tokens_per_s": _rate(src_tokens, secs),
                            "out_tokens_per_s": _rate(out_tokens(result), secs)})
        del bt  # one model alive at a time: idle thread pools of another must not compete
        gc.collect()

    # argostranslate, sentence by sentence
    import argostranslate.package as argos_package
    import argostranslate.settings as argos_settings
    import argostranslate.translate as argos_translate

    if not str(argos_settings.package_data_dir).startswith(str(work)):
        raise RuntimeError(f"argostranslate is not using the temporary folder: {argos_settings.package_data_dir}")
    argos_settings.device = device
    _, secs = timed(argos_package.install_from_path, archive)
    out["load"]["argos: install_from_path"] = secs
    translation = argos_translate.get_translation_from_codes("sv", "en")
    underlying = translation.underlying  # CachedTranslation -> PackageTranslation
    # MiniSBD would download a splitter model here; each input already is one sentence.
    underlying.sentencizer.split_sentences = lambda text: [text]

    configs = [(t, argos_settings.compute_type) for t in threads] + [(threads[0], "default")]
    for t, compute_type in configs:
        argos_settings.intra_threads, argos_settings.compute_type = t, compute_type
        underlying.translator = None  # rebuilt from the settings on the next call
        _, first = timed(argos_translate.translate, texts[0], "sv", "en")
        out["load"][f"argos threads={t} compute_type={compute_type}: first call (loads the model)"] = first
        start = time.perf_counter()
        result = [argos_translate.translate(text, "sv", "en") for text in texts]
        secs = time.perf_counter() - start
        row = {"path": "argos", "threads": t, "compute_type": underlying.translator.compute_type,
               "how": "translate() per segment", "seconds": secs, "segments_per_s": _rate(len(texts), secs),
               "src_tokens_per_s": _rate(src_tokens, secs), "out_tokens_per_s": _rate(out_tokens(result), secs)}
        if compute_type == "default" and t in tqa_outputs:
            same = sum(a == b for a, b in zip(result, tqa_outputs[t], strict=True))
            row["identical_to_tqa"] = same
        out["rows"].append(row)
    underlying.translator = None
    gc.collect()

    for row in out["rows"]:
        if row["path"] == "argos":
            tqa_row = next((r for r in out["rows"] if r["path"] == "tqa" and r["threads"] == row["threads"]), None)
            if tqa_row:
                row["tqa_speedup"] = tqa_row["segments_per_s"] / row["segments_per_s"]

    # cold vs cached
    bt = ArgosBackTranslator(pkg, device, threads=threads[0], batch_size=64)
    bt.translate(texts[:1])  # load, as above
    cache = ModelCache(work / "cache" / "models.sqlite")
    try:
        calls0 = bt.model_calls
        _, cold = timed(back_translate, texts, bt, cache)
        calls1 = bt.model_calls
        again, cached = timed(back_translate, texts, bt, cache)
        calls2 = bt.model_calls
    finally:
        cache.close()
    out["cache"] = {"threads": threads[0], "cold_s": cold, "cold_model_calls": calls1 - calls0,
                    "cached_s": cached, "cached_model_calls": calls2 - calls1,
                    "cold_segments_per_s": _rate(len(texts), cold), "cached_segments_per_s": _rate(len(texts), cached),
                    "same_translations": sum(again[t] == r for t, r in zip(texts, tqa_outputs[threads[0]], strict=True))}
    out["mt"] = bt.translate(comet_sources) if comet_sources else []  # COMET's mt, made here
    return out


# ---------------------------------------------------------------------------------------------
# 2. COMET


def bench_comet(model_dir: Path, items: list[dict[str, str]], work: Path, device: str, package_dir: Path,
                texts: list[str]) -> dict:
    from pipeline.cache import ModelCache
    from pipeline.comet_score import CometScorer, comet_scores, quiet_comet, read_comet_model

    out: dict = {"items": len(items), "load": {}, "rows": []}
    quiet_comet()
    scorer = CometScorer(read_comet_model(model_dir), device, batch_size=8)
    _, secs = timed(lambda: scorer._comet)
    out["load"]["checkpoint load"] = secs
    _, secs = timed(scorer.predict, items[:8])
    out["load"]["first predict (8 items)"] = secs
    import torch

    out["torch_threads"] = torch.get_num_threads()
    out["gpu"] = scorer.use_gpu
    for bs in COMET_BATCH_SIZES:
        scorer.batch_size = bs
        _, secs = timed(scorer.predict, items)
        out["rows"].append({"batch_size": bs, "seconds": secs, "items_per_s": _rate(len(items), secs)})

    # As in a tqa run: the process keeps its translator (default [models] threads = 0) loaded
    # while COMET scores.  Same batch size as tqa's default, after the translator has worked.
    from pipeline.backtranslate import ArgosBackTranslator, read_package

    neighbour = ArgosBackTranslator(read_package(package_dir), device, threads=0, batch_size=64)
    neighbour.translate(texts)
    scorer.batch_size = 32
    _, secs = timed(scorer.predict, items)
    out["rows"].append({"batch_size": 32, "seconds": secs, "items_per_s": _rate(len(items), secs),
                        "note": "with a tqa translator (threads=0) loaded in the process"})
    del neighbour
    gc.collect()

    scorer.batch_size = 32  # tqa's default [models] comet_batch_size
    cache = ModelCache(work / "cache" / "comet.sqlite")
    try:
        calls0 = scorer.model_calls
        cold_scores, cold = timed(comet_scores, items, scorer, cache)
        calls1 = scorer.model_calls
        cached_scores, cached = timed(comet_scores, items, scorer, cache)
        calls2 = scorer.model_calls
    finally:
        cache.close()
    out["cache"] = {"batch_size": 32, "cold_s": cold, "cold_model_calls": calls1 - calls0, "cached_s": cached,
                    "cached_model_calls": calls2 - calls1, "cold_items_per_s": _rate(len(items), cold),
                    "cached_items_per_s": _rate(len(items), cached),
                    "same_scores": sum(a == b for a, b in zip(cold_scores, cached_scores, strict=True))}
    return out


# ---------------------------------------------------------------------------------------------
# report


def _fmt_s(x: float) -> str:
    return f"{x:8.2f} s" if x >= 0.1 else f"{x * 1000:7.1f} ms"


def print_report(fig: dict) -> None:
    m, v = fig["machine"], fig["versions"]
    print(f"machine   {m['cpu'] or m['machine']}; {m['usable_cores']} usable cores of {m['cores']}; "
          f"{m['memory_gib']} GiB; {m['platform']}")
    print("versions  " + ", ".join(f"{k} {val}" for k, val in v.items() if val))
    s = fig["segments_source"]
    print("imports   " + "; ".join(f"{k} {v:.1f} s" for k, v in fig["imports"].items())
          + " (in this order, each without what the earlier ones loaded)")
    print(f"models    tiny, built offline in {fig['build_s']:.1f} s (tests/fixtures/tiny_models.py)")
    print(f"segments  {s['segments']} distinct Swedish segments from {s['distinct_sentences']} distinct "
          f"sentences ({s['source']}); {s['joined_pairs']} made by joining two; mean "
          f"{s['mean_chars']:.0f} chars, {s['mean_src_tokens']:.1f} source tokens")

    bt = fig["backtranslation"]
    print(f"\n1. Back-translation sv->en, {bt['segments']} segments, beam 4, device {fig['device']}")
    print(f"   {'path':6s} {'threads':>7s} {'compute':>13s} {'time':>10s} {'segments/s':>11s} "
          f"{'src tok/s':>10s} {'out tok/s':>10s}  {'tqa x':>6s}  how")
    for r in bt["rows"]:
        speed = f"{r['tqa_speedup']:5.1f}x" if "tqa_speedup" in r else ""
        extra = f"; output identical to tqa for {r['identical_to_tqa']}/{bt['segments']}" \
            if "identical_to_tqa" in r else ""
        print(f"   {r['path']:6s} {r['threads']:7d} {r['compute_type']:>13s} {_fmt_s(r['seconds']):>10s} "
              f"{r['segments_per_s']:11.0f} {r['src_tokens_per_s']:10.0f} {r['out_tokens_per_s']:10.0f}  "
              f"{speed:>6s}  {r['how']}{extra}")
    print("   (threads 0 = the library's default; 'tqa x' = tqa segments/s over this row's, same threads)")
    c = bt["cache"]
    print(f"   back_translate() cold: {_fmt_s(c['cold_s']).strip()} ({c['cold_segments_per_s']:.0f} segments/s, "
          f"{c['cold_model_calls']} model call);  cached: {_fmt_s(c['cached_s']).strip()} "
          f"({c['cached_segments_per_s']:.0f} segments/s, {c['cached_model_calls']} model calls); "
          f"same translations {c['same_translations']}/{bt['segments']}")
    print("   load (not in the throughput above):")
    for k, val in bt["load"].items():
        print(f"     {k:60s} {_fmt_s(val)}")

    cm = fig["comet"]
    print(f"\n2. COMET predict, tiny reference-based model, {cm['items']} items "
          f"(mean chars src {cm['mean_chars']['src']:.0f} / mt {cm['mean_chars']['mt']:.0f} / "
          f"ref {cm['mean_chars']['ref']:.0f}), torch threads {cm['torch_threads']}, gpu {cm['gpu']}")
    print(f"   {'batch':>5s} {'time':>10s} {'items/s':>9s}")
    for r in cm["rows"]:
        print(f"   {r['batch_size']:5d} {_fmt_s(r['seconds']):>10s} {r['items_per_s']:9.0f}  {r.get('note', '')}")
    c = cm["cache"]
    print(f"   comet_scores() batch {c['batch_size']} cold: {_fmt_s(c['cold_s']).strip()} "
          f"({c['cold_items_per_s']:.0f} items/s, {c['cold_model_calls']} model call);  cached: "
          f"{_fmt_s(c['cached_s']).strip()} ({c['cached_items_per_s']:.0f} items/s, {c['cached_model_calls']} "
          f"model calls); same scores {c['same_scores']}/{cm['items']}")
    print("   load (not in the throughput above):")
    for k, val in cm["load"].items():
        print(f"     {k:60s} {_fmt_s(val)}")
    la = fig["loadavg_1min"]
    print(f"\ntotal {fig['total_s']:.0f} s; 1-minute load average {la['before']:.2f} before, {la['after']:.2f} after "
          f"(this run alone brings it to about 1; much more means other work shared the cores)")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--segments", type=int, default=2000, help="Swedish segments to back-translate (2000)")
    p.add_argument("--comet-items", type=int, default=1000, help="COMET items per batch size (1000)")
    p.add_argument("--threads", default="1,0",
                   help="CTranslate2 intra-op threads to compare, comma-separated; 0 = library default (1,0)")
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda", "auto"), help="device for every model (cpu)")
    p.add_argument("--json", type=Path, default=None, help="write the figures to this JSON file")
    args = p.parse_args(argv)
    threads = [int(t) for t in args.threads.split(",") if t.strip()]
    if not threads or args.segments < 1 or args.comet_items < 8:
        p.error("need at least one --threads value, --segments >= 1 and --comet-items >= 8")

    total_start, load_before = time.perf_counter(), os.getloadavg()[0]
    sys.path.insert(0, str(REPO))
    from tests.fixtures import tiny_models as tiny

    tiny.offline_env()
    with tempfile.TemporaryDirectory(prefix="tqa-bench-models-") as tmp:
        work = Path(tmp)
        # argostranslate reads these at import time: set them before anything imports it
        for key in [k for k in os.environ if k.startswith("ARGOS_")]:
            del os.environ[key]
        tiny.argos_env(work / "argos")
        from pipeline.backtranslate import resolve_device

        device = resolve_device(args.device)
        os.environ["ARGOS_DEVICE_TYPE"] = device

        imports = time_imports()
        with contextlib.redirect_stdout(io.StringIO()):
            built, build_s = timed(tiny.build_all, work / "models")
        man_sentences, pairs, source = _real_pairs()
        texts, seg_note = swedish_segments(args.segments, man_sentences)
        seg_note["source"] = "tiny_models.SV_EN + " + source if man_sentences else "tiny_models.SV_EN only; " + source

        # COMET items: real aligned sentence pairs; mt = the tiny package's back-translation
        all_pairs = list(dict.fromkeys([*tiny.SV_EN, *((s, e) for s, e in pairs if _keep(s))]))
        random.Random(SEED).shuffle(all_pairs)
        all_pairs = all_pairs[:args.comet_items]

        bt = bench_backtranslation(built["argos_package"], texts, work, threads, device, [s for s, _ in all_pairs])
        mts = bt.pop("mt")
        gc.collect()
        import sentencepiece as spm

        sp = spm.SentencePieceProcessor(model_file=str(next((work / "tqa-packages").iterdir()) / "sentencepiece.model"))
        seg_note["mean_chars"] = sum(map(len, texts)) / len(texts)
        seg_note["mean_src_tokens"] = sum(len(x) for x in sp.encode(texts)) / len(texts)

        items = [{"src": s, "mt": mt, "ref": e} for (s, e), mt in zip(all_pairs, mts, strict=True)]
        while len(items) < args.comet_items:  # too few real pairs: repeat them with a numbered mt
            base = items[len(items) % len(all_pairs)]
            items.append(dict(base, mt=f"{base['mt']} ({len(items)})"))
        cm = bench_comet(built["comet_ref"], items, work, device, next((work / "tqa-packages").iterdir()), texts)
        cm["real_pairs"] = len(all_pairs)
        cm["mean_chars"] = {f: sum(len(i[f]) for i in items) / len(items) for f in ("src", "mt", "ref")}

        fig = {"versions": versions(), "machine": machine(), "device": device, "imports": imports, "build_s": build_s,
               "segments_source": seg_note, "backtranslation": bt, "comet": cm,
               "total_s": time.perf_counter() - total_start,
               "loadavg_1min": {"before": load_before, "after": os.getloadavg()[0]}}
    print_report(fig)
    if args.json:
        args.json.write_text(json.dumps(fig, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
