#!/usr/bin/env python3
"""The dashboard benchmark (issue 21): ferrotune's dashboard next to
optuna-dashboard on the same trials, in the same headless chromium.

    dashboard_bench.py run --ferrotune BIN --make-study BIN --cache DIR --out FILE.json [--quick]
    dashboard_bench.py report FILE.json            # markdown on stdout

`run`, for each study size (10 parameters, ten intermediate values a trial,
some pruned and failed, written by the dashboard crate's `make_study`):

1. makes the ferrotune study in DIR (kept between runs: a size already
   there is not written again) and copies its trials into an Optuna SQLite
   storage (read from ferrotune's SQLite file; written with
   `optuna.trial.create_trial` + `study.add_trials` in batches, same
   distributions, states, values, intermediate values, times);
2. for each dashboard: starts its server, then in chromium (selenium, cache
   disabled, a fresh page load each time) opens the study page and the
   parallel-coordinates view, once right after the server started ("cold")
   and then --loads times ("warm"; a fresh chromium for each load), and reads the time of the first frame
   at which each view was complete (an observer injected before the page's
   own scripts runs every animation frame; times are `performance.now()`,
   from the start of the navigation);
3. fetches each API call the pages made with urllib (bytes, latency; first
   call and median of repeats) and reads the server's VmRSS and VmHWM.

Every wait is bounded by --cap seconds; a dashboard that misses it is
recorded with the error, and the run goes on.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

N_PARAMS = 10


def log(*args) -> None:
    print(f"[{time.strftime('%H:%M:%S')}]", *args, file=sys.stderr, flush=True)


def loadavg() -> list[float]:
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return []


def study_name(n: int) -> str:
    return f"bench-{n}"


# ---------------------------------------------------------------- studies


def make_ferrotune_study(make_study: str, cache: Path, n: int, cap: float) -> tuple[Path, dict]:
    """The ferrotune study of `n` trials, written once and kept in `cache`."""
    db = cache / f"ferrotune-{n}.db"
    done = cache / f"ferrotune-{n}.done"
    if db.exists() and done.exists():
        return db, json.loads(done.read_text()) | {"cached": True}
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    log(f"writing the ferrotune study of {n} trials")
    t0 = time.monotonic()
    subprocess.run([make_study, f"sqlite:///{db}", study_name(n), str(n), str(N_PARAMS)], check=True, timeout=cap * 20)
    info = {"seconds": round(time.monotonic() - t0, 1)}
    done.write_text(json.dumps(info))
    return db, info | {"cached": False}


def read_ferrotune_trials(db: Path, name: str) -> tuple[list[str], list[dict]]:
    """Directions and trials of a study, straight from ferrotune's SQLite file."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    study_id, directions = con.execute("SELECT study_id, directions FROM studies WHERE name = ?", (name,)).fetchone()
    directions = json.loads(directions)
    trials: dict[int, dict] = {}
    for trial_id, number, state, started, finished in con.execute(
        "SELECT trial_id, number, state, started_at, finished_at FROM trials WHERE study_id = ? ORDER BY number",
        (study_id,),
    ):
        trials[trial_id] = {"number": number, "state": state, "started_us": started, "finished_us": finished,
                            "params": {}, "values": {}, "intermediate": {}, "attrs": {}}
    ids = "SELECT trial_id FROM trials WHERE study_id = ?"
    for trial_id, pname, dist, value in con.execute(
        f"SELECT trial_id, name, distribution, value FROM trial_params WHERE trial_id IN ({ids})", (study_id,)
    ):
        trials[trial_id]["params"][pname] = (json.loads(dist), value)
    for trial_id, objective, value in con.execute(
        f"SELECT trial_id, objective, value FROM trial_values WHERE trial_id IN ({ids})", (study_id,)
    ):
        trials[trial_id]["values"][objective] = value
    for trial_id, step, value in con.execute(
        f"SELECT trial_id, step, value FROM trial_intermediate_values WHERE trial_id IN ({ids})", (study_id,)
    ):
        trials[trial_id]["intermediate"][step] = value
    for trial_id, scope, key, value in con.execute(
        f"SELECT trial_id, scope, key, value FROM trial_attrs WHERE trial_id IN ({ids})", (study_id,)
    ):
        trials[trial_id]["attrs"][(scope, key)] = json.loads(value)
    con.close()
    return directions, sorted(trials.values(), key=lambda t: t["number"])


