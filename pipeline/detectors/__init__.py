"""The detector registry: every check tqa makes, in the order the judge applies them.

The flag list of the output contract, the ``[flags]`` section of ``luigi.cfg``, the report's flag
classes and the flag table of ``docs/output.md`` all follow from :data:`DETECTORS`; a new check is
one new class here and its tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigurationError
from ..settings import describe, parse_value
from .base import SEVERITIES, Detector, Evidence, Finding, Highlight
from .comparison import ChrfDetector, CometDetector, DissimilarityDetector, NumberDetector, SubstitutionDetector
from .damage import ReplacementDetector, TruncationDetector, WordOrderDetector
from .language import CopiedRunDetector, MixedLanguageDetector, UntranslatedDetector
from .spin import FluencyDetector
from .structure import AdditionDetector, BoilerplateDetector, OmissionDetector, TermDetector

DETECTORS: tuple[Detector, ...] = (
    BoilerplateDetector(),
    UntranslatedDetector(),
    MixedLanguageDetector(),
    CopiedRunDetector(),
    ChrfDetector(),
    TruncationDetector(),
    ReplacementDetector(),
    WordOrderDetector(),
    DissimilarityDetector(),
    CometDetector(),
    SubstitutionDetector(),
    FluencyDetector(),
    OmissionDetector(),
    AdditionDetector(),
    NumberDetector(),
    TermDetector(),
)
BY_NAME: dict[str, Detector] = {d.name: d for d in DETECTORS}
#: The flags of the output contract, in the order pages list them (boilerplate last).
FLAGS: tuple[str, ...] = (*dict.fromkeys(d.flag for d in DETECTORS if d.flag != "boilerplate"), "boilerplate")
#: Severity of each flag: the most severe of the detectors that raise it.
FLAG_SEVERITY: dict[str, str] = {
    f: min((d.severity for d in DETECTORS if d.flag == f), key=SEVERITIES.index) for f in FLAGS}
assert len(BY_NAME) == len(DETECTORS), "detector names must be unique"


@dataclass(frozen=True)
class FlagsConfig:
    """The ``[flags]`` section: each detector's thresholds, keyed by detector name."""

    detectors: Mapping[str, Any]

    def __getitem__(self, name: str) -> Any:
        return self.detectors[name]

    @classmethod
    def defaults(cls) -> FlagsConfig:
        return cls({d.name: d.Settings() for d in DETECTORS})

    @classmethod
    def from_section(cls, values: Mapping[str, str]) -> FlagsConfig:
        """From the raw ``[flags]`` key = value text; an unknown key or a bad value names the key."""
        known = {key: d for d in DETECTORS for key in d.keys()}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ConfigurationError(f"[flags] {unknown[0]}: unknown key (known: {', '.join(sorted(known))})")
        out = {}
        for d in DETECTORS:
            kwargs = {}
            for name, hint, _, _ in d.Settings.specs():
                key = f"{d.name}_{name}"
                if key in values:
                    kwargs[name] = parse_value("flags", key, values[key], hint)
            try:
                out[d.name] = d.Settings(**kwargs)
            except ConfigurationError as exc:  # name the key as it is written in [flags]
                raise ConfigurationError(str(exc).replace("[flags] ", f"[flags] {d.name}_", 1)) from None
        return cls(out)

    def describe(self) -> str:
        return ";".join(f"{name}:{describe(s)}" for name, s in sorted(self.detectors.items()))


__all__ = ["BY_NAME", "DETECTORS", "FLAGS", "FLAG_SEVERITY", "Detector", "Evidence", "Finding", "FlagsConfig",
           "Highlight"]
