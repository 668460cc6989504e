"""The pure stages on real text: extraction, numbers, names, alignment, flags, gate, configuration."""

from __future__ import annotations

import difflib
import json

import pytest

from pipeline.align import align_segments
from pipeline.audit import audit_article
from pipeline.config import AlignConfig, ExtractConfig, GateConfig, PairConfig
from pipeline.detectors import FlagsConfig
from pipeline.detectors.comparison import substitutions
from pipeline.detectors.language import copied_run
from pipeline.discover import parse_glossary, parse_manifest
from pipeline.errors import ConfigurationError, InputError
from pipeline.extract import decode, extract_blocks
from pipeline.judge import article_verdict, check_gate, decide_row
from pipeline.pair import _rewrite_like
from pipeline.score import LexicalScorer
from pipeline.text import folded_words, normalize_number, numbers, skeleton

from .conftest import DEMO

CFG = ExtractConfig()

# A paragraph of the English seed and its synonym-spun rewrite (seed 001 spins this very article).
ORIGINAL = ("With the specter of a full ban of the app looming, TikTok is working to assure advertisers that "
            "everything will be okay, while it's also rallying support from high-profile users, in an effort "
            "to sway influential opinions, and hopefully win a stay of execution in the US.")
SPUN = ("With the specter of a full ban of the app looming, TikTok is working to assure advertisers that "
        "everything will be okay, whereas it's additionally rallying help from high-profile customers, in an try "
        "to sway influential opinions, and hopefully win a keep of execution within the US.")

EN = ["TikTok has partnered with brand suitability platform Zefr on a new brand safety offering.",
      "The solution will provide advertisers with insights into the content of videos.",
      "Zefr's process utilizes audio, text and frame-level video analysis.",
      "The new integration is available to advertisers in the US, with more regions to follow in 2022."]
SV = ["TikTok har inlett ett samarbete med plattformen Zefr om ett nytt erbjudande för varumärkessäkerhet.",
      "Zefrs process använder ljud, text och videoanalys på bildrutenivå.",
      "Den nya integrationen är tillgänglig för annonsörer i USA, och fler regioner följer under 2022."]


def test_text_pages_keep_titles_lists_and_quotes():
    blocks = extract_blocks((DEMO / "004_4930b3a46073390e.txt").read_text(encoding="utf-8"), "txt", CFG)
    kinds = {b.text: b.kind for b in blocks}
    assert kinds["Continue Reading"] == "title"
    assert kinds["A 90-day subscription to Adobe Premiere Rush"] == "list_item"
    assert any(b.kind == "quote" and b.text.startswith("“The account referenced") for b in blocks)
    assert blocks[1].kind == "title" and blocks[1].new_section


def test_hard_wrapped_text_is_joined():
    text = ("Stockholm är Sveriges huvudstad och landets största stad, och den\n"
            "ligger där Mälaren möter Östersjön.\n\nGamla stan är den äldsta delen av staden.\n")
    blocks = extract_blocks(text, "txt", CFG)
    assert [b.text for b in blocks] == [
        "Stockholm är Sveriges huvudstad och landets största stad, och den ligger där Mälaren möter Östersjön.",
        "Gamla stan är den äldsta delen av staden."]


def test_html_blocks_and_chrome():
    html = ("<html><head><title>x</title><script>var a = '<p>not text</p>';</script></head><body>"
            "<header><nav><a href='/'>Hem</a> | <a href='/om'>Om oss</a></nav></header>"
            "<article><h1>TikTok testar e-handel</h1><p>TikTok har lanserat en ny <b>funktion</b>.</p>"
            "<ul><li><p>Presentkort</p></li><li>Prenumerationer</li></ul>"
            "<blockquote><p>Vi vill ge användarna en plattform.</p></blockquote></article>"
            "<footer>Prenumerera på vårt nyhetsbrev</footer></body></html>")
    blocks = extract_blocks(html, "html", CFG)
    assert [(b.kind, b.text, b.chrome) for b in blocks] == [
        ("paragraph", "Hem | Om oss", True),
        ("title", "TikTok testar e-handel", False),
        ("paragraph", "TikTok har lanserat en ny funktion.", False),
        ("list_item", "Presentkort", False),
        ("list_item", "Prenumerationer", False),
        ("quote", "Vi vill ge användarna en plattform.", False),
        ("paragraph", "Prenumerera på vårt nyhetsbrev", True)]


def test_code_blocks_are_kept_apart():
    md = ("# Meta publicerar en guide\n\nGuiden finns på *21* språk.\n\n- Lösenord\n- Tvåstegsverifiering\n\n"
          "> Säkerhet först.\n\n```\npip install tqa\n```\n")
    blocks = extract_blocks(md, "md", CFG)
    assert [(b.kind, b.text) for b in blocks] == [
        ("title", "Meta publicerar en guide"), ("paragraph", "Guiden finns på 21 språk."),
        ("list_item", "Lösenord"), ("list_item", "Tvåstegsverifiering"), ("quote", "Säkerhet först."),
        ("code", "pip install tqa")]
    html = "<p>Kör så här:</p><pre>Sub Main\n  Print <b>\"Hej\"</b>. End Sub</pre>"
    assert [(b.kind, b.text) for b in extract_blocks(html, "html", CFG)] == [
        ("paragraph", "Kör så här:"), ("code", 'Sub Main Print "Hej". End Sub')]


def test_decode_rejects_what_is_not_text():
    with pytest.raises(InputError, match="empty"):
        decode(b"  \n", CFG)
    with pytest.raises(InputError, match="binary"):
        decode(b"\x7fELF\x02\x01\x01\x00\x00\x00" * 20, CFG)
    with pytest.raises(InputError, match="over the limit"):
        decode(b"a" * (2 * 2**20), ExtractConfig(max_file_mb=1))
    decoded = decode("Gamla stan är den äldsta delen av staden.".encode("cp1252"), CFG)
    assert decoded.text == "Gamla stan är den äldsta delen av staden." and "cp1252" in decoded.warning


@pytest.mark.parametrize("token, value", [("1,000", "1000"), ("10 000", "10000"), ("2.500.000", "2500000"),
                                          ("1,5", "1.5"), ("1.5", "1.5"), ("2022", "2022")])
def test_numbers_are_normalized_across_conventions(token, value):
    assert normalize_number(token) == value


def test_numbers_ignore_urls():
    assert numbers("We hired nearly 1,000 people, see https://example.com/2020/05 for 10 000 more") == ["1000", "10000"]


