"""Trials written for TensorBoard's HPARAMS tab (the Python callback, the
CLI's ``tensorboard_dir`` and ``export --format tensorboard``), read back
with TensorBoard's own event reader and hparams protos."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import ferrotune
from conftest import find_cli
from ferrotune.integration.tensorboard import TensorBoardCallback

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing import plugin_event_multiplexer  # noqa: E402
from tensorboard.plugins.hparams import api_pb2, metadata  # noqa: E402
from tensorboard.util import tensor_util  # noqa: E402

ferrotune_distributions = ferrotune.distributions


def proto_value(value: Any) -> Any:
    kind = value.WhichOneof("kind")
    return {"number_value": value.number_value, "string_value": value.string_value, "bool_value": value.bool_value}[
        kind
    ]


def read_logs(logdir: Path) -> tuple[Any, dict[int, dict[str, Any]]]:
    """The experiment, and each trial's run by number: hparams, metrics (tag ->
    [(step, value)]) and status, as TensorBoard reads them."""
    mux = plugin_event_multiplexer.EventMultiplexer()
    mux.AddRunsFromDirectory(str(logdir))
    mux.Reload()
    experiment = None
    runs: dict[int, dict[str, Any]] = {}
    for run, tags in mux.PluginRunToTagToContent(metadata.PLUGIN_NAME).items():
        if metadata.EXPERIMENT_TAG in tags:
            assert experiment is None, "one experiment summary"
            assert run == ".", "the experiment sits at the top of the log folder"
            experiment = metadata.parse_experiment_plugin_data(tags[metadata.EXPERIMENT_TAG])
        if metadata.SESSION_START_INFO_TAG not in tags:
            continue
        assert run.startswith("trial-")
        start = metadata.parse_session_start_info_plugin_data(tags[metadata.SESSION_START_INFO_TAG])
        end = metadata.parse_session_end_info_plugin_data(tags[metadata.SESSION_END_INFO_TAG])
        metric_tags = [t for t in mux.GetAccumulator(run).Tags()["tensors"] if not t.startswith("_hparams_/")]
        metrics = {
            tag: [(e.step, tensor_util.make_ndarray(e.tensor_proto).item()) for e in mux.Tensors(run, tag)]
            for tag in metric_tags
        }
        runs[int(run.removeprefix("trial-"))] = {
            "hparams": {name: proto_value(v) for name, v in start.hparams.items()},
            "metrics": metrics,
            "status": end.status,
        }
    return experiment, runs


def shown(value: Any, distribution: Any) -> Any:
    """A parameter's value as the HPARAMS tab should show it."""
    if isinstance(distribution, ferrotune_distributions.CategoricalDistribution):
        kinds = {type(c) for c in distribution.choices}
        if kinds <= {str} or kinds <= {bool}:
            return value
        if kinds <= {int, float}:
            return float(value)
        return str(value)
    return float(value)


def check_logs_match(logdir: Path, study: Any, metric_names: list[str]) -> None:
    experiment, runs = read_logs(logdir)
    finished = [t for t in study.trials if t.state.is_finished()]
    assert sorted(runs) == [t.number for t in finished]
    for trial in finished:
        run = runs[trial.number]
        assert run["hparams"] == {n: shown(v, trial.distributions[n]) for n, v in trial.params.items()}
        if trial.state == ferrotune.trial.TrialState.COMPLETE:
            assert run["status"] == api_pb2.STATUS_SUCCESS
            assert run["metrics"] == {name: [(trial.number, v)] for name, v in zip(metric_names, trial.values)}
        else:
            assert run["status"] == api_pb2.STATUS_FAILURE
            if trial.state == ferrotune.trial.TrialState.PRUNED and trial.values is not None:
                assert run["metrics"] == {name: [(trial.number, v)] for name, v in zip(metric_names, trial.values)}
            else:
                assert run["metrics"] == {}

    # The experiment: every parameter with its domain, every metric.
    assert experiment is not None
    assert [m.name.tag for m in experiment.metric_infos] == metric_names
    distributions: dict[str, Any] = {}
    for trial in finished:
        distributions.update(trial.distributions)
    infos = {info.name: info for info in experiment.hparam_infos}
    assert sorted(infos) == sorted(distributions)
    for name, distribution in distributions.items():
        info = infos[name]
        if isinstance(distribution, ferrotune_distributions.CategoricalDistribution):
            assert info.WhichOneof("domain") == "domain_discrete"
            values = [proto_value(v) for v in info.domain_discrete.values]
            assert values == [shown(c, distribution) for c in distribution.choices]
        else:
            assert info.WhichOneof("domain") == "domain_interval"
            assert info.type == api_pb2.DATA_TYPE_FLOAT64
            assert (info.domain_interval.min_value, info.domain_interval.max_value) == (
                distribution.low,
                distribution.high,
            )


