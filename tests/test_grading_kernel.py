"""autograder.grading.kernel: the grading kernel's launcher reads matplotlib's font cache before
it hides the files, gives the hidden kernel private stand-ins (the cache, its connection file),
reports what it achieved, and then becomes ipykernel.

Here the sandbox and the exec are stand-ins; the real kernel behind a real sandbox grades in
tests/test_grading_workers.py and tests/test_grading_e2e.py.
"""

import json
import os
import sys
from pathlib import Path

import pytest

from autograder.grading import kernel, sandbox


@pytest.fixture
def no_mpl_env(monkeypatch):
    monkeypatch.delenv("MPLCONFIGDIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)


def fonts_in(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "fontlist-v390.json").write_text('{"fonts": 1}')
    (folder / "tex.cache").write_text("not the font list")
    return folder


def test_the_font_cache_comes_from_mplconfigdir_first(tmp_path, monkeypatch, no_mpl_env):
    monkeypatch.setenv("MPLCONFIGDIR", str(fonts_in(tmp_path / "mpl")))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "elsewhere"))
    assert kernel.matplotlib_cache() == {"fontlist-v390.json": b'{"fonts": 1}'}


def test_without_mplconfigdir_the_font_cache_is_in_the_xdg_or_home_cache(
        tmp_path, monkeypatch, no_mpl_env):
    fonts_in(tmp_path / "xdg" / "matplotlib")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert list(kernel.matplotlib_cache()) == ["fontlist-v390.json"]
    monkeypatch.delenv("XDG_CACHE_HOME")
    fonts_in(tmp_path / "home" / ".cache" / "matplotlib")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert list(kernel.matplotlib_cache()) == ["fontlist-v390.json"]


def test_a_missing_or_unreadable_font_cache_is_no_cache(tmp_path, monkeypatch, no_mpl_env):
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "none"))
    assert kernel.matplotlib_cache() == {}
    (tmp_path / "odd" / "fontlist-v390.json").mkdir(parents=True)  # a folder: read fails
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "odd"))
    assert kernel.matplotlib_cache() == {}


class Exec(Exception):
    """Where the launcher would have become ipykernel."""


@pytest.fixture
def launch(tmp_path, monkeypatch):
    """Run kernel.main as the kernelspec would, with `hidden` as what the sandbox achieved;
    returns (the argv it would exec, its report, the private /tmp/kernel)."""
    private = tmp_path / "private"
    real_path = Path

    class Paths:  # /tmp/kernel is the hidden kernel's own tmpfs: here, a test folder
        def __new__(cls, *parts):
            return private if parts == ("/tmp/kernel",) else real_path(*parts)

        cwd, home = staticmethod(real_path.cwd), staticmethod(real_path.home)

    def execv(path, argv):
        raise Exec(argv)

    # main sets these for the kernel: set first, so the test's own come back afterwards
    monkeypatch.setenv("MPLCONFIGDIR", str(fonts_in(tmp_path / "mpl")))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setattr(kernel, "Path", Paths)
    monkeypatch.setattr(os, "execv", execv)
    monkeypatch.setattr(sandbox, "drop_privileges", lambda **_: "capabilities dropped")
    connection = tmp_path / "kernel-1.json"
    connection.write_text('{"key": "secret"}')
    spec = tmp_path / "kernel-hide.json"
    spec.write_text(json.dumps({"hide": [str(tmp_path / "gradebook.db")],
                                "report": str(tmp_path / "kernel.json")}))

    def run(hidden: bool):
        seen = {}

        def hide(paths, keep, hide_in_keep):
            seen.update(paths=paths, keep=keep, hide_in_keep=hide_in_keep)
            return sandbox.Hidden(hidden=hidden, files="hidden (test)" if hidden else
                                  "not hidden (test)")

        monkeypatch.setattr(sandbox, "hide", hide)
        with pytest.raises(Exec) as done:
            kernel.main([str(spec), "-f", str(connection)])
        assert seen == {"paths": [tmp_path / "gradebook.db"], "keep": Path.cwd(),
                        "hide_in_keep": ("*.ipynb",)}
        report = json.loads((tmp_path / "kernel.json").read_text())
        return done.value.args[0], report, private

    return run


def test_a_hidden_kernel_gets_private_copies_of_what_it_can_no_longer_reach(launch):
    argv, report, private = launch(hidden=True)
    assert argv[:3] == [sys.executable, "-m", "ipykernel_launcher"]
    # the connection file was read before hiding, and is handed over from the private copy
    assert argv[3:] == ["-f", str(private / "kernel-1.json")]
    assert (private / "kernel-1.json").read_text() == '{"key": "secret"}'
    assert [p.name for p in (private / "matplotlib").iterdir()] == ["fontlist-v390.json"]
    assert os.environ["MPLCONFIGDIR"] == str(private / "matplotlib")
    assert os.environ["IPYTHONDIR"] == str(private / "ipython")
    assert report == {"files": "hidden (test), capabilities dropped", "files_hidden": True,
                      "prefork": False}


def test_a_kernel_the_sandbox_could_not_hide_says_so_and_keeps_its_files(launch, tmp_path):
    argv, report, private = launch(hidden=False)
    assert argv[3:] == ["-f", str(tmp_path / "kernel-1.json")]
    assert not private.exists()
    assert report == {"files": "not hidden (test)", "files_hidden": False, "prefork": False}
