"""The reference-free fluency check (pipeline/fluency.py) on real text.

Spun: the hand-labelled sentences of the two synonym-spun demo pages (tests/data/spin_labels.json).
Clean: the clean demo pages, Debian's English man pages and the English LibreOffice help. The
floors sit under the figures of benchmarks/eval_fluency.py (README, "Fluency"); they fail when the
check gets worse.
"""

from __future__ import annotations

import pytest

from pipeline.fluency import (
    FluencyConfig,
    FluencyScorer,
    FluencyThresholds,
    FluencyUnavailable,
    _chunks,
    decide,
    decide_document,
    document_fluency,
    fluency_availability,
    load_resources,
    page_fails,
    read_wordnet_synsets,
)
from tests.conftest import TEST_CACHE
from tests.fixtures import english_text as et

THRESHOLDS = FluencyThresholds()
CFG = FluencyConfig(cache_dir=str(TEST_CACHE / "resources"))  # what `make test` fetched, never ~/.cache/tqa


@pytest.fixture(scope="module")
def scorer() -> FluencyScorer:
    why = fluency_availability("en", CFG)
    if why is not None:
        pytest.skip(f"fluency resources missing: {why}")
    return FluencyScorer(cfg=CFG)


@pytest.fixture(scope="module")
def spun(scorer):
    sentences = et.spun_sentences()
    return sentences, scorer.score([s.text for s in sentences])


def test_labels_cover_both_spun_pages():
    sentences = et.spun_sentences()
    assert len(sentences) == 49
    assert sum(s.spun for s in sentences) == 40
    for s in sentences:
        assert bool(s.phrases) == s.spun, s.text
        for phrase, natural in s.phrases:
            assert phrase in s.text and natural and natural != phrase


def test_spun_pages_fail_and_their_sentences_carry_phrase_evidence(spun):
    sentences, evidence = spun
    assert len(evidence) == len(sentences)
    flagged = 0
    for doc in et.SPUN_SPLIT:
        rows = [(s, e) for s, e in zip(sentences, evidence, strict=True) if s.doc == doc]
        page, reasons = decide_document([e for _, e in rows], THRESHOLDS)
        assert page_fails(page, THRESHOLDS), f"{doc}: spun page passes ({page})"
        # measured: shares 0.70 (001) and 0.46 (003) against a page threshold of 0.29
        assert page.share >= THRESHOLDS.page_share + 0.1, f"{doc}: thin margin ({page})"
        for (s, e), reason in zip(rows, reasons, strict=True):
            if not (s.spun and reason):
                continue
            flagged += 1
            assert e.phrases, s.text
            for p in e.phrases:
                assert s.text[p.start:p.end] == p.phrase
                assert p.usual != p.phrase and p.log10_ratio >= FluencyConfig().min_log10_ratio
            assert f"‘{e.phrases[0].phrase}’ — usual: ‘{e.phrases[0].usual}’" in reason
    n_spun = sum(s.spun for s in sentences)
    # measured: 32 of 40 (80%) with the two-level decision; 26 of 40 (65%) at the sentence threshold alone
    assert flagged / n_spun >= 0.7, f"{flagged} of {n_spun} spun sentences flagged"
    alone = sum(1 for s, e in zip(sentences, evidence, strict=True) if s.spun and e.score >= THRESHOLDS.sentence)
    assert alone / n_spun >= 0.55, f"sentence level: {alone} of {n_spun}"


def test_reason_names_the_phrase_and_the_usual_form(scorer):
    text = ("With the specter of a full ban of the app looming, TikTok is working to assure advertisers that "
            "everything will be okay, whereas it’s additionally rallying help from high-profile customers, in an "
            "try to sway influential opinions, and hopefully win a keep of execution within the US.")
    (ev,) = scorer.score([text])
    reason = decide(ev, THRESHOLDS.sentence)
    assert reason is not None and "‘keep of execution’ — usual: ‘stay of execution’" in reason
    assert decide(ev, ev.score + 0.01) is None  # the decision moves with the threshold, no rescoring


@pytest.mark.parametrize(("text", "replaced", "replacement"), [
    # the spinner's phrase expansions (seed 001, the development page)
    (("TikTok, which is owned by Chinese language firm Bytedance, is beholden to China’s cybersecurity legal "
      "guidelines, which stipulate that every one apps must share consumer knowledge with the Chinese language "
      "Authorities on request."), "Chinese language", "Chinese"),
    (("So count on to see a whole lot of content material from Washington landmarks in your ‘For You’ feed this "
      "week."), "content material", "content"),
    (("There are methods that this could possibly be used for adverse function, and as such, it is smart for "
      "presidency officers to take away the app from official units, significantly towards the backdrop of "
      "dissenting opinions on navy battle."), "could possibly be", "could be"),
])
def test_phrase_expansions_are_evidence(scorer, text, replaced, replacement):
    (ev,) = scorer.score([text])
    found = {(p.replaced, p.replacement) for p in ev.phrases}
    assert (replaced, replacement) in found, ev.phrases