def test_brand_skeletons():
    assert skeleton("Tick tack") == skeleton("TikTok")
    assert skeleton("You Tube") == skeleton("YouTube")
    assert skeleton("Bite Dance") == skeleton("ByteDance")
    assert skeleton("Twitter") != skeleton("TikTok")


def test_spun_substitutions_are_found_and_inflections_are_not():
    subs = substitutions(SPUN, ORIGINAL)
    pairs = {(a.lower(), b.lower()) for a, b, *_ in subs}
    assert ("stay", "keep") in pairs and ("effort", "try") in pairs
    assert any("keep of execution" in context for _, _, context, *_ in subs)
    for _, word, _, start, end in subs:  # offsets point at the substituted words in the variant
        assert SPUN[start:end] == word
    assert substitutions("TikTok is banning the apps.", "TikTok bans the app.") == []


def test_copied_run_finds_english_left_in_a_swedish_sentence():
    text = "Använd utformatet definierat av FÄLTLISTA, or print all fields if FIELD_LIST is omitted."
    run, start, end = copied_run(text, "--output[=FIELD_LIST] use the output format defined by FIELD_LIST, or print "
                                       "all fields if FIELD_LIST is omitted.")
    assert run == ["or", "print", "all", "fields", "if", "FIELD", "LIST", "is", "omitted"]
    assert text[start:end] == "or print all fields if FIELD_LIST is omitted"


def test_alignment_finds_the_omitted_sentence():
    groups = align_segments(SV, EN, same_language=False, cfg=AlignConfig())
    assert [(g.variant, g.original) for g in groups] == [((0,), (0,)), ((), (1,)), ((1,), (2,)), ((2,), (3,))]
    assert groups[1].kind == "omission"


def _segments(texts, block="paragraph", lang="sv"):
    return [{"seg_id": i, "block": block, "text": t, "lang": lang, "lang_confidence": 0.99, "spans": []}
            for i, t in enumerate(texts)]


def _judged(article, variant, original, glossary=()):
    """Score an article against its original, then decide every row with the default thresholds."""
    rows, _ = audit_article(article, variant, original, glossary, "en", AlignConfig(), LexicalScorer())
    for row in rows:
        row["flags"], row["reasons"], row["detectors"], row["highlights"] = decide_row(json.loads(row["evidence"]),
                                                                     FlagsConfig.defaults(), {}, "")
    return rows


def _article(lang, original_lang):
    return {"article_id": "v", "doc_path": "v.txt", "role": "variant", "lang": lang, "original_article_id": "o",
            "original_path": "o.txt", "original_lang": original_lang}


def test_a_rewrite_is_told_by_its_replacements_not_by_the_lines_its_frame_took():
    """A spun copy whose site took the original's opening lines into its frame (seed 000's "Connect
    with us" and title) is still a rewrite: only the differences between the first and the last
    shared word count."""
    head = "Connect with us TikTok Responds to Possible US Ban: “We’re Not Planning on Going Anywhere” "
    m = difflib.SequenceMatcher(a=folded_words(SPUN), b=folded_words(head + ORIGINAL), autojunk=False)
    assert _rewrite_like(m)
    inside = difflib.SequenceMatcher(a=folded_words(SPUN), b=folded_words(ORIGINAL.replace(", in an effort", ", " + head
                                                                                         + "in an effort")),
                                     autojunk=False)
    assert not _rewrite_like(inside)  # the same lines inside the text are a difference in whole lines


def test_spun_variant_is_spun_and_copy_is_not():
    rows = _judged(_article("en", "en"), _segments([SPUN, EN[1]], lang="en"), _segments([ORIGINAL, EN[1]], lang="en"))
    assert "spun" in rows[0]["flags"]
    assert "“stay” → “keep”" in rows[0]["reasons"][rows[0]["flags"].index("spun")]
    assert any(SPUN[h["start"]:h["end"]] == "keep" for h in rows[0]["highlights"])
    assert rows[0]["chrf"] is not None and rows[0]["chrf"] < 100
    assert rows[1]["flags"] == [] and rows[1]["chrf"] == 100.0


def test_translation_without_back_translation_has_null_scores():
    rows = _judged(_article("sv", "en"), _segments(SV), _segments(EN, lang="en"), ("TikTok",))
    assert all(r["bleu"] is None and r["chrf"] is None and r["ter"] is None for r in rows)
    omitted = [r for r in rows if r["alignment"] == "omission"]
    assert len(omitted) == 1 and omitted[0]["original_text"] == EN[1] and omitted[0]["flags"] == ["omission"]
    assert all(r["flags"] == [] for r in rows if r["alignment"] != "omission")


def test_number_mismatch_and_missing_term():
    variant = ["Tick Tack har inlett ett samarbete med plattformen Zefr om ett nytt erbjudande.",
               "Den nya integrationen är tillgänglig för annonsörer i USA, och fler regioner följer under 2023."]
    rows = _judged(_article("sv", "en"), _segments(variant), _segments([EN[0], EN[3]], lang="en"), ("TikTok",))
    assert "term_violation" in rows[0]["flags"]
    assert any(variant[0][h["start"]:h["end"]] == "Tick Tack" for h in rows[0]["highlights"])
    assert "number_mismatch" in rows[1]["flags"]
    reason = rows[1]["reasons"][rows[1]["flags"].index("number_mismatch")]
    assert "2022" in reason and "2023" in reason
    assert [variant[1][h["start"]:h["end"]] for h in rows[1]["highlights"]] == ["2023"]


def test_gate_policy():
    cfg = GateConfig(fail_on={"untranslated": 0.2, "term_violation": 0.0, "garbled@de": 0.5})
    assert article_verdict("variant", "sv", True, {"untranslated": 1}, 10, cfg).verdict == "pass"
    v = article_verdict("variant", "sv", True, {"untranslated": 3, "term_violation": 1}, 10, cfg)
    assert v.verdict == "fail" and len(v.reasons) == 2 and v.reasons[0].startswith("untranslated: 3 of 10")
    assert article_verdict("original", "en", False, {"untranslated": 10}, 10, cfg).verdict == "reference"
    assert article_verdict("variant", "sv", False, {}, 10, cfg).verdict == "unverified"
    assert article_verdict("variant", "sv", True, {"garbled": 4}, 10, cfg).verdict == "pass"  # no rule for sv
    assert article_verdict("variant", "de", True, {"garbled": 6}, 10, cfg).verdict == "fail"
    assert article_verdict("variant", "sv", True, {}, 10, cfg, ["comet"]).verdict == "unverified"
    with pytest.raises(ConfigurationError, match="boilerplat"):
        check_gate(GateConfig(fail_on={"boilerplate": 0.1}))
    with pytest.raises(ConfigurationError, match="garbled@xx"):
        GateConfig(fail_on={"garbled@xx": 0.1})


