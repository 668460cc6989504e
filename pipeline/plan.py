"""The invalidation plan: what a run sees of the corpus and the digests that name every work file.

Digests make work files content-addressed: a stage's output exists exactly when its inputs, its
settings and its code (``pipeline.provenance``) are unchanged, so a scheduler re-runs only what a
change touches. The chain, each digest covering the ones before it:

    extract (per shard) ─ survey ─ langid (per shard) ─ structure ─ pair ─ backtranslate
      ─ score (per shard: its articles, their originals) ─ comet ─ judge ─ report (per shard) ─ run

Thresholds (``[flags]``, ``[gate]``) enter only at the judge, so changing one re-runs the judge and
the pages, never the scoring.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import polars as pl

from . import __version__
from .discover import (
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
from .errors import ConfigurationError
from .langid import known_language
from .models import ModelPlan
from .models import plan as plan_models
from .provenance import code_digest, library_versions
from .settings import describe

_HASH_CACHE: dict[str, tuple[int, int, str]] = {}  # absolute path -> (size, mtime_ns, digest)


@dataclass
class Snapshot:
    """The corpus as one run sees it, with its settings (``configs``: section name -> settings)."""

    root: Path
    configs: dict[str, object]
    documents: list[Document] = field(init=False)
    manifest: dict[str, ManifestEntry] = field(init=False)
    glossary: tuple[str, ...] = field(init=False)
    problems: list[InputProblem] = field(init=False)
    has_manifest: bool = field(init=False)

    def __post_init__(self) -> None:
        if not self.root.is_dir():
            raise ConfigurationError(f"corpus folder {self.root} does not exist or is not a folder")
        extract_cfg = self.configs["extract"]
        self.documents, self.problems = scan_corpus(self.root, _HASH_CACHE, extract_cfg)  # type: ignore[arg-type]
        paths = {d.path for d in self.documents}
        manifest_text, probs = read_table(self.root, "manifest.csv", extract_cfg,  # type: ignore[arg-type]
                                          "the manifest is not used and documents are paired automatically")
        self.problems += probs
        self.has_manifest = manifest_text is not None
        self.manifest = {}
        if manifest_text is not None:
            self.manifest, probs = parse_manifest(manifest_text, paths)
            self.problems += probs
        for lang in sorted({e.lang for e in self.manifest.values() if e.lang}):
            if not known_language(lang):
                self.problems.append(InputProblem("manifest.csv", f"language {lang!r} is not one the language "
                                                                  f"identifier knows; its documents are audited "
                                                                  f"against it, but no segment can be found in it",
                                                  "warning"))
        glossary_text, probs = read_table(self.root, "glossary.csv", extract_cfg,  # type: ignore[arg-type]
                                          "no glossary term is checked")
        self.problems += probs
        self.glossary = ()
        if glossary_text is not None:
            self.glossary, probs = parse_glossary(glossary_text)
            self.problems += probs

    # ------------------------------------------------------------------ corpus

    @property
    def source_lang(self) -> str:
        return self.configs["tqa"].source_lang  # type: ignore[attr-defined]

    @property
    def manifest_languages(self) -> set[str]:
        return {e.lang for e in self.manifest.values() if e.lang and known_language(e.lang)}

    @property
    def manifest_langs(self) -> dict[str, str | None]:
        return {p: e.lang for p, e in self.manifest.items()}

    @property
    def manifest_originals(self) -> dict[str, str | None]:
        return {p: e.original for p, e in self.manifest.items()}

    @property
    def manifest_roles(self) -> dict[str, str | None]:
        return {p: e.role for p, e in self.manifest.items()}

    @cached_property
    def model_plan(self) -> ModelPlan:
        return plan_models(self.configs["models"], self.source_lang)  # type: ignore[arg-type]

    @cached_property
    def n_shards(self) -> int:
        """A power of two near len(documents) / shard_docs, so shards keep their documents as a corpus grows."""
        target = max(1, len(self.documents) // max(1, self.configs["tqa"].shard_docs))  # type: ignore[attr-defined]
        return 1 << max(0, math.ceil(math.log2(target)))

    @cached_property
    def shards(self) -> dict[int, list[Document]]:
        out: dict[int, list[Document]] = {}
        for d in self.documents:
            out.setdefault(shard_of(d.path, self.n_shards), []).append(d)
        return dict(sorted(out.items()))

    @cached_property
    def shard_of_doc(self) -> dict[str, int]:
        return {d.path: s for s, docs in self.shards.items() for d in docs}

    def lang_hint(self, path: str) -> str:
        entry = self.manifest.get(path)
        return entry.lang if entry and entry.lang else self.source_lang

    def cfg(self, *names: str) -> str:
        return "|".join(describe(self.configs[n]) if hasattr(self.configs[n], "__dataclass_fields__")
                        else self.configs[n].describe() for n in names)  # type: ignore[attr-defined]

    @cached_property
    def manifest_text(self) -> str:
        return "\n".join(f"{e.path},{e.lang},{e.original},{e.role}" for e in sorted(self.manifest.values(),
                                                                                      key=lambda e: e.path))

    # ------------------------------------------------------------------ digests, in the order of the stages

    @cached_property
    def extract_digests(self) -> dict[int, str]:
        return {s: text_digest("extract", __version__, library_versions(), code_digest("extract"),
                               self.cfg("extract", "langid"),
                               *(f"{d.path}:{d.digest}:{self.lang_hint(d.path)}" for d in docs))
                for s, docs in self.shards.items()}

    @cached_property
    def survey_digest(self) -> str:
        return text_digest("survey", *self.extract_digests.values(), self.cfg("tqa", "langid"),
                           ",".join(sorted(self.manifest_languages)))

    def languages(self, survey: Mapping[str, object]) -> tuple[str, ...]:
        """The corpus's languages, as the survey output (``SurveyLanguages``) says."""
        return tuple(survey["languages"])  # type: ignore[arg-type]

    def langid_digests(self, languages: tuple[str, ...]) -> dict[int, str]:
        return {s: text_digest("langid", d, code_digest("langid"), self.cfg("langid"), ",".join(languages))
                for s, d in self.extract_digests.items()}

    def structure_digest(self, languages: tuple[str, ...]) -> str:
        return text_digest("structure", *self.langid_digests(languages).values(), self.manifest_text,
                           self.cfg("tqa", "boilerplate", "pair"), code_digest("structure"))

    def resources_signature(self, languages: tuple[str, ...]) -> str:
        from .resources import signature

        return signature(languages, self.configs["lexicons"])  # type: ignore[arg-type]

    def pair_digest(self, languages: tuple[str, ...]) -> str:
        return text_digest("pair", self.structure_digest(languages), code_digest("pair"),
                           self.resources_signature(languages))

    def learn_digest(self, languages: tuple[str, ...]) -> str:
        return text_digest("learn", self.pair_digest(languages), self.cfg("align", "lexicons"), code_digest("learn"))

    def backtranslate_digest(self, languages: tuple[str, ...]) -> str:
        """Pairing, models and their settings: installing a package re-runs the back-translation."""
        return text_digest("backtranslate", self.pair_digest(languages), self.model_plan.signature,
                           self.cfg("models"), code_digest("backtranslate"))

    def judge_digest(self, comet_digest: str) -> str:
        return text_digest("judge", comet_digest, self.cfg("flags", "gate"), self.waivers_text,
                           code_digest("judge"))

    def report_digest(self, judge_digest: str, shard: int, audit_digest: str) -> str:
        return text_digest("report", judge_digest, str(shard), audit_digest, code_digest("report"))

    def run_digest(self, languages: tuple[str, ...]) -> str:
        """Everything the final outputs depend on."""
        return text_digest("run", self.pair_digest(languages), *self.glossary,
                           self.cfg("align", "flags", "gate", "models"), self.waivers_text,
                           self.model_plan.signature, *(code_digest(s) for s in ("score", "comet", "judge", "report",
                                                                                  "summary")),
                           *(f"{p.path}:{p.error}" for p in self.problems))

    @cached_property
    def waivers_text(self) -> str:
        path = self.configs["gate"].waivers  # type: ignore[attr-defined]
        if not path:
            return ""
        try:
            return Path(path).expanduser().read_text(encoding="utf-8")
        except OSError:
            return f"unreadable:{path}"


