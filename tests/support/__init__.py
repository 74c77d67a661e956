"""Shared test helpers: free ports, scratch databases, Chromium, Rasa event builders (one of each)."""
