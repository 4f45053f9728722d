"""Sentences rated for sentiment by people, in four domains (the text notebook's data).

Hutto & Gilbert had each sentence rated by at least 20 people on a scale from -4 (most
negative) to +4 (most positive) and kept the mean: movie-review snippets, tweets,
Amazon product-review snippets and New York Times editorial snippets. ``make setup``
fetches them (:mod:`utils.course.textfiles`); nothing is downloaded here.

For a binary task, sentences whose mean rating is within ``threshold`` of 0 are left out
(too neutral to call) and the rest are labelled 1 (positive) or 0 (negative).
:func:`split_sentences` splits one domain into training, validation and test sets with no
sentence in two sets (repeated sentences are kept once).

Reference: C.J. Hutto and E. Gilbert, "VADER: A parsimonious rule-based model for sentiment
analysis of social media text", ICWSM 2014.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._checks import is_int_at_least

#: Domain name -> the file stem in the archive (``<stem>_GroundTruth.txt``).
DOMAINS = {"movies": "movieReviewSnippets", "tweets": "tweets", "amazon": "amazonReviewSnippets",
           "nyt": "nytEditorialSnippets"}

__all__ = ["DOMAINS", "RatedSentences", "load_sentiment_domains", "read_ratings", "split_sentences"]


@dataclass(frozen=True)
class RatedSentences:
    """One domain's sentences and their mean ratings (-4 .. 4).

    Examples
    --------
    >>> d = RatedSentences("toy", ("a", "b", "c"), ("good", "meh", "bad"), np.array([2.0, 0.1, -1.5]))
    >>> d.binary()
    (['good', 'bad'], array([1, 0]))
    """

    domain: str
    ids: tuple[str, ...]
    texts: tuple[str, ...]
    ratings: np.ndarray

    def __len__(self) -> int:
        return len(self.texts)

    def binary(self, threshold: float = 0.5) -> tuple[list[str], np.ndarray]:
        """The sentences rated at least ``threshold`` away from 0, and their labels (1 positive, 0 negative)."""
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 <= threshold < 4:
            raise ValueError(f"threshold must be a number in [0, 4), got {threshold!r}")
        keep = np.abs(self.ratings) >= threshold if threshold > 0 else self.ratings != 0
        return [t for t, k in zip(self.texts, keep, strict=True) if k], (self.ratings[keep] > 0).astype(int)


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:  # some of the files are latin-1
        return raw.decode("latin-1")


def read_ratings(path: Path | str, domain: str | None = None) -> RatedSentences:
    """Read one ``*_GroundTruth.txt`` file: tab-separated id, mean rating and sentence, one per line.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "toy_GroundTruth.txt"
    ...     _ = path.write_bytes(b"1\\t2.5\\tCaf\\xe9 was great\\r\\n2\\t-3.0\\tAwful\\r\\n")
    ...     d = read_ratings(path, "toy")
    >>> d.texts, d.ratings.tolist()
    (('Café was great', 'Awful'), [2.5, -3.0])
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist; run `make setup` to fetch the rated sentences")
    ids, texts, ratings = [], [], []
    for number, line in enumerate(_decode(path.read_bytes()).splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split("\t", 2)
        try:
            rating = float(parts[1])
        except (IndexError, ValueError):
            raise ValueError(f"{path.name}, line {number}: expected 'id<TAB>rating<TAB>sentence', got {line[:80]!r}") from None
        if not -4 <= rating <= 4:
            raise ValueError(f"{path.name}, line {number}: a mean rating must lie in [-4, 4], got {rating}")
        ids.append(parts[0].strip())
        texts.append(parts[2].strip() if len(parts) > 2 else "")
        ratings.append(rating)
    if not texts:
        raise ValueError(f"{path} holds no rated sentences")
    return RatedSentences(domain or path.name.split("_")[0], tuple(ids), tuple(texts), np.asarray(ratings))


def load_sentiment_domains(folder: Path | str | None = None, domains=tuple(DOMAINS)) -> dict[str, RatedSentences]:
    """The rated sentences of each domain, read from where ``make setup`` put them (or ``folder``).

    Examples
    --------
    >>> data = load_sentiment_domains()  # doctest: +SKIP
    >>> {name: len(d) for name, d in data.items()}  # doctest: +SKIP
    {'movies': 10605, 'tweets': 4200, 'amazon': 3708, 'nyt': 5190}
    """
    if folder is None:
        from .course.textfiles import data_dir

        folder = data_dir()
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"the rated sentences are not in {folder}; run `make setup` to fetch them")
    unknown = [d for d in domains if d not in DOMAINS]
    if unknown:
        raise ValueError(f"unknown domain(s) {unknown}; choose from {list(DOMAINS)}")
    return {d: read_ratings(folder / f"{DOMAINS[d]}_GroundTruth.txt", d) for d in domains}


def split_sentences(texts, labels, *, test: int | float, val: int | float = 0, seed: int = 0) -> dict:
    """Split sentences into training, validation and test sets, stratified, with no sentence in two sets.

    A sentence that occurs more than once is kept once (its first label), so a repeated
    sentence cannot sit in training and in test. Sizes are counts (int) or fractions (float)
    of the distinct sentences; the same ``seed`` gives the same split.

    Returns
    -------
    dict
        ``{"train": (texts, labels), "val": (texts, labels), "test": (texts, labels)}``, lists of str
        and integer arrays.

    Examples
    --------
    >>> texts = [f"sentence {i}" for i in range(20)] + ["sentence 0"]
    >>> labels = [i % 2 for i in range(21)]
    >>> parts = split_sentences(texts, labels, test=0.25, val=0.25, seed=0)
    >>> {k: len(v[0]) for k, v in parts.items()}
    {'train': 10, 'val': 5, 'test': 5}
    """
    from sklearn.model_selection import train_test_split

    texts, labels = list(texts), np.asarray(labels)
    if len(texts) != len(labels):
        raise ValueError(f"texts and labels differ in length: {len(texts)} and {len(labels)}")
    if not is_int_at_least(seed, 0):
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    first = {}
    for i, t in enumerate(texts):
        first.setdefault(t, i)
    keep = np.array(sorted(first.values()))
    if len(keep) < 4:
        raise ValueError(f"need at least 4 distinct sentences to split, got {len(keep)}")

    def count(size, name):
        if isinstance(size, bool) or not isinstance(size, (int, float)) or size < 0:
            raise ValueError(f"{name} must be a count (int) or a fraction (float), got {size!r}")
        n = int(round(size * len(keep))) if isinstance(size, float) else int(size)
        if isinstance(size, float) and not size < 1:
            raise ValueError(f"{name} as a fraction must be below 1, got {size}")
        return n

    n_test, n_val = count(test, "test"), count(val, "val")
    if n_test < 1 or n_test + n_val >= len(keep):
        raise ValueError(f"test={test!r} and val={val!r} leave no sentence for training or none for test "
                         f"({len(keep)} distinct sentences)")
    rest, test_idx = train_test_split(keep, test_size=n_test, stratify=labels[keep], random_state=seed)
    if n_val:
        train_idx, val_idx = train_test_split(rest, test_size=n_val, stratify=labels[rest], random_state=seed)
    else:
        train_idx, val_idx = rest, rest[:0]

    def take(idx):
        return [texts[i] for i in idx], labels[idx]

    return {"train": take(train_idx), "val": take(val_idx), "test": take(test_idx)}
