"""Analyses across runs: the correlation of the 16-scenario experiment with the benchmarks."""
