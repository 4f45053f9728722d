"""Course machinery: how the course is set up, run and measured. Not lesson material.

The lessons live in :mod:`utils` (data, backbones, fine-tuning, adaptation, metrics,
transferability, plotting). This sub-package holds what runs around them:

========================  ===========================================================
:mod:`.track`             choose the offline or imagenet track, print the set-up
:mod:`.speed`             mixed precision, XLA and BLAS threads for this machine
:mod:`.quiet`             import TensorFlow without its start-up log
:mod:`.paths`             the project root, the cache folder, atomic writes
:mod:`.downloads`         fetch a file once, hash-checked (the imagenet track)
:mod:`.results`           write a notebook's results records
:mod:`.runner`            ``python -m utils.course``: execute the notebooks, check budgets
:mod:`.rehearsal`         ``python -m utils.course rehearse``: the imagenet track, offline
:mod:`.standins`          miniature stand-ins of the imagenet track's downloads
:mod:`.tables`            the results and cost tables (JSON and README)
:mod:`.reference`         the reference workload that makes times comparable
:mod:`.nbbudget`          the pytest plugin that checks budgets under nbval
:mod:`.netguard`          refuse network connections in tests and kernels
:mod:`.deps`              the dependency groups declared in ``pyproject.toml``
:mod:`.colab`             install what a Colab or Kaggle runtime lacks
========================  ===========================================================

Importing this package imports nothing else: each module is loaded when asked for.
"""
