"""The tiny offline models of tests/fixtures/tiny_models.py: deterministic, loadable, batch-invariant."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("sentencepiece")

from tests.fixtures import tiny_models as tm

ROOT = Path(__file__).resolve().parent.parent
SOURCES = tm.SV_SENTENCES[:20]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The Argos package (needs no COMET)."""
    pytest.importorskip("ctranslate2")
    return tm.build_all(tmp_path_factory.mktemp("tiny-argos"), comet=False)


@pytest.fixture(scope="module")
def comet_mod():
    tm.quiet_comet()
    return pytest.importorskip("comet")


@pytest.fixture(scope="module")
def comet_built(comet_mod, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return tm.build_all(tmp_path_factory.mktemp("tiny-comet"), argos=False)


@pytest.fixture(scope="module")
def package_dir(built, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tm.extract_argos_package(built["argos_package"], tmp_path_factory.mktemp("argos-extract"))


@pytest.fixture(scope="module")
def mt(package_dir):
    import ctranslate2
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=str(package_dir / "sentencepiece.model"))
    translator = ctranslate2.Translator(str(package_dir / "model"), device="cpu", inter_threads=1,
                                        intra_threads=1, compute_type="float32")
    return sp, translator


def _translate(mt, sentences: list[str], **kwargs) -> list[tuple[str, ...]]:
    sp, translator = mt
    tokens = [sp.encode(s, out_type=str) for s in sentences]
    return [tuple(r.hypotheses[0]) for r in translator.translate_batch(tokens, **kwargs)]


# --------------------------------------------------------------------------- builder


def _tree_bytes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _comet_state(model_dir: Path) -> tuple[dict, dict]:
    import torch

    ckpt = torch.load(tm.comet_checkpoint(model_dir), map_location="cpu", weights_only=True)
    hparams = dict(ckpt["hyper_parameters"])
    hparams.pop("pretrained_model")
    return ckpt["state_dict"], hparams


def test_argos_builder_is_deterministic(built, tmp_path: Path) -> None:
    again = tm.build_all(tmp_path / "again", comet=False)
    assert built["argos_package"].read_bytes() == again["argos_package"].read_bytes()


def test_comet_builder_is_deterministic(comet_built, tmp_path: Path) -> None:
    import torch

    built = comet_built
    again = tm.build_all(tmp_path / "again", argos=False)
    assert _tree_bytes(built["xlmr"]) == _tree_bytes(again["xlmr"])
    for key in ("comet_ref", "comet_qe"):
        # hparams.yaml and the checkpoint record the (absolute) encoder path; all else is equal
        (state_a, hp_a), (state_b, hp_b) = _comet_state(built[key]), _comet_state(again[key])
        assert hp_a == hp_b
        assert state_a.keys() == state_b.keys()
        assert all(torch.equal(state_a[k], state_b[k]) for k in state_a)


def test_argos_package_layout(built) -> None:
    with zipfile.ZipFile(built["argos_package"]) as zf:
        names = zf.namelist()
        assert {n.split("/", 1)[0] for n in names} == {tm.PACKAGE_NAME}
        for required in ("metadata.json", "sentencepiece.model", "model/model.bin", "model/config.json",
                         "model/shared_vocabulary.json"):
            assert f"{tm.PACKAGE_NAME}/{required}" in names
        meta = json.loads(zf.read(f"{tm.PACKAGE_NAME}/metadata.json"))
    assert (meta["from_code"], meta["to_code"], meta["type"]) == ("sv", "en", "translate")
    assert meta["package_version"] and meta["argos_version"] and meta["from_name"] and meta["to_name"]
    assert built["argos_package"].stat().st_size < 1_000_000


def test_sentencepiece_covers_swedish(package_dir) -> None:
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=str(package_dir / "sentencepiece.model"))
    assert 200 <= sp.get_piece_size() <= 500
    for sentence in tm.SV_SENTENCES:
        assert sp.unk_id() not in sp.encode(sentence)
        assert sp.decode(sp.encode(sentence)) == sentence


# --------------------------------------------------------------------------- translation


def test_ctranslate2_translates_and_stops_early(mt) -> None:
    sp, _ = mt
    for beam in (1, 4):
        out = _translate(mt, tm.SV_SENTENCES, beam_size=beam, max_batch_size=64)
        assert len(out) == len(tm.SV_SENTENCES)
        assert all(0 < len(tokens) < 64 for tokens in out), [len(t) for t in out]
        assert all(isinstance(sp.decode_pieces(list(tokens)), str) for tokens in out)
        assert len(set(out)) > len(out) // 3  # output depends on the input