def optuna_distribution(d: dict):
    """An Optuna distribution from ferrotune's stored one."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    kind = d.get("type") or d.get("kind")
    if kind == "float":
        return FloatDistribution(d["low"], d["high"], log=bool(d.get("log")), step=d.get("step"))
    if kind == "int":
        return IntDistribution(int(d["low"]), int(d["high"]), log=bool(d.get("log")), step=int(d.get("step") or 1))
    if kind == "categorical":
        return CategoricalDistribution(d["choices"])
    raise ValueError(f"unknown distribution {d}")


def optuna_trials(ferrotune_db: Path, name: str) -> tuple[list[str], list]:
    """The study's trials as Optuna `FrozenTrial`s (`optuna.trial.create_trial`)."""
    from optuna.trial import TrialState, create_trial

    directions, trials = read_ferrotune_trials(ferrotune_db, name)
    states = {"complete": TrialState.COMPLETE, "pruned": TrialState.PRUNED, "failed": TrialState.FAIL}
    dists: dict[str, object] = {}
    out = []
    for t in trials:
        params, distributions = {}, {}
        for pname, (dist, internal) in t["params"].items():
            key = json.dumps(dist, sort_keys=True)
            od = dists.get(key) or dists.setdefault(key, optuna_distribution(dist))
            params[pname] = od.to_external_repr(internal)
            distributions[pname] = od
        state = states[t["state"]]
        values = [t["values"][i] for i in sorted(t["values"])] if state == TrialState.COMPLETE else None
        frozen = create_trial(
            state=state, values=values, params=params, distributions=distributions,
            intermediate_values={int(s): v for s, v in t["intermediate"].items() if v is not None},
            user_attrs={k: v for (scope, k), v in t["attrs"].items() if scope == "user"},
            system_attrs={k: v for (scope, k), v in t["attrs"].items() if scope == "system"},
        )
        # Optuna's RDB storage keeps naive UTC times.
        utc = lambda us: datetime.fromtimestamp(us / 1e6, timezone.utc).replace(tzinfo=None) if us else None  # noqa: E731
        frozen.datetime_start, frozen.datetime_complete = utc(t["started_us"]), utc(t["finished_us"])
        frozen.number = t["number"]
        out.append(frozen)
    return directions, out


def write_optuna_rows(db: Path, study_id: int, trials: list) -> None:
    """Optuna's `add_trials` writes one trial per transaction and checks each
    parameter's distribution against the study's earlier trials, which takes
    about 0.1 s a trial here (hours at 100,000). The same rows, written in one
    transaction with Optuna's own stored representations, take seconds; the
    copy is then read back through Optuna and compared trial by trial."""
    from optuna.distributions import distribution_to_json
    from optuna.storages._rdb.models import TrialIntermediateValueModel, TrialValueModel

    con = sqlite3.connect(db)
    con.execute("PRAGMA synchronous=OFF")
    first_id = (con.execute("SELECT COALESCE(MAX(trial_id), 0) FROM trials").fetchone()[0]) + 1
    rows = {k: [] for k in ("trials", "params", "values", "inter", "sys", "user")}
    dist_json: dict[int, str] = {}
    fmt = lambda d: d.strftime("%Y-%m-%d %H:%M:%S.%f") if d else None  # noqa: E731
    for i, t in enumerate(trials):
        tid = first_id + i
        rows["trials"].append((tid, t.number, study_id, t.state.name,
                               fmt(t.datetime_start), fmt(t.datetime_complete)))
        for pname, value in t.params.items():
            d = t.distributions[pname]
            js = dist_json.get(id(d)) or dist_json.setdefault(id(d), distribution_to_json(d))
            rows["params"].append((tid, pname, d.to_internal_repr(value), js))
        for k, v in enumerate(t.values or []):
            stored, kind = TrialValueModel.value_to_stored_repr(v)
            rows["values"].append((tid, k, stored, kind.name))
        for step, v in t.intermediate_values.items():
            stored, kind = TrialIntermediateValueModel.intermediate_value_to_stored_repr(v)
            rows["inter"].append((tid, step, stored, kind.name))
        rows["sys"] += [(tid, k, json.dumps(v)) for k, v in t.system_attrs.items()]
        rows["user"] += [(tid, k, json.dumps(v)) for k, v in t.user_attrs.items()]
    with con:
        con.executemany("INSERT INTO trials (trial_id, number, study_id, state, datetime_start, datetime_complete)"
                        " VALUES (?, ?, ?, ?, ?, ?)", rows["trials"])
        con.executemany("INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json)"
                        " VALUES (?, ?, ?, ?)", rows["params"])
        con.executemany("INSERT INTO trial_values (trial_id, objective, value, value_type) VALUES (?, ?, ?, ?)",
                        rows["values"])
        con.executemany("INSERT INTO trial_intermediate_values (trial_id, step, intermediate_value,"
                        " intermediate_value_type) VALUES (?, ?, ?, ?)", rows["inter"])
        con.executemany("INSERT INTO trial_system_attributes (trial_id, key, value_json) VALUES (?, ?, ?)",
                        rows["sys"])
        con.executemany("INSERT INTO trial_user_attributes (trial_id, key, value_json) VALUES (?, ?, ?)",
                        rows["user"])
    con.close()


