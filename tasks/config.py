"""luigi.Config classes mirroring the sections of luigi.cfg, and the frozen stage configs built from them.

Unknown keys in a tqa section are errors naming the key, so a misspelt threshold cannot silently
do nothing.
"""

from __future__ import annotations

import luigi

from pipeline import config as pc
from pipeline.errors import ConfigurationError


def _tuple(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.replace("\n", ",").split(",") if v.strip())


class tqa(luigi.Config):  # noqa: N801 — the section name
    source_lang = luigi.Parameter(default="en")
    shard_docs = luigi.IntParameter(default=64, description="documents per shard (target)")
    work_dir = luigi.Parameter(default="", description="work files; default REPORT_DIR/.tqa")
    processes = luigi.IntParameter(
        default=0, description="processes that extract, audit and render parts of a shard; 0: one per core")


class extract(luigi.Config):  # noqa: N801
    max_file_mb = luigi.FloatParameter(default=10.0)
    title_max_words = luigi.IntParameter(default=20)
    fallback_encodings = luigi.Parameter(default="cp1252")
    max_depth = luigi.IntParameter(default=512, description="deepest HTML/Markdown nesting extracted")
    max_seconds = luigi.FloatParameter(default=30.0, description="time budget of one file's extraction")
    symlinks = luigi.Parameter(default="skip", description="skip: never follow symbolic links; inside: follow "
                                                           "those that stay inside the corpus")


class langid(luigi.Config):  # noqa: N801
    languages = luigi.Parameter(default="en,sv")
    min_letters = luigi.IntParameter(default=4)
    span_min_words = luigi.IntParameter(default=8)
    span_fold_words = luigi.IntParameter(default=4)


class boilerplate(luigi.Config):  # noqa: N801
    recurring_min_docs = luigi.IntParameter(default=2)
    recurring_max_words = luigi.IntParameter(default=12)
    title_min_docs = luigi.IntParameter(default=3)
    within_doc_min_repeats = luigi.IntParameter(default=3)
    teaser_min_repeats = luigi.IntParameter(default=2)
    mirror_max_length_ratio = luigi.FloatParameter(default=2.5)


class pair(luigi.Config):  # noqa: N801
    min_score = luigi.FloatParameter(default=0.25)
    min_margin = luigi.FloatParameter(default=0.05)
    target_min_share = luigi.FloatParameter(default=0.2)
    same_lang_min_similarity = luigi.FloatParameter(default=0.85)


class align(luigi.Config):  # noqa: N801
    gap_cost = luigi.FloatParameter(default=0.25)
    merge_cost = luigi.FloatParameter(default=0.15)
    band = luigi.IntParameter(default=8)


class flags(luigi.Config):  # noqa: N801
    min_words = luigi.IntParameter(default=4)
    min_lang_confidence = luigi.FloatParameter(default=0.5)
    partial_min_span_words = luigi.IntParameter(default=3)
    partial_min_copied_words = luigi.IntParameter(default=5)
    garbled_max_chrf = luigi.FloatParameter(default=30.0)
    garbled_max_similarity = luigi.FloatParameter(default=0.08)
    spun_min_substitutions = luigi.IntParameter(default=1)
    fuzzy_term_min_skeleton = luigi.IntParameter(default=3)
    garbled_max_comet = luigi.FloatParameter(default=0.3)


class gate(luigi.Config):  # noqa: N801
    fail_on = luigi.Parameter(default="untranslated:0.2,partially_translated:0.2,garbled:0.2,omission:0.25,"
                                      "addition:0.25,number_mismatch:0.1,term_violation:0")
    fail_on_errors = luigi.BoolParameter(default=True, parsing=luigi.BoolParameter.EXPLICIT_PARSING)


class models(luigi.Config):  # noqa: N801
    dir = luigi.Parameter(default="~/.cache/tqa/models")
    argos_packages_dir = luigi.Parameter(default="")
    comet_model = luigi.Parameter(default="")
    comet_qe_model = luigi.Parameter(default="")
    device = luigi.Parameter(default="auto")
    threads = luigi.IntParameter(default=0)
    translate_batch_size = luigi.IntParameter(default=64)
    beam_size = luigi.IntParameter(default=4)
    comet_batch_size = luigi.IntParameter(default=32)
    cache = luigi.Parameter(default="")


