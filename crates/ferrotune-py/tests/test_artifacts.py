"""``ferrotune.artifacts`` (Optuna's ``optuna.artifacts``): files uploaded to
a store and listed on the study or trial, on every storage, readable by
Optuna from an exported study; and ``ferrotune.trial.BaseTrial``."""

from __future__ import annotations

import io
import json
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest

import ferrotune
from ferrotune.artifacts import (
    ArtifactMeta,
    Backoff,
    Boto3ArtifactStore,
    FileSystemArtifactStore,
    GCSArtifactStore,
    download_artifact,
    get_all_artifact_meta,
    upload_artifact,
)
from ferrotune.artifacts.exceptions import ArtifactNotFound
from ferrotune.exceptions import UpdateFinishedTrialError
from ferrotune.trial import BaseTrial, FixedTrial, FrozenTrial, Trial


@pytest.fixture
def store(tmp_path: Path) -> FileSystemArtifactStore:
    (tmp_path / "artifacts").mkdir()
    return FileSystemArtifactStore(base_path=tmp_path / "artifacts")


def write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("storage_kind", ["memory", "sqlite"])
def test_a_trial_artifact_round_trips_through_the_store(tmp_path: Path, store, storage_kind: str):
    storage = None if storage_kind == "memory" else "sqlite:///" + str(tmp_path / "s.db")
    study = ferrotune.create_study(storage=storage)
    ids = {}

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        path = write(tmp_path / f"model-{trial.number}.json", json.dumps({"x": x}))
        ids[trial.number] = upload_artifact(artifact_store=store, file_path=path, study_or_trial=trial)
        return x

    study.optimize(objective, n_trials=3)
    for frozen in study.trials:
        metas = get_all_artifact_meta(frozen, storage=study._storage)
        assert metas == [ArtifactMeta(ids[frozen.number], f"model-{frozen.number}.json", "application/json", None)]
        target = tmp_path / f"back-{frozen.number}.json"
        download_artifact(artifact_store=store, file_path=str(target), artifact_id=metas[0].artifact_id)
        assert json.loads(target.read_text()) == {"x": frozen.params["x"]}
    # Metadata is kept in Optuna's form: a JSON string under "artifacts:<id>".
    attr = study.trials[0].system_attrs["artifacts:" + ids[0]]
    assert json.loads(attr)["filename"] == "model-0.json"


def test_a_study_artifact_is_listed_on_the_study_only(tmp_path: Path, store):
    study = ferrotune.create_study()
    trial = study.ask()
    on_trial = upload_artifact(artifact_store=store, file_path=write(tmp_path / "t.txt", "t"), study_or_trial=trial)
    on_study = upload_artifact(
        artifact_store=store,
        file_path=write(tmp_path / "report.csv.gz", "s"),
        study_or_trial=study,
        mimetype="text/csv",
    )
    assert [m.artifact_id for m in get_all_artifact_meta(study)] == [on_study]
    assert [m.artifact_id for m in get_all_artifact_meta(trial)] == [on_trial]
    (meta,) = get_all_artifact_meta(study)
    assert (meta.mimetype, meta.encoding) == ("text/csv", "gzip")  # given type, guessed encoding
    # A running trial's snapshot is read again from the storage.
    running = study.trials[0]
    assert [m.artifact_id for m in get_all_artifact_meta(running, storage=study._storage)] == [on_trial]


def test_upload_and_listing_errors_name_the_problem(tmp_path: Path, store):
    study = ferrotune.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    path = write(tmp_path / "a.txt", "a")
    finished = study.trials[0]
    with pytest.raises(ValueError, match="storage is required"):
        get_all_artifact_meta(finished)
    with pytest.raises(ValueError, match="storage is required"):
        upload_artifact(artifact_store=store, file_path=path, study_or_trial=finished)
    with pytest.raises(UpdateFinishedTrialError, match="finished trial"):
        upload_artifact(artifact_store=store, file_path=path, study_or_trial=finished, storage=study._storage)
    told = study.ask()
    study.tell(told, 1.0)
    with pytest.raises(UpdateFinishedTrialError):
        upload_artifact(artifact_store=store, file_path=path, study_or_trial=told)
    with pytest.raises(TypeError, match="Trial, a FrozenTrial or a Study"):
        upload_artifact(artifact_store=store, file_path=path, study_or_trial="study")  # type: ignore[arg-type]
    assert list((tmp_path / "artifacts").iterdir()) == []


def test_positional_upload_still_works_with_a_future_warning(tmp_path: Path, store):
    study = ferrotune.create_study()
    with pytest.warns(FutureWarning, match="by keyword"):
        artifact_id = upload_artifact(study, write(tmp_path / "a.txt", "a"), store)  # type: ignore[misc]
    assert [m.artifact_id for m in get_all_artifact_meta(study)] == [artifact_id]


