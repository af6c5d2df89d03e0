# Two commands for a fresh machine with Python 3.11+:  `make serve` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install serve test clean screenshots openapi

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

serve: $(STAMP)
	$(VENV)/bin/callguide serve

test: $(STAMP)
	VENV=$(VENV) scripts/install-browser
	$(PY) -m pytest

clean:
	rm -rf $(VENV)

# Regenerate the committed OpenAPI document (tests/test_service.py checks it matches the app).
openapi: $(STAMP)
	$(PY) -m callguide.service --write api/openapi.json

# Refresh the committed screenshots in docs/screenshots from a real browser run.
screenshots: $(STAMP)
	CALLGUIDE_SCREENSHOTS=docs/screenshots $(PY) -m pytest tests/test_web_browser.py tests/test_walkthrough_browser.py
