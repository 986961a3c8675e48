"""The multi-objective bench (driven by bench/python/mo_bench.py, run by
bench/mo.sh): test problems, the methods compared, the report."""
