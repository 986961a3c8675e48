"""The GP sampler against its reference, Optuna 5's `GPSampler`.

Given the same observed trials, both samplers fit one GP per objective and
maximize log expected improvement (one objective) or log expected
hypervolume improvement (LogEHVI, two). If ferrotune's models or
acquisition differed from Optuna's, its proposal would score below
Optuna's own under Optuna's acquisition. Optuna's acquisition is read
through `GPSampler._optimize_acqf`, the hook its source names for advanced
users (internal, hence the pin of optuna 5.0.0 in requirements.txt)."""

from __future__ import annotations

import pytest

np = pytest.importorskip("numpy")
optuna = pytest.importorskip("optuna")
pytest.importorskip("torch")
optuna_gp = pytest.importorskip("optuna.samplers._gp.sampler")

import ferrotune  # noqa: E402

NAMES = ["x0", "x1", "x2"]  # sorted, as Optuna orders its internal space
N_OBSERVED = 10


def _losses(x):
    # Two conflicting objectives with different curvature per coordinate.
    f1 = (x[0] - 0.2) ** 2 + 2.0 * (x[1] - 0.3) ** 2 + 0.5 * (x[2] - 0.1) ** 2
    f2 = 0.5 * (x[0] - 0.9) ** 2 + (x[1] - 0.6) ** 2 + 3.0 * (x[2] - 0.7) ** 2 + 0.3 * np.sin(6 * x[0])
    return float(f1), float(f2)


def _proposal_after(mod, sampler, observed, n_objectives):
    """The first proposal of `sampler` after the `observed` trials (given
    as enqueued trials, so both engines see the same history)."""
    study = mod.create_study(directions=["minimize"] * n_objectives, sampler=sampler)
    for params in observed:
        study.enqueue_trial(params)
    for _ in observed:
        trial = study.ask()
        x = [trial.suggest_float(n, 0.0, 1.0) for n in NAMES]
        study.tell(trial, _losses(x)[:n_objectives])
    trial = study.ask()
    return np.array([trial.suggest_float(n, 0.0, 1.0) for n in NAMES])


@pytest.mark.parametrize("n_objectives", [1, 2])
@pytest.mark.parametrize("history_seed", [0, 1, 2, 3])
def test_the_proposal_maximizes_optunas_acquisition_on_the_same_history(monkeypatch, history_seed, n_objectives):
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    rng = np.random.default_rng(history_seed)
    observed = [dict(zip(NAMES, map(float, rng.uniform(size=len(NAMES))))) for _ in range(N_OBSERVED)]

    captured = {}
    optimize = optuna_gp.GPSampler._optimize_acqf

    def capturing(self, acqf, best_params):
        x = optimize(self, acqf, best_params)
        captured["acqf"], captured["x"] = acqf, x
        return x

    monkeypatch.setattr(optuna_gp.GPSampler, "_optimize_acqf", capturing)
    theirs = _proposal_after(
        optuna, optuna.samplers.GPSampler(seed=history_seed, n_startup_trials=N_OBSERVED), observed, n_objectives
    )
    # Optuna's output scaling: ferrotune's default also compresses a heavy
    # bad tail (a deliberate difference; on history 1 with one objective
    # it moves the proposal by 0.044).
    ours_sampler = ferrotune.samplers.GPSampler(
        seed=history_seed, n_startup_trials=N_OBSERVED, output_transform="standardize"
    )
    ours = _proposal_after(ferrotune, ours_sampler, observed, n_objectives)
    acqf = captured["acqf"]
    # The unit cube is the normalized space for [0, 1] parameters.
    assert np.allclose(captured["x"], theirs)
    at_theirs, at_ours = acqf.eval_acqf_no_grad(np.stack([theirs, ours]))
    # In log units: 0.01 is 1% of the expected improvement. Ours may be higher
    # (a better local optimum), never clearly lower. On these histories the
    # two land on the same point (within 0.012 per coordinate, 0.002 in
    # the log, when written); on larger ones with many near-equal optima
    # they need not.
    assert at_ours >= at_theirs - 0.01, (ours, theirs, at_ours, at_theirs)
    assert np.max(np.abs(ours - theirs)) < 0.05, (ours, theirs)
    # A point far from Optuna's proposal scores clearly lower, so the check
    # above has room to fail.
    assert acqf.eval_acqf_no_grad(np.array([1.0 - theirs]))[0] < at_theirs - 0.1
