# Two commands for a fresh machine with Python 3.11+:  `make serve` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install serve test clean screenshots openapi constraints

$(STAMP): pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet 'pip==26.3'
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test]'
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

# Re-pin constraints.txt from the current .venv after a dependency changes in pyproject.toml.
constraints: $(STAMP)
	{ echo "# Pinned versions of everything make installs (make install / serve / test): a new machine gets what was tested."; \
	  echo "# Regenerate after changing dependencies: make constraints"; \
	  $(PY) -m pip freeze --exclude-editable | grep -v '^callguide'; } > constraints.txt
