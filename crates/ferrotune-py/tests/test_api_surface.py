"""Optuna's public API, name by name, against ferrotune's (issue 24).

For each public module of Optuna 5 (its ``__all__``, or, where it has none,
the names defined in it), the same module of ferrotune must have every name,
and every public function, class and method must accept the parameters
Optuna's accepts. What ferrotune lacks is listed below with the reason: a
deliberate difference, or not built yet. Both lists are exact: the test
fails when a name goes missing and when a listed one appears, so they
always say where ferrotune stands.
"""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys
from types import ModuleType
from typing import Any, Optional

import pytest

import ferrotune._ferrotune

optuna = pytest.importorskip("optuna")

MODULES = [
    "optuna",
    "optuna.artifacts",
    "optuna.artifacts.exceptions",
    "optuna.distributions",
    "optuna.exceptions",
    "optuna.importance",
    "optuna.integration",
    "optuna.logging",
    "optuna.pruners",
    "optuna.samplers",
    "optuna.samplers.nsgaii",
    "optuna.search_space",
    "optuna.storages",
    "optuna.storages.journal",
    "optuna.study",
    "optuna.terminator",
    "optuna.trial",
    "optuna.version",
    "optuna.visualization",
    "optuna.visualization.matplotlib",
]

# Reasons, each said once.
NOT_BUILT = "not built yet"
TERMINATOR = "not built yet: the terminator (optuna.terminator) is not ported"
DEPRECATED_DISTRIBUTION = (
    "deliberate: deprecated by Optuna since 3.0 (FloatDistribution / IntDistribution replace it); "
    "json_to_distribution reads it as its replacement"
)
DEPRECATED_SUGGEST = (
    "deliberate: suggest_uniform, suggest_loguniform and suggest_discrete_uniform are deprecated by Optuna "
    "since 3.0 (suggest_float replaces them); not built"
)
ENGINE_STORAGE = (
    "deliberate: a storage is a handle on the engine's; studies and trials are read and written through "
    "Study and Trial, not through Optuna's low-level storage methods"
)
JOURNAL_BACKEND = (
    "deliberate: a journal backend names the file the engine's journal storage reads and appends to; "
    "reading and appending logs is the engine's, so a Python backend cannot replace it"
)
JOURNAL_LOCK = (
    "deliberate: a lock object names the protocol (Optuna's open or symlink lock) the engine takes around "
    "each append; acquire and release are the engine's"
)
PRIVATE = "deliberate: private in Optuna (an underscore name its __all__ exports)"
INTEGRATION_NOT_BUILT = (
    NOT_BUILT + ": ferrotune.integration has the LightGBM, XGBoost and PyTorch Lightning pruning callbacks "
    "and OptunaSearchCV so far"
)

#: Modules ferrotune does not have at all, and why.
MISSING_MODULES: dict[str, str] = {
    "optuna.terminator": TERMINATOR,
}

#: Names of Optuna's modules that ferrotune's same module lacks, and why.
MISSING_NAMES: dict[str, str] = {
    "optuna.integration.BoTorchSampler": INTEGRATION_NOT_BUILT,
    "optuna.integration.CatBoostPruningCallback": INTEGRATION_NOT_BUILT,
    "optuna.integration.DaskStorage": INTEGRATION_NOT_BUILT,
    "optuna.integration.FastAIPruningCallback": INTEGRATION_NOT_BUILT,
    "optuna.integration.FastAIV2PruningCallback": INTEGRATION_NOT_BUILT,
    "optuna.integration.KerasPruningCallback": INTEGRATION_NOT_BUILT,
    "optuna.integration.LightGBMTuner": INTEGRATION_NOT_BUILT,
    "optuna.integration.LightGBMTunerCV": INTEGRATION_NOT_BUILT,
    "optuna.integration.MLflowCallback": INTEGRATION_NOT_BUILT,
    "optuna.integration.PyCmaSampler": INTEGRATION_NOT_BUILT,
    "optuna.integration.PyTorchIgnitePruningHandler": INTEGRATION_NOT_BUILT,
    "optuna.integration.ShapleyImportanceEvaluator": INTEGRATION_NOT_BUILT,
    "optuna.integration.SkorchPruningCallback": INTEGRATION_NOT_BUILT,
    "optuna.integration.TFKerasPruningCallback": INTEGRATION_NOT_BUILT,
    "optuna.integration.TensorFlowPruningHook": INTEGRATION_NOT_BUILT,
    "optuna.integration.TorchDistributedTrial": INTEGRATION_NOT_BUILT,
    "optuna.integration.WeightsAndBiasesCallback": INTEGRATION_NOT_BUILT,
    "optuna.distributions.DiscreteUniformDistribution": DEPRECATED_DISTRIBUTION,
    "optuna.distributions.IntLogUniformDistribution": DEPRECATED_DISTRIBUTION,
    "optuna.distributions.IntUniformDistribution": DEPRECATED_DISTRIBUTION,
    "optuna.distributions.LogUniformDistribution": DEPRECATED_DISTRIBUTION,
    "optuna.distributions.UniformDistribution": DEPRECATED_DISTRIBUTION,
    "optuna.samplers.BaseGASampler": NOT_BUILT + " (a Python base for genetic samplers)",
    "optuna.search_space._GroupDecomposedSearchSpace": PRIVATE,
    "optuna.search_space._SearchSpaceGroup": PRIVATE,
    "optuna.storages.GrpcStorageProxy": NOT_BUILT + " (the gRPC storage proxy)",
    "optuna.storages.run_grpc_proxy_server": NOT_BUILT + " (the gRPC storage proxy)",
    "optuna.storages._CachedStorage": PRIVATE,
    "optuna.visualization.plot_terminator_improvement": TERMINATOR,
    "optuna.visualization.matplotlib.plot_terminator_improvement": TERMINATOR,
}