def test_names_code_and_labels_are_never_the_evidence(scorer):
    texts = ["Smart Tags can be supplied as extensions to LibreOffice Writer.",
             "Save the *.oxt extension file to your harddrive, then press Shift+F10 to open the context menu.",
             "--reference=RFILE use RFILE's mode instead of MODE values"]
    for text, ev in zip(texts, scorer.score(texts), strict=True):
        for p in ev.phrases:
            assert p.replaced not in ("Tags", "Smart", "oxt", "Shift", "MODE", "RFILE"), (text, p)
    (words, opaque, _), = _chunks("Using Smart Tags")  # a title: its capitals are names
    assert words == ["using", "smart", "tags"] and all(opaque)


def test_clean_seed_pages(scorer):
    sentences = et.seed_sentences()
    assert len(sentences) > 150
    evidence = scorer.score([s.text for s in sentences])
    for doc in et.CLEAN_SEEDS:
        page, _ = decide_document([e for s, e in zip(sentences, evidence, strict=True) if s.doc == doc])
        assert not page_fails(page, THRESHOLDS), f"{doc}: clean page fails ({page})"
    flagged = sum(e.score >= THRESHOLDS.sentence for e in evidence)
    # measured: 11 of 186 (5.9%) — news prose is where the check is weakest (README, "Fluency")
    assert flagged / len(sentences) <= 0.08, f"{flagged} of {len(sentences)} clean seed sentences flagged"


def test_our_spinner_spins_and_the_check_sees_it(scorer):
    from tests.fixtures.spinner import Spinner

    originals = [s.text for s in et.seed_sentences() if s.split == "dev"]
    first, second = Spinner(seed=0), Spinner(seed=0)
    spun = [first.spin(t) for t in originals]
    assert [r.original for r in spun] == originals
    assert [r.text for r in spun] == [second.spin(t).text for t in originals]  # deterministic
    changed = [r for r in spun if r.changes]
    assert len(changed) > 0.7 * len(spun)
    for r in changed:
        assert r.text != r.original and all(new in r.text for _, new in r.changes)
    ev_spun = scorer.score([r.text for r in changed])
    ev_orig = scorer.score([r.original for r in changed])
    hit_spun = sum(e.score >= THRESHOLDS.relaxed for e in ev_spun) / len(changed)
    hit_orig = sum(e.score >= THRESHOLDS.relaxed for e in ev_orig) / len(changed)
    # measured (seed 0): 71% of the 85 changed sentences against 18% of their originals at the relaxed threshold
    assert hit_spun >= 0.6 and hit_orig <= 0.25 and hit_spun > hit_orig + 0.4, (hit_spun, hit_orig)


def test_page_counts_distinct_sentences_and_caps_one_substitution(scorer):
    sentences = [s.text for s in et.spun_sentences() if s.doc == "001_8f43cc871608309f.txt"]
    evidence = scorer.score(sentences)
    once = document_fluency(evidence, THRESHOLDS.sentence)
    twice = document_fluency(evidence + evidence, THRESHOLDS.sentence)
    assert once == twice and once.n_spun > 0
    # one sentence's substitution, repeated in many different sentences, counts at most cap times
    text = "The following stage of those discussions will possible be important."
    variants = [f"{text[:-1]} for {name}." for name in ("the app", "the platform", "the company", "the users",
                                                         "the government", "the advertisers")]
    evs = scorer.score(variants)
    assert all(e.score >= THRESHOLDS.sentence for e in evs), [e.score for e in evs]
    capped = document_fluency(evs, THRESHOLDS.sentence, THRESHOLDS.min_words, pattern_cap=2)
    assert capped.n_spun == 2 and document_fluency(evs, THRESHOLDS.sentence).n_spun == 6
    assert not page_fails(capped, THRESHOLDS)
    # on a page that does not fail, a substitution in three or more of its sentences is the page's term
    page, reasons = decide_document(evs, THRESHOLDS)
    assert page == capped and reasons == [None] * len(evs)
    _, reasons = decide_document(evs[:2], THRESHOLDS)
    assert all(r is not None and "— usual: ‘likely be important’" in r for r in reasons), reasons


@pytest.mark.slow
def test_clean_man_pages(scorer, tmp_path_factory):
    from tests.fixtures.bilingual import CorpusUnavailable

    try:
        corpus = et.build_man_corpus(tmp_path_factory.mktemp("man") / "corpus")
    except CorpusUnavailable as exc:
        pytest.skip(str(exc))
    sentences = et.man_sentences(corpus)
    assert len(sentences) > 1000
    evidence = scorer.score([s.text for s in sentences])
    by_page: dict[str, list] = {}
    for s, e in zip(sentences, evidence, strict=True):
        by_page.setdefault(s.doc, []).append(e)
    failing = [doc for doc, evs in by_page.items() if page_fails(decide_document(evs)[0], THRESHOLDS)]
    assert not failing, f"clean man pages fail: {failing}"
    flagged = sum(e.score >= THRESHOLDS.sentence for e in evidence)
    # measured: 9 of 1,101 (0.8%)
    assert flagged / len(sentences) <= 0.015, f"{flagged} of {len(sentences)} man-page sentences flagged"


