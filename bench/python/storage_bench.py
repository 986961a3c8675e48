"""Storage benchmark: ferrotune's PostgreSQL storage against Optuna's
RDBStorage on the same server, and ferrotune's SQLite per-trial cost
(bench/storage.sh; protocol in bench/README.md).

    storage_bench.py run --ft-bin PATH --out RAW.jsonl [--quick]
    storage_bench.py report RAW.jsonl            # markdown on stdout

Internal modes (Optuna's side, mirroring bench/src/bin/storage_bench.rs):
    storage_bench.py optuna-latency --url URL --sizes ... --window W
    storage_bench.py optuna-worker --url URL --study S --trials K --sampler ... --space ...

Each measurement gets a fresh PostgreSQL database (dropped and created
again), so no arm sees another's tables. The arms of each phase run one
after the other, their order alternating from phase to phase, and the load
average is recorded before each.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time

PG_BASE = os.environ.get("FERROTUNE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
NAMES = [f"x{i}" for i in range(10)]


def pct(sorted_ms, q):
    if not sorted_ms:
        return float("nan")
    rank = min(max(math.ceil(q * len(sorted_ms)), 1), len(sorted_ms))
    return sorted_ms[rank - 1]


# ---------------------------------------------------------------- Optuna side


def _optuna():
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def sa_url(url):
    """SQLAlchemy 2.1 reads postgresql:// as psycopg 3; the pinned driver is psycopg2."""
    return url.replace("postgresql://", "postgresql+psycopg2://", 1)


