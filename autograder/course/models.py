"""Course model classes that a fresh process can import, so weights-only files can be checked.

A `state_dict` or a safetensors file holds tensors only; to predict, the loader must rebuild
the module from its class. A class defined in a notebook lives in `__main__` and no other
process can find it, so the course keeps its PyTorch model here. `hparams` holds the
constructor arguments as plain JSON, which is how the grader rebuilds the same architecture in
its sandboxed child (`check_artifact` passes them along).
"""

from __future__ import annotations

import torch
from torch import nn


class CreditMLP(nn.Module):
    """A small multilayer perceptron for the credit data: standardized features in, one logit
    per class out (apply softmax for probabilities)."""

    def __init__(self, n_features: int = 10, hidden: tuple[int, ...] | list[int] = (32, 16),
                 n_classes: int = 2, dropout: float = 0.0):
        super().__init__()
        self.hparams = {"n_features": int(n_features), "hidden": [int(h) for h in hidden],
                        "n_classes": int(n_classes), "dropout": float(dropout)}
        layers: list[nn.Module] = []
        width = n_features
        for size in hidden:
            layers += [nn.Linear(width, size), nn.ReLU()]
            if dropout:
                layers.append(nn.Dropout(dropout))
            width = size
        layers.append(nn.Linear(width, n_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)
