"""The held-out split against the tuning split, the budgets scored from a
run's first trials, and the paired comparison (no benchmark runs; cocoex and
scikit-learn build a few problems).

Run: python -m pytest bench/python/tests, or python bench/python/tests/test_splits_and_budgets.py.
"""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
import warnings

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import search_bench  # noqa: E402
from searchbench import problems  # noqa: E402
from searchbench.compare import paired, sign_flip_p  # noqa: E402
from searchbench.report import Suite, at_budget, budgets_of, write_report  # noqa: E402

SEEDS = 30  # more than any run uses: instance 2 + seed must stay clear of the tuning split for all of them
METHODS = ["optuna-random", "optuna-cmaes", "optuna-tpe"]


def jobs(split: str, mode: str) -> list:
    cfg = search_bench.SPLITS[split][mode]
    return search_bench.plan(cfg, list(search_bench.SUITES), METHODS, SEEDS, split=split)


def bbob_triples(js: list) -> set[tuple[int, int, int]]:
    return {problems.parse_bbob_id(j.problem) for j in js if j.problem.startswith("bbob")}


def datasets(js: list) -> set[str]:
    return {j.problem.split("-", 2)[2] for j in js if j.problem.startswith("sk-")}


# ---------------------------------------------------------------- splits


def test_the_heldout_split_shares_no_bbob_problem_and_no_data_set_with_the_tuning_split() -> None:
    for mode in ("full", "quick"):
        tuning, heldout = jobs("tuning", mode), jobs("heldout", mode)
        assert bbob_triples(heldout) and datasets(heldout), mode
        assert not bbob_triples(tuning) & bbob_triples(heldout), mode
        assert not datasets(tuning) & datasets(heldout), mode
        # Not only these modes' problems: nothing the tuning split could run.
        assert all(i != 1 for _, _, i in bbob_triples(heldout)), mode
        assert not {d for _, d, _ in bbob_triples(heldout)} & set(search_bench.BBOB_DIMS_FULL), mode
        assert not datasets(heldout) & set(problems.DATASETS), mode
        assert datasets(heldout) <= set(problems.GENERATED), mode
        assert {j.split for j in heldout} == {"heldout"} and {j.split for j in tuning} == {"tuning"}


def test_the_full_heldout_split_covers_every_bbob_group_and_every_dimension() -> None:
    triples = bbob_triples(jobs("heldout", "full"))
    functions = {f for f, _, _ in triples}
    for group, members in problems.BBOB_GROUPS.items():
        assert functions & set(members), group
    assert {d for _, d, _ in triples} == {3, 6}
    assert set(problems.BBOB_NAMES) == set(range(1, 25))


def test_each_seed_runs_its_own_instance_the_same_for_every_method() -> None:
    instance_of: dict[int, set[int]] = {}
    for j in jobs("heldout", "full"):
        if j.problem.startswith("bbob"):
            instance_of.setdefault(j.seed, set()).add(problems.parse_bbob_id(j.problem)[2])
    assert sorted(instance_of) == list(range(SEEDS))
    assert all(instances == {2 + seed} for seed, instances in instance_of.items()), instance_of
    # Every method runs every (function, dimension) with each seed.
    per_seed: dict[tuple[str, int], set[str]] = {}
    for j in jobs("heldout", "full"):
        if j.problem.startswith("bbob"):
            per_seed.setdefault((j.method, j.seed), set()).add(j.problem)
    for seed in range(SEEDS):
        assert len({frozenset(per_seed[m, seed]) for m in METHODS}) == 1, seed


def test_problem_ids_without_an_instance_are_instance_one() -> None:
    assert problems.parse_bbob_id("bbob-f03-d05") == (3, 5, 1)
    assert problems.bbob_id(3, 5) == problems.bbob_id(3, 5, 1) == "bbob-f03-d05"
    assert problems.bbob_id(3, 6, 5) == "bbob-f03-d06-i05"
    assert problems.parse_bbob_id("bbob-f03-d06-i05") == (3, 6, 5)
    assert problems.score_key("bbob-f03-d06-i05") == "bbob-f03-d06"
    assert problems.score_key("bbob-f03-d05") == "bbob-f03-d05"
    assert problems.score_key("sk-knn-iris") == "sk-knn-iris"
    assert problems.problem_dim("bbob-f03-d06-i05") == 6