def make_optuna_study(ferrotune_db: Path, cache: Path, n: int, check_add_trials: int = 0) -> tuple[Path, dict]:
    """The same trials in an Optuna SQLite storage, written once and kept.
    `check_add_trials`: also write that many first trials with
    `study.add_trials` into a scratch storage and compare."""
    db = cache / f"optuna-{n}.db"
    done = cache / f"optuna-{n}.done"
    if db.exists() and done.exists():
        return db, json.loads(done.read_text()) | {"cached": True}
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    db.unlink(missing_ok=True)
    log(f"copying {n} trials into an Optuna storage")
    t0 = time.monotonic()
    directions, trials = optuna_trials(ferrotune_db, study_name(n))
    study = optuna.create_study(study_name=study_name(n), storage=f"sqlite:///{db}",
                                directions=[d.lower() for d in directions])
    write_optuna_rows(db, study._study_id, trials)
    # Read back through Optuna: every trial as it was given.
    loaded = optuna.load_study(study_name=study_name(n), storage=f"sqlite:///{db}").get_trials(deepcopy=False)
    fields = ("number", "state", "values", "params", "distributions", "intermediate_values", "user_attrs",
              "system_attrs", "datetime_start", "datetime_complete")
    assert len(loaded) == len(trials), (len(loaded), len(trials))
    for a, b in zip(loaded, trials):
        for f in fields:
            assert getattr(a, f) == getattr(b, f), (a.number, f, getattr(a, f), getattr(b, f))
    info = {"seconds": round(time.monotonic() - t0, 1), "optuna": optuna.__version__,
            "checked": f"{len(trials)} trials read back through Optuna"}
    if check_add_trials:
        scratch = cache / f"optuna-{n}-add-trials.db"
        scratch.unlink(missing_ok=True)
        ref = optuna.create_study(study_name="ref", storage=f"sqlite:///{scratch}",
                                  directions=[d.lower() for d in directions])
        ref.add_trials(trials[:check_add_trials])
        for a, b in zip(ref.get_trials(deepcopy=False), loaded):
            for f in fields:
                assert getattr(a, f) == getattr(b, f), ("add_trials", a.number, f, getattr(a, f), getattr(b, f))
        scratch.unlink()
        info["checked"] += f"; the first {check_add_trials} equal to study.add_trials' copy"
    done.write_text(json.dumps(info))
    return db, info | {"cached": False}


def expected_counts(db: Path, n: int) -> dict:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows = con.execute(
        "SELECT t.state, COUNT(*) FROM trials t JOIN studies s ON s.study_id = t.study_id WHERE s.name = ? GROUP BY t.state",
        (study_name(n),),
    ).fetchall()
    con.close()
    return dict(rows)


# ---------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url: str, timeout: float) -> tuple[int, bytes, float]:
    t0 = time.perf_counter()
    req = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            body = r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        body, status = e.read(), e.code
    return status, body, time.perf_counter() - t0


