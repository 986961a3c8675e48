"""The package's version, where Optuna keeps its own (``optuna.version``)."""

from ferrotune._ferrotune import __version__

__all__ = ["__version__"]