def test_file_system_store_refuses_ids_outside_it_and_missing_artifacts(tmp_path: Path, store):
    for bad in ["../escape", "/etc/passwd", "sub/../../escape", "."]:
        with pytest.raises(ValueError, match="invalid artifact_id"):
            store.write(bad, io.BytesIO(b"x"))
    with pytest.raises(ArtifactNotFound):
        store.open_reader("nothing")
    with pytest.raises(ArtifactNotFound):
        store.remove("nothing")
    assert isinstance(ArtifactNotFound("x"), ferrotune.exceptions.OptunaError)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        FileSystemArtifactStore(tmp_path / "missing").write("a", io.BytesIO(b"x"))


def test_download_never_overwrites(tmp_path: Path, store):
    store.write("id", io.BytesIO(b"content"))
    existing = write(tmp_path / "out", "mine")
    with pytest.raises(FileExistsError):
        download_artifact(artifact_store=store, file_path=existing, artifact_id="id")
    assert Path(existing).read_text() == "mine"


class FlakyStore:
    """Fails the first ``failures`` calls of each method, then works."""

    def __init__(self, failures: int) -> None:
        self.inner: dict[str, bytes] = {}
        self.failures = failures
        self.calls = 0

    def _maybe_fail(self) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionError("flaky")

    def open_reader(self, artifact_id: str):
        self._maybe_fail()
        if artifact_id not in self.inner:
            raise ArtifactNotFound(artifact_id)
        return io.BytesIO(self.inner[artifact_id])

    def write(self, artifact_id: str, content_body) -> None:
        # A failure after a partial read: the retry must start from the top.
        first = content_body.read(1)
        self._maybe_fail()
        self.inner[artifact_id] = first + content_body.read()

    def remove(self, artifact_id: str) -> None:
        self._maybe_fail()
        del self.inner[artifact_id]


def test_backoff_retries_failures_but_not_a_missing_artifact():
    flaky = FlakyStore(failures=2)
    store = Backoff(flaky, max_retries=3, min_delay=0.001, max_delay=0.002)
    store.write("a", io.BytesIO(b"abc"))
    assert flaky.inner["a"] == b"abc" and flaky.calls == 3
    flaky.calls, flaky.failures = 0, 0
    with pytest.raises(ArtifactNotFound):
        store.open_reader("missing")
    assert flaky.calls == 1
    flaky.calls, flaky.failures = 0, 5
    with pytest.raises(ConnectionError):
        store.remove("a")
    assert flaky.calls == 3
    with pytest.raises(ValueError, match="max_delay"):
        Backoff(flaky, min_delay=1, max_delay=0.5)
    with pytest.raises(ValueError, match="max_retries"):
        Backoff(flaky, max_retries=0)


class FakeS3Error(Exception):
    def __init__(self, code: str) -> None:
        self.response = {"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": 404}}


