"""ferrotune's log messages (one line per finished trial, warnings for failed
ones), with Optuna's controls: ``set_verbosity(WARNING)`` silences the
per-trial lines."""

from __future__ import annotations

import logging as _logging
import sys
import threading

CRITICAL = _logging.CRITICAL
FATAL = _logging.FATAL
ERROR = _logging.ERROR
WARNING = _logging.WARNING
WARN = _logging.WARN
INFO = _logging.INFO
DEBUG = _logging.DEBUG

_lock = threading.Lock()
_default_handler: _logging.Handler | None = None


class _Formatter(_logging.Formatter):
    def __init__(self) -> None:
        super().__init__("[%(levelname_letter)s %(asctime)s] %(message)s")

    def format(self, record: _logging.LogRecord) -> str:
        record.levelname_letter = record.levelname[:1]
        return super().format(record)


class _StderrHandler(_logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time (notebooks and test
    runners replace it after import)."""

    @property  # type: ignore[override]
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, value: object) -> None:
        pass


def _root() -> _logging.Logger:
    return _logging.getLogger("ferrotune")


def _configure() -> None:
    global _default_handler
    with _lock:
        if _default_handler is not None:
            return
        _default_handler = _StderrHandler()
        _default_handler.setFormatter(_Formatter())
        root = _root()
        root.addHandler(_default_handler)
        root.setLevel(INFO)
        root.propagate = False


def get_logger(name: str) -> _logging.Logger:
    """A logger below ``ferrotune``'s, with the default handler installed.

    Optuna's logger names map onto ferrotune's: ``get_logger("optuna")`` is
    ``ferrotune``'s root logger and ``"optuna.study"`` is
    ``"ferrotune.study"``, so a handler a script adds the Optuna way sees
    ferrotune's messages. (``logging.getLogger("optuna")`` called directly
    is Python's, and stays a separate logger.)"""
    _configure()
    if name == "optuna" or name.startswith("optuna."):
        name = "ferrotune" + name[len("optuna") :]
    return _logging.getLogger(name)


def get_verbosity() -> int:
    """The level of ferrotune's root logger."""
    _configure()
    return _root().getEffectiveLevel()


def set_verbosity(verbosity: int) -> None:
    """Set the level: ``INFO`` (the default) logs every trial, ``WARNING`` only problems."""
    _configure()
    _root().setLevel(verbosity)


def disable_default_handler() -> None:
    """Stop printing to stderr (records still reach handlers you add)."""
    _configure()
    assert _default_handler is not None
    _root().removeHandler(_default_handler)


def enable_default_handler() -> None:
    """Print to stderr again."""
    _configure()
    assert _default_handler is not None
    _root().addHandler(_default_handler)


def disable_propagation() -> None:
    """Keep records from reaching the root logger (the default)."""
    _configure()
    _root().propagate = False


def enable_propagation() -> None:
    """Let records reach the root logger's handlers too."""
    _configure()
    _root().propagate = True
