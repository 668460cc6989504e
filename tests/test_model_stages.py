"""The model stages with real (tiny) models built offline and installed the way users install them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import polars as pl
import pytest

from .conftest import DEMO, ROOT, TQA, run_audit, write_config

pytest.importorskip("ctranslate2")
pytest.importorskip("comet")
tiny = pytest.importorskip("tests.fixtures.tiny_models")


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    return tiny.build_all(tmp_path_factory.mktemp("tiny-models"))


@pytest.fixture(scope="module")
def models_cfg(tmp_path_factory, tiny_models):
    """A luigi.cfg naming a fresh models folder, with the tiny models installed by `tqa models install --from`."""
    base = tmp_path_factory.mktemp("models-home")
    cfg = base / "models.cfg"
    write_config(cfg, {"models": {"dir": base / "models", "device": "cpu", "threads": 1}})
    env = {**os.environ, "LUIGI_CONFIG_PATH": str(cfg)}
    for source in ("argos_package", "comet_ref"):
        proc = subprocess.run([*TQA, "models", "install", "--from", str(tiny_models[source])], capture_output=True,
                              text=True, cwd=ROOT, env=env)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.startswith("installed ")
    proc = subprocess.run([*TQA, "models", "check", "--corpus", str(DEMO)], capture_output=True, text=True, cwd=ROOT,
                          env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ok       backtranslate sv→en" in proc.stdout and "ok       comet" in proc.stdout
    return {"env": env, "dir": base / "models"}


@pytest.fixture(scope="module")
def paired_corpus(tmp_path_factory):
    """English seed articles with Swedish translations of their opening paragraphs."""
    corpus = tmp_path_factory.mktemp("paired")
    (corpus / "en").mkdir()
    (corpus / "sv").mkdir()
    pairs = tiny.SV_EN[:24]
    (corpus / "en" / "guide.txt").write_text("Guide\n\n" + "\n\n".join(en for _, en in pairs) + "\n",
                                             encoding="utf-8")
    (corpus / "sv" / "guide.txt").write_text("Guide\n\n" + "\n\n".join(sv for sv, _ in pairs) + "\n",
                                             encoding="utf-8")
    (corpus / "manifest.csv").write_text("path,lang,original\nen/guide.txt,en,\nsv/guide.txt,sv,en/guide.txt\n",
                                         encoding="utf-8")
    return corpus


def _apply(luigi_overrides, models_cfg):
    luigi_overrides({"models": {"dir": models_cfg["dir"], "device": "cpu", "threads": 1}})


def test_model_stages_fill_their_columns_and_cache(paired_corpus, models_cfg, luigi_overrides, tmp_path):
    from pipeline.models import model_calls

    _apply(luigi_overrides, models_cfg)
    before = model_calls()
    first = run_audit(paired_corpus, tmp_path / "first")
    assert first.ok
    summary = first.summary
    assert summary["stages"]["backtranslate"] == "ran" and summary["stages"]["comet"] == "ran"
    sv = first.segments.filter((pl.col("doc_path") == "sv/guide.txt") & (pl.col("block") != "boilerplate")
                               & pl.col("text").is_not_null())
    assert sv.height >= 20
    assert sv["backtranslation"].null_count() == 0
    assert sv.filter(pl.col("align_group").is_not_null())["comet"].null_count() == 0
    assert sv["chrf"].null_count() == 0  # back-translations make the lexical scores meaningful
    art = first.articles.filter(pl.col("doc_path") == "sv/guide.txt")
    assert art["comet"][0] is not None and art["chrf"][0] is not None
    calls = model_calls() - before
    assert calls >= 2  # one translate batch, one COMET predict
    second = run_audit(paired_corpus, tmp_path / "second")  # a new report: every task runs again
    assert second.ok and "BackTranslate" in second.ran and "CometCorpus" in second.ran
    assert model_calls() - before == calls, "a re-run must take every translation and score from the cache"
    assert second.segments.equals(first.segments)


def test_unpaired_swedish_page_gets_back_translations(models_cfg, luigi_overrides, demo_copy, tmp_path):
    _apply(luigi_overrides, models_cfg)
    run = run_audit(demo_copy, tmp_path / "report")
    assert run.summary["stages"]["backtranslate"] == "ran"
    sv = run.segments.filter((pl.col("doc_path") == "002_bab40216f2bcde20.txt") & (pl.col("block") != "boilerplate"))
    assert sv["backtranslation"].null_count() == 0
    # COMET never clears a language flag: the untranslated body stays flagged
    assert sv.filter(pl.col("flags").list.contains("untranslated")).height / sv.height >= 0.8


def test_without_models_the_stages_say_how_to_enable_them(tmp_path, demo_copy):
    cfg = tmp_path / "none.cfg"
    write_config(cfg, {"models": {"dir": tmp_path / "empty"}})
    env = {**os.environ, "LUIGI_CONFIG_PATH": str(cfg)}
    proc = subprocess.run([*TQA, "models", "check", "--corpus", str(demo_copy)], capture_output=True, text=True,
                          cwd=ROOT, env=env)
    assert proc.returncode == 1 and "MISSING  backtranslate sv→en" in proc.stdout and "make models" in proc.stdout
    proc = subprocess.run([*TQA, "audit", str(demo_copy), "--out", str(tmp_path / "r"), "--require-models"],
                          capture_output=True, text=True, cwd=ROOT, env=env)
    assert proc.returncode == 1 and "--require-models" in proc.stderr and not (tmp_path / "r").exists()
    proc = subprocess.run([*TQA, "audit", str(demo_copy), "--out", str(tmp_path / "r")], capture_output=True,
                          text=True, cwd=ROOT, env=env)
    assert proc.returncode == 0
    assert "stage backtranslate: skipped:" in proc.stdout and "make models" in proc.stdout
    summary = json.loads((tmp_path / "r" / "summary.json").read_text(encoding="utf-8"))
    assert summary["stages"]["comet"].startswith("skipped: ") and "make models" in summary["stages"]["comet"]
    page = (tmp_path / "r" / "index.html").read_text(encoding="utf-8")
    assert "make models" in page
    segs = pl.read_parquet(tmp_path / "r" / "segments.parquet")
    assert segs["comet"].null_count() == segs.height and segs["backtranslation"].null_count() == segs.height


def test_translations_do_not_depend_on_batching_and_the_cache_returns_them(tiny_models, tmp_path):
    from pipeline.backtranslate import ArgosBackTranslator, back_translate, install_package_file
    from pipeline.cache import ModelCache

    pkg = install_package_file(tiny_models["argos_package"], tmp_path / "argos")
    texts = [sv for sv, _ in tiny.SV_EN[:30]]
    one = ArgosBackTranslator(pkg, "cpu", threads=1, batch_size=1).translate(texts)
    many = ArgosBackTranslator(pkg, "cpu", threads=1, batch_size=64)
    assert many.translate(texts) == one
    assert many.translate(texts[::-1]) == one[::-1]
    cache = ModelCache(tmp_path / "cache.sqlite")
    first = back_translate(texts + texts[:5], many, cache)
    calls = many.model_calls
    second = back_translate(texts, many, ModelCache(tmp_path / "cache.sqlite"))
    assert many.model_calls == calls and second == {t: first[t] for t in texts}
    assert [first[t] for t in texts] == one


def test_comet_scores_do_not_depend_on_batch_size(tiny_models, tmp_path):
    from pipeline.cache import ModelCache
    from pipeline.comet_score import CometScorer, comet_scores, read_comet_model
    from pipeline.config import ModelsConfig
    from pipeline.models import install_from_path

    cfg = ModelsConfig(dir=str(tmp_path / "models"))
    install_from_path(tiny_models["comet_ref"], cfg)
    shutil.rmtree(tiny_models["xlmr"].parent / "moved-away", ignore_errors=True)
    model = read_comet_model(cfg.comet_dir / tiny_models["comet_ref"].name)
    items = [{"src": sv, "mt": en, "ref": en} for sv, en in tiny.SV_EN[:20]]
    a = CometScorer(model, "cpu", batch_size=1).predict(items)
    b = CometScorer(model, "cpu", batch_size=8).predict(items)
    assert len(a) == len(b) == 20 and max(abs(x - y) for x, y in zip(a, b, strict=True)) < 1e-5
    cache = ModelCache(tmp_path / "c.sqlite")
    scorer = CometScorer(model, "cpu", batch_size=8)
    first = comet_scores(items, scorer, cache)
    again = comet_scores(items, scorer, cache)
    assert scorer.model_calls == 1 and again == first


def test_installing_a_model_reruns_the_model_stages(tiny_models, paired_corpus, luigi_overrides, tmp_path):
    from pipeline.config import ModelsConfig
    from pipeline.models import install_from_path

    models_dir = tmp_path / "models"
    luigi_overrides({"models": {"dir": models_dir, "device": "cpu", "threads": 1}})
    out = tmp_path / "report"
    before = run_audit(paired_corpus, out)
    assert before.summary["stages"]["backtranslate"].startswith("skipped: ")
    install_from_path(tiny_models["argos_package"], ModelsConfig(dir=str(models_dir)))
    after = run_audit(paired_corpus, out)  # same corpus, same report folder
    assert "BackTranslate" in after.ran and after.summary["stages"]["backtranslate"] == "ran"
    sv = after.segments.filter((pl.col("doc_path") == "sv/guide.txt") & pl.col("text").is_not_null()
                               & (pl.col("block") != "boilerplate"))
    assert sv["backtranslation"].null_count() == 0
