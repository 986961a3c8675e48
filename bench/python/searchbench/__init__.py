"""Search-quality and sampler-overhead benchmark of ferrotune against Optuna,
rustuna and Hyperopt (driven by bench/python/search_bench.py, run by
bench/search.sh; protocol in bench/README.md)."""