def objective(trial: Any) -> float:
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    layers = trial.suggest_int("layers", 1, 4)
    optimizer = trial.suggest_categorical("optimizer", ["sgd", "adam"])
    trial.suggest_categorical("batch_norm", [True, False])
    trial.suggest_categorical("max_depth", [None, 4, 8.5])
    if trial.number % 5 == 3:
        trial.report(0.125, step=1)
        raise ferrotune.TrialPruned()
    if trial.number % 5 == 4:
        raise RuntimeError("diverged")
    return math.log10(lr) + layers + (optimizer == "adam") + 1e-9 * trial.number


def test_the_callback_writes_every_trial_as_tensorboard_reads_it(tmp_path: Path):
    study = ferrotune.create_study(direction="maximize", sampler=ferrotune.samplers.RandomSampler(seed=1))
    callback = TensorBoardCallback(str(tmp_path / "logs"), "accuracy")
    study.optimize(objective, n_trials=12, callbacks=[callback], catch=(RuntimeError,))
    states = {t.state for t in study.trials}
    assert {ferrotune.trial.TrialState.COMPLETE, ferrotune.trial.TrialState.PRUNED} <= states
    assert ferrotune.trial.TrialState.FAIL in states
    check_logs_match(tmp_path / "logs", study, ["accuracy"])


def hparams_tab(logdir: Path) -> tuple[Any, Any]:
    """What TensorBoard's HPARAMS tab asks its backend for: the experiment
    and the session groups (one per trial), through the hparams plugin's own
    request handlers on TensorBoard's data provider."""
    from tensorboard import context
    from tensorboard.backend.event_processing import data_provider
    from tensorboard.plugins import base_plugin
    from tensorboard.plugins.hparams import backend_context, get_experiment, list_session_groups

    mux = plugin_event_multiplexer.EventMultiplexer()
    mux.AddRunsFromDirectory(str(logdir))
    mux.Reload()
    provider = data_provider.MultiplexerDataProvider(mux, str(logdir))
    backend = backend_context.Context(base_plugin.TBContext(logdir=str(logdir), data_provider=provider))
    experiment = get_experiment.Handler(context.RequestContext(), backend, "", api_pb2.GetExperimentRequest()).run()
    request = api_pb2.ListSessionGroupsRequest(
        start_index=0,
        slice_size=1000,
        allowed_statuses=[api_pb2.STATUS_UNKNOWN, api_pb2.STATUS_SUCCESS, api_pb2.STATUS_FAILURE, api_pb2.STATUS_RUNNING],
    )
    groups = list_session_groups.Handler(context.RequestContext(), backend, "", request).run()
    return experiment, groups


def test_the_hparams_tab_lists_each_trial_with_its_values(tmp_path: Path):
    study = ferrotune.create_study(direction="maximize", sampler=ferrotune.samplers.RandomSampler(seed=2))
    study.optimize(objective, n_trials=8, callbacks=[TensorBoardCallback(tmp_path, "accuracy")], catch=(RuntimeError,))
    experiment, groups = hparams_tab(tmp_path)
    assert sorted(info.name for info in experiment.hparam_infos) == sorted(study.trials[0].params)
    assert [m.name.tag for m in experiment.metric_infos] == ["accuracy"]
    by_name = {group.name: group for group in groups.session_groups}
    finished = [t for t in study.trials if t.state.is_finished()]
    assert sorted(by_name) == sorted(f"trial-{t.number}" for t in finished)
    for trial in finished:
        group = by_name[f"trial-{trial.number}"]
        hparams = {name: proto_value(v) for name, v in group.hparams.items()}
        assert hparams == {n: shown(v, trial.distributions[n]) for n, v in trial.params.items()}
        metrics = {m.name.tag: m.value for m in group.metric_values}
        if trial.state == ferrotune.trial.TrialState.COMPLETE:
            assert metrics == {"accuracy": trial.value}
            assert [s.status for s in group.sessions] == [api_pb2.STATUS_SUCCESS]
        else:
            assert [s.status for s in group.sessions] == [api_pb2.STATUS_FAILURE]