@pytest.mark.slow
def test_clean_help_pages(scorer):
    from tests.fixtures.bilingual import CorpusUnavailable

    try:
        sentences = et.help_sentences()
    except CorpusUnavailable as exc:
        pytest.skip(str(exc))
    assert len(sentences) > 40_000
    evidence = scorer.score([s.text for s in sentences])
    by_page: dict[str, list] = {}
    for s, e in zip(sentences, evidence, strict=True):
        by_page.setdefault(s.doc, []).append(e)
    assert len(by_page) > 2000
    failing = [doc for doc, evs in by_page.items() if page_fails(decide_document(evs)[0], THRESHOLDS)]
    assert not failing, f"clean help pages fail: {failing[:10]}"
    flagged = sum(e.score >= THRESHOLDS.sentence for e in evidence)
    # measured: 1,121 of 56,844 (1.97%)
    assert flagged / len(sentences) <= 0.025, f"{flagged} of {len(sentences)} help sentences flagged"


def test_batch_and_single_scores_agree(scorer, spun):
    sentences, evidence = spun
    fresh = FluencyScorer(cfg=CFG)
    for s, e in zip(sentences[:12], evidence[:12], strict=True):
        assert fresh.score([s.text]) == [e]
    assert len(scorer.score([])) == 0


def test_missing_wordnet_is_a_clear_error(tmp_path):
    cfg = FluencyConfig(wordnet_dir=str(tmp_path))
    with pytest.raises(FluencyUnavailable) as err:
        FluencyScorer(cfg=cfg).score(["A sentence."])
    assert str(tmp_path) in str(err.value) and "python -m pipeline.fluency fetch" in str(err.value)
    assert "data.noun" in str(err.value)
    why = fluency_availability("en", cfg)
    assert why is not None and "fetch" in why


def test_unknown_language_is_a_clear_error():
    with pytest.raises(FluencyUnavailable, match="'xx'"):
        load_resources("xx", FluencyConfig())


def test_bad_thresholds_are_configuration_errors():
    from pipeline.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="relaxed"):
        FluencyThresholds(sentence=1.0, relaxed=2.0)
    with pytest.raises(ConfigurationError, match="page_min_spun"):
        FluencyThresholds(page_min_spun=0)
    with pytest.raises(ConfigurationError, match="max_candidates"):
        FluencyConfig(max_candidates=0)
    with pytest.raises(ConfigurationError, match="paraphrase_penalty"):
        FluencyConfig(paraphrase_penalty=-1.0)


def test_wordnet_reader_on_the_real_database(scorer):
    from pipeline.fluency import find_wordnet

    synsets = read_wordnet_synsets(find_wordnet(CFG), "@")
    assert len(synsets) > 110_000
    assert any(pos == "n" and "lobby" in lemmas and "foyer" in lemmas for pos, lemmas, _ in synsets)
    # a hypernym: the spinner's "holding conferences" for "holding meetings"
    assert any("conference" in lemmas and "meeting" in related for _, lemmas, related in synsets)
    # a language name's hypernym is a language: the source of the "<nationality> language" pads
    assert any(pos == "n" and "chinese" in lemmas and any(r.endswith("language") for r in related)
               for pos, lemmas, related in synsets)


def test_a_sentence_that_is_its_originals_own_text_is_never_spun(scorer):
    """Sentences of the Debian Reference that read as spun on their own ("accessible without password":
    usual "parole"), left unchanged on a spun copy of the page, are the original's own words: not
    flagged. The same sentences with no original to compare with, and the spun sentences, are."""
    from pipeline.detectors.spin import FluencyDetector
    from pipeline.groups import AlignedGroup, ArticleContext, ScoringResources, Segment

    own = ["The root shell of the system is now accessible without password.",
           "For critical systems, you should backup all important data on the system after the recovery."]
    spun = [s for s in et.spun_sentences() if s.spun][:6]

    def natural(s):  # the sentence with its spun phrases put back
        text = s.text
        for phrase, usual in s.phrases:
            text = text.replace(phrase, usual)
        return text

    det, settings = FluencyDetector(), FluencyDetector.Settings()
    for paired in (True, False):
        groups = [AlignedGroup(k, "1:1", (Segment(k, "paragraph", text, "en"),),
                               (Segment(k, "paragraph", orig, "en"),) if paired else ())
                  for k, (text, orig) in enumerate([(t, t) for t in own] + [(s.text, natural(s)) for s in spun])]
        ctx = ArticleContext("en-a1", "en/x.html", "variant", "en", "en", "en" if paired else None,
                             resources=ScoringResources(fluency=scorer))
        evidence = [rows[0] for rows in det.score_article(groups, ctx)]
        article = {"article": det.summarize(evidence, settings)}
        flagged = [det.decide(ev, settings, article) is not None for ev in evidence]
        assert flagged[:len(own)] == [not paired] * len(own)
        assert sum(flagged[len(own):]) >= len(spun) - 1
