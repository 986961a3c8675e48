"""The dashboard in a real headless browser (Debian's chromium through
chromedriver): each view's content checked against the storage as the CLI
reads it, table -> trial page, live updates while `ferrotune run` writes the
same SQLite file, and bad requests.

Run by `run.sh` beside this file (which builds the binaries and installs
what is needed): FERROTUNE_BIN and MAKE_STUDY_BIN name the binaries,
SCREENSHOTS a folder for the pictures.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

FERROTUNE = os.environ.get("FERROTUNE_BIN", "target/release/ferrotune")
MAKE_STUDY = os.environ.get("MAKE_STUDY_BIN", "target/release/examples/make_study")
SHOTS = Path(os.environ.get("SCREENSHOTS", tempfile.mkdtemp(prefix="dashboard-shots-")))


def cli_json(*args: str):
    out = subprocess.run([FERROTUNE, *args], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def start_dashboard(storage: str, *extra: str):
    proc = subprocess.Popen(
        [FERROTUNE, "dashboard", "--storage", storage, "--port", "0", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    match = re.search(r"(http://\S+)", line)
    assert match, f"no URL in {line!r}; stderr: {proc.stderr.read() if proc.poll() is not None else ''}"
    return proc, match.group(1)


@pytest.fixture(scope="module")
def storage(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dashboard")
    url = f"sqlite:///{folder / 'studies.db'}"
    subprocess.run([MAKE_STUDY, url, "single", "300"], check=True)
    subprocess.run([MAKE_STUDY, url, "multi", "200", "4", "2"], check=True)
    return url


@pytest.fixture(scope="module")
def server(storage):
    proc, url = start_dashboard(storage)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(arg)
    binary = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if Path(binary).exists():
        options.binary_location = binary
    service = webdriver.ChromeService(executable_path=os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    driver = webdriver.Chrome(options=options, service=service)
    yield driver
    driver.quit()


def study_ids(server: str) -> dict[str, int]:
    with urllib.request.urlopen(server + "api/studies") as r:
        return {s["name"]: s["id"] for s in json.load(r)["studies"]}


def open_view(browser, server: str, study: int, view: str):
    """Go to a view and wait for its charts, drawn after the previous render."""
    before = browser.execute_script("return window.__renders || 0")
    browser.get(f"{server}#/study/{study}/{view}")

    def drawn(d):
        if d.execute_script("return window.__renders || 0") <= before:
            return False
        charts = d.find_elements(By.CSS_SELECTOR, f'#plot .chart[data-kind="{view}"]')
        return charts if charts and all(c.get_attribute("data-kind") for c in charts) else False

    return WebDriverWait(browser, 20, ignored_exceptions=(StaleElementReferenceException,)).until(drawn)


def text_by_id(browser, element_id: str) -> str:
    """An element's text, found afresh if the page redrew it between the
    lookup and the read (a live page redraws its counters on every poll)."""
    for _ in range(50):
        try:
            return browser.find_element(By.ID, element_id).text
        except StaleElementReferenceException:
            time.sleep(0.02)
    return browser.find_element(By.ID, element_id).text


def data(element, key: str) -> str:
    return element.get_attribute("data-" + key)


def test_every_view_shows_what_the_storage_holds(browser, server, storage):
    ids = study_ids(server)
    trials = cli_json("trials", "--storage", storage, "--study", "single", "--format", "json")
    complete = [t for t in trials if t["state"] == "complete"]
    best = cli_json("best", "--storage", storage, "--study", "single", "--json")

    browser.get(server)
    rows = WebDriverWait(browser, 20, ignored_exceptions=(StaleElementReferenceException,)).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#studies tbody tr"))
    assert sorted(r.find_element(By.CSS_SELECTOR, "td").text for r in rows) == ["multi", "single"]
    browser.save_screenshot(str(SHOTS / "studies.png"))

    (history,) = open_view(browser, server, ids["single"], "history")
    assert int(data(history, "points")) == len(complete) == int(data(history, "n-total"))
    assert int(data(history, "best")) == best["number"]
    assert float(data(history, "best-value")) == pytest.approx(best["values"][0])
    counts = {e.get_attribute("data-count"): int(e.text.replace(",", "")) for e in browser.find_elements(By.CSS_SELECTOR, "[data-count]")}
    assert counts == {s: sum(t["state"] == s for t in trials) for s in ("complete", "pruned", "failed")}
    browser.save_screenshot(str(SHOTS / "history.png"))

    (parallel,) = open_view(browser, server, ids["single"], "parallel")
    assert int(data(parallel, "lines")) == len(complete)
    assert int(data(parallel, "axes")) == 4
    assert int(data(parallel, "best")) == best["number"]
    browser.save_screenshot(str(SHOTS / "parallel.png"))

    panels = open_view(browser, server, ids["single"], "slice")
    assert sorted(data(p, "param") for p in panels) == ["layers", "lr", "optimizer", "x"]
    assert all(int(data(p, "points")) == len(complete) for p in panels)

    (contour,) = open_view(browser, server, ids["single"], "contour")
    assert int(data(contour, "points")) == len(complete) and int(data(contour, "cells")) > 0

    (importance,) = open_view(browser, server, ids["single"], "importance")
    # x decides the value (x^2 over [-3, 3]); it must come first.
    assert data(importance, "first") == "x" and int(data(importance, "bars")) == 4

    (curves,) = open_view(browser, server, ids["single"], "intermediate")
    assert int(data(curves, "n-total")) == len(trials)
    assert int(data(curves, "pruned")) > 0 and int(data(curves, "best")) == best["number"]

    (timeline,) = open_view(browser, server, ids["single"], "timeline")
    assert int(data(timeline, "bars")) == len(trials)
    assert browser.find_element(By.ID, "cost").text.startswith("Compute time")
    browser.save_screenshot(str(SHOTS / "timeline.png"))

    (edf,) = open_view(browser, server, ids["single"], "edf")
    assert int(data(edf, "n-total")) == len(complete)

    front = cli_json("best", "--storage", storage, "--study", "multi", "--json")
    (pareto,) = open_view(browser, server, ids["multi"], "pareto")
    assert int(data(pareto, "front")) == len(front)
    multi = cli_json("trials", "--storage", storage, "--study", "multi", "--format", "json")
    assert int(data(pareto, "points")) == sum(t["state"] == "complete" for t in multi)
    browser.save_screenshot(str(SHOTS / "pareto.png"))


def test_a_selection_filters_the_other_views(browser, server, storage):
    ids = study_ids(server)
    trials = cli_json("trials", "--storage", storage, "--study", "single", "--format", "json")
    (history,) = open_view(browser, server, ids["single"], "history")
    canvas = history.find_element(By.TAG_NAME, "canvas")
    # Drag across the left half of the plot: trials of the first half.
    webdriver.ActionChains(browser).move_to_element_with_offset(canvas, -300, 0).click_and_hold().move_by_offset(
        250, 0
    ).release().perform()
    WebDriverWait(browser, 10, ignored_exceptions=(StaleElementReferenceException,)).until(lambda d: d.find_elements(By.ID, "clear-filter"))
    chip = browser.find_element(By.CSS_SELECTOR, "#filters .chip").text
    lo, hi = (int(v) for v in re.findall(r"\d+", chip)[:2])
    expected = [t for t in trials if t["state"] == "complete" and lo <= t["number"] <= hi]
    (history,) = WebDriverWait(browser, 20, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, '#plot .chart[data-kind="history"]')
    )
    assert int(data(history, "n-total")) == len(expected)
    (parallel,) = open_view(browser, server, ids["single"], "parallel")
    assert int(data(parallel, "lines")) == len(expected)
    browser.find_element(By.ID, "clear-filter").click()
    WebDriverWait(browser, 10, ignored_exceptions=(StaleElementReferenceException,)).until(lambda d: not d.find_elements(By.ID, "clear-filter"))


def test_table_to_trial_page(browser, server, storage):
    ids = study_ids(server)
    trials = {t["number"]: t for t in cli_json("trials", "--storage", storage, "--study", "single", "--format", "json")}
    browser.get(f"{server}#/study/{ids['single']}/trials")
    table = WebDriverWait(browser, 20, ignored_exceptions=(StaleElementReferenceException,)).until(lambda d: d.find_elements(By.ID, "trials"))[0]
    assert int(table.get_attribute("data-total")) == len(trials)
    # Jump to a trial far down the table.
    box = browser.find_element(By.ID, "jump")
    box.send_keys("250\n")
    WebDriverWait(browser, 10, ignored_exceptions=(StaleElementReferenceException,)).until(lambda d: d.find_element(By.CSS_SELECTOR, "#trials tbody tr").get_attribute("data-number") == "250")
    # A failed trial's page shows why.
    failed = next(n for n, t in sorted(trials.items()) if t["state"] == "failed")
    box = browser.find_element(By.ID, "jump")
    box.clear()
    box.send_keys(f"{failed}\n")
    WebDriverWait(browser, 10, ignored_exceptions=(StaleElementReferenceException,)).until(lambda d: d.find_element(By.CSS_SELECTOR, "#trials tbody tr").get_attribute("data-number") == str(failed))
    browser.find_element(By.CSS_SELECTOR, "#trials tbody tr").click()
    state = WebDriverWait(browser, 10, ignored_exceptions=(StaleElementReferenceException,)).until(lambda d: d.find_elements(By.ID, "trial-state"))[0]
    assert state.text == "failed"
    assert "out of memory" in browser.find_element(By.ID, "fail-reason").text
    shown = {r.get_attribute("data-param") for r in browser.find_elements(By.CSS_SELECTOR, "#trial-params tr")}
    assert shown == set(trials[failed]["params"])
    browser.save_screenshot(str(SHOTS / "trial.png"))


def test_live_updates_while_a_run_writes_the_same_file(browser, tmp_path):
    (tmp_path / "live.sh").write_text('sleep 0.15\necho "loss=$1"\n')
    config = tmp_path / "tune.toml"
    config.write_text(
        '[study]\nname = "live"\nstorage = "sqlite:///live.db"\nn_trials = 40\n'
        '[command]\nrun = "sh live.sh {x}"\n[metric]\nname = "loss"\n'
        '[params]\nx = { type = "float", low = 0.0, high = 1.0 }\n'
    )
    subprocess.run([FERROTUNE, "run", str(config), "--n-trials", "2", "--quiet"], check=True, cwd=tmp_path)
    proc, url = start_dashboard(f"sqlite:///{tmp_path / 'live.db'}")
    try:
        browser.get(url + "#/study/1/history")
        WebDriverWait(browser, 20, ignored_exceptions=(StaleElementReferenceException,)).until(lambda d: d.find_elements(By.ID, "n-trials"))
        run = subprocess.Popen([FERROTUNE, "run", str(config)], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        seen = []
        deadline = time.time() + 60
        while run.poll() is None and time.time() < deadline:
            text = text_by_id(browser, "n-trials").replace(",", "")
            with urllib.request.urlopen(url + "api/studies/1/version") as r:
                stored = json.load(r)["n_trials"]
            seen.append((int(text) if text.isdigit() else -1, stored, time.time()))
            time.sleep(0.25)
        out, err = run.communicate(timeout=60)
        assert run.returncode == 0, err
        assert "locked" not in err.lower() and "locked" not in out.lower()
        # The page followed the run: it showed several counts on the way,
        # each at most a second or so behind the storage.
        shown = sorted({s for s, _, _ in seen})
        assert len(shown) >= 3, seen
        for count, _, at in seen:
            caught_up = [t for s, stored, t in seen if t >= at and s >= count]
            assert caught_up
        lag = []
        for i, (_, stored, at) in enumerate(seen):
            later = [t for s, _, t in seen[i:] if s >= stored]
            if later:
                lag.append(later[0] - at)
        assert max(lag) < 2.0, lag
        time.sleep(1.5)
        assert text_by_id(browser, "n-trials") == "40"
        # A trial's page shows the last lines of the log the CLI kept of it.
        browser.get(url + "#/study/1/trial/7")
        log = WebDriverWait(browser, 20, ignored_exceptions=(StaleElementReferenceException,)).until(lambda d: d.find_elements(By.ID, "log"))[0]
        assert "loss=" in log.text
        # The timeline by worker: the two `ferrotune run` processes are two lanes.
        browser.get(url + "#/study/1/timeline")
        rows = WebDriverWait(browser, 20, ignored_exceptions=(StaleElementReferenceException,)).until(lambda d: d.find_elements(By.ID, "timeline-rows"))[0]
        timeline = browser.find_element(By.CSS_SELECTOR, '#plot .chart[data-kind="timeline"]')
        assert timeline.get_attribute("data-workers") == "2"
        Select(rows).select_by_value("workers")
        WebDriverWait(browser, 20, ignored_exceptions=(StaleElementReferenceException,)).until(
            lambda d: d.find_element(By.CSS_SELECTOR, '#plot .chart[data-kind="timeline"]').get_attribute("data-lanes") == "2"
        )
        assert "locked" not in proc.stderr.read1().decode(errors="replace") if hasattr(proc.stderr, "read1") else True
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def get(url: str):
    try:
        with urllib.request.urlopen(url) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def test_bad_requests_get_a_4xx_with_a_message(server):
    for path, status, words in [
        ("api/studies/999", 404, "no study"),
        ("api/studies/abc", 400, "not a number"),
        ("api/studies/1/plot/histogram", 404, "unknown plot kind"),
        ("api/studies/1/plot/slice?params=nope", 400, "nope"),
        ("api/studies/1/plot/slice?max_points=99999999", 400, "max_points"),
        ("api/studies/1/plot/optimization-history?numbers=5:1", 400, "low end"),
        ("api/studies/1/plot/optimization-history?numbers=a:b", 400, "not a number"),
        ("api/studies/1/trials?limit=1000000", 400, "limit"),
        ("api/studies/1/trials?order=sideways", 400, "order"),
        ("api/studies/1/trials?states=finished", 400, "states"),
        ("api/studies/1/trials?at=123456", 404, "not among"),
        ("api/studies/1/trials/99999", 404, "no trial"),
        ("api/studies/2/plot/optimization-history?objective=7", 400, "objective"),
        ("api/nothing", 404, "no such page"),
    ]:
        code, body = get(server + path)
        assert code == status, (path, code, body)
        assert words in body["error"], (path, body)
    # The server is still there.
    assert get(server + "api/studies")[0] == 200


def test_a_token_is_checked_on_every_request(storage):
    proc, url = start_dashboard(storage, "--token", "s3cret")
    try:
        base = url.split("?")[0]
        assert get(base + "api/studies")[0] == 401
        assert get(base + "api/studies?token=wrong")[0] == 401
        assert get(base + "api/studies?token=s3cret")[0] == 200
        request = urllib.request.Request(base + "api/studies", headers={"Authorization": "Bearer s3cret"})
        with urllib.request.urlopen(request) as r:
            assert r.status == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
