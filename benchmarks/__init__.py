"""Benchmarks of the engine (run ``benchmarks/bench.py``); a package so tests can import them."""
