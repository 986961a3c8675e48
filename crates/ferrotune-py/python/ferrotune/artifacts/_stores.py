"""Where artifact files go: a directory, an S3 bucket or a GCS bucket, and a
wrapper that retries a flaky one. Each store is three methods (``open_reader``,
``write``, ``remove``) keyed by artifact id, as Optuna's ``ArtifactStore``
protocol, so a store written for Optuna works here and the other way round."""

from __future__ import annotations

import io
import logging
import os
import shutil
import time
from pathlib import Path
from typing import Any, BinaryIO, Optional, Protocol, Union

from ferrotune.artifacts.exceptions import ArtifactNotFound

_logger = logging.getLogger(__name__)


class ArtifactStore(Protocol):
    """What :func:`~ferrotune.artifacts.upload_artifact` and
    :func:`~ferrotune.artifacts.download_artifact` need of a store."""

    def open_reader(self, artifact_id: str) -> BinaryIO: ...

    def write(self, artifact_id: str, content_body: BinaryIO) -> None: ...

    def remove(self, artifact_id: str) -> None: ...


class FileSystemArtifactStore:
    """Artifacts as files named by their id in the directory ``base_path``
    (local, or a network file system every worker mounts). The directory
    must exist."""

    def __init__(self, base_path: Union[str, "os.PathLike[str]"]) -> None:
        self._base_path = Path(base_path)

    def _path_of(self, artifact_id: str) -> Path:
        # An id is a name inside the directory, never a path out of it: a
        # store shared by several users must not write where an id points.
        base = os.path.abspath(self._base_path)
        path = os.path.abspath(self._base_path / artifact_id)
        if os.path.isabs(artifact_id) or path == base or os.path.commonpath([base, path]) != base:
            raise ValueError(f"invalid artifact_id {artifact_id!r}: it must name a file inside {base}")
        return Path(path)

    def open_reader(self, artifact_id: str) -> BinaryIO:
        path = self._path_of(artifact_id)
        try:
            return open(path, "rb")
        except FileNotFoundError:
            raise ArtifactNotFound(f"no artifact {artifact_id!r} in {self._base_path}") from None

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        path = self._path_of(artifact_id)
        if not self._base_path.is_dir():
            raise FileNotFoundError(
                f"the artifact store's directory {str(self._base_path)!r} does not exist; create it first"
            )
        with open(path, "wb") as target:
            shutil.copyfileobj(content_body, target)

    def remove(self, artifact_id: str) -> None:
        path = self._path_of(artifact_id)
        try:
            os.remove(path)
        except FileNotFoundError:
            raise ArtifactNotFound(f"no artifact {artifact_id!r} in {self._base_path}") from None


def _is_not_found(error: Exception) -> bool:
    # botocore's ClientError carries the S3 answer in `response`; read it
    # without importing botocore, so a store built on a given client works
    # where botocore is absent (and in tests).
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return False
    code = response.get("Error", {}).get("Code")
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code in ("NoSuchKey", "404") or status == 404


class Boto3ArtifactStore:
    """Artifacts as objects in the S3 (or S3-compatible) bucket
    ``bucket_name``, through a boto3 S3 ``client`` (one is made with
    ``boto3.client("s3")`` when none is given, which needs ``pip install
    boto3``). ``avoid_buf_copy=True`` hands the file to boto3 directly instead
    of a copy in memory (boto3 may close it)."""

    def __init__(self, bucket_name: str, client: Optional[Any] = None, *, avoid_buf_copy: bool = False) -> None:
        if client is None:
            try:
                import boto3  # type: ignore[import-not-found,unused-ignore]
            except ImportError:
                raise ImportError(
                    "Boto3ArtifactStore needs boto3 to make its S3 client: pip install boto3 (or pass client=...)"
                ) from None
            client = boto3.client("s3")
        self.bucket = bucket_name
        self.client = client
        self._avoid_buf_copy = avoid_buf_copy

    def open_reader(self, artifact_id: str) -> BinaryIO:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=artifact_id)
        except Exception as error:
            if _is_not_found(error):
                raise ArtifactNotFound(f"no artifact {artifact_id!r} in the bucket {self.bucket!r}") from error
            raise
        body: BinaryIO = answer["Body"]
        return body

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        source = content_body
        if not self._avoid_buf_copy:
            source = io.BytesIO(content_body.read())
        self.client.upload_fileobj(source, self.bucket, artifact_id)

    def remove(self, artifact_id: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=artifact_id)


