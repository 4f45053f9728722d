"""Pretrain a course backbone on a synthetic source task and write its model card.

Usage::

    python -m utils.pretrain glyphnet-letters            # writes data/pretrained/glyphnet-letters.*
    python -m utils.pretrain glyphnet-letters --out /tmp/zoo

Every epoch sees freshly rendered images (a new seed per epoch), so the
network never memorises a fixed training set; the held-out source accuracy is
measured on images rendered with a seed no epoch uses.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ._checks import is_int_at_least
from .course.paths import atomic_write

PRETRAINED_DIR = Path(__file__).resolve().parents[1] / "data" / "pretrained"
_TEST_SEED_OFFSET = 1_000_003


@dataclass(frozen=True)
class Recipe:
    """How one course backbone is pretrained."""

    chars: str
    description: str
    width: int = 32
    source: str = "chars"  # "chars" (render_characters) or "fractals" (render_fractals)
    n_fractal_classes: int = 20
    image_size: int = 8
    n_per_epoch: int = 20_000
    epochs: int = 10
    n_test: int = 5_000
    batch_size: int = 128
    learning_rate: float = 2e-3
    seed: int = 0


_DIGITS_NOTE = (
    " Source and target share their classes (digits), so this backbone is the one closest to the "
    "real-digits target of notebooks 01-05; it exists to be compared (notebook 05), not as a fair baseline."
)

RECIPES: dict[str, Recipe] = {
    "glyphnet-letters": Recipe(
        chars="letters",
        description=(
            "Classify 52 Latin letters, A-Z and a-z as separate classes (no digits), rendered from "
            "the fonts matplotlib ships with random affine warp, stroke width, blur and noise, at "
            "8x8 pixels with grey levels 0..16 like scikit-learn's digits. Pairs that look alike "
            "once scaled to fill the frame (o/O, s/S, x/X, ...) cap the reachable accuracy below 100%."
        ),
    ),
    "glyphnet-letters-narrow": Recipe(
        chars="letters",
        width=8,
        description=(
            "The glyphnet-letters task (52 rendered letters, 8x8, grey levels 0..16) with a quarter of "
            "the channels (8/16/32 instead of 32/64/128): the same source task at lower capacity."
        ),
    ),
    "glyphnet-digits": Recipe(
        chars="digits",
        description=(
            "Classify the 10 digits rendered from the fonts matplotlib ships, with random affine warp, "
            "stroke width, blur and noise, at 8x8 pixels with grey levels 0..16." + _DIGITS_NOTE
        ),
    ),
    "glyphnet-fractals": Recipe(
        chars="",
        source="fractals",
        description=(
            "Classify 20 formula-driven fractals (each class a random iterated function system drawn "
            "with the chaos game under random rotation, scale and shift; FractalDB-style, Kataoka et al. "
            "2020), 8x8, grey levels 0..16: pretraining without any natural image or character."
        ),
    ),
}


def _sha256(path: Path) -> str:
    from .course.downloads import file_digest

    return file_digest(path, "sha256")


def card_path(name: str, directory: Path | str | None = None) -> Path:
    """Path of the model card of backbone ``name``."""
    return Path(directory or PRETRAINED_DIR) / f"{name}.json"


def weights_path(name: str, directory: Path | str | None = None) -> Path:
    """Path of the weights (backbone and source head) of backbone ``name``."""
    return Path(directory or PRETRAINED_DIR) / f"{name}.weights.h5"


def build_source_classifier(name: str):
    """The untrained source classifier (backbone + head) of a recipe, named ``name``."""
    from .models import build_classifier, build_glyphnet

    recipe = _recipe(name)
    size = recipe.image_size
    backbone = build_glyphnet((size, size, 1), recipe.width, name=name)
    return build_classifier(backbone, n_source_classes(name), name=f"{name}_source_classifier")


def n_source_classes(name: str) -> int:
    """Number of classes of backbone ``name``'s source task."""
    from .synthetic import CHARSETS

    recipe = _recipe(name)
    if recipe.source == "fractals":
        return recipe.n_fractal_classes
    return len(CHARSETS.get(recipe.chars, recipe.chars))


def render_source(name: str, n: int, seed: int):
    """``n`` images of backbone ``name``'s source task: (x in 0..16, y, class_names)."""
    from .fractals import render_fractals
    from .synthetic import render_characters

    recipe = _recipe(name)
    if recipe.source == "fractals":
        return render_fractals(n, recipe.n_fractal_classes, seed=seed, class_seed=0, image_size=recipe.image_size)
    return render_characters(n, recipe.chars, seed=seed, image_size=recipe.image_size)


def _recipe(name: str) -> Recipe:
    if name not in RECIPES:
        raise ValueError(f"Unknown course backbone {name!r}. Known recipes: {', '.join(sorted(RECIPES))}.")
    return RECIPES[name]


