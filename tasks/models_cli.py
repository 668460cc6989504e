"""``tqa models list | check | install`` — the user's view of the model stages."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline import embed
from pipeline.errors import ModelUnavailable
from pipeline.models import ENABLE_COMMAND, argos_package, comet_model, install_from_network, install_from_path
from pipeline.models import inventory as model_inventory

from . import config as cfg

#: What a loaded translation model is asked to translate to show that it works, by source language.
PROBES = {"sv": "Hej.", "da": "Hej.", "nb": "Hei.", "de": "Hallo.", "nl": "Hallo.", "fr": "Bonjour.",
          "es": "Hola.", "it": "Ciao.", "pt": "Olá.", "fi": "Hei.", "pl": "Cześć.", "ru": "Привет.",
          "ja": "こんにちは。", "zh": "你好。", "ko": "안녕하세요."}
NEUTRAL_PROBE = "1, 2, 3."  # any language: digits and punctuation


def _targets(configs: dict, extra_langs: set[str]) -> list[tuple[str, str]]:
    """Language pairs to back-translate: the configured and the corpus's languages into the source language."""
    source = configs["tqa"].source_lang
    langs = set(configs["langid"].languages) | extra_langs
    return [(lang, source) for lang in sorted(langs - {source})]


def _corpus_langs(corpus: str | None) -> set[str]:
    if not corpus:
        return set()
    from .audit import snapshot

    return snapshot(corpus).manifest_languages


def models(args: argparse.Namespace) -> int:
    configs = cfg.all_configs()
    mcfg = configs["models"]
    if args.models_command == "list":
        inv = model_inventory(mcfg)
        print(f"models folder: {mcfg.root}")
        print(f"Argos Translate packages ({mcfg.argos_dir}):" + ("" if inv.argos else " none"))
        for p in inv.argos:
            print(f"  {p.from_code}→{p.to_code}  version {p.version or '?'}  {p.path}")
        print(f"COMET models ({mcfg.comet_dir}):" + ("" if inv.comet else " none"))
        for m in inv.comet:
            kind = "reference-free (QE)" if m.reference_free else "reference-based"
            print(f"  {m.path.name}  {kind}  {m.path}  encoder {m.encoder or m.hparams.get('pretrained_model')}")
        lms = _installed_lms(mcfg)
        print(f"causal language models ({mcfg.root / 'lm'}):" + ("" if lms else " none"))
        for folder, kind in lms:
            print(f"  {folder.name}  {kind}  {folder}")
        print("stages would use:")
        for from_code, to_code in _targets(configs, set()):
            try:
                print(f"  backtranslate {from_code}→{to_code}: {argos_package(mcfg, from_code, to_code).path}")
            except ModelUnavailable as exc:
                print(f"  backtranslate {from_code}→{to_code}: none ({exc})")
        for free in (False, True):
            name = "comet (QE)" if free else "comet"
            try:
                print(f"  {name}: {comet_model(mcfg, free).path}")
            except ModelUnavailable as exc:
                print(f"  {name}: none ({exc})")
        print(f"  fluency: {_fluency_backend(configs)}")
        print(f"  embeddings: {embed.describe(configs['lexicons'].embeddings)}")
        return 0
    if args.models_command == "check":
        return 0 if check_models(configs, _corpus_langs(args.corpus)) else 1
    try:
        if args.source and _is_causal_lm(Path(args.source)):
            from pipeline.fluency_lm import install_causal_lm

            dest = install_causal_lm(Path(args.source), mcfg.root / "lm")
            print(f"installed causal language model {dest.name} in {dest}; the fluency check uses it with "
                  f"[models] fluency_model = {dest.name}")
        elif args.source:
            print("installed " + install_from_path(Path(args.source), mcfg,
                                                   Path(args.encoder) if args.encoder else None))
        else:
            pairs = [p for p in _targets(configs, _corpus_langs(args.corpus))
                     if _missing_package(mcfg, *p)]
            comet_name = None if _has_comet(mcfg) else args.comet
            for line in install_from_network(mcfg, pairs, comet_name):
                print("installed " + line)
    except ModelUnavailable as exc:
        print(f"tqa models install: {exc}", file=sys.stderr)
        return 1
    return 0


