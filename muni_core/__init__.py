"""Muni's shared library: what the Rasa side, the action server, the gateway and the CLI all need.

It imports nothing else of this project (checked by ``tests/architecture/test_import_rules.py``), and only
packages both Python environments have (the standard library, PyYAML, SQLAlchemy 1.4/2.x) — except
``muni_core.console`` (password hashing with argon2), which only the gateway and the CLI import.
"""