def test_a_bbob_problem_is_the_instance_its_id_names() -> None:
    import cocoex  # noqa: PLC0415

    x = {f"x{i}": v for i, v in enumerate([0.5, -1.25, 3.0])}
    values = {}
    for instance in (1, 4, 5):
        problem = problems.make_bbob(8, 3, instance)
        bare = cocoex.BareProblem("bbob", 8, 3, instance)
        fopt = bare(np.asarray(bare.best_parameter()))
        assert math.isclose(problem.evaluate(x), bare(np.array(list(x.values()))) - fopt, rel_tol=1e-12)
        values[instance] = problem.evaluate(x)
    assert len(set(values.values())) == 3, values


def test_generated_data_sets_do_not_change_between_calls() -> None:
    for name in problems.GENERATED:
        X1, y1 = problems._dataset.__wrapped__(name)
        X2, y2 = problems._dataset.__wrapped__(name)
        assert np.array_equal(X1, X2) and np.array_equal(y1, y2), name
        assert len(X1) >= 300, name
        if problems.is_regression(name):
            assert math.isclose(float(np.std(y1)), 1.0), name  # standardized target


# ---------------------------------------------------------------- budgets


def run(problem: str, method: str, seed: int, values: list[float], algo: str = "random", **kw: object) -> dict:
    return {
        "kind": "search",
        "suite": "bbob",
        "split": "heldout",
        "problem": problem,
        "method": method,
        "algo": algo,
        "seed": seed,
        "best": min(values),
        "values": values,
        "budget": len(values),
        "n_trials": len(values),
        "version": "test",
        "sampler_ms_per_trial": 0.0,
        "wall_s": 0.0,
        **kw,
    }


def long_runs(budget: int = 100) -> list[dict]:
    rng = np.random.default_rng(7)
    rows = []
    for seed in range(4):
        for f in (1, 8):
            pid = problems.bbob_id(f, 3, 2 + seed)
            for method, shrink in (("optuna-random", 0.0), ("ferrotune-gp", 0.03), ("optuna-gp", 0.02)):
                # Regrets that fall with the trial number for the model-based methods.
                values = [float(10 ** rng.uniform(-1, 3) * math.exp(-shrink * t)) for t in range(budget)]
                rows.append(run(pid, method, seed, values, budgets=[20, 40, budget]))
    return rows


def test_a_run_cut_to_a_budget_is_scored_as_a_run_of_that_budget() -> None:
    rows = long_runs()
    for budget in (20, 40):
        cut = Suite("bbob", at_budget(rows, budget), "heldout")
        fresh = Suite(
            "bbob", [run(r["problem"], r["method"], r["seed"], r["values"][:budget]) for r in rows], "heldout"
        )
        assert cut.budget == budget
        assert cut.summary() == fresh.summary(), budget
        for r in at_budget(rows, budget):
            assert len(r["values"]) == budget and r["best"] == min(r["values"])
    # The cut rows are copies: the runs themselves keep every trial.
    assert all(len(r["values"]) == 100 for r in rows)


def test_a_samplers_first_trials_do_not_depend_on_the_budget() -> None:
    """What scoring a budget from a longer run's first trials rests on; the
    grids are the exception (their spacing comes from the budget)."""
    from searchbench.methods import METHODS, Ctx, probe  # noqa: PLC0415

    problem = problems.get_problem("bbob-f08-d03-i04")
    names = ["optuna-random", "optuna-tpe", "optuna-cmaes", "optuna-qmc"]
    names += ["ferrotune-random", "ferrotune-tpe", "ferrotune-tpe-optuna", "ferrotune-cmaes", "ferrotune-gp"]
    ran = []
    for name in names:
        method = METHODS[name]
        if not probe(method.engine)[0]:
            continue  # ferrotune's package is not installed here
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Optuna's QMCSampler is experimental
            short = method.run(method, Ctx(problem, 15, 3, False)).values
            long = method.run(method, Ctx(problem, 40, 3, False)).values
        assert short == long[:15], name
        ran.append(name)
    assert "optuna-tpe" in ran, ran
    grid = METHODS["optuna-grid"]
    assert grid.run(grid, Ctx(problem, 15, 3, False)).values != grid.run(grid, Ctx(problem, 40, 3, False)).values[:15]


