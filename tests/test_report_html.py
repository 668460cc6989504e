"""HTML report pages, rendered from rows shaped as in docs/output.md: escaping, self-containment,
what a reviewer acts on (verdict, grouped issues, highlights, word diffs, navigation), the compact
layout of unpaired articles, and the index (worst first, originals apart, filters, charts).

The data are built from a real scraped page: a "Swedish" copy of a SocialMediaToday article whose
body stayed English (only the chrome and a few phrases were translated, and "TikTok" was spun into
"Tick tack"), paired with its English original, plus real Swedish translations of its sentences.
The pages of real audits are driven in a browser in tests/test_report_browser.py.
"""

from __future__ import annotations

import base64
import copy
import hashlib
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from pipeline.report import (
    KNOWN_FLAGS,
    Nav,
    format_score,
    navigation,
    parse_stage,
    render_article,
    render_index,
    report_order,
    split_spans,
    word_diff,
)

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
    highlights: list[dict[str, Any]] | None = None,
    waived: list[dict[str, Any]] | None = None,
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
        "fingerprint": f"fp{seg_id if seg_id is not None else 'omitted'}{len(text or original or '')}",
        "evidence": "{}",
        "flags": flags or [],
        "reasons": reasons or [],
        "highlights": highlights or [],
        "waived": waived or [],
    }


