"""The report pages of real audits in a real browser: headless Chromium (Debian's ``chromium``, driven by
playwright), on the demo and on a 100+-document corpus of real text (tests/conftest.py).

Every page loads with no console error and no network request and does not overflow at 390 and 1400 px;
a failing article opens on its issues and ``j``/``k``/``i``/``n`` work; the index sorts, searches and
filters by keyboard; axe-core finds no serious or critical accessibility violation; markup planted in a
corpus stays text. axe-core comes from npm (``npm install axe-core`` into ``~/.cache/tqa/npm`` or
``$TQA_TEST_CACHE/npm``); the tests that need it skip without npm.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from pipeline.report import report_order

from .conftest import DEMO, RunResult, run_audit

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WIDTHS = (390, 1400)


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing (make browser, or apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def axe_source() -> str:
    """axe-core's browser build, installed from npm into a folder this test suite owns."""
    cache = Path(os.environ.get("TQA_TEST_CACHE", Path.home() / ".cache" / "tqa")) / "npm"
    script = cache / "node_modules" / "axe-core" / "axe.min.js"
    if not script.is_file():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is missing: cannot install axe-core")
        cache.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--prefix", str(cache), "axe-core@4"],
                              capture_output=True, text=True, timeout=300, check=False)
        if proc.returncode != 0 or not script.is_file():
            pytest.skip(f"npm install axe-core failed: {proc.stderr[-500:]}")
    return script.read_text(encoding="utf-8")


def pages(run: RunResult) -> list[Path]:
    return [run.out / "index.html", *sorted((run.out / "articles").glob("*.html"))]


class Watch:
    """Console messages, page errors, requests and dialogs of one browser page."""

    def __init__(self, page: Any) -> None:
        self.console: list[str] = []
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning")
                else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("dialog", self._dialog)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


def _article(run: RunResult, **where: str) -> Path:
    arts = run.articles
    for column, value in where.items():
        arts = arts.filter(pl.col(column) == value)
    assert arts.height, where
    return run.out / "articles" / f"{arts['article_id'][0]}.html"


def _check_pages(browser, run: RunResult) -> int:
    checked = 0
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        watch = Watch(page)
        try:
            for path in pages(run):
                watch.requests.clear()
                page.goto(path.as_uri())
                assert watch.console == [] and watch.errors == [], (path.name, width, watch.console, watch.errors)
                assert watch.requests == [path.as_uri()], (path.name, watch.requests)
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                assert overflow <= 0, f"{path.name} at {width} px: {overflow} px of horizontal overflow"
                checked += 1
        finally:
            context.close()
        assert watch.dialogs == []
    return checked


def test_every_demo_page_loads_clean_and_fits(browser, demo_run) -> None:
    assert _check_pages(browser, demo_run) == 2 * len(pages(demo_run)) >= 2 * 13


def test_every_page_of_a_large_corpus_loads_clean_and_fits(browser, large_run) -> None:
    assert large_run.summary["run"]["documents"] >= 100
    assert _check_pages(browser, large_run) == 2 * len(pages(large_run)) > 200


