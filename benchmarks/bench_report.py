"""Speed of the report pages alone: every article page and the index of an existing report, rendered
again in one process from its ``segments.parquet`` and ``articles.parquet`` (nothing is written).

    python benchmarks/bench_report.py REPORT_DIR [--rounds 3] [--json PATH] [--code DIR]

Run it from the repository root with the project's Python, on a report written by ``tqa audit`` (for
the 2,000-pair corpus of ``benchmarks/bench_audit.py``: ``tqa audit /tmp/tqa-bench/corpus --out
/tmp/rep-bench``). It prints the fastest of ``--rounds`` rounds: seconds for all article pages, for the
index, and microseconds per segment row — the figure that must not grow when the pages change. The
work is the same as the audit's ``ReportShard`` and index steps, without the process pool and the
writes, so the figure is the rendering's own. ``--code DIR`` renders with the ``pipeline`` package of
another checkout (e.g. ``git archive <commit> pipeline | tar -x -C DIR``) to compare two versions on the
same report.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def load(report: Path) -> tuple[list[dict], dict[str, list[dict]], dict]:
    import polars as pl

    articles = pl.read_parquet(report / "articles.parquet").to_dicts()
    by_article: dict[str, list[dict]] = defaultdict(list)
    for row in pl.read_parquet(report / "segments.parquet").to_dicts():
        by_article[row["article_id"]].append(row)
    summary = json.loads((report / "summary.json").read_text(encoding="utf-8"))
    return articles, by_article, summary


def render_all(articles: list[dict], by_article: dict[str, list[dict]], summary: dict) -> tuple[float, float, int]:
    """Seconds for every article page, seconds for the index, bytes written (not written)."""
    from pipeline import report

    run = {k: summary[k] for k in ("tool", "corpus", "stages", "generated") if k in summary}
    nav = None  # the version before previous/next links had none
    if "navigation" in inspect.signature(report.render_article).parameters:
        nav = report.navigation(report.report_order(articles))
    size = 0
    t0 = time.perf_counter()
    for a in articles:
        extra = {"navigation": nav.get(a["article_id"])} if nav is not None else {}
        size += len(report.render_article(a, by_article[a["article_id"]], run, **extra))
    t1 = time.perf_counter()
    size += len(report.render_index(summary, articles))
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, size


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("report", type=Path)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--json", type=Path, default=None)
    p.add_argument("--code", type=Path, default=REPO, help="the checkout whose pipeline renders (default: this one)")
    args = p.parse_args(argv)
    sys.path.insert(0, str(args.code.resolve()))
    articles, by_article, summary = load(args.report)
    n_rows = sum(len(v) for v in by_article.values())
    rounds = [render_all(articles, by_article, summary) for _ in range(args.rounds)]
    pages = min(r[0] for r in rounds)
    index = min(r[1] for r in rounds)
    from pipeline import report

    figures = {"code": str(Path(report.__file__).resolve().parent.parent), "articles": len(articles), "segment_rows": n_rows, "pages_s": round(pages, 3),
               "index_s": round(index, 3), "us_per_row": round(pages / max(1, n_rows) * 1e6, 2),
               "bytes": rounds[0][2], "rounds_pages_s": [round(r[0], 3) for r in rounds]}
    print(f"{figures['code']}: {len(articles)} article pages, {n_rows} segment rows: pages {pages:.2f} s "
          f"({figures['us_per_row']:.1f} µs per row; rounds {', '.join(f'{r[0]:.2f}' for r in rounds)}), "
          f"index {index:.2f} s, {rounds[0][2] / 2**20:.1f} MiB of HTML")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
