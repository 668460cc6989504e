"""Typed, documented settings: one definition per field, from which validation, ``luigi.cfg``
parsing, the settings reference and signatures all follow.

A settings class is a frozen dataclass whose fields are declared with :func:`setting`::

    @dataclass(frozen=True)
    class AlignConfig(Settings, section="align"):
        band: int = setting(8, "how far (in segments) the alignment may stray from the diagonal", lo=1, hi=10_000)

Constructing one validates every field (type, range, choices) and raises
:class:`~pipeline.errors.ConfigurationError` naming the section, the key, the value and what is
allowed — so a bad value stops the run before any work.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from .errors import ConfigurationError


@dataclass(frozen=True)
class FieldSpec:
    """What a settings field accepts."""

    doc: str
    lo: float | None = None
    hi: float | None = None
    choices: tuple[str, ...] | None = None
    check: Callable[[Any], str | None] | None = None  # returns what is wrong, or None


def setting(default: Any, doc: str, *, lo: float | None = None, hi: float | None = None,
            choices: tuple[str, ...] | None = None, check: Callable[[Any], str | None] | None = None) -> Any:
    """A settings field: its default, its documentation and what values it accepts."""
    spec = FieldSpec(doc, lo, hi, choices, check)
    if isinstance(default, (dict, list, set)):
        return dataclasses.field(default_factory=lambda: type(default)(default), metadata={"spec": spec})
    return dataclasses.field(default=default, metadata={"spec": spec})


class Settings:
    """Base of every settings dataclass: validates on construction."""

    section: ClassVar[str] = ""

    def __init_subclass__(cls, section: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if section:
            cls.section = section

    def __post_init__(self) -> None:
        hints = typing.get_type_hints(type(self))
        for f in fields(self):  # type: ignore[arg-type]
            spec: FieldSpec | None = f.metadata.get("spec")
            if spec is None:
                continue
            value = getattr(self, f.name)
            problem = _problem(value, hints[f.name], spec)
            if problem:
                raise ConfigurationError(f"[{self.section}] {f.name} = {_show(value)}: {problem}")

    @classmethod
    def specs(cls) -> list[tuple[str, Any, Any, FieldSpec]]:
        """(name, type, default, spec) of every documented field, in declaration order."""
        hints = typing.get_type_hints(cls)
        out = []
        for f in fields(cls):  # type: ignore[arg-type]
            if "spec" in f.metadata:
                default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore
                out.append((f.name, hints[f.name], default, f.metadata["spec"]))
        return out


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        return repr(",".join(map(str, value)))
    if isinstance(value, Mapping):
        return repr(",".join(f"{k}:{v}" for k, v in value.items()))
    return repr(value)


def _problem(value: Any, hint: Any, spec: FieldSpec) -> str | None:
    base = typing.get_origin(hint) or hint
    if base is bool:
        if not isinstance(value, bool):
            return "must be true or false"
    elif base is int:
        if isinstance(value, bool) or not isinstance(value, int):
            return "must be a whole number"
    elif base is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return "must be a number"
    elif base is str and not isinstance(value, str):
        return "must be text"
    if spec.lo is not None and isinstance(value, (int, float)) and value < spec.lo:
        return f"must be at least {spec.lo:g}" + (f" and at most {spec.hi:g}" if spec.hi is not None else "")
    if spec.hi is not None and isinstance(value, (int, float)) and value > spec.hi:
        return f"must be at most {spec.hi:g}" + (f" and at least {spec.lo:g}" if spec.lo is not None else "")
    if spec.choices is not None:
        items = value if isinstance(value, tuple) else (value,)
        bad = [v for v in items if v not in spec.choices]
        if bad:
            return f"must be one of {', '.join(spec.choices)}"
    if spec.check is not None:
        return spec.check(value)
    return None


def describe(cfg: object) -> str:
    """Stable one-line text of a settings object, for signatures and work-file digests."""
    parts = []
    for f in fields(cfg):  # type: ignore[arg-type]
        value = getattr(cfg, f.name)
        if isinstance(value, Mapping):
            value = ",".join(f"{k}:{_flat(v)}" for k, v in sorted(value.items()))
        elif isinstance(value, tuple):
            value = ",".join(map(str, value))
        parts.append(f"{f.name}={value}")
    return f"{type(cfg).__name__}(" + ";".join(parts) + ")"


def _flat(value: Any) -> str:
    if dataclasses.is_dataclass(value):
        return describe(value)
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{k}:{_flat(v)}" for k, v in sorted(value.items())) + "}"
    return str(value)


def parse_value(section: str, key: str, text: str, hint: Any) -> Any:
    """A ``luigi.cfg`` value as the field's type: ``int``, ``float``, ``bool``, ``str`` or a tuple of
    strings (comma-separated). Raises ConfigurationError naming the key when it does not parse."""
    base = typing.get_origin(hint) or hint
    raw = text.strip()
    try:
        if base is bool:
            low = raw.lower()
            if low in ("true", "yes", "on", "1"):
                return True
            if low in ("false", "no", "off", "0"):
                return False
            raise ValueError
        if base is int:
            return int(raw)
        if base is float:
            return float(raw)
        if base is tuple:
            return tuple(v.strip() for v in raw.replace("\n", ",").split(",") if v.strip())
        return raw
    except ValueError:
        kind = {bool: "true or false", int: "a whole number", float: "a number"}.get(base, "a value")
        raise ConfigurationError(f"[{section}] {key} = {raw!r}: must be {kind}") from None
