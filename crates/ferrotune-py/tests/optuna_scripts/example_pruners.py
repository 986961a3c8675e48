"""Example: each built-in pruner stopping runs whose learning curves lag."""

import optuna


def objective(trial):
    rate = trial.suggest_float("rate", 0.01, 1.0, log=True)
    loss = 1.0
    for step in range(30):
        # Slow learners start to overfit after a few steps (what PatientPruner waits for).
        if rate > 0.05 or step < 5:
            loss *= 1.0 - rate / 2
        else:
            loss *= 1.01
        trial.report(loss, step)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return loss


pruners = [
    optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=2),
    optuna.pruners.PercentilePruner(25.0, n_startup_trials=3),
    optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3),
    optuna.pruners.HyperbandPruner(min_resource=1, max_resource=30, reduction_factor=3),
    optuna.pruners.ThresholdPruner(upper=0.9, n_warmup_steps=5),
    optuna.pruners.PatientPruner(optuna.pruners.MedianPruner(n_startup_trials=3), patience=2),
    optuna.pruners.WilcoxonPruner(p_threshold=0.1),
]
for pruner in pruners:
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1), pruner=pruner)
    study.optimize(objective, n_trials=20)
    pruned = study.get_trials(states=[optuna.trial.TrialState.PRUNED])
    print(type(pruner).__name__, len(pruned))
    if not isinstance(pruner, optuna.pruners.WilcoxonPruner):
        assert len(pruned) > 0, type(pruner).__name__
    best = study.best_trial
    assert best.state == optuna.trial.TrialState.COMPLETE

nop = optuna.create_study(pruner=optuna.pruners.NopPruner())
nop.optimize(objective, n_trials=5)
assert all(t.state == optuna.trial.TrialState.COMPLETE for t in nop.trials)
