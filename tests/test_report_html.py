"""HTML report pages: escaping, self-containment, content, and a real browser check.

The data are rows shaped as in docs/output.md, built from a real scraped page: a
"Swedish" copy of a SocialMediaToday article whose body stayed English (only the
chrome and a few phrases were translated, and "TikTok" was spun into "Tick tack"),
paired with its English original, plus real Swedish translations of its sentences.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from pipeline.report import (
    KNOWN_FLAGS,
    format_score,
    parse_stage,
    render_article,
    render_index,
    split_spans,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(document.domain)>"
ENTITY = "Q&amp;A"  # literal text in the corpus, must read back as these 7 characters

BACKTRANSLATE_CMD = "tqa models install argos:sv-en"
COMET_CMD = "tqa models install comet:wmt22-cometkiwi-da"


# --------------------------------------------------------------------------- data


def _flag_counts(**counts: int) -> dict[str, int]:
    return {flag: counts.get(flag, 0) for flag in KNOWN_FLAGS}


def _seg(
    seg_id: int | None,
    block: str,
    text: str | None,
    lang: str | None,
    *,
    original: str | None = None,
    original_seg_ids: list[int] | None = None,
    alignment: str = "1:1",
    group: int | None = None,
    align_score: float | None = None,
    spans: list[dict[str, Any]] | None = None,
    scores: tuple[float | None, float | None, float | None] = (None, None, None),
    backtranslation: str | None = None,
    flags: list[str] | None = None,
    reasons: list[str] | None = None,
    conf: float | None = None,
) -> dict[str, Any]:
    bleu, chrf, ter = scores
    return {
        "article_id": VARIANT_ID,
        "doc_path": VARIANT_PATH,
        "original_path": ORIGINAL_PATH,
        "original_article_id": ORIGINAL_ID,
        "role": "variant",
        "seg_id": seg_id,
        "block": block,
        "text": text,
        "lang": lang,
        "lang_confidence": conf if conf is not None else (0.97 if lang else None),
        "spans": spans or [],
        "align_group": group,
        "alignment": alignment,
        "original_seg_ids": original_seg_ids if original_seg_ids is not None else [],
        "original_text": original,
        "align_score": align_score,
        "backtranslation": backtranslation,
        "bleu": bleu,
        "chrf": chrf,
        "ter": ter,
        "comet": None,
        "flags": flags or [],
        "reasons": reasons or [],
    }


def _spans(text: str, *parts: tuple[str, str]) -> list[dict[str, Any]]:
    """Spans for consecutive substrings of `text`, offsets found, not typed by hand."""
    spans, pos = [], 0
    for piece, lang in parts:
        start = text.index(piece, pos)
        spans.append({"start": start, "end": start + len(piece), "lang": lang})
        pos = start + len(piece)
    return spans


VARIANT_PATH = "sv/002_bab40216f2bcde20.txt"
ORIGINAL_PATH = "en/bytedance-restricts-china-staff-access.txt"
VARIANT_ID = "sv-002-bab40216f2bcde20-4be1c0de-0"
ORIGINAL_ID = "en-bytedance-restricts-china-staff-access-9a3f21d7-0"
TITLE_EN = "ByteDance Adds Restrictions on Access to TikTok Data by Chinese-Based Staff"

MIXED = "The requirement in question, specifically, is detta:"
SEE_ALSO = "Se även  A Look at the Most Annoying Twitter Marketing Approaches (and How to Avoid Them)"
LEFTOVER = f"Kommentera gärna nedan. {SCRIPT} {IMG} Läs vår {ENTITY} om TikTok & AT&T."


def variant_segments() -> list[dict[str, Any]]:
    while_text = (
        "While TikTok has seen a massive increase in usage over the last year, many remain "
        "skeptical of the app due to its questionable moderation and data practices in times "
        "past, and its perceived exposure to the Chinese Government."
    )
    quote = (
        "“According to sources, the new internal policy means that those employees who are "
        "currently in China, working on apps and services for the home market, are now largely "
        "stripped of access to “sensitive data” of ByteDance’s slew of overseas products, "
        "including but not limited to TikTok.”"
    )
    spun = (
        "That’s what incoming Tick tack Chief Information Security Officer Roland Cloutier said "
        "that he would do back in April, as part of his first steps in the role:"
    )
    return [
        _seg(
            0,
            "boilerplate",
            "Ta kontakt med oss",
            "sv",
            original="Connect with us",
            original_seg_ids=[0],
            group=0,
            align_score=0.41,
            flags=["boilerplate"],
            reasons=["boilerplate: same text on 212 of 240 pages of this site"],
        ),
        _seg(
            1,
            "title",
            TITLE_EN,
            "en",
            original=TITLE_EN,
            original_seg_ids=[1],
            group=1,
            align_score=1.0,
            scores=(100.0, 100.0, 0.0),
            conf=0.99,
            flags=["untranslated"],
            reasons=[
                "untranslated: en (0.99) where sv was expected; identical to the original"
            ],
        ),
        _seg(
            2,
            "paragraph",
            while_text,
            "en",
            original=while_text,
            original_seg_ids=[2],
            group=2,
            align_score=1.0,
            scores=(100.0, 100.0, 0.0),
            flags=["untranslated"],
            reasons=[
                "untranslated: en (0.97) where sv was expected; identical to the original"
            ],
        ),
        _seg(
            3,
            "paragraph",
            "Den här veckan har ByteDance tagit ytterligare ett steg i den riktningen med en ny, "
            "intern förändring som hindrar personal i Kina från att komma åt data från TikTok.",
            "sv",
            original="This week, ByteDance has taken another step in that direction with a new, "
            "internal change that will stop Chinese-based staff from accessing TikTok data.",
            original_seg_ids=[6],
            group=3,
            align_score=0.62,
            conf=0.99,
        ),
        _seg(
            4,
            "paragraph",
            "Enligt PingWest:",
            "sv",
            original="According to PingWest:",
            original_seg_ids=[7],
            group=4,
            align_score=0.55,
        ),
        _seg(
            5,
            "quote",
            quote,
            "en",
            original=quote,
            original_seg_ids=[8],
            group=5,
            align_score=1.0,
            scores=(100.0, 100.0, 0.0),
            flags=["untranslated"],
            reasons=[
                "untranslated: en (0.98) where sv was expected; identical to the original"
            ],
        ),
        _seg(
            6,
            "paragraph",
            MIXED,
            "en",
            original="The requirement in question, specifically, is this:",
            original_seg_ids=[13],
            group=6,
            align_score=0.93,
            scores=(80.9, 88.4, 12.5),
            spans=_spans(
                MIXED,
                ("The requirement in question, specifically, is", "en"),
                ("detta:", "sv"),
            ),
            flags=["partially_translated"],
            reasons=["partially_translated: 1 of 8 words is sv, the rest en"],
        ),
        _seg(
            7,
            "paragraph",
            spun,
            "en",
            original=spun.replace("Tick tack", "TikTok"),
            original_seg_ids=[10],
            group=7,
            align_score=0.96,
            scores=(85.3, 93.1, 6.9),
            flags=["untranslated", "term_violation"],
            reasons=[
                "untranslated: en (0.97) where sv was expected",
                "term_violation: brand “TikTok” written as “Tick tack”",
            ],
        ),
        _seg(
            8,
            "boilerplate",
            SEE_ALSO,
            "en",
            alignment="addition",
            spans=_spans(
                SEE_ALSO,
                ("Se även", "sv"),
                (
                    "A Look at the Most Annoying Twitter Marketing Approaches (and How to Avoid Them)",
                    "en",
                ),
            ),
            flags=["boilerplate"],
            reasons=["boilerplate: related-post link, on 198 pages"],
        ),
        _seg(
            9,
            "paragraph",
            "Enligt artikel 29 i Kinas cybersäkerhetslag måste nätverksoperatörer ge ”tekniskt stöd "
            "och bistånd” till myndigheter som arbetar med att skydda den nationella säkerheten.",
            "sv",
            original="“Article 28 of [China’s] Cybersecurity Law states that network operators, have "
            "to provide “technical support and assistance” to government offices involved in "
            "protecting national security.”",
            original_seg_ids=[15],
            group=8,
            align_score=0.48,
            flags=["number_mismatch"],
            reasons=["number_mismatch: 28 in the original, 29 here"],
        ),
        _seg(
            10,
            "paragraph",
            LEFTOVER,
            "sv",
            alignment="addition",
            flags=["addition"],
            reasons=[
                "addition: no counterpart in the original (best similarity 0.12 < 0.40)"
            ],
        ),
        _seg(
            None,
            "paragraph",
            None,
            None,
            alignment="omission",
            original="So, Bytedance, if requested, would need to provide assistance to the Chinese "
            "Government as required, under law in that nation.",
            original_seg_ids=[16],
            flags=["omission"],
            reasons=["omission: original segment 16 has no counterpart here"],
        ),
    ]


def variant_article() -> dict[str, Any]:
    return {
        "article_id": VARIANT_ID,
        "doc_path": VARIANT_PATH,
        "original_path": ORIGINAL_PATH,
        "original_article_id": ORIGINAL_ID,
        "role": "variant",
        "title": TITLE_EN,
        "lang": "sv",
        "n_segments": 11,
        "n_body": 9,
        "bleu": None,
        "chrf": 71.4,
        "ter": 0.0,
        "comet": None,
        "flag_counts": _flag_counts(
            untranslated=4,
            partially_translated=1,
            omission=1,
            addition=1,
            number_mismatch=1,
            term_violation=1,
            boilerplate=2,
        ),
        "verdict": "fail",
        "reasons": [
            "untranslated: 4 of 9 body segments (44%) are en where sv was expected",
            "omission: 1 original segment has no counterpart",
        ],
    }


def other_articles() -> list[dict[str, Any]]:
    return [
        {
            "article_id": "sv-004_4930b3a46073390e-51c2aa90-0",
            "doc_path": "sv/004_4930b3a46073390e.txt",
            "original_path": "en/tiktok-small-gestures.txt",
            "original_article_id": "en-tiktok-small-gestures-77d0e1b2-0",
            "role": "variant",
            "title": "TikTok testar e-handel med presentprogrammet ”Small Gestures”",
            "lang": "sv",
            "n_segments": 19,
            "n_body": 17,
            "bleu": None,
            "chrf": None,
            "ter": None,
            "comet": None,
            "flag_counts": _flag_counts(boilerplate=2),
            "verdict": "pass",
            "reasons": [],
        },
        {
            "article_id": "en-001_8f43cc871608309f-0be2f4aa-0",
            "doc_path": "spun/001_8f43cc871608309f.txt",
            "original_path": "en/tiktok-rallies-creators.txt",
            "original_article_id": "en-tiktok-rallies-creators-1f0c9e43-0",
            "role": "variant",
            "title": None,
            "lang": "en",
            "n_segments": 31,
            "n_body": 31,
            "bleu": 38.2,
            "chrf": 61.0,
            "ter": 52.4,
            "comet": None,
            "flag_counts": _flag_counts(garbled=9),
            "verdict": "fail",
            "reasons": ["garbled: 9 of 31 body segments read as word-spun text"],
        },
        {
            "article_id": ORIGINAL_ID,
            "doc_path": ORIGINAL_PATH,
            "original_path": None,
            "original_article_id": None,
            "role": "original",
            "title": TITLE_EN,
            "lang": "en",
            "n_segments": 24,
            "n_body": 22,
            "bleu": None,
            "chrf": None,
            "ter": None,
            "comet": None,
            "flag_counts": _flag_counts(boilerplate=2),
            "verdict": "pass",
            "reasons": [],
        },
    ]


def run_info() -> dict[str, Any]:
    return {
        "tool": {
            "version": "0.1.0",
            "signature": "tqa:0.1.0|langid:lingua-2.1.1|bleu:nrefs:1|case:mixed|eff:no|tok:13a",
        },
        "corpus": "corpora/demo",
        "stages": {
            "extract": "ran",
            "langid": "ran",
            "pair": "ran",
            "align": "ran",
            "score": "ran",
            "backtranslate": f"skipped: no sv→en translation model is installed — run {BACKTRANSLATE_CMD}",
            "comet": f"skipped: no COMET model is configured — run {COMET_CMD}",
            "flags": "ran",
        },
        "generated": "2026-11-23T18:30:00+00:00",
    }


def summary_for(articles: list[dict[str, Any]], run: dict[str, Any]) -> dict[str, Any]:
    return {
        "contract": 1,
        "tool": run["tool"],
        "corpus": run["corpus"],
        "stages": run["stages"],
        "articles": [
            {
                "article_id": a["article_id"],
                "doc_path": a["doc_path"],
                "original_path": a["original_path"],
                "lang": a["lang"],
                "scores": {k: a[k] for k in ("bleu", "chrf", "ter", "comet")},
                "flag_counts": a["flag_counts"],
                "verdict": a["verdict"],
                "reasons": a["reasons"],
            }
            for a in articles
        ],
        "errors": [
            {
                "path": "sv/003_6a80d6f4bd0c8a2d.pdf",
                "error": "not text: PDF document (%PDF-1.7); convert it to text first",
            }
        ],
        "verdict": "fail" if any(a["verdict"] == "fail" for a in articles) else "pass",
        "generated": run["generated"],
    }


def hostile(value: str) -> str:
    return f"{value} {SCRIPT} {IMG} {ENTITY}"


def hostile_inputs() -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    """The realistic data with markup planted in every string that comes from the corpus."""
    article = variant_article()
    article["title"] = "</title><script>document.title='pwned'</script>" + TITLE_EN
    article["doc_path"] = hostile(article["doc_path"])
    article["original_path"] = hostile(article["original_path"])
    article["reasons"] = [hostile(r) for r in article["reasons"]]
    article["lang"] = 'sv" onmouseover="alert(1)'
    segments = variant_segments()
    for seg in segments:
        seg["reasons"] = [hostile(r) for r in seg["reasons"]]
        if seg["original_text"] is not None:
            seg["original_text"] = hostile(seg["original_text"])
    mixed = segments[6]
    mixed["text"] = "The requirement <b>in question</b>, specifically, is <i>detta</i>:"
    mixed["spans"] = _spans(
        mixed["text"],
        ("The requirement <b>in question</b>, specifically, is", "en"),
        ("<i>detta</i>:", 'sv"><script>alert(2)</script>'),
    )
    segments[3]["backtranslation"] = hostile("This week ByteDance took another step")
    segments[4]["lang"] = "sv' onfocus='alert(3)"
    run = run_info()
    run["corpus"] = hostile("corpora/demo")
    run["stages"]["comet"] = f"skipped: {SCRIPT} — run {COMET_CMD} {IMG}"
    run["tool"]["signature"] = hostile(run["tool"]["signature"])
    return article, segments, run


# --------------------------------------------------------------------------- a small DOM


VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str | None]
    children: list[Any] = field(default_factory=list)  # Node or str
    parent: Node | None = None

    @property
    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text for c in self.children)

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def iter(self):
        yield self
        for c in self.children:
            if isinstance(c, Node):
                yield from c.iter()

    def find_all(
        self, tag: str | None = None, cls: str | None = None, **attrs: str
    ) -> list[Node]:
        return [
            n
            for n in self.iter()
            if (tag is None or n.tag == tag)
            and (cls is None or cls in n.classes)
            and all(n.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())
        ]

    def find(
        self, tag: str | None = None, cls: str | None = None, **attrs: str
    ) -> Node:
        found = self.find_all(tag, cls, **attrs)
        assert found, f"no <{tag} class={cls} {attrs}>"
        return found[0]


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.current = self.root
        self.starttags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs), parent=self.current)
        self.starttags.append((tag, node.attrs))
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.current = self.current.parent or self.root

    def handle_endtag(self, tag):
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        assert node is not self.root, f"stray </{tag}>"
        self.current = node.parent or self.root

    def handle_data(self, data):
        self.current.children.append(data)


def parse(html: str) -> _TreeBuilder:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    assert builder.current is builder.root, f"unclosed <{builder.current.tag}>"
    return builder


def assert_no_active_content(doc: _TreeBuilder) -> None:
    tags = [t for t, _ in doc.starttags]
    for forbidden in (
        "script",
        "img",
        "iframe",
        "object",
        "embed",
        "link",
        "b",
        "i",
        "base",
        "form",
    ):
        assert forbidden not in tags, f"<{forbidden}> element in the page"
    for tag, attrs in doc.starttags:
        for name, value in attrs.items():
            assert not name.startswith("on"), (
                f"event handler {name}={value!r} on <{tag}>"
            )
            assert name not in (
                "src",
                "srcset",
                "action",
                "formaction",
                "background",
                "poster",
            )
            if name == "href":
                assert value and ":" not in value.split("/")[0], (
                    f"absolute link {value!r}"
                )
    styles = " ".join(n.text for n in doc.root.find_all("style"))
    assert "url(" not in styles and "@import" not in styles


# --------------------------------------------------------------------------- escaping


def test_article_page_shows_planted_markup_as_text() -> None:
    article, segments, run = hostile_inputs()
    html = render_article(article, segments, run)
    doc = parse(html)
    assert_no_active_content(doc)

    body_text = doc.root.find("body").text
    for needle in (SCRIPT, IMG, ENTITY, "AT&T", "<b>in question</b>", "<i>detta</i>"):
        assert needle in body_text, needle
    # The literal "&amp;" of the corpus is escaped once more, so it reads back as "&amp;".
    assert "Q&amp;amp;A" in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html

    assert doc.root.find("title").text.startswith(
        "</title><script>document.title='pwned'</script>"
    )
    # Attribute values stay inside their attribute.
    assert (
        doc.root.find("tr", id="seg-4").find("div", cls="text").attrs["lang"]
        == "sv' onfocus='alert(3)"
    )
    assert {n.attrs.get("lang") for n in doc.root.find_all("span", cls="span")} >= {
        "en",
        'sv"><script>alert(2)</script>',
    }
    # Structure unchanged by the planted markup: one row per segment.
    assert len(doc.root.find_all("tr", cls="seg")) == len(segments)


def test_index_page_shows_planted_markup_as_text() -> None:
    article, _, run = hostile_inputs()
    articles = [article, *other_articles()]
    summary = summary_for(articles, run)
    summary["errors"].append(
        {"path": hostile("bad/page.html"), "error": hostile("undecodable bytes")}
    )
    html = render_index(summary, articles)
    doc = parse(html)
    assert_no_active_content(doc)
    body_text = doc.root.find("body").text
    for needle in (
        SCRIPT,
        IMG,
        ENTITY,
        "</title><script>document.title='pwned'</script>",
    ):
        assert needle in body_text, needle
    assert len(doc.root.find_all("tr", cls="art")) == len(articles)
    errors = doc.root.find("table", cls="errors").find_all("tr")[1:]
    assert [r.find("td").text for r in errors] == [e["path"] for e in summary["errors"]]


# --------------------------------------------------------------------------- content


def render_realistic() -> tuple[str, str]:
    article, segments, run = variant_article(), variant_segments(), run_info()
    articles = [*other_articles(), article]
    return render_index(summary_for(articles, run), articles), render_article(
        article, segments, run
    )


def test_pages_are_self_contained() -> None:
    for html in render_realistic():
        doc = parse(html)
        assert_no_active_content(doc)
        assert "http://" not in html and "https://" not in html
        assert doc.root.find("meta", charset="utf-8")


@pytest.mark.parametrize("page", ["index", "article"])
def test_stages_box_says_what_was_skipped_and_how_to_run_it(page: str) -> None:
    html = dict(zip(("index", "article"), render_realistic(), strict=True))[page]
    box = parse(html).root.find("section", id="stages")
    text = " ".join(box.text.split())
    assert "2 of 8 stages skipped" in text
    rows = {
        r.find("td", cls="stage-name").text: r for r in box.find_all("tr", cls="stage")
    }
    assert list(rows) == list(run_info()["stages"])
    assert rows["backtranslate"].find("code").text == BACKTRANSLATE_CMD
    assert rows["comet"].find("code").text == COMET_CMD
    assert "no COMET model is configured" in rows["comet"].text
    assert rows["extract"].find("span", cls="badge").text == "ran"
    assert rows["comet"].find("span", cls="badge").text == "skipped"


def test_missing_scores_are_dashes_and_zero_stays_zero() -> None:
    index_html, article_html = render_realistic()
    page = parse(article_html).root
    cards = {
        c.attrs["data-metric"]: c.find("div", cls="value").text
        for c in page.find_all(cls="card")
        if "data-metric" in c.attrs
    }
    assert cards == {"bleu": "—", "chrf": "71.4", "ter": "0.0", "comet": "—"}

    title_row = page.find("tr", id="seg-1")
    scores = {dd.attrs["data-metric"]: dd.text for dd in title_row.find_all("dd")}
    assert scores == {"bleu": "100.0", "chrf": "100.0", "ter": "0.0", "comet": "—"}
    swedish_row = page.find("tr", id="seg-3")
    assert {dd.text for dd in swedish_row.find_all("dd")} == {"—"}

    index = parse(index_html).root
    original_row = next(
        r for r in index.find_all("tr", cls="art") if ORIGINAL_ID in r.text
    )
    assert [td.text for td in original_row.find_all("td", cls="num")] == ["—"] * 4
    assert format_score(float("nan")) == "—" and format_score(0) == "0.0"


def test_article_page_header_and_segment_table() -> None:
    _, html = render_realistic()
    page = parse(html).root
    assert page.find("h1").text == TITLE_EN
    meta = " ".join(page.find("dl", cls="meta").text.split())
    assert VARIANT_PATH in meta and ORIGINAL_PATH in meta and "sv expected" in meta
    assert page.find("span", cls="verdict").text == "fail"
    assert [
        li.text for li in page.find("section", cls="verdict-box").find_all("li")
    ] == variant_article()["reasons"]
    assert page.find("a", href="../index.html")
    assert page.find("a", href=ORIGINAL_ID + ".html")

    rows = page.find_all("tr", cls="seg")
    segments = variant_segments()
    assert len(rows) == len(segments)
    for row, seg in zip(rows, segments, strict=True):
        cells = row.find_all("td")
        assert cells[0].text == ("—" if seg["seg_id"] is None else str(seg["seg_id"]))
        assert cells[1].text == seg["block"]
        if seg["text"] is not None:
            assert row.find("div", cls="text").text == seg["text"]
        if seg["original_text"] is not None:
            assert cells[3].find("div", cls="text").text == seg["original_text"]
        assert ("boilerplate" in row.classes) == (seg["block"] == "boilerplate")
        badges = row.find_all("span", cls="badge")
        assert [b.text for b in badges] == seg["flags"]
        # The reason is both a tooltip and visible text next to the badge.
        assert [b.attrs["title"] for b in badges] == seg["reasons"]
        assert [w.text for w in row.find_all("span", cls="why")] == seg["reasons"]
        assert all(
            f"flag-{f}" in b.classes for b, f in zip(badges, seg["flags"], strict=True)
        )

    omission = rows[-1]
    assert "omission" in omission.classes and "omitted" in omission.text
    assert "original #16" in omission.text


def test_mixed_language_spans_are_highlighted_by_language() -> None:
    _, html = render_realistic()
    row = parse(html).root.find("tr", id="seg-6")
    text = row.find("div", cls="text")
    spans = text.find_all("span", cls="span")
    assert [(s.attrs["lang"], s.text) for s in spans] == [
        ("en", "The requirement in question, specifically, is"),
        ("sv", "detta:"),
    ]
    assert "span-foreign" in spans[0].classes and "span-expected" in spans[1].classes
    assert text.text == MIXED  # the gap between spans is kept

    see_also = parse(html).root.find("tr", id="seg-8")
    assert see_also.find("div", cls="text").text == SEE_ALSO
    assert "boilerplate" in see_also.classes


def test_split_spans_covers_the_text_whatever_the_offsets() -> None:
    text = "Enligt PingWest: the new internal policy"
    pieces = split_spans(
        text,
        [
            {"start": 17, "end": 999, "lang": "en"},
            {"start": -4, "end": 6, "lang": "sv"},
            {"start": 3, "end": 11, "lang": "de"},
        ],
    )
    assert "".join(p.text for p in pieces) == text
    assert [(p.lang, p.text) for p in pieces] == [
        ("sv", "Enligt"),
        ("de", " Ping"),
        (None, "West: "),
        ("en", "the new internal policy"),
    ]
    assert split_spans("", []) == split_spans("", None)
    assert "".join(p.text for p in split_spans("", [])) == ""


def test_index_lists_failing_articles_first_with_encoded_links() -> None:
    articles = [*other_articles(), variant_article()]
    odd = copy.deepcopy(articles[0])
    odd.update(article_id="sv-notes #1?-0", verdict="fail", reasons=["garbled: 1 of 1"])
    articles.append(odd)
    run = run_info()
    html = render_index(summary_for(articles, run), articles)
    page = parse(html).root
    assert page.find("span", cls="verdict").text == "fail"
    rows = page.find_all("tr", cls="art")
    verdicts = [r.find("span", cls="verdict").text for r in rows]
    assert verdicts == ["fail", "fail", "fail", "pass", "pass"]
    hrefs = [r.find("a", cls="article-link").attrs["href"] for r in rows]
    assert "articles/sv-notes%20%231%3F-0.html" in hrefs
    assert f"articles/{VARIANT_ID}.html" in hrefs
    variant_row = rows[hrefs.index(f"articles/{VARIANT_ID}.html")]
    assert [b.text for b in variant_row.find_all("span", cls="badge")[1:]] == [
        "untranslated 4",
        "partially_translated 1",
        "omission 1",
        "addition 1",
        "number_mismatch 1",
        "term_violation 1",
        "boilerplate 2",
    ]
    assert "untranslated: 4 of 9 body segments" in variant_row.text
    untitled = next(r for r in rows if "spun/001" in r.text)
    assert untitled.find("a").text == "en-001_8f43cc871608309f-0be2f4aa-0"
    errors = page.find("table", cls="errors")
    assert "not text: PDF document" in errors.text


def test_flags_without_reasons_are_refused() -> None:
    segments = variant_segments()
    segments[2]["reasons"] = []
    with pytest.raises(ValueError, match="segment 2: 1 flags but 0 reasons"):
        render_article(variant_article(), segments, run_info())


def test_parse_stage() -> None:
    skipped = parse_stage("comet", f"skipped: no model — with care — run {COMET_CMD}")
    assert (skipped.state, skipped.why, skipped.command) == (
        "skipped",
        "no model — with care",
        COMET_CMD,
    )
    assert parse_stage("extract", "ran").state == "ran"
    assert parse_stage("x", "skipped: not needed").command is None
    assert parse_stage("x", "failed: disk full").state == "other"


def test_original_article_page_has_no_original_column() -> None:
    original = other_articles()[2]
    seg = _seg(0, "title", TITLE_EN, "en", alignment="original")
    seg.update(
        article_id=ORIGINAL_ID,
        role="original",
        original_path=None,
        original_article_id=None,
    )
    page = parse(render_article(original, [seg], run_info())).root
    headers = [th.text for th in page.find("table", cls="segments").find_all("th")]
    assert "Original" not in headers and headers[2] == "Text (en)"
    assert "this article is an original" in page.find("dl", cls="meta").text


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip(
        "playwright.sync_api",
        reason="playwright is not installed (pip install playwright)",
    )
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def write_report(root: Path) -> tuple[Path, Path]:
    article, segments, run = hostile_inputs()
    article["title"] = TITLE_EN + " </title><script>document.title='pwned'</script>"
    articles = [*other_articles(), article]
    (root / "articles").mkdir(parents=True)
    index = root / "index.html"
    index.write_text(
        render_index(summary_for(articles, run), articles), encoding="utf-8"
    )
    page = root / "articles" / f"{VARIANT_ID}.html"
    page.write_text(render_article(article, segments, run), encoding="utf-8")
    return index, page


def test_pages_in_a_real_browser(browser, tmp_path: Path) -> None:
    index, page_path = write_report(tmp_path / "report")
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    requests: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda r: requests.append(r.url))

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    try:
        page.goto(index.as_uri())
        assert page.title().startswith("tqa report — fail")
        stages = page.locator("#stages")
        assert stages.is_visible()
        stages_text = stages.inner_text()
        assert "2 of 8 stages skipped" in stages_text
        assert BACKTRANSLATE_CMD in stages_text and COMET_CMD in stages_text
        assert page.evaluate("document.scripts.length") == 0
        page.screenshot(path=str(tmp_path / "index.png"), full_page=True)

        # CSS-only filter: "failing only" hides passing rows.
        assert page.locator("tr.art.row-pass").first.is_visible()
        page.locator("label[for=show-failing]").click()
        assert not page.locator("tr.art.row-pass").first.is_visible()

        page.locator(f"a[href='articles/{VARIANT_ID}.html']").click()
        page.wait_for_load_state()
        assert page.url == page_path.as_uri()
        # Planted markup in the title stayed text: the title was not rewritten by a script.
        assert (
            page.title()
            == TITLE_EN
            + " </title><script>document.title='pwned'</script> — tqa article report"
        )
        assert page.evaluate("document.scripts.length") == 0
        assert page.locator("#stages").is_visible()
        assert COMET_CMD in page.locator("#stages").inner_text()
        assert SCRIPT in page.locator("tr#seg-10").inner_text()
        assert page.locator("tr#seg-0").is_visible()
        page.locator("label[for=show-issues]").click()
        assert not page.locator("tr#seg-0").is_visible()
        assert page.locator("tr#seg-10").is_visible()
        page.locator("label[for=show-all]").click()
        assert page.locator("tr#seg-10 img, tr#seg-10 script").count() == 0
        page.mouse.move(10, 10)
        page.hover("tr#seg-4 .text")
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(tmp_path / "article.png"), full_page=True)

        page.locator("a[href='../index.html']").click()
        page.wait_for_load_state()
        assert page.url == index.as_uri()
    finally:
        context.close()

    assert dialogs == []
    assert set(requests) <= {index.as_uri(), page_path.as_uri()}, requests
    assert (tmp_path / "index.png").stat().st_size > 10_000
    assert (tmp_path / "article.png").stat().st_size > 10_000