def pretrain(
    name: str,
    *,
    out_dir: Path | str | None = None,
    seed: int | None = None,
    epochs: int | None = None,
    verbose: int = 2,
) -> dict:
    """Pretrain backbone ``name`` on its synthetic source task; write weights and card.

    Parameters
    ----------
    name : str
        A key of :data:`RECIPES`.
    out_dir : path or None
        Where to write ``NAME.weights.h5`` and ``NAME.json``; default ``data/pretrained``.
    seed : int or None
        Overrides the recipe's seed.
    epochs : int or None
        Overrides the recipe's number of epochs (for quick tests).
    verbose : int
        Keras verbosity.

    Returns
    -------
    dict
        The model card that was written.
    """
    import keras
    import numpy as np
    import tensorflow as tf

    from .models import scale_digits
    from .seed import set_seed
    recipe = _recipe(name)
    seed = recipe.seed if seed is None else seed
    epochs = recipe.epochs if epochs is None else epochs
    if not is_int_at_least(epochs, 1):
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    out = Path(out_dir or PRETRAINED_DIR)
    out.mkdir(parents=True, exist_ok=True)

    set_seed(seed)
    model = build_source_classifier(name)
    steps = epochs * (recipe.n_per_epoch // recipe.batch_size)
    schedule = keras.optimizers.schedules.CosineDecay(recipe.learning_rate, decay_steps=steps)
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    x_test, y_test, classes = render_source(name, recipe.n_test, seed + _TEST_SEED_OFFSET)
    start = time.perf_counter()
    for epoch in range(epochs):
        x, y, _ = render_source(name, recipe.n_per_epoch, seed * 1000 + epoch)
        ds = tf.data.Dataset.from_tensor_slices((scale_digits(x), y)).batch(recipe.batch_size)
        model.fit(ds, epochs=epoch + 1, initial_epoch=epoch, shuffle=False, verbose=verbose)  # rendered shuffled
    train_seconds = time.perf_counter() - start
    probs = model.predict(scale_digits(x_test), batch_size=512, verbose=0)
    accuracy = float(np.mean(probs.argmax(1) == y_test))

    target = weights_path(name, out)
    # a fresh, uncompiled copy, so the file holds the weights without optimizer state
    clean = build_source_classifier(name)
    clean.set_weights(model.get_weights())
    atomic_write(target, lambda tmp: clean.save_weights(tmp, overwrite=True))
    backbone = model.get_layer(name)
    command = f"python -m utils.pretrain {name}"
    if seed != recipe.seed:
        command += f" --seed {seed}"
    if epochs != recipe.epochs:
        command += f" --epochs {epochs}"
    card = {
        "name": name,
        "architecture": "glyphnet",
        "source_task": recipe.description,
        "source_classes": list(classes),
        "n_source_classes": n_source_classes(name),
        "source_accuracy": round(accuracy, 4),
        "source_accuracy_on": f"{recipe.n_test} held-out rendered images (seed {seed + _TEST_SEED_OFFSET})",
        "input_shape": list(backbone.input_shape[1:]),
        "preprocessing": "x / 16 (grey levels 0..16 to [0, 1])",
        "feature_dim": int(backbone.output_shape[-1]),
        "width": recipe.width,
        "parameters": int(backbone.count_params()),
        "parameters_with_source_head": int(model.count_params()),
        "training": {
            "images_per_epoch": recipe.n_per_epoch,
            "epochs": epochs,
            "batch_size": recipe.batch_size,
            "optimizer": f"Adam, cosine decay from {recipe.learning_rate}",
        },
        "seed": seed,
        "training_time_s": round(train_seconds, 1),
        "command": command,
        "weights_file": target.name,
        "weights_sha256": _sha256(target),
        "weights_bytes": target.stat().st_size,
        "versions": {"tensorflow": tf.__version__, "keras": keras.__version__, "python": sys.version.split()[0]},
        "created": _dt.date.today().isoformat(),
    }
    atomic_write(card_path(name, out), lambda tmp: Path(tmp).write_text(json.dumps(card, indent=2) + "\n"))
    return card


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m utils.pretrain", description=__doc__.splitlines()[0])
    parser.add_argument("name", choices=sorted(RECIPES), help="course backbone to pretrain")
    parser.add_argument("--out", default=None, help="output folder (default: data/pretrained)")
    parser.add_argument("--seed", type=int, default=None, help="override the recipe's seed")
    parser.add_argument("--epochs", type=int, default=None, help="override the recipe's epochs")
    args = parser.parse_args(argv)
    card = pretrain(args.name, out_dir=args.out, seed=args.seed, epochs=args.epochs)
    print(
        f"{card['name']}: source accuracy {card['source_accuracy']:.2%}, {card['parameters']:,} parameters, "
        f"{card['weights_bytes'] / 1e6:.2f} MB, trained in {card['training_time_s']:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
