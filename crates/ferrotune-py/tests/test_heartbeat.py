"""Heartbeats and retries from Python (issue 22), with Optuna's API:
``RDBStorage(heartbeat_interval=, grace_period=, failed_trial_callback=)``,
``RetryFailedTrialCallback`` and ``fail_stale_trials``."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import pytest

import ferrotune
from ferrotune.storages import RDBStorage, RetryFailedTrialCallback, fail_stale_trials
from ferrotune.trial import TrialState

INTERVAL = 0.05
GRACE = 0.4


def storage(url, max_retry=None, retry=True):
    callback = RetryFailedTrialCallback(max_retry=max_retry) if retry else None
    return RDBStorage(url, heartbeat_interval=INTERVAL, grace_period=GRACE, failed_trial_callback=callback)


def die_mid_trial(url, study_name="hb", max_retry=None, retry=True, heartbeats=True):
    """A worker process (with the same settings as ``storage``) that asks a
    trial, suggests its parameters, works a little and is killed with
    SIGKILL (no handler, no tell). The work matters: a suggestion reaches a
    database with the trial's next write or within 10 ms (the study's
    writer thread), so a process killed within 10 ms of suggesting leaves
    a trial without those values, and its retry samples them afresh."""
    if not heartbeats:
        make_storage = repr(url)
    elif retry:
        make_storage = (
            f"RDBStorage({url!r}, heartbeat_interval={INTERVAL}, grace_period={GRACE}, "
            f"failed_trial_callback=RetryFailedTrialCallback(max_retry={max_retry!r}))"
        )
    else:
        make_storage = f"RDBStorage({url!r}, heartbeat_interval={INTERVAL}, grace_period={GRACE})"
    script = textwrap.dedent(
        f"""
        import os, signal
        import ferrotune
        from ferrotune.storages import RDBStorage, RetryFailedTrialCallback
        storage = {make_storage}
        study = ferrotune.load_study(study_name={study_name!r}, storage=storage)
        trial = study.ask()
        trial.suggest_float("x", -10, 10)
        trial.suggest_int("n", 1, 100)
        import time
        time.sleep(0.2)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == -9, result.stderr


@pytest.fixture
def url(tmp_path):
    return f"sqlite:///{tmp_path / 'hb.db'}"


def test_rdb_storage_takes_optunas_heartbeat_arguments(url):
    callback = RetryFailedTrialCallback(max_retry=2)
    s = RDBStorage(url, heartbeat_interval=60, grace_period=120, failed_trial_callback=callback)
    assert s.heartbeat_interval == 60
    assert s.grace_period == 120
    assert s.failed_trial_callback is callback
    assert s.get_heartbeat_stale_trial_callback() is callback
    plain = RDBStorage(url)
    assert plain.heartbeat_interval is None and plain.failed_trial_callback is None
    # Optuna's newer name of the argument works too.
    s = RDBStorage(url, heartbeat_interval=1, heartbeat_stale_trial_callback=callback)
    assert s.failed_trial_callback is callback


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        (dict(heartbeat_interval=0), ValueError, "heartbeat_interval must be a positive number"),
        (dict(heartbeat_interval=-1), ValueError, "heartbeat_interval must be a positive number"),
        (dict(heartbeat_interval=float("nan")), ValueError, "heartbeat_interval"),
        (dict(heartbeat_interval=1, grace_period=0), ValueError, "grace_period must be a positive number"),
        (dict(heartbeat_interval=10, grace_period=5), ValueError, "must be longer than heartbeat_interval"),
        (dict(grace_period=10), ValueError, "grace_period needs heartbeat_interval"),
        (dict(failed_trial_callback=RetryFailedTrialCallback()), ValueError, "needs heartbeat_interval"),
        (dict(heartbeat_interval=1, failed_trial_callback=print), TypeError, "RetryFailedTrialCallback"),
        (
            dict(
                heartbeat_interval=1,
                failed_trial_callback=RetryFailedTrialCallback(),
                heartbeat_stale_trial_callback=RetryFailedTrialCallback(),
            ),
            ValueError,
            "Specify only one",
        ),
    ],
)
def test_bad_heartbeat_arguments_are_refused(url, kwargs, error, words):
    with pytest.raises(error, match=words):
        RDBStorage(url, **kwargs)


def test_max_retry_must_be_a_count():
    for bad in (-1, 1.5, "3", True):
        with pytest.raises(ValueError, match="max_retry"):
            RetryFailedTrialCallback(max_retry=bad)


