"""Muni's benchmarks (``muni bench …``): each prints its figures; ``bench.stats`` is the one percentile."""