def test_several_objectives_are_one_metric_each(tmp_path: Path):
    def two(trial: Any) -> tuple[float, float]:
        x = trial.suggest_float("x", 0, 1)
        return x, 1 - x

    named = ferrotune.create_study(directions=["minimize", "maximize"])
    named.set_metric_names(["loss", "recall"])
    named.optimize(two, n_trials=3, callbacks=[TensorBoardCallback(tmp_path / "named", "ignored")])
    check_logs_match(tmp_path / "named", named, ["loss", "recall"])

    unnamed = ferrotune.create_study(directions=["minimize", "maximize"])
    unnamed.optimize(two, n_trials=3, callbacks=[TensorBoardCallback(tmp_path / "unnamed", "score")])
    check_logs_match(tmp_path / "unnamed", unnamed, ["score_0", "score_1"])


def test_a_resumed_study_declares_its_earlier_parameters(tmp_path: Path):
    study = ferrotune.create_study()
    study.optimize(lambda t: t.suggest_float("early", 0, 1), n_trials=2)
    callback = TensorBoardCallback(tmp_path, "loss")
    study.optimize(lambda t: t.suggest_int("late", 0, 3), n_trials=2, callbacks=[callback])
    experiment, runs = read_logs(tmp_path)
    assert sorted(runs) == [2, 3], "the callback writes the trials it is called for"
    assert sorted(info.name for info in experiment.hparam_infos) == ["early", "late"]


def test_bad_arguments_are_refused_with_the_reason(tmp_path: Path):
    with pytest.raises(TypeError, match="metric_name must be a string"):
        TensorBoardCallback(tmp_path, ["a", "b"])  # type: ignore[arg-type]
    study = ferrotune.create_study()
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OSError, match="file"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1, callbacks=[TensorBoardCallback(blocker / "logs", "v")])
    with pytest.raises(ValueError, match="metric name 0 is empty"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1, callbacks=[TensorBoardCallback(tmp_path, "")])


def test_the_cli_writes_a_run_and_exports_a_study_for_tensorboard(tmp_path: Path):
    cli = find_cli()
    if cli is None:
        pytest.skip("the ferrotune CLI is not built (cargo build -p ferrotune-cli, or set FERROTUNE_CLI)")
    url = "sqlite:///" + str(tmp_path / "tune.db")
    program = (
        "import os, sys\n"
        "x = float(os.environ['FERROTUNE_PARAM_X'])\n"
        "if x > 0.5: sys.exit(3)\n"
        "print('loss=' + repr(x * x))\n"
    )
    (tmp_path / "train.py").write_text(program)
    config = tmp_path / "tune.toml"
    config.write_text(
        f"""
[study]
name = "tb"
storage = "{url}"
n_trials = 8
tensorboard_dir = "runs"

[sampler]
type = "random"
seed = 3

[command]
run = ["{sys.executable}", "train.py"]

[metric]
name = "loss"

[params]
x = {{ type = "float", low = 0.0, high = 1.0 }}
units = {{ type = "int", low = 8, high = 64, log = true }}
act = {{ type = "categorical", choices = ["relu", "tanh"] }}
"""
    )
    subprocess.run([str(cli), "run", str(config), "--quiet"], check=True, cwd=tmp_path, timeout=300)
    study = ferrotune.load_study(study_name="tb", storage=url)
    assert ferrotune.trial.TrialState.FAIL in {t.state for t in study.trials}, "the seed gives a failed trial"
    check_logs_match(tmp_path / "runs", study, ["loss"])

    subprocess.run(
        [str(cli), "export", "-c", str(config), "--format", "tensorboard", "--out", str(tmp_path / "exported")],
        check=True,
        timeout=120,
    )
    check_logs_match(tmp_path / "exported", study, ["loss"])
    # Without a config: the name `run` stored with the study (under Optuna's
    # key, so Python sees it too).
    assert study.metric_names == ["loss"]
    subprocess.run(
        [str(cli), "export", "--storage", url, "--study", "tb", "--format", "tensorboard", "--out", str(tmp_path / "plain")],
        check=True,
        timeout=120,
    )
    check_logs_match(tmp_path / "plain", study, ["loss"])
    # A study with no names stored: named as Optuna's dataframe names it.
    bare = ferrotune.create_study(study_name="bare", storage=url)
    bare.optimize(lambda trial: trial.suggest_float("x", 0.0, 1.0), n_trials=2)
    subprocess.run(
        [str(cli), "export", "--storage", url, "--study", "bare", "--format", "tensorboard", "--out", str(tmp_path / "bare")],
        check=True,
        timeout=120,
    )
    check_logs_match(tmp_path / "bare", bare, ["value"])

    missing_out = subprocess.run(
        [str(cli), "export", "-c", str(config), "--format", "tensorboard"], capture_output=True, text=True
    )
    assert missing_out.returncode == 2
    assert "--output DIR" in missing_out.stderr
