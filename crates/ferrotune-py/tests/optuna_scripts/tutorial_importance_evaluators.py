"""Tutorial: hyperparameter importances with each evaluator."""

import optuna
from optuna.importance import FanovaImportanceEvaluator, MeanDecreaseImpurityImportanceEvaluator, PedAnovaImportanceEvaluator


def objective(trial):
    x = trial.suggest_float("x", -5, 5)
    y = trial.suggest_float("y", -5, 5)
    z = trial.suggest_float("z", -5, 5)
    return 10 * x**2 + y**2 + 0.01 * z


study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=3))
study.optimize(objective, n_trials=80)
for evaluator in (
    FanovaImportanceEvaluator(seed=0),
    MeanDecreaseImpurityImportanceEvaluator(seed=0),
    PedAnovaImportanceEvaluator(),
):
    importances = optuna.importance.get_param_importances(study, evaluator=evaluator)
    print(type(evaluator).__name__, importances)
    assert list(importances)[0] == "x", (type(evaluator).__name__, importances)
    assert importances["x"] > importances["z"]
only_xy = optuna.importance.get_param_importances(study, params=["x", "y"], normalize=False)
assert set(only_xy) == {"x", "y"}
