"""``ferrotune.dashboard``: the engine's dashboard server started from Python,
on an in-memory storage shared with a running study and on a SQLite URL."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

import ferrotune


def get(url: str):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def test_the_dashboard_reads_an_in_memory_study_as_it_runs():
    storage = ferrotune.storages.InMemoryStorage()
    study = ferrotune.create_study(study_name="live", storage=storage, sampler=ferrotune.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=5)
    server = ferrotune.dashboard.start(storage, port=0)
    try:
        assert server.url.startswith("http://127.0.0.1:")
        code, body = get(server.url + "api/studies")
        assert code == 200
        (summary,) = body["studies"]
        assert summary["name"] == "live" and summary["n_trials"] == 5
        assert summary["best"]["number"] == study.best_trial.number
        study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=3)
        # New trials appear (the refresh is throttled to a fraction of a second).
        import time

        deadline = time.time() + 5
        while get(server.url + f"api/studies/{summary['id']}/version")[1]["n_trials"] != 8:
            assert time.time() < deadline
            time.sleep(0.1)
        code, history = get(server.url + f"api/studies/{summary['id']}/plot/optimization-history")
        assert code == 200 and len(history["points"]) == 8
        assert history["best_trial"]["number"] == study.best_trial.number
    finally:
        server.stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(server.url + "api/studies", timeout=2)


def test_a_sqlite_url_and_a_token(tmp_path):
    url = f"sqlite:///{tmp_path / 'd.db'}"
    study = ferrotune.create_study(study_name="s", storage=url)
    study.optimize(lambda t: t.suggest_int("n", 0, 9), n_trials=4)
    server = ferrotune.dashboard.start(url, port=0, token="abc")
    try:
        base = server.url.split("?")[0]
        assert server.url.endswith("?token=abc")
        assert get(base + "api/studies")[0] == 401
        code, body = get(base + "api/studies?token=abc")
        assert code == 200 and body["studies"][0]["n_trials"] == 4
    finally:
        server.stop()


def test_bad_arguments_are_clear_errors(tmp_path):
    with pytest.raises(TypeError, match="storage must be"):
        ferrotune.dashboard.start(42, port=0)
    with pytest.raises(ValueError, match="port"):
        ferrotune.dashboard.start("memory", port=70000)
    with pytest.raises(ValueError, match="no SQLite file"):
        ferrotune.dashboard.start(f"sqlite:///{tmp_path / 'missing.db'}", port=0)
    server = ferrotune.dashboard.start("memory", port=0)
    try:
        port = int(server.url.rsplit(":", 1)[1].strip("/"))
        with pytest.raises(ValueError, match="cannot listen"):
            ferrotune.dashboard.start("memory", port=port)
    finally:
        server.stop()
