# Quick visualization of a study, the way Optuna's tutorial does it: tune a
# (made-up) network with pruning, then look at the optimization history, the
# learning curves, the parameters' relations (parallel coordinates, contour,
# slice) and their importances, with plotly and with matplotlib.
import math
import os
import tempfile

import matplotlib

matplotlib.use("Agg")

import ferrotune as optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)
vis = optuna.visualization

SEED = 42


def validation_accuracy(lr, n_units, dropout, optimizer, epoch):
    # Better for lr near 3e-3, more units and little dropout; adam learns
    # faster than sgd. Saturates with the epochs.
    quality = 1.0 - 0.35 * abs(math.log10(lr) - math.log10(3e-3)) + 0.1 * math.log2(n_units) / 7 - 0.3 * dropout
    speed = 0.6 if optimizer == "adam" else 0.3
    return max(0.0, quality) * (1.0 - math.exp(-speed * (epoch + 1)))


def objective(trial):
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    n_units = trial.suggest_int("n_units", 4, 128)
    dropout = trial.suggest_float("dropout", 0.0, 0.5)
    optimizer = trial.suggest_categorical("optimizer", ["sgd", "adam"])
    accuracy = 0.0
    for epoch in range(12):
        accuracy = validation_accuracy(lr, n_units, dropout, optimizer, epoch)
        trial.report(accuracy, epoch)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return accuracy


study = optuna.create_study(
    direction="maximize",
    sampler=optuna.samplers.TPESampler(seed=SEED),
    pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=3),
)
study.optimize(objective, n_trials=60)
complete = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
pruned = study.get_trials(states=(optuna.trial.TrialState.PRUNED,))
print(f"{len(complete)} complete and {len(pruned)} pruned trials; best {study.best_value:.4f} {study.best_params}")
assert pruned, "the median pruner should have stopped some trials"

out = tempfile.mkdtemp()

# The optimization history: every complete trial, and the best so far.
fig = vis.plot_optimization_history(study)
assert fig.layout.title.text == "Optimization History Plot"
assert fig.data[0].name == "Objective Value" and len(fig.data[0].x) == len(complete)
assert fig.data[1].name == "Best Value" and max(fig.data[1].y) == study.best_value
fig.write_html(os.path.join(out, "history.html"))

# The learning curves of every trial, pruned ones included.
fig = vis.plot_intermediate_values(study)
assert len(fig.data) == len(complete) + len(pruned)

# The parameters' high-dimensional relations.
fig = vis.plot_parallel_coordinate(study)
assert fig.layout.title.text == "Parallel Coordinate Plot"
fig = vis.plot_parallel_coordinate(study, params=["lr", "dropout"])

# The value over pairs of parameters: one panel for two, a matrix for more.
fig = vis.plot_contour(study, params=["lr", "n_units"])
assert fig.layout.title.text == "Contour Plot"
assert fig.layout.xaxis.type == "log"
fig = vis.plot_contour(study)
fig.write_html(os.path.join(out, "contour.html"))

# Each parameter on its own: a log axis for the log-scaled learning rate.
fig = vis.plot_slice(study, params=["lr"])
assert fig.layout.xaxis.type == "log"
fig = vis.plot_slice(study, params=["lr", "n_units", "optimizer"])

# Which parameters matter.
fig = vis.plot_param_importances(study)
assert fig.layout.title.text == "Hyperparameter Importances"
assert set(fig.data[0].y) == {"lr", "n_units", "dropout", "optimizer"}
importances = optuna.importance.get_param_importances(study)
assert max(importances, key=importances.get) == fig.data[0].y[-1]  # the most important on top

# Which parameters the trials' duration depends on: any number per trial.
fig = vis.plot_param_importances(study, target=lambda t: t.duration.total_seconds(), target_name="duration")
assert fig.data[0].name == "duration"

# The distribution of values, the ranks, when trials ran.
vis.plot_edf(study)
vis.plot_rank(study, params=["lr", "dropout"])
fig = vis.plot_timeline(study)
assert fig.layout.title.text == "Timeline Plot"

# The same with matplotlib.
ax = optuna.visualization.matplotlib.plot_optimization_history(study)
assert ax.get_title() == "Optimization History Plot"
ax.figure.savefig(os.path.join(out, "history.png"))
optuna.visualization.matplotlib.plot_param_importances(study)
axs = optuna.visualization.matplotlib.plot_contour(study, params=["lr", "n_units", "dropout"])
assert axs.shape == (3, 3)
optuna.visualization.matplotlib.plot_parallel_coordinate(study)
print("figures written to", out)