class Server:
    """A dashboard process: started, waited for (bounded), stopped."""

    def __init__(self, name: str, argv: list[str], url: str | None, log_path: Path):
        self.name = name
        self.log = open(log_path, "w")
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE if url is None else self.log,
                                     stderr=self.log, text=True)
        self.url = url
        self.killed: str | None = None
        self.peak_rss = 0
        threading.Thread(target=self._guard, daemon=True).start()

    def _guard(self) -> None:
        """Stop the server if the machine runs short of memory (optuna-dashboard
        grows past 15 GB at 100,000 trials): the machine is shared."""
        floor = float(os.environ.get("FERROTUNE_DASH_MIN_FREE_GB", 4)) * 2**30
        while self.proc.poll() is None:
            try:
                avail = next(int(line.split()[1]) * 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                             if line.startswith("MemAvailable:"))
            except (OSError, StopIteration):
                return
            self.peak_rss = max(self.peak_rss, self.memory().get("VmHWM", 0))
            if avail < floor:
                self.killed = (f"stopped by the benchmark when the machine's available memory fell to "
                               f"{avail / 2**30:.1f} GB (server peak RSS {self.peak_rss / 2**30:.1f} GB)")
                log(f"  {self.name}: {self.killed}")
                self.proc.kill()
                return
            time.sleep(1)

    def wait_url_line(self, cap: float) -> None:
        """ferrotune prints its URL on its first line of output."""
        box: list[str] = []
        reader = threading.Thread(target=lambda: box.append(self.proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(cap)
        if not box:
            raise TimeoutError(f"{self.name} printed no URL within {cap}s")
        match = re.search(r"(http://\S+)", box[0])
        if not match:
            raise RuntimeError(f"{self.name}: no URL in {box[0]!r}")
        self.url = match.group(1).rstrip("/") + "/"
        # Keep draining stdout so the server never blocks on a full pipe.
        threading.Thread(target=lambda: [None for _ in self.proc.stdout], daemon=True).start()

    def wait_listening(self, path: str, cap: float) -> float:
        deadline = time.monotonic() + cap
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}")
            try:
                status, _, _ = http_get(self.url + path, timeout=5)
                if status < 500:
                    return time.monotonic() - self.t0
            except (urllib.error.URLError, ConnectionError, socket.timeout, TimeoutError):
                pass
            time.sleep(0.05)
        raise TimeoutError(f"{self.name} did not answer within {cap}s")

    def memory(self) -> dict:
        out = {}
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    out[key] = int(rest.split()[0]) * 1024
        except OSError:
            pass
        return out

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()


# ---------------------------------------------------------------- browser

# Run before the page's own scripts on every navigation: each animation
# frame, record the first time each named condition holds.
OBSERVER = """
(() => {
  window.__bench = {};
  window.__benchInfo = {};
  const conds = [%s];
  const tick = () => {
    let pending = false;
    for (const [name, test] of conds) {
      if (window.__bench[name] !== undefined) continue;
      let ok = false;
      try { ok = test(); } catch (e) { ok = false; }
      if (ok) { window.__bench[name] = performance.now(); window.__benchInfo[name] = ok; }
      else pending = true;
    }
    if (pending) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();
"""

# Plotly keeps its traces on the graph's div: a graph counts as drawn once
# its svg is there with the trials in its data.
PLOTLY_POINTS = """(() => {
  const g = document.getElementById(%r);
  if (!g || !g.querySelector('.main-svg') || !g.data) return false;
  let n = 0;
  for (const t of g.data) n += %s;
  return n > 0 ? n : false;
})()"""

CONDITIONS = {
    "ferrotune": {
        # The study page is the history view: cards and the chart.
        "cards": "document.querySelector('#n-trials') && document.querySelectorAll('[data-count]').length > 0 ? 1 : false",
        "history": "(() => { const c = document.querySelector('#plot .chart[data-kind=\"history\"]'); return c ? Number(c.dataset.points) || 1 : false; })()",
        "parallel": "(() => { const c = document.querySelector('#plot .chart[data-kind=\"parallel\"]'); return c ? Number(c.dataset.lines) || 1 : false; })()",
    },
    "optuna-dashboard": {
        "history": PLOTLY_POINTS % ("plot-history", "(t.x ? t.x.length : 0)"),
        "parallel": PLOTLY_POINTS % ("plot-parallel-coordinate",
                                     "(t.dimensions && t.dimensions.length ? t.dimensions[0].values.length : 0)"),
    },
}

# Which page each measurement opens, and the conditions it waits for.
PAGES = {
    "ferrotune": {
        "study": ("#/study/{id}/history", ["cards", "history"]),
        "parallel": ("#/study/{id}/parallel", ["cards", "parallel"]),
    },
    "optuna-dashboard": {
        # The study page ("top") holds the history plot; the parallel
        # coordinates are on the "Smart Selection" page (the Analytics page
        # has slice, contour, rank and EDF).
        "study": ("dashboard/studies/{id}", ["history"]),
        "parallel": ("dashboard/studies/{id}/smartSelection", ["parallel"]),
    },
}

API_ENTRIES = """return performance.getEntriesByType('resource')
  .filter(e => e.name.includes('/api/'))
  .map(e => ({url: e.name, start_ms: e.startTime, ms: e.duration, transfer: e.transferSize, body: e.decodedBodySize}));"""


class Browser:
    """Debian's chromium through chromedriver, a fresh instance for every
    page load: a page left behind keeps running (optuna-dashboard's keeps
    drawing and polling; Chromium keeps left pages in its back-forward
    cache), and would take CPU from the next load."""

    def __init__(self, cap: float):
        self.cap = cap
        self.driver = None
        self.conditions: dict[str, str] = {}
        self.start()
        self.version = self.driver.capabilities.get("browserVersion", "?")
        self.stop()

    def start(self) -> None:
        from selenium import webdriver

        options = webdriver.ChromeOptions()
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--window-size=1400,1000", "--disable-background-timer-throttling",
                    "--disable-renderer-backgrounding", "--disable-features=BackForwardCache"):
            options.add_argument(arg)
        binary = os.environ.get("CHROMIUM", "/usr/bin/chromium")
        if Path(binary).exists():
            options.binary_location = binary
        service = webdriver.ChromeService(executable_path=os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
        self.driver = webdriver.Chrome(options=options, service=service)
        # Selenium's client waits 120 s for chromedriver by default; a page
        # whose main thread is busy holds a command longer than that.
        self.driver.command_executor.client_config.timeout = self.cap + 60
        self.driver.set_page_load_timeout(self.cap)
        self.driver.set_script_timeout(self.cap)
        self.driver.execute_cdp_cmd("Network.enable", {})
        self.driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
        if self.conditions:
            conds = ",".join(f"[{json.dumps(k)}, () => ({v})]" for k, v in self.conditions.items())
            self.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": OBSERVER % conds})

    def stop(self) -> None:
        """Quit (bounded: a browser stuck in a page is left to chromedriver's end)."""
        if self.driver is None:
            return
        driver, self.driver = self.driver, None
        quitter = threading.Thread(target=driver.quit, daemon=True)
        quitter.start()
        quitter.join(30)
        if quitter.is_alive():
            try:
                driver.service.process.kill()
            except Exception:  # noqa: BLE001
                pass

    def observe(self, conditions: dict[str, str]) -> None:
        self.conditions = conditions

    def load(self, url: str, wait_for: list[str]) -> dict:
        """One page load in a fresh browser; the first-frame times of the conditions."""
        from selenium.common.exceptions import TimeoutException

        self.start()
        t0 = time.monotonic()
        try:
            self.driver.get(url)
            while True:
                marks = self.driver.execute_script("return window.__bench || {}")
                if all(k in marks for k in wait_for):
                    break
                if time.monotonic() - t0 > self.cap:
                    raise TimeoutException(f"not drawn within {self.cap:.0f}s (drawn: {sorted(marks)})")
                time.sleep(0.05)
            info = self.driver.execute_script("return window.__benchInfo || {}")
            api = self.driver.execute_script(API_ENTRIES)
        except Exception as e:  # noqa: BLE001 (selenium's client raises urllib3's errors too)
            text = getattr(e, "msg", None) or str(e) or type(e).__name__
            message = f"{type(e).__name__}: {text.splitlines()[0]}"[:300]
            log(f"  load failed after {time.monotonic() - t0:.0f}s: {message}")
            return {"error": message, "seconds": round(time.monotonic() - t0, 1)}
        finally:
            self.stop()
        return {"marks": {k: round(v, 1) for k, v in marks.items()}, "info": info, "api": api,
                "wall_s": round(time.monotonic() - t0, 2)}

    def quit(self) -> None:
        self.stop()


# ---------------------------------------------------------------- measuring


def measure_dashboard(kind: str, server: Server, browser: Browser, study_id: int, n_loads: int,
                      cap: float, api_repeats: int, pages: list[str] | None = None) -> dict:
    out: dict = {"base_url": server.url, "pages": {}, "api": {}, "errors": []}
    browser.observe(CONDITIONS[kind])
    failed = False
    for page, (path, wait_for) in PAGES[kind].items():
        if pages and page not in pages:
            continue
        url = server.url + path.format(id=study_id)
        loads = []
        for i in range(n_loads + 1):  # the first: right after the server started
            if failed:
                break
            result = browser.load(url, wait_for)
            result["cold"] = i == 0
            loads.append(result)
            if "error" in result:
                out["errors"].append(f"{page}: {result['error']}")
                failed = True  # a dashboard that times out once is not retried
            else:
                log(f"  {kind} {page} load {i}: {result['marks']}")
        out["pages"][page] = {"url": url, "wait_for": wait_for, "loads": loads}
        out["memory_after_" + page] = server.memory()

    # The API calls the pages made, fetched again with urllib.
    urls: list[str] = []
    for page in out["pages"].values():
        for load in page["loads"]:
            for entry in load.get("api", []):
                if entry["url"] not in urls:
                    urls.append(entry["url"])
    if not urls:  # the page never drew: ask the study's main call anyway
        urls = [server.url + ("api/studies/%d" if kind == "optuna-dashboard" else "api/studies/%d") % study_id]
    for url in urls:
        timings, size, status, error = [], None, None, None
        repeats = api_repeats
        while len(timings) < repeats + 1:
            try:
                status, body, seconds = http_get(url, timeout=cap)
            except Exception as e:  # noqa: BLE001
                error = f"{type(e).__name__}: {e}"[:300]
                break
            timings.append(seconds)
            size = len(body)
            if seconds > 5:  # a slow call is repeated once, not five times
                repeats = 1
        out["api"][url.removeprefix(server.url)] = {
            "status": status, "bytes": size, "first_ms": round(timings[0] * 1000, 1) if timings else None,
            "median_ms": round(statistics.median(timings[1:]) * 1000, 1) if len(timings) > 1 else None,
            "error": error,
        }
    out["memory"] = server.memory() or {"VmHWM": server.peak_rss}
    if server.killed:
        out["errors"].append(server.killed)
    return out


def run(args: argparse.Namespace) -> None:
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    sizes = [500] if args.quick else args.sizes
    optuna_sizes = sizes if args.optuna_sizes is None else args.optuna_sizes
    n_loads = args.loads if args.loads is not None else (2 if args.quick else 5)
    # optuna-dashboard takes minutes a load at 10,000 trials here: fewer.
    n_loads_anchor = args.loads_anchor if args.loads_anchor is not None else (2 if args.quick else 2)
    cap = args.cap
    import optuna
    import optuna_dashboard
    import selenium

    results = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "mode": "quick" if args.quick else "full",
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "versions": {"optuna": optuna.__version__, "optuna-dashboard": optuna_dashboard.__version__,
                     "selenium": selenium.__version__, "python": platform.python_version()},
        "loads": n_loads, "loads_anchor": n_loads_anchor, "cap_s": cap, "sizes": {},
    }
    browser = Browser(cap)
    results["versions"]["chromium"] = browser.version
    try:
        for n in sizes:
            entry: dict = {"load_before": loadavg()}
            ft_db, entry["ferrotune_study"] = make_ferrotune_study(args.make_study, cache, n, cap)
            entry["counts"] = expected_counts(ft_db, n)
            ft_url = f"sqlite:///{ft_db}"
            # ferrotune
            log(f"ferrotune dashboard, {n} trials")
            server = Server("ferrotune", [args.ferrotune, "dashboard", "--storage", ft_url, "--port", "0"], None,
                            Path(args.out).with_suffix(f".ferrotune-{n}.log"))
            try:
                server.wait_url_line(cap)
                entry_ft = {"listening_s": round(server.wait_listening("", cap), 3)}
                status, body, _ = http_get(server.url + "api/studies", timeout=cap)
                study_id = next(s["id"] for s in json.loads(body)["studies"] if s["name"] == study_name(n))
                entry_ft |= measure_dashboard("ferrotune", server, browser, study_id, n_loads, cap, args.api_repeats)
            except Exception as e:  # noqa: BLE001
                entry_ft = {"errors": [f"{type(e).__name__}: {e}"]}
            finally:
                server.stop()
            entry["ferrotune"] = entry_ft
            # optuna-dashboard
            if n in optuna_sizes:
                try:
                    op_db, entry["optuna_study"] = make_optuna_study(ft_db, cache, n, check_add_trials=50 if args.quick else 0)
                except Exception as e:  # noqa: BLE001
                    entry["optuna-dashboard"] = {"errors": [f"copy to Optuna failed: {type(e).__name__}: {e}"]}
                else:
                    log(f"optuna-dashboard, {n} trials")
                    port = free_port()
                    exe = str(Path(sys.executable).with_name("optuna-dashboard"))
                    server = Server("optuna-dashboard", [exe, f"sqlite:///{op_db}", "--host", "127.0.0.1",
                                                         "--port", str(port)],
                                    f"http://127.0.0.1:{port}/", Path(args.out).with_suffix(f".optuna-{n}.log"))
                    try:
                        entry_od = {"listening_s": round(server.wait_listening("api/meta", cap), 3)}
                        import optuna as _o

                        study_id = next(s._study_id for s in _o.get_all_study_summaries(f"sqlite:///{op_db}")
                                        if s.study_name == study_name(n))
                        entry_od |= measure_dashboard("optuna-dashboard", server, browser, study_id, n_loads_anchor, cap,
                                                      args.api_repeats, args.anchor_pages)
                    except Exception as e:  # noqa: BLE001
                        entry_od = {"errors": [f"{type(e).__name__}: {e}"]}
                    finally:
                        server.stop()
                    entry["optuna-dashboard"] = entry_od
            entry["load_after"] = loadavg()
            results["sizes"][str(n)] = entry
            Path(args.out).write_text(json.dumps(results, indent=1))
    finally:
        browser.quit()
    Path(args.out).write_text(json.dumps(results, indent=1))
    log(f"raw results: {args.out}")
    # The smoke run fails when ferrotune's dashboard did not draw; the
    # anchor's failures are results, not errors.
    broken = [f"{n}: {e}" for n, entry in results["sizes"].items() for e in entry["ferrotune"].get("errors", [])]
    if args.quick and broken:
        sys.exit("ferrotune's dashboard failed: " + "; ".join(broken))


