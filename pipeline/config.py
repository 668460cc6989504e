"""Frozen configuration of each stage.

``tasks.config`` builds these from the ``luigi.cfg`` sections of the same names; the defaults here
are only what the dataclasses fall back to in library use and tests. Every value is validated on
construction, so a bad threshold stops the run before any work, naming the key and the value.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path

from .errors import ConfigurationError

FLAG_NAMES = (
    "untranslated",
    "partially_translated",
    "garbled",
    "omission",
    "addition",
    "number_mismatch",
    "term_violation",
    "boilerplate",
)


def _check_range(section: str, obj: object, lo: float, hi: float, *names: str) -> None:
    for name in names:
        value = getattr(obj, name)
        if not (lo <= value <= hi):
            raise ConfigurationError(f"[{section}] {name} = {value!r}: must be between {lo} and {hi}")


SYMLINK_POLICIES = ("skip", "inside")


@dataclass(frozen=True)
class ExtractConfig:
    """Reading and extracting one document.

    ``max_depth``: the deepest HTML/Markdown nesting extracted (deeper files are errors);
    ``max_seconds``: the time budget of one file's extraction; ``symlinks``: ``skip`` (symbolic
    links are never followed) or ``inside`` (links whose real path stays inside the corpus are
    followed; links out of it never are).
    """

    max_file_mb: float = 10.0
    title_max_words: int = 20
    fallback_encodings: tuple[str, ...] = ("cp1252",)
    max_depth: int = 512
    max_seconds: float = 30.0
    symlinks: str = "skip"

    def __post_init__(self) -> None:
        _check_range("extract", self, 0.001, 10_000, "max_file_mb")
        _check_range("extract", self, 1, 200, "title_max_words")
        _check_range("extract", self, 16, 100_000, "max_depth")
        _check_range("extract", self, 0.1, 86_400, "max_seconds")
        if self.symlinks not in SYMLINK_POLICIES:
            raise ConfigurationError(f"[extract] symlinks = {self.symlinks!r}: must be skip (never follow symbolic "
                                     f"links) or inside (follow links that stay inside the corpus)")


@dataclass(frozen=True)
class LangIdConfig:
    languages: tuple[str, ...] = ("en", "sv")
    min_letters: int = 4
    span_min_words: int = 8
    span_fold_words: int = 4

    def __post_init__(self) -> None:
        if len(self.languages) < 2:
            raise ConfigurationError(f"[langid] languages = {','.join(self.languages)!r}: name at least two")
        _check_range("langid", self, 1, 100, "min_letters", "span_min_words", "span_fold_words")


@dataclass(frozen=True)
class BoilerplateConfig:
    recurring_min_docs: int = 2
    recurring_max_words: int = 12
    title_min_docs: int = 3
    within_doc_min_repeats: int = 3
    teaser_min_repeats: int = 2
    mirror_max_length_ratio: float = 2.5

    def __post_init__(self) -> None:
        _check_range("boilerplate", self, 2, 1_000_000, "recurring_min_docs", "title_min_docs",
                     "within_doc_min_repeats", "teaser_min_repeats")
        _check_range("boilerplate", self, 1, 1000, "recurring_max_words")
        _check_range("boilerplate", self, 1.0, 100.0, "mirror_max_length_ratio")


@dataclass(frozen=True)
class PairConfig:
    source_lang: str = "en"
    min_score: float = 0.25
    min_margin: float = 0.05
    target_min_share: float = 0.2
    same_lang_min_similarity: float = 0.85

    def __post_init__(self) -> None:
        _check_range("pair", self, 0.0, 1.0, "min_score", "min_margin", "target_min_share",
                     "same_lang_min_similarity")


@dataclass(frozen=True)
class AlignConfig:
    gap_cost: float = 0.25
    merge_cost: float = 0.15
    band: int = 8

    def __post_init__(self) -> None:
        _check_range("align", self, 0.0, 1.0, "gap_cost", "merge_cost")
        _check_range("align", self, 1, 10_000, "band")


@dataclass(frozen=True)
class FlagConfig:
    source_lang: str = "en"
    min_words: int = 4
    min_lang_confidence: float = 0.5
    partial_min_span_words: int = 3
    partial_min_copied_words: int = 5
    garbled_max_chrf: float = 30.0
    garbled_max_similarity: float = 0.08
    spun_min_substitutions: int = 1
    fuzzy_term_min_skeleton: int = 3
    garbled_max_comet: float = 0.3

    def __post_init__(self) -> None:
        _check_range("flags", self, 1, 1000, "min_words", "partial_min_span_words", "partial_min_copied_words",
                     "spun_min_substitutions", "fuzzy_term_min_skeleton")
        _check_range("flags", self, 0.0, 1.0, "min_lang_confidence", "garbled_max_similarity", "garbled_max_comet")
        _check_range("flags", self, 0.0, 100.0, "garbled_max_chrf")


@dataclass(frozen=True)
class ModelsConfig:
    """Where the model stages find their models, and how they run them.

    ``comet_model`` / ``comet_qe_model``: a checkpoint folder, or the name of one installed under
    ``dir/comet``; empty means the one installed model of that kind, if there is exactly one.
    """

    dir: str = "~/.cache/tqa/models"
    argos_packages_dir: str = ""
    comet_model: str = ""
    comet_qe_model: str = ""
    device: str = "auto"
    threads: int = 0
    translate_batch_size: int = 64
    beam_size: int = 4
    comet_batch_size: int = 32
    cache: str = ""

    def __post_init__(self) -> None:
        if self.device not in ("auto", "cpu", "cuda"):
            raise ConfigurationError(f"[models] device = {self.device!r}: must be auto, cpu or cuda")
        _check_range("models", self, 0, 1024, "threads")
        _check_range("models", self, 1, 100_000, "translate_batch_size", "comet_batch_size")
        _check_range("models", self, 1, 64, "beam_size")

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


@dataclass(frozen=True)
class GateConfig:
    """``fail_on`` maps a flag to the share of an article's body segments above which it fails.

    A share of 0 fails the article on the first such segment.
    """

    fail_on: dict[str, float] = field(default_factory=lambda: {
        "untranslated": 0.2, "partially_translated": 0.2, "garbled": 0.2, "omission": 0.25,
        "addition": 0.25, "number_mismatch": 0.1, "term_violation": 0.0})
    fail_on_errors: bool = True

    def __post_init__(self) -> None:
        for flag, share in self.fail_on.items():
            if flag not in FLAG_NAMES or flag == "boilerplate":
                raise ConfigurationError(f"[gate] fail_on names {flag!r}: not a flag tqa raises "
                                         f"(one of {', '.join(FLAG_NAMES[:-1])})")
            if not 0.0 <= share <= 1.0:
                raise ConfigurationError(f"[gate] fail_on {flag}:{share}: the share must be between 0 and 1")


def describe(cfg: object) -> str:
    """Stable one-line text of a config object, for signatures and cache keys."""
    parts = []
    for f in fields(cfg):  # type: ignore[arg-type]
        value = getattr(cfg, f.name)
        if isinstance(value, dict):
            value = ",".join(f"{k}:{v}" for k, v in sorted(value.items()))
        elif isinstance(value, tuple):
            value = ",".join(map(str, value))
        parts.append(f"{f.name}={value}")
    return f"{type(cfg).__name__}(" + ";".join(parts) + ")"
