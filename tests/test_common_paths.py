"""autograder.common.paths: ROOT is the course directory, course_config reads a course's
nbgrader_config.py, and the venv's tools and kernel come first in the tools' environment."""

import os
import sys
from pathlib import Path

import pytest
from traitlets.config.loader import ConfigFileNotFound

from autograder.common import paths

SEP = os.pathsep
BIN = str(Path(sys.executable).parent)
KERNELS = str(Path(sys.prefix) / "share" / "jupyter")


def test_root_is_the_course_directory():
    for name in ("nbgrader_config.py", "solutions", "lessons", "samples"):
        assert (paths.ROOT / name).exists(), name
    assert Path(paths.__file__).resolve().is_relative_to(paths.ROOT)


def test_course_config_reads_the_given_course_directory(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'test-course'\n"
        "c.CourseDirectory.ignore = ['*.pkl']\n", encoding="utf-8")
    config = paths.course_config(tmp_path)
    assert config.CourseDirectory.course_id == "test-course"
    assert list(config.CourseDirectory.ignore) == ["*.pkl"]


def test_course_config_of_a_folder_without_settings_is_an_error(tmp_path):
    # Not an empty config, which would run nbgrader with its defaults (another course's folders).
    with pytest.raises(ConfigFileNotFound, match="nbgrader_config.py"):
        paths.course_config(tmp_path)


@pytest.mark.parametrize("value, result", [
    ("", "/venv/bin"),
    (f"/usr/bin{SEP}/bin", f"/venv/bin{SEP}/usr/bin{SEP}/bin"),
    (f"/usr/bin{SEP}/venv/bin{SEP}/bin", f"/venv/bin{SEP}/usr/bin{SEP}/bin"),  # moved up
    (f"/venv/bin{SEP}/usr/bin{SEP}/venv/bin", f"/venv/bin{SEP}/usr/bin"),  # not repeated
    (f"{SEP}/usr/bin{SEP}{SEP}", f"/venv/bin{SEP}/usr/bin"),  # empty parts mean "here": dropped
    (f"/venv/bin/sub{SEP}/venv", f"/venv/bin{SEP}/venv/bin/sub{SEP}/venv"),  # whole parts only
])
def test_an_entry_goes_first_once(value, result):
    assert paths._first("/venv/bin", value) == result


def test_the_venv_comes_first_and_the_rest_is_kept():
    given = {"PATH": f"/usr/bin{SEP}{BIN}", "JUPYTER_PATH": "/home/me/jupyter", "LANG": "C"}
    env = paths.venv_environment(given)
    assert env["PATH"] == f"{BIN}{SEP}/usr/bin"
    assert env["JUPYTER_PATH"] == f"{KERNELS}{SEP}/home/me/jupyter"
    assert env["LANG"] == "C"
    assert given["PATH"] == f"/usr/bin{SEP}{BIN}"  # a copy: the caller's mapping is untouched


def test_an_environment_without_paths_gets_the_venv_only():
    env = paths.venv_environment({})
    assert (env["PATH"], env["JUPYTER_PATH"]) == (BIN, KERNELS)


def test_the_default_environment_is_this_process(monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin")
    monkeypatch.setenv("AUTOGRADER_TEST_MARKER", "kept")
    env = paths.venv_environment()
    assert env["PATH"] == f"{BIN}{SEP}/usr/bin"
    assert env["AUTOGRADER_TEST_MARKER"] == "kept"
    assert os.environ["PATH"] == "/usr/bin"  # read, never changed
