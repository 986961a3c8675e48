"""The exception the artifact stores raise, with Optuna's name."""

from ferrotune.exceptions import FerrotuneError


class ArtifactNotFound(FerrotuneError):
    """No artifact of the given id is in the store (raised by a store's
    ``open_reader`` and ``remove``, so by :func:`download_artifact`)."""


__all__ = ["ArtifactNotFound"]
