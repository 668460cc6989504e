"""The small exception hierarchy of tqa.

A bad document becomes an :class:`InputError` that the run records (path, problem, what to do)
before going on; a bad configuration is a :class:`ConfigurationError` that stops the run before any
work; a missing model is :class:`ModelUnavailable`.
"""

from __future__ import annotations


class TqaError(Exception):
    """Base class of every error tqa raises on purpose."""


class ConfigurationError(TqaError):
    """A configuration key has a bad value; the message names the section, key and value."""


class InputError(TqaError):
    """One input file cannot be audited; the message says why, the caller knows which file."""


class ModelUnavailable(TqaError):
    """A model stage cannot run; the message names the missing model and the command that fixes it."""
