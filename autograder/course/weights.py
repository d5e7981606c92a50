"""Weights of a neural network of about n parameters, without importing torch.

    from autograder.course.weights import mlp_weights, n_bytes

    weights = mlp_weights(1_000_000)     # {"hidden1.weight": float32 array, ...}

A serializer sees only named arrays of bytes, so the float32 weights of a small multilayer
perceptron (64 inputs, two hidden layers of width h, one output, with h chosen to give about
`n_params` parameters) stand in for a real model when measuring how save and load times grow.
The same `seed` gives the same numbers.
"""

from __future__ import annotations

import numpy as np

__all__ = ["mlp_weights", "n_bytes", "n_params"]

INPUTS = 64


def mlp_weights(n_params: int, seed: int = 42) -> dict[str, np.ndarray]:
    """float32 weights of a 64 -> h -> h -> 1 MLP with about `n_params` parameters."""
    # Parameters: 64h + h (first layer) + h*h + h (second) + h + 1 (output) = h^2 + 67h + 1.
    h = max(1, round((-(INPUTS + 3) + ((INPUTS + 3) ** 2 + 4 * (n_params - 1)) ** 0.5) / 2))
    rng = np.random.default_rng(seed)
    shapes = {"hidden1.weight": (h, INPUTS), "hidden1.bias": (h,), "hidden2.weight": (h, h),
              "hidden2.bias": (h,), "out.weight": (1, h), "out.bias": (1,)}
    return {name: rng.standard_normal(shape, dtype=np.float32) for name, shape in shapes.items()}


def n_params(weights: dict[str, np.ndarray]) -> int:
    return sum(w.size for w in weights.values())


def n_bytes(weights: dict[str, np.ndarray]) -> int:
    return sum(w.nbytes for w in weights.values())
