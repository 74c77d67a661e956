"""Muni's tests; ``tests.support`` holds the helpers every test folder and the benchmarks share."""
