"""Sampler constructors read the engine's option descriptions (issue 18).

Every keyword except Optuna's arguments the engine does not model goes
through the sampler's description: unknown keywords are a TypeError listing
the valid ones, bad values a ValueError naming the option, and the type stub's
option lines are generated from the same descriptions (checked here;
``FERROTUNE_UPDATE_STUB=1`` rewrites them).
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

import pytest

import ferrotune
from ferrotune import samplers
from ferrotune._ferrotune import _sampler_options

STUB = Path(__file__).resolve().parents[1] / "python" / "ferrotune" / "_ferrotune.pyi"
BEGIN = "        # generated: the options from the engine's descriptions (tests/{test})\n"
END = "        # end of the generated options\n"


def render_stub(
    text: str, options_by_class=_sampler_options, base: str = "BaseSampler", test: str = "test_sampler_options.py"
) -> str:
    """The stub with each class's generated option lines made current (the
    samplers' by default; tests/test_pruner_options.py renders the pruners')."""
    begin = BEGIN.format(test=test)
    for cls, options in options_by_class().items():
        block = re.compile(
            rf"(class {cls}\({base}\):\n    def __new__\(\n)(.*?)({re.escape(begin)})(.*?)({re.escape(END)})",
            re.DOTALL,
        )
        match = block.search(text)
        assert match, f"the stub has no generated options for {cls}"
        by_hand = match.group(2)
        named = set(re.findall(r"^\s+(\w+):", by_hand, re.MULTILINE))
        lines = [
            f"        {name}: {annotation} = {pinned or default},\n"
            for name, annotation, default, pinned, _help in options
            if name not in named
        ]
        if lines and "        *,\n" not in by_hand:
            lines.insert(0, "        *,\n")
        text = text[: match.start(4)] + "".join(lines) + text[match.end(4) :]
    return text


def check_stub(rendered_from_current, what: str) -> None:
    """The stub is current (or, with FERROTUNE_UPDATE_STUB=1, made so)."""
    current = STUB.read_text()
    rendered = rendered_from_current(current)
    if rendered != current and os.environ.get("FERROTUNE_UPDATE_STUB"):
        STUB.write_text(rendered)
        current = rendered
    assert rendered == current, (
        f"the {what} options in _ferrotune.pyi are not those of the engine's descriptions; "
        "run this test with FERROTUNE_UPDATE_STUB=1 to rewrite them"
    )


def test_the_stub_lists_every_option_of_the_descriptions():
    check_stub(render_stub, "sampler")


def test_every_sampler_class_has_a_description():
    # PartialFixedSampler has no options of its own: it wraps another sampler.
    wrappers = {"BaseSampler", "PartialFixedSampler"}
    classes = {name for name in samplers.__all__ if name.endswith("Sampler") and name not in wrappers}
    assert set(_sampler_options()) == classes


def test_the_defaults_python_passes_are_the_descriptions():
    # Where the constructor's signature spelled a default out before it read
    # the descriptions, it still passes it; a description whose default
    # moves away from it must be a decision, made here.
    for cls, options in _sampler_options().items():
        for name, _annotation, default, pinned, _help in options:
            if pinned is not None:
                assert pinned == default, f"{cls}({name}=...): Python passes {pinned}, the description says {default}"


# Options that belong to one of several operators, and the option choosing
# it: given for another operator they are an error naming them.
OPERATOR_OF = {
    (cls, option): operator
    for cls in ["NSGAIISampler", "NSGAIIISampler"]
    for option, operator in [
        ("alpha", {"crossover": "blxalpha"}),
        ("eta", {"crossover": "sbx"}),
        ("uniform_crossover_prob", {"crossover": "sbx"}),
        ("use_child_gene_prob", {"crossover": "sbx"}),
        ("sigma_xi", {"crossover": "undx"}),
        ("sigma_eta", {"crossover": "undx"}),
        ("epsilon", {"crossover": "spx"}),
        ("mutation_eta", {"mutation": "polynomial"}),
    ]
}


def construct(cls: str, **options):
    if cls == "GridSampler":
        return samplers.GridSampler({"x": [0, 1]}, **options)
    return getattr(samplers, cls)(**options)


def test_every_option_is_a_keyword_and_takes_its_default_and_none():
    for cls, options in _sampler_options().items():
        for name, _annotation, default, pinned, _help in options:
            if name == "search_space":
                continue
            construct(cls, **{name: None})
            try:
                value = eval(pinned or default)  # a Python literal, or None
            except (SyntaxError, NameError):
                continue  # a default described in words ("1 / the number of parameters")
            if value is not None:
                construct(cls, **{name: value}, **OPERATOR_OF.get((cls, name), {}))


def test_an_operators_option_needs_its_operator():
    with pytest.raises(ValueError, match="alpha"):
        samplers.NSGAIISampler(alpha=0.5)
    samplers.NSGAIISampler(alpha=0.5, crossover="blxalpha")


def test_an_unknown_keyword_is_a_type_error_listing_the_valid_ones():
    with pytest.raises(TypeError, match="unexpected keyword argument 'gama'") as info:
        samplers.TPESampler(gama=0.2)
    message = str(info.value)
    for valid in ["gamma", "n_startup_trials", "optuna_defaults", "consider_prior", "constraints_func"]:
        assert valid in message
    with pytest.raises(TypeError, match=r"'foo'.*x0.*source_trials"):
        samplers.CmaEsSampler(foo=1)
    with pytest.raises(TypeError, match="'n_trials'"):
        samplers.RandomSampler(n_trials=3)
    # The grid is Optuna's search_space; the description's name for it is not a keyword.
    with pytest.raises(TypeError, match=r"'values'.*search_space"):
        samplers.GridSampler({"x": [1]}, values={"x": [1]})
    for cls in ["GPSampler", "QMCSampler", "GridSampler"]:
        with pytest.raises(TypeError, match="unexpected keyword argument 'sead'"):
            construct(cls, sead=1)


def test_a_bad_value_is_a_value_error_naming_the_option():
    cases = [
        (lambda: samplers.TPESampler(gamma=1.5), "TPESampler option 'gamma': must be the fraction"),
        (lambda: samplers.TPESampler(n_startup_trials=-1), "'n_startup_trials': must be a non-negative integer"),
        (lambda: samplers.TPESampler(n_ei_candidates="many"), "'n_ei_candidates'"),
        (lambda: samplers.TPESampler(multivariate="yes"), "'multivariate': must be true or false"),
        (lambda: samplers.TPESampler(weighting="ei"), r"'weighting': must be \"recency\" or \"expected_improvement\""),
        (lambda: samplers.RandomSampler(seed=-1), "RandomSampler option 'seed'"),
        (lambda: samplers.RandomSampler(seed=2**70), "'seed'.*64-bit"),
        (lambda: samplers.RandomSampler(seed=object()), "'seed'.*object is not an option value"),
        (lambda: samplers.GridSampler({"x": [1]}, seed="s"), "GridSampler option 'seed'"),
        (lambda: samplers.QMCSampler(qmc_type="lhs"), r"'qmc_type': must be \"sobol\" or \"halton\""),
        (lambda: samplers.CmaEsSampler(restart_strategy="lipop"), r"\"ipop\", \"bipop\" or \"none\""),
        (lambda: samplers.CmaEsSampler(x0={"x": "middle"}), "'x0.x'"),
        (lambda: samplers.CmaEsSampler(x0={"x": None}), "'x0.x'"),
        (lambda: samplers.CmaEsSampler(None, -1.0), "sigma0"),
        (lambda: samplers.GPSampler(output_transform="boxcox"), r"'output_transform'.*\"power\""),
        (lambda: samplers.GPSampler(startup="lhs"), "'startup': must be"),
    ]
    for make, pattern in cases:
        with pytest.raises(ValueError, match=pattern):
            make()


def test_optunas_arguments_the_engine_does_not_model_keep_their_messages():
    with pytest.raises(ValueError, match="consider_prior=False is not supported"):
        samplers.TPESampler(consider_prior=False)
    samplers.TPESampler(consider_prior=True, warn_independent_sampling=False, weights=None, constraints_func=None)
    with pytest.raises(TypeError, match="custom gamma function is not supported"):
        samplers.TPESampler(gamma=lambda n: min(n, 25))
    with pytest.raises(TypeError, match="custom weights function is not supported"):
        samplers.TPESampler(weights=lambda n: [1.0] * n)
    # constraints_func is accepted (test_pickle_and_setters.py); not a callable is refused.
    with pytest.raises(TypeError, match="constraints_func must be callable"):
        samplers.GPSampler(constraints_func=3)
    for cls, pattern in [("QMCSampler", "is not used"), ("GPSampler", "startup="), ("CmaEsSampler", "at random")]:
        with pytest.raises(ValueError, match=pattern):
            construct(cls, independent_sampler=samplers.RandomSampler())
    samplers.QMCSampler(warn_asynchronous_seeding=False, warn_independent_sampling=False)
    with pytest.raises(ValueError, match="lr_adapt=True is not supported"):
        samplers.CmaEsSampler(lr_adapt=True)
    with pytest.raises(ValueError, match="or -1 for the default"):
        samplers.CmaEsSampler(inc_popsize=-3)


def sphere(trial) -> float:
    x = trial.suggest_float("x", -3, 3)
    y = trial.suggest_float("y", 1e-3, 10, log=True)
    n = trial.suggest_int("n", -4, 4)
    kind = trial.suggest_categorical("kind", ["a", "b", "c"])
    return (x - 1) ** 2 + math.log(y) ** 2 + (n - 2) ** 2 + "abc".index(kind)


def numeric(trial) -> float:
    return sum((trial.suggest_float(f"x{i}", -2, 2) - 0.3 * i) ** 2 for i in range(3))


def trajectory(sampler, n_trials: int = 15, objective=sphere) -> list[dict]:
    study = ferrotune.create_study(sampler=sampler)
    study.optimize(objective, n_trials=n_trials)
    return [t.params for t in study.trials]


def test_python_defaults_are_unchanged_and_none_means_the_default():
    # Today's defaults, spelled out, repeat the default run; so does None.
    tpe = trajectory(samplers.TPESampler(seed=3), 14)
    spelled = dict(n_startup_trials=10, n_ei_candidates=24, group=False, constant_liar=True, startup="random")
    assert trajectory(samplers.TPESampler(seed=3, **spelled), 14) == tpe
    assert trajectory(samplers.TPESampler(seed=3, **{k: None for k in spelled}, gamma=None), 14) == tpe
    gp = trajectory(samplers.GPSampler(seed=1), 12)
    spelled = dict(n_startup_trials=5, deterministic_objective=False, startup="sobol", output_transform="robust")
    assert trajectory(samplers.GPSampler(seed=1, **spelled), 12) == gp
    cma = trajectory(samplers.CmaEsSampler(seed=2), 20, numeric)
    spelled = dict(
        n_startup_trials=1,
        restart_strategy=None,
        inc_popsize=2,
        consider_pruned_trials=False,
        use_separable_cma=False,
        with_margin=False,
    )
    assert trajectory(samplers.CmaEsSampler(seed=2, **spelled), 20, numeric) == cma
    assert trajectory(samplers.CmaEsSampler(seed=2, inc_popsize=-1), 20, numeric) == cma
    qmc = trajectory(samplers.QMCSampler(seed=4), 8)
    assert trajectory(samplers.QMCSampler(seed=4, qmc_type="sobol", scramble=True), 8) == qmc


def test_optunas_positional_arguments_still_work():
    assert trajectory(samplers.RandomSampler(5), 5) == trajectory(samplers.RandomSampler(seed=5), 5)
    space = {"x": [0.0, 1.0], "y": [0.1, 1.0], "n": [0, 2], "kind": ["a", "b"]}
    assert trajectory(samplers.GridSampler(space, 2), 16) == trajectory(samplers.GridSampler(space, seed=2), 16)
    positional = samplers.CmaEsSampler({"x0": 0.5, "x1": 0, "x2": 1}, 0.3, 2, None, True, 4)
    keywords = samplers.CmaEsSampler(x0={"x0": 0.5, "x1": 0, "x2": 1}, sigma0=0.3, n_startup_trials=2, seed=4)
    assert trajectory(positional, 12, numeric) == trajectory(keywords, 12, numeric)


def test_the_descriptions_options_beyond_optunas_are_keywords():
    # robust_output is the GP description's shorthand for output_transform.
    robust = trajectory(samplers.GPSampler(seed=1, output_transform="standardize"), 12)
    assert trajectory(samplers.GPSampler(seed=1, robust_output=False), 12) == robust


def test_grids_that_list_none_and_warm_started_cma_es():
    # Option values have no null and cannot carry trials: these two are
    # built by the constructor, with the description's checks.
    study = ferrotune.create_study(sampler=samplers.GridSampler({"depth": [None, 4, 8]}, seed=0))
    study.optimize(lambda t: t.suggest_categorical("depth", [None, 4, 8]) or 0, n_trials=5)
    assert sorted(str(t.params["depth"]) for t in study.trials) == ["4", "8", "None"]
    with pytest.raises(ValueError, match="GridSampler option 'seed'"):
        samplers.GridSampler({"depth": [None, 4]}, seed=-2)
    source = ferrotune.create_study(sampler=samplers.RandomSampler(seed=0))
    source.optimize(numeric, n_trials=20)
    warm = trajectory(samplers.CmaEsSampler(seed=2, source_trials=source.trials, popsize=5), 12, numeric)
    assert len(warm) == 12
    assert warm != trajectory(samplers.CmaEsSampler(seed=2, popsize=5), 12, numeric)
    with pytest.raises(ValueError, match="'popsize': must be a non-negative integer"):
        samplers.CmaEsSampler(source_trials=source.trials, popsize=-5)
    with pytest.raises(ValueError, match="x0 and source_trials"):
        samplers.CmaEsSampler(x0={"x0": 0.0}, source_trials=source.trials)
