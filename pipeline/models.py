"""Which models the model stages would use, whether they load, and installing them.

Local paths are first-class: ``[models]`` names folders, and ``install_from_path`` installs an
``.argosmodel`` file or a COMET checkpoint folder without a network. Downloading (Argos package
index, Hugging Face) is only tried when asked for and after a quick reachability check, because
Argos retries an unreachable index for minutes before failing.
"""

from __future__ import annotations

import shutil
import socket
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

from .backtranslate import ArgosPackage, find_package, install_package_file, installed_packages, read_package
from .comet_score import CometModel, read_comet_model
from .config import ModelsConfig
from .errors import ModelUnavailable

ENABLE_COMMAND = "make models"  # installs the model libraries and the models (see README "Model stages")


@dataclass(frozen=True)
class Inventory:
    argos: list[ArgosPackage]
    comet: list[CometModel]


def inventory(cfg: ModelsConfig) -> Inventory:
    comet = []
    for folder in sorted(cfg.comet_dir.iterdir()) if cfg.comet_dir.is_dir() else ():
        try:
            comet.append(read_comet_model(folder))
        except ModelUnavailable:
            continue
    return Inventory(installed_packages(cfg.argos_dir), comet)


def argos_package(cfg: ModelsConfig, from_code: str, to_code: str) -> ArgosPackage:
    pkg = find_package(cfg.argos_dir, from_code, to_code)
    if pkg is None:
        raise ModelUnavailable(f"no Argos Translate package for {from_code}→{to_code} in {cfg.argos_dir} — "
                               f"run `{ENABLE_COMMAND}` (or `tqa models install --from FILE.argosmodel`)")
    return pkg


def comet_model(cfg: ModelsConfig, reference_free: bool) -> CometModel:
    """The configured COMET model of that kind, else the one installed model of that kind."""
    wanted = cfg.comet_qe_model if reference_free else cfg.comet_model
    kind = "reference-free (QE)" if reference_free else "reference-based"
    if wanted:
        folder = Path(wanted).expanduser()
        model = read_comet_model(folder if folder.is_dir() else cfg.comet_dir / wanted)
        if model.reference_free != reference_free:
            raise ModelUnavailable(f"{model.path} is not a {kind} COMET model")
        return model
    found = [m for m in inventory(cfg).comet if m.reference_free == reference_free]
    if len(found) == 1:
        return found[0]
    if not found:
        raise ModelUnavailable(f"no {kind} COMET model installed in {cfg.comet_dir} — run `{ENABLE_COMMAND}` "
                               f"(or `tqa models install --from CHECKPOINT_FOLDER`)")
    raise ModelUnavailable(f"{len(found)} {kind} COMET models in {cfg.comet_dir}; name one in [models] "
                           f"{'comet_qe_model' if reference_free else 'comet_model'}")


def install_from_path(path: Path, cfg: ModelsConfig, encoder: Path | None = None) -> str:
    """Install an ``.argosmodel`` file or a COMET checkpoint folder; returns what was installed.

    A COMET checkpoint records its encoder (tokenizer + config) as an absolute path; the encoder
    folder (``encoder``, else the recorded path when it exists) is copied beside the checkpoint so
    the installed model keeps working when either folder moves.
    """
    path = Path(path)
    if path.is_file():
        pkg = install_package_file(path, cfg.argos_dir)
        return f"Argos Translate {pkg.from_code}→{pkg.to_code} {pkg.version} in {pkg.path}"
    if (path / "metadata.json").is_file():  # an unpacked Argos package
        pkg = read_package(path)
        dest = cfg.argos_dir / path.name
        _copy_tree(path, dest)
        return f"Argos Translate {pkg.from_code}→{pkg.to_code} {pkg.version} in {dest}"
    model = read_comet_model(path)
    source_encoder = encoder or model.encoder
    if source_encoder is None:
        raise ModelUnavailable(f"{path}: its encoder {model.hparams.get('pretrained_model')!r} is not a local "
                               f"folder; pass --encoder FOLDER (the tokenizer and config.json it was trained on)")
    dest = cfg.comet_dir / path.name
    staging = cfg.comet_dir / f".{path.name}.installing"
    if staging.exists():
        shutil.rmtree(staging)
    shutil.copytree(path, staging, ignore=shutil.ignore_patterns("encoder"))
    shutil.copytree(source_encoder, staging / "encoder")
    _replace(staging, dest)
    installed = read_comet_model(dest)
    kind = "reference-free (QE)" if installed.reference_free else "reference-based"
    return f"COMET {kind} {dest.name} in {dest}"


def _copy_tree(src: Path, dest: Path) -> None:
    staging = dest.with_name(f".{dest.name}.installing")
    if staging.exists():
        shutil.rmtree(staging)
    shutil.copytree(src, staging)
    _replace(staging, dest)