def shard_plan(snap: Snapshot, pairs: pl.DataFrame, structure: pl.DataFrame, langid_digests: dict[int, str],
               resources_signature: str) -> list[tuple[int, str, tuple[int, ...]]]:
    """(shard, score digest, original shards) per shard, once pairing has run. The digest covers
    exactly what the shard's articles depend on: its documents' text and structure, its originals'
    text and structure, the pairing of both, the glossary, the scoring settings, code and resources,
    and the models. ``pairs``: the pairing table; ``structure``: the segment structure table."""
    doc_digest = {d.path: d.digest for d in snap.documents}
    # boilerplate reasons name no corpus-wide counts, so one new page does not touch every shard
    doc_state = {d: text_digest(state) for d, state in structure.group_by("doc_path").agg(
        pl.concat_str("article_id", "seg_id", "block", pl.col("boilerplate_reason").fill_null("-"), separator="|")
        .str.join("\n")).iter_rows()}
    art_state: dict[str, list[str]] = {}
    originals: dict[int, set[str]] = {}
    for row in pairs.select("doc_path", "article_id", "role", "lang", "original_article_id", "original_path",
                            "pair_method", "pair_reason").iter_rows(named=True):
        s = snap.shard_of_doc[row["doc_path"]]
        art_state.setdefault(row["doc_path"], []).append("|".join(map(str, row.values())))
        if row["original_path"]:
            originals.setdefault(s, set()).add(row["original_path"])
    settings = text_digest(snap.source_lang, *snap.glossary, snap.cfg("align", "lexicons"), resources_signature,
                           snap.model_plan.signature, code_digest("score"), library_versions(), __version__)
    plan = []
    for s, docs in snap.shards.items():
        orig_docs = sorted(originals.get(s, set()))
        orig_shards = tuple(sorted({snap.shard_of_doc[o] for o in orig_docs} - {s}))
        digest = text_digest("score", langid_digests[s], *(f"{o}:{doc_digest[o]}" for o in orig_docs),
                             *(doc_state.get(d.path, "") for d in docs), *(doc_state.get(o, "") for o in orig_docs),
                             *("\n".join(art_state.get(p, [])) for p in [d.path for d in docs] + orig_docs),
                             settings)
        plan.append((s, digest, orig_shards))
    return plan


def comet_digest(snap: Snapshot, plan: list[tuple[int, str, tuple[int, ...]]], backtranslate_digest: str) -> str:
    return text_digest("comet", *(d for _, d, _ in plan), backtranslate_digest, snap.model_plan.signature,
                       snap.cfg("models"), code_digest("comet"))


def read_json(path: Path) -> object:
    return json.loads(path.read_text(encoding="utf-8"))


