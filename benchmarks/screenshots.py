"""Screenshots of a report for the README (headless Chromium, Debian's ``chromium``, via playwright).

    python benchmarks/screenshots.py REPORT_DIR [--out docs/screenshots] [--article ARTICLE_ID]

Writes ``index.png`` (1400 px wide, the top of the index), ``article.png`` (the article's page at
1400 px: its verdict, grouped issues and first flagged segments) and ``article-390.png`` (the same at
390 px). Without ``--article``, the first failing article with a word diff (a same-language pair), else
the first failing one. The README's screenshots are of the man-page corpus of
``tests/fixtures/bilingual.py``: ``python -m tests.fixtures.bilingual /tmp/man && tqa audit /tmp/man --out
/tmp/man-report``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"


def pick_article(report: Path) -> str:
    import polars as pl

    from pipeline.report import report_order

    arts = pl.read_parquet(report / "articles.parquet")
    segs = pl.read_parquet(report / "segments.parquet", columns=["article_id", "chrf", "flags"])
    compared = set(segs.filter(pl.col("chrf").is_not_null() & (pl.col("flags").list.len() > 0))["article_id"])
    order = [a for a in report_order(arts.to_dicts()) if arts.filter(pl.col("article_id") == a)["verdict"][0] == "fail"]
    return next((a for a in order if a in compared), order[0])


def main(argv: list[str] | None = None) -> int:
    from playwright.sync_api import sync_playwright

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("report", type=Path)
    p.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    p.add_argument("--article", default=None)
    args = p.parse_args(argv)
    article = args.article or pick_article(args.report)
    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        for name, path, width, height in (("index", args.report / "index.html", 1400, 1000),
                                          ("article", args.report / "articles" / f"{article}.html", 1400, 1000),
                                          ("article-390", args.report / "articles" / f"{article}.html", 390, 1000)):
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(path.resolve().as_uri())
            page.screenshot(path=str(args.out / f"{name}.png"))
            page.close()
        browser.close()
    print(f"wrote {args.out}/index.png, article.png, article-390.png (article {article})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
