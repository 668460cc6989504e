"""Back-translate variant segments to English with an Argos Translate package.

Argos' own ``translate()`` splits sentences again (downloading a splitter model on first use) and
translates each paragraph in small batches. tqa has its segments already, so it loads the
package's CTranslate2 model and tokenizer once per language pair and translates every pending
segment of the corpus in large batches, deduplicated, through a content-addressed cache: a
scheduled run translates only text it has not seen.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import polars as pl

from .cache import ModelCache, cache_key
from .errors import ModelUnavailable


@dataclass(frozen=True)
class ArgosPackage:
    """An installed Argos Translate package: a folder with metadata.json, model/ and a tokenizer."""

    path: Path
    from_code: str
    to_code: str
    version: str
    target_prefix: str = ""

    @property
    def model_id(self) -> str:
        return f"argos:{self.from_code}-{self.to_code}:{self.version}:{self.checksum[:16]}"

    @cached_property
    def checksum(self) -> str:
        """blake2b of the model weights and the tokenizer (what decides the translations)."""
        import hashlib

        h = hashlib.blake2b(digest_size=16)
        for f in sorted((self.path / "model").glob("*")) + [self.tokenizer_path]:
            if f.is_file():
                with open(f, "rb") as fh:
                    for chunk in iter(lambda: fh.read(1 << 20), b""):
                        h.update(chunk)
        return h.hexdigest()

    @property
    def tokenizer_path(self) -> Path:
        sp = self.path / "sentencepiece.model"
        return sp if sp.exists() else self.path / "bpe.model"


def read_package(folder: Path) -> ArgosPackage:
    """The package in ``folder``; ModelUnavailable naming what is missing when it is not one."""
    meta_path = folder / "metadata.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelUnavailable(f"{folder} is not an Argos package: cannot read metadata.json ({exc})") from exc
    missing = [name for name in ("from_code", "to_code") if not meta.get(name)]
    if missing:
        raise ModelUnavailable(f"{meta_path} lacks {', '.join(missing)}")
    if not (folder / "model" / "model.bin").is_file():
        raise ModelUnavailable(f"{folder} has no CTranslate2 model (model/model.bin)")
    pkg = ArgosPackage(folder, meta["from_code"], meta["to_code"], str(meta.get("package_version", "")),
                       meta.get("target_prefix", ""))
    if not pkg.tokenizer_path.is_file():
        raise ModelUnavailable(f"{folder} has no sentencepiece.model or bpe.model")
    return pkg


def installed_packages(packages_dir: Path) -> list[ArgosPackage]:
    """Valid packages under ``packages_dir`` (folders that are not packages are skipped)."""
    out = []
    for folder in sorted(packages_dir.iterdir()) if packages_dir.is_dir() else ():
        if folder.is_dir():
            try:
                out.append(read_package(folder))
            except ModelUnavailable:
                continue
    return out


def find_package(packages_dir: Path, from_code: str, to_code: str) -> ArgosPackage | None:
    matches = [p for p in installed_packages(packages_dir) if (p.from_code, p.to_code) == (from_code, to_code)]
    return max(matches, key=lambda p: _version_key(p.version)) if matches else None


def _version_key(version: str) -> tuple:
    """'1.10' after '1.9': numeric parts compare as numbers."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in version.split("."))


def install_package_file(archive: Path, packages_dir: Path) -> ArgosPackage:
    """Install an ``.argosmodel`` (a zip of one package folder) into ``packages_dir``, atomically."""
    if not zipfile.is_zipfile(archive):
        raise ModelUnavailable(f"{archive} is not an .argosmodel (zip) file")
    packages_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=packages_dir, prefix=".install-") as tmp:
        with zipfile.ZipFile(archive) as zf:
            for name in zf.namelist():
                if name.startswith("/") or ".." in Path(name).parts:
                    raise ModelUnavailable(f"{archive}: unsafe path {name!r} in the archive")
            zf.extractall(tmp)
        tops = [p for p in Path(tmp).iterdir() if p.is_dir()]
        if len(tops) != 1:
            raise ModelUnavailable(f"{archive}: expected one top-level folder, found {len(tops)}")
        pkg = read_package(tops[0])
        dest = packages_dir / f"translate-{pkg.from_code}_{pkg.to_code}-{pkg.version or '0'}"
        if dest.exists():
            shutil.rmtree(dest)
        tops[0].rename(dest)
    return read_package(dest)