@pytest.mark.parametrize("compute_type", ["float32", "auto"])
@pytest.mark.parametrize("beam_size", [1, 4])
def test_translation_is_batch_invariant(package_dir, beam_size: int, compute_type: str) -> None:
    # "auto" is Argos' default: int8_float32 on most CPUs, so its output differs from float32's
    import ctranslate2
    import sentencepiece as spm

    mt = (spm.SentencePieceProcessor(model_file=str(package_dir / "sentencepiece.model")),
          ctranslate2.Translator(str(package_dir / "model"), device="cpu", compute_type=compute_type))
    reference = _translate(mt, SOURCES, beam_size=beam_size, max_batch_size=1)
    assert _translate(mt, SOURCES, beam_size=beam_size, max_batch_size=16) == reference
    assert _translate(mt, SOURCES, beam_size=beam_size, max_batch_size=64, batch_type="tokens") == reference
    order = list(range(len(SOURCES)))
    random.Random(tm.SEED).shuffle(order)
    shuffled = _translate(mt, [SOURCES[i] for i in order], beam_size=beam_size, max_batch_size=16)
    assert [shuffled[order.index(i)] for i in range(len(SOURCES))] == reference


ARGOS_SCRIPT = textwrap.dedent("""
    import json, sys
    import argostranslate.package as package
    import argostranslate.settings as settings
    import argostranslate.translate as translate

    assert str(settings.package_data_dir).startswith(sys.argv[2]), settings.package_data_dir
    package.install_from_path(sys.argv[1])
    installed = package.get_installed_packages()
    translation = translate.get_translation_from_codes("sv", "en")
    assert translation is not None
    # Argos splits sentences with MiniSBD, which downloads a model on first use: bypass it.
    translation.underlying.sentencizer.split_sentences = lambda text: [text]
    out = translation.translate("Vi planerar inte att lämna landet.")
    print(json.dumps({"packages": [[p.from_code, p.to_code, p.package_path.name] for p in installed],
                      "translation": out}))
""")


def test_argostranslate_installs_and_loads_offline(built, tmp_path: Path) -> None:
    pytest.importorskip("argostranslate")
    env = dict(os.environ)
    # argostranslate reads these at import time: a fresh process keeps the user's folders untouched
    for key in [k for k in env if k.startswith("ARGOS_")]:
        del env[key]
    base = tmp_path / "argos"
    tm.argos_env(base, env)
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", ARGOS_SCRIPT, str(built["argos_package"]), str(base)],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["packages"] == [["sv", "en", tm.PACKAGE_NAME]]
    assert isinstance(result["translation"], str)
    assert (base / "data" / "argos-translate" / "packages" / tm.PACKAGE_NAME / "model" / "model.bin").is_file()


# --------------------------------------------------------------------------- COMET


def _ref_samples() -> list[dict[str, str]]:
    return [{"src": sv, "mt": en.upper() if i % 3 else en, "ref": en} for i, (sv, en) in enumerate(tm.SV_EN[:24])]


def _qe_samples() -> list[dict[str, str]]:
    return [{"src": sv, "mt": en if i % 2 else sv} for i, (sv, en) in enumerate(tm.SV_EN[:24])]


@pytest.mark.parametrize("kind", ["ref", "qe"])
def test_comet_predict_is_batch_invariant(comet_built, kind: str) -> None:
    model = tm.load_comet(comet_built[f"comet_{kind}"])
    samples = _ref_samples() if kind == "ref" else _qe_samples()
    assert model.requires_references() == (kind == "ref")
    one = model.predict(samples, batch_size=1, gpus=0, progress_bar=False).scores
    eight = model.predict(samples, batch_size=8, gpus=0, progress_bar=False).scores
    assert len(one) == len(samples)
    assert all(0.0 <= s <= 1.0 for s in one)
    assert max(one) - min(one) > 1e-3  # scores depend on the input
    assert one == pytest.approx(eight, abs=1e-5)


def test_comet_loads_with_comets_own_loader(comet_built, comet_mod) -> None:
    model = comet_mod.load_from_checkpoint(str(comet_built["comet_ref_ckpt"]))
    ours = tm.load_comet(comet_built["comet_ref"])
    samples = _ref_samples()[:4]
    assert model.predict(samples, batch_size=4, gpus=0, progress_bar=False).scores == pytest.approx(
        ours.predict(samples, batch_size=4, gpus=0, progress_bar=False).scores, abs=1e-6)


def test_comet_checkpoint_survives_a_move(comet_mod, tmp_path: Path) -> None:
    first = tmp_path / "first"
    encoder = tm.build_xlmr_encoder(first)
    tm.build_comet_checkpoint(first, encoder, "ref")
    moved = tmp_path / "moved"
    shutil.move(str(first), str(moved))
    model_dir, ckpt = moved / tm.COMET_REF_DIR, tm.comet_checkpoint(moved / tm.COMET_REF_DIR)
    samples = _ref_samples()[:4]

    with pytest.raises(OSError, match="Can.t load tokenizer"):  # the stored encoder path is gone
        comet_mod.load_from_checkpoint(str(ckpt))

    expected = tm.load_comet(model_dir).predict(samples, batch_size=4, gpus=0, progress_bar=False).scores
    tm.relocate_comet(model_dir, moved / tm.ENCODER_DIR)
    with pytest.raises(OSError):  # hparams.yaml is ignored unless reload_hparams=True
        comet_mod.load_from_checkpoint(str(ckpt))
    model = comet_mod.load_from_checkpoint(str(ckpt), reload_hparams=True)
    assert model.predict(samples, batch_size=4, gpus=0, progress_bar=False).scores == pytest.approx(expected, abs=1e-6)
