# A define-by-run space with a conditional branch, pruning by intermediate
# values, a seeded sampler, enqueued trials and an SQLite storage.
import math
import os
import sys
import tempfile

import ferrotune as optuna
from ferrotune.trial import TrialState

optuna.logging.set_verbosity(optuna.logging.WARNING)


def train(lr, momentum, n_units, activation, epoch):
    # A made-up learning curve: converges faster for lr near 0.05 and
    # enough units; tanh slightly better than relu.
    quality = -abs(math.log10(lr) - math.log10(0.05)) + 0.2 * math.log2(n_units) / 8 + momentum * 0.1
    if activation == "tanh":
        quality += 0.05
    return 1.0 - math.exp(-(epoch + 1) * (1.0 + quality)) * 0.9


def objective(trial: optuna.Trial) -> float:
    optimizer = trial.suggest_categorical("optimizer", ["sgd", "adam"])
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    momentum = trial.suggest_float("momentum", 0.0, 0.99) if optimizer == "sgd" else 0.0
    n_layers = trial.suggest_int("n_layers", 1, 3)
    n_units = 1
    for i in range(n_layers):
        n_units = trial.suggest_int(f"n_units_l{i}", 4, 128, log=True)
    activation = trial.suggest_categorical("activation", ["relu", "tanh"])
    accuracy = 0.0
    for epoch in range(10):
        accuracy = train(lr, momentum, n_units, activation, epoch)
        trial.report(accuracy, epoch)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return accuracy


storage = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "quickstart.db")
study = optuna.create_study(
    study_name="conditional",
    storage=storage,
    direction="maximize",
    sampler=optuna.samplers.RandomSampler(seed=10),
    pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=3),
    load_if_exists=True,
)
study.enqueue_trial({"optimizer": "adam", "lr": 0.05, "n_layers": 2, "n_units_l0": 64, "n_units_l1": 64, "activation": "tanh"})
study.optimize(objective, n_trials=40, timeout=600)

pruned = study.get_trials(deepcopy=False, states=[TrialState.PRUNED])
complete = study.get_trials(deepcopy=False, states=[TrialState.COMPLETE])
print("Study statistics: ")
print("  Number of finished trials: ", len(study.trials))
print("  Number of pruned trials: ", len(pruned))
print("  Number of complete trials: ", len(complete))
trial = study.best_trial
print("Best trial: value", trial.value)
for key, value in trial.params.items():
    print("    {}: {}".format(key, value))

assert len(study.trials) == 40
assert len(pruned) > 0 and len(complete) > 0
assert study.trials[0].params["lr"] == 0.05
for t in study.trials:
    assert ("momentum" in t.params) == (t.params["optimizer"] == "sgd")
    assert t.intermediate_values

# The study is in the file: load it again, as another process would.
again = optuna.load_study(study_name="conditional", storage=storage)
assert [t.number for t in again.trials] == list(range(40))
assert again.best_value == study.best_value
print(f"ok ({sys.argv[0]})")
