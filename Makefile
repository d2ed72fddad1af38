# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint install clean demo preview bench-reconcile bench fuzz

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/screening run --input input --output output

# ruff (style, complexity limits), mypy (types), import-linter (the one-way layer contract in pyproject.toml).
lint: $(STAMP)
	$(BIN)/ruff check pipeline tests bench scripts
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

test: lint
	$(BIN)/python -m pytest

# The larger budgets: 300 fuzz examples, 50 random SIGKILLs, every hostile case alone.
fuzz: $(STAMP)
	FUZZ_EXAMPLES=300 KILL_RUNS=50 $(BIN)/python -m pytest tests/e2e/test_fuzz.py tests/e2e/test_kill.py tests/hostile -q

demo: $(STAMP)
	$(BIN)/screening demo --seed 2020 --force input

clean:
	rm -rf output/20* output/.tmp-*

# Optional: look at the outputs as a reader would. Installs LibreOffice, a CJK font and poppler
# (Debian/Ubuntu, needs root) when missing, runs the demo (at AS_OF=YYYY-MM-DD, default today clamped to
# the programme) and renders that run's circular and workbooks to PDF and PNG pages under
# output/preview/<as-of>/, and the README's pictures of the circular (docs/img/circular*.png, scripts/circular_images.py).
AS_OF ?=
preview: $(STAMP)
	@command -v libreoffice >/dev/null && command -v pdftoppm >/dev/null && fc-list | grep -qi "CJK" || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	   libreoffice-writer libreoffice-calc fonts-noto-cjk poppler-utils) || \
	  (echo "无法安装 LibreOffice/poppler（需要 root 和网络）：请手工安装 libreoffice、fonts-noto-cjk、poppler-utils。"; exit 2)
	$(BIN)/python scripts/preview.py $(if $(AS_OF),--as-of $(AS_OF))
	$(BIN)/python scripts/circular_images.py

bench-reconcile: $(STAMP)
	$(BIN)/python bench/bench_reconcile.py --roster 1000000 --log 2000000

# Not part of `make test`: the pipeline on the five-community (≈200 k rows), county, city and province
# corpora (generated on demand
# into bench/corpus/, git-ignored) with the openpyxl, unzip-and-scan and pandas-writer baselines;
# rewrites the scale section of BENCHMARKS.md. Takes tens of minutes on 2 cores.
BENCH_SIZES ?= five county city province
bench: $(STAMP)
	$(BIN)/python bench/bench_scale.py $(BENCH_SIZES)
