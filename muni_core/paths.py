"""Where things live in a checkout: the one definition of the repository root and its folders."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
BOT_DIR = REPO_ROOT / "bot"
NLU_DIR = REPO_ROOT / "nlu_data"
CONTENT_DIR = REPO_ROOT / "content"
MODELS_DIR = REPO_ROOT / "models"
VAR_DIR = REPO_ROOT / "var"
REPORTS_DIR = REPO_ROOT / "reports"
BENCH_DIR = REPO_ROOT / "bench"
RASA_VENV = REPO_ROOT / ".venv-rasa"
RASA_BIN = RASA_VENV / "bin" / "rasa"
RASA_PYTHON = RASA_VENV / "bin" / "python"
SPACY_MODEL_DIR = MODELS_DIR / "spacy-da-lookup"
FAQ_DOMAIN_FILE = BOT_DIR / "domain" / "faq_responses.yml"
TAXONOMY_CANDIDATES = (REPO_ROOT / "taxonomy.yml", REPO_ROOT.parent / "shared" / "taxonomy.yml")
DEFAULT_STT_MODEL_DIR = MODELS_DIR / "stt" / "whisper-base"
"""Put there by ``muni models install``."""
DEFAULT_DANISH_VOICE = MODELS_DIR / "tts" / "da_DK-talesyntese-medium.onnx"
"""Used when present and no other Piper voice is configured (see docs/voice.md)."""
