"""Muni's shared library: what the Rasa side, the action server, the gateway and the CLI all need.

It imports nothing else of this project (checked by ``tests/unit/test_import_rules.py``), and only
packages both Python environments have (the standard library, PyYAML, SQLAlchemy 1.4/2.x).
"""
