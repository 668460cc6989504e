"""Measure tqa's model-free cross-language evidence on real parallel text.

For sv, de, fr and ja (LibreOffice help, Debian Reference, Debian man pages; see
``benchmarks/xling_corpus.py``), on the development and the held-out half of the pages:

- ``pairing``: the share of variant pages whose right English page is ranked first, for today's
  ``pipeline.pair`` scoring, a plain word-overlap baseline, and ``pipeline.xling.DocumentIndex``
  with each lexicon (FreeDict; + translation memory; + words learned from the corpus itself);
- ``retrieval``: the share of translated paragraphs whose right English paragraph ranks first
  among the page's paragraphs, for ``pipeline.align.similarity`` and ``pipeline.xling``;
- ``distributions``: quantiles of the cross-lingual score of aligned, random and damaged pairs.

Usage: ``python benchmarks/eval_xling.py [--langs sv,de,fr,ja] [--max-pages N] [--out FILE.json]``
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np

from benchmarks.xling_corpus import ParallelPage, fetch, load
from pipeline import align, pair
from pipeline.lexicon import (
    Lexicon,
    clean_tm_text,
    learn_lexicon,
    lexicon_from_translation_memory,
    load_freedict,
    read_translation_memory,
)
from pipeline.text import folded_words
from pipeline.xling import DocumentIndex, prepare_english, prepare_variant, similarity_matrix

SEED = 7
#: Catalogues left out of the translation memory: coreutils' and diffutils' messages are their
#: --help texts, from which the man pages are generated (the memory would hold the test text).
TM_EXCLUDE = {"coreutils.mo", "diffutils.mo"}


def tm_files(lang: str) -> list[Path]:
    """The system's gettext catalogues of ``lang`` plus Django's .po files (a real localization team's TM)."""
    files = [p for p in sorted(Path(f"/usr/share/locale/{lang}/LC_MESSAGES").glob("*.mo")) if p.name not in TM_EXCLUDE]
    django = fetch("python3-django") / "usr/lib/python3/dist-packages/django"
    files += sorted(django.rglob(f"locale/{lang}/LC_MESSAGES/*.po"))
    return files


def tm_texts(lang: str) -> list[str]:
    """The translated side of the translation memory (real text of ``lang`` for the order model)."""
    out = []
    for f in tm_files(lang):
        out += [clean_tm_text(t) for _, t in read_translation_memory(f, lang)]
    return out


def lexicons(lang: str, pages: list[ParallelPage]) -> dict[str, Lexicon]:
    """FreeDict, FreeDict + TM, FreeDict + TM + corpus-learned (learned from ``pages`` without labels:
    mutual-best paragraph pairs of each page under the FreeDict + TM similarity)."""
    t = time.time()
    fd = load_freedict(lang)
    t_fd = time.time() - t
    t = time.time()
    tm = lexicon_from_translation_memory(tm_files(lang), lang, base=fd)
    fd_tm = fd.merged(tm)
    t_tm = time.time() - t
    t = time.time()
    confident = confident_pairs(pages, fd_tm)
    corpus = learn_lexicon(confident, lang, base=fd_tm, source="corpus")
    t_c = time.time() - t
    print(f"  [{lang}] lexicons: freedict {len(fd)} keys ({t_fd:.1f}s), tm +{len(tm)} ({t_tm:.1f}s), "
          f"corpus +{len(corpus)} from {len(confident)} pairs ({t_c:.1f}s)", file=sys.stderr)
    return {"freedict": fd, "freedict+tm": fd_tm, "freedict+tm+corpus": fd_tm.merged(corpus)}


def confident_pairs(pages: list[ParallelPage], lex: Lexicon, min_score: float = 0.35,
                    margin: float = 0.08) -> list[tuple[str, str]]:
    """(English, variant) paragraph pairs that are each other's best match with a margin (no labels)."""
    out = []
    for p in pages:
        vs = [prepare_variant(t, lex) for t in p.xx]
        es = [prepare_english(t) for t in p.en]
        m = similarity_matrix(vs, es)
        if m.size == 0:
            continue
        for i in range(m.shape[0]):
            j = int(m[i].argmax())
            row = np.sort(m[i])[::-1]
            col = m[:, j]
            if m[i, j] >= min_score and int(col.argmax()) == i and (len(row) < 2 or row[0] - row[1] >= margin):
                out.append((p.en[j], p.xx[i]))
    return out


# ---------------------------------------------------------------------------
# (a) document pairing
# ---------------------------------------------------------------------------


def _overlap_ranker(en_docs: list[str]):
    """Plain word overlap: cosine of binary idf-weighted folded-word vectors."""
    sets = [set(folded_words(d)) for d in en_docs]
    df: Counter[str] = Counter()
    for s in sets:
        df.update(s)
    n = len(sets)
    idf = {w: math.log(1 + n / c) for w, c in df.items()}
    norms = [math.sqrt(sum(idf[w] ** 2 for w in s)) or 1.0 for s in sets]
    post: dict[str, list[int]] = {}
    for i, s in enumerate(sets):
        for w in s:
            post.setdefault(w, []).append(i)

    def rank(text: str) -> list[int]:
        q = {w for w in folded_words(text) if w in idf}
        qn = math.sqrt(sum(idf[w] ** 2 for w in q)) or 1.0
        acc: Counter[int] = Counter()
        for w in q:
            for i in post[w]:
                acc[i] += idf[w] ** 2
        return [i for i, _ in sorted(((i, s / (qn * norms[i])) for i, s in acc.items()), key=lambda x: (-x[1], x[0]))]
    return rank


def _pair_ranker(en_docs: list[str], xx_docs: list[str], lang: str):
    """Today's pipeline.pair scoring (its inverted index over anchors and long words)."""
    originals = [pair.ArticleText(f"en{i}", f"en{i}", 0, "en", "original", "", d) for i, d in enumerate(en_docs)]
    variants = [pair.ArticleText(f"xx{i}", f"xx{i}", 0, lang, "variant", "", d) for i, d in enumerate(xx_docs)]
    feats = {a.article_id: pair.anchors(a.body) for a in originals + variants}
    index = pair._Index(originals, variants, feats)

    def rank(k: int) -> list[int]:
        return [i for _, i in index.scores(variants[k])]
    return rank


def eval_pairing(pages: list[ParallelPage], lexs: dict[str, Lexicon], lang: str) -> dict[str, dict]:
    """Share of variant pages whose own English page ranks first, per method, per source."""
    out: dict[str, dict] = {}
    for source in sorted({p.source for p in pages}):
        ps = [p for p in pages if p.source == source]
        en_docs = ["\n".join(p.en) for p in ps]
        xx_docs = ["\n".join(p.xx) for p in ps]
        res: dict[str, float] = {"pages": len(ps)}
        t = time.time()
        pr = _pair_ranker(en_docs, xx_docs, lang)
        res["pair (today)"] = sum(1 for k in range(len(ps)) if (r := pr(k)) and r[0] == k) / len(ps)
        ov = _overlap_ranker(en_docs)
        res["word overlap"] = sum(1 for k in range(len(ps)) if (r := ov(xx_docs[k])) and r[0] == k) / len(ps)
        index = DocumentIndex(en_docs)
        for name, lex in lexs.items():
            t = time.time()
            hits = sum(1 for k in range(len(ps)) if (r := index.rank(xx_docs[k], lex, top=1)) and r[0][1] == k)
            res[f"xling {name}"] = hits / len(ps)
            res[f"xling {name} s/page"] = (time.time() - t) / len(ps)
        out[source] = res
    return out


# ---------------------------------------------------------------------------
# (b) paragraph retrieval within a page, (c) distributions
# ---------------------------------------------------------------------------


def eval_retrieval(pages: list[ParallelPage], lexs: dict[str, Lexicon]) -> dict[str, dict]:
    """Share of aligned pairs whose English paragraph ranks first among the page's English ones."""
    out: dict[str, dict] = {}
    for source in sorted({p.source for p in pages}):
        ps = [p for p in pages if p.source == source]
        res: dict[str, float] = {"pairs": sum(len(p.pairs) for p in ps),
                                 "mean candidates": sum(len(p.en) for p in ps) / len(ps)}
        hits = 0
        for p in ps:
            ef = [align.features(t) for t in p.en]
            for xi, ei in p.pairs:
                vf = align.features(p.xx[xi])
                sims = [align.similarity(vf, f, False) for f in ef]
                hits += int(int(np.argmax(sims)) == ei)
        res["align.similarity (today)"] = hits / res["pairs"]
        for name, lex in lexs.items():
            hits = 0
            t = time.time()
            n_seg = 0
            for p in ps:
                es = [prepare_english(t) for t in p.en]
                vs = [prepare_variant(p.xx[xi], lex) for xi, _ in p.pairs]
                n_seg += len(es) + len(vs)
                m = similarity_matrix(vs, es)
                hits += sum(int(int(m[k].argmax()) == ei) for k, (_, ei) in enumerate(p.pairs))
            res[f"xling {name}"] = hits / res["pairs"]
            res[f"xling {name} µs/segment"] = (time.time() - t) / max(1, n_seg) * 1e6
        out[source] = res
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--langs", default="sv,de,fr,ja")
    ap.add_argument("--max-pages", type=int, default=400, help="pages per source and split (sampled)")
    ap.add_argument("--splits", default="dev,heldout")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    rng = random.Random(SEED)
    report: dict[str, dict] = {}
    for lang in args.langs.split(","):
        pages_all = load(lang)
        for split in args.splits.split(","):
            pages = []
            for source in sorted({p.source for p in pages_all}):
                ps = [p for p in pages_all if p.source == source and p.split == split]
                rng.shuffle(ps)
                pages += sorted(ps[: args.max_pages], key=lambda p: p.name)
            lexs = lexicons(lang, pages)
            r = {"pairing": eval_pairing(pages, lexs, lang), "retrieval": eval_retrieval(pages, lexs)}
            report[f"{lang}/{split}"] = r
            print(json.dumps({f"{lang}/{split}": r}, indent=1))
    if args.out:
        args.out.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
