"""autograder.grading.runner: one submission's grading process. Its parts that need no kernel:
the job's kernelspec (the hiding launcher, found by name on JUPYTER_PATH), the locked cells as
students received them, the lessons link from where feedback ends up, the CPU time counted
(the kernel's too), and results written whole.

(The runner grading real submissions: tests/test_grading_workers.py, tests/test_grading_e2e.py.)
"""

import importlib.util
import json
import shutil
import subprocess
import sys
import types

from jupyter_client.kernelspec import KernelSpecManager
from nbgrader.preprocessors import ClearHiddenTests
from traitlets.config import Config

from autograder.common.paths import ROOT
from autograder.grading import runner
from autograder.grading.course import GradingCourse


def test_the_kernelspec_starts_the_hiding_launcher_under_the_jobs_kernel_name(tmp_path):
    hide = tmp_path / "kernel-hide.json"
    share = runner.write_kernelspec(tmp_path, hide)
    # what Jupyter finds with `share` on JUPYTER_PATH, as the runner puts it
    spec = KernelSpecManager(kernel_dirs=[str(share / "kernels")]).get_kernel_spec(
        runner.KERNEL_NAME)
    assert spec.argv == [sys.executable, "-m", "autograder.grading.kernel", str(hide),
                         "-f", "{connection_file}"]
    assert spec.language == "python"
    # launched by the pre-forked kernels' provisioner, which this process now knows
    assert spec.metadata["kernel_provisioner"]["provisioner_name"] == runner.PROVISIONER
    assert importlib.util.find_spec(spec.argv[2]) is not None  # the launcher's module exists
    assert runner.write_kernelspec(tmp_path, hide) == share  # a second job in the same folder


def source_cell(source: str, cell_type: str = "code"):
    """A gradebook's source cell: its type, source and name."""
    return types.SimpleNamespace(cell_type=cell_type, source=source, name="test_answer")


def test_a_locked_cell_is_compared_as_released_without_its_hidden_tests():
    cell = source_cell('assert answer == 42\n### BEGIN HIDDEN TESTS\nassert answer * 2 == 84\n'
                       '### END HIDDEN TESTS')
    assert runner.released_source(cell, ClearHiddenTests()) == "assert answer == 42"
    text = source_cell("Read this.\n### BEGIN HIDDEN TESTS\nsecret\n### END HIDDEN TESTS",
                       "markdown")
    assert runner.released_source(text, ClearHiddenTests()) == "Read this."
    plain = source_cell("import numpy as np")
    assert runner.released_source(plain, ClearHiddenTests()) == "import numpy as np"


def test_the_release_uses_the_courses_own_hidden_test_delimiters():
    config = Config()
    config.ClearHiddenTests.begin_test_delimeter = "BEGIN SECRET"
    config.ClearHiddenTests.end_test_delimeter = "END SECRET"
    cell = source_cell("visible\n# BEGIN SECRET\nhidden\n# END SECRET\nvisible too")
    assert runner.released_source(cell, ClearHiddenTests(config=config)) == \
        "visible\nvisible too"


def test_feedback_links_lessons_from_where_the_page_ends_up_not_the_jobs_copy(tmp_path):
    root = tmp_path / "course"
    (root / "lessons").mkdir(parents=True)
    shutil.copyfile(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    out = tmp_path / "graded"
    job = GradingCourse.open(root, out / ".autograder" / "tiny" / "jobs" / "ada" / "course")
    url = runner.final_lessons_url(job, {"student": "ada", "assignment": "tiny",
                                         "out": str(out)})
    assert url.endswith("/")
    final = out / "feedback" / "ada" / "tiny"
    assert (final / url).resolve() == (root / "lessons").resolve()
    in_job = job.path("feedback_directory", "ada", "tiny")
    assert (in_job / url).resolve() != (root / "lessons").resolve()


def test_cpu_seconds_include_the_children_it_waited_for():
    before = runner.cpu_seconds()
    subprocess.run([sys.executable, "-c", "import time\nt = time.process_time()\n"
                    "while time.process_time() - t < 0.3:\n    pass"], check=True)
    assert runner.cpu_seconds() - before >= 0.3  # the kernel is such a child


def test_results_are_written_whole_and_replace_the_old_ones(tmp_path):
    path = tmp_path / runner.RESULT
    runner.write_json(path, {"autograde": {"success": False}})
    runner.write_json(path, {"autograde": {"success": True}, "seconds": 1.5})
    assert json.loads(path.read_text()) == {"autograde": {"success": True}, "seconds": 1.5}
    assert [p.name for p in tmp_path.iterdir()] == [runner.RESULT]  # no .tmp left behind