class GCSArtifactStore:
    """Artifacts as blobs in the Google Cloud Storage bucket ``bucket_name``,
    through a ``google.cloud.storage.Client`` (one is made with default
    credentials when none is given, which needs ``pip install
    google-cloud-storage``)."""

    def __init__(self, bucket_name: str, client: Optional[Any] = None) -> None:
        if client is None:
            try:
                from google.cloud import storage  # type: ignore[import-not-found,unused-ignore]
            except ImportError:
                raise ImportError(
                    "GCSArtifactStore needs google-cloud-storage to make its client: "
                    "pip install google-cloud-storage (or pass client=...)"
                ) from None
            client = storage.Client()
        self.bucket_name = bucket_name
        self.client = client
        self.bucket_obj = client.bucket(bucket_name)

    def open_reader(self, artifact_id: str) -> BinaryIO:
        blob = self.bucket_obj.get_blob(artifact_id)
        if blob is None:
            raise ArtifactNotFound(f"no artifact {artifact_id!r} in the bucket {self.bucket_name!r}")
        return io.BytesIO(blob.download_as_bytes())

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        self.bucket_obj.blob(artifact_id).upload_from_string(content_body.read())

    def remove(self, artifact_id: str) -> None:
        self.bucket_obj.delete_blob(artifact_id)


class Backoff:
    """Wrap ``backend`` (any store) to retry a failed read, write or removal
    up to ``max_retries`` times, waiting ``min_delay * multiplier**n``
    seconds (at most ``max_delay``) after the n-th failure. A missing
    artifact is an answer, not a failure: ``ArtifactNotFound`` is raised at
    once."""

    def __init__(
        self,
        backend: ArtifactStore,
        *,
        max_retries: int = 10,
        multiplier: float = 2,
        min_delay: float = 0.1,
        max_delay: float = 30,
    ) -> None:
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 1:
            raise ValueError(f"max_retries must be an integer of at least 1, got {max_retries!r}")
        if not multiplier > 0:
            raise ValueError(f"multiplier must be positive, got {multiplier!r}")
        if not min_delay > 0:
            raise ValueError(f"min_delay must be positive, got {min_delay!r}")
        if not max_delay > min_delay:
            raise ValueError(f"max_delay must be greater than min_delay ({min_delay!r}), got {max_delay!r}")
        self._backend = backend
        self._max_retries = max_retries
        self._multiplier = multiplier
        self._min_delay = min_delay
        self._max_delay = max_delay

    def _delay(self, n_failures: int) -> float:
        return float(min(self._min_delay * self._multiplier**n_failures, self._max_delay))

    def _failed(self, what: str, artifact_id: str, attempt: int, error: Exception) -> None:
        if attempt == self._max_retries - 1:
            raise error
        _logger.error(f"{what} the artifact {artifact_id!r} failed (attempt {attempt + 1}); retrying", exc_info=error)
        time.sleep(self._delay(attempt))

    def open_reader(self, artifact_id: str) -> BinaryIO:
        for attempt in range(self._max_retries):
            try:
                return self._backend.open_reader(artifact_id)
            except ArtifactNotFound:
                raise
            except Exception as error:
                self._failed("opening", artifact_id, attempt, error)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        start = content_body.tell()
        for attempt in range(self._max_retries):
            try:
                self._backend.write(artifact_id, content_body)
                return
            except ArtifactNotFound:
                raise
            except Exception as error:
                self._failed("writing", artifact_id, attempt, error)
                # The failed attempt may have read part of the file.
                content_body.seek(start)

    def remove(self, artifact_id: str) -> None:
        for attempt in range(self._max_retries):
            try:
                self._backend.remove(artifact_id)
                return
            except ArtifactNotFound:
                raise
            except Exception as error:
                self._failed("removing", artifact_id, attempt, error)
