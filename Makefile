# crosscheck — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip install -q --disable-pip-version-check -c constraints.txt
STAMP  := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: setup run test lint bench-ingest bench-verify bench-batch bench-scifact bench-climate-fever eval clean

# torch first, pinned to the CPU build on this machine's disk, so nothing pulls a CUDA build.
$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) torch==2.13.0
	$(PIP) -e '.[test,llm-server]'
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)
	@touch $@

setup: $(STAMP)

# The main job on the embedded defaults: ingest seeds/, list them, verify the sample claim list
# (reports/sample.jsonl; add `-o reports/sample.html` for a report to open in a browser).
run: setup
	$(VENV)/bin/crosscheck ingest
	$(VENV)/bin/crosscheck sources
	$(VENV)/bin/crosscheck batch evals/sample_claims.txt -o reports/sample.jsonl

test: setup
	$(PY) -m pytest -q
	$(VENV)/bin/crosscheck --data-dir .crosscheck/eval eval --gate --report reports/seed

# The seed eval suite with a report (reports/eval/report.html) and deltas against evals/baseline_summary.json.
eval: setup
	$(VENV)/bin/crosscheck --data-dir .crosscheck/eval eval --report reports/eval

# Public benchmarks (data from ../shared/benchmarks, stores in .bench/): slow, not part of CI.
bench-scifact: setup
	$(PY) -m evals.scifact

bench-climate-fever: setup
	$(PY) -m evals.climate_fever

lint: setup
	$(PIP) ruff mypy
	$(PY) -m ruff check agent tests evals
	$(PY) -m mypy agent

bench-ingest: setup
	$(PY) -m evals.bench_ingest

bench-verify: setup
	$(PY) -m evals.bench_verify

bench-batch: setup
	$(PY) -m evals.bench_batch

clean:
	rm -rf .crosscheck reports .bench
