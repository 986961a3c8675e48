# Ask-and-tell, several objectives, user attributes and the DataFrame export.
import ferrotune as optuna

study = optuna.create_study(directions=["minimize", "maximize"], sampler=optuna.samplers.RandomSampler(seed=1))
for _ in range(30):
    trial = study.ask()
    x = trial.suggest_float("x", 0, 5)
    y = trial.suggest_float("y", 0, 3)
    trial.set_user_attr("note", "hand-rolled loop")
    cost = 4 * x**2 + 4 * y**2
    quality = (x - 5) ** 2 + (y - 5) ** 2
    study.tell(trial, [cost, quality])

# A trial can also be finished by its number, as another process would.
trial = study.ask()
trial.suggest_float("x", 0, 5)
trial.suggest_float("y", 0, 3)
study.tell(trial.number, state=optuna.trial.TrialState.FAIL)

print("Pareto front:")
for t in study.best_trials:
    print(f"  trial {t.number}: values={t.values} params={t.params}")
assert len(study.best_trials) >= 1
assert study.directions == [optuna.study.StudyDirection.MINIMIZE, optuna.study.StudyDirection.MAXIMIZE]

df = study.trials_dataframe()
print(df.head())
assert {"number", "values_0", "values_1", "params_x", "params_y", "user_attrs_note", "state"} <= set(df.columns)
assert list(df["state"])[-1] == "FAIL"
