# adwatch: `make run`, `make test` and `make check` do all set-up on a fresh Debian 12
# machine (as root, with only Python 3.11).  All are idempotent: each step only does
# what is missing.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# chromium: the browser Playwright drives (never `playwright install`)
# fonts-noto-cjk, fonts-noto-color-emoji: Chinese text and emoji in screenshots and PDFs
# openssl: RFC 3161 timestamps; redis-server: the frontier of --job-dir and of several
# hosts; poppler-utils: PDF checks
# libgl1, libglib2.0-0: OpenCV (opencv-contrib-python, which PaddleOCR's pipeline requires)
# libpango-1.0-0, libpangoft2-1.0-0: WeasyPrint lays out the PDF dossiers with Pango
APT_PACKAGES := chromium fonts-noto-cjk fonts-noto-color-emoji openssl redis-server poppler-utils \
	libgl1 libglib2.0-0 libpango-1.0-0 libpangoft2-1.0-0

.PHONY: run test check lint setup setup-dev apt venv venv-dev bench clean

run: setup
	$(BIN)/adwatch crawl --demo
	@# one dossier per regulator for the demo's largest operator (--unreviewed: the demo has no reviews)
	for r in cac samr nfra; do \
	  $(BIN)/adwatch dossier --regulator $$r --cluster largest --unreviewed --out var/dossiers/$$r --zip || exit 1; \
	done
	@# the workbench on the demo data: a demo user (its password printed once, when made)
	@$(BIN)/adwatch user add demo --role admin --if-missing
	@echo "workbench: $(BIN)/adwatch web   then open http://127.0.0.1:8765/ and log in as demo"

test: setup-dev lint
	$(BIN)/python -m pytest -q --durations=20

# the fast lane: lint and the tests that start no browser and crawl no whole web
check: setup-dev lint
	$(BIN)/python -m pytest -q -m "not slow and not browser"

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/mypy

# setup: what `make run` needs; setup-dev adds what tests and lint need
setup: apt venv
setup-dev: setup venv-dev

apt:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# each stamp is older than the files it was installed from when they change, so an
# edit to either list (or a fresh clone, with no stamps) installs again
venv: $(VENV)/.installed
venv-dev: $(VENV)/.installed-dev

$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.txt
	# rapidocr wants opencv-python-headless, PaddleOCR opencv-contrib-python; both write
	# cv2/. Contrib (a superset) is put back last so cv2 is one whole package.
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps --force-reinstall \
	  $$(grep -i '^opencv-contrib-python==' requirements.txt)
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

# the runtime pins as constraints: a test or lint tool never moves what adwatch runs on
$(VENV)/.installed-dev: requirements-dev.txt requirements.txt $(VENV)/.installed
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt \
	  -c requirements.txt
	touch $@

bench: setup
	$(BIN)/python bench/crawl.py
	$(BIN)/python bench/detect.py
	$(BIN)/python bench/detect_hostile.py
	$(BIN)/python bench/ocr.py
	$(BIN)/python bench/capture.py
	$(BIN)/python bench/index.py

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
