"""How long pathological files take to extract: deep HTML, deep Markdown, long hard-wrapped text.

    .venv/bin/python benchmarks/bench_extract_limits.py [--max-seconds 2]

For nested ``<div>``s it prints lexbor's own parse time (which grows with the square of the
depth) beside tqa's extraction, which counts the depth from the tags in linear time and refuses
the page before lexbor sees it. The other cases run under ``time_limit`` as the audit runs each
file, the Markdown ones with a short budget (markdown-it-py takes minutes on some of them). Best
of three runs for the nested ``<div>``s.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from pipeline.config import ExtractConfig
from pipeline.errors import InputError
from pipeline.extract import extract_blocks, time_limit


def best_of(fn: Callable[[], object], rounds: int) -> tuple[float, str]:
    best, outcome = float("inf"), ""
    for _ in range(rounds):
        started = time.perf_counter()
        try:
            result = fn()
            outcome = f"{len(result)} blocks" if isinstance(result, list) else "parsed"
        except InputError as exc:
            outcome = str(exc).split(":")[0]
        best = min(best, time.perf_counter() - started)
    return best, outcome


def nested_divs(n: int) -> str:
    return "<html><body>" + "<div>" * n + "Deep text." + "</div>" * n + "</body></html>"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-seconds", type=float, default=2.0,
                        help="per-file budget for the Markdown cases (the HTML and text ones get the default 30 s)")
    args = parser.parse_args()
    from selectolax.lexbor import LexborHTMLParser

    cfg = ExtractConfig()
    budget = ExtractConfig(max_seconds=args.max_seconds)
    print(f"{'case':40} {'MB':>6} {'lexbor parse':>13} {'tqa extract':>12}  outcome")
    for n in (10_000, 20_000, 40_000, 80_000):
        html = nested_divs(n)
        lexbor, _ = best_of(lambda html=html: LexborHTMLParser(html), 3)
        tqa, outcome = best_of(lambda html=html: extract_blocks(html, "html", cfg), 3)
        print(f"{f'<div> nested {n:,} levels':40} {len(html) / 1e6:6.2f} {lexbor:12.2f}s {tqa:11.2f}s  {outcome}")
    cases = [
        ("<div> nested to 5 MB", "html", nested_divs((5_000_000 - 40) // 11)),
        ("<span><div></span> to 5 MB", "html", "<span><div></span>" * (5_000_000 // 18)),
        ("<li><section> to 5 MB", "html", "<ul>" + "<li><section>" * (5_000_000 // 13)),
        ("<p> siblings, 5 MB (flat)", "html", "<p>Some text." * (5_000_000 // 13)),
        ("Markdown '> ' to 5 MB", "md", "> " * 2_500_000 + "quote\n"),
        ("Markdown '- ' to 1 MB", "md", "- " * 500_000 + "item\n"),
        ("Markdown '[' to 1 MB", "md", "[" * 500_000 + "x" + "]" * 500_000),
        ("text, one hard-wrapped paragraph, 5 MB", "txt",
         "some lowercase words that go on and on without an end\n" * 95_000),
    ]
    for name, kind, text in cases:
        settings = budget if kind == "md" else cfg
        started = time.perf_counter()
        try:
            with time_limit(settings.max_seconds):
                outcome = f"{len(extract_blocks(text, kind, settings))} blocks"
        except InputError as exc:
            outcome = str(exc).split(":")[0]
        print(f"{name:40} {len(text) / 1e6:6.2f} {'':>13} {time.perf_counter() - started:11.2f}s  {outcome}")


if __name__ == "__main__":
    main()