def test_failing_article_opens_on_its_issues_and_keys_step_through_them(browser, man_run) -> None:
    summary = man_run.summary
    failing = [a["article_id"] for a in summary["articles"] if a["verdict"] == "fail"]
    order = report_order(man_run.articles.to_dicts())  # the index's order
    worst = order[0]
    assert worst in failing
    segs = man_run.segments.filter(pl.col("article_id") == worst)
    n_issues = segs.filter(pl.col("flags").list.set_difference(["boilerplate"]).list.len() > 0).height
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    watch = Watch(page)
    try:
        page.goto((man_run.out / "articles" / f"{worst}.html").as_uri())
        assert page.locator("#show-issues").is_checked()
        assert page.locator(".seg:visible").count() == n_issues == page.locator(".seg.issue").count()
        ids = page.eval_on_selector_all(".seg.issue", "els => els.map(e => e.id)")
        page.keyboard.press("j")
        assert page.evaluate("document.activeElement.id") == ids[0]
        page.keyboard.press("j")
        assert page.evaluate("document.activeElement.id") == ids[1]
        assert page.evaluate("location.hash") == "#" + ids[1]
        page.keyboard.press("k")
        assert page.evaluate("document.activeElement.id") == ids[0]
        page.keyboard.press("i")  # all segments
        assert page.locator(".seg:visible").count() == segs.height
        page.keyboard.press("i")
        assert page.locator(".seg:visible").count() == n_issues
        # the filters are radio buttons: arrow keys move between them
        page.focus("#show-issues")
        page.keyboard.press("ArrowRight")
        assert page.locator("#show-all").is_checked() and page.locator(".seg:visible").count() == segs.height
        # a verdict reason shows only its flag's segments
        page.locator(".verdict-box a[data-show]").first.click()
        flag = page.locator(".verdict-box a[data-show]").first.get_attribute("data-show")
        assert page.locator(f"#show-{flag}").is_checked()
        assert page.locator(".seg:visible").count() == page.locator(f".seg.has-{flag}").count()
        page.keyboard.press("?")
        assert page.locator("#keys").get_attribute("open") is not None
        page.keyboard.press("n")  # the next article, in the index's order
        page.wait_for_url(f"**/{order[1]}.html")
    finally:
        context.close()
    assert watch.console == [] and watch.errors == []


def test_index_sorts_searches_and_filters_by_keyboard(browser, large_run) -> None:
    variants = large_run.articles.filter(pl.col("role") == "variant")
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    watch = Watch(page)
    try:
        page.goto((large_run.out / "index.html").as_uri())
        rows = page.locator("#articles-table .art")
        assert rows.count() == variants.height
        assert page.locator("#controls").is_visible() and not page.locator("#nojs-filter").is_visible()
        # search: "/" focuses it, typing filters, Escape clears
        target = variants.filter(pl.col("doc_path").str.starts_with("sv-demo/"))
        page.keyboard.press("/")
        assert page.evaluate("document.activeElement.id") == "q"
        page.keyboard.type("sv-demo/")
        assert page.locator("#articles-table .art:visible").count() == target.height > 0
        assert page.locator("#shown").inner_text() == f"{target.height} of {variants.height} articles shown"
        page.keyboard.press("Escape")
        assert page.locator("#articles-table .art:visible").count() == variants.height
        # filters: language and flag
        page.select_option("#f-lang", "sv")
        assert page.locator("#articles-table .art:visible").count() == variants.filter(
            pl.col("lang") == "sv").height
        page.select_option("#f-flag", "untranslated")
        both = variants.filter((pl.col("lang") == "sv") & (pl.col("flag_counts").struct.field("untranslated") > 0))
        assert page.locator("#articles-table .art:visible").count() == both.height > 0
        page.click("#reset")
        # sorting: focus a header's button, Enter sorts ascending, Enter again descending; no score last
        page.focus("button[data-key=chrf]")
        page.keyboard.press("Enter")
        values = page.eval_on_selector_all("#articles-table .art", "rs => rs.map(r => r.dataset.chrf ?? null)")
        scored = [float(v) for v in values if v is not None]
        assert scored == sorted(scored) and values[len(scored):] == [None] * (len(values) - len(scored))
        assert page.locator("[role=columnheader]:has(button[data-key=chrf])").get_attribute("aria-sort") == "ascending"
        page.keyboard.press("Enter")
        values = page.eval_on_selector_all("#articles-table .art", "rs => rs.map(r => r.dataset.chrf ?? null)")
        scored = [float(v) for v in values if v is not None]
        assert scored == sorted(scored, reverse=True)
        # j/k move between the articles' links
        page.focus("body")
        page.keyboard.press("j")
        first = page.evaluate("document.activeElement.getAttribute('href')")
        page.keyboard.press("j")
        assert page.evaluate("document.activeElement.getAttribute('href')") != first
        page.keyboard.press("Enter")
        page.wait_for_url("**/articles/*.html")
    finally:
        context.close()
    assert watch.console == [] and watch.errors == []


