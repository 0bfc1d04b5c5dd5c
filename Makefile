# Two commands: `make book` builds the executed book, `make test` runs every test.
# Both create the virtual environment and install what they need on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FASHION := /usr/share/datasets/fashion-mnist
export PATH := $(abspath $(BIN)):$(PATH)
# No MPLBACKEND here: it would reach the chapter kernels, where only the inline backend
# puts figures into the executed pages (tests/conftest.py selects Agg for the tests).

.PHONY: all setup data browser test unit lint book lab bench clean

all: test

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip 'setuptools>=77'
	$(BIN)/python -m pip install --quiet -e '.[book,lab,test]'
	touch $(STAMP)

setup: $(STAMP)

# Fashion-MNIST from Debian's dataset-fashion-mnist package where apt is available;
# elsewhere the library downloads it on first use (see README).
data:
	@if [ -d $(FASHION) ]; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  echo "installing Debian's dataset-fashion-mnist"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >/dev/null) \
	  || echo "note: could not install dataset-fashion-mnist; Fashion-MNIST will be downloaded on first use"; \
	else echo "note: $(FASHION) not found; Fashion-MNIST will be downloaded on first use"; fi

# Headless Chromium for tests/test_site.py (Debian's chromium and chromium-driver) where
# apt is available; elsewhere the browser test is skipped with its reason (CI fails it).
browser:
	@if command -v chromedriver >/dev/null 2>&1 && { command -v chromium || command -v chromium-browser; } >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  echo "installing Debian's chromium and chromium-driver"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
	  || echo "note: could not install chromium; the browser test of the built book will be skipped"; \
	else echo "note: chromium/chromedriver not found; the browser test of the built book will be skipped"; fi

lint: $(STAMP)
	$(BIN)/ruff check lra_edu tests

# The quick check while working: the library's unit tests alone (no book, no browser, no
# JupyterLab, no command-line or experiment-grid suites; those are marked `integration`
# in tests/conftest.py and run by `make test`).
unit: $(STAMP)
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 \
	  $(BIN)/python -m pytest -n 2 -q -m "not integration" tests

# The book is built (every chapter executed: a failing cell or check cell fails the build)
# once, then tests/test_site.py reads that build in headless Chromium. Two pytest workers
# on two cores: one BLAS thread each (oversubscribed OpenBLAS threads spin and slow
# everything down many times over).
test: $(STAMP) data browser lint book
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 \
	  $(BIN)/python -m pytest -n 2 --dist loadscope tests

# Kernels get no MPLBACKEND (figures must be inline) and precompute every widget state
# (LRA_EDU_WIDGETS=static, see lra_edu/widgets.py) so the static pages' controls work.
# Every chapter is executed afresh, $(BOOK_JOBS) kernels at a time, into an emptied notebook
# cache that the build then reads (a chapter that fails there is rerun and reported by the
# build itself).
BOOK_JOBS ?= 2
BOOK_ENV := env -u MPLBACKEND LRA_EDU_WIDGETS=static OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
book: $(STAMP) data
	rm -rf _build/html _build/.doctrees
	$(BOOK_ENV) $(BIN)/python tools/execute_chapters.py --jobs $(BOOK_JOBS) --cache _build/.jupyter_cache
	$(BOOK_ENV) $(BIN)/jupyter-book build . -W -n --keep-going || { \
	  for f in _build/html/reports/*.err.log _build/html/reports/*.log; do [ -f "$$f" ] && cat "$$f"; done; exit 1; }
	$(MAKE) --no-print-directory downloads
	@echo "book: open _build/html/index.html"

# What a reader takes away from the site (the intro links both): the library's wheel and
# every chapter notebook in one zip, in $(DOWNLOADS) (tests/test_takeaway.py uses another).
DOWNLOADS ?= _build/html/downloads
.PHONY: downloads
downloads:
	rm -rf $(DOWNLOADS) && mkdir -p $(DOWNLOADS)
	$(BIN)/python -m pip wheel --quiet --no-deps --no-build-isolation --wheel-dir $(DOWNLOADS) .
	rm -rf build
	$(BIN)/python tools/chapters_zip.py $(DOWNLOADS)/lra_edu-chapters.zip

# JupyterLab on the book's chapters, with a live kernel for the widgets (localhost only).
# A MPLBACKEND set in the shell is dropped so that the kernel draws figures inline; root needs --allow-root.
lab: $(STAMP)
	env -u MPLBACKEND $(BIN)/jupyter lab --ip=127.0.0.1 $$([ "$$(id -u)" = 0 ] && echo --allow-root) book/intro.ipynb

bench: $(STAMP)
	$(BIN)/lra-edu bench

# The student edition: every chapter notebook with its worked solutions removed (a note
# in their place), under _build/student/; the instructor keeps the full book.
.PHONY: student
student: $(STAMP)
	$(BIN)/python tools/student_edition.py _build/student

clean:
	rm -rf _build .venv
