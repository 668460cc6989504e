"""Measurements behind three library choices: sentence segmenter, HTML parser, encoding detector.

    pip install sentencex pysbd blingfire selectolax lxml beautifulsoup4 charset-normalizer
    python benchmarks/choose_libraries.py [--seeds DIR] [--big-mb 20]

(a) sentence segmentation of English and Swedish: sentencex, pysbd (no Swedish model: it is run
    with its Danish and its English rules), blingfire; speed on real paragraphs and a set of
    hand-written hard cases (abbreviations, decimals, quotes) with the expected split;
(b) HTML to text blocks (h1-h6, p, li, blockquote; innermost blocks, script/style dropped, <br>
    as a space) with selectolax (lexbor), lxml.html and BeautifulSoup(html.parser): speed on a
    generated ~1 MB page whose blocks are known, behaviour on broken HTML, and bytes input
    without a declared charset;
(c) charset-normalizer on Swedish text in cp1252 (with “smart quotes”) and UTF-8: correctness
    by size, time on a 20 MB file, and what limiting detection to the first N bytes does.

Real text comes from sample_text.py: the English seed pages and the Swedish book in the Debian
package cfi-sv (fetched once with apt-get download, cached under ~/.cache/tqa/debs).
"""

from __future__ import annotations

import argparse
import html
import random
import re
import sys
import time
from collections import Counter
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sample_text


