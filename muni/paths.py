"""Where things live in a checkout."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
BOT_DIR = REPO_ROOT / "bot"
NLU_DIR = REPO_ROOT / "nlu_data"
CONTENT_DIR = REPO_ROOT / "content"
MODELS_DIR = REPO_ROOT / "models"
VAR_DIR = REPO_ROOT / "var"
REPORTS_DIR = REPO_ROOT / "reports"
RASA_VENV = REPO_ROOT / ".venv-rasa"
RASA_BIN = RASA_VENV / "bin" / "rasa"
RASA_PYTHON = RASA_VENV / "bin" / "python"
SPACY_MODEL_DIR = MODELS_DIR / "spacy-da-lookup"
FAQ_DOMAIN_FILE = BOT_DIR / "domain" / "faq_responses.yml"
TAXONOMY_CANDIDATES = (REPO_ROOT / "taxonomy.yml", REPO_ROOT.parent / "shared" / "taxonomy.yml")