def test_bad_config_values_name_the_key():
    with pytest.raises(ConfigurationError, match=r"\[pair\] min_score = 1.5"):
        PairConfig(min_score=1.5)


def test_unknown_luigi_cfg_key_is_an_error(luigi_overrides):
    from tasks.config import all_configs

    luigi_overrides({"flags": {"chrf_max_chfr": 20}})
    with pytest.raises(ConfigurationError, match=r"\[flags\] chrf_max_chfr: unknown key; did you mean chrf_max_chrf"):
        all_configs()


def test_manifest_rows_are_checked():
    text = ("path,lang,original\nsv/a.txt,sv-SE,en/a.txt\nsv/b.txt,svenska,en/gone.txt\nen/a.txt,en,\n"
            "sv/c.txt,sv\n")
    entries, problems = parse_manifest(text, {"sv/a.txt", "sv/b.txt", "en/a.txt", "sv/c.txt"})
    assert entries["sv/a.txt"].lang == "sv" and entries["sv/a.txt"].original == "en/a.txt"
    assert entries["sv/b.txt"].original is None and entries["sv/b.txt"].role == "variant"
    messages = " | ".join(p.error for p in problems)
    assert "'svenska'" in messages and "en/gone.txt" in messages and "line 5" in messages
    _, problems = parse_manifest("file,language\nx,y\n", {"x"})
    assert "expected 'path,lang,original'" in problems[0].error


def test_glossary():
    terms, problems = parse_glossary((DEMO / "glossary.csv").read_text(encoding="utf-8"))
    assert {"TikTok", "ByteDance", "Douyin", "Meta", "Instagram", "WhatsApp", "Twitter", "YouTube",
            "LinkedIn"} <= set(terms) and problems == []


def test_scores_from_reused_statistics_equal_sacrebleus_own():
    from sacrebleu.metrics import BLEU, CHRF, TER

    scorer = LexicalScorer()
    pairs = [(SPUN, ORIGINAL), (EN[1], EN[1]), ("Zefr's process uses audio and text.", EN[2]),
             (EN[3].replace("2022", "2023"), EN[3])]
    stats = [scorer.stats(h, r) for h, r in pairs]
    for (h, r), st in zip(pairs, stats, strict=True):
        got = scorer.segment(st)
        assert got.bleu == round(BLEU(effective_order=True).sentence_score(h, [r]).score, 2)
        assert got.chrf == round(CHRF(word_order=2).sentence_score(h, [r]).score, 2)
        assert got.ter == round(TER().sentence_score(h, [r]).score, 2)
    hyps, refs = [h for h, _ in pairs], [[r for _, r in pairs]]
    corpus = scorer.corpus(stats)
    assert corpus.bleu == round(BLEU().corpus_score(hyps, refs).score, 2)
    assert corpus.chrf == round(CHRF(word_order=2).corpus_score(hyps, refs).score, 2)
    assert corpus.ter == round(TER().corpus_score(hyps, refs).score, 2)


def test_statistics_of_an_unchanged_segment_are_sacrebleus_own():
    """Identical groups take the one-sided shortcut; every seed line (English, Swedish, chrome,
    titles, numbers, quotes) must give exactly the statistics sacrebleu extracts for the pair."""
    scorer = LexicalScorer()
    metrics = scorer._metrics
    lines = {line.strip() for path in sorted(DEMO.glob("*.txt"))
             for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}
    assert len(lines) > 200
    for text in sorted(lines):
        got = scorer.stats(text, text)
        assert got.bleu == tuple(metrics["bleu"]._extract_corpus_statistics([text], [[text]])[0]), text
        assert got.chrf == tuple(metrics["chrf"]._extract_corpus_statistics([text], [[text]])[0]), text
        assert got.ter == tuple(metrics["ter"]._extract_corpus_statistics([text], [[text]])[0]), text


def test_similarity_matrices_equal_the_cell_by_cell_similarity():
    """The aligner computes similarities as matrices; every 1:1, 2:1 and 1:2 group must get exactly
    the value ``similarity`` gives it (English and Swedish seed lines, within and across languages)."""
    from pipeline.align import features, merge, similarity, similarity_table

    def lines(prefix: str) -> list[str]:
        path = next(DEMO.glob(f"{prefix}_*.txt"))
        return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()][:50]

    en, sv, spun = lines("000"), lines("002"), lines("001")
    checked = 0
    for variant, original in ((sv, en), (spun, en), (en[7:], en)):
        vf, of = [features(t) for t in variant], [features(t) for t in original]
        for same_language in (False, True):
            table = similarity_table(vf, of, same_language)
            for (dv, do), rows in table.items():
                assert len(rows) == len(vf) - dv + 1 and all(len(r) == len(of) - do + 1 for r in rows)
                for i, row in enumerate(rows):
                    v = vf[i] if dv == 1 else merge(vf[i], vf[i + 1])
                    for j, value in enumerate(row):
                        o = of[j] if do == 1 else merge(of[j], of[j + 1])
                        assert value == similarity(v, o, same_language), (variant[i], original[j])
                        checked += 1
    assert checked > 20_000


def test_alignment_of_huge_articles_computes_the_band_cell_by_cell(monkeypatch):
    """Past ``_DENSE_CELLS`` the aligner computes similarities inside the band only; the groups must
    be those of the matrix path (Swedish edition against English original, and spun against original)."""
    from pipeline import align

    def lines(prefix: str) -> list[str]:
        path = next(DEMO.glob(f"{prefix}_*.txt"))
        return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    en, sv, spun = lines("000"), lines("002"), lines("001")
    cases = [(sv, en, False), (spun, en, True), (en[::2], en, False)]
    dense = [align_segments(v, o, same, AlignConfig()) for v, o, same in cases]
    monkeypatch.setattr(align, "_DENSE_CELLS", 0)
    assert [align_segments(v, o, same, AlignConfig()) for v, o, same in cases] == dense
    assert any(g.kind == "omission" for g in dense[2]) and any(g.kind == "1:1" for g in dense[0])


def test_the_settings_reference_is_written_from_the_definitions():
    from pipeline.reference import settings_reference

    committed = (DEMO.parent.parent / "docs" / "settings.md").read_text(encoding="utf-8")
    assert committed == settings_reference(), "docs/settings.md is stale: python -m pipeline.reference > docs/settings.md"
    assert "| `chrf_max_chrf` |" in committed and "| `source_lang` |" in committed


