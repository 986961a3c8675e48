"""Storages: where studies live. A URL string works wherever a storage object
does; ``sqlite:///study.db`` is shared with the ``ferrotune`` CLI and any
number of other processes."""

from ferrotune._ferrotune import BaseStorage, InMemoryStorage, RDBStorage

__all__ = ["BaseStorage", "InMemoryStorage", "RDBStorage"]
