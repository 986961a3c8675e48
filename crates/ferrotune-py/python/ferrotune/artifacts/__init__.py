"""Artifacts: files a study or a trial produces (a model, a plot, a log),
kept in an artifact store and listed in the study's or trial's system
attributes, as Optuna's ``optuna.artifacts``.

The file goes to the store under a fresh id; its metadata (id, file name,
MIME type, encoding) goes to the storage as the system attribute
``"artifacts:<id>"``, a JSON string, exactly as Optuna writes it. So
artifacts work with any ferrotune storage, and a study exported with
:func:`ferrotune.storages.export_optuna` lists them for Optuna and
optuna-dashboard, which read the same store.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import mimetypes
import os
import shutil
import uuid
import warnings
from typing import TYPE_CHECKING, Any, Callable, Optional, TypeVar, Union

from ferrotune import _ferrotune
from ferrotune.artifacts import exceptions
from ferrotune.artifacts._stores import (
    ArtifactStore,
    Backoff,
    Boto3ArtifactStore,
    FileSystemArtifactStore,
    GCSArtifactStore,
)
from ferrotune.exceptions import UpdateFinishedTrialError
from ferrotune.study import Study
from ferrotune.trial import FrozenTrial, Trial, TrialState

if TYPE_CHECKING:
    from ferrotune.storages import BaseStorage

__all__ = [
    "ArtifactMeta",
    "Backoff",
    "Boto3ArtifactStore",
    "FileSystemArtifactStore",
    "GCSArtifactStore",
    "download_artifact",
    "get_all_artifact_meta",
    "upload_artifact",
]

# Optuna's key prefix and fallback MIME type: the same keys make an exported
# study's artifacts visible to Optuna.
_ATTR_PREFIX = "artifacts:"
_DEFAULT_MIMETYPE = "application/octet-stream"


@dataclasses.dataclass
class ArtifactMeta:
    """What the storage knows of one artifact: its id in the store, the name
    of the file uploaded, its MIME type and its encoding (such as ``gzip``,
    or None)."""

    artifact_id: str
    filename: str
    mimetype: str
    encoding: Optional[str]


StudyOrTrial = Union[Trial, FrozenTrial, Study]
_F = TypeVar("_F", bound=Callable[..., Any])


def _positional_as_keywords(names: list[str]) -> Callable[[_F], _F]:
    # Optuna 5 still accepts upload_artifact's first three arguments by
    # position, with a FutureWarning (removed in 6.0); so does ferrotune, so
    # scripts written for Optuna 3 run.
    def wrap(func: _F) -> _F:
        @functools.wraps(func)
        def call(*args: Any, **kwargs: Any) -> Any:
            if len(args) > len(names):
                raise TypeError(f"{func.__name__}() takes at most {len(names)} positional arguments, got {len(args)}")
            if args:
                warnings.warn(
                    f"{func.__name__}() takes its arguments by keyword ({', '.join(names)}); "
                    "positional arguments are deprecated, as in Optuna",
                    FutureWarning,
                    stacklevel=2,
                )
            for name, value in zip(names, args):
                if name in kwargs:
                    raise TypeError(f"{func.__name__}() got the argument {name!r} both by position and by keyword")
                kwargs[name] = value
            return func(**kwargs)

        return call  # type: ignore[return-value]

    return wrap


def _check_storage_for(study_or_trial: StudyOrTrial, storage: Optional["BaseStorage"]) -> None:
    if isinstance(study_or_trial, FrozenTrial) and storage is None:
        raise ValueError("storage is required for a FrozenTrial: pass the storage its study lives in (storage=...)")
    if not isinstance(study_or_trial, (Trial, FrozenTrial, Study)):
        raise TypeError(f"study_or_trial must be a Trial, a FrozenTrial or a Study, got {type(study_or_trial).__name__}")


@_positional_as_keywords(["study_or_trial", "file_path", "artifact_store"])
def upload_artifact(
    *,
    artifact_store: ArtifactStore,
    file_path: str,
    study_or_trial: StudyOrTrial,
    storage: Optional["BaseStorage"] = None,
    mimetype: Optional[str] = None,
    encoding: Optional[str] = None,
) -> str:
    """Copy the file at ``file_path`` into ``artifact_store`` and record it on
    ``study_or_trial`` (a live ``Trial``, a ``Study``, or a running
    ``FrozenTrial`` with the ``storage`` of its study). ``mimetype`` and
    ``encoding`` are guessed from the file name when not given. Returns the
    artifact's id.

    A finished trial cannot take an artifact
    (:class:`~ferrotune.exceptions.UpdateFinishedTrialError`, as in Optuna);
    upload it to the study instead.
    """
    _check_storage_for(study_or_trial, storage)
    if isinstance(study_or_trial, FrozenTrial):
        if study_or_trial.state.is_finished():
            raise UpdateFinishedTrialError(
                f"trial {study_or_trial.number} is {study_or_trial.state.name}: a finished trial cannot take an "
                "artifact (upload it to the study instead)"
            )
        # Not built yet: the engine offers Python no way to write to a
        # running trial other than its live Trial object.
        raise NotImplementedError(
            "uploading to a running FrozenTrial is not supported yet; upload to the live Trial "
            "(the objective's trial, or the one study.ask() returned)"
        )
    filename = os.path.basename(file_path)
    guessed_type, guessed_encoding = mimetypes.guess_type(filename)
    meta = ArtifactMeta(
        artifact_id=str(uuid.uuid4()),
        filename=filename,
        mimetype=mimetype or guessed_type or _DEFAULT_MIMETYPE,
        encoding=encoding or guessed_encoding,
    )
    # The file first: metadata recorded for a file the store never got
    # would point at nothing. If the metadata cannot be recorded (a trial
    # told meanwhile), the file is taken back out, so none is left orphaned.
    with open(file_path, "rb") as source:
        artifact_store.write(meta.artifact_id, source)
    attr = json.dumps(dataclasses.asdict(meta))
    try:
        if isinstance(study_or_trial, Trial):
            study_or_trial.set_system_attr(_ATTR_PREFIX + meta.artifact_id, attr)
        else:
            study_or_trial._set_system_attr(_ATTR_PREFIX + meta.artifact_id, attr)
    except BaseException:
        try:
            artifact_store.remove(meta.artifact_id)
        except Exception:
            pass  # the error that matters is the one raised below
        raise
    return meta.artifact_id


def _running_trial_attrs(storage: "BaseStorage", trial: FrozenTrial) -> dict[str, Any]:
    # A running trial's snapshot may be older than its artifacts: read the
    # trial again from the storage, through the study that holds it.
    from ferrotune.study import load_study

    resolved = _ferrotune._resolve_storage(storage)
    for name in _ferrotune._study_names(resolved):
        for current in load_study(study_name=name, storage=resolved)._trials_in([TrialState.RUNNING]):
            if current._trial_id == trial._trial_id:
                return current.system_attrs
    raise ValueError(f"trial {trial.number} (id {trial._trial_id}) is not running in the given storage")


def get_all_artifact_meta(study_or_trial: StudyOrTrial, *, storage: Optional["BaseStorage"] = None) -> list[ArtifactMeta]:
    """The artifacts recorded on ``study_or_trial``, ordered by id (not by
    upload: attributes are kept by key). For a study, those uploaded to the
    study itself, not to its trials. A ``FrozenTrial`` needs the
    ``storage`` of its study."""
    _check_storage_for(study_or_trial, storage)
    if isinstance(study_or_trial, Study):
        attrs = study_or_trial._system_attrs()
    elif isinstance(study_or_trial, FrozenTrial) and not study_or_trial.state.is_finished():
        assert storage is not None
        attrs = _running_trial_attrs(storage, study_or_trial)
    else:
        # A live trial reads its own attributes; a finished trial's snapshot
        # is final, so it is what the storage holds.
        attrs = study_or_trial.system_attrs
    metas = []
    for key, value in attrs.items():
        if not key.startswith(_ATTR_PREFIX):
            continue
        fields = json.loads(value) if isinstance(value, str) else value
        metas.append(
            ArtifactMeta(
                artifact_id=fields["artifact_id"],
                filename=fields["filename"],
                mimetype=fields["mimetype"],
                encoding=fields["encoding"],
            )
        )
    return metas


def download_artifact(*, artifact_store: ArtifactStore, file_path: str, artifact_id: str) -> None:
    """Copy the artifact ``artifact_id`` from ``artifact_store`` to a new file
    at ``file_path`` (an existing file is never overwritten:
    ``FileExistsError``)."""
    if os.path.exists(file_path):
        raise FileExistsError(f"{file_path} already exists; download_artifact does not overwrite files")
    with artifact_store.open_reader(artifact_id) as reader, open(file_path, "xb") as writer:
        shutil.copyfileobj(reader, writer)
