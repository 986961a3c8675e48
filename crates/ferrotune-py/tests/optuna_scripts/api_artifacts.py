"""API docs and the artifact tutorial: an objective uploads a file per trial to
a FileSystemArtifactStore; afterwards the best trial's file is found with
get_all_artifact_meta and downloaded."""

import json
import os

import optuna
from optuna.artifacts import FileSystemArtifactStore, download_artifact, get_all_artifact_meta, upload_artifact

base_path = "./artifacts"
os.makedirs(base_path, exist_ok=True)
artifact_store = FileSystemArtifactStore(base_path=base_path)


def objective(trial: optuna.Trial) -> float:
    x = trial.suggest_float("x", -10, 10)
    file_path = f"./result-{trial.number}.json"
    with open(file_path, "w") as f:
        json.dump({"x": x, "number": trial.number}, f)
    artifact_id = upload_artifact(artifact_store=artifact_store, file_path=file_path, study_or_trial=trial)
    trial.set_user_attr("artifact_id", artifact_id)
    return (x - 2) ** 2


storage = "sqlite:///artifacts.db"
study = optuna.create_study(study_name="artifacts", storage=storage)
study.optimize(objective, n_trials=10)

with open("summary.txt", "w") as f:
    f.write(f"best value {study.best_value}")
upload_artifact(artifact_store=artifact_store, file_path="summary.txt", study_or_trial=study)

# Another process: load the study, find the best trial's artifacts, download them.
loaded = optuna.load_study(study_name="artifacts", storage=storage)
best = loaded.best_trial
metas = get_all_artifact_meta(best, storage=loaded._storage)
assert len(metas) == 1, metas
assert metas[0].artifact_id == best.user_attrs["artifact_id"]
assert metas[0].filename == f"result-{best.number}.json"
assert metas[0].mimetype == "application/json"

os.makedirs("./best_trial_artifacts", exist_ok=True)
for meta in metas:
    target = os.path.join("./best_trial_artifacts", meta.filename)
    download_artifact(artifact_store=artifact_store, file_path=target, artifact_id=meta.artifact_id)
    with open(target) as f:
        assert json.load(f) == {"x": best.params["x"], "number": best.number}

(summary,) = get_all_artifact_meta(loaded)
assert summary.filename == "summary.txt"
assert isinstance(best, optuna.trial.BaseTrial)
