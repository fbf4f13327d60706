# crosscheck — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip install -q --disable-pip-version-check -c constraints.txt
STAMP  := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: setup setup-test train-stance run test lint bench-ingest bench-verify bench-batch bench-scale bench-scifact bench-climate-fever eval clean
.PHONY: test-hardening gate gate-seed gate-heldout2 gate-test3 gate-headlines gate-scifact gate-climate-fever baselines

TEST_STAMP := $(VENV)/.installed-test

# torch first, pinned to the CPU build on this machine's disk, so nothing pulls a CUDA build.
# The main job needs only the project; the llama.cpp server and Chromium are for the tests.
$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) torch==2.13.0
	$(PIP) -e .
	@touch $@

$(TEST_STAMP): $(STAMP)
	$(PIP) -e '.[test,llm-server]'
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)
	@touch $@

setup: $(STAMP)

setup-test: $(TEST_STAMP)

# Retrain the shipped stance model (agent/stance/weights): seeded, resumable (.train/stance), ~45 min on 2 cores.
train-stance: setup
	$(PIP) -e '.[train]'
	$(PY) -m agent.stance.train

# The main job on the embedded defaults: ingest seeds/, list them, verify the sample claim list
# (reports/sample.jsonl; add `-o reports/sample.html` for a report to open in a browser).
run: setup
	$(VENV)/bin/crosscheck ingest
	$(VENV)/bin/crosscheck sources
	$(VENV)/bin/crosscheck batch evals/sample_claims.txt -o reports/sample.jsonl

test: setup-test
	$(PY) -m pytest -q
	$(MAKE) -k gate

# Faults and hostile input on their own (also part of `make test`).
test-hardening: setup-test
	$(PY) -m pytest -q tests/test_hostile_input.py tests/test_concurrency.py tests/test_offline_guard.py \
	  tests/test_properties.py tests/test_llm_breaker.py tests/test_llm_faults.py tests/test_store_faults.py \
	  tests/test_injection_offline.py tests/test_server_faults.py

# The CI gate: each gold set and benchmark slice against its own committed baseline in evals/baselines/
# (`make -k gate` runs them all and fails if any failed). Claim sets: macro-F1 >= baseline - 0.02; slices:
# SciFact abstract label-only F1 and sentence selection+label F1, Climate-FEVER 4-way accuracy and macro-F1,
# each >= baseline - 0.03; everywhere: every citation passes the slice check and no case raises.
# After an intended change to the verifier: `make baselines`, then commit evals/baselines/.
EVAL_CMD  := $(VENV)/bin/crosscheck --data-dir .crosscheck/eval eval
SCIFACT_SLICE := 100
CF_SLICE      := 300
BASE      := evals/baselines

gate: gate-seed gate-heldout2 gate-test3 gate-headlines gate-scifact gate-climate-fever

gate-seed: setup
	$(EVAL_CMD) --baseline $(BASE)/seed.json --gate --report reports/seed

gate-heldout2: setup
	$(EVAL_CMD) --dataset evals/gold/heldout2_claims.jsonl --baseline $(BASE)/heldout2.json --gate --report reports/heldout2

gate-test3: setup
	@if [ -f evals/gold/test3_claims.jsonl ]; then \
	  echo "$(EVAL_CMD) --dataset evals/gold/test3_claims.jsonl --baseline $(BASE)/test3.json --gate --report reports/test3"; \
	  $(EVAL_CMD) --dataset evals/gold/test3_claims.jsonl --baseline $(BASE)/test3.json --gate --report reports/test3; \
	else echo "gate-test3: evals/gold/test3_claims.jsonl is absent, skipped"; fi

# headline-style claims on their own corpus (a third story among unrelated articles), in their own store
HEADLINES := $(VENV)/bin/crosscheck --data-dir .crosscheck/test_headlines
HEADLINES_EVAL := $(HEADLINES) eval --dataset evals/gold/test_headlines_claims.jsonl --no-ingest-seeds
gate-headlines: setup
	$(HEADLINES) ingest evals/corpora/test_headlines
	$(HEADLINES_EVAL) --baseline $(BASE)/test_headlines.json --gate --report reports/test_headlines

gate-scifact: setup
	$(PY) -m evals.scifact --slice $(SCIFACT_SLICE) --gate --baseline $(BASE)/scifact-slice$(SCIFACT_SLICE).json

gate-climate-fever: setup
	$(PY) -m evals.climate_fever --slice $(CF_SLICE) --gate --baseline $(BASE)/climate-fever-slice$(CF_SLICE).json

# Regenerate every baseline the gate reads (then review the diff and commit evals/baselines/).
baselines: setup
	$(EVAL_CMD) --baseline $(BASE)/seed.json --write-baseline --report reports/seed
	$(EVAL_CMD) --dataset evals/gold/heldout2_claims.jsonl --baseline $(BASE)/heldout2.json --write-baseline --report reports/heldout2
	@if [ -f evals/gold/test3_claims.jsonl ]; then \
	  $(EVAL_CMD) --dataset evals/gold/test3_claims.jsonl --baseline $(BASE)/test3.json --write-baseline --report reports/test3; \
	else echo "baselines: evals/gold/test3_claims.jsonl is absent, skipped"; fi
	$(HEADLINES) ingest evals/corpora/test_headlines
	$(HEADLINES_EVAL) --baseline $(BASE)/test_headlines.json --write-baseline --report reports/test_headlines
	$(PY) -m evals.scifact --slice $(SCIFACT_SLICE) --write-baseline --baseline $(BASE)/scifact-slice$(SCIFACT_SLICE).json
	$(PY) -m evals.climate_fever --slice $(CF_SLICE) --write-baseline --baseline $(BASE)/climate-fever-slice$(CF_SLICE).json

# The seed eval suite with a report (reports/eval/report.html) and deltas against evals/baselines/seed.json.
eval: setup
	$(VENV)/bin/crosscheck --data-dir .crosscheck/eval eval --report reports/eval

# Public benchmarks in full (data from ../shared/benchmarks, stores in .bench/): slow, not part of CI
# (CI gates on fixed slices of them: gate-scifact, gate-climate-fever).
bench-scifact: setup
	$(PY) -m evals.scifact

bench-climate-fever: setup
	$(PY) -m evals.climate_fever

lint: setup
	$(PIP) ruff mypy
	$(PY) -m ruff check agent tests evals
	$(PY) -m ruff format --check agent tests evals
	$(PY) -m mypy agent

bench-ingest: setup
	$(PY) -m evals.bench_ingest

bench-verify: setup
	$(PY) -m evals.bench_verify

bench-batch: setup
	$(PY) -m evals.bench_batch

# Verification cost as the corpus grows: 1k / 10k / 50k documents built from SciFact (hours at 50k on 2 cores;
# SIZES="1000 10000" for less). Results in reports/bench-scale.json.
SIZES ?= 1000 10000 50000
bench-scale: setup
	$(PY) -m evals.bench_scale --sizes $(SIZES)

clean:
	rm -rf .crosscheck reports .bench
