"""Read `ferrotune trials --format json` on stdin and check the main job's claims:
the tuned network clearly beats the hand-picked default (trial 0), and the
pruner stopped some trials."""

import json
import sys

trials = json.load(sys.stdin)
states = [t["state"] for t in trials]
default = trials[0]["values"][0]
best = max(t["values"][0] for t in trials if t["state"] == "complete")
n_complete, n_pruned = states.count("complete"), states.count("pruned")
print("default %.4f  best %.4f  complete %d  pruned %d" % (default, best, n_complete, n_pruned))
assert best > default + 0.05, "tuning did not beat the default clearly"
assert n_pruned > 0, "nothing was pruned"