def optuna_latency(args):
    optuna = _optuna()
    storage = optuna.storages.RDBStorage(sa_url(args.url))
    study = optuna.create_study(
        study_name=args.study, storage=storage, sampler=optuna.samplers.RandomSampler(seed=0), load_if_exists=True
    )
    sizes = args.sizes
    total = max(sizes) + args.window
    ms = []
    deadline = time.monotonic() + args.cap if args.cap else None
    start = time.perf_counter()
    for i in range(total):
        t0 = time.perf_counter()
        trial = study.ask()
        value = 0.0
        for name in NAMES[: args.params]:
            x = trial.suggest_float(name, -5, 5)
            value += x * x
        study.tell(trial, value)
        ms.append((time.perf_counter() - t0) * 1e3)
        if deadline and time.monotonic() > deadline:
            break
    total_s = time.perf_counter() - start
    windows = []
    for s in sizes:
        if s + args.window <= len(ms):
            w = ms[s : s + args.window]
            mean = sum(w) / len(w)
            w.sort()
            windows.append({"size": s, "p50_ms": pct(w, 0.5), "p99_ms": pct(w, 0.99), "mean_ms": mean, "n": len(w)})
    last = ms[len(ms) - max(len(ms) // 10, 1) :]
    print(
        json.dumps(
            {
                "kind": "latency",
                "engine": "optuna",
                "url_scheme": args.url.split(":")[0],
                "params": args.params,
                "sampler": "random",
                "n_trials": len(ms),
                "capped": len(ms) < total,
                "total_s": total_s,
                "mean_ms": sum(ms) / len(ms),
                "mean_ms_last10pct": sum(last) / len(last),
                "windows": windows,
                "version": optuna.__version__,
            }
        )
    )


def optuna_worker(args):
    optuna = _optuna()
    if args.sampler == "random":
        sampler = optuna.samplers.RandomSampler()
    elif args.sampler == "tpe":
        sampler = optuna.samplers.TPESampler(constant_liar=True)
    elif args.sampler == "tpe-noliar":
        sampler = optuna.samplers.TPESampler()
    else:
        raise SystemExit(f"unknown sampler {args.sampler}")
    storage = optuna.storages.RDBStorage(sa_url(args.url))
    study = optuna.create_study(study_name=args.study, storage=storage, sampler=sampler, load_if_exists=True)
    print("ready", flush=True)
    sys.stdin.readline()
    start = time.time()
    trials = []
    for _ in range(args.trials):
        asked = time.time()
        trial = study.ask()
        if args.space == "step":
            x = trial.suggest_float("x", -5, 5, step=0.1)
            y = trial.suggest_float("y", -5, 5, step=0.1)
            study.tell(trial, x * x + y * y)
            trials.append([trial.number, asked, time.time(), [x, y]])
        else:
            x = trial.suggest_float("x0", -5, 5)
            study.tell(trial, x * x)
    end = time.time()
    print(json.dumps({"kind": "worker", "engine": "optuna", "start": start, "end": end, "n": args.trials, "trials": trials}))


# ---------------------------------------------------------------- orchestrator


def pg_admin(sql):
    import psycopg2

    conn = psycopg2.connect(PG_BASE + "/postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        for stmt in sql:
            cur.execute(stmt)
    conn.close()


def fresh_db(name):
    pg_admin([f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}"])
    return f"{PG_BASE}/{name}"


def analyze(url):
    import psycopg2

    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("ANALYZE")
    conn.close()


def load():
    return os.getloadavg()[0]


def engine_cmd(engine, ft_bin, mode):
    if engine == "ferrotune":
        return [ft_bin, mode]
    return [sys.executable, os.path.abspath(__file__), f"optuna-{mode}"]


def run_latency(engine, ft_bin, url, sizes, window, params, cap):
    cmd = engine_cmd(engine, ft_bin, "latency") + ["--url", url, "--study", "latency", "--window", str(window)]
    cmd += ["--params", str(params), "--sizes"] + [str(s) for s in sizes]
    if engine == "optuna" and cap:
        cmd += ["--cap", str(cap)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_workers(engine, ft_bin, url, n_workers, total, sampler, space):
    """Start n_workers processes on one study, wait until every one is
    connected and ready, release them at once, and time the wall clock from
    the first start to the last end."""
    per = [total // n_workers + (1 if i < total % n_workers else 0) for i in range(n_workers)]
    procs = []
    for i, k in enumerate(per):
        cmd = engine_cmd(engine, ft_bin, "worker")
        cmd += ["--url", url, "--study", "workers", "--trials", str(k), "--sampler", sampler, "--space", space]
        procs.append(subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True))
        # The first worker creates the study; the others start together once it exists.
        if i == 0 and procs[0].stdout.readline().strip() != "ready":
            raise SystemExit(f"{engine} worker 0 did not start")
    for i, p in enumerate(procs[1:], 1):
        if p.stdout.readline().strip() != "ready":
            raise SystemExit(f"{engine} worker {i} did not start")
    # ANALYZE every 15 s while the workers run, as autovacuum would (see analyze()).
    stop = threading.Event()

    def analyzer():
        while not stop.wait(15):
            analyze(url)

    thread = threading.Thread(target=analyzer, daemon=True)
    thread.start()
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    results = []
    for p in procs:
        out, _ = p.communicate()
        if p.returncode != 0:
            raise SystemExit(f"{engine} worker failed ({p.returncode})")
        results.append(json.loads(out.strip().splitlines()[-1]))
    stop.set()
    thread.join()
    wall = max(r["end"] for r in results) - min(r["start"] for r in results)
    rec = {
        "kind": "throughput" if space == "float" else "duplicates",
        "engine": engine,
        "sampler": sampler,
        "workers": n_workers,
        "n_trials": sum(r["n"] for r in results),
        "wall_s": wall,
        "trials_per_s": sum(r["n"] for r in results) / wall,
    }
    if space == "step":
        rec.update(count_duplicates([t for r in results for t in r["trials"]]))
    return rec


def count_duplicates(trials):
    """trials: [number, asked, told, [x, y]]. A configuration proposed more
    than once counts every proposal after its first; a duplicate is
    concurrent when it was asked while an earlier trial of the same
    configuration was still running (what a constant liar prevents)."""
    by_config = {}
    for number, asked, told, config in sorted(trials, key=lambda t: t[1]):
        key = tuple(round(v, 6) for v in config)
        by_config.setdefault(key, []).append((asked, told))
    dup = sum(len(v) - 1 for v in by_config.values())
    concurrent = 0
    for v in by_config.values():
        for j in range(1, len(v)):
            if any(v[i][1] > v[j][0] for i in range(j)):
                concurrent += 1
    return {
        "distinct_configs": len(by_config),
        "duplicates": dup,
        "concurrent_duplicates": concurrent,
        "max_multiplicity": max(len(v) for v in by_config.values()),
    }


def run(args):
    quick = args.quick
    ft = args.ft_bin
    out = open(args.out, "a")
    order = [["ferrotune", "optuna"], ["optuna", "ferrotune"]]
    phase = 0

    def emit(rec, phase_name):
        rec["phase"] = phase_name
        rec["at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        rec["mode"] = "quick" if quick else "full"
        out.write(json.dumps(rec) + "\n")
        out.flush()
        keep = {k: v for k, v in rec.items() if k not in ("windows",)}
        print(f"[storage] {json.dumps(keep)}", file=sys.stderr, flush=True)
        if "windows" in rec:
            for w in rec["windows"]:
                print(f"[storage]     size {w['size']}: p50 {w['p50_ms']:.3f} ms, p99 {w['p99_ms']:.3f} ms", file=sys.stderr)

    def arms():
        nonlocal phase
        phase += 1
        return order[phase % 2]

    phases = set(args.phases)
    engines = set(args.engines)

    # 1. SQLite per-trial figure (ferrotune only: the goal).
    sq_sizes, sq_window = ([200], 50) if quick else ([10000], 500)
    for params in (1, 10) if "sqlite" in phases and "ferrotune" in engines else ():
        with tempfile.TemporaryDirectory() as d:
            load_before = load()
            cmd = [ft, "latency", "--url", f"sqlite:///{d}/bench.db", "--study", "sqlite", "--params", str(params)]
            cmd += ["--window", str(sq_window), "--sizes"] + [str(s) for s in sq_sizes]
            rec = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])
            rec["load1"] = load_before
            emit(rec, "sqlite")

    # 2. Latency on PostgreSQL, one worker, growing one study.
    if quick:
        ft_sizes, op_sizes, window, cap = [50], [50], 20, 0
    else:
        ft_sizes, op_sizes, window, cap = [1000, 10000, 100000], [1000, 10000], 500, args.optuna_cap
    for engine in arms() if "latency" in phases else ():
        if engine not in engines:
            continue
        db = f"bench_storage_{engine}"
        url = fresh_db(db)
        windows, fill_s, done = [], 0.0, 0
        sizes = ft_sizes if engine == "ferrotune" else op_sizes
        load_before = load()
        for size in sizes:
            # Fill (untimed) with synchronous_commit off for this database
            # only, so that reaching 100,000 trials does not take hours of
            # WAL flushes; the window is then measured by a new process
            # with the server's default (synchronous_commit on).
            if size > done:
                pg_admin([f"ALTER DATABASE {db} SET synchronous_commit = off"])
                t0 = time.monotonic()
                run_latency(engine, ft, url, [0], size - done, 1, 0)
                fill_s += time.monotonic() - t0
                pg_admin([f"ALTER DATABASE {db} RESET synchronous_commit"])
                # What autovacuum would have done by now on a default server
                # (this machine's runs with autovacuum off): without
                # statistics, PostgreSQL plans ferrotune's incremental read
                # as a hash join over all of trial_params (linear in the
                # study's size) instead of an index nested loop.
                analyze(url)
            if engine == "optuna" and cap and fill_s > cap:
                break
            rec = run_latency(engine, ft, url, [0], window, 1, 0)
            w = rec["windows"][0]
            w["size"] = size
            windows.append(w)
            done = size + window
        rec.update({"windows": windows, "fill_s": fill_s, "n_trials": done, "load1": load_before,
                    "sizes_asked": sizes})
        emit(rec, "latency")

    # 3. Throughput: 1, 4 and 16 worker processes to `total` trials.
    total = 100 if quick else 10000
    optuna_total = min(total, args.optuna_trials or total)
    for workers in ((1, 4) if quick else (1, 4, 16)) if "throughput" in phases else ():
        for engine in arms():
            if engine not in engines:
                continue
            url = fresh_db(f"bench_storage_{engine}")
            load_before = load()
            n = total if engine == "ferrotune" else optuna_total
            rec = run_workers(engine, ft, url, workers, n, "random", "float")
            rec["load1"] = load_before
            emit(rec, "throughput")

    # 4. TPE on 16 workers: duplicate configurations.
    total = 16 if quick else args.tpe_trials
    arms_tpe = [("ferrotune", "tpe"), ("optuna", "tpe"), ("optuna", "tpe-noliar"), ("ferrotune", "tpe-noliar")]
    if quick:
        arms_tpe = arms_tpe[:2]
    arms_tpe = [a for a in arms_tpe if a[0] in engines and "duplicates" in phases]
    for engine, sampler in arms_tpe:
        url = fresh_db(f"bench_storage_{engine}")
        load_before = load()
        rec = run_workers(engine, ft, url, 4 if quick else 16, total, sampler, "step")
        rec["load1"] = load_before
        emit(rec, "duplicates")
    out.close()
    pg_admin(["DROP DATABASE IF EXISTS bench_storage_ferrotune WITH (FORCE)", "DROP DATABASE IF EXISTS bench_storage_optuna WITH (FORCE)"])


# ---------------------------------------------------------------- report


def report(path):
    recs = [json.loads(line) for line in open(path) if line.strip()]
    lines = []
    add = lines.append
    sq = [r for r in recs if r["kind"] == "latency" and r["url_scheme"] == "sqlite"]
    if sq:
        add("SQLite (WAL, synchronous=NORMAL), ferrotune, one worker, random sampler:\n")
        add("| suggests per trial | trials | ms per ask+tell, mean (last 10%) | window at size: p50 / p99 ms | load1 |")
        add("|---|---|---|---|---|")
        for r in sq:
            w = "; ".join(f"{x['size']}: {x['p50_ms']:.3f} / {x['p99_ms']:.3f}" for x in r["windows"])
            add(f"| {r['params']} | {r['n_trials']} | {r['mean_ms']:.3f} ({r['mean_ms_last10pct']:.3f}) | {w} | {r['load1']:.1f} |")
        add("")
    lat = {r["engine"]: r for r in recs if r["kind"] == "latency" and r["url_scheme"].startswith("postgres")}
    if lat:
        add("PostgreSQL latency of ask+tell, one worker, random sampler, one suggest_float (ms):\n")
        add("| study size | ferrotune p50 | ferrotune p99 | Optuna p50 | Optuna p99 | Optuna / ferrotune (p50) |")
        add("|---|---|---|---|---|---|")
        sizes = sorted({w["size"] for r in lat.values() for w in r["windows"]})
        for s in sizes:
            f = next((w for w in lat.get("ferrotune", {}).get("windows", []) if w["size"] == s), None)
            o = next((w for w in lat.get("optuna", {}).get("windows", []) if w["size"] == s), None)
            cell = lambda w, k: f"{w[k]:.3f}" if w else "not run"
            ratio = f"{o['p50_ms'] / f['p50_ms']:.1f}x" if f and o else "-"
            add(f"| {s} | {cell(f, 'p50_ms')} | {cell(f, 'p99_ms')} | {cell(o, 'p50_ms')} | {cell(o, 'p99_ms')} | {ratio} |")
        fw = lat.get("ferrotune", {}).get("windows", [])
        if len(fw) >= 2:
            add(f"\nferrotune, largest size / smallest: p50 {fw[-1]['p50_ms'] / fw[0]['p50_ms']:.2f}x, "
                f"p99 {fw[-1]['p99_ms'] / fw[0]['p99_ms']:.2f}x (goal: within 1.2x). Filling the study (synchronous_commit off, untimed) took "
                f"{lat['ferrotune']['fill_s']:.0f} s for ferrotune ({lat['ferrotune']['n_trials']} trials) and "
                f"{lat.get('optuna', {}).get('fill_s', float('nan')):.0f} s for Optuna "
                f"({lat.get('optuna', {}).get('n_trials', 0)} trials).")
        add("")
    thr = [r for r in recs if r["kind"] == "throughput"]
    if thr:
        add("Throughput, random sampler, worker processes on one study (trials/s; trials, wall time):\n")
        add("| workers | ferrotune | Optuna | ferrotune / Optuna | load1 before (ft, Optuna) |")
        add("|---|---|---|---|---|")
        for w in sorted({r["workers"] for r in thr}):
            f = next(r for r in thr if r["workers"] == w and r["engine"] == "ferrotune")
            o = next(r for r in thr if r["workers"] == w and r["engine"] == "optuna")
            add(f"| {w} | {f['trials_per_s']:.0f} ({f['n_trials']}, {f['wall_s']:.1f} s) | {o['trials_per_s']:.1f} ({o['n_trials']}, {o['wall_s']:.1f} s) | "
                f"{f['trials_per_s'] / o['trials_per_s']:.1f}x | {f['load1']:.1f}, {o['load1']:.1f} |")
        add("")
    dup = [r for r in recs if r["kind"] == "duplicates"]
    if dup:
        add("TPE on %d worker processes, %d trials, x and y in [-5, 5] step 0.1 (10,201 configurations):\n"
            % (dup[0]["workers"], dup[0]["n_trials"]))
        add("| engine | sampler | duplicates | of them asked while the twin ran | distinct | most proposals of one configuration | wall s |")
        add("|---|---|---|---|---|---|---|")
        names = {"tpe": "TPE, constant liar", "tpe-noliar": "TPE, no constant liar"}
        for r in dup:
            add(f"| {r['engine']} | {names[r['sampler']]} | {r['duplicates']} | {r['concurrent_duplicates']} | "
                f"{r['distinct_configs']} | {r['max_multiplicity']} | {r['wall_s']:.1f} |")
        add("")
    print("\n".join(lines))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--ft-bin", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--quick", action="store_true")
    r.add_argument("--phases", nargs="+", default=["sqlite", "latency", "throughput", "duplicates"])
    r.add_argument("--engines", nargs="+", default=["ferrotune", "optuna"])
    r.add_argument("--optuna-cap", type=float, default=float(os.environ.get("FERROTUNE_OPTUNA_CAP", "1800")))
    # Optuna's throughput runs stop at this many trials instead of 10,000 (0: 10,000).
    r.add_argument("--optuna-trials", type=int, default=int(os.environ.get("FERROTUNE_BENCH_OPTUNA_TRIALS", "0")))
    r.add_argument("--tpe-trials", type=int, default=int(os.environ.get("FERROTUNE_BENCH_TPE_TRIALS", "1000")))
    p = sub.add_parser("report")
    p.add_argument("raw")
    lat = sub.add_parser("optuna-latency")
    lat.add_argument("--url", required=True)
    lat.add_argument("--study", default="latency")
    lat.add_argument("--sizes", type=int, nargs="+", default=[1000])
    lat.add_argument("--window", type=int, default=500)
    lat.add_argument("--params", type=int, default=1)
    lat.add_argument("--cap", type=float, default=0)
    w = sub.add_parser("optuna-worker")
    w.add_argument("--url", required=True)
    w.add_argument("--study", default="workers")
    w.add_argument("--trials", type=int, required=True)
    w.add_argument("--sampler", default="random")
    w.add_argument("--space", default="float")
    args = ap.parse_args()
    if args.cmd == "run":
        run(args)
    elif args.cmd == "report":
        report(args.raw)
    elif args.cmd == "optuna-latency":
        optuna_latency(args)
    else:
        optuna_worker(args)


if __name__ == "__main__":
    main()
