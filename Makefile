# One-command entry points; each sets up .venv from requirements.txt when it is missing or stale.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: lab test lint unit notebooks course backbones clean

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
	TL_TRACK=offline $(PY) -m pytest --nbval-lax notebooks

## make course: execute every notebook headless, in place, offline track
course: $(STAMP)
	@for nb in notebooks/[0-9]*.ipynb; do \
	  echo "== $$nb"; \
	  TL_TRACK=offline $(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=600 --ExecutePreprocessor.record_timing=False "$$nb" || exit 1; \
	done

## make backbones: rebuild the shipped course backbones in data/pretrained/
backbones: $(STAMP)
	for name in glyphnet-letters glyphnet-letters-narrow glyphnet-digits glyphnet-fractals; do \
		$(PY) -m utils.pretrain $$name || exit 1; \
	done

clean:
	rm -rf $(VENV) .cache .pytest_cache .ruff_cache
