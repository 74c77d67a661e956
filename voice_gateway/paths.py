"""The gateway's own files (pages, widget); the checkout's folders come from ``muni_core.paths``."""

from __future__ import annotations

from pathlib import Path

from muni_core.paths import CONTENT_DIR, DEFAULT_DANISH_VOICE, DEFAULT_STT_MODEL_DIR, MODELS_DIR, REPO_ROOT

STATIC_DIR = Path(__file__).resolve().parent / "static"
WIDGET_DIR = STATIC_DIR / "widget"

__all__ = [
    "CONTENT_DIR",
    "DEFAULT_DANISH_VOICE",
    "DEFAULT_STT_MODEL_DIR",
    "MODELS_DIR",
    "REPO_ROOT",
    "STATIC_DIR",
    "WIDGET_DIR",
]
