"""Shard work spread over processes gives what one process gives (real Luigi runs, real text)."""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl
import pytest

from tasks.parts import deal

from .conftest import ROOT, run_audit


def test_dealing_balances_alike_neighbours_and_loses_none() -> None:
    # a shard's pages in order: short originals first, then variants that cost three times as much
    weights = [10] * 20 + [30] * 20
    parts = deal(weights, 3)
    assert sorted(i for p in parts for i in p) == list(range(40))
    assert all(p == sorted(p) for p in parts)
    loads = [sum(weights[i] for i in p) for p in parts]
    assert max(loads) - min(loads) <= 30, loads  # a contiguous cut into 3 gives 200, 300, 300
    assert deal([5, 5], 4) == [[0], [1]] and deal([], 2) == []


def _split_pages_corpus(root: Path) -> Path:
    """Real English man pages and their real Swedish translations (benchmarks/bench_audit.py's units),
    one article per page; on every other Swedish page a title cuts the article in two, so both its
    articles pair with the one English article (aligned together, as one text)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_audit

    from tests.fixtures import bilingual

    try:
        units = bench_audit.man_units(root.parent / "bilingual")[0][:8]
    except bilingual.CorpusUnavailable as exc:
        pytest.skip(str(exc))
    manifest = ["path,lang,original"]
    for n, u in enumerate(units):
        en = [o for _, o, _ in u.paras]
        sv = [v for _, _, v in u.paras]
        half = len(sv) // 2
        title_en, title_sv = (f"Manual {n}: {bench_audit._cap(t)}" for t in (u.title_en, u.title_var))
        sv_articles = ([(title_sv, sv[:half]), (f"Manual {n}, del 2: {bench_audit._cap(u.name)}", sv[half:])]
                       if n % 2 else [(title_sv, sv)])
        for path, lang, arts in ((f"en/{n}.txt", "en", [(title_en, en)]), (f"sv/{n}.txt", "sv", sv_articles)):
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(bench_audit.render_page(lang, arts), encoding="utf-8")
        manifest += [f"en/{n}.txt,en,", f"sv/{n}.txt,sv,en/{n}.txt"]
    (root / "manifest.csv").write_text("\n".join(manifest) + "\n", encoding="utf-8")
    return root


def test_more_processes_change_no_figure(tmp_path, luigi_overrides) -> None:
    """Each shard cut into three parts scores what one part scores: the articles of a page that pair
    with one original article stay together."""
    corpus = _split_pages_corpus(tmp_path / "corpus")
    luigi_overrides({"tqa": {"processes": 1}})
    one = run_audit(corpus, tmp_path / "one")
    assert one.ok
    shared = (one.articles.filter(pl.col("role") == "variant").group_by("doc_path", "original_article_id").len()
              .filter(pl.col("original_article_id").is_not_null() & (pl.col("len") > 1)))
    assert shared.height >= 3, shared
    luigi_overrides({"tqa": {"processes": 3}})
    three = run_audit(corpus, tmp_path / "three")
    assert three.ok
    assert three.segments.equals(one.segments)
    assert three.articles.equals(one.articles)
