"""Benchmarks: ``make bench`` runs every ``bench/bench_*.py``'s ``main()``."""