def test_an_ellipsis_before_a_lower_case_word_does_not_end_the_sentence() -> None:
    from pipeline.segment import split_sentences

    text = ('Lower level package tools such as "dpkg -i …" and "debi …" should be carefully used by the system '
            'administrator. It does not automatically take care required package dependencies.')
    assert split_sentences(text, "en") == [text[:text.index(" It ")], text[text.index("It "):]]
    assert split_sentences("Wait... Then it went.", "en") == ["Wait...", "Then it went."]


def test_numbers_of_localised_dates_and_unspaced_scripts() -> None:
    from pipeline.text import numbers

    # LibreOffice's help: the German translation writes the English dates the German way
    assert sorted(numbers("if you specify a date of 1/1/30 or later, the entry \"1/1/20\" is recognized")) == \
        sorted(numbers("wenn Sie hier 1.1.30 einstellen, wird die Eingabe \"1.1.20\" erkannt"))
    # Debian Reference in Japanese: a number written against a kanji is the same number
    assert numbers("表11.2「符号化方式値とその使い方リスト」") == numbers("as in Table 11.2, “List of encoding values”")
    assert numbers("ssh-add は2回だけ実行") == ["2"]


def test_an_edition_left_in_english_is_meant_in_the_language_its_mirrored_path_names() -> None:
    from pipeline.articles import LangEvidence, expected_language
    from pipeline.structure import _mirrored_path_languages

    paths = ["en/text/simpress/01/05150000.html", "ja/text/simpress/01/05150000.html", "it/notes.html"]
    named = _mirrored_path_languages(paths, "en")
    assert named == {"ja/text/simpress/01/05150000.html": "ja"}  # "it/" mirrors no English page
    english_body = [LangEvidence("en", 400, False), LangEvidence("en", 250, False)]
    assert expected_language(english_body, "en", 0.3, None, named.get(paths[1]))[0] == "ja"
    assert expected_language(english_body, "en", 0.3, None, named.get(paths[2])) == ("en", "detected")
    assert expected_language(english_body, "en", 0.3, "sv", "ja") == ("sv", "manifest")


def test_the_originals_own_text_is_untranslated_whatever_spans_the_identifier_sees() -> None:
    """Debian Reference's German edition left a sentence in English; lingua reads its opening words as
    German. A segment identical to its original, identified as English, is untranslated (not a
    half-translated sentence)."""
    from pipeline.config import LangIdConfig
    from pipeline.detectors.language import MixedLanguageDetector, UntranslatedDetector
    from pipeline.groups import AlignedGroup, ArticleContext, Segment, Span
    from pipeline.judge import decide_row
    from pipeline.langid import identify

    text = "The normal Debian system is the 4th stage of the boot process which is started by the mini-Debian system."
    got = identify([text], ("de", "en", "fr"), LangIdConfig())[0]
    assert got.lang == "en" and any(lang == "de" for _, _, lang in got.spans)  # what lingua says of it
    seg = Segment(0, "paragraph", text, got.lang, got.confidence, tuple(Span(a, b, lg) for a, b, lg in got.spans))
    group = AlignedGroup(0, "1:1", (seg,), (Segment(0, "paragraph", text, "en"),), 1.0)
    ctx = ArticleContext("de-a1", "de/ch03/x.html", "variant", "de", "en", "en")
    evidence = {d.name: d.score(group, ctx)[0] for d in (UntranslatedDetector(), MixedLanguageDetector())}
    flags, reasons, _, _ = decide_row(evidence, FlagsConfig.defaults(), {}, "de-en")
    assert flags == ["untranslated"] and reasons[0].startswith("identical to the original segment"), reasons


_LANGUAGES = ("de", "en", "fr", "it", "ja", "sv")


def _identified(text: str):
    """lingua's reading of ``text`` among ``_LANGUAGES`` (a ``pipeline.langid`` result)."""
    from pipeline.config import LangIdConfig
    from pipeline.langid import identify

    return identify([text], _LANGUAGES, LangIdConfig())[0]


def _untranslated_flags(text: str, original: str, lang: str) -> list[str]:
    """The flags the shipped ``untranslated`` rule gives ``text``, identified among ``_LANGUAGES``, in a
    ``lang`` page where it stands 1:1 with the English ``original``."""
    from pipeline.detectors.language import UntranslatedDetector
    from pipeline.groups import AlignedGroup, ArticleContext, Segment
    from pipeline.judge import decide_row

    got = _identified(text)
    seg = Segment(0, "paragraph", text, got.lang, got.confidence)
    group = AlignedGroup(0, "1:1", (seg,), (Segment(0, "paragraph", original, "en"),), 0.5)
    ctx = ArticleContext(f"{lang}-a1", f"{lang}/x.html", "variant", lang, "en", "en")
    return decide_row({"untranslated": UntranslatedDetector().score(group, ctx)[0]}, FlagsConfig.defaults(),
                      {}, f"{lang}-en")[0]


def test_a_short_step_left_in_english_is_untranslated_and_a_name_is_not() -> None:
    """LibreOffice's German and Swedish help pages whose body was left in English: short steps ("Click
    the Format button.") have too few words for lingua to be sure among the corpus's languages, and it
    reads "On the Standard toolbar, click" as German. A step identical to its original, in English
    grammar, is untranslated all the same; a name or a term copied as it is ("LibreOffice Writer",
    "Basic IDE") is not, nor the same words in a sentence of the page's language."""
    assert _identified("On the Standard toolbar, click").lang != "en"  # lingua's view
    for step, lang in [("Click the Format button.", "de"), ("On the Standard toolbar, click", "de"),
                       ("Click in a footnote or endnote.", "sv"), ("The Text Import dialog opens.", "sv")]:
        assert _untranslated_flags(step, step, lang) == ["untranslated"], step
    for name, lang in [("LibreOffice Writer", "de"), ("Basic IDE", "sv"), ("Microsoft Excel 2007-365", "sv")]:
        assert _untranslated_flags(name, name, lang) == [], name
    assert _untranslated_flags("Klicken Sie auf die Schaltfläche Format.", "Click the Format button.", "de") == []