def _hl(text: str, piece: str, flag: str, side: str = "text") -> dict[str, Any]:
    """The highlight of ``piece`` in ``text``, its offsets found, not typed by hand."""
    start = text.index(piece)
    return {"start": start, "end": start + len(piece), "flag": flag, "side": side}


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
            reasons=["site frame: a line that recurs at the head of the site's pages"],
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
            reasons=["identical to the original segment, in en where sv was expected"],
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
            reasons=["identical to the original segment, in en where sv was expected"],
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
            reasons=["identical to the original segment, in en where sv was expected"],
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
            reasons=[("mixes languages where sv was expected: en “The requirement in question, specifically, is”, "
                     "sv “detta:”")],
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
                "en (confidence 0.97) where sv was expected",
                "“Tick tack” looks like the do-not-translate term “TikTok” altered",
            ],
            highlights=[{"start": 0, "end": len(spun), "flag": "untranslated", "side": "text"},
                        _hl(spun, "Tick tack", "term_violation")],
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
            reasons=["link-like teaser: lines led by 'Se även' recur across the corpus"],
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
            reasons=["numbers differ from the original: original has 28; variant has 29"],
            highlights=[{"start": 15, "end": 17, "flag": "number_mismatch", "side": "text"}],  # "29"
        ),
        _seg(
            10,
            "paragraph",
            LEFTOVER,
            "sv",
            alignment="addition",
            flags=["addition"],
            reasons=["no counterpart in the original article"],
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
            reasons=["original segment 16 has no counterpart here: “So, Bytedance, if requested, would need to…”"],
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
        "waived_counts": _flag_counts(),
        "verdict": "fail",
        "reasons": [
            "untranslated: 4 of 9 body segments (44%); the gate fails any",
            "omission: 1 of 9 body segments (11%); the gate fails any",
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
            "waived_counts": _flag_counts(),
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
            "flag_counts": _flag_counts(spun=9),
            "waived_counts": _flag_counts(),
            "verdict": "fail",
            "reasons": ["spun: 9 of 31 body segments (29%); the gate fails more than 10%"],
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
            "waived_counts": _flag_counts(),
            "verdict": "reference",
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
        "contract": 2,
        "languages": ["en", "sv"],
        "counts": {v: sum(1 for a in articles if a["verdict"] == v) for v in ("fail", "unverified", "pass",
                                                                            "reference")},
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


def page_script(name: str) -> str:
    return (Path(__file__).resolve().parent.parent / "pipeline" / "templates" / name).read_text(encoding="utf-8")


SCRIPTS = {page_script("article.js"), page_script("index.js")}


def assert_no_active_content(doc: _TreeBuilder) -> None:
    """Nothing from the corpus became markup: no element or attribute that could run, load or submit
    anything; the one script is the page's own (exactly the template's text), and the
    Content-Security-Policy allows that script alone and no network request."""
    tags = [t for t, _ in doc.starttags]
    for forbidden in ("img", "iframe", "object", "embed", "link", "b", "i", "base", "form", "style", "audio",
                      "video"):
        if forbidden == "style":
            assert tags.count("style") == 1, "one <style> element"
            continue
        assert forbidden not in tags, f"<{forbidden}> element in the page"
    scripts = doc.root.find_all("script")
    assert len(scripts) <= 1, "more than one <script>"
    for script in scripts:
        assert script.attrs == {} and script.text in SCRIPTS, "a script that is not the page's own"
        source = script.text
        digest = base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode()
        csp = doc.root.find("meta", http_equiv="Content-Security-Policy").attrs["content"]
        assert f"script-src 'sha256-{digest}'" in csp and "default-src 'none'" in csp, csp
    for tag, attrs in doc.starttags:
        for name, value in attrs.items():
            assert not name.startswith("on"), f"event handler {name}={value!r} on <{tag}>"
            assert name not in ("src", "srcset", "action", "formaction", "background", "poster", "xlink:href")
            if name == "href":
                assert value and ":" not in value.split("/")[0], f"absolute link {value!r}"
            if name == "style":
                assert "url(" not in (value or "")
    styles = " ".join(n.text for n in doc.root.find_all("style"))
    assert "url(" not in styles and "@import" not in styles


def visible_text(node: Node) -> str:
    """A node's text without the visually hidden helper text (class ``vh``)."""
    out = []
    for c in node.children:
        if isinstance(c, str):
            out.append(c)
        elif "vh" not in c.classes:
            out.append(visible_text(c))
    return "".join(out)


# --------------------------------------------------------------------------- escaping


def test_article_page_shows_planted_markup_as_text() -> None:
    article, segments, run = hostile_inputs()
    html = render_article(article, segments, run, Nav(2, 3, "prev</a><script>x</script>", ORIGINAL_ID))
    doc = parse(html)
    assert_no_active_content(doc)

    body_text = doc.root.find("body").text
    for needle in (SCRIPT, IMG, ENTITY, "AT&T", "<b>in question</b>", "<i>detta</i>"):
        assert needle in body_text, needle
    # The literal "&amp;" of the corpus is escaped once more, so it reads back as "&amp;".
    assert "Q&amp;amp;A" in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert doc.root.find("title").text.startswith("</title><script>document.title='pwned'</script>")
    # Attribute values stay inside their attribute.
    assert doc.root.find("li", id="seg-4").find("div", cls="text").attrs["lang"] == "sv' onfocus='alert(3)"
    assert {n.attrs.get("lang") for n in doc.root.find_all("span", cls="span")} >= {
        "en", 'sv"><script>alert(2)</script>'}
    # A hostile neighbour's id becomes an encoded link, not markup.
    assert doc.root.find("a", rel="prev").attrs["href"] == "prev%3C%2Fa%3E%3Cscript%3Ex%3C%2Fscript%3E.html"
    # Structure unchanged by the planted markup: one row per segment.
    assert len(doc.root.find_all("li", cls="seg")) == len(segments)


def test_index_page_shows_planted_markup_as_text() -> None:
    article, _, run = hostile_inputs()
    articles = [article, *other_articles()]
    summary = summary_for(articles, run)
    summary["errors"].append({"path": hostile("bad/page.html"), "error": hostile("undecodable bytes")})
    html = render_index(summary, articles)
    doc = parse(html)
    assert_no_active_content(doc)
    body_text = doc.root.find("body").text
    for needle in (SCRIPT, IMG, ENTITY, "</title><script>document.title='pwned'</script>"):
        assert needle in body_text, needle
    # The worst-articles chart names the hostile article, as text.
    worst = doc.root.find("figure", cls="chart").parent.find_all("figure", cls="chart")[-1]
    assert "</title><script>" in worst.text
    assert len(doc.root.find_all("div", cls="art")) == len(articles) - 1  # the original is a reference
    errors = doc.root.find("table", cls="errors").find_all("tr")[1:]
    assert [r.find("td").text for r in errors] == [e["path"] for e in summary["errors"]]


# --------------------------------------------------------------------------- the article page


def render_realistic(nav: Nav | None = None) -> tuple[str, str]:
    article, segments, run = variant_article(), variant_segments(), run_info()
    articles = [*other_articles(), article]
    return render_index(summary_for(articles, run), articles), render_article(article, segments, run, nav)


def test_pages_are_self_contained() -> None:
    for html in render_realistic():
        doc = parse(html)
        assert_no_active_content(doc)
        assert "http://" not in html and "https://" not in html
        assert doc.root.find("meta", charset="utf-8")


@pytest.mark.parametrize("page", ["index", "article"])
def test_stages_line_says_what_was_skipped_and_how_to_run_it(page: str) -> None:
    html = dict(zip(("index", "article"), render_realistic(), strict=True))[page]
    box = parse(html).root.find(id="stages")
    text = " ".join(box.text.split())
    assert "2 of 8 stages did not run" in text and "missing from this report, not passed" in text
    rows = {r.find("span", cls="stage-name").text: r for r in box.find_all("li", cls="stage")}
    assert list(rows) == ["backtranslate", "comet"]  # only what did not run gets a line
    assert rows["backtranslate"].find("code").text == BACKTRANSLATE_CMD
    assert rows["comet"].find("code").text == COMET_CMD
    assert "no COMET model is configured" in rows["comet"].text
    assert "Ran: extract, langid, pair, align, score, flags." in text


def test_stages_collapse_to_one_line_when_all_ran() -> None:
    run = run_info()
    run["stages"] = {k: "ran" for k in run["stages"]}
    html = render_article(variant_article(), variant_segments(), run)
    line = parse(html).root.find(id="stages")
    assert line.tag == "p" and "All 8 stages ran" in line.text


def test_scores_not_computed_are_left_out_and_zero_stays_zero() -> None:
    index_html, article_html = render_realistic()
    page = parse(article_html).root
    line = " ".join(page.find("div", cls="scoreline").text.split())
    assert "chrF++ 71.4" in line and "TER 0.0" in line and "not computed: BLEU, COMET" in line
    title_row = page.find("li", id="seg-1")
    assert title_row.find("span", cls="scores").text == "chrF++ 100.0 · BLEU 100.0 · TER 0.0"
    swedish_row = page.find("li", id="seg-3")
    assert not swedish_row.find_all("span", cls="scores") and "—" not in swedish_row.text
    index = parse(index_html).root
    spun_row = next(r for r in index.find_all("div", cls="art") if "spun/001" in r.text)
    assert [td.text for td in spun_row.find_all("div", cls="num")] == ["61.0", "38.2", "52.4", "—"]
    assert format_score(float("nan")) == "—" and format_score(0) == "0.0"


def test_article_page_header_verdict_and_segments() -> None:
    _, html = render_realistic()
    page = parse(html).root
    assert page.find("h1").text == TITLE_EN
    meta = " ".join(page.find("p", cls="meta").text.split())
    assert VARIANT_PATH in meta and ORIGINAL_PATH in meta and "sv variant" in meta
    assert visible_text(page.find("span", cls="verdict")) == "fail"
    reasons = page.find("section", cls="verdict-box").find_all("li")
    assert [" ".join(visible_text(li).split()) for li in reasons] == [
        "critical untranslated: 4 of 9 body segments (44%); the gate fails any",
        "major omission: 1 of 9 body segments (11%); the gate fails any"]
    assert page.find("a", href="../index.html")
    assert page.find("a", href=ORIGINAL_ID + ".html")

    rows = page.find_all("li", cls="seg")
    segments = variant_segments()
    assert len(rows) == len(segments)
    for row, seg in zip(rows, segments, strict=True):
        if seg["text"] is not None:
            assert row.find("div", cls="text").text == seg["text"]
        if seg["original_text"] is not None:
            assert row.find("div", cls="original").find("div", cls="text").text == seg["original_text"]
        assert ("boilerplate" in row.classes) == (seg["block"] == "boilerplate")
        badges = [b.text for b in row.find_all("span", cls="badge") if "waived" not in b.classes]
        assert sorted(badges) == sorted(seg["flags"])
        assert sorted(w.text for w in row.find_all("span", cls="why")) == sorted(seg["reasons"])
        assert ("issue" in row.classes) == any(f != "boilerplate" for f in seg["flags"])
    omission = rows[-1]
    assert "omission" in omission.classes and "omitted" in omission.text


def test_verdict_reasons_link_to_their_segments() -> None:
    _, html = render_realistic()
    page = parse(html).root
    links = {a.text: a.attrs for a in page.find("section", cls="verdict-box").find_all("a")}
    assert links["untranslated"]["href"] == "#seg-1"  # the first untranslated segment
    assert links["untranslated"]["data-show"] == "flag-untranslated"
    assert links["omission"]["href"] == "#omitted-12"
    for attrs in links.values():
        assert page.find(id=attrs["href"][1:])


def test_issues_are_grouped_most_severe_first() -> None:
    _, html = render_realistic()
    groups = parse(html).root.find("section", cls="issues").find_all("li", cls="group")
    heads = [" ".join(visible_text(g.find("div", cls="group-head")).split()) for g in groups]
    # the three identical reasons read once, with a count; critical first, minor last
    assert heads[0] == "critical untranslated ×3 identical to the original segment, in en where sv was expected"
    assert heads[1] == "critical untranslated en (confidence 0.97) where sv was expected"
    assert heads[-1] == "minor addition no counterpart in the original article"
    where = groups[0].find("div", cls="where")
    assert [a.attrs["href"] for a in where.find_all("a")][:3] == ["#seg-1", "#seg-2", "#seg-5"]


def test_identical_reasons_group_across_their_particulars() -> None:
    from pipeline.issues import group_reasons

    findings = [("untranslated", f"en (confidence {c:.2f}) where sv was expected", f"seg-{k}")
                for k, c in enumerate([1.0, 0.97, 0.99] * 8 + [0.91])]
    findings.append(("untranslated", "identical to the original segment, in en where sv was expected", "seg-99"))
    groups = group_reasons(findings)
    assert [(g.count, g.text) for g in groups] == [(25, "en where sv was expected"),
                                                    (1, ("identical to the original segment, in en where sv was "
                                                        "expected"))]


def test_the_words_that_triggered_a_flag_are_highlighted() -> None:
    _, html = render_realistic()
    page = parse(html).root
    row = page.find("li", id="seg-7")
    marks = row.find("div", cls="text").find_all("mark")
    assert [m.text for m in marks if "whole" not in m.classes] == ["Tick tack"]
    assert marks[0].attrs["title"] == "untranslated" and "whole" in marks[0].classes
    numbers = page.find("li", id="seg-9").find("div", cls="text").find_all("mark")
    assert [m.text for m in numbers] == ["29"]
    # a highlight never hides or repeats text
    assert row.find("div", cls="text").text == variant_segments()[7]["text"]


def test_word_diff_against_the_original_for_same_language_groups() -> None:
    _, html = render_realistic()
    row = parse(html).root.find("li", id="seg-7")
    diff = row.find("div", cls="diff")
    assert [d.text for d in diff.find_all("del")] == ["[removed: TikTok]"]
    assert [visible_text(i) for i in diff.find_all("ins")] == ["Tick tack"]
    # no diff where the languages differ (no chrF: nothing compared word by word)
    assert not parse(html).root.find("li", id="seg-9").find_all("div", cls="diff")


def test_word_diff_keeps_both_texts() -> None:
    original = "By default, each destination (name of new link) should not already exist."
    variant = "By usual, every destination (label of fresh link) should not already exist."
    ops = word_diff(original, variant)
    assert " ".join(w for op, w in ops if op in "=+") == " ".join(variant.split())
    assert " ".join(w for op, w in ops if op in "=-") == " ".join(original.split())
    assert ("-", "default, each") in ops and ("+", "usual, every") in ops
    assert word_diff(original, original) == [("=", " ".join(original.split()))]


def test_issue_rows_link_to_the_previous_and_next_issue() -> None:
    _, html = render_realistic()
    page = parse(html).root
    issues = [r for r in page.find_all("li", cls="seg") if "issue" in r.classes]
    assert len(issues) == 8
    for k, row in enumerate(issues):
        steps = {a.text: a.attrs["href"] for a in row.find("span", cls="steps").find_all("a")}
        if k > 0:
            assert steps["↑ previous issue"] == "#" + issues[k - 1].attrs["id"]
        if k + 1 < len(issues):
            assert steps["next issue ↓"] == "#" + issues[k + 1].attrs["id"]
        assert row.attrs.get("tabindex") == "-1"  # focusable by the j/k shortcuts
    assert "j" in page.find("details", id="keys").text and "next / previous issue" in page.find(
        "details", id="keys").text


def test_a_failing_article_opens_on_its_issues() -> None:
    _, html = render_realistic()
    radios = {i.attrs["id"]: i for i in parse(html).root.find("fieldset", cls="filters").find_all("input")}
    assert "checked" in radios["show-issues"].attrs and "checked" not in radios["show-all"].attrs
    article = variant_article()
    article["verdict"], article["reasons"] = "pass", []
    radios = {i.attrs["id"]: i for i in parse(render_article(article, variant_segments(), run_info())).root.find(
        "fieldset", cls="filters").find_all("input")}
    assert "checked" in radios["show-all"].attrs


def test_previous_and_next_article_links() -> None:
    articles = [*other_articles(), variant_article()]
    order = report_order(articles)
    # worst first: the failing articles (most critical first), then the passing one, then the original
    assert order == [VARIANT_ID, "en-001_8f43cc871608309f-0be2f4aa-0", "sv-004_4930b3a46073390e-51c2aa90-0",
                     ORIGINAL_ID]
    nav = navigation(order)
    _, html = render_realistic(nav[VARIANT_ID])
    page = parse(html).root
    assert page.find("a", rel="next").attrs["href"] == "en-001_8f43cc871608309f-0be2f4aa-0.html"
    assert not page.find_all("a", rel="prev")
    assert "article 1 of 4" in page.find("nav").text
    assert nav[ORIGINAL_ID].next is None and nav[ORIGINAL_ID].prev == "sv-004_4930b3a46073390e-51c2aa90-0"


def test_waived_findings_stay_visible_but_apart() -> None:
    segments = variant_segments()
    segments[7]["waived"] = [{"flag": "term_violation", "scope": "fp7", "reason": "quoted from a tweet",
                              "expires": "2027-03-31", "line": 2}]
    article = variant_article()
    article["flag_counts"]["term_violation"] = 0
    article["waived_counts"]["term_violation"] = 1
    page = parse(render_article(article, segments, run_info())).root
    row = page.find("li", id="seg-7")
    waived = [li for li in row.find("ul", cls="flags").find_all("li") if "is-waived" in li.classes]
    assert len(waived) == 1 and "term_violation" in waived[0].text
    assert waived[0].find("span", cls="waiver").text == "waived: quoted from a tweet (until 2027-03-31)"
    groups = page.find("section", cls="issues").find_all("li", cls="group")
    assert "waived" in groups[-1].text and "term_violation" in groups[-1].text
    assert "1 finding waived" in page.find("section", cls="verdict-box").text


def test_unpaired_article_is_compact() -> None:
    segments = variant_segments()[:11]
    for seg in segments:
        seg.update(original_path=None, original_article_id=None, original_text=None, original_seg_ids=[],
                   alignment="unpaired", align_group=None, align_score=None, bleu=None, chrf=None, ter=None)
    article = variant_article()
    article.update(original_path=None, original_article_id=None, chrf=None, ter=None, verdict="fail")
    page = parse(render_article(article, segments, run_info())).root
    assert not [b for b in page.find_all("div", cls="seg-body") if "two" in b.classes]
    assert not page.find_all("div", cls="original") and not page.find_all("span", cls="align")
    rows = page.find_all("li", cls="seg")
    assert all("—" not in r.find("div", cls="seg-head").text for r in rows)
    assert "no original was paired" in page.find("p", cls="meta").text
    assert "No scores" in page.find("div", cls="scoreline").text


def test_original_article_page_has_no_original_column() -> None:
    original = other_articles()[2]
    seg = _seg(0, "title", TITLE_EN, "en", alignment="original")
    seg.update(article_id=ORIGINAL_ID, role="original", original_path=None, original_article_id=None)
    page = parse(render_article(original, [seg], run_info())).root
    assert not page.find_all("div", cls="original")
    assert "this article is an original" in page.find("p", cls="meta").text


def test_mixed_language_spans_are_marked_by_language() -> None:
    _, html = render_realistic()
    row = parse(html).root.find("li", id="seg-6")
    text = row.find("div", cls="text")
    spans = text.find_all("span", cls="span")
    assert [(s.attrs["lang"], s.text) for s in spans] == [
        ("en", "The requirement in question, specifically, is"), ("sv", "detta:")]
    assert "span-foreign" in spans[0].classes and "span-expected" in spans[1].classes
    assert text.text == MIXED  # the gap between spans is kept


def test_split_spans_covers_the_text_whatever_the_offsets() -> None:
    text = "Enligt PingWest: the new internal policy"
    pieces = split_spans(text, [{"start": 17, "end": 999, "lang": "en"}, {"start": -4, "end": 6, "lang": "sv"},
                                {"start": 3, "end": 11, "lang": "de"}])
    assert "".join(p.text for p in pieces) == text
    assert [(p.lang, p.text) for p in pieces] == [("sv", "Enligt"), ("de", " Ping"), (None, "West: "),
                                                  ("en", "the new internal policy")]
    assert split_spans("", []) == split_spans("", None)


def test_flags_without_reasons_are_refused() -> None:
    segments = variant_segments()
    segments[2]["reasons"] = []
    with pytest.raises(ValueError, match="segment 2: 1 flags but 0 reasons"):
        render_article(variant_article(), segments, run_info())


def test_parse_stage() -> None:
    skipped = parse_stage("comet", f"skipped: no model — with care — run {COMET_CMD}")
    assert (skipped.state, skipped.why, skipped.command) == ("skipped", "no model — with care", COMET_CMD)
    assert parse_stage("extract", "ran").state == "ran"
    assert parse_stage("x", "skipped: not needed").command is None
    assert parse_stage("x", "failed: disk full").state == "other"


# --------------------------------------------------------------------------- the index


def test_index_lists_variants_worst_first_and_originals_apart() -> None:
    articles = [*other_articles(), variant_article()]
    odd = copy.deepcopy(articles[0])
    odd.update(article_id="sv-notes #1?-0", verdict="fail", reasons=[("garbled: 1 of 17 body segments (6%); the "
                                                                       "gate fails any")],
               flag_counts=_flag_counts(garbled=1))
    articles.append(odd)
    page = parse(render_index(summary_for(articles, run_info()), articles)).root
    assert visible_text(page.find("span", cls="verdict")) == "fail"
    rows = page.find_all("div", cls="art")
    assert [r.attrs["data-verdict"] for r in rows] == ["fail", "fail", "fail", "pass"]
    assert rows[0].find("a", cls="article-link").attrs["href"] == f"articles/{VARIANT_ID}.html"
    hrefs = [r.find("a", cls="article-link").attrs["href"] for r in rows]
    assert "articles/sv-notes%20%231%3F-0.html" in hrefs
    variant_row = rows[0]
    assert [b.text for b in variant_row.find("div", cls="flagcell").find_all("span", cls="badge")] == [
        "untranslated 4", "partially_translated 1", "omission 1", "number_mismatch 1", "term_violation 1",
        "addition 1"]
    assert variant_row.attrs["data-flags"].split() == ["untranslated", "partially_translated", "omission",
                                                        "number_mismatch", "term_violation", "addition"]
    why = variant_row.find("div", cls="why")
    assert [c for c in why.children if isinstance(c, str)] == ["untranslated 4 of 9 (44%)", "omission 1 of 9 (11%)"]
    assert " ".join(visible_text(variant_row.find("div", cls="c-issues")).split()) == "critical 4 major 4 minor 1"
    references = page.find("ul", cls="references")
    assert [a.attrs["href"] for a in references.find_all("a")] == [f"articles/{ORIGINAL_ID}.html"]
    assert "1 variant" in references.text
    assert all(ORIGINAL_ID not in r.find("a", cls="article-link").attrs["href"] for r in rows)
    assert "not text: PDF document" in page.find("table", cls="errors").text
    assert "Convert it to text" in page.find("table", cls="errors").find("td", cls="todo").text or \
        "convert it to text first" in page.find("table", cls="errors").text


def test_index_controls_and_sort_keys() -> None:
    index_html, _ = render_realistic()
    page = parse(index_html).root
    controls = page.find("div", id="controls")
    assert "hidden" in controls.attrs  # the script shows them; without it the table and CSS filters work
    assert [o.attrs["value"] for o in page.find("select", id="f-lang").find_all("option")] == ["", "en", "sv"]
    assert [o.attrs["value"] for o in page.find("select", id="f-flag").find_all("option")][:2] == ["", "untranslated"]
    keys = [b.attrs["data-key"] for b in page.find("div", id="articles-table").find_all("button")]
    assert keys == ["rank", "title", "lang", "issues", "chrf", "bleu", "ter", "comet"]
    spun_row = next(r for r in page.find_all("div", cls="art") if "spun/001" in r.text)
    assert spun_row.attrs["data-chrf"] == "61.0" and "data-comet" not in spun_row.attrs


def test_index_charts() -> None:
    index_html, _ = render_realistic()
    charts = parse(index_html).root.find_all("figure", cls="chart")
    captions = [c.find("figcaption").text for c in charts]
    assert captions == ["Flagged segments per language", "chrF++ per article, per language",
                        "Worst articles: share of body segments flagged"]
    flags = charts[0].find("svg")
    assert flags.attrs["role"] == "img"
    assert "sv: untranslated 4, partially_translated 1" in flags.find("title").text
    assert "en: spun 9" in flags.find("title").text
    worst = charts[2]
    assert [a.attrs["href"] for a in worst.find_all("a")] == [f"articles/{VARIANT_ID}.html",
                                                               "articles/en-001_8f43cc871608309f-0be2f4aa-0.html"]


def test_back_translated_groups_diff_against_the_original() -> None:
    segments = variant_segments()
    bt = "This week ByteDance took another step in that direction with a new internal change that stops " \
         "staff in China from accessing data from TikTok."
    segments[3].update(backtranslation=bt, chrf=27.5, bleu=12.1, ter=61.0, flags=["garbled"],
                       reasons=[("chrF++ 27.5 against the aligned original (< 30): the text does not say what the "
                                "original says")],
                       highlights=[_hl(bt, "took another step", "garbled", "backtranslation")])
    row = parse(render_article(variant_article(), segments, run_info())).root.find("li", id="seg-3")
    assert [m.text for m in row.find("div", cls="bt").find_all("mark")] == ["took another step"]
    diff = row.find("div", cls="diff")
    assert diff.find("span", cls="side-label").text == "changes against the original (back-translation)"
    assert "[removed: has taken]" in [d.text for d in diff.find_all("del")]
    # the Swedish text itself is not diffed against the English original
    assert "Den här veckan" not in diff.text


def test_comet_distribution_is_charted_when_present() -> None:
    articles = [*other_articles(), variant_article()]
    articles[1]["comet"] = 0.412
    articles[3]["comet"] = 0.781
    page = parse(render_index(summary_for(articles, run_info()), articles)).root
    captions = [c.find("figcaption").text for c in page.find_all("figure", cls="chart")]
    assert "COMET per article, per language" in captions
    chart = next(c for c in page.find_all("figure", cls="chart") if c.find("figcaption").text.startswith("COMET"))
    bars = [r.find("title").text for r in chart.find_all("rect")]
    assert bars == ["en: 1 article with COMET 0.4–0.5", "sv: 1 article with COMET 0.7–0.8"]
