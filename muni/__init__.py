"""Muni: command line and orchestration of the Danish citizen assistant."""

__version__ = "0.1.0"
