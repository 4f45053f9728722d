# One-command entry points; each sets up .venv from requirements.txt when it is missing or stale.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: lab test lint unit notebooks course reproduce backbones clean

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

## make lab: JupyterLab on notebooks/ (offline track unless TL_TRACK says otherwise)
lab: $(STAMP)
	$(VENV)/bin/jupyter lab --ServerApp.root_dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root,)

## make test: lint (code and notebooks), unit tests, then every notebook under nbval
test: lint unit notebooks

lint: $(STAMP)
	$(PY) -m ruff check utils tests notebooks

unit: $(STAMP)
	$(PY) -m pytest tests

notebooks: $(STAMP)
	TL_TRACK=offline $(PY) -m pytest --nbval-lax --nbval-current-env notebooks

## make course: execute every notebook headless (fresh kernel each, offline track), measure time and
## memory, fail on an error or a broken budget, rewrite the README tables and benchmarks/course.json
course: $(STAMP)
	$(PY) -m utils.course run

## make reproduce: run the course again without touching the notebooks or the README, and list every
## number that moved by more than 0.5 points against benchmarks/course.json
reproduce: $(STAMP)
	TL_RESULTS_DIR=$(CURDIR)/.cache/course/results $(PY) -m utils.course run --no-write --no-readme \
	  --table .cache/course/rerun.json
	$(PY) -m utils.course compare benchmarks/course.json .cache/course/rerun.json

## make backbones: rebuild the shipped course backbones in data/pretrained/
backbones: $(STAMP)
	for name in glyphnet-letters glyphnet-letters-narrow glyphnet-digits glyphnet-fractals; do \
		$(PY) -m utils.pretrain $$name || exit 1; \
	done

clean:
	rm -rf $(VENV) .cache .pytest_cache .ruff_cache