# ---------------------------------------------------------------- report


def page_times(dash: dict, page: str, mark: str) -> tuple[float | None, float | None, list[float]]:
    """(cold, median of warm, warm list) first-frame ms of `mark` on `page`."""
    loads = dash.get("pages", {}).get(page, {}).get("loads", [])
    times = [(l["cold"], max(l["marks"][m] for m in ([mark] if isinstance(mark, str) else mark)))
             for l in loads if "marks" in l]
    cold = next((t for c, t in times if c), None)
    warm = [t for c, t in times if not c]
    return cold, (statistics.median(warm) if warm else None), warm


def fmt_ms(v) -> str:
    return "–" if v is None else f"{v:,.0f} ms"


def fmt_bytes(v) -> str:
    if v is None:
        return "–"
    for unit, scale in (("MB", 1e6), ("kB", 1e3)):
        if v >= scale:
            return f"{v / scale:,.1f} {unit}"
    return f"{v} B"


def ratio(a, b) -> str:
    return "–" if a is None or b is None or b == 0 else f"{a / b:,.1f}x"


def api_sum(dash: dict, key: str, pred) -> float | None:
    vals = [v[key] for u, v in dash.get("api", {}).items() if pred(u) and v.get(key) is not None]
    return sum(vals) if vals else None


