# Two commands do everything on a fresh machine:
#   make book   environment + execute notebooks (PROFILE=full, or PROFILE=ci) + build _build/html
#   make test   environment + the test suite
#   make browser-test   the built book in Chromium, offline (after make book)
#   make student        the student edition of the notebooks, in _build/student
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PROFILE ?= full
ONLY ?=
FORCE ?= 0
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt pyproject.toml | sha256sum | cut -c1-12)

.PHONY: book test browser-test env lint strip bench clean run api mutate student

env: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

run: env
	$(BIN)/python -m homelib run --profile $(PROFILE) $(if $(ONLY),--only $(ONLY)) $(if $(filter 1,$(FORCE)),--force)

book: run
	$(BIN)/jupyter-book build . -W --keep-going -q

test: env
	$(BIN)/python -m pytest

# Every page of _build/html in the distribution's Chromium with no network (tests/browser;
# screenshots in _build/screenshots). Playwright drives /usr/bin/chromium: it downloads no
# browser of its own.
CHROMIUM ?= /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
browser-test: env
	@test -x $(CHROMIUM) || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }
	@test -f _build/html/index.html || { echo "no _build/html: run make book first"; exit 1; }
	HOMELIB_CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest tests/browser

lint: env
	$(BIN)/ruff check .

# Remove outputs from the source notebooks (they are stored without outputs).
strip: env
	$(BIN)/python -m homelib strip

# The student edition of the notebooks (solutions removed, implement-it cells stubbed) in
# _build/student; see book/syllabus.md.
student: env
	$(BIN)/python -m homelib.teaching student

# Regenerate the API reference pages (book/api) and the paper-to-code page from the code.
api: env
	$(BIN)/python -m homelib.apidoc > /dev/null
	$(BIN)/python -m homelib.registry > book/paper_to_code.md

bench: env
	@for b in tests/benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# Mutation testing of the equation functions (tests/benchmarks/mutation.py: its REPORTS list;
# mutmut's own settings in pyproject.toml [tool.mutmut]); slow, not in CI. By default a
# stratified random sample of MUTANTS PFLI and MUTANTS_H2SEA H2SEA mutants (seed SEED), reported
# with a 95% Wilson interval; `make mutate MUTANTS=all` runs every mutant (~2,500 + ~1,000).
# Writes tests/benchmarks/mutation_{pfli,h2sea}.md.
MUTANTS ?= 300
MUTANTS_H2SEA ?= $(if $(filter all,$(MUTANTS)),all,150)
SEED ?= 1
mutate_flags = $(if $(filter all,$(1)),,--sample $(1) --seed $(SEED))
mutate: env
	nice -n 15 $(BIN)/python tests/benchmarks/mutation.py pfli $(call mutate_flags,$(MUTANTS))
	nice -n 15 $(BIN)/python tests/benchmarks/mutation.py h2sea $(call mutate_flags,$(MUTANTS_H2SEA))

clean:
	rm -rf _build data/cache data/results data/.results data/.kernels data/scratch book/[0-9][0-9]_*.ipynb book/.[0-9][0-9]_*.ipynb book/status.md .pytest_cache mutants
