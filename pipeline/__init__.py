"""tqa's library: small, pure stages over plain data (polars frames, frozen dataclasses).

Nothing here knows about Luigi, the terminal or files it was not handed; ``tasks`` wires the
stages to Luigi targets and configuration.
"""

__version__ = "0.1.0"