def best_of(fn, repeat: int = 3) -> tuple[float, object]:
    """Fastest wall time of *repeat* calls, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def norm(text: str) -> str:
    return " ".join(text.split())


# =========================================================================== (a) segmenters
def segmenters():
    import blingfire
    import pysbd
    from sentencex import segment as sx_segment

    pysbd_cache: dict[str, object] = {}

    def pysbd_lang(code):
        def run(lang, text):
            seg = pysbd_cache.get(code)
            if seg is None:
                seg = pysbd_cache[code] = pysbd.Segmenter(language=code, clean=False)
            return seg.segment(text)
        return run

    def sentencex(lang, text):
        return list(sx_segment(lang, text))

    def bling(lang, text):
        return blingfire.text_to_sentences(text).split("\n")

    return {
        "sentencex": sentencex,
        "pysbd (en rules for sv)": pysbd_lang("en"),
        "pysbd (da rules for sv)": lambda lang, text: (
            pysbd_lang("en") if lang == "en" else pysbd_lang("da"))(lang, text),
        "blingfire": bling,
    }


HARD_CASES = [
    ("en", "Mr. Smith met Dr. Jones at 5 p.m. on Friday. They discussed the deal.", 2),
    ("en", "The U.S. economy grew 1.5 percent in the second quarter. Analysts had expected more.",
     2),
    ("en", "TikTok said: “We’re not planning on going anywhere.” The company then issued a "
           "statement.", 2),
    ("en", "Is this the end? Probably not! TikTok has 100 million U.S. users.", 3),
    ("en", "Version 2.0 shipped on Jan. 5, 2021 (see p. 12). It added new filters.", 2),
    ("en", "Wait for it… The results are in.", 2),
    ("en", "The deal, e.g. with Oracle Corp., is not final. Talks go on.", 2),
    ("sv", "Vi köpte bl.a. mjölk och bröd. Sedan gick vi hem.", 2),
    ("sv", "Det finns många appar, t.ex. TikTok och Instagram. Båda är populära bland unga.", 2),
    ("sv", "Version 1.5 släpptes i går. Den har fler filter.", 2),
    ("sv", "Han sa: ”Vi stannar kvar.” Sedan lämnade han rummet.", 2),
    ("sv", "Mötet börjar kl. 15.30 i morgon. Alla är välkomna.", 2),
    ("sv", "Appen har ca. 100 miljoner användare i USA, dvs. en tredjedel av befolkningen. "
           "Siffran växer.", 2),
    ("sv", "Lagen gäller fr.o.m. den 1 jan. 2021. Den ersätter den gamla lagen.", 2),
    ("sv", "Den s.k. kreatörsfonden omfattar 1 miljard dollar. Pengarna betalas ut varje månad.",
     2),
    ("sv", "Är det slutet för TikTok? Knappast! Appen har 100 miljoner användare i USA.", 3),
    ("sv", "Bolaget ska t.o.m. anställa 10 000 personer, enl. VD:n. Det sa hon i fredags.", 2),
    ("sv", "Priset höjs med 1,5 procent, jfr. förra året. Beslutet tas i maj.", 2),
    ("sv", "Regeln gäller bl.a. Sverige och Norge. Danmark väntar.", 2),
    ("sv", "Mötet hölls den 3 maj. Nästa möte är i juni.", 2),
    ("sv", "Han flyttade till USA. Där startade han bolaget.", 2),
]


def run_segmenters(seeds: Path) -> None:
    print("\n## (a) Sentence segmentation\n")
    print("versions: " + ", ".join(f"{p} {version(p)}" for p in ("sentencex", "pysbd", "blingfire")))
    import pysbd.languages
    print(f"pysbd languages: {' '.join(sorted(pysbd.languages.LANGUAGE_CODES))} (no 'sv')")
    segs = segmenters()
    sv_pars = sample_text.swedish_paragraphs()
    en_pars = sample_text.english_paragraphs(seeds)
    en_pars = en_pars * max(1, (sum(map(len, sv_pars)) // max(1, sum(map(len, en_pars)))))
    print(f"\nspeed: {len(sv_pars)} Swedish book paragraphs ({sum(map(len, sv_pars)) / 1e6:.2f} M "
          f"chars), English seed paragraphs repeated to {len(en_pars)} "
          f"({sum(map(len, en_pars)) / 1e6:.2f} M chars); best of 2\n")
    print("| segmenter | sv sentences | sv sentences/s | en sentences/s | hard cases en | "
          "hard cases sv |")
    print("|---|---|---|---|---|---|")
    failures: dict[str, list] = {}
    for name, fn in segs.items():
        t_sv, out_sv = best_of(lambda: [s for p in sv_pars for s in fn("sv", p)], 2)
        t_en, out_en = best_of(lambda: [s for p in en_pars for s in fn("en", p)], 2)
        ok = {"en": 0, "sv": 0}
        total = {"en": 0, "sv": 0}
        for lang, text, expected in HARD_CASES:
            got = [norm(s) for s in fn(lang, text) if s.strip()]
            total[lang] += 1
            if len(got) == expected and " ".join(got) == norm(text):
                ok[lang] += 1
            else:
                failures.setdefault(name, []).append((lang, got))
        print(f"| {name} | {len(out_sv):,} | {len(out_sv) / t_sv:,.0f} | "
              f"{len(out_en) / t_en:,.0f} | {ok['en']}/{total['en']} | {ok['sv']}/{total['sv']} |")
    print("\nhard cases missed (each sentence in [brackets]):")
    for name, fails in failures.items():
        print(f"\n  {name}:")
        for lang, got in fails:
            print(f"    {lang}: " + " ".join(f"[{s}]" for s in got))


# =========================================================================== (b) HTML
BLOCK_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "blockquote")
DROP_TAGS = ("script", "style", "noscript", "template")
ENTITY_SAMPLE = [("&amp;", "&"), ("&aring;", "å"), ("&#228;", "ä"), ("&#x2019;", "’"),
                 ("&nbsp;", " "), ("&ldquo;", "“"), ("&rdquo;", "”"), ("&ouml;", "ö")]


def generate_page(target_bytes: int, seed: int, sentences: list[str]) -> tuple[str, list]:
    """A news-site-like page of about *target_bytes* and the (tag, text) blocks it holds."""
    rng = random.Random(seed)
    parts = ["<!DOCTYPE html><html lang=sv><head><meta charset=utf-8><title>Sida</title>",
             "<style>p { margin: 0 } .x > li { color: red }</style>",
             "<script>window.cfg = {a: '<p>not text</p>'};</script></head><body>",
             "<nav><ul class=menu>"]
    expected = []
    for i in range(8):
        parts.append(f'<li><a href="/s/{i}">Meny {i}</a></li>')
        expected.append(("li", f"Meny {i}"))
    parts.append("</ul></nav><main>")

    def para_html(n):
        words_html, words_txt = [], []
        for s in rng.sample(sentences, n):
            toks = [html.escape(t, quote=False) for t in s.split()]
            j = rng.randrange(len(toks))
            kind = rng.random()
            if kind < 0.2:
                toks[j] = f'<a href="/t/{j}">{toks[j]}</a>'
            elif kind < 0.35:
                toks[j] = f"<em>{toks[j]}</em>"
            words_html.append(" ".join(toks))
            words_txt.append(s)
        ent, ch = rng.choice(ENTITY_SAMPLE)
        words_html.append(f"Tecken{ent}slut.")
        words_txt.append(f"Tecken{ch}slut.")
        return "\n".join(words_html), norm(" ".join(words_txt))

    size = sum(map(len, parts))
    k = 0
    while size < target_bytes:
        k += 1
        chunk = [f'<article class="post" id="a{k}"><div class=head>']
        title = rng.choice(sentences).rstrip(".!?")[:80]
        chunk.append(f"<h2>{html.escape(title)}</h2></div><div class=body>")
        expected.append(("h2", norm(title)))
        for _ in range(rng.randint(2, 5)):
            h, t = para_html(rng.randint(1, 4))
            chunk.append(f"<p>{h}</p>")
            expected.append(("p", t))
        if rng.random() < 0.5:
            h1, t1 = para_html(1)
            h2, t2 = para_html(1)
            chunk.append(f"<p>{h1}<br>{h2}</p>")
            expected.append(("p", norm(t1 + " " + t2)))
        if rng.random() < 0.4:
            chunk.append("<ul>")
            for _ in range(rng.randint(2, 5)):
                h, t = para_html(1)
                chunk.append(f"<li>{h}</li>")
                expected.append(("li", t))
            chunk.append("</ul>")
        if rng.random() < 0.3:
            h1, t1 = para_html(1)
            h2, t2 = para_html(1)
            chunk.append(f'<blockquote class="q"><p>{h1}</p><p>{h2}</p></blockquote>'
                         '<script async src="/w.js">var y = "<p>no</p>";</script>')
            expected += [("p", t1), ("p", t2)]
        if rng.random() < 0.3:
            h, t = para_html(1)
            chunk.append(f"<blockquote>{h}</blockquote>")
            expected.append(("blockquote", t))
        chunk.append('</div><div class="share"><span>Dela</span><img src="x.png" alt=""></div>'
                     "</article>\n")
        parts += chunk
        size += sum(map(len, chunk))
    parts.append("</main><footer><p>&copy; 2021 Tidningen</p></footer></body></html>")
    expected.append(("p", "© 2021 Tidningen"))
    return "".join(parts), expected


def extract_selectolax(doc, sniff_encoding: bool = False):
    from selectolax.lexbor import LexborHTMLParser
    tree = LexborHTMLParser(doc, encoding=True) if sniff_encoding else LexborHTMLParser(doc)
    tree.strip_tags(list(DROP_TAGS))
    for br in tree.css("br"):
        br.replace_with(" ")
    nodes = tree.css(",".join(BLOCK_TAGS))  # document order
    out = []
    for i, node in enumerate(nodes):
        # innermost blocks only: in document order, a block that holds another block is
        # directly followed by its first block descendant
        if i + 1 < len(nodes) and _is_ancestor(node, nodes[i + 1]):
            continue
        text = norm(node.text(deep=True))
        if text:
            out.append((node.tag, text))
    return out


def _is_ancestor(node, other) -> bool:
    target, parent = node.mem_id, other.parent
    while parent is not None:
        if parent.mem_id == target:
            return True
        parent = parent.parent
    return False


def extract_lxml(doc):
    import lxml.html
    root = lxml.html.document_fromstring(doc)
    for el in list(root.iter(*DROP_TAGS)):
        el.drop_tree()
    for br in root.iter("br"):
        br.tail = " " + (br.tail or "")
    out = []
    for el in root.iter(*BLOCK_TAGS):
        if next(el.iterdescendants(*BLOCK_TAGS), None) is not None:
            continue
        text = norm(el.text_content())
        if text:
            out.append((el.tag, text))
    return out


def extract_bs4(doc):
    from bs4 import BeautifulSoup
    soup = BeautifulSoup(doc, "html.parser")
    for el in soup(list(DROP_TAGS)):
        el.decompose()
    for br in soup("br"):
        br.replace_with(" ")
    out = []
    for el in soup.find_all(BLOCK_TAGS):
        if el.find(BLOCK_TAGS) is not None:
            continue
        text = norm(el.get_text())
        if text:
            out.append((el.name, text))
    return out


def parse_selectolax(doc):
    from selectolax.lexbor import LexborHTMLParser
    return LexborHTMLParser(doc)


def parse_lxml(doc):
    import lxml.html
    return lxml.html.document_fromstring(doc)


def parse_bs4(doc):
    from bs4 import BeautifulSoup
    return BeautifulSoup(doc, "html.parser")


PARSERS = {
    "selectolax (lexbor)": parse_selectolax,
    "lxml.html": parse_lxml,
    "BeautifulSoup(html.parser)": parse_bs4,
}

EXTRACTORS = {
    "selectolax (lexbor)": extract_selectolax,
    "lxml.html": extract_lxml,
    "BeautifulSoup(html.parser)": extract_bs4,
}

BROKEN_HTML = """<html><body>
<h1>Rubrik &amp; annat</h1>
<p>Första stycket utan sluttagg
<p>Andra stycket med &aring&auml;&ouml; och &foo; samt AT&T och &copy 2021
</div></div>
<ul><li>Punkt ett<li>Punkt två</ul>
<blockquote>Citat utan p</blockquote>
<p>Fet <b>text som aldrig stängs
<h2>Nästa rubrik</h2>
<p>Sista stycket</span>
"""
BROKEN_EXPECTED = [
    ("h1", "Rubrik & annat"), ("p", "Första stycket utan sluttagg"),
    ("p", "Andra stycket med åäö och &foo; samt AT&T och © 2021"),
    ("li", "Punkt ett"), ("li", "Punkt två"), ("blockquote", "Citat utan p"),
    ("p", "Fet text som aldrig stängs"), ("h2", "Nästa rubrik"), ("p", "Sista stycket"),
]


def found_blocks(out, expected) -> int:
    """How many expected (tag, text) blocks the output holds (as a multiset)."""
    return sum((Counter(out) & Counter(expected)).values())


def run_html(seeds: Path, size: int) -> None:
    print("\n## (b) HTML to text blocks\n")
    print("versions: " + ", ".join(f"{p} {version(p)}" for p in
                                   ("selectolax", "lxml", "beautifulsoup4")))
    sents = [s for p in sample_text.swedish_paragraphs() for s in sample_text.rough_sentences(p)]
    sents += [s for p in sample_text.english_paragraphs(seeds)
              for s in sample_text.rough_sentences(p)]
    sents = [s for s in sents if 4 <= len(s.split()) <= 40]
    page, expected = generate_page(size, 7, sents)
    page_bytes = page.encode("utf-8")
    print(f"\ngenerated page: {len(page_bytes) / 1e6:.2f} MB, {len(expected):,} blocks "
          "(p/li/h2/blockquote, inline a/em, entities, <br>, scripts in head and body); "
          "best of 3; input str\n")
    print("| parser | parse ms | parse+extract ms | MB/s (parse+extract) | blocks | "
          "blocks equal to expected |")
    print("|---|---|---|---|---|---|")
    for name, fn in EXTRACTORS.items():
        t_parse, _ = best_of(lambda: PARSERS[name](page), 3)
        t, out = best_of(lambda: fn(page), 3)
        same = found_blocks(out, expected)
        print(f"| {name} | {1000 * t_parse:,.0f} | {1000 * t:,.0f} | "
              f"{len(page_bytes) / 1e6 / t:.1f} | {len(out):,} | "
              f"{same:,}/{len(expected):,}{' (in order)' if out == expected else ''} |")
        if out != expected:
            for i, (a, b) in enumerate(zip(out, expected)):
                if a != b:
                    print(f"|  first difference at block {i}: got {a!r:.90} expected {b!r:.90} |"
                          " | | | |")
                    break

    print("\nbroken HTML (unclosed p/li/b, stray </div> and </span>, entities without ';', "
          "unknown entity &foo;, bare & in AT&T):\n")
    print("| parser | blocks as expected | output |")
    print("|---|---|---|")
    for name, fn in EXTRACTORS.items():
        out = fn(BROKEN_HTML)
        shown = "; ".join(f"{t}: {x}" for t, x in out)
        print(f"| {name} | {found_blocks(out, BROKEN_EXPECTED)}/"
              f"{len(BROKEN_EXPECTED)}{' ✓' if out == BROKEN_EXPECTED else ''} | {shown} |")

    print("\nbytes input (no charset declared, UTF-8 content; then cp1252 with <meta charset>):\n")
    byte_extractors = dict(EXTRACTORS)
    byte_extractors["selectolax (encoding=True)"] = lambda d: extract_selectolax(d, True)
    samples = [
        ("utf-8, no meta", "<p>Åsa säger “hej” – även på söndag</p>".encode()),
        ("cp1252 + meta", ('<meta charset="windows-1252"><p>Åsa säger “hej” – även på söndag</p>'
                           ).encode("cp1252")),
    ]
    print("| parser | " + " | ".join(n for n, _ in samples) + " |")
    print("|---|" + "---|" * len(samples))
    for name, fn in byte_extractors.items():
        cells = []
        for _, data in samples:
            try:
                out = fn(data)
                cells.append(out[0][1] if out else "(nothing)")
            except Exception as exc:  # report, do not hide: this is what a user would hit
                cells.append(f"{type(exc).__name__}: {exc}"[:60])
        print(f"| {name} | " + " | ".join(cells) + " |")


# =========================================================================== (c) encodings
def run_encoding(big_mb: int) -> None:
    import charset_normalizer
    from charset_normalizer import from_bytes
    print("\n## (c) Encoding detection with charset-normalizer\n")
    compiled = any(p.suffix == ".so" for p in Path(charset_normalizer.__file__).parent.iterdir())
    print(f"charset-normalizer {version('charset-normalizer')} "
          f"({'compiled (mypyc) wheel' if compiled else 'pure-Python wheel'})")
    pars = sample_text.swedish_paragraphs()
    # the book uses straight quotes; give it the typography of a news page
    text = "\n\n".join(re.sub(r'"([^"\n]{1,200})"', r"“\1”", p).replace(" - ", " – ")
                       .replace("'", "’") for p in pars)
    assert "“" in text and "–" in text

    def detect(data: bytes, isolation=None):
        best = from_bytes(data, cp_isolation=isolation).best()
        return None if best is None else best.encoding

    def correct(data: bytes, enc: str | None, original: str) -> str:
        if enc is None:
            return "no result"
        try:
            return "yes" if data.decode(enc) == original else "no (mojibake)"
        except UnicodeDecodeError:
            return "no (decode error)"

    restricted = ["utf_8", "cp1252"]

    def row(label: str, piece: bytes, whole: bytes, original: str, repeat: int = 3) -> str:
        cells = [label]
        for iso in (None, restricted):
            t, found = best_of(lambda: detect(piece, iso), repeat)
            cells += [str(found), correct(whole, found, original), f"{1000 * t:,.1f}"]
        return "| " + " | ".join(cells) + " |"

    header = ("| {} | detected | decodes to the original | ms | detected (cp_isolation="
              "['utf_8', 'cp1252']) | decodes to the original | ms |\n|---|---|---|---|---|---|---|")
    print("\nsmall inputs (prefix of the Swedish book, typographic quotes and dashes):\n")
    print(header.format("input"))
    for n in (60, 200, 1000, 10_000, 100_000):
        cut = text[:n]
        for enc in ("cp1252", "utf-8"):
            data = cut.encode(enc)
            print(row(f"{n:,} chars, {enc}", data, data, cut))

    base = text.encode("cp1252")
    reps = big_mb * 2**20 // len(base) + 1
    big_text = "\n\n".join([text] * reps)
    print(f"\n{big_mb} MB files (the book repeated): whole file vs its first N bytes given to the "
          "detector; 'decodes' = the WHOLE file decodes with the detected encoding to the "
          "original\n")
    print(header.format("file / detector input"))
    for enc in ("cp1252", "utf-8"):
        data = big_text.encode(enc)[: big_mb * 2**20]
        original = data.decode(enc, errors="ignore")
        data = original.encode(enc)  # whole characters only
        for label, n in (("whole file", None), ("first 1 MiB", 2**20), ("first 64 KiB", 2**16)):
            piece = data if n is None else data[:n]
            print(row(f"{len(data) / 2**20:.0f} MB {enc}, {label}", piece, data, original, 1))
    data = big_text.encode("utf-8")
    t, _ = best_of(lambda: data.decode("utf-8"), 3)
    print(f"\nstrict bytes.decode('utf-8') of {len(data) / 2**20:.0f} MB: {1000 * t:.0f} ms; of the "
          f"cp1252 file it fails at once: ", end="")
    try:
        big_text.encode("cp1252").decode("utf-8")
    except UnicodeDecodeError as exc:
        print(f"UnicodeDecodeError at byte {exc.start}")

    # traps: a long pure-ASCII start, and a prefix cut inside a UTF-8 character
    english = " ".join(sample_text.english_paragraphs())
    english = english.encode("ascii", "ignore").decode("ascii")
    trap_text = (english + "\n") * (2 * 2**20 // len(english) + 1) + "\n\n" + text[:20_000]
    trap = trap_text.encode("cp1252")
    print("\ntraps:\n")
    print(header.format("case"))
    for label, n in (("whole file", None), ("first 1 MiB", 2**20)):
        piece = trap if n is None else trap[:n]
        print(row(f"{len(trap) / 2**20:.1f} MB cp1252, ASCII except the last 20 K chars "
                  f"(Swedish), {label}",
                  piece, trap, trap_text, 1))
    sv_utf8 = text[:5000].encode("utf-8")
    cut = next(i for i in range(1000, 2000) if sv_utf8[i] >= 0xC0) + 1  # inside a character
    for label, piece in (("cut inside a character", sv_utf8[:cut]),
                         ("cut at a character boundary", sv_utf8[:cut - 1])):
        print(row(f"first {cut} bytes of Swedish UTF-8, {label}", piece, sv_utf8, text[:5000]))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=Path, default=sample_text.DEFAULT_SEEDS)
    ap.add_argument("--html-bytes", type=int, default=1_000_000)
    ap.add_argument("--big-mb", type=int, default=20)
    ap.add_argument("--only", choices=("segment", "html", "encoding"))
    args = ap.parse_args(argv)
    print(f"# Library choices (python {sys.version.split()[0]})")
    if args.only in (None, "segment"):
        run_segmenters(args.seeds)
    if args.only in (None, "html"):
        run_html(args.seeds, args.html_bytes)
    if args.only in (None, "encoding"):
        run_encoding(args.big_mb)
    return 0


if __name__ == "__main__":
    sys.exit(main())