class FakeS3:
    """The three calls of boto3's S3 client the store makes."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}

    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:
        if (Bucket, Key) not in self.objects:
            raise FakeS3Error("NoSuchKey")
        return {"Body": io.BytesIO(self.objects[(Bucket, Key)])}

    def upload_fileobj(self, fileobj, bucket: str, key: str) -> None:
        self.objects[(bucket, key)] = fileobj.read()
        fileobj.close()  # as boto3 may

    def delete_object(self, Bucket: str, Key: str) -> None:
        self.objects.pop((Bucket, Key), None)


def test_boto3_store_with_a_given_client(tmp_path: Path):
    client = FakeS3()
    store = Boto3ArtifactStore("bucket", client=client)
    study = ferrotune.create_study()
    source = tmp_path / "a.bin"
    source.write_bytes(b"\x00\x01")
    artifact_id = upload_artifact(artifact_store=store, file_path=str(source), study_or_trial=study)
    assert client.objects[("bucket", artifact_id)] == b"\x00\x01"
    download_artifact(artifact_store=store, file_path=str(tmp_path / "b.bin"), artifact_id=artifact_id)
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    store.remove(artifact_id)
    with pytest.raises(ArtifactNotFound):
        store.open_reader(artifact_id)


class FakeBlob:
    def __init__(self, bucket: "FakeBucket", name: str) -> None:
        self.bucket, self.name = bucket, name

    def download_as_bytes(self) -> bytes:
        return self.bucket.blobs[self.name]

    def upload_from_string(self, data: bytes) -> None:
        self.bucket.blobs[self.name] = data


class FakeBucket:
    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    def blob(self, name: str) -> FakeBlob:
        return FakeBlob(self, name)

    def get_blob(self, name: str):
        return FakeBlob(self, name) if name in self.blobs else None

    def delete_blob(self, name: str) -> None:
        del self.blobs[name]


class FakeGCS:
    def __init__(self) -> None:
        self.buckets: dict[str, FakeBucket] = {}

    def bucket(self, name: str) -> FakeBucket:
        return self.buckets.setdefault(name, FakeBucket())


def test_gcs_store_with_a_given_client():
    client = FakeGCS()
    store = GCSArtifactStore("b", client=client)
    store.write("id", io.BytesIO(b"data"))
    assert client.buckets["b"].blobs == {"id": b"data"}
    assert store.open_reader("id").read() == b"data"
    store.remove("id")
    with pytest.raises(ArtifactNotFound):
        store.open_reader("id")


def test_cloud_stores_without_their_package_say_what_to_install(monkeypatch):
    # None in sys.modules makes the import fail, installed or not.
    monkeypatch.setitem(sys.modules, "boto3", None)
    monkeypatch.setitem(sys.modules, "google.cloud", None)
    with pytest.raises(ImportError, match="pip install boto3"):
        Boto3ArtifactStore("bucket")
    with pytest.raises(ImportError, match="pip install google-cloud-storage"):
        GCSArtifactStore("bucket")


def test_optuna_reads_the_artifacts_of_an_exported_study(tmp_path: Path, store):
    optuna = pytest.importorskip("optuna")
    storage = "sqlite:///" + str(tmp_path / "f.db")
    study = ferrotune.create_study(study_name="with-artifacts", storage=storage)
    trial = study.ask()
    trial_artifact = upload_artifact(artifact_store=store, file_path=write(tmp_path / "t.txt", "t"), study_or_trial=trial)
    study.tell(trial, 1.0)
    study_artifact = upload_artifact(artifact_store=store, file_path=write(tmp_path / "s.txt", "s"), study_or_trial=study)
    ferrotune.storages.export_optuna(storage, str(tmp_path / "o.db"))

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded = optuna.load_study(study_name="with-artifacts", storage="sqlite:///" + str(tmp_path / "o.db"))
        optuna_store = optuna.artifacts.FileSystemArtifactStore(str(tmp_path / "artifacts"))
        (on_trial,) = optuna.artifacts.get_all_artifact_meta(loaded.trials[0], storage=loaded._storage)
        (on_study,) = optuna.artifacts.get_all_artifact_meta(loaded)
        assert (on_trial.artifact_id, on_trial.filename, on_trial.mimetype) == (trial_artifact, "t.txt", "text/plain")
        assert on_study.artifact_id == study_artifact
        optuna.artifacts.download_artifact(
            artifact_store=optuna_store, file_path=str(tmp_path / "back.txt"), artifact_id=on_trial.artifact_id
        )
    assert (tmp_path / "back.txt").read_text() == "t"


def test_every_kind_of_trial_is_a_base_trial():
    study = ferrotune.create_study()
    seen = []

    def objective(trial):
        seen.append(trial)
        return trial.suggest_float("x", 0, 1)

    study.optimize(objective, n_trials=1)
    assert isinstance(seen[0], Trial) and isinstance(seen[0], BaseTrial)
    assert isinstance(study.trials[0], BaseTrial)
    assert isinstance(FixedTrial({"x": 0.5}), BaseTrial)
    assert issubclass(FrozenTrial, BaseTrial) and issubclass(FixedTrial, BaseTrial)
    assert not isinstance(study, BaseTrial)
    with pytest.raises(TypeError, match="abstract"):
        BaseTrial()  # type: ignore[abstract]


def test_artifacts_optuna_uploaded_come_in_with_an_imported_study(tmp_path: Path, store):
    optuna = pytest.importorskip("optuna")
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    optuna_url = "sqlite:///" + str(tmp_path / "optuna.db")
    optuna_store = optuna.artifacts.FileSystemArtifactStore(str(tmp_path / "artifacts"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = optuna.create_study(study_name="from-optuna", storage=optuna_url)
        trial = study.ask()
        on_trial = optuna.artifacts.upload_artifact(
            artifact_store=optuna_store, file_path=write(tmp_path / "w.pt", "weights"), study_or_trial=trial
        )
        study.tell(trial, 0.5)
        on_study = optuna.artifacts.upload_artifact(
            artifact_store=optuna_store, file_path=write(tmp_path / "n.md", "notes"), study_or_trial=study
        )
    target = "sqlite:///" + str(tmp_path / "ferrotune.db")
    ferrotune.storages.import_optuna(optuna_url, target)
    loaded = ferrotune.load_study(study_name="from-optuna", storage=target)
    (trial_meta,) = get_all_artifact_meta(loaded.trials[0], storage=loaded._storage)
    (study_meta,) = get_all_artifact_meta(loaded)
    assert (trial_meta.artifact_id, trial_meta.filename) == (on_trial, "w.pt")
    assert (study_meta.artifact_id, study_meta.filename) == (on_study, "n.md")
    download_artifact(artifact_store=store, file_path=str(tmp_path / "back.pt"), artifact_id=on_trial)
    assert (tmp_path / "back.pt").read_text() == "weights"


@pytest.mark.parametrize("storage_kind", ["memory", "sqlite"])
def test_artifacts_are_listed_by_id(tmp_path: Path, store, storage_kind: str):
    storage = None if storage_kind == "memory" else "sqlite:///" + str(tmp_path / "s.db")
    study = ferrotune.create_study(storage=storage)
    path = write(tmp_path / "a.txt", "a")
    ids = [upload_artifact(artifact_store=store, file_path=path, study_or_trial=study) for _ in range(6)]
    assert [meta.artifact_id for meta in get_all_artifact_meta(study)] == sorted(ids)
