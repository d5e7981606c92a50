"""Tests for autograder.course.models: a course model a fresh process can rebuild from hparams."""

from __future__ import annotations

import json

import torch

from autograder.course.models import CreditMLP


def test_shapes_and_hparams_rebuild_the_same_architecture():
    model = CreditMLP(n_features=12, hidden=(8, 4), n_classes=3, dropout=0.1)
    assert model(torch.zeros(5, 12)).shape == (5, 3)
    clone = CreditMLP(**json.loads(json.dumps(model.hparams)))
    clone.load_state_dict(model.state_dict())  # same parameter names and shapes
    model.eval()
    clone.eval()
    x = torch.randn(7, 12)
    assert torch.equal(model(x), clone(x))


def test_defaults_fit_the_credit_features():
    from autograder.course import credit

    model = CreditMLP()
    assert model.hparams["n_features"] == len(credit.NUMERIC_FEATURES)
    assert model(torch.zeros(2, len(credit.NUMERIC_FEATURES))).shape == (2, 2)
    assert not any(isinstance(m, torch.nn.Dropout) for m in model.modules())