# The calls that carry the study's data: ferrotune's summary and history
# plot (the study page's two calls), optuna-dashboard's trials.
def FT_MAIN(u: str) -> bool:  # noqa: N802
    return re.fullmatch(r"api/studies/\d+(/plot/optimization-history)?", u) is not None


def OD_MAIN(u: str) -> bool:  # noqa: N802
    return re.fullmatch(r"api/studies/\d+(\?after=0)?", u) is not None


def browser_api_ms(dash: dict, pred, cold: bool) -> float | None:
    """Sum of the study-data calls' durations as the browser saw them on the
    study page: the cold load's, or the median over the warm loads."""
    loads = dash.get("pages", {}).get("study", {}).get("loads", [])
    base = dash.get("base_url", "")
    sums = []
    for load in loads:
        if "api" not in load or load["cold"] != cold:
            continue
        seen: dict[str, float] = {}
        for e in load["api"]:
            u = e["url"].removeprefix(base)
            if pred(u) and u not in seen:
                seen[u] = e["ms"]
        if seen:
            sums.append(sum(seen.values()))
    return statistics.median(sums) if sums else None


def report(path: str) -> str:
    r = json.loads(Path(path).read_text())
    lines = [f"Run {r['date']} ({r['mode']} mode), {r['machine']['cpus']} cores; chromium {r['versions'].get('chromium')}, "
             f"optuna {r['versions']['optuna']}, optuna-dashboard {r['versions']['optuna-dashboard']}. "
             f"First paint: first animation frame at which the view is complete, from the start of a fresh "
             f"navigation (cache disabled, a fresh chromium each load); cold = first load after the server "
             f"started, warm = median of {r['loads']} more loads for ferrotune, "
             f"{r.get('loads_anchor', r['loads'])} for optuna-dashboard. Ratio = optuna-dashboard / ferrotune.", ""]
    for n, e in r["sizes"].items():
        ft, od = e.get("ferrotune", {}), e.get("optuna-dashboard", {})
        counts = ", ".join(f"{v:,} {k}" for k, v in sorted(e.get("counts", {}).items()))
        lines.append(f"### {int(n):,} trials ({counts}); load average {e.get('load_before')} -> {e.get('load_after')}")
        lines.append("")
        lines.append("| measure | ferrotune | optuna-dashboard | ratio |")
        lines.append("|---|---|---|---|")
        rows = [
            ("study page, first paint, warm (ft: cards + history chart; od: history plot)",
             page_times(ft, "study", ["cards", "history"])[1], page_times(od, "study", "history")[1], fmt_ms),
            ("study page, first paint, cold (first load after start)",
             page_times(ft, "study", ["cards", "history"])[0], page_times(od, "study", "history")[0], fmt_ms),
            ("history chart, warm (on the study page in both)",
             page_times(ft, "study", "history")[1], page_times(od, "study", "history")[1], fmt_ms),
            ("parallel coordinates, warm (ft: its view; od: Smart Selection page)",
             page_times(ft, "parallel", "parallel")[1], page_times(od, "parallel", "parallel")[1], fmt_ms),
            ("parallel coordinates, cold",
             page_times(ft, "parallel", "parallel")[0], page_times(od, "parallel", "parallel")[0], fmt_ms),
            ("API bytes, all calls of the pages",
             api_sum(ft, "bytes", lambda u: True), api_sum(od, "bytes", lambda u: True), fmt_bytes),
            ("API bytes, study data (ft: /api/studies/ID + history plot; od: /api/studies/ID)",
             api_sum(ft, "bytes", FT_MAIN), api_sum(od, "bytes", OD_MAIN), fmt_bytes),
            ("API latency, study data, in the browser, cold (first load after start)",
             browser_api_ms(ft, FT_MAIN, cold=True), browser_api_ms(od, OD_MAIN, cold=True), fmt_ms),
            ("API latency, study data, in the browser, warm (median)",
             browser_api_ms(ft, FT_MAIN, cold=False), browser_api_ms(od, OD_MAIN, cold=False), fmt_ms),
            ("API latency, study data, urllib after the loads (median of repeats)",
             api_sum(ft, "median_ms", FT_MAIN), api_sum(od, "median_ms", OD_MAIN), fmt_ms),
            ("server RSS after the views", ft.get("memory", {}).get("VmRSS"), od.get("memory", {}).get("VmRSS"), fmt_bytes),
            ("server peak RSS (VmHWM)", ft.get("memory", {}).get("VmHWM"), od.get("memory", {}).get("VmHWM"), fmt_bytes),
        ]
        for label, a, b, f in rows:
            lines.append(f"| {label} | {f(a)} | {f(b)} | {ratio(b, a)} |")
        lines.append("")
        for name, dash in (("ferrotune", ft), ("optuna-dashboard", od)):
            for err in dash.get("errors", []):
                lines.append(f"- {name}: **failed**: {err}")
            calls = dash.get("api", {})
            if calls:
                lines.append(f"- {name} API calls: " + "; ".join(
                    f"`{u}` {fmt_bytes(v['bytes'])}, first {fmt_ms(v['first_ms'])}, median {fmt_ms(v['median_ms'])}"
                    + (f" ({v['error']})" if v.get("error") else "") for u, v in calls.items()))
        if "optuna-dashboard" not in e:
            lines.append("- optuna-dashboard: not run at this size")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("run")
    p.add_argument("--ferrotune", required=True)
    p.add_argument("--make-study", required=True)
    p.add_argument("--cache", required=True, help="folder where the studies are kept between runs")
    p.add_argument("--out", required=True)
    p.add_argument("--quick", action="store_true", help="500 trials, 2 loads: a smoke run")
    p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    p.add_argument("--optuna-sizes", type=int, nargs="*", default=None,
                   help="sizes at which optuna-dashboard runs (default: every size)")
    p.add_argument("--loads", type=int, default=None, help="warm page loads per page (default 5; quick 2)")
    p.add_argument("--loads-anchor", type=int, default=None,
                   help="warm page loads per page for optuna-dashboard (default 2)")
    p.add_argument("--api-repeats", type=int, default=5)
    p.add_argument("--cap", type=float, default=float(os.environ.get("FERROTUNE_DASH_CAP", 180)),
                   help="bound on every wait, seconds")
    p.add_argument("--anchor-pages", nargs="*", default=None, choices=["study", "parallel"],
                   help="optuna-dashboard's pages to measure (default: both)")
    q = sub.add_parser("report")
    q.add_argument("results")
    args = parser.parse_args()
    if args.cmd == "run":
        run(args)
    else:
        print(report(args.results))


if __name__ == "__main__":
    main()
