"""autograder.course.lesson: the setup call, readable error lines, quiet library calls."""

import logging
import pickle
import sys
import warnings

import pytest

from autograder.course import lesson


def test_start_checks_versions_and_gives_a_fresh_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "artifacts").mkdir()
    (tmp_path / "artifacts" / "stale.pkl").write_bytes(b"old")
    import sklearn

    folder = lesson.start(sklearn=sklearn.__version__)
    assert folder.is_dir() and not any(folder.iterdir())
    assert capsys.readouterr().out.startswith(f"scikit-learn {sklearn.__version__} on ")
    with pytest.raises(AssertionError, match="Expected scikit-learn 0.1, found .*make lab"):
        lesson.start(sklearn="0.1")
    monkeypatch.setattr(sys, "version_info", (3, 10, 0))
    with pytest.raises(AssertionError, match="Python 3.11, not 3.10"):
        lesson.start()


SQUARE = lambda x: x * x  # noqa: E731 - a module-level lambda, as in a notebook


def test_error_line_drops_memory_addresses():
    with pytest.raises(pickle.PicklingError) as info:
        pickle.dumps(SQUARE)
    assert " at 0x" in str(info.value)
    line = lesson.error_line(info.value)
    assert line.startswith("PicklingError: Can't pickle <function <lambda>>") and "0x" not in line


def test_quietly_swallows_warnings_and_stderr(capsys):
    with lesson.quietly():
        warnings.warn("noise", UserWarning, stacklevel=1)
        print("chatter", file=sys.stderr)
    assert capsys.readouterr().err == ""


def test_quietly_silences_handlers_bound_to_the_old_stderr(capsys):
    """torch's handlers keep the stream they were created with; quietly still silences them."""
    logger = logging.getLogger("lesson-test")
    handler = logging.StreamHandler(sys.stderr)
    logger.addHandler(handler)
    try:
        with lesson.quietly():
            logger.warning("W1206 noise from a library")
        assert capsys.readouterr().err == ""
        logger.warning("after the block")
        assert "after the block" in capsys.readouterr().err
    finally:
        logger.removeHandler(handler)


def test_refusal_keeps_the_refused_global_or_the_first_sentence():
    import torch

    from autograder.course.models import CreditMLP

    buffer = __import__("io").BytesIO()
    torch.save(CreditMLP(hidden=(4,)), buffer)
    buffer.seek(0)
    with pytest.raises(pickle.UnpicklingError) as info:
        torch.load(buffer)
    assert lesson.refusal(info.value) == (
        "UnpicklingError: Weights only load failed. Unsupported global: GLOBAL "
        "autograder.course.models.CreditMLP was not an allowed global by default.")
    error = RuntimeError("Cannot use this here. In PyTorch 2.6 we changed\nthe default. Do it.")
    assert lesson.refusal(error) == "RuntimeError: Cannot use this here."
    assert lesson.refusal(ValueError()) == "ValueError"
