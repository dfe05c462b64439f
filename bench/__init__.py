"""Benchmarks: run as modules (`python -m bench.plan_apply`), never by the test suite."""
