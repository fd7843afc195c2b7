"""Benchmarks: `make bench SF=1` (see bench/README.md)."""