def test_a_cross_reference_left_in_english_is_untranslated_and_a_quoted_title_is_not() -> None:
    """Debian Reference's cross-references ("See Section 9.4.9, “Repeating a command looping over
    files”.") left in English in a French or Japanese page: outside their quotes they have one or two
    words, but a copy of its original keeps its quotes in English too, so they count. A translated
    reference that quotes the English title is translated; "“Debugging with GDB” in /usr/share/…", a
    title and where it is (a function word outside the quotes), is no prose left. LibreOffice's short step
    "Enter text input mode.", identical in a Japanese page, is untranslated, though lingua is unsure of it
    among Latin-script languages."""
    assert _identified("Enter text input mode.").confidence < 0.5  # lingua's doubt
    for line, lang in [("See Section 9.4.9, “Repeating a command looping over files”.", "fr"),
                       ("Section 3.1.2, “Stage 2: the boot loader”", "ja"), ("Enter text input mode.", "ja")]:
        assert _untranslated_flags(line, line, lang) == ["untranslated"], line
    assert _untranslated_flags("Voir Section 9.4.9, « Repeating a command looping over files ».",
                               "See Section 9.4.9, “Repeating a command looping over files”.", "fr") == []
    assert _untranslated_flags("“LibreOffice Writer”", "“LibreOffice Writer”", "de") == []
    title = "“Debugging with GDB” in /usr/share/doc/gdb-doc/html/gdb/index.html"  # a title, and where it is
    assert _untranslated_flags(title, title, "de") == [] and _untranslated_flags(title, title, "ja") == []


def test_a_japanese_line_with_english_glosses_is_translated() -> None:
    """Debian Reference's Japanese edition glosses its terms in English ("必須 (essential)"); lingua reads
    such lines as English, and by letters alone they are mostly Latin. Their Japanese words say the
    translator was there: they are not untranslated. The English line itself, in the Japanese edition, is."""
    from pipeline.config import LangIdConfig
    from pipeline.detectors.language import UntranslatedDetector
    from pipeline.groups import AlignedGroup, ArticleContext, Segment
    from pipeline.judge import decide_row
    from pipeline.langid import identify

    pairs = [("必須 (essential): yes > no", "Essential: yes > no"),
             ("優先度 (priority): 必須 (required) > 重要 (important) > 標準 (standard) > 任意 (optional) > 特別 "
              "(extra)", "Priority: required > important > standard > optional > extra"),
             ("PAM (プラグ可能な認証モジュール: Pluggable Authentication Modules)", "PAM (Pluggable Authentication Modules)")]
    ctx = ArticleContext("ja-a1", "ja/ch02/x.html", "variant", "ja", "en", "en")

    def flags(text: str, original: str) -> list[str]:
        got = identify([text], ("en", "ja"), LangIdConfig())[0]
        seg = Segment(0, "list_item", text, got.lang, got.confidence)
        group = AlignedGroup(0, "1:1", (seg,), (Segment(0, "list_item", original, "en"),), 0.5)
        return decide_row({"untranslated": UntranslatedDetector().score(group, ctx)[0]}, FlagsConfig.defaults(),
                          {}, "ja-en")[0]

    assert identify([pairs[0][0]], ("en", "ja"), LangIdConfig())[0].lang == "en"  # what lingua says of it
    for text, original in pairs:
        assert flags(text, original) == [], text
    assert flags("Essential: yes > no, and the priority is required > important > standard",
                 "Essential: yes > no, and the priority is required > important > standard") == ["untranslated"]


def test_a_line_aligned_with_its_originals_chrome_is_not_compared_as_text() -> None:
    """Debian Reference's Japanese footer translates the copyright line the English one labels chrome: its
    numbers are no content of the page (they were taken for numbers the original lacks)."""
    from pipeline.detectors.comparison import NumberDetector
    from pipeline.groups import AlignedGroup, ArticleContext, Segment

    ctx = ArticleContext("ja-a1", "ja/ch02/x.html", "variant", "ja", "en", "en")
    variant = (Segment(7, "paragraph", "製作著作 © 2013-2021 Osamu Aoki (青木 修)", "ja"),)
    det = NumberDetector()
    chrome = AlignedGroup(3, "1:1", variant, (Segment(9, "boilerplate", "Copyright © 2013-2021 Osamu Aoki", "en"),), 0.4)
    assert det.score_article([chrome], ctx) == [None]
    changed = AlignedGroup(3, "1:1", variant, (Segment(9, "paragraph", "Copyright © 2013-2020 Osamu Aoki", "en"),), 0.4)
    assert det.score_article([changed], ctx)[0][0]["extra"] == ["2021"]


def test_a_heading_is_not_cut_mid_sentence() -> None:
    """A numbered heading aligned with a breadcrumb ("… › 2.5.9."): neither ends a sentence, so the
    variant's open end is no sign of a cut; a sentence that stops short is."""
    from pipeline.detectors.damage import TruncationDetector
    from pipeline.groups import AlignedGroup, ArticleContext, Segment

    ctx = ArticleContext("de-a1", "de/ch02/x.html", "variant", "de", "en", "en")
    det = TruncationDetector()

    def finding(variant: list[str], original: str):  # noqa: ANN202
        group = AlignedGroup(0, "1:1", tuple(Segment(i, "paragraph", t, "de") for i, t in enumerate(variant)),
                             (Segment(0, "paragraph", original, "en"),), 0.3)
        return det.decide(det.score(group, ctx)[0], det.Settings(), {})

    assert finding(["2.5.8.", "Debian-Paketdateinamen"], "Debian package management internals › 2.5.9.") is None
    cut = finding(["Debian-Binärpakete haben Dateinamen, die"],
                  "Debian binary package files are named after the following structure, as described in Table 2.16.")
    assert cut is not None and "ends mid-sentence" in cut.reason


def test_a_numbered_heading_that_repeats_a_translated_one_is_no_omission() -> None:
    """Debian Reference repeats a section's heading with its number ("9.5.11. System security and
    integrity check"); the French edition translates it once."""
    from pipeline.detectors.structure import OmissionDetector
    from pipeline.groups import AlignedGroup, ArticleContext, Segment

    en = ["System security and integrity check", "9.5.11. System security and integrity check",
          "Poor system maintenance may expose your system to external exploitation.",
          "For system security and integrity check, you should start with the following."]
    fr = ["Vérification de la sécurité et de l’intégrité du système",
          "Une mauvaise maintenance du système peut rendre votre système vulnérable à une attaque externe.",
          "Pour la vérification de la sécurité et de l’intégrité du système, vous pouvez démarrer avec ce qui suit."]
    o = [Segment(i, "title" if i < 2 else "paragraph", t, "en") for i, t in enumerate(en)]
    v = [Segment(i, "title" if i < 1 else "paragraph", t, "fr") for i, t in enumerate(fr)]
    groups = [AlignedGroup(0, "1:1", (v[0],), (o[0],), 0.5), AlignedGroup(None, "omission", (), (o[1],)),
              AlignedGroup(1, "1:1", (v[1],), (o[2],), 0.6), AlignedGroup(2, "1:1", (v[2],), (o[3],), 0.6)]
    ctx = ArticleContext("fr-a1", "fr/ch09/x.html", "variant", "fr", "en", "en")
    det = OmissionDetector()
    evidence = det.score_article(groups, ctx)
    assert det.decide(evidence[1][0], det.Settings(), {}) is None
    # a paragraph the edition left out is an omission still
    dropped = [groups[0], groups[1], AlignedGroup(None, "omission", (), (o[2],)), groups[3]]
    assert det.decide(det.score_article(dropped, ctx)[2][0], det.Settings(), {}) is not None


