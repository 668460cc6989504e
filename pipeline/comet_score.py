"""Score aligned segments with Unbabel COMET: reference-based on the back-translation, and
reference-free quality estimation where a QE model is configured.

Reference-based (``src`` = variant segment, ``mt`` = its back-translation, ``ref`` = the original
segment): the round trip is scored against what the author wrote, with the variant as the source
the back-translation came from. QE (``src`` = original, ``mt`` = variant) needs no
back-translation. COMET rewards copied source text (Unbabel/COMET issue #192: an untranslated
system still averages 65.7), so a COMET score never clears ``untranslated``; it only adds to
``garbled`` and ranks articles.
"""

from __future__ import annotations

import hashlib
import json
import logging
import warnings
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import polars as pl

from .cache import ModelCache, cache_key
from .errors import ModelUnavailable

_NOISY_LOGGERS = ("comet", "pytorch_lightning", "lightning", "lightning_fabric", "lightning.pytorch",
                  "lightning.fabric", "lightning.pytorch.utilities.rank_zero", "lightning_fabric.utilities.rank_zero",
                  "pytorch_lightning.utilities.rank_zero", "transformers", "torch")


def quiet_comet() -> None:
    """Keep COMET's and its dependencies' warnings, tips and progress bars out of the terminal.
    Call before ``import comet`` (which configures the root logger at INFO) and again after it
    (Lightning sets its loggers' levels when it is imported)."""
    for pattern in (r".*num_workers.*", r".*LeafSpec.*", r".*pkg_resources is deprecated.*",
                    r".*resume_download.*", r".*GPU available but not used.*", r".*Tensor Cores.*"):
        warnings.filterwarnings("ignore", message=pattern)
    for name in _NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="%(message)s")


@dataclass(frozen=True)
class CometModel:
    """An installed COMET checkpoint folder: hparams.yaml, checkpoints/model.ckpt, and the encoder
    (tokenizer + config.json) it was built on, in ``encoder/`` or where hparams.yaml says."""

    path: Path

    @property
    def checkpoint(self) -> Path:
        return self.path / "checkpoints" / "model.ckpt"

    @cached_property
    def hparams(self) -> dict:
        import yaml

        return yaml.safe_load((self.path / "hparams.yaml").read_text(encoding="utf-8")) or {}

    @property
    def encoder(self) -> Path | None:
        local = self.path / "encoder"
        if (local / "config.json").is_file():
            return local
        named = Path(str(self.hparams.get("pretrained_model", "")))
        return named if (named / "config.json").is_file() else None

    @property
    def reference_free(self) -> bool:
        segments = self.hparams.get("input_segments") or ["mt", "src", "ref"]
        return "ref" not in segments

    @cached_property
    def checksum(self) -> str:
        h = hashlib.blake2b(digest_size=16)
        with open(self.checkpoint, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()

    @property
    def model_id(self) -> str:
        return f"comet:{self.path.name}:{self.checksum[:16]}"


def read_comet_model(folder: Path) -> CometModel:
    model = CometModel(Path(folder))
    if not (model.path / "hparams.yaml").is_file() or not model.checkpoint.is_file():
        raise ModelUnavailable(f"{folder} is not a COMET checkpoint folder (hparams.yaml and "
                               f"checkpoints/model.ckpt)")
    return model


class CometScorer:
    """One COMET model, loaded once per process, predicting in large length-sorted batches."""

    def __init__(self, model: CometModel, device: str = "auto", batch_size: int = 32) -> None:
        self.model, self.batch_size = model, batch_size
        self.device = device
        self.model_calls = 0

    @cached_property
    def _comet(self):
        quiet_comet()
        try:
            import torch
            from comet.models import str2model
        except ImportError as exc:
            raise ModelUnavailable("COMET is not installed — run: pip install -e '.[models]'") from exc
        quiet_comet()
        try:
            import transformers

            transformers.logging.set_verbosity_error()
        except ImportError:
            pass
        hp = self.model.hparams
        cls = str2model.get(hp.get("class_identifier", ""))
        if cls is None:
            raise ModelUnavailable(f"{self.model.path}: unknown COMET model class {hp.get('class_identifier')!r}")
        overrides = {"load_pretrained_weights": False}
        if self.model.encoder is not None:  # the path stored in the checkpoint may be stale
            overrides.update(pretrained_model=str(self.model.encoder.resolve()), local_files_only=True)
        model = cls.load_from_checkpoint(str(self.model.checkpoint), map_location=torch.device("cpu"), strict=True,
                                         **overrides)
        model.eval()
        return model

    @property
    def use_gpu(self) -> bool:
        if self.device == "cpu":
            return False
        import torch

        return torch.cuda.is_available() if self.device == "auto" else True

    def predict(self, items: list[dict[str, str]]) -> list[float]:
        if not items:
            return []
        self.model_calls += 1
        out = self._comet.predict(items, batch_size=self.batch_size, gpus=1 if self.use_gpu else 0,
                                  progress_bar=False, length_batching=True)
        scores = [float(s) for s in out.scores]
        if len(scores) != len(items):
            raise RuntimeError(f"COMET returned {len(scores)} scores for {len(items)} segments")
        return scores


def comet_scores(items: list[dict[str, str]], scorer: CometScorer, cache: ModelCache) -> list[float]:
    """A score per item (dicts with src, mt and, for reference-based models, ref), cached by content."""
    model_id = scorer.model.model_id
    fields = ("src", "mt") if scorer.model.reference_free else ("src", "mt", "ref")
    keys = [cache_key(model_id, *(item[f] for f in fields)) for item in items]
    cached = cache.get_many("comet", list(dict.fromkeys(keys)))
    todo: dict[str, dict[str, str]] = {}
    for key, item in zip(keys, items, strict=True):
        if key not in cached and key not in todo:
            todo[key] = {f: item[f] for f in fields}
    fresh = dict(zip(todo, scorer.predict(list(todo.values())), strict=True)) if todo else {}
    cache.put_many("comet", ((k, json.dumps(v)) for k, v in fresh.items()))
    return [fresh[k] if k in fresh else float(json.loads(cached[k])) for k in keys]


def comet_requests(segments: pl.DataFrame, reference_free: bool) -> pl.DataFrame:
    """One COMET item per aligned group: reference-based (src = variant, mt = back-translation,
    ref = original) for back-translated groups; QE (src = original, mt = variant) for every
    paired group. ``segments``: scored rows. Columns: article_id, align_group, src, mt, ref."""
    groups = (segments.filter(pl.col("align_group").is_not_null() & pl.col("text").is_not_null()
                              & pl.col("original_text").is_not_null() & (pl.col("alignment") != "boilerplate"))
              .group_by("article_id", "align_group", maintain_order=True)
              .agg(pl.col("text").str.join(" ").alias("variant"),
                   pl.col("backtranslation").drop_nulls().str.join(" ").alias("bt"),
                   pl.col("backtranslation").null_count().alias("missing_bt"),
                   pl.col("original_text").first().alias("original")))
    if reference_free:
        return groups.select("article_id", "align_group", pl.col("original").alias("src"),
                             pl.col("variant").alias("mt"), pl.lit("").alias("ref"))
    return groups.filter(pl.col("missing_bt") == 0).select(
        "article_id", "align_group", pl.col("variant").alias("src"), pl.col("bt").alias("mt"),
        pl.col("original").alias("ref"))
