"""Where the gateway finds the checkout's models and content (one place for every module of the gateway)."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = REPO_ROOT / "models"
CONTENT_DIR = REPO_ROOT / "content"
STATIC_DIR = Path(__file__).resolve().parent / "static"
WIDGET_DIR = STATIC_DIR / "widget"
DEFAULT_STT_MODEL_DIR = MODELS_DIR / "stt" / "whisper-base"
"""Put there by ``muni models install``."""
DEFAULT_DANISH_VOICE = MODELS_DIR / "tts" / "da_DK-talesyntese-medium.onnx"
"""Used when present and no other Piper voice is configured (see docs/voice.md)."""
