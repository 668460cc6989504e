"""``luigi.Config`` classes of tqa's ``luigi.cfg`` sections, generated from the typed definitions of
``pipeline.config`` (and, for ``[flags]``, of the detector registry), and the validated settings
built from them by keyword.

Everything is checked before any work: every section is tqa's or Luigi's own, every key is known,
every value parses and is in range, a config file named by ``LUIGI_CONFIG_PATH`` exists. A mistake
is a :class:`ConfigurationError` naming the section, the key, the value and what is allowed.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import luigi

from pipeline import config as pc
from pipeline.detectors import DETECTORS, FlagsConfig
from pipeline.embed import problem as embed_problem
from pipeline.errors import ConfigurationError
from pipeline.judge import check_gate
from pipeline.resources import with_fluency_model
from pipeline.settings import parse_value


def _section_class(name: str, params: dict[str, tuple[object, str]]) -> type[luigi.Config]:
    attrs = {key: luigi.Parameter(default=_text(default), description=doc) for key, (default, doc) in params.items()}
    return type(name, (luigi.Config,), attrs)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    if isinstance(value, dict):
        return ",".join(f"{k}:{v:g}" for k, v in value.items())
    return str(value)


LUIGI_CLASSES: dict[str, type[luigi.Config]] = {
    name: _section_class(name, {f: (d, spec.doc) for f, _, d, spec in cls.specs()})
    for name, cls in pc.SECTIONS.items()}
LUIGI_CLASSES["flags"] = _section_class("flags", {
    f"{det.name}_{f}": (d, spec.doc) for det in DETECTORS for f, _, d, spec in det.Settings.specs()})

#: Sections Luigi itself reads (and logging's); any other section in luigi.cfg is a mistake.
LUIGI_SECTIONS = {"core", "worker", "scheduler", "retcode", "email", "smtp", "sendgrid", "batch_email",
                  "execution_summary", "task_history", "logging", "hdfs", "hadoop", "spark", "resources",
                  "elasticsearch", "postgres", "redshift", "s3", "gcs", "bigquery", "webhdfs", "cron"}


def check_config_path() -> None:
    """A ``LUIGI_CONFIG_PATH`` that names no file is a mistake, not a reason to run with defaults."""
    named = os.environ.get("LUIGI_CONFIG_PATH")
    if named and not Path(named).is_file():
        raise ConfigurationError(f"LUIGI_CONFIG_PATH={named}: no such file")


def check_waivers_file(path: str) -> None:
    """A ``[gate] waivers`` file that does not exist is a mistake: a CI job would silently count every
    finding it meant to waive."""
    if path and not Path(path).expanduser().is_file():
        raise ConfigurationError(f"[gate] waivers = {path}: no such file (relative paths start at the working "
                                 f"folder, {Path.cwd()})")


def check_sections() -> None:
    """Every section and key of the loaded configuration is one tqa or Luigi reads."""
    parser = luigi.configuration.get_config()
    for section in parser.sections():
        if section in LUIGI_CLASSES:
            known = set(LUIGI_CLASSES[section].get_param_names())
            for key in parser.options(section):
                if key.replace("-", "_") not in known and not parser.has_option("DEFAULT", key):
                    close = difflib.get_close_matches(key, sorted(known), n=1)
                    hint = f"; did you mean {close[0]}?" if close else f" (known: {', '.join(sorted(known))})"
                    raise ConfigurationError(f"[{section}] {key}: unknown key{hint}")
        elif section == "resources":  # Luigi's: what its scheduler shares out, in whole numbers
            for key in parser.options(section):
                value = parser.get(section, key)
                if not parser.has_option("DEFAULT", key) and not _whole(value):
                    raise ConfigurationError(f"[resources] {key} = {value!r}: Luigi's scheduler resources are whole "
                                             f"numbers (the dictionaries and WordNet of `tqa resources fetch` are "
                                             f"set in [lexicons]: dir, dictionaries, wordnet_dir)")
        elif section not in LUIGI_SECTIONS and not _is_task_section(section):
            close = difflib.get_close_matches(section, sorted(LUIGI_CLASSES), n=1)
            hint = f"; did you mean [{close[0]}]?" if close else \
                f" (tqa's sections: {', '.join(f'[{s}]' for s in LUIGI_CLASSES)})"
            raise ConfigurationError(f"[{section}]: unknown section{hint}")


def _whole(value: str) -> bool:
    """``value`` reads as Luigi's scheduler reads its [resources]: ``int(value)``."""
    try:
        int(value)
    except ValueError:
        return False
    return True


def _is_task_section(section: str) -> bool:
    """A section named after a Luigi task or config class (its parameters), e.g. [AuditCorpus]."""
    return section in luigi.task_register.Register.task_names()


def _raw(section: str) -> dict[str, str]:
    """The section's values as text: luigi.cfg's, else the defaults (via the generated Config class)."""
    instance = LUIGI_CLASSES[section]()
    return {name: getattr(instance, name) for name in LUIGI_CLASSES[section].get_param_names()}


def build(section: str) -> object:
    """The validated settings of one section."""
    values = _raw(section)
    if section == "flags":
        return FlagsConfig.from_section(values)
    cls = pc.SECTIONS[section]
    kwargs = {}
    for name, hint, _, _ in cls.specs():
        if hint is dict or str(hint).startswith("dict"):
            kwargs[name] = _pairs(section, name, values[name])
        else:
            kwargs[name] = parse_value(section, name, values[name], hint)
    settings = cls(**kwargs)
    return check_gate(settings) if section == "gate" else settings


def _pairs(section: str, key: str, text: str) -> dict[str, float]:
    out = {}
    for item in (v.strip() for v in text.replace("\n", ",").split(",")):
        if not item:
            continue
        name, sep, share = item.rpartition(":")
        try:
            out[name.strip() if sep else share.strip()] = float(share) if sep else 0.0
        except ValueError:
            raise ConfigurationError(f"[{section}] {key}: {item!r} is not 'flag:share'") from None
    return out


def all_configs() -> dict[str, object]:
    """Every section's settings, built (and so validated) now. A ``[models] fluency_model`` is loaded
    once here, in a subprocess, and travels to the scoring with ``[lexicons]`` (``with_fluency_model``)."""
    check_config_path()
    check_sections()
    configs = {name: build(name) for name in LUIGI_CLASSES}
    check_waivers_file(configs["gate"].waivers)  # type: ignore[attr-defined]
    pc.check_source_in(configs["langid"].languages, configs["tqa"].source_lang)  # type: ignore[attr-defined]
    configs["lexicons"] = with_fluency_model(configs["lexicons"], configs["models"])  # type: ignore[arg-type]
    if why := embed_problem(configs["lexicons"].embeddings):  # type: ignore[attr-defined]
        raise ConfigurationError(f"[lexicons] embeddings = {configs['lexicons'].embeddings}: {why}")  # type: ignore[attr-defined]
    return configs


def tqa() -> object:
    return build("tqa")
