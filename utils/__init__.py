"""Plumbing for the transfer-learning course: tracks, data, backbones, plots.

The lesson code (freezing, heads, training loops) stays in the notebooks; this
package holds what they share.
"""

from .backbones import (
    KERAS_APPLICATIONS,
    WeightsUnavailableError,
    adapt_images,
    get_preprocessing,
    list_backbones,
    load_backbone,
    load_card,
    load_source_classifier,
)
from .course.quiet import import_tensorflow
from .course.results import results_summary, write_results
from .course.speed import configure_speed, speed_settings
from .course.track import VALID_TRACKS, in_colab, miniature, select_track
from .data import (
    DigitSplits,
    Split,
    load_digits_splits,
    load_faces_splits,
    make_dataset,
    sample_k_shot,
)
from .domains import DomainTask, clean_render_config, load_domain_task
from .exercises import check_answer
from .features import cached_features, extract_features
from .finetune import L2SP, backbone_blocks, discriminative_learning_rates, freeze_batchnorm, glyphnet_blocks
from .folders import load_image_folder, scan_image_folder
from .metrics import (
    apply_temperature,
    bootstrap_ci,
    expected_calibration_error,
    fit_temperature,
    mcnemar_test,
    paired_difference,
    plot_reliability_diagram,
    relative_error_reduction,
    reliability_curve,
    transfer_gain,
)
from .plotting import plot_data_parallel, plot_history, plot_image_grid, set_course_style
from .probing import cut_backbone, linear_probe, make_linear_probe, probe_layers
from .seed import set_seed
from .synthetic import RenderConfig, render_characters
from .training import GraphTrainer, train_in_graph
from .web_data import load_photo_splits

__all__ = [
    "apply_temperature", "bootstrap_ci", "expected_calibration_error", "fit_temperature", "mcnemar_test", "paired_difference",
    "plot_reliability_diagram", "relative_error_reduction", "reliability_curve", "transfer_gain",
    "DomainTask", "clean_render_config", "load_domain_task", "load_faces_splits",
    "KERAS_APPLICATIONS", "VALID_TRACKS", "adapt_images", "write_results", "cached_features", "cut_backbone",
    "linear_probe", "make_linear_probe", "probe_layers", "train_in_graph", "GraphTrainer", "load_photo_splits", "L2SP", "discriminative_learning_rates",
    "freeze_batchnorm", "glyphnet_blocks", "backbone_blocks", "DigitSplits", "RenderConfig", "Split", "WeightsUnavailableError",
    "extract_features", "get_preprocessing", "import_tensorflow", "in_colab", "list_backbones", "load_backbone", "load_card",
    "load_digits_splits", "load_image_folder", "load_source_classifier", "make_dataset", "plot_history",
    "plot_image_grid", "render_characters", "sample_k_shot", "scan_image_folder", "select_track", "set_seed",
    "configure_speed", "speed_settings", "check_answer", "set_course_style", "miniature", "results_summary", "plot_data_parallel",
]
__version__ = "0.1.0"

# utils.adaptation defines a Keras layer, so it imports TensorFlow; load it on first use
_LAZY = {name: "adaptation" for name in
         ("GradientReversal", "adabn", "coral_loss", "dann_lambda", "mmd_loss", "proxy_a_distance")}
__all__ += list(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

import os as _os  # noqa: E402

if _os.environ.get("TL_FORBID_NETWORK"):  # set by the test suite, so notebooks run under nbval are guarded too
    from .course.netguard import forbid_network as _forbid_network

    _forbid_network()