def _is_causal_lm(path: Path) -> bool:
    """A transformers model folder (config.json, weights, tokenizer) that is neither an Argos package nor a
    COMET checkpoint: what ``tqa models install --from`` installs under DIR/lm for ``fluency_model``."""
    from pipeline.fluency_lm import is_lm_folder

    return path.is_dir() and not (path / "metadata.json").is_file() and not (path / "hparams.yaml").is_file() \
        and is_lm_folder(path)


def _installed_lms(mcfg) -> list[tuple[Path, str]]:
    """(folder, model type and architecture) of each causal language model under DIR/lm."""
    import json

    from pipeline.fluency_lm import is_lm_folder

    root = mcfg.root / "lm"
    out = []
    for folder in sorted(root.iterdir()) if root.is_dir() else ():
        if folder.name.startswith(".") or not is_lm_folder(folder):
            continue
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        out.append((folder, f"{config.get('model_type')} ({', '.join(config.get('architectures') or ['?'])})"))
    return out


def _fluency_backend(configs: dict) -> str:
    """What the fluency check measures substitutions with, as ``tqa models list`` shows it."""
    lm = configs["lexicons"].fluency_model
    if lm is None:
        return "CMU's en-us trigram model (pocketsphinx; [models] fluency_model is empty)"
    return f"{lm.path} (causal language model, [models] fluency_model, on {lm.device})"


def _missing_package(mcfg, from_code: str, to_code: str) -> bool:
    try:
        argos_package(mcfg, from_code, to_code)
        return False
    except ModelUnavailable:
        return True


def _has_comet(mcfg) -> bool:
    try:
        comet_model(mcfg, reference_free=False)
        return True
    except ModelUnavailable:
        return False


def check_models(configs: dict, extra_langs: set[str]) -> bool:
    """Print each model the audit needs, its checksum and whether it loads; False if any fails."""
    mcfg = configs["models"]
    ok = True
    if not _targets(configs, extra_langs):
        print("note     backtranslate: no language to translate is known — name the corpus (--corpus DIR, its "
              "manifest's languages) or set [langid] languages")
    for from_code, to_code in _targets(configs, extra_langs):
        try:
            pkg = argos_package(mcfg, from_code, to_code)
            from pipeline.models import translator_for

            translator_for(pkg, mcfg).translate([PROBES.get(from_code, NEUTRAL_PROBE)])
            print(f"ok       backtranslate {from_code}→{to_code}: {pkg.path} (blake2b {pkg.checksum})")
        except (ModelUnavailable, ImportError, RuntimeError, OSError) as exc:
            ok = False
            print(f"MISSING  backtranslate {from_code}→{to_code}: {exc}")
    try:
        model = comet_model(mcfg, reference_free=False)
        from pipeline.models import comet_scorer_for

        comet_scorer_for(model, mcfg).predict([{"src": NEUTRAL_PROBE, "mt": NEUTRAL_PROBE, "ref": NEUTRAL_PROBE}])
        print(f"ok       comet: {model.path} (blake2b {model.checksum})")
    except (ModelUnavailable, ImportError, RuntimeError, OSError) as exc:
        ok = False
        print(f"MISSING  comet: {exc}")
    lm = configs["lexicons"].fluency_model
    if lm is None:
        print(f"note     fluency: {_fluency_backend(configs)}")
    else:
        from pipeline.fluency_lm import CHECKS_DIR, preflight

        try:  # checked when the configuration was read (a failure there is a configuration error)
            info = preflight(lm.path, lm.device, record_dir=mcfg.root / CHECKS_DIR)
            print(f"ok       fluency: {lm.path} (blake2b {info.checksum}): {info.describe()}")
        except ModelUnavailable as exc:
            ok = False
            print(f"MISSING  fluency: {exc}")
    embeddings = configs["lexicons"].embeddings
    if embeddings != "off":  # an embedder that cannot load is a configuration error, found before this
        vec = embed.load(embeddings).vectors([NEUTRAL_PROBE])
        print(f"ok       embeddings: {embeddings} ({vec.shape[1]} dimensions)")
    if not ok:
        print(f"fix: run `{ENABLE_COMMAND}` (with a network), or `tqa models install --from PATH` for local files")
    return ok
