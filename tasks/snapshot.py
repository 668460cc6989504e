"""What a run sees of the corpus: documents, manifest, glossary, shards and the digests that name
every work file. Digests make targets content-addressed: a task's output exists exactly when its
inputs and settings are unchanged, so Luigi re-runs only what a change touches."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from pathlib import Path

from pipeline import __version__
from pipeline.config import describe
from pipeline.discover import (
    Document,
    InputProblem,
    ManifestEntry,
    parse_glossary,
    parse_manifest,
    read_table,
    scan_corpus,
    shard_of,
    text_digest,
)
from pipeline.langid import known_language
from pipeline.models import ModelPlan
from pipeline.models import plan as plan_models

LIBRARIES = ("lingua-language-detector", "blingfire", "sacrebleu", "selectolax", "charset-normalizer",
             "markdown-it-py", "polars")


@lru_cache(maxsize=1)
def library_versions() -> str:
    """Versions of the libraries whose behaviour shapes the results (part of every digest)."""
    import importlib.metadata as md

    def version(dist: str) -> str:
        try:
            return md.version(dist)
        except md.PackageNotFoundError:
            return "none"

    return "|".join(f"{d}:{version(d)}" for d in LIBRARIES)


_HASH_CACHE: dict[str, tuple[int, int, str]] = {}  # absolute path -> (size, mtime_ns, digest)


@dataclass
class Snapshot:
    root: Path
    configs: dict[str, object]
    documents: list[Document] = field(init=False)
    manifest: dict[str, ManifestEntry] = field(init=False)
    glossary: tuple[str, ...] = field(init=False)
    problems: list[InputProblem] = field(init=False)
    has_manifest: bool = field(init=False)

    def __post_init__(self) -> None:
        if not self.root.is_dir():
            raise FileNotFoundError(f"corpus folder {self.root} does not exist")
        extract_cfg = self.configs["extract"]
        self.documents, self.problems = scan_corpus(self.root, _HASH_CACHE, extract_cfg)
        paths = {d.path for d in self.documents}
        manifest_text, probs = read_table(self.root, "manifest.csv", extract_cfg,
                                          "the manifest is not used and documents are paired automatically")
        self.problems += probs
        self.has_manifest = manifest_text is not None
        self.manifest = {}
        if manifest_text is not None:
            self.manifest, probs = parse_manifest(manifest_text, paths)
            self.problems += probs
        langid_cfg = self.configs["langid"]
        manifest_langs = set()
        for lang in sorted({e.lang for e in self.manifest.values() if e.lang}):
            if known_language(lang):
                manifest_langs.add(lang)
            else:
                self.problems.append(InputProblem("manifest.csv", f"language {lang!r} is not one the language "
                                                                  f"identifier knows; its documents are audited "
                                                                  f"against it, but no segment can be found in it",
                                                  "warning"))
        if manifest_langs - set(langid_cfg.languages):
            self.configs = {**self.configs, "langid": replace(
                langid_cfg, languages=(*langid_cfg.languages, *sorted(manifest_langs - set(langid_cfg.languages))))}
        glossary_text, probs = read_table(self.root, "glossary.csv", extract_cfg, "no glossary term is checked")
        self.problems += probs
        self.glossary = ()
        if glossary_text is not None:
            self.glossary, probs = parse_glossary(glossary_text)
            self.problems += probs

    @property
    def manifest_languages(self) -> set[str]:
        return {e.lang for e in self.manifest.values() if e.lang and known_language(e.lang)}

    @cached_property
    def model_plan(self) -> ModelPlan:
        return plan_models(self.configs["models"], str(self.configs["source_lang"]))

    @cached_property
    def n_shards(self) -> int:
        """A power of two near len(documents) / shard_docs, so shards keep their documents as a corpus grows."""
        target = max(1, len(self.documents) // max(1, int(self.configs["shard_docs"])))
        return 1 << max(0, math.ceil(math.log2(target)))

    @cached_property
    def shards(self) -> dict[int, list[Document]]:
        out: dict[int, list[Document]] = {}
        for d in self.documents:
            out.setdefault(shard_of(d.path, self.n_shards), []).append(d)
        return dict(sorted(out.items()))

    def lang_hint(self, path: str) -> str:
        entry = self.manifest.get(path)
        return entry.lang if entry and entry.lang else str(self.configs["source_lang"])

    def cfg(self, *names: str) -> str:
        return "|".join(describe(self.configs[n]) if not isinstance(self.configs[n], str) else str(self.configs[n])
                        for n in names)

    @property
    def libraries(self) -> str:
        return library_versions()

    @cached_property
    def extract_digests(self) -> dict[int, str]:
        return {s: text_digest("extract", __version__, self.libraries, self.cfg("extract"),
                               *(f"{d.path}:{d.digest}:{self.lang_hint(d.path)}" for d in docs))
                for s, docs in self.shards.items()}

    @cached_property
    def langid_digests(self) -> dict[int, str]:
        return {s: text_digest("langid", d, self.cfg("langid")) for s, d in self.extract_digests.items()}

    @cached_property
    def manifest_text(self) -> str:
        return "\n".join(f"{e.path},{e.lang},{e.original},{e.role}" for e in sorted(self.manifest.values(),
                                                                                      key=lambda e: e.path))

    @cached_property
    def structure_digest(self) -> str:
        return text_digest("structure", *self.langid_digests.values(), self.manifest_text,
                           self.cfg("source_lang", "boilerplate", "pair"))

    @cached_property
    def pair_digest(self) -> str:
        return text_digest("pair", self.structure_digest)

    @cached_property
    def backtranslate_digest(self) -> str:
        """Pairing, models and their settings: installing a package re-runs the back-translation."""
        return text_digest("backtranslate", self.pair_digest, self.model_plan.signature, self.cfg("models"))

    @cached_property
    def run_digest(self) -> str:
        """Everything the final outputs depend on."""
        return text_digest("run", self.pair_digest, *self.glossary, self.cfg("align", "flags", "gate", "models"),
                           self.model_plan.signature,
                           *(f"{p.path}:{p.error}" for p in self.problems))