#: Callables whose parameters differ: "qualified name: what differs" (as
#: ``callable_gap`` words it), and why.
SIGNATURE_GAPS: dict[str, str] = {
    "optuna.Trial: lacks study, trial_id": "deliberate: the engine makes trials (study.ask, optimize); "
    "Optuna's Trial(study, trial_id) is internal too",
}

#: Classes whose Optuna methods ferrotune leaves out as a whole, and why;
#: each must still lack at least one (the list stays true).
CLASSES_WITHOUT_OPTUNA_METHODS: dict[str, str] = {
    "optuna.Trial": DEPRECATED_SUGGEST,
    "optuna.trial.BaseTrial": DEPRECATED_SUGGEST,
    "optuna.trial.FixedTrial": DEPRECATED_SUGGEST,
    "optuna.trial.FrozenTrial": DEPRECATED_SUGGEST,
    "optuna.samplers.NSGAIISampler": "deliberate: select_parent is a hook of Optuna's Python loop; the engine "
    "selects parents",
    "optuna.samplers.NSGAIIISampler": "deliberate: select_parent is a hook of Optuna's Python loop; the engine "
    "selects parents",
    "optuna.samplers.nsgaii.BaseCrossover": "deliberate: a crossover names an operator the engine runs; it has "
    "no crossover() to call or override from Python",
    "optuna.samplers.nsgaii.BLXAlphaCrossover": "deliberate: the engine runs the crossover",
    "optuna.samplers.nsgaii.SBXCrossover": "deliberate: the engine runs the crossover",
    "optuna.samplers.nsgaii.SPXCrossover": "deliberate: the engine runs the crossover",
    "optuna.samplers.nsgaii.UNDXCrossover": "deliberate: the engine runs the crossover",
    "optuna.samplers.nsgaii.UniformCrossover": "deliberate: the engine runs the crossover",
    "optuna.samplers.nsgaii.VSBXCrossover": "deliberate: the engine runs the crossover",
    "optuna.samplers.nsgaii.BaseMutation": "deliberate: a mutation names an operator the engine runs; it has no "
    "mutation() to call or override from Python",
    "optuna.samplers.nsgaii.PolynomialMutation": "deliberate: the engine runs the mutation",
    "optuna.storages.BaseStorage": ENGINE_STORAGE,
    "optuna.storages.InMemoryStorage": ENGINE_STORAGE,
    "optuna.storages.RDBStorage": ENGINE_STORAGE + "; schema upgrades are the engine's too",
    "optuna.storages.JournalStorage": ENGINE_STORAGE,
    "optuna.storages.journal.BaseJournalBackend": JOURNAL_BACKEND,
    "optuna.storages.journal.JournalFileBackend": JOURNAL_BACKEND,
    "optuna.storages.journal.JournalFileOpenLock": JOURNAL_LOCK,
    "optuna.storages.journal.JournalFileSymlinkLock": JOURNAL_LOCK,
    "optuna.storages.journal.JournalRedisBackend": NOT_BUILT + " (a journal in Redis; the class raises saying so)",
}


def ferrotune_module(optuna_name: str) -> Optional[ModuleType]:
    try:
        return importlib.import_module("ferrotune" + optuna_name[len("optuna") :])
    except ImportError:
        return None


def public_names(module: ModuleType) -> list[str]:
    """The module's ``__all__``, or the public names defined in it."""
    names = getattr(module, "__all__", None)
    if names is not None:
        return list(names)
    return sorted(
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not inspect.ismodule(value)
        and getattr(value, "__module__", None) == module.__name__
    )


def has_name(module: ModuleType, name: str) -> bool:
    try:
        getattr(module, name)
    except (AttributeError, ImportError):
        return False
    return True


