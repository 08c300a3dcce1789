"""Synthetic MNIST-shaped data shared by the tutorial programs (and their numpy references).

Each class is a fixed random stroke template on a small square image; a sample is its
class template plus pixel noise, clipped to [0, 1], so classes are separable but not
trivially. Everything is drawn from `numpy.random.RandomState(seed)`, so a program and
its numpy reference get identical arrays.
"""

from __future__ import annotations

import numpy

SIDE = 12
CLASSES = 10


def make_digits(n: int, side: int = SIDE, classes: int = CLASSES, seed: int = 1234,
                dtype: str = "float64") -> tuple[numpy.ndarray, numpy.ndarray]:
    """(images (n, side*side) in [0, 1], labels (n,) int32) of synthetic 'digits'."""
    rng = numpy.random.RandomState(seed)
    templates = (rng.uniform(size=(classes, side * side)) < 0.3).astype("float64")
    labels = rng.randint(0, classes, size=n).astype("int32")
    noise = rng.normal(scale=0.25, size=(n, side * side))
    images = numpy.clip(templates[labels] * 0.8 + 0.1 + noise, 0.0, 1.0)
    return images.astype(dtype), labels


def minibatches(n: int, batch_size: int) -> list[slice]:
    """The tutorial's minibatch slices: consecutive, the last partial batch dropped."""
    return [slice(i * batch_size, (i + 1) * batch_size) for i in range(n // batch_size)]
