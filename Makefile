# Two commands do all the set-up on a fresh machine:
#   make demo   create .venv (Python 3.12) if missing, install spectra with its extras, write the report
#   make test   the same set-up, then the whole test suite
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# DOLFINx's pip wheel needs Python 3.12: take the first python3.12 that really runs.
PY312 := $(shell for p in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12 /usr/local/bin/python3.12 /usr/bin/python3.12; do \
	$$p -c 'import sys; assert sys.version_info[:2] == (3, 12)' >/dev/null 2>&1 && { echo $$p; break; }; done)
OUT ?= results/report
PROFILE ?= quick

.PHONY: demo test install lint clean docs docs-check

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -n "$(PY312)" || { echo "make: no working python3.12 found (DOLFINx's wheel needs Python 3.12)"; exit 1; }
	test -x $(PY) || $(PY312) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[fem,notebooks,dev,images,dask,docs]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/spectra report --out $(OUT) --profile $(PROFILE) --force

test: $(STAMP)
	$(PY) -m pytest -n 2 --dist loadgroup tests

# The documentation (docs/README.md): warnings are errors; notebooks run at small size through a cache.
docs: $(STAMP)
	$(VENV)/bin/sphinx-build -W --keep-going -n -b html docs docs/_build/html

# The built site opened in headless Chromium (index, an API page, a notebook page).
docs-check: docs
	SPECTRA_DOCS_BUILT=1 $(PY) -m pytest -q -p no:cacheprovider tests/test_docs.py

lint: $(STAMP)
	$(VENV)/bin/ruff check spectra analysis tests

clean:
	rm -rf $(VENV) results .pytest_cache
