"""Transferability scores: rank pre-trained models on a target task without fine-tuning.

Each score looks at what a frozen pre-trained model produces on the labelled target
examples (its features, or its predictions over the source classes) and says how
well those outputs explain the target labels. Higher means the model is expected to
transfer better. The scores are for *ranking* candidate models on one target task;
their values are not comparable across tasks or datasets.

- :func:`logme`: the maximum log evidence of a Bayesian linear model on the features
  (per example, averaged over one-vs-rest targets); :func:`log_evidence` computes the
  evidence directly for given hyperparameters.
- :func:`h_score`: how much of the feature covariance is explained by the class means.
- :func:`leep`: the log-likelihood of a classifier built from the source model's soft
  predictions over its source classes.
- :func:`nce`: the negative conditional entropy of the target labels given the source
  model's hard (argmax) predictions.

This module needs only NumPy; it imports neither TensorFlow nor Keras.

References
----------
You et al., "LogME: Practical assessment of pre-trained models for transfer learning", ICML 2021.
MacKay, "Bayesian interpolation", Neural Computation 1992 (the evidence fixed-point updates).
Bao et al., "An information-theoretic approach to transferability in task transfer learning", ICIP 2019 (H-score).
Nguyen et al., "LEEP: A new measure to evaluate transferability of learned representations", ICML 2020.
Tran et al., "Transferability and hardness of supervised classification tasks", ICCV 2019 (NCE).
"""

from .logme import _logme_fit, log_evidence, logme  # noqa: F401 - _logme_fit: the fit behind logme, for tests
from .scores import h_score, leep, nce

__all__ = ["h_score", "leep", "log_evidence", "logme", "nce"]
