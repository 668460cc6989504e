"""The settings of each stage, one frozen dataclass per ``luigi.cfg`` section.

``tasks.config`` reads the sections of the same names (``[tqa]``, ``[extract]``, …) into these
classes by keyword; the defaults here are what ``luigi.cfg`` ships with. Every value is validated on
construction (``pipeline.settings``), so a bad value stops the run before any work, naming the
section, the key, the value and what is allowed. The ``[flags]`` section is not here: each detector
declares its own thresholds (``pipeline.detectors``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import ConfigurationError
from .resources import ResourcesConfig
from .settings import Settings, setting


@lru_cache(maxsize=1)
def lingua_languages() -> frozenset[str]:
    """ISO 639-1 codes of the languages lingua can identify."""
    from lingua import Language

    return frozenset(lang.iso_code_639_1.name.lower() for lang in Language.all())


def _language(value: str) -> str | None:
    if value not in lingua_languages():
        return ("not an ISO 639-1 language code that the language identifier knows "
                "(e.g. en, sv, de, fr, ja; lower case)")
    return None


def _languages(values: tuple[str, ...]) -> str | None:
    bad = [v for v in values if v not in lingua_languages()]
    if bad:
        return f"{', '.join(map(repr, bad))}: not ISO 639-1 codes the language identifier knows (e.g. en, sv, de)"
    return None


@dataclass(frozen=True)
class TqaConfig(Settings, section="tqa"):
    source_lang: str = setting("en", "language of the originals (ISO 639-1)", check=_language)
    shard_docs: int = setting(64, "documents per shard; the shard count is the power of two nearest "
                                  "documents / shard_docs", lo=1, hi=1_000_000)
    processes: int = setting(0, "processes that extract, score and render the parts of a shard; 0: one per core",
                             lo=0, hi=1024)
    work_dir: str = setting("", "work files; empty: the work folder beside the report (.REPORT.tqa/work). Must be "
                                "tqa's own folder (new, empty or made by tqa), outside the corpus")


@dataclass(frozen=True)
class ExtractConfig(Settings, section="extract"):
    max_file_mb: float = setting(10.0, "larger files are reported and skipped", lo=0.001, hi=10_000)
    title_max_words: int = setting(20, "a standalone line of plain text with at most this many words can be a "
                                       "title", lo=1, hi=200)
    fallback_encodings: tuple[str, ...] = setting(("cp1252",), "tried in this order when a file is not UTF-8 (a "
                                                               "UTF-8/16/32 byte-order mark always decides)")
    max_depth: int = setting(512, "HTML and Markdown nested deeper than this are errors (Markdown: at most 32 "
                                  "levels)", lo=8, hi=100_000)
    max_seconds: float = setting(30.0, "time one file's reading, extraction and segmentation may take before it "
                                       "is an error", lo=0.1, hi=3600)
    symlinks: str = setting("skip", "symbolic links in the corpus: skip (never followed) or inside (followed when "
                                    "their real path stays inside the corpus; a link out of it never is)",
                            choices=("skip", "inside"))


@dataclass(frozen=True)
class LangIdConfig(Settings, section="langid"):
    languages: tuple[str, ...] = setting((), "optional: the languages segments are identified among. Empty: "
                                             "the languages the audit finds in the corpus, plus the manifest's "
                                             "and the source language", check=_languages)
    survey_min_letters: int = setting(40, "blocks of at least this many letters are sampled to find the "
                                          "corpus's languages", lo=10, hi=10_000)
    survey_samples: int = setting(4, "long blocks sampled per document (besides its first and last lines) to "
                                        "find the corpus's languages", lo=1, hi=1000)
    survey_min_votes: int = setting(2, "a language is found when this many sampled blocks of one document, and "
                                       "a fifth of them, are in it", lo=1, hi=1000)
    survey_min_confidence: float = setting(0.7, "a sampled block votes for its language with this confidence",
                                           lo=0.0, hi=1.0)
    min_letters: int = setting(4, "segments with fewer letters get no language", lo=1, hi=100)
    span_min_words: int = setting(8, "segments of at least this many words are checked for language spans",
                                  lo=1, hi=100)
    span_fold_words: int = setting(4, "language spans shorter than this many words join their neighbour", lo=1,
                                   hi=100)


@dataclass(frozen=True)
class BoilerplateConfig(Settings, section="boilerplate"):
    frame_min_share: float = setting(0.3, "a line is site frame when it recurs at the head or tail of at least "
                                          "this share of the pages of its language", lo=0.0, hi=1.0)
    frame_min_docs: int = setting(2, "… and in at least this many unrelated pages", lo=2, hi=1_000_000)
    frame_max_words: int = setting(12, "short lines between frame lines (at most this many words) join the "
                                       "frame", lo=1, hi=1000)
    within_doc_min_repeats: int = setting(3, "a short line repeated this often in one page is boilerplate "
                                             "('Continue Reading')", lo=2, hi=1_000_000)
    teaser_min_repeats: int = setting(2, "link-like lines whose lead words recur this often are teasers", lo=2,
                                      hi=1_000_000)
    mirror_max_length_ratio: float = setting(2.5, "translated chrome mirrors a frame line of at most this length "
                                                  "ratio", lo=1.0, hi=100.0)
    related_min_shared: float = setting(0.3, "pages sharing this share of their long lines are one family (a page "
                                             "and its variant): lines they share are no evidence of frame",
                                        lo=0.0, hi=1.0)


@dataclass(frozen=True)
class PairConfig(Settings, section="pair"):
    min_score: float = setting(0.25, "a variant is paired only when its best original scores at least this",
                               lo=0.0, hi=1.0)
    min_margin: float = setting(0.05, "… and beats the next original by this margin", lo=0.0, hi=1.0)
    candidates: int = setting(3, "originals the dictionary ranks first that are aligned with a variant to tell which "
                                 "one it translates", lo=1, hi=100)
    target_min_share: float = setting(0.2, "a page is in a language when that language holds this share of its "
                                           "body", lo=0.0, hi=1.0)
    same_lang_min_similarity: float = setting(0.55, "same-language pages whose word sequences match for this "
                                                   "share of their length are a variant (a rewrite) and its "
                                                   "original", lo=0.0, hi=1.0)
    by_path: bool = setting(True, "without a manifest, a variant whose path is an original's with the language "
                                  "code swapped (sv/guide/x.html ↔ en/guide/x.html, x.sv.md ↔ x.md) is paired with it, "
                                  "unless another original's text fits it clearly better")
    path_margin: float = setting(0.2, "… better by this much (alignment fit)", lo=0.0, hi=1.0)


@dataclass(frozen=True)
class AlignConfig(Settings, section="align"):
    gap_cost: float = setting(0.25, "cost of leaving a segment unaligned", lo=0.0, hi=1.0)
    frame_gap_cost: float = setting(0.0, "cost of leaving a site-frame (boilerplate) line unaligned", lo=0.0, hi=1.0)
    merge_cost: float = setting(0.15, "cost of each join in a group: once for 2:1 or 1:2, twice for 3:1 or 1:3",
                                lo=0.0, hi=1.0)
    band: int = setting(8, "how far (in segments) the alignment may stray from the diagonal", lo=1, hi=10_000)


VERDICTS = ("pass", "fail", "unverified", "reference")


def _fail_on(value: Mapping[str, float]) -> str | None:
    # the flag names are checked against the detector registry by ``judge.check_gate``
    for key, share in value.items():
        flag, _, lang = key.partition("@")
        if lang and lang not in lingua_languages():
            return f"{key!r}: {lang!r} is not a language code (write flag@lang:share, e.g. garbled@de:0.3)"
        if not 0.0 <= share <= 1.0:
            return f"{key}:{share}: the share must be between 0 and 1"
    return None


def _stages(value: tuple[str, ...]) -> str | None:
    bad = [v for v in value if v not in ("backtranslate", "comet", "fluency")]
    return f"{', '.join(bad)}: not a model stage (backtranslate, comet, fluency)" if bad else None


@dataclass(frozen=True)
class GateConfig(Settings, section="gate"):
    """``fail_on`` maps a flag (or ``flag@lang`` for one language) to the share of an article's body
    segments above which the article fails; 0 fails it on the first such segment."""

    fail_on: dict[str, float] = setting(
        {"untranslated": 0.0, "partially_translated": 0.0, "garbled": 0.0, "spun": 0.0, "omission": 0.0,
         "addition": 0.0, "number_mismatch": 0.0, "term_violation": 0.0},
        "flag:share pairs (flag@lang:share for one language): an article fails when more than that share of its "
        "body segments carry the flag (0: any)", check=_fail_on)
    fail_on_errors: bool = setting(True, "the run fails when a file could not be audited")
    unverified: str = setting("warn", "what a variant that could not be checked against an original does to the "
                                      "run: warn (the run can pass) or fail", choices=("warn", "fail"))
    required_stages: tuple[str, ...] = setting((), "model stages a variant needs to be verified; when one was "
                                                   "skipped its variants are unverified", check=_stages)
    waivers: str = setting("", "CSV of waived findings (scope,flag,reason,expires); relative to the working "
                               "folder")

    def threshold(self, flag: str, lang: str | None) -> float | None:
        """The share above which ``flag`` fails an article in ``lang``; None when the flag does not gate."""
        if lang and f"{flag}@{lang}" in self.fail_on:
            return self.fail_on[f"{flag}@{lang}"]
        return self.fail_on.get(flag)


@dataclass(frozen=True)
class ModelsConfig(Settings, section="models"):
    """Where the model stages find their models, and how they run them."""

    dir: str = setting("~/.cache/tqa/models", "installed models (argos/, comet/) and the translation and score "
                                              "cache (cache.sqlite)")
    argos_packages_dir: str = setting("", "an existing Argos packages folder (default: DIR/argos)")
    comet_model: str = setting("", "a COMET checkpoint folder or the name of one under DIR/comet; empty: the one "
                                   "installed, if only one")
    comet_qe_model: str = setting("", "a reference-free COMET checkpoint, as comet_model")
    fluency_model: str = setting("", "a folder with a transformers causal language model and its tokenizer (or the "
                                     "name of one under DIR/lm) that measures the English fluency check's "
                                     "substitutions, on `device`; empty: CMU's trigram model")
    device: str = setting("auto", "auto picks a GPU when there is one", choices=("auto", "cpu", "cuda"))
    threads: int = setting(0, "CPU threads of the model stages; 0: the libraries' default", lo=0, hi=1024)
    translate_batch_size: int = setting(64, "segments per translation batch", lo=1, hi=100_000)
    beam_size: int = setting(4, "beam size of the back-translation", lo=1, hi=64)
    comet_batch_size: int = setting(32, "items per COMET batch", lo=1, hi=100_000)
    cache: str = setting("", "the model-output cache (default: DIR/cache.sqlite)")

    @property
    def root(self) -> Path:
        return Path(self.dir).expanduser()

    @property
    def argos_dir(self) -> Path:
        return Path(self.argos_packages_dir).expanduser() if self.argos_packages_dir else self.root / "argos"

    @property
    def comet_dir(self) -> Path:
        return self.root / "comet"

    @property
    def cache_path(self) -> Path:
        return Path(self.cache).expanduser() if self.cache else self.root / "cache.sqlite"


#: The sections of luigi.cfg, by name (``[flags]`` comes from the detector registry).
SECTIONS: dict[str, type[Settings]] = {c.section: c for c in (
    TqaConfig, ExtractConfig, LangIdConfig, BoilerplateConfig, PairConfig, AlignConfig, ResourcesConfig, GateConfig,
    ModelsConfig)}


def check_source_in(languages: tuple[str, ...], source_lang: str) -> None:
    if languages and len(set(languages) | {source_lang}) < 2:
        raise ConfigurationError(f"[langid] languages = {','.join(languages)!r}: name at least one language "
                                 f"besides the source language {source_lang!r}, or leave it empty")