def test_a_grid_counts_only_at_its_own_budget_and_short_runs_only_up_to_theirs() -> None:
    rows = [
        run("bbob-f01-d03-i02", "optuna-grid", 0, [3.0] * 100, algo="grid"),
        run("bbob-f01-d03-i02", "optuna-tpe", 0, [5.0] * 30 + [1.0] * 70, algo="tpe"),
        run("bbob-f01-d03-i02", "optuna-random", 0, [4.0] * 40, algo="random"),
    ]
    assert budgets_of(rows) == [40, 100]
    assert {r["method"] for r in at_budget(rows, 100)} == {"optuna-grid", "optuna-tpe"}
    at_40 = {r["method"]: r for r in at_budget(rows, 40)}
    assert set(at_40) == {"optuna-tpe", "optuna-random"}
    assert at_40["optuna-tpe"]["best"] == 1.0 and at_40["optuna-random"]["budget"] == 40
    assert at_budget(rows, 20)[0]["best"] == 5.0
    assert budgets_of([run("bbob-f01-d03", "x", 0, [1.0] * 100, budgets=[20, 40, 100])]) == [20, 40, 100]


def test_the_report_scores_every_recorded_budget_and_old_rows_are_the_tuning_split() -> None:
    rows = long_runs()
    old = run("bbob-f01-d02", "optuna-random", 0, [1.0, 0.5, 0.7])
    del old["split"]
    old["suite"] = "bbob"
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "runs.jsonl")
        with open(path, "w") as f:
            for r in [*rows, old]:
                f.write(json.dumps(r) + "\n")
        text = write_report([path], tmp)
    assert "## BBOB noiseless functions: 3 trials" in text
    assert "## BBOB noiseless functions, held-out split: 100 trials" in text
    assert "held-out split: scored at 20 trials" in text and "held-out split: scored at 40 trials" in text
    assert "f8 Rosenbrock 3-D" in text  # the instances pooled into one problem


# ---------------------------------------------------------------- paired comparison


def enumerated_sign_flip_p(diffs: list[float]) -> float:
    n = len(diffs)
    signs = np.array(np.meshgrid(*[[1.0, -1.0]] * n)).reshape(n, -1).T
    return float(np.mean(np.abs(signs @ np.asarray(diffs) / n) >= abs(np.mean(diffs)) - 1e-15))


def test_the_sign_flip_test_is_exact_up_to_16_seeds_and_close_beyond() -> None:
    assert sign_flip_p([1.0, 1.0, 1.0]) == 2 / 8
    assert sign_flip_p([1.0, -1.0]) == 1.0
    diffs = list(np.random.default_rng(3).normal(0.3, 1.0, 18))
    assert sign_flip_p(diffs[:16]) == enumerated_sign_flip_p(diffs[:16])
    # 18 seeds: Monte Carlo (100,000 draws: a standard error of at most 0.0016).
    assert abs(sign_flip_p(diffs) - enumerated_sign_flip_p(diffs)) < 0.01


def test_paired_counts_runs_won_lost_and_tied_and_the_per_seed_score_difference() -> None:
    rows = []
    for seed in range(3):
        pid = problems.bbob_id(1, 3, 2 + seed)
        rows.append(run(pid, "optuna-random", seed, [100.0, 10.0, 1000.0]))
        rows.append(run(pid, "ferrotune-gp", seed, [1e-3 if seed < 2 else 1.0]))
        rows.append(run(pid, "optuna-gp", seed, [1e-2 if seed < 2 else 1.0]))
    suite = Suite("bbob", rows, "heldout")
    c = paired(suite, "ferrotune-gp", "optuna-gp")
    assert c is not None
    assert (c.wins, c.losses, c.ties, c.n_seeds) == (2, 0, 1, 3)
    diffs = [suite.seed_score("ferrotune-gp", s) - suite.seed_score("optuna-gp", s) for s in range(3)]
    assert math.isclose(c.diff, float(np.mean(diffs)))
    assert c.diff > 0 and diffs[2] == 0.0
    assert math.isclose(c.sign_flip_p, sign_flip_p(diffs))
    assert 0.0 < c.wilcoxon_p <= 1.0


if __name__ == "__main__":
    for name, fn in list(globals().items()):
        if name.startswith("test_") and callable(fn):
            fn()
            print(f"ok {name}")