def test_index_works_without_its_script(browser, demo_run) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto((demo_run.out / "index.html").as_uri())
        assert not page.locator("#controls").is_visible()  # nothing that needs the script is shown
        rows = page.locator(".art")
        assert rows.count() == 4 and rows.first.is_visible()
        page.locator("label[for=nojs-failing]").click()  # CSS-only filter
        assert page.locator(".art:visible").count() == demo_run.summary["counts"]["fail"]
        page.locator(".art:visible a.article-link").first.click()
        page.wait_for_url("**/articles/*.html")
        assert page.locator(".seg.issue").first.is_visible()
        assert page.locator("#show-issues").is_checked()
    finally:
        context.close()


def _axe(page: Any, source: str) -> list[dict]:
    page.evaluate(source)
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"][:3]]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def test_no_serious_accessibility_violation(browser, axe_source, demo_run, large_run) -> None:
    chosen = pages(demo_run)
    arts = large_run.articles
    for verdict in ("fail", "pass", "reference", "unverified"):
        ids = arts.filter(pl.col("verdict") == verdict)["article_id"].to_list()
        chosen += [large_run.out / "articles" / f"{a}.html" for a in ids[:2]]
    chosen.append(large_run.out / "index.html")
    for width in WIDTHS:
        # the test injects axe's own script: the pages' Content-Security-Policy would refuse it
        context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
        page = context.new_page()
        try:
            for path in chosen:
                page.goto(path.as_uri())
                assert _axe(page, axe_source) == [], (path.name, width)
        finally:
            context.close()


HOSTILE = ("Ett stycke med <script>alert('x')</script> och <img src=x onerror=alert(1)> samt "
           "<a href=\"https://example.org/\">en länk</a> och &lt;b&gt;fet&lt;/b&gt; text om TikTok.")


def test_markup_planted_in_a_corpus_stays_inert(browser, tmp_path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(DEMO, corpus)
    page_file = corpus / "002_bab40216f2bcde20.txt"
    page_file.write_text(page_file.read_text(encoding="utf-8") + "\n\n" + HOSTILE + "\n", encoding="utf-8")
    (corpus / "planted.html").write_text(
        "<html><head><title>x</title></head><body><h1>&lt;/title&gt;&lt;script&gt;alert(3)&lt;/script&gt; "
        "Rubrik</h1><p>Det h\u00e4r stycket har &lt;iframe src=//example.org&gt; och "
        "\u201dcitat\u201d &amp; mer text om TikTok och ByteDance.</p></body></html>", encoding="utf-8")
    run = run_audit(corpus, tmp_path / "report")
    assert run.ok
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    watch = Watch(page)
    try:
        for path in pages(run):
            watch.requests.clear()
            page.goto(path.as_uri())
            assert page.evaluate("document.scripts.length") == 1  # the page's own
            assert page.locator("img, iframe, a[href^='http']").count() == 0
            assert watch.requests == [path.as_uri()]
        planted = _article(run, doc_path="planted.html")
        page.goto(planted.as_uri())
        assert "</title><script>alert(3)</script>" in page.title()
        hit = run.segments.filter(pl.col("text").str.contains("alert('x')", literal=True))
        assert hit.height == 1
        page.goto((run.out / "articles" / f"{hit['article_id'][0]}.html").as_uri())
        page.locator("label[for=show-all]").click()
        assert page.get_by_text("<script>alert('x')</script>", exact=False).count() >= 1
    finally:
        context.close()
    assert watch.dialogs == [] and watch.errors == [] and watch.console == []