def submodules_a_fresh_import_has(package: str, names: list[str]) -> set[str]:
    # A submodule is an attribute of its package once anything imported it,
    # so in this process the answer would depend on which tests ran before;
    # a user's `optuna.integration.X` needs the package to import it itself.
    code = f"import {package}, sys; print(' '.join(n for n in {names!r} if hasattr({package}, n)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    return set(result.stdout.split())


def missing_names() -> dict[str, list[str]]:
    """Per Optuna module ferrotune has, the names its module lacks."""
    found = {}
    for name in MODULES:
        ours = ferrotune_module(name)
        if ours is None:
            continue
        theirs = importlib.import_module(name)
        names = public_names(theirs)
        submodules = [n for n in names if inspect.ismodule(getattr(theirs, n, None))]
        present = submodules_a_fresh_import_has(ours.__name__, submodules) if submodules else set()
        found[name] = sorted(
            n for n in names if (n not in present if n in submodules else not has_name(ours, n))
        )
    return found


def parameters(obj: Any) -> Optional[dict[str, inspect.Parameter]]:
    try:
        return dict(inspect.signature(obj).parameters)
    except (TypeError, ValueError):
        return None


def described_options(cls: Any) -> set[str]:
    # A built-in sampler or pruner takes most options through **options;
    # the engine describes them once (the same description the CLI reads).
    for options in (ferrotune._ferrotune._sampler_options(), ferrotune._ferrotune._pruner_options()):
        if getattr(cls, "__name__", None) in options:
            return {option[0] for option in options[cls.__name__]}
    return set()


