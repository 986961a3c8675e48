"""Example: constrained optimization with constraints_func (feasible when every constraint <= 0)."""

import optuna


def objective(trial):
    x = trial.suggest_float("x", -15, 30)
    y = trial.suggest_float("y", -15, 30)
    c0 = (x - 5) ** 2 + y**2 - 25
    c1 = -((x - 8) ** 2) - (y + 3) ** 2 + 7.7
    trial.set_user_attr("constraint", (c0, c1))
    v0 = 4 * x**2 + 4 * y**2
    v1 = (x - 5) ** 2 + (y - 5) ** 2
    return v0, v1


def constraints(trial):
    return trial.user_attrs["constraint"]


if __name__ == "__main__":
    sampler = optuna.samplers.NSGAIISampler(constraints_func=constraints, seed=3)
    study = optuna.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(objective, n_trials=64, timeout=600)

    print("Pareto front:")
    for trial in study.best_trials:
        c0, c1 = trial.user_attrs["constraint"]
        print(f"  Trial#{trial.number}: {trial.values} (constraints {c0:.2f}, {c1:.2f})")
        assert c0 <= 0 and c1 <= 0, "best_trials holds feasible trials only"
    assert len(study.best_trials) >= 1

    single = optuna.create_study(sampler=optuna.samplers.TPESampler(constraints_func=lambda t: (t.params["x"] - 1,), seed=0))
    single.optimize(lambda t: -t.suggest_float("x", 0, 2), n_trials=30)
    assert single.best_trial.params["x"] <= 1, "the best trial is feasible"
