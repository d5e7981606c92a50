"""One submission's grading process: sandbox, limits, then nbgrader autograde and feedback.

Started by `workers.grade_submission` in a new session: forked from the worker (`forked`), which
has nbgrader imported already, or where forking is unsafe (`workers.can_fork`) as
`python -m autograder.grading.runner SPEC.json`. In order:

1. while still single-threaded, enter new network and PID namespaces (`sandbox.enter_job`) and
   fork into the PID namespace's init, or, where the OS refuses, become a child subreaper so
   the worker can still find every process to kill;
2. set the rlimits (`limits.apply`), inherited by the kernel and everything it starts;
3. run nbgrader's own Autograde and GenerateFeedback converters on the job's working copy,
   with the job's kernelspec (`autograder.grading.kernel`) hiding everything but the notebook
   folder from student code;
4. write what the sandbox achieved (`isolation.json`, and the kernel's `files.txt`) and
   nbgrader's success or error (`result.json`).

It reports; it does not score. The worker reads the scores from the job's gradebook.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import sys
import time
from dataclasses import asdict
from pathlib import Path

from autograder.common.isolation import prctl
from autograder.grading import limits as limits_module
from autograder.grading import sandbox

KERNEL_NAME = "autograder-sandbox"
EXECUTE_TIMES = "execute.jsonl"  # what the notebooks' own runs took (timed.TimedExecute)
PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER = 1, 36


def write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1))
    tmp.replace(path)


def die_with_parent() -> None:
    """If the worker waiting for this process dies (Ctrl-C, a lost node), so does grading."""
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def write_kernelspec(work: Path, kernel_hide: Path) -> Path:
    """A kernelspec that starts the hiding launcher; returns the folder to put on JUPYTER_PATH."""
    share = work / "jupyter"
    spec_dir = share / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "autograder.grading.kernel", str(kernel_hide),
                 "-f", "{connection_file}"],
        "display_name": "Python 3 (grading sandbox)",
        "language": "python",
    }))
    return share


def progress_hook(path: Path):
    """nbclient's on_cell_start: note the running cell, so a timeout can say where it hung."""
    def hook(cell, cell_index, **_):
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
        path.write_text(json.dumps({"index": cell_index, "grade_id": grade_id,
                                    "started": time.time()}))
    return hook


def run(spec: dict) -> dict:
    """nbgrader autograde, then feedback, for one student. Returns the result record."""
    from nbgrader.converters import Autograde, GenerateFeedback
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.utils import capture_log

    from autograder.grading.course import grading_config
    from autograder.grading.timed import use_timed_execute

    work = Path(spec["work"])
    course = work / "course"
    limits = limits_module.Limits(**spec["limits"])
    config = grading_config(course, root=Path(spec["course_root"]))
    config.Execute.timeout = limits.effective_cell_timeout(config.Execute.get("timeout", 30))
    config.Execute.on_cell_start = progress_hook(work / "progress.json")
    use_timed_execute(config, str(work / EXECUTE_TIMES))
    if spec["isolate"]:
        kernel_hide = work / "kernel-hide.json"
        write_json(kernel_hide, {"hide": spec["hide"], "report": str(work / "files.txt")})
        share = write_kernelspec(work, kernel_hide)
        os.environ["JUPYTER_PATH"] = os.pathsep.join(
            [str(share), *filter(None, [os.environ.get("JUPYTER_PATH")])])
        config.Execute.kernel_name = config.ExecutePreprocessor.kernel_name = KERNEL_NAME

    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id = spec["assignment"]
    coursedir.student_id = spec["student"]
    autograde = Autograde(coursedir=coursedir, config=config)
    autograde.force = True
    autograde.create_student = True
    graded = capture_log(autograde)
    result = {"autograde": graded}
    if graded["success"]:
        feedback = GenerateFeedback(coursedir=coursedir, config=config)
        feedback.force = True
        result["feedback"] = capture_log(feedback)
    return result


@functools.cache
def warm_up() -> None:
    """Load what every runner needs, once, so each runner forked from this process has it:
    nbgrader's imports (about 1.6 s, half of it jsonschema building an IRI grammar) and what
    the first feedback page costs beyond later ones (pygments lexers, markdown, templates:
    about 0.25 s), primed by rendering a small notebook."""
    import nbgrader.converters  # noqa: F401
    from nbconvert import HTMLExporter
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    import autograder.grading.course  # noqa: F401
    import autograder.grading.timed  # noqa: F401

    error = new_output("error", ename="AssertionError", evalue="x",
                       traceback=["\x1b[0;31mAssertionError\x1b[0m: x"])
    HTMLExporter().from_notebook_node(new_notebook(cells=[
        new_markdown_cell("# Title\n\nSome *text* and `code`."),
        new_code_cell("import numpy as np\nprint(np.pi)", outputs=[error])]))


def forked(spec_path: str, log_path: str, env: dict[str, str]) -> None:
    """The runner in a process forked from a warm worker: what `python -m ... SPEC` would be."""
    os.environ.clear()
    os.environ.update(env)
    os.setsid()  # its own session, so the worker can kill the whole group
    os.chdir(Path(spec_path).parent)
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    os.close(null)
    sys.dont_write_bytecode = True
    sys.exit(main([spec_path]))


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[0]).read_text())
    start = time.perf_counter()
    die_with_parent()
    isolation = sandbox.Isolation(files="working copy only (sandbox off)")
    if spec["isolate"]:
        isolation = sandbox.enter_job()
    if "namespace" in isolation.processes:
        sandbox.become_init()
        die_with_parent()  # the init child, too, when the waiting runner parent dies
    else:
        # orphans (a student's daemons) re-parent here, where the worker finds and kills them
        prctl(PR_SET_CHILD_SUBREAPER, 1)
    # Written now: a submission killed at the time limit never reaches result.json.
    write_json(Path(spec["work"]) / "isolation.json", asdict(isolation))
    limits_module.apply(limits_module.Limits(**spec["limits"]))
    try:
        result = run(spec)
    except Exception as exc:  # reported as this submission's error; the batch goes on
        result = {"autograde": {"success": False, "error": f"{type(exc).__name__}: {exc}"}}
    result["seconds"] = time.perf_counter() - start
    write_json(Path(spec["work"]) / "result.json", result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