def _replace(staging: Path, dest: Path) -> None:
    old = dest.with_name(f".{dest.name}.old")
    if dest.exists():
        dest.rename(old)
    staging.rename(dest)
    if old.exists():
        shutil.rmtree(old)


def reachable(host: str, port: int = 443, timeout: float = 3.0) -> bool:
    try:
        socket.create_connection((host, port), timeout=timeout).close()
        return True
    except OSError:
        return False


def install_from_network(cfg: ModelsConfig, pairs: list[tuple[str, str]], comet_name: str | None) -> list[str]:
    """Download Argos packages for ``pairs`` and a COMET model by hub name. Needs the network."""
    done = []
    if pairs:
        if not reachable("raw.githubusercontent.com"):
            raise ModelUnavailable("the Argos package index is unreachable (no network?); download the "
                                   ".argosmodel files elsewhere and run `tqa models install --from FILE`")
        import argostranslate.package as ap

        ap.update_package_index()
        available = ap.get_available_packages()
        for from_code, to_code in pairs:
            match = [p for p in available if (p.from_code, p.to_code) == (from_code, to_code)]
            if not match:
                raise ModelUnavailable(f"the Argos package index has no {from_code}→{to_code} package")
            pkg = install_package_file(Path(match[0].download()), cfg.argos_dir)
            done.append(f"Argos Translate {pkg.from_code}→{pkg.to_code} {pkg.version} in {pkg.path}")
    if comet_name:
        if not reachable("huggingface.co"):
            raise ModelUnavailable("Hugging Face is unreachable (no network?); copy a COMET checkpoint folder "
                                   "here and run `tqa models install --from FOLDER --encoder ENCODER_FOLDER`")
        from comet import download_model

        folder = Path(download_model(comet_name, saving_directory=str(cfg.comet_dir / comet_name.split("/")[-1])))
        done.append(f"COMET {comet_name} in {folder}")
    return done


@dataclass(frozen=True)
class ModelPlan:
    """What the model stages will use in a run: installed packages by source language, COMET models,
    and why a stage cannot run (None when it can)."""

    argos: dict[str, ArgosPackage]
    argos_missing: str | None
    comet_ref: CometModel | None
    comet_ref_missing: str | None
    comet_qe: CometModel | None

    @property
    def signature(self) -> str:
        parts = [p.model_id for _, p in sorted(self.argos.items())]
        parts += [m.model_id for m in (self.comet_ref, self.comet_qe) if m is not None]
        return "|".join(parts) or "no-models"


def plan(cfg: ModelsConfig, source_lang: str) -> ModelPlan:
    """Resolve the models once per run; a missing library or model is a reason, not an error."""
    argos: dict[str, ArgosPackage] = {}
    argos_missing = None
    if find_spec("ctranslate2") is None or find_spec("sentencepiece") is None:
        argos_missing = f"Argos Translate (ctranslate2) is not installed — run `{ENABLE_COMMAND}`"
    else:
        for pkg in installed_packages(cfg.argos_dir):
            if pkg.to_code == source_lang:
                argos.setdefault(pkg.from_code, pkg)
        if not argos:
            argos_missing = (f"no Argos Translate package into {source_lang} in {cfg.argos_dir} — "
                             f"run `{ENABLE_COMMAND}`")
    comet_ref = comet_qe = None
    comet_ref_missing = None
    if find_spec("comet") is None:  # found without importing it (4 s): model-free runs stay fast
        comet_ref_missing = f"COMET is not installed — run `{ENABLE_COMMAND}`"
    else:
        try:
            comet_ref = comet_model(cfg, reference_free=False)
        except ModelUnavailable as exc:
            comet_ref_missing = str(exc)
        try:
            comet_qe = comet_model(cfg, reference_free=True)
        except ModelUnavailable:
            comet_qe = None  # optional: only where configured
    return ModelPlan(argos, argos_missing, comet_ref, comet_ref_missing, comet_qe)


_LOADED: dict[tuple, object] = {}


def translator_for(pkg: ArgosPackage, cfg: ModelsConfig):
    """The process's one translator for a package (loaded on first use, reused by every task)."""
    from .backtranslate import ArgosBackTranslator

    key = ("argos", str(pkg.path), cfg.device, cfg.threads, cfg.translate_batch_size, cfg.beam_size)
    if key not in _LOADED:
        _LOADED[key] = ArgosBackTranslator(pkg, cfg.device, cfg.threads, cfg.translate_batch_size, cfg.beam_size)
    return _LOADED[key]


def comet_scorer_for(model: CometModel, cfg: ModelsConfig):
    from .comet_score import CometScorer

    key = ("comet", str(model.path), cfg.device, cfg.comet_batch_size)
    if key not in _LOADED:
        _LOADED[key] = CometScorer(model, cfg.device, cfg.comet_batch_size)
    return _LOADED[key]


def model_calls() -> int:
    """Calls on loaded models in this process (translate batches and COMET predicts)."""
    return sum(getattr(m, "model_calls", 0) for m in _LOADED.values())
