"""Helpers of test_recipes.sh (standard library, plus PyYAML for the manifest).

    recipe_checks.py study FERROTUNE URL STUDY N_TRIALS [KILLED]
        The study after a recipe ran: exactly N_TRIALS complete, numbers
        0..n-1 each once, nothing running or waiting, no parameters twice
        (read with `ferrotune trials --format json`). With KILLED (workers
        killed mid-trial): exactly that many trials failed by heartbeat, each
        re-run to completion with the same parameters; none failed otherwise.
    recipe_checks.py workers N_TRIALS LOG...
        The workers' summaries (`this run: N complete, ...` in each log of
        a `ferrotune run`): they add up to N_TRIALS, and the trials were
        shared (at least two workers ran some).
    recipe_checks.py k8s MANIFEST WORKDIR URL
        Parse k8s-job.yaml, check what a cluster would need, then run each
        pod's containers on this machine: the Job's `parallelism` pods at
        once, each with its own folders for the manifest's volumes (a
        subPath mount a copy of the file) and the Secret's variable set to
        URL.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time


def fail(message: str) -> None:
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def check_study(ferrotune: str, url: str, study: str, n_trials: int, killed: int = 0) -> None:
    out = subprocess.run(
        [ferrotune, "trials", "--storage", url, "--study", study, "--format", "json"],
        capture_output=True, text=True, timeout=60,
    )
    if out.returncode != 0:
        fail(f"ferrotune trials: {out.stderr.strip()}")
    trials = json.loads(out.stdout)
    numbers = sorted(t["number"] for t in trials)
    if numbers != list(range(len(trials))):
        fail(f"trial numbers are not 0..{len(trials) - 1} each once: {numbers}")
    states: dict[str, int] = {}
    for t in trials:
        states[t["state"]] = states.get(t["state"], 0) + 1
    complete = [t for t in trials if t["state"] == "complete"]
    if len(complete) != n_trials:
        fail(f"{len(complete)} complete trials, expected exactly {n_trials} (states: {states})")
    left = [t["number"] for t in trials if t["state"] in ("running", "waiting")]
    if left:
        fail(f"trials left running or waiting: {left}")
    failed = [t for t in trials if t["state"] == "failed"]
    by_heartbeat = [t for t in failed if (t.get("fail_reason") or "").startswith("heartbeat: no heartbeat for ")]
    if len(failed) != killed or len(by_heartbeat) != killed:
        fail(f"expected {killed} trial(s) failed by heartbeat and no other failure, got "
             f"{[(t['number'], t.get('fail_reason')) for t in failed]}")
    complete_params = [json.dumps(t["params"], sort_keys=True) for t in complete]
    for t in by_heartbeat:
        if json.dumps(t["params"], sort_keys=True) not in complete_params:
            fail(f"trial {t['number']} failed by heartbeat, but no complete trial re-ran its parameters {t['params']}")
    if len(set(complete_params)) != len(complete):
        fail(f"{len(complete) - len(set(complete_params))} complete trials repeat another's parameters")
    retried = f", {killed} killed worker's trial failed by heartbeat and re-run with its parameters" if killed else ""
    print(f"  study '{study}': {len(complete)} complete, numbers 0..{len(trials) - 1} dense and unique, "
          f"no parameters twice, nothing left running{retried}")


def check_workers(n_trials: int, logs: list[str]) -> None:
    counts = []
    for log in logs:
        with open(log) as f:
            found = re.findall(r"this run: (\d+) complete, (\d+) pruned, (\d+) failed", f.read())
        if len(found) != 1:
            fail(f"{log}: no summary line of a finished `ferrotune run`")
        counts.append(int(found[0][0]))
    if sum(counts) != n_trials:
        fail(f"the workers completed {counts} trials, {sum(counts)} in all, not {n_trials}")
    if sum(c > 0 for c in counts) < 2:
        fail(f"one worker did everything ({counts}): the study was not shared")
    print(f"  trials completed by each worker: {counts}")


def k8s(manifest: str, workdir: str, url: str) -> None:
    import yaml  # PyYAML: in the Python tests' requirements

    with open(manifest) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    by_kind = {d["kind"]: d for d in docs}
    if sorted(by_kind) != ["ConfigMap", "Job", "Secret"] or len(docs) != 3:
        fail(f"expected a Secret, a ConfigMap and a Job, got {[d['kind'] for d in docs]}")
    job, config_map, secret = by_kind["Job"], by_kind["ConfigMap"], by_kind["Secret"]
    if job["apiVersion"] != "batch/v1":
        fail(f"Job apiVersion {job['apiVersion']}")
    spec = job["spec"]
    parallelism, completions = spec.get("parallelism"), spec.get("completions")
    if not isinstance(parallelism, int) or parallelism < 2 or completions != parallelism:
        fail(f"parallelism {parallelism}, completions {completions}: expected N >= 2 pods, each to complete")
    pod = spec["template"]["spec"]
    if pod.get("restartPolicy") not in ("OnFailure", "Never"):
        fail(f"a Job's pods need restartPolicy OnFailure or Never, got {pod.get('restartPolicy')}")
    containers = pod.get("initContainers", []) + pod["containers"]
    worker = pod["containers"][0]
    if worker["command"] != ["ferrotune", "run", "/config/tune.toml"]:
        fail(f"the worker's command is {worker['command']}")
    # The volumes: each ConfigMap volume names the ConfigMap; each mount a volume.
    volumes = {v["name"]: v for v in pod["volumes"]}
    for v in volumes.values():
        if "configMap" in v and v["configMap"]["name"] != config_map["metadata"]["name"]:
            fail(f"volume {v['name']} names ConfigMap {v['configMap']['name']}")
    # The ConfigMap carries the recipes' tune.toml and objective.sh exactly
    # as they are beside the manifest: the URL is the environment's
    # (FERROTUNE_STORAGE over the file's storage), nothing is templated.
    here = os.path.dirname(os.path.abspath(manifest))
    for name in ("tune.toml", "objective.sh"):
        if name not in config_map["data"]:
            fail(f"the ConfigMap has no {name}")
        with open(os.path.join(here, name)) as f:
            if f.read().splitlines() != config_map["data"][name].splitlines():
                fail(f"the ConfigMap's {name} differs from {name} beside the manifest")
    if pod.get("initContainers"):
        fail("init containers: the worker needs none (the URL is FERROTUNE_STORAGE, the config is mounted as it is)")
    # The Secret's URL reaches a container as an environment variable.
    secret_vars = {}
    for c in containers:
        for e in c.get("env", []):
            ref = e.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                if ref["name"] != secret["metadata"]["name"] or ref["key"] not in secret["stringData"]:
                    fail(f"{c['name']}: {e['name']} refers to {ref}, not to the Secret's keys")
                secret_vars[e["name"]] = ref["key"]
    worker_vars = {e["name"] for e in worker.get("env", [])}
    if secret_vars.get("FERROTUNE_STORAGE") is None or "FERROTUNE_STORAGE" not in worker_vars:
        fail("the worker does not take FERROTUNE_STORAGE from the Secret")
    print(f"  manifest: Secret, ConfigMap, Job (batch/v1) with parallelism {parallelism}, completions {completions}; "
          f"worker command {' '.join(worker['command'])}; {', '.join(secret_vars)} from the Secret")

    # Each pod on this machine: a folder per volume (a ConfigMap's holds its
    # files), the mount paths in the commands mapped to those folders; the
    # init containers one after the other, then the worker. The workers of
    # all pods run at once.
    def pod_steps(index: int) -> list[tuple[str, list[str], dict[str, str]]]:
        folders = {}
        for name, v in volumes.items():
            folder = os.path.join(workdir, f"pod-{index}", name)
            os.makedirs(folder)
            if "configMap" in v:
                for key, text in config_map["data"].items():
                    with open(os.path.join(folder, key), "w") as f:
                        f.write(text)
            folders[name] = folder
        steps = []
        for c in containers:
            mounts = {m["mountPath"]: folders[m["name"]] for m in c.get("volumeMounts", []) if "subPath" not in m}

            def local(path: str) -> str:
                for mount, folder in sorted(mounts.items(), key=lambda m: -len(m[0])):
                    if path.startswith(mount.rstrip("/") + "/"):
                        return folder + path[len(mount.rstrip("/")) :]
                fail(f"{c['name']}: {path} is inside no directory mount")

            # A subPath mount puts one file of a volume at a path inside
            # another mount: here, a copy of it there.
            for m in c.get("volumeMounts", []):
                if "subPath" in m:
                    shutil.copyfile(os.path.join(folders[m["name"]], m["subPath"]), local(m["mountPath"]))
            command = list(c["command"]) + list(c.get("args", []))
            for path, folder in sorted(mounts.items(), key=lambda m: -len(m[0])):
                command = [arg.replace(path, folder) for arg in command]
            env = dict(os.environ)
            for e in c.get("env", []):
                env[e["name"]] = url if e["name"] in secret_vars else str(e.get("value", ""))
            steps.append((c["name"], command, env))
        return steps

    started = time.monotonic()
    pods = []
    for i in range(parallelism):
        log = open(os.path.join(workdir, f"pod-{i}.log"), "w")
        *inits, (_, command, env) = pod_steps(i)
        for name, init_command, init_env in inits:
            code = subprocess.run(init_command, env=init_env, stdout=log, stderr=subprocess.STDOUT, timeout=30).returncode
            if code != 0:
                fail(f"pod {i}: init container {name} exited {code}; see {workdir}/pod-{i}.log")
        pods.append((i, subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)))
    for i, p in pods:
        try:
            code = p.wait(timeout=120)
        except subprocess.TimeoutExpired:
            p.kill()
            fail(f"pod {i} still running after 120 s; see {workdir}/pod-{i}.log")
        if code != 0:
            fail(f"pod {i} exited {code}; see {workdir}/pod-{i}.log")
    print(f"  {parallelism} pods ran to completion in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    if len(sys.argv) in (6, 7) and sys.argv[1] == "study":
        check_study(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]) if len(sys.argv) == 7 else 0)
    elif len(sys.argv) >= 4 and sys.argv[1] == "workers":
        check_workers(int(sys.argv[2]), sys.argv[3:])
    elif len(sys.argv) == 5 and sys.argv[1] == "k8s":
        k8s(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)