def resolve_device(device: str) -> str:
    """'cpu', 'cuda', or for 'auto' a GPU when CTranslate2 sees one."""
    if device != "auto":
        return device
    import ctranslate2

    return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"


class ArgosBackTranslator:
    """One package's CTranslate2 model, loaded once, translating lists of segments in batches."""

    def __init__(self, package: ArgosPackage, device: str = "auto", threads: int = 0, batch_size: int = 64,
                 beam_size: int = 4) -> None:
        self.package = package
        self.device = resolve_device(device)
        self.threads, self.batch_size, self.beam_size = threads, batch_size, beam_size
        self.model_calls = 0  # translate_batch calls on the model, for tests and figures

    @cached_property
    def _translator(self):
        import ctranslate2

        return ctranslate2.Translator(str(self.package.path / "model"), device=self.device,
                                      intra_threads=self.threads, inter_threads=1)

    @cached_property
    def _tokenizer(self):
        if self.package.tokenizer_path.name == "sentencepiece.model":
            import sentencepiece as spm

            sp = spm.SentencePieceProcessor(model_file=str(self.package.tokenizer_path))
            return (lambda texts: sp.encode(texts, out_type=str)), sp.decode
        from argostranslate.tokenizer import BPETokenizer  # older packages: BPE, handled by argos itself

        bpe = BPETokenizer(self.package.tokenizer_path, self.package.from_code, self.package.to_code)
        return (lambda texts: [bpe.encode(t) for t in texts]), bpe.decode

    def translate(self, texts: list[str]) -> list[str]:
        """Translations of ``texts``, in order. Sorted by length into batches (less padding)."""
        if not texts:
            return []
        encode, decode = self._tokenizer
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        tokens = encode([texts[i] for i in order])
        prefix = [[self.package.target_prefix]] * len(tokens) if self.package.target_prefix else None
        self.model_calls += 1
        results = self._translator.translate_batch(tokens, target_prefix=prefix, max_batch_size=self.batch_size,
                                                   beam_size=self.beam_size, replace_unknowns=True,
                                                   length_penalty=0.2)
        out = [""] * len(texts)
        for i, res in zip(order, results, strict=True):
            value = decode(res.hypotheses[0])
            if self.package.target_prefix and value.startswith(self.package.target_prefix):
                value = value[len(self.package.target_prefix):]
            out[i] = value.strip()
        return out


def back_translate(texts: list[str], translator: ArgosBackTranslator, cache: ModelCache) -> dict[str, str]:
    """English for each distinct text: from the cache, else from the model (then cached)."""
    unique = list(dict.fromkeys(t for t in texts if t and t.strip()))
    model_id = f"{translator.package.model_id}:beam{translator.beam_size}"  # the beam changes the output
    keys = {t: cache_key(model_id, t) for t in unique}
    cached = cache.get_many("translation", list(keys.values()))
    todo = [t for t in unique if keys[t] not in cached]
    fresh = dict(zip(todo, translator.translate(todo), strict=True)) if todo else {}
    cache.put_many("translation", ((keys[t], v) for t, v in fresh.items()))
    return {t: fresh[t] if t in fresh else cached[keys[t]] for t in unique}


BT_SCHEMA = {"lang": pl.String, "text": pl.String, "backtranslation": pl.String}


def backtranslation_requests(articles: pl.DataFrame, segments: pl.DataFrame, source_lang: str) -> dict[str, list[str]]:
    """Distinct body texts of variant articles that are not in the source language, per language.

    ``articles``: the pairing table; ``segments``: structure joined with text."""
    wanted = articles.filter((pl.col("role") == "variant") & (pl.col("lang") != source_lang)).select(
        "article_id", "lang")
    rows = (segments.filter(pl.col("block") != "boilerplate").join(wanted, on="article_id")
            .select("lang", "text").unique(maintain_order=True))
    out: dict[str, list[str]] = {}
    for lang, text in rows.iter_rows():
        out.setdefault(lang, []).append(text)
    return out


def backtranslate_corpus(requests: dict[str, list[str]], translators: dict, cache: ModelCache) -> pl.DataFrame:
    """Back-translations of every requested text (``translators``: language -> ArgosBackTranslator;
    languages without one are left out)."""
    rows = []
    for lang, texts in sorted(requests.items()):
        if lang in translators:
            done = back_translate(texts, translators[lang], cache)
            rows += [(lang, t, done[t]) for t in texts if t in done]
    return pl.DataFrame(rows, schema=BT_SCHEMA, orient="row")
