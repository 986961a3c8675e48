"""Example: two objectives (error against model size), NSGA-II, the Pareto front."""

import optuna


def objective(trial):
    n_layers = trial.suggest_int("n_layers", 1, 3)
    width = trial.suggest_int("width", 4, 128, log=True)
    dropout = trial.suggest_float("dropout", 0.0, 0.5)
    size = n_layers * width * width
    error = 1.0 / (1.0 + 0.01 * size) + 0.1 * abs(dropout - 0.2)
    return error, size


if __name__ == "__main__":
    study = optuna.create_study(
        directions=["minimize", "minimize"], sampler=optuna.samplers.NSGAIISampler(seed=10, population_size=20)
    )
    study.optimize(objective, n_trials=100, timeout=300)

    print("Number of finished trials: ", len(study.trials))
    print("Pareto front:")
    trials = sorted(study.best_trials, key=lambda t: t.values)
    for trial in trials:
        print("  Trial#{}".format(trial.number))
        print("    Values: error={}, size={}".format(trial.values[0], trial.values[1]))
    assert len(trials) >= 2
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    for best in trials:
        for other in complete:
            dominates = all(o <= b for o, b in zip(other.values, best.values)) and other.values != best.values
            assert not dominates, (best.number, other.number)
    assert study.directions == [optuna.study.StudyDirection.MINIMIZE] * 2