def callable_gap(qualified: str, theirs: Any, ours: Any, owner: Any = None) -> Optional[str]:
    their_params = parameters(theirs)
    our_params = parameters(ours)
    if their_params is None:
        return None
    if our_params is None:
        return f"{qualified}: signature not inspectable"
    accepted = {n for n, p in our_params.items() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    if any(p.kind == p.VAR_KEYWORD for p in our_params.values()):
        accepted |= described_options(owner if owner is not None else ours)
    missing = [
        n for n, p in their_params.items() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and n not in accepted
    ]
    # A parameter Optuna lacks must be optional, or Optuna-style calls fail.
    required_extra = [
        n
        for n, p in our_params.items()
        if n not in their_params and p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    # Optuna's positional parameters (those ferrotune has) must come in the
    # same places, or a call by position passes values to the wrong ones.
    def positional(params: dict[str, inspect.Parameter]) -> list[str]:
        return [n for n, p in params.items() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]

    their_positional = [n for n in positional(their_params) if n not in missing]
    our_positional = positional(our_params)
    words = []
    if missing:
        words.append("lacks " + ", ".join(missing))
    if our_positional[: len(their_positional)] != their_positional:
        words.append("positional order differs (Optuna's: " + ", ".join(their_positional) + ")")
    if required_extra:
        words.append("requires " + ", ".join(required_extra))
    return f"{qualified}: {'; '.join(words)}" if words else None


def signature_gaps() -> tuple[list[str], dict[str, list[str]]]:
    """Parameter differences of the names both have, and, per class, the
    Optuna methods and properties ferrotune's class lacks."""
    gaps: list[str] = []
    missing_methods: dict[str, list[str]] = {}
    seen: set[int] = set()
    for module_name in MODULES:
        ours_module = ferrotune_module(module_name)
        if ours_module is None:
            continue
        theirs_module = importlib.import_module(module_name)
        for name in public_names(theirs_module):
            theirs = getattr(theirs_module, name, None)
            if id(theirs) in seen or not has_name(ours_module, name):
                continue
            if not (inspect.isclass(theirs) or inspect.isfunction(theirs)):
                continue
            seen.add(id(theirs))
            ours = getattr(ours_module, name)
            qualified = f"{module_name}.{name}"
            if inspect.isfunction(theirs) or not issubclass(theirs, BaseException):
                gap = callable_gap(qualified, theirs, ours)
                if gap:
                    gaps.append(gap)
            if not inspect.isclass(theirs):
                continue
            for attr, value in vars(theirs).items():
                if attr.startswith("_") or not (inspect.isfunction(value) or isinstance(value, property)):
                    continue
                if not hasattr(ours, attr):
                    missing_methods.setdefault(qualified, []).append(attr)
                elif inspect.isfunction(value):
                    gap = callable_gap(f"{qualified}.{attr}", value, getattr(ours, attr), owner=None)
                    if gap:
                        gaps.append(gap)
    return sorted(gaps), missing_methods


@pytest.mark.parametrize("module_name", MODULES)
def test_the_module_exists_unless_listed(module_name: str):
    exists = ferrotune_module(module_name) is not None
    if module_name in MISSING_MODULES:
        assert not exists, f"ferrotune{module_name[6:]} exists now: take it off MISSING_MODULES and list its gaps"
    else:
        assert exists, f"ferrotune has no module {module_name[6:] or '(top level)'}; build it or list it"


def test_every_public_name_is_there_or_listed():
    found = {f"{module}.{name}" for module, names in missing_names().items() for name in names}
    unlisted = sorted(found - set(MISSING_NAMES))
    stale = sorted(set(MISSING_NAMES) - found)
    assert not unlisted, f"missing from ferrotune and not listed in MISSING_NAMES: {unlisted}"
    assert not stale, f"listed in MISSING_NAMES but ferrotune has them now (take them off): {stale}"


def test_every_signature_accepts_optunas_parameters_or_is_listed():
    gaps, _ = signature_gaps()
    unlisted = sorted(set(gaps) - set(SIGNATURE_GAPS))
    stale = sorted(set(SIGNATURE_GAPS) - set(gaps))
    assert not unlisted, f"signatures that differ from Optuna's and are not listed in SIGNATURE_GAPS: {unlisted}"
    assert not stale, f"listed in SIGNATURE_GAPS but no longer true (update or remove): {stale}"


def test_every_method_is_there_or_its_class_is_listed():
    _, missing_methods = signature_gaps()
    unlisted = {cls: names for cls, names in missing_methods.items() if cls not in CLASSES_WITHOUT_OPTUNA_METHODS}
    stale = sorted(set(CLASSES_WITHOUT_OPTUNA_METHODS) - set(missing_methods))
    assert not unlisted, f"Optuna methods ferrotune's classes lack, not listed: {unlisted}"
    assert not stale, f"listed in CLASSES_WITHOUT_OPTUNA_METHODS but complete now: {stale}"


def test_names_built_for_the_surface_behave():
    # The small names this test asked for, each doing what Optuna's does.
    import ferrotune

    assert ferrotune.version.__version__ == ferrotune.__version__
    assert issubclass(ferrotune.exceptions.CLIUsageError, ferrotune.exceptions.OptunaError)
    assert ferrotune.artifacts.exceptions.ArtifactNotFound.__mro__[1] is ferrotune.exceptions.FerrotuneError


#: Public attributes Optuna sets on its objects (so absent from the class)
#: that ferrotune's lack, and why.
INSTANCE_ATTRIBUTE_GAPS: dict[str, str] = {
    "Trial.storage": NOT_BUILT + " (the engine's Trial does not expose its storage; trial.study._storage is "
    "the same)",
    "Trial.relative_search_space": NOT_BUILT + " (the engine's Trial does not expose it; relative_params has "
    "the values sampled in it)",
}


def test_instance_attributes_are_there_or_listed():
    import ferrotune

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    theirs_study = optuna.create_study()
    theirs_trial = theirs_study.ask()
    theirs_study.tell(theirs_trial, 1.0)
    ours_study = ferrotune.create_study()
    ours_trial = ours_study.ask()
    ours_study.tell(ours_trial, 1.0)
    pairs = {
        "Study": (theirs_study, ours_study),
        "Trial": (theirs_trial, ours_trial),
        "FrozenTrial": (theirs_study.trials[0], ours_study.trials[0]),
        "FixedTrial": (optuna.trial.FixedTrial({"x": 1}), ferrotune.trial.FixedTrial({"x": 1})),
    }
    found = {
        f"{kind}.{attr}"
        for kind, (theirs, ours) in pairs.items()
        for attr in vars(theirs)
        if not attr.startswith("_") and not hasattr(ours, attr)
    }
    assert found == set(INSTANCE_ATTRIBUTE_GAPS), (
        f"unlisted: {sorted(found - set(INSTANCE_ATTRIBUTE_GAPS))}; "
        f"listed but there now: {sorted(set(INSTANCE_ATTRIBUTE_GAPS) - found)}"
    )


def test_exceptions_have_optunas_builtin_bases():
    # `except ValueError:` (or RuntimeError, Warning, ...) written for Optuna
    # must catch ferrotune's exception of the same name.
    def builtin_bases(cls: type) -> set[str]:
        return {base.__name__ for base in cls.__mro__ if base.__module__ == "builtins"}

    compared = 0
    for module_name in MODULES:
        ours_module = ferrotune_module(module_name)
        if ours_module is None:
            continue
        theirs_module = importlib.import_module(module_name)
        for name in public_names(theirs_module):
            theirs = getattr(theirs_module, name, None)
            if inspect.isclass(theirs) and issubclass(theirs, BaseException) and has_name(ours_module, name):
                ours = getattr(ours_module, name)
                assert builtin_bases(ours) == builtin_bases(theirs), f"{module_name}.{name}"
                compared += 1
    assert compared >= 8
