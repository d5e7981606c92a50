"""autograder.course.weights: MLP weights of about n parameters."""

import numpy as np

from autograder.course.weights import mlp_weights, n_bytes, n_params


def test_about_n_parameters_of_float32_and_the_same_for_the_same_seed():
    for n in (10_000, 1_000_000):
        weights = mlp_weights(n)
        assert abs(n_params(weights) - n) / n < 0.01
        assert n_bytes(weights) == 4 * n_params(weights)
        assert all(w.dtype == np.float32 for w in weights.values())
    first = mlp_weights(5000)["out.weight"]
    assert np.array_equal(mlp_weights(5000)["out.weight"], first)
    assert not np.array_equal(mlp_weights(5000, seed=1)["out.weight"], first)