def test_a_numbered_heading_that_repeats_an_aligned_one_adds_nothing() -> None:
    from pipeline.detectors.structure import AdditionDetector
    from pipeline.groups import AlignedGroup, ArticleContext, Segment

    heading = Segment(0, "title", "Vérification de la sécurité et de l’intégrité du système", "fr")
    again = Segment(1, "title", "9.5.11. Vérification de la sécurité et de l’intégrité du système", "fr")
    added = Segment(2, "paragraph", "Ce paragraphe n’a aucun équivalent dans la version anglaise du document.", "fr")
    groups = [AlignedGroup(0, "1:1", (heading,), (Segment(0, "title", "System security and integrity check", "en"),), 0.5),
              AlignedGroup(1, "addition", (again,)), AlignedGroup(2, "addition", (added,))]
    det = AdditionDetector()
    ev = det.score_article(groups, ArticleContext("fr-a1", "fr/ch09/x.html", "variant", "fr", "en", "en"))
    assert ev[0] is None and det.decide(ev[1][0], det.Settings(), {}) is None
    assert det.decide(ev[2][0], det.Settings(), {}) is not None


def test_a_line_the_edition_says_twice_is_no_addition_and_a_breadcrumb_no_omission() -> None:
    """Debian Reference's French edition repeats its pager's links at the head of the page (text) and
    at its tail (chrome); the English breadcrumb "… › 4.5." ends in a section number, not a sentence."""
    from pipeline.detectors.structure import AdditionDetector, OmissionDetector
    from pipeline.groups import AlignedGroup, ArticleContext, Segment

    pager = "Suivre unstable avec quelques paquets d’experimental"
    fr = [Segment(0, "paragraph", pager, "fr"),
          Segment(1, "paragraph", "Si vous choisissez de suivre unstable, vous pouvez installer quelques paquets.", "fr"),
          Segment(2, "paragraph", "Ce paragraphe n’a aucun équivalent dans la version anglaise du document.", "fr"),
          Segment(3, "boilerplate", pager, "fr")]
    en = [Segment(0, "paragraph", "Authentication and access controls › 4.5.", "en"),
          Segment(1, "paragraph", "If you choose to track unstable, you may install a few packages.", "en"),
          Segment(2, "paragraph", "When you track unstable, the packages of experimental may break your system.", "en")]
    groups = [AlignedGroup(None, "omission", (), (en[0],)), AlignedGroup(0, "addition", (fr[0],)),
              AlignedGroup(1, "1:1", (fr[1],), (en[1],), 0.6), AlignedGroup(2, "addition", (fr[2],)),
              AlignedGroup(None, "omission", (), (en[2],)), AlignedGroup(3, "boilerplate", (fr[3],))]
    ctx = ArticleContext("fr-a1", "fr/ch02/x.html", "variant", "fr", "en", "en")
    add, omit = AdditionDetector(), OmissionDetector()
    added, omitted = add.score_article(groups, ctx), omit.score_article(groups, ctx)
    assert add.decide(added[1][0], add.Settings(), {}) is None  # the pager's link, said twice
    assert add.decide(added[3][0], add.Settings(), {}) is not None  # a paragraph of its own
    assert omit.decide(omitted[0][0], omit.Settings(), {}) is None  # the breadcrumb before the text
    assert omit.decide(omitted[4][0], omit.Settings(), {}) is not None  # a sentence left out


def test_the_breadcrumb_under_a_pages_title_is_frame_and_the_title_is_not() -> None:
    """Debian Reference: site header, pager, the page's title, its breadcrumb, then its text."""
    from pipeline.boilerplate import BlockInfo, label_boilerplate
    from pipeline.config import BoilerplateConfig

    head = ["Debian Reference", "1. GNU/Linux tutorials", "2. Debian package management",
            "3. The system initialization", "Table of Contents", "Prev", "Home", "Next"]
    pages = [("4.5.2. The modern centralized system management", "Chapter 4. Authentication and access controls",
              "The modern centralized system management can be deployed using the centralized Lightweight "
              "Directory Access Protocol (LDAP) server."),
             ("1.6.4. Global substitution with regular expressions", "Chapter 1. GNU/Linux tutorials",
              "The ed(1) command can replace all instances of FROM_REGEX with TO_TEXT in a file."),
             ("2.7.12. The equivs package", "Chapter 2. Debian package management",
              "If you are to compile a program from source to replace the Debian package, it is best to make it "
              "into a real local debianized package."),
             ("3.2.1. The systemd init", "Chapter 3. The system initialization",
              "This section describes how the system is started by the systemd program with PID=1."),
             ("1.2.3. Filesystem permissions", "Chapter 1. GNU/Linux tutorials",
              "Filesystem permissions of Unix-like system are defined for three categories of affected users.")]
    neighbours = ["4.5.1. Configuration files accessed by PAM and NSS", "4.5.3. Why GNU su does not support the wheel group",
                  "1.6.3. Replacement expressions", "1.6.5. Extracting data from text file table",
                  "2.7.11. Emergency downgrading", "2.7.13. Porting a package to the stable system",
                  "3.1.2. Stage 2: the boot loader", "3.2.2. The systemd login",
                  "1.2.2. Filesystem internals", "1.2.4. Control of permissions for newly created files: umask"]
    for pager in (False, True):  # … the German edition: the pager's links to the pages around, then the title
        blocks, n = [], len(head) + 4 * pager
        for k, (title, chapter, text) in enumerate(pages):
            # "4.6.3." and "Extra security measures for the Internet": the number and the name of each, apart
            around = [(part, "paragraph") for t in neighbours[2 * k: 2 * k + 2] for part in t.split(" ", 1)] \
                if pager else []
            lines = [(t, "paragraph") for t in head] + around + [
                (title, "title"), (f"Debian Reference › {chapter} › {title}", "paragraph"), (text, "paragraph")]
            blocks += [BlockInfo(f"en/p{k}.html", i, kind, t, False, "en") for i, (t, kind) in enumerate(lines)]
        labels = label_boilerplate(blocks, BoilerplateConfig())
        for k in range(len(pages)):
            doc = f"en/p{k}.html"
            assert labels.get((doc, n + 1), "").endswith("breadcrumb trail, after its title in the frame at the head")
            assert (doc, n) not in labels and (doc, n + 2) not in labels  # the title and the text
            assert all((doc, i) in labels for i in range(n))  # the pager's links too