def test_a_killed_workers_trial_is_failed_and_retried_with_its_parameters(url):
    study = ferrotune.create_study(study_name="hb", storage=storage(url, max_retry=2))
    die_mid_trial(url, max_retry=2)
    original = study.trials[0]
    assert original.state == TrialState.RUNNING
    fail_stale_trials(study)
    assert study.trials[0].state == TrialState.RUNNING, "within the grace period"
    time.sleep(GRACE + 3 * INTERVAL)
    assert fail_stale_trials(study) is None
    failed, retry = study.trials
    assert failed.state == TrialState.FAIL
    reason = failed.system_attrs["fail_reason"]
    assert reason.startswith("heartbeat: no heartbeat for ") and reason.endswith("(grace period 0.4 s)"), reason
    assert retry.state == TrialState.WAITING
    assert RetryFailedTrialCallback.retried_trial_number(retry) == 0
    assert RetryFailedTrialCallback.retry_history(retry) == [0]
    assert RetryFailedTrialCallback.retried_trial_number(failed) is None
    assert RetryFailedTrialCallback.retry_history(failed) == []

    study.optimize(lambda t: t.suggest_float("x", -10, 10) + t.suggest_int("n", 1, 100), n_trials=1)
    done = study.trials[1]
    assert done.state == TrialState.COMPLETE
    assert done.params == original.params
    assert len(study.trials) == 2


def test_retries_stop_at_max_retry_and_the_history_grows(url):
    study = ferrotune.create_study(study_name="hb", storage=storage(url, max_retry=1))
    die_mid_trial(url, max_retry=1)
    time.sleep(GRACE + 3 * INTERVAL)
    die_mid_trial(url, max_retry=1)  # its ask fails trial 0 and claims the retry, trial 1
    time.sleep(GRACE + 3 * INTERVAL)
    fail_stale_trials(study)
    trials = study.trials
    assert [t.state for t in trials] == [TrialState.FAIL, TrialState.FAIL]
    assert RetryFailedTrialCallback.retry_history(trials[1]) == [0]
    assert trials[1].params == trials[0].params

    unlimited = ferrotune.create_study(study_name="again", storage=storage(url, max_retry=None))
    die_mid_trial(url, "again")
    for _ in range(2):
        time.sleep(GRACE + 3 * INTERVAL)
        die_mid_trial(url, "again")
    time.sleep(GRACE + 3 * INTERVAL)
    fail_stale_trials(unlimited)
    last = unlimited.trials[-1]
    assert last.state == TrialState.WAITING
    assert RetryFailedTrialCallback.retry_history(last) == [0, 1, 2]
    assert RetryFailedTrialCallback.retried_trial_number(last) == 0


@pytest.mark.parametrize("inherit", [False, True])
def test_retries_inherit_intermediate_values_when_asked(url, inherit):
    callback = RetryFailedTrialCallback(max_retry=1, inherit_intermediate_values=inherit)
    study = ferrotune.create_study(
        study_name="hb",
        storage=RDBStorage(url, heartbeat_interval=INTERVAL, grace_period=GRACE, failed_trial_callback=callback),
    )
    # A worker that reported two steps and stopped beating: its trial object
    # is gone (the engine's heartbeat thread with it), the trial still runs.
    dying = ferrotune.load_study(study_name="hb", storage=RDBStorage(url, heartbeat_interval=INTERVAL))
    trial = dying.ask()
    trial.suggest_float("x", 0, 1)
    trial.report(0.5, 0)
    trial.report(0.25, 1)
    del trial
    time.sleep(GRACE + 3 * INTERVAL)
    fail_stale_trials(study)
    retry = study.trials[1]
    assert retry.state == TrialState.WAITING
    assert retry.intermediate_values == ({0: 0.5, 1: 0.25} if inherit else {})


def test_without_a_callback_stale_trials_are_failed_not_retried(url):
    study = ferrotune.create_study(study_name="hb", storage=storage(url, retry=False))
    die_mid_trial(url, retry=False)
    time.sleep(GRACE + 3 * INTERVAL)
    fail_stale_trials(study)
    assert [t.state for t in study.trials] == [TrialState.FAIL]


def test_an_asked_trial_keeps_beating_until_it_is_told(url):
    study = ferrotune.create_study(study_name="hb", storage=storage(url))
    watcher = ferrotune.load_study(study_name="hb", storage=storage(url))
    trial = study.ask()
    x = trial.suggest_float("x", 0, 1)
    for _ in range(4):
        time.sleep(GRACE / 2)
        fail_stale_trials(watcher)
    assert watcher.trials[0].state == TrialState.RUNNING
    study.tell(trial, x)
    assert study.trials[0].state == TrialState.COMPLETE


def test_fail_stale_trials_does_nothing_without_heartbeats(url):
    plain = ferrotune.create_study(study_name="hb", storage=url)
    die_mid_trial(url, heartbeats=False)
    time.sleep(GRACE + 3 * INTERVAL)
    assert fail_stale_trials(plain) is None
    assert plain.trials[0].state == TrialState.RUNNING
    # Trials started without heartbeats are never failed, even by a study with them.
    watching = ferrotune.load_study(study_name="hb", storage=storage(url))
    fail_stale_trials(watching)
    assert watching.trials[0].state == TrialState.RUNNING
