"""The fluency check's causal-language-model backend (pipeline/fluency_lm.py, ``[models] fluency_model``).

No real pretrained model can be had offline, so the real loading path runs on a tiny GPT-2 that the
fixture trains here (tests/fixtures/tiny_models.py ``build_causal_lm``: a byte-level BPE tokenizer and a
2-layer GPT-2, 300 steps) on real English: the sentences of Debian's English man pages
(tests/fixtures/english_text.py). Such a model knows man-page English and nothing else, so the tests
assert the mechanism — it loads as a real model folder does, it prefers the usual phrase of its
text over a thesaurus substitution, its evidence has the n-gram backend's shape, the audit runs with
it, a bad folder stops the run — never accuracy figures.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import polars as pl
import pytest

from pipeline.fluency import (
    FluencyConfig,
    FluencyEvidence,
    FluencyScorer,
    FluencyThresholds,
    SuspectPhrase,
    decide,
    fluency_availability,
    load_resources,
)
from tests.fixtures import english_text as et

from .conftest import DEMO, ROOT, TEST_CACHE, TQA, write_config

pytest.importorskip("torch")
pytest.importorskip("transformers")
tiny = pytest.importorskip("tests.fixtures.tiny_models")

RESOURCES = str(TEST_CACHE / "resources")  # WordNet and the compiled thesaurus, as the audits of the suite use
THRESHOLDS = FluencyThresholds()

#: (usual phrase of the man pages, the word a spinner replaces, its thesaurus neighbour that WordNet maps back)
SPINS = [("standard input", "standard", "criterion"), ("translation bugs", "bugs", "glitches"),
         ("long options", "options", "choices"), ("read standard input", "read", "scan"),
         ("number of", "number", "amount")]


@pytest.fixture(scope="module", autouse=True)
def _torch_threads_restored():
    """The scorers here run the model on one thread (``lm_threads=1``, which sets torch's process-wide
    count, as a scoring process does); the modules tested after this one get the count back."""
    import torch

    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def man_sentences(tmp_path_factory) -> list[et.Sentence]:
    from tests.fixtures.bilingual import CorpusUnavailable

    try:
        corpus = et.build_man_corpus(tmp_path_factory.mktemp("man-lm") / "corpus")
    except CorpusUnavailable as exc:
        pytest.skip(str(exc))
    sentences = et.man_sentences(corpus)
    assert len(sentences) > 1000
    return sentences


@pytest.fixture(scope="module")
def tiny_lm(tmp_path_factory, man_sentences) -> Path:
    why = fluency_availability("en", FluencyConfig(cache_dir=RESOURCES))
    if why is not None:
        pytest.skip(f"fluency resources missing: {why}")
    return tiny.build_causal_lm(tmp_path_factory.mktemp("tiny-lm"), [s.text for s in man_sentences])


@pytest.fixture(scope="module")
def lm_scorer(tiny_lm) -> FluencyScorer:
    return FluencyScorer(cfg=FluencyConfig(cache_dir=RESOURCES, lm_model=str(tiny_lm), lm_threads=1))


@pytest.fixture(scope="module")
def ngram_scorer(tiny_lm) -> FluencyScorer:
    return FluencyScorer(cfg=FluencyConfig(cache_dir=RESOURCES))


def _first_with(sentences: list[et.Sentence], phrase: str) -> str:
    for s in sentences:
        if re.search(rf"\b{re.escape(phrase)}\b", s.text):
            return s.text
    raise AssertionError(f"no man-page sentence holds {phrase!r}")


def test_the_tiny_model_loads_as_a_model_folder_and_learnt_its_text(tiny_lm, man_sentences):
    from pipeline.fluency_lm import PROBE, folder_problem, load_causal_lm, model_checksum, preflight

    assert folder_problem(tiny_lm) is None
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= {p.name for p in tiny_lm.iterdir()}
    info = preflight(tiny_lm, "cpu")  # a fresh process: AutoTokenizer + AutoModelForCausalLM, then a probe
    assert (info.model_type, info.architecture, info.device) == ("gpt2", "GPT2LMHeadModel", "cpu")
    assert info.vocab_size == tiny.LM_VOCAB_SIZE and info.max_length == tiny.LM_MAX_TOKENS
    assert info.checksum == model_checksum(tiny_lm) and 50_000 < info.parameters < 500_000
    lm = load_causal_lm(tiny_lm, "cpu", 1)
    assert type(lm.model).__name__ == "GPT2LMHeadModel" and lm.tokenizer.is_fast
    ids, positions = lm.encode([PROBE])[0]
    assert len(ids) == len(positions) and positions == sorted(positions) and positions[-1] == len(PROBE) - 1
    # real sentences of its training text are far more likely than the same words shuffled
    rng = random.Random(3)
    texts = [s.text for s in man_sentences if len(s.text.split()) >= 6][:60]
    shuffled = []
    for t in texts:
        words = t.split()
        rng.shuffle(words)
        shuffled.append(" ".join(words))
    scores = lm.token_logprobs([ids for ids, _ in lm.encode(texts + shuffled)])
    assert len(scores) == 2 * len(texts)
    assert all(v <= 0.0 for row in scores for v in row)
    better = sum(sum(a) > sum(b) for a, b in zip(scores[:len(texts)], scores[len(texts):], strict=True))
    assert better >= 0.9 * len(texts), f"{better} of {len(texts)}"


def test_an_implausible_substitution_scores_higher_than_the_sentence_as_written(lm_scorer, man_sentences):
    for phrase, word, spin in SPINS:
        text = _first_with(man_sentences, phrase)
        spun = re.sub(rf"\b{word}\b", spin, text, count=1)
        assert spun != text
        written, rewritten = lm_scorer.score([text, spun])
        assert decide(written, THRESHOLDS.sentence) is None, written  # the man page as written is not spun
        assert rewritten.score > written.score, (text, written, rewritten)
        assert rewritten.score >= THRESHOLDS.sentence, rewritten
        undo = [p for p in rewritten.phrases if (p.replaced, p.replacement) == (spin, word)]
        assert undo, f"{spun!r}: no phrase undoes {spin!r} ({rewritten.phrases})"
        p = undo[0]
        assert spun[p.start:p.end] == p.phrase and p.phrase.startswith(spin) and p.usual.startswith(word)
        reason = decide(rewritten, THRESHOLDS.sentence)
        assert reason is not None and "— usual: ‘" in reason


def test_the_evidence_has_the_ngram_backends_shape(lm_scorer, ngram_scorer, man_sentences):
    texts = [s.text for s in et.spun_sentences()] + [s.text for s in man_sentences[::25]]
    lm_ev, ng_ev = lm_scorer.score(texts), ngram_scorer.score(texts)
    assert len(lm_ev) == len(ng_ev) == len(texts)
    res = load_resources("en", lm_scorer.cfg)
    floor = lm_scorer.cfg.min_log10_ratio
    differs = 0
    for text, lm, ng in zip(texts, lm_ev, ng_ev, strict=True):
        assert type(lm) is type(ng) is FluencyEvidence
        assert (lm.text, lm.lang) == (ng.text, ng.lang) == (text, "en")
        assert isinstance(lm.n_words, int) and lm.n_words >= ng.n_words  # the LM knows every word
        assert lm.score == (round(lm.phrases[0].log10_ratio, 3) if lm.phrases else 0.0)
        ratios = [p.log10_ratio for p in lm.phrases]
        assert ratios == sorted(ratios, reverse=True) and all(r >= floor for r in ratios)
        for k, p in enumerate(lm.phrases):
            assert type(p) is SuspectPhrase and text[p.start:p.end] == p.phrase
            assert p.phrase.startswith(p.replaced) and p.usual.startswith(p.replacement) and p.usual != p.phrase
            key = p.replaced.lower().replace("’", "'")
            assert p.replacement.lower() in {a for a, _ in res.alternatives(key)}, p  # the thesaurus' candidate
            assert all(p.end <= q.start or p.start >= q.end for q in lm.phrases[:k])
        differs += (lm.score, lm.phrases) != (ng.score, ng.phrases)
    assert differs >= len(texts) // 4, "the LM backend must be another measurement, not the n-gram's"


def test_batching_does_not_change_the_evidence_and_the_model_cache_returns_it(lm_scorer, man_sentences, tmp_path):
    from pipeline.fluency_lm import CACHE_KIND, LMFluencyScorer

    texts = [s.text for s in man_sentences[3::40]][:24]
    texts.append(re.sub(r"\bstandard\b", "criterion", _first_with(man_sentences, "standard input"), count=1))
    lm = lm_scorer.lm_scorer().lm
    together = LMFluencyScorer(lm_scorer, lm).score(texts)
    alone = [LMFluencyScorer(lm_scorer, lm).score([t])[0] for t in texts]
    reordered = LMFluencyScorer(lm_scorer, lm).score(texts[::-1])[::-1]
    for a, b, c in zip(together, alone, reordered, strict=True):
        for other in (b, c):
            assert [(p.start, p.end, p.usual) for p in a.phrases] == [(p.start, p.end, p.usual) for p in other.phrases]
            assert a.score == pytest.approx(other.score, abs=2e-3) and a.n_words == other.n_words
    cfg = dataclasses.replace(lm_scorer.cfg, lm_cache=str(tmp_path / "cache.sqlite"))
    before = lm.model_calls
    scored = FluencyScorer(cfg=cfg).score(texts)
    calls = lm.model_calls
    assert calls > before
    again = FluencyScorer(cfg=cfg).score(texts)  # a new scorer (a new process, a re-run): the cache answers
    assert lm.model_calls == calls, "every evidence must come from the model cache"
    assert again == scored
    with sqlite3.connect(tmp_path / "cache.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM outputs WHERE kind = ?", (CACHE_KIND,)).fetchone()[0] == len(set(texts))


def test_the_model_is_part_of_the_scoring_digest(tiny_lm, tmp_path):
    from safetensors.torch import load_file, save_file

    from pipeline.config import ModelsConfig
    from pipeline.resources import FluencyModel, ResourcesConfig, fluency_signature, signature, with_fluency_model
    from pipeline.settings import describe

    base = ResourcesConfig(dir=RESOURCES)
    assert with_fluency_model(base, ModelsConfig()) is base  # the n-gram model stays the default
    copy, changed = tmp_path / "copy", tmp_path / "changed"
    shutil.copytree(tiny_lm, copy)
    shutil.copytree(tiny_lm, changed)
    weights = load_file(str(changed / "model.safetensors"))
    name = min(weights)
    weights[name] = weights[name] * 1.01
    save_file(weights, str(changed / "model.safetensors"), metadata={"format": "pt"})

    def with_model(folder: Path) -> ResourcesConfig:
        return dataclasses.replace(base, fluency_model=FluencyModel(str(folder), "cpu"))

    sig = {key: fluency_signature(cfg) for key, cfg in
           (("none", base), ("lm", with_model(tiny_lm)), ("copy", with_model(copy)), ("changed", with_model(changed)))}
    assert sig["none"] != sig["lm"] and sig["lm"].startswith(sig["none"])
    assert sig["copy"] == sig["lm"], "the same model's content is the same model"
    assert sig["changed"] != sig["lm"], "changed weights must re-run the scoring"
    assert signature(("en",), with_model(tiny_lm)) != signature(("en",), base)
    assert f"FluencyModel({tiny_lm}, cpu)" in describe(with_model(tiny_lm))  # the [lexicons] part of the digests
    models = ModelsConfig(dir=str(tmp_path / "models"), fluency_model=str(tiny_lm), device="cpu", threads=1)
    carried = with_fluency_model(base, models)
    assert carried.fluency_model == FluencyModel(str(tiny_lm.resolve()), "cpu", 1, str(models.cache_path))


def _tqa(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([*TQA, *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=600,
                          check=False)


def test_audit_with_the_model_installed_listed_checked_and_used(tiny_lm, lm_scorer, ngram_scorer, tmp_path):
    from pipeline.fluency_lm import CACHE_KIND

    models = tmp_path / "models"
    env = {**os.environ, "LUIGI_CONFIG_PATH": str(write_config(tmp_path / "install.cfg", {"models": {
        "dir": models, "device": "cpu", "threads": 1}}))}
    proc = _tqa("models", "install", "--from", str(tiny_lm), env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("installed causal language model tiny-gpt2 in ") and "fluency_model = tiny-gpt2" \
        in proc.stdout
    installed = models / "lm" / "tiny-gpt2"
    assert (installed / "model.safetensors").is_file()
    env["LUIGI_CONFIG_PATH"] = str(write_config(tmp_path / "lm.cfg", {"models": {
        "dir": models, "fluency_model": "tiny-gpt2", "device": "cpu", "threads": 1}}))
    listed = _tqa("models", "list", env=env)
    assert listed.returncode == 0, listed.stderr
    assert f"tiny-gpt2  gpt2 (GPT2LMHeadModel)  {installed}" in listed.stdout
    assert f"  fluency: {installed} (causal language model" in listed.stdout
    checked = _tqa("models", "check", env=env)  # exit 1: no translation or COMET model here
    assert f"ok       fluency: {installed} (blake2b " in checked.stdout, checked.stdout + checked.stderr
    assert "gpt2 (GPT2LMHeadModel, " in checked.stdout

    out = tmp_path / "report"
    proc = _tqa("audit", str(DEMO), "--out", str(out), env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["stages"]["fluency"] == "ran"
    segments = pl.read_parquet(out / "segments.parquet")
    stored = {}
    for text, evidence in segments.select("text", "evidence").iter_rows():
        ev = json.loads(evidence).get("fluency") if evidence else None
        if ev is not None:
            stored[text] = ev
    assert len(stored) >= 100
    # a third of them, scored again here with the folder the installed copy came from: the same evidence
    texts = sorted(stored)[::3]
    here, ngram = lm_scorer.score(texts), ngram_scorer.score(texts)
    for text, lm in zip(texts, here, strict=True):
        assert stored[text]["score"] == pytest.approx(lm.score, abs=2e-3), text
        assert [p[:4] for p in stored[text]["phrases"]] == [[p.start, p.end, p.phrase, p.usual]
                                                            for p in lm.phrases[:8]], text
    assert sum(stored[t]["score"] != pytest.approx(n.score, abs=2e-3) for t, n in zip(texts, ngram, strict=True)) \
        >= len(texts) // 4, "the audit's evidence must be the LM's, not the n-gram model's"
    assert segments.filter(pl.col("flags").list.contains("spun")).height > 0  # the detector judged it
    with sqlite3.connect(models / "cache.sqlite") as db:  # [models] cache: a re-run scores only new sentences
        assert db.execute("SELECT COUNT(*) FROM outputs WHERE kind = ?", (CACHE_KIND,)).fetchone()[0] >= len(stored)


def test_a_bad_folder_is_one_configuration_error_naming_the_key(tiny_lm, tmp_path):
    broken = tmp_path / "broken-lm"
    shutil.copytree(tiny_lm, broken)
    (broken / "model.safetensors").write_bytes(b"not weights")
    expected = {tmp_path / "no-such-model": "no such folder", broken: "not a causal language model that loads",
                tmp_path: "no config.json"}
    for folder, problem in expected.items():
        env = {**os.environ, "LUIGI_CONFIG_PATH": str(write_config(tmp_path / "bad.cfg", {"models": {
            "dir": tmp_path / "models", "fluency_model": folder, "device": "cpu"}}))}
        out = tmp_path / "report"
        proc = _tqa("audit", str(DEMO), "--out", str(out), env=env)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1, proc.stderr
        assert lines[0].startswith(f"tqa: configuration error: [models] fluency_model = '{folder}': "), lines[0]
        assert str(folder) in lines[0].split("': ", 1)[1] and problem in lines[0], lines[0]
        assert not out.exists(), "nothing may run before the configuration is checked"