def test_a_menu_written_on_one_line_is_frame_where_the_sites_pages_list_its_items() -> None:
    """Debian Reference in Japanese: most pages list the site's menu one item per line, a few write it
    on one line ("1. GNU/Linux チュートリアル | 2. Debian パッケージ管理 | …"): a line of too few pages to
    recur. That line, and the breadcrumb trail after it, are the frame; the page's title and text are not."""
    from pipeline.boilerplate import BlockInfo, label_boilerplate
    from pipeline.config import BoilerplateConfig

    menu = ["1. GNU/Linux チュートリアル", "2. Debian パッケージ管理", "3. システムの初期化", "4. 認証とアクセスの制御",
            "5. ネットワークの設定", "6. ネットワークアプリケーション"]
    pages = [("3.7.1. ソケットの起動", "第3章 システムの初期化",
              "最初に、システムがインストールしたサービスの unit を無効化しましょう。"),
             ("1.6.4. 正規表現を使ったグローバル置換", "第1章 GNU/Linux チュートリアル",
              "ed(1) コマンドを使うとファイル中の全ての FROM_REGEX を TO_TEXT に置換できます。"),
             ("2.7.12. equivs パッケージ", "第2章 Debian パッケージ管理",
              "ソースからプログラムをコンパイルして Debian パッケージを置き換えるなら、本当のローカルの Debian 化したパッケージにするのが最善です。"),
             ("4.5.2. 近代的な集中システム管理", "第4章 認証とアクセスの制御",
              "近代的な集中システム管理は集中化された LDAP サーバーを使って展開できます。"),
             ("5.1.1. ホスト名の解決", "第5章 ネットワークの設定",
              "ホスト名の解決は、現在 NSS (名前サービススイッチ) メカニズムによってもサポートされています。"),
             ("6.2.1. メールの基本", "第6章 ネットワークアプリケーション",
              "メールメッセージはヘッダーとボディーの 2 つの部分からなります。"),
             ("1.2.3. ファイルシステムのパーミッション", "第1章 GNU/Linux チュートリアル",
              "Unix 的システムのファイルシステムのパーミッションは影響するユーザーの 3 つのカテゴリーに関して定義されています。"),
             ("3.2.1. systemd init", "第3章 システムの初期化",
              "本セクションは PID=1 の systemd プログラムによってシステムがどのように起動されるかを記述します。")]
    blocks = []
    for k, (title, chapter, text) in enumerate(pages):
        one_line = k == 0
        lines = ["Debian リファレンス", *([" | ".join(menu)] if one_line else menu), "目次",
                 f"Debian リファレンス › {chapter} › {title}", "戻る", "ホーム", "次へ"]
        kinds = ["paragraph"] * len(lines) + ["title", "paragraph"]
        blocks += [BlockInfo(f"ja/p{k}.html", i, kind, t, False, "ja")
                   for i, (t, kind) in enumerate(zip([*lines, title, text], kinds, strict=True))]
    labels = label_boilerplate(blocks, BoilerplateConfig())
    for k in range(len(pages)):
        doc = [b for b in blocks if b.doc_path == f"ja/p{k}.html"]
        assert [b.text for b in doc if (b.doc_path, b.block_idx) not in labels] == [pages[k][0], pages[k][2]]


def test_japanese_steps_before_a_pages_footer_are_its_text() -> None:
    """LibreOffice's Japanese help: many pages end their steps with the same one ("ファイル → 名前を付けて保存
    を選択します。", Choose File – Save As), right before the footer. The steps after it on one page are
    sentences (their "。" ends them, as "." does), not links, so the footer's frame run stops at them."""
    from pipeline.boilerplate import BlockInfo, label_boilerplate
    from pipeline.config import BoilerplateConfig

    head = ["LibreOffice 7.4 ヘルプ", "文書ドキュメント(Writer)", "表計算ドキュメント(Calc)", "全てのモジュール内を検索", "目次"]
    foot = ["関連項目", "フィードバックを送る", "Get Involved", "Donate to LibreOffice", "法的な情報"]
    common = "ファイル → 名前を付けて保存 を選択します。"
    pages = [("dBASE ファイルのインポートとエクスポート", ["インポートする *.dbf ファイルを探します。", common,
              "ファイルの形式 ボックスで、「dBASE ファイル」を選択します。", "ファイル名 ボックスに、dBASE ファイルの名前を入力します。",
              "保存 をクリックします。", "現在のシートのデータのみがエクスポートされます。"]),
             ("白黒で印刷する", ["ファイル → 印刷を選択します。ダイアログの 全般 タブページが開きます。", "内容 で、白黒印刷 をオンにし、OK をクリックします。",
              common]),
             ("番号付け", ["名前ボックスに「引用句」と入力します。", "タイプフィールドリストの「連番」をクリックします。", common]),
             ("入力規則", ["データ → 入力規則を選択します。", "有効なエントリのリストを入力するには、「リスト」を選択します。", common]),
             ("データ系列", ["データ範囲を選択します。", "データ系列を管理するには、リストで項目を選択します。", common]),
             ("図形の移動", ["描画オブジェクトを移動するには、まず、移動したいオブジェクトを選択します。", "それから矢印キーを押します。", common])]
    blocks = []
    for k, (title, steps) in enumerate(pages):
        lines = [(t, "paragraph", True) for t in head] + [(title, "title", False)] + \
            [(t, "list_item", False) for t in steps] + [(t, "paragraph", True) for t in foot]
        blocks += [BlockInfo(f"ja/p{k}.html", i, kind, t, chrome, "ja") for i, (t, kind, chrome) in enumerate(lines)]
    labels = label_boilerplate(blocks, BoilerplateConfig())
    first = [i for b in blocks if b.doc_path == "ja/p0.html" for i in [b.block_idx]]
    steps = [i for i in first if not blocks[i].chrome and blocks[i].kind == "list_item"]
    assert not [blocks[i].text for i in steps if ("ja/p0.html", i) in labels]
    assert all(("ja/p0.html", i) in labels for i in first if blocks[i].chrome)


