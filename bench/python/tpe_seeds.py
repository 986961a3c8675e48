"""Final best of many seeded TPE runs on one bench problem, per sampler:
how often a sampler gets stuck, which the suite's few seeds cannot tell.

    bench/.venv/bin/python bench/python/tpe_seeds.py PROBLEM SEEDS TRIALS CONFIGS

CONFIGS: comma-separated ENGINE[:uni|:multi] (ENGINE: ferrotune, optuna,
rustuna; uni / multi force TPE's multivariate option, else its default).
Prints one JSON line per config. Example (bench/README.md, the stuck
decision-tree run): ... sk-dt-iris 100 50 ferrotune,optuna
"""

from __future__ import annotations

import importlib
import json
import sys

from searchbench.methods import _quiet, _suggest
from searchbench.problems import get_problem


def main() -> None:
    problem_id, n_seeds, n_trials, configs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    problem = get_problem(problem_id)
    for config in configs.split(","):
        engine, _, mode = config.partition(":")
        module = importlib.import_module(engine)
        _quiet(module)
        options = {"uni": {"multivariate": False}, "multi": {"multivariate": True}}.get(mode, {})
        finals = []
        for seed in range(n_seeds):
            study = module.create_study(
                direction="minimize", sampler=module.samplers.TPESampler(seed=seed, **options)
            )
            values = []
            for _ in range(n_trials):
                trial = study.ask()
                value = problem.evaluate({p.name: _suggest(trial, p) for p in problem.space})
                study.tell(trial, value)
                values.append(value)
            finals.append(min(values))
        print(json.dumps({"config": config, "mean": sum(finals) / len(finals), "finals": finals}), flush=True)


if __name__ == "__main__":
    main()
