"""Optuna's journal storage: a file of JSON lines, one operation each, that
Optuna and ferrotune processes read and append to at the same time::

    storage = JournalStorage(JournalFileBackend("./optuna_journal_storage.log"))

The engine reads and writes the file (``ferrotune.storages.JournalStorage``);
the classes here only say which file and which of Optuna's locks to take.
The URL ``journal:///study.log`` (or a path ending in ``.log``) names the
same storage wherever a URL is taken, the CLI included."""

from __future__ import annotations

import os
import warnings
from typing import Optional, Union

from ferrotune._ferrotune import JournalStorage

__all__ = [
    "BaseJournalBackend",
    "JournalFileBackend",
    "JournalFileOpenLock",
    "JournalFileSymlinkLock",
    "JournalRedisBackend",
    "JournalStorage",
]


class BaseJournalBackend:
    """The base of journal backends, as in Optuna. ferrotune's
    :class:`JournalStorage` runs on :class:`JournalFileBackend` only: the
    engine reads and writes the file itself, so a backend written in Python
    (a subclass with ``read_logs`` and ``append_logs``) cannot serve it."""


class BaseJournalFileLock:
    """A lock protocol on a journal file (see the two subclasses)."""

    _kind = ""

    def __init__(self, filepath: Union[str, "os.PathLike[str]"], grace_period: Optional[int] = 30) -> None:
        if grace_period is not None:
            if isinstance(grace_period, bool) or not isinstance(grace_period, (int, float)) or grace_period <= 0:
                raise ValueError("The value of `grace_period` should be a positive integer.")
            if grace_period < 3:
                warnings.warn("The value of `grace_period` might be too small. ", UserWarning, stacklevel=2)
        self._lock_target_file = os.fspath(filepath)
        self.grace_period = grace_period


class JournalFileSymlinkLock(BaseJournalFileLock):
    """Optuna's default lock (NFSv2 and later): ``<file>.lock`` is created as a
    symbolic link. A lock unchanged for ``grace_period`` seconds is taken to
    be left by a dead process and broken, as Optuna 5 does."""

    _kind = "symlink"


class JournalFileOpenLock(BaseJournalFileLock):
    """The lock for NFSv3 and later, or where symbolic links cannot be made:
    ``<file>.lock`` is created with ``O_EXCL``. Both locks take the same lock
    file, so processes using either exclude each other."""

    _kind = "open"


class JournalFileBackend(BaseJournalBackend):
    """Optuna's journal file at ``file_path`` (created if missing), locked with
    ``lock_obj`` (default: :class:`JournalFileSymlinkLock`) while a process
    appends. Give it to :class:`JournalStorage`."""

    def __init__(
        self, file_path: Union[str, "os.PathLike[str]"], lock_obj: Optional[BaseJournalFileLock] = None
    ) -> None:
        self._file_path = os.fspath(file_path)
        if lock_obj is None:
            lock_obj = JournalFileSymlinkLock(self._file_path)
        if not isinstance(lock_obj, (JournalFileSymlinkLock, JournalFileOpenLock)):
            raise TypeError(
                "lock_obj must be a JournalFileSymlinkLock or a JournalFileOpenLock (the engine takes the lock "
                f"itself), got {type(lock_obj).__name__}"
            )
        if os.path.abspath(lock_obj._lock_target_file) != os.path.abspath(self._file_path):
            raise ValueError(
                f"lock_obj locks {lock_obj._lock_target_file!r} but the journal is {self._file_path!r}: "
                "give the lock the journal's path"
            )
        self._lock = lock_obj
        if not os.path.exists(self._file_path):
            open(self._file_path, "ab").close()

    def _ferrotune_journal_spec(self) -> tuple[str, str, Optional[float]]:
        """What the engine opens: the path, the lock protocol and its grace period."""
        grace = self._lock.grace_period
        return self._file_path, self._lock._kind, None if grace is None else float(grace)


class JournalRedisBackend(BaseJournalBackend):
    """Optuna's journal in Redis: not supported by ferrotune."""

    def __init__(self, url: str, use_cluster: bool = False, prefix: str = "") -> None:
        raise NotImplementedError(
            "ferrotune has no Redis journal: use JournalFileBackend (a file shared by every worker), "
            "or a PostgreSQL storage (postgresql://user@host/db) for workers on several machines"
        )