def test_a_step_that_names_a_menu_path_is_text_not_a_breadcrumb() -> None:
    """LibreOffice's Japanese help writes its menu paths with "→" ("書式 → レイヤーを選択します。", Choose
    Format - Layer), and many pages end with such a step right before the footer. "→" also joins a
    breadcrumb's steps, and "書式" (Format) leads steps on many pages; but a line that ends a sentence is
    a step of the page's own, neither a breadcrumb nor a link-like line the site repeats."""
    from pipeline.boilerplate import BlockInfo, label_boilerplate
    from pipeline.config import BoilerplateConfig

    head = ["LibreOffice 7.4 ヘルプ", "文書ドキュメント(Writer) | 表計算ドキュメント(Calc) | プレゼンテーション(Impress)",
            "全てのモジュール内を検索"]
    foot = ["フィードバックを送る · Get Involved · Donate to LibreOffice · 法的な情報",
            "Copyright (c) 2000, 2010 LibreOffice contributors and/or their affiliates."]
    pages = [("書式メニュー", ["寸法線のコンテキストメニューで 「寸法の記入」 を選択します。",
                         "書式 → レイヤーを選択します (LibreOffice Draw のみ)。"]),
             ("セルの枠線", ["選択したセルにさまざまな線を適用できます。", "書式 → セルを選択します。"]),
             ("行の非表示", ["これは、書式 → 行 → 非表示 コマンドを使用して手動で非表示にした行とは逆になります。"]),
             ("ヘッダー", ["ヘッダーを書式設定するには、メニュー 書式 → ページ → ヘッダー を選択します。"]),
             ("段落", ["段落を選択します。", "書式 → 段落 → インデントと間隔 を選択します。"]),
             ("文字", ["書式 → 文字 を選択します。"])]
    blocks = []
    for k, (title, steps) in enumerate(pages):
        lines = [(t, "paragraph") for t in head] + [(f"{head[0]} › {title}", "paragraph"), (title, "title")] + \
            [(t, "paragraph") for t in [*steps, *foot]]
        blocks += [BlockInfo(f"ja/p{k}.html", i, kind, t, False, "ja") for i, (t, kind) in enumerate(lines)]
    labels = label_boilerplate(blocks, BoilerplateConfig())
    for k, (title, steps) in enumerate(pages):
        kept = [b.text for b in blocks if b.doc_path == f"ja/p{k}.html" and (b.doc_path, b.block_idx) not in labels]
        assert kept == [title, *steps]


def test_a_substitution_is_flagged_on_the_segment_that_holds_it() -> None:
    """A spun copy of a LibreOffice help page: its unchanged heading aligned with the paragraph after it
    (one 2:1 group). The paragraph carries the finding, not the heading."""
    from pipeline.detectors.comparison import SubstitutionDetector
    from pipeline.groups import AlignedGroup, ArticleContext, Segment

    heading = "Spacing Between Footnotes"
    text = ("If you want to add a top and bottom border to the footnote or endnote texts, you can set the "
            "spacing between the text and the border.")
    spun = text.replace("texts,", "schoolbooks,").replace("top", "peak")
    group = AlignedGroup(0, "2:1", (Segment(0, "title", heading, "en"), Segment(1, "paragraph", spun, "en")),
                         (Segment(0, "paragraph", f"{heading} {text}", "en"),), 0.9)
    det = SubstitutionDetector()
    rows = det.score(group, ArticleContext("en-a1", "en/x.html", "variant", "en", "en", "en"))
    assert rows[0] is None
    found = det.decide(rows[1], det.Settings(), {})
    assert found is not None and "“top” → “peak”" in found.reason
    assert {spun[h.start:h.end] for h in found.highlights} >= {"peak"}


def test_the_text_after_a_pages_title_is_never_frame_whatever_its_headings() -> None:
    """Pages that republish GNU man pages under a site frame: "NAME" and "SYNOPSIS" recur on every
    page (they are labelled as repeated lines), but the text under the page's title is the page's."""
    from pipeline.boilerplate import BlockInfo, label_boilerplate
    from pipeline.config import BoilerplateConfig

    manuals = [("Hostid - print the numeric identifier for the current host", "hostid - print the numeric "
                "identifier for the current host", "hostid [OPTION]"),
               ("Printenv - print all or part of environment", "printenv - print all or part of environment",
                "printenv [OPTION]... [VARIABLE]..."),
               ("Nohup - run a command immune to hangups", "nohup - run a command immune to hangups, with output "
                "to a non-tty", "nohup COMMAND [ARG]..."),
               ("Dirname - strip last component from file name", "dirname - strip last component from file name",
                "dirname [OPTION] NAME..."),
               ("Whoami - print effective user name", "whoami - print effective user name", "whoami [OPTION]..."),
               ("Sleep - delay for a specified amount of time", "sleep - delay for a specified amount of time",
                "sleep NUMBER[SUFFIX]..."),
               ("Tty - print the file name of the terminal", "tty - print the file name of the terminal connected "
                "to standard input", "tty [OPTION]..."),
               ("Yes - output a string repeatedly until killed", "yes - output a string repeatedly until killed",
                "yes [STRING]..."),
               ("Nproc - print the number of processing units", "nproc - print the number of processing units "
                "available", "nproc [OPTION]..."),
               ("Logname - print user's login name", "logname - print user's login name", "logname [OPTION]"),
               ("Pwd - print name of current/working directory", "pwd - print name of current/working directory",
                "pwd [OPTION]..."),
               ("Uname - print system information", "uname - print system information", "uname [OPTION]...")]
    blocks = []
    for k in range(0, len(manuals), 3):  # three articles a page: "NAME" repeats in each
        lines = [("Connect with us", "paragraph")]
        for title, name, synopsis in manuals[k:k + 3]:
            lines += [(title, "title"), ("NAME", "title"), (name, "paragraph"), ("SYNOPSIS", "title"),
                      (synopsis, "paragraph"), ("Continue Reading", "paragraph")]
        lines.append(("Sign up for our newsletter", "paragraph"))
        blocks += [BlockInfo(f"en/{k}.txt", i, kind, t, False, "en") for i, (t, kind) in enumerate(lines)]
    labels = label_boilerplate(blocks, BoilerplateConfig())
    for b in blocks:
        if b.kind == "paragraph" and b.text not in ("Connect with us", "Continue Reading", "Sign up for our newsletter"):
            assert (b.doc_path, b.block_idx) not in labels, (b.text, labels[(b.doc_path, b.block_idx)])
