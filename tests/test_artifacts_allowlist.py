"""Tests for autograder.artifacts.allowlist: exact pairs that exist, cover scikit-learn, and hold no
gadget."""

from __future__ import annotations

import importlib
import inspect
import warnings

import pytest

from autograder.artifacts import allowlist

ALL = allowlist.PICKLE_GLOBALS | allowlist.TORCH_WEIGHTS | allowlist.SKOPS_TYPES


def test_every_pair_names_a_real_object_not_a_module():
    missing, modules = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for module, name in sorted(ALL):
            if (module, name) == ("builtins", "NoneType"):  # skops' name for type(None)
                continue
            try:
                value = getattr(importlib.import_module(module), name)
            except (ImportError, AttributeError):
                missing.append(f"{module}.{name}")
                continue
            if inspect.ismodule(value):
                modules.append(f"{module}.{name}")
    assert not missing and not modules


def test_exact_pairs_without_dots():
    assert all("." not in name and name for _, name in ALL)


def test_every_public_estimator_is_allowed():
    from sklearn.utils import all_estimators

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimators = {(cls.__module__, cls.__qualname__) for _, cls in all_estimators()}
    assert estimators <= allowlist.SKLEARN_ESTIMATORS
    assert len(allowlist.SKLEARN_ESTIMATORS) == len(estimators)


def test_no_known_gadget_is_allowed():
    for module, name in ALL:
        assert not allowlist.danger(module, name), f"{module}.{name}"
    for gadget in ("eval", "exec", "getattr", "__import__", "compile", "open", "system",
                   "load", "loads", "run_path", "import_module", "resolve_name"):
        assert gadget not in {name for _, name in ALL}


def test_torch_weights_are_what_torch_itself_accepts():
    from torch._weights_only_unpickler import _get_allowed_globals

    torch_own = set(_get_allowed_globals())
    assert {f"{m}.{n}" for m, n in allowlist.TORCH_WEIGHTS} <= torch_own


@pytest.mark.parametrize("module, name, words", [
    ("os", "system", "shell commands"),
    ("posix", "system", "os.system"),
    ("builtins", "getattr", "getattr chain"),
    ("pickle", "loads", "nested pickle"),
    ("importlib", "import_module", "any module"),
    ("sklearn.pipeline", "Pipeline", ""),
    ("mymodule", "Thing", ""),
])
def test_danger_explains_gadgets(module, name, words):
    assert (words in allowlist.danger(module, name)) if words else \
        allowlist.danger(module, name) == ""
