"""autograder.course.lesson: the setup call, readable error lines, quiet library calls."""

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
