"""How soon a report's index is usable in a real browser: headless Chromium (Debian's ``chromium``,
driven by playwright), the page opened from disk as a reviewer opens it.

    python benchmarks/bench_index.py REPORT_DIR [--rounds 5] [--json PATH]

Per round, in a fresh browser context: the time from the start of the navigation to the load event
(``PerformanceNavigationTiming.loadEventEnd``: HTML parsed, styles applied, the page's script run),
then the first interaction — typing a search term, and sorting by chrF++ — each timed from the event
to the next painted frame (``requestAnimationFrame`` and a task after it). "Usable" is load + the
first search. The fastest and the median of the rounds are printed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]

FRAME = "() => new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)))"
SEARCH = """async (term) => {
  const q = document.getElementById('q');
  const t0 = performance.now();
  q.value = term;
  q.dispatchEvent(new Event('input'));
  await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
  return [performance.now() - t0, document.getElementById('shown').textContent];
}"""
SORT = """async () => {
  const b = document.querySelector('button[data-key=chrf]');
  const t0 = performance.now();
  b.click();
  await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
  return performance.now() - t0;
}"""


def main(argv: list[str] | None = None) -> int:
    from playwright.sync_api import sync_playwright

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("report", type=Path)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--term", default="untranslated", help="search term typed (default: untranslated)")
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)
    index = (args.report / "index.html").resolve()
    rows = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for _ in range(args.rounds):
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            page = context.new_page()
            page.goto(index.as_uri(), wait_until="load")
            load = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
            page.evaluate(FRAME)
            search, shown = page.evaluate(SEARCH, args.term)
            page.evaluate("() => { const q = document.getElementById('q'); q.value = ''; "
                          "q.dispatchEvent(new Event('input')); }")
            sort = page.evaluate(SORT)
            n = page.locator("#articles-table .art").count()
            rows.append({"load_ms": load, "search_ms": search, "sort_ms": sort, "usable_ms": load + search,
                         "rows": n, "shown": shown})
            context.close()
        browser.close()
    size = index.stat().st_size
    summary = {k: {"min": round(min(r[k] for r in rows), 1), "median": round(statistics.median(r[k] for r in rows), 1)}
               for k in ("load_ms", "search_ms", "sort_ms", "usable_ms")}
    print(f"{index}: {rows[0]['rows']} article rows, {size / 2**20:.1f} MiB; search {args.term!r}: {rows[0]['shown']}")
    for k, v in summary.items():
        print(f"  {k:<10} fastest {v['min']:8.1f}  median {v['median']:8.1f}  (rounds: "
              + ", ".join(f"{r[k]:.0f}" for r in rows) + ")")
    if args.json:
        args.json.write_text(json.dumps({"index_bytes": size, "rounds": rows, "summary": summary}, indent=1),
                             encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
