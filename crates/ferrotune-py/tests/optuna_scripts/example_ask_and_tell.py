"""Example: the ask-and-tell interface, with a batch of trials asked together."""

import optuna

study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0))
distributions = {"x": optuna.distributions.FloatDistribution(-5, 5), "n": optuna.distributions.IntDistribution(1, 4)}

for _ in range(5):
    trials = [study.ask(fixed_distributions=distributions) for _ in range(4)]
    for trial in trials:
        x, n = trial.params["x"], trial.params["n"]
        study.tell(trial, -((x - 1) ** 2) + n)

trial = study.ask()
x = trial.suggest_float("x", -5, 5)
study.tell(trial.number, -((x - 1) ** 2))

pruned = study.ask()
pruned.suggest_float("x", -5, 5)
pruned.report(0.5, step=0)
study.tell(pruned, state=optuna.trial.TrialState.PRUNED)

failed = study.ask()
study.tell(failed, state=optuna.trial.TrialState.FAIL)

states = [t.state for t in study.trials]
assert states.count(optuna.trial.TrialState.COMPLETE) == 21
assert study.trials[-2].state == optuna.trial.TrialState.PRUNED
assert study.trials[-1].state == optuna.trial.TrialState.FAIL
assert study.best_trial.params["n"] == max(t.params["n"] for t in study.trials[:20])
print(study.best_params)