SECTIONS = {c.__name__: c for c in (tqa, extract, langid, boilerplate, pair, align, flags, gate, models)}


def check_unknown_keys() -> None:
    """Raise ConfigurationError for a key in a tqa section of luigi.cfg that no parameter reads."""
    parser = luigi.configuration.get_config()
    for name, cls in SECTIONS.items():
        if not parser.has_section(name):
            continue
        known = {p for p, _ in cls.get_params()}
        for key in parser.options(name):
            if key.replace("-", "_") not in known and not parser.has_option("DEFAULT", key):
                raise ConfigurationError(f"[{name}] {key}: unknown key (known: {', '.join(sorted(known))})")


def _fail_on(text: str) -> dict[str, float]:
    out = {}
    for item in _tuple(text):
        flag, _, share = item.partition(":")
        try:
            out[flag.strip()] = float(share) if share else 0.0
        except ValueError as exc:
            raise ConfigurationError(f"[gate] fail_on: {item!r} is not 'flag:share'") from exc
    return out


def _build(fn):  # noqa: ANN001, ANN202
    try:
        return fn()
    except ValueError as exc:  # luigi's own parsing errors
        raise ConfigurationError(str(exc)) from exc


def source_lang() -> str:
    return tqa().source_lang


def extract_config() -> pc.ExtractConfig:
    c = extract()
    return _build(lambda: pc.ExtractConfig(c.max_file_mb, c.title_max_words, _tuple(c.fallback_encodings),
                                           c.max_depth, c.max_seconds, c.symlinks.strip()))


def langid_config() -> pc.LangIdConfig:
    c = langid()
    return _build(lambda: pc.LangIdConfig(_tuple(c.languages), c.min_letters, c.span_min_words, c.span_fold_words))


def boilerplate_config() -> pc.BoilerplateConfig:
    c = boilerplate()
    return _build(lambda: pc.BoilerplateConfig(c.recurring_min_docs, c.recurring_max_words, c.title_min_docs,
                                               c.within_doc_min_repeats, c.teaser_min_repeats,
                                               c.mirror_max_length_ratio))


def pair_config() -> pc.PairConfig:
    c = pair()
    return _build(lambda: pc.PairConfig(source_lang(), c.min_score, c.min_margin, c.target_min_share,
                                        c.same_lang_min_similarity))


def align_config() -> pc.AlignConfig:
    c = align()
    return _build(lambda: pc.AlignConfig(c.gap_cost, c.merge_cost, c.band))


def flag_config() -> pc.FlagConfig:
    c = flags()
    return _build(lambda: pc.FlagConfig(source_lang(), c.min_words, c.min_lang_confidence, c.partial_min_span_words,
                                        c.partial_min_copied_words,
                                        c.garbled_max_chrf, c.garbled_max_similarity, c.spun_min_substitutions,
                                        c.fuzzy_term_min_skeleton, c.garbled_max_comet))


def gate_config() -> pc.GateConfig:
    c = gate()
    return _build(lambda: pc.GateConfig(_fail_on(c.fail_on), c.fail_on_errors))


def models_config() -> pc.ModelsConfig:
    c = models()
    return _build(lambda: pc.ModelsConfig(c.dir, c.argos_packages_dir, c.comet_model, c.comet_qe_model, c.device,
                                          c.threads, c.translate_batch_size, c.beam_size, c.comet_batch_size,
                                          c.cache))


def all_configs() -> dict[str, object]:
    """Every stage config, built (and so validated) now."""
    check_unknown_keys()
    return {"source_lang": source_lang(), "extract": extract_config(), "langid": langid_config(),
            "boilerplate": boilerplate_config(), "pair": pair_config(), "align": align_config(),
            "flags": flag_config(), "gate": gate_config(), "models": models_config()}
