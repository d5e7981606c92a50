"""autograder.grading.zygote: what it imports (the released notebooks' imports, never what
solutions or hidden tests import), how the worker talks to it, and a real job graded through
it, whose kernel was pre-forked inside the job's sandbox."""

import signal
from pathlib import Path

import nbformat
import pytest
from grading_course import ASSIGNMENT, make_course, nbgrader_meta, submission
from nbformat.v4 import new_code_cell

from autograder.grading import zygote
from autograder.grading.course import GradingCourse, define_assignment
from autograder.grading.limits import JobLimits
from autograder.grading.orchestrator import hidden_paths, make_template
from autograder.grading.outcome import GradeStatus
from autograder.grading.workers import GradeJob, grade_submission, runner_environment


def test_a_cells_top_level_imports_are_found_and_the_rest_is_not():
    source = ("%matplotlib inline\n!pip list\nimport numpy as np, json\n"
              "from sklearn.linear_model import LogisticRegression as LR, Ridge\n"
              "from __future__ import annotations\nfrom . import sibling\n"
              "def f():\n    import torch\n")
    assert zygote.imported_modules(source) == [
        "numpy", "json", "sklearn.linear_model", "sklearn.linear_model.LogisticRegression",
        "sklearn.linear_model.Ridge"]
    assert zygote.imported_modules("import (") == []  # a cell that does not parse


def test_preloads_are_the_kernels_then_the_notebooks_as_released(tmp_path):
    root = make_course(tmp_path / "course")
    path = root / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells += [
        new_code_cell("### BEGIN SOLUTION\nimport csv\n### END SOLUTION",
                      metadata=nbgrader_meta("sol", solution=True)),
        new_code_cell("import json\n### BEGIN HIDDEN TESTS\nimport tomllib\n"
                      "### END HIDDEN TESTS", metadata=nbgrader_meta("t", grade=True,
                                                                     locked=True, points=1))]
    nbformat.write(nb, path)
    found = zygote.preloads(GradingCourse.open(root), ASSIGNMENT)
    assert found == (*zygote.KERNEL_IMPORTS, "time", "json")
    assert nbformat.read(path, as_version=4).cells[-1].source.count("tomllib") == 1  # untouched


def test_the_worker_hears_each_runners_pid_and_exit_and_a_gone_zygote(tmp_path):
    env = runner_environment(quick=True)
    z = zygote.Zygote(("json",), env)
    try:
        assert 10 * 2**20 < z.size() < 2**40  # bytes of address space, once it is ready
        # a runner whose spec does not exist: it fails at once, with its own exit code
        pid, wait = z.start_runner(tmp_path / "missing.json", tmp_path / "runner.log", env)
        assert pid > 0 and wait(60) == 1 and wait(0) == 1
        assert "missing.json" in (tmp_path / "runner.log").read_text()
        z.process.kill()
        z.process.wait()
        with pytest.raises(zygote.ZygoteGone):
            z.start_runner(tmp_path / "missing.json", tmp_path / "runner.log", env)
    finally:
        z.close()


def test_a_zygote_not_ready_in_time_is_given_up(monkeypatch):
    monkeypatch.setattr(zygote, "START_SECONDS", 0.01)  # nbgrader alone takes longer
    z = zygote.Zygote(("json",), runner_environment(quick=True))
    try:
        with pytest.raises(zygote.ZygoteGone, match="not ready after 0.01 s"):
            z.size()
    finally:
        z.close()


def test_a_job_whose_memory_limit_a_zygote_would_crowd_starts_the_usual_way(tmp_path,
                                                                           monkeypatch):
    from autograder.grading import workers

    env = runner_environment(quick=True)
    spec = tmp_path / "missing.json"
    asked = []
    monkeypatch.setattr(zygote.Zygote, "start_runner",
                        lambda self, *args: asked.append(args) or (0, lambda _: 0))
    try:
        size = zygote.current(("json",), env).size()
        assert workers.start_runner(spec, tmp_path / "log", 4 * size, env, ("json",))[0] == 0
        assert len(asked) == 1
        pid, wait = workers.start_runner(spec, tmp_path / "log", size, env, ("json",))
        assert len(asked) == 1 and pid != 0 and wait(60) == 1  # a runner of its own
    finally:
        zygote.forget()


def test_current_keeps_one_zygote_per_imports_and_environment():
    env = runner_environment(quick=True)
    try:
        first = zygote.current(("json",), env)
        assert zygote.current(("json",), env) is first
        second = zygote.current(("json", "csv"), env)
        assert second is not first and first.process.wait(10) is not None
        second.process.send_signal(signal.SIGKILL)
        second.process.wait()
        assert zygote.current(("json", "csv"), env) is not second  # a dead one is replaced
    finally:
        zygote.forget()


PROBE = """import os, socket, sys
status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines())
try:
    socket.create_connection(("192.0.2.1", 9), timeout=2)
    net = "open"
except OSError as exc:
    net = exc.errno
print("PROBE", status["CapEff"].strip(), os.getppid(), net, "numpy" in sys.modules)
from pathlib import Path
from autograder.artifacts import forkserver
from autograder.artifacts.sandbox import SandboxLimits, run
server = forkserver._servers.get("scikit-learn")
Path("check").mkdir()
checked = run([sys.executable, "-I", "-B", "-c", "pass"], Path("check"), SandboxLimits(), warm=())
print("PROBE", type(server.process).__name__,
      server.process.pid == forkserver._servers["scikit-learn"].process.pid, checked.returncode)
answer = 42"""


def test_a_job_through_the_zygote_is_graded_by_a_pre_forked_sandboxed_kernel(tmp_path):
    graded = GradingCourse.open(make_course(tmp_path / "course"), tmp_path / "graded")
    define_assignment(graded, ASSIGNMENT, tmp_path / "release")
    template = make_template(graded, ASSIGNMENT, tmp_path / "work")
    folder = graded.path("submitted_directory", "zoe", ASSIGNMENT)
    folder.mkdir(parents=True)
    nbformat.write(submission(graded.root, PROBE), folder / f"{ASSIGNMENT}.ipynb")
    job = GradeJob(assignment=ASSIGNMENT, student="zoe", submission=str(folder),
                   work=str(tmp_path / "work" / "zoe"), template_db=str(template),
                   course_root=str(graded.root), course_id=graded.course_id,
                   limits=JobLimits(cpu_seconds=60, wall_seconds=60),
                   hide=hidden_paths(graded, None),
                   preload=(*zygote.KERNEL_IMPORTS, "time", "numpy", "sklearn.base",
                            "autograder.check"))
    try:
        result = grade_submission(job)
    finally:
        zygote.forget()
    assert (result.status, result.score) == (GradeStatus.GRADED, 2.0), result.reason
    if not result.isolation.full:
        pytest.skip(f"no job namespaces here: {result.isolation}")
    assert (Path(job.work) / "kernel.json").read_text().count('"prefork": true') == 1
    done = nbformat.read(Path(result.autograded) / f"{ASSIGNMENT}.ipynb", as_version=4)
    said = [o.text for c in done.cells for o in c.get("outputs", [])
            if o.get("name") == "stdout" and "PROBE" in o.text]
    # no capabilities; the child of the job's runner, PID 1 of its namespace; no network
    # (ENETUNREACH); numpy imported before the notebook asked for it. The artifact checks'
    # server was forked before the notebook ran (`forkserver.prestart`), and a check used it.
    assert "".join(said) == f"PROBE {'0' * 16} 1 101 True\nPROBE ForkedChild True 0\n"
    assert result.cpu_seconds > 0

