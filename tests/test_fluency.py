"""The reference-free fluency check (pipeline/fluency.py) on real text.

Spun: the hand-labelled sentences of the two synonym-spun demo pages (tests/data/spin_labels.json).
Clean: the clean demo pages and Debian's English man pages. The floors sit under the figures of
benchmarks/eval_fluency.py (README, "Fluency"); they fail when the check gets worse.
"""

from __future__ import annotations

import pytest

from pipeline.fluency import (
    FluencyConfig,
    FluencyScorer,
    FluencyThresholds,
    FluencyUnavailable,
    decide,
    decide_document,
    fluency_availability,
    load_resources,
    read_wordnet_synsets,
)
from tests.fixtures import english_text as et

THRESHOLDS = FluencyThresholds()


@pytest.fixture(scope="module")
def scorer() -> FluencyScorer:
    why = fluency_availability("en")
    if why is not None:
        pytest.skip(f"fluency resources missing: {why}")
    return FluencyScorer()


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


def test_spun_pages_flagged_with_phrase_evidence(spun):
    sentences, evidence = spun
    assert len(evidence) == len(sentences)
    flagged = 0
    for doc in et.SPUN_SPLIT:
        rows = [(s, e) for s, e in zip(sentences, evidence, strict=True) if s.doc == doc]
        page, reasons = decide_document([e for _, e in rows], THRESHOLDS)
        assert page.share >= THRESHOLDS.page_share, f"{doc}: spun page passes ({page})"
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
    # measured: 26 of 40 (65%); sentence level alone 17 of 40
    assert flagged / n_spun >= 0.6, f"{flagged} of {n_spun} spun sentences flagged"
    alone = sum(1 for s, e in zip(sentences, evidence, strict=True) if s.spun and e.score >= THRESHOLDS.sentence)
    assert alone / n_spun >= 0.35, f"sentence level: {alone} of {n_spun}"


def test_reason_names_the_phrase_and_the_usual_form(scorer):
    text = ("With the specter of a full ban of the app looming, TikTok is working to assure advertisers that "
            "everything will be okay, whereas it’s additionally rallying help from high-profile customers, in an "
            "try to sway influential opinions, and hopefully win a keep of execution within the US.")
    (ev,) = scorer.score([text])
    reason = decide(ev, THRESHOLDS.sentence)
    assert reason is not None and "‘keep of execution’ — usual: ‘stay of execution’" in reason
    assert decide(ev, ev.score + 0.01) is None  # the decision moves with the threshold, no rescoring


def test_clean_seed_pages(scorer):
    sentences = et.seed_sentences()
    assert len(sentences) > 150
    evidence = scorer.score([s.text for s in sentences])
    for doc in et.CLEAN_SEEDS:
        page, _ = decide_document([e for s, e in zip(sentences, evidence, strict=True) if s.doc == doc])
        assert page.share < THRESHOLDS.page_share, f"{doc}: clean page fails ({page})"
    flagged = sum(e.score >= THRESHOLDS.sentence for e in evidence)
    # measured: 14 of 186 (7.5%) — news prose is where the check is weakest (README, "Fluency")
    assert flagged / len(sentences) <= 0.10, f"{flagged} of {len(sentences)} clean seed sentences flagged"


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
    failing = [doc for doc, evs in by_page.items() if decide_document(evs)[0].share >= THRESHOLDS.page_share]
    assert not failing, f"clean man pages fail: {failing}"
    flagged = sum(e.score >= THRESHOLDS.sentence for e in evidence)
    # measured: 24 of 1,101 (2.2%)
    assert flagged / len(sentences) <= 0.03, f"{flagged} of {len(sentences)} man-page sentences flagged"


def test_batch_and_single_scores_agree(scorer, spun):
    sentences, evidence = spun
    fresh = FluencyScorer()
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
    with pytest.raises(ConfigurationError, match="max_candidates"):
        FluencyConfig(max_candidates=0)


def test_wordnet_reader_on_the_real_database(scorer):
    from pipeline.fluency import find_wordnet

    synsets = read_wordnet_synsets(find_wordnet(FluencyConfig()), "@")
    assert len(synsets) > 110_000
    assert any(pos == "n" and "lobby" in lemmas and "foyer" in lemmas for pos, lemmas, _ in synsets)
    # a hypernym: the spinner's "holding conferences" for "holding meetings"
    assert any("conference" in lemmas and "meeting" in related for _, lemmas, related in synsets)
