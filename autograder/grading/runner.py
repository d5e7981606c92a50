"""One submission's grading process: sandbox, limits, then nbgrader autograde and feedback.

Started by `workers.grade_submission` in a new session: forked from the worker (`forked`), which
has nbgrader imported already, or where forking is unsafe (`workers.can_fork`) as
`python -m autograder.grading.runner SPEC.json`. In order:

1. while still single-threaded, enter new network and PID namespaces (`sandbox.enter_job`) and
   fork into the PID namespace's init, or, where the OS refuses, become a child subreaper so
   the worker can still find every process to kill;
2. set the rlimits (`limits.apply`), inherited by the kernel and everything it starts;
   where the runner was forked from a zygote (clean: no student code run, no other student's
   files read), fork one waiting kernel per notebook now, before anything of this job is read
   (`prefork`);
3. make the job's course (`set_up`): the template gradebook with the student's earlier state,
   the submission in nbgrader's submitted/ layout; note what the submission changed;
4. run nbgrader's own Autograde and GenerateFeedback converters there, in the course's folder
   as `cd COURSE && nbgrader autograde` would, with the job's kernelspec
   (`autograder.grading.kernel`) hiding everything but the notebook folder from student code,
   and the course's per-cell timeout counted on the kernel's CPU and waiting time
   (`timed.TimedExecute`);
5. write what the sandbox achieved (`isolation.json`, and the kernel's `kernel.json`) and
   nbgrader's success or error (`result.json`), with the CPU time it all took.

It reports; it does not score. The worker reads the scores from the job's gradebook.
"""

from __future__ import annotations

import functools
import json
import os
import resource
import shutil
import signal
import sys
import time
from dataclasses import asdict
from pathlib import Path

from autograder.common.imports import skip_iri_grammars
from autograder.common.isolation import prctl
from autograder.grading import limits as limits_module
from autograder.grading import sandbox

KERNEL_NAME = "autograder-sandbox"
EXECUTE_TIMES = "execute.jsonl"  # what the notebooks' own runs took (timed.TimedExecute)
PATHS, NOTES, PROGRESS, RESULT = "paths.json", "notes.json", "progress.json", "result.json"
KERNEL_REPORT = "kernel.json"  # what the kernel launcher's sandbox achieved
PROVISIONER = "autograder-prefork"  # `prefork.PreforkedProvisioner` (`write_kernelspec`)
PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER = 1, 36


def write_json(path: Path, data) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1))
    tmp.replace(path)


def die_with_parent() -> None:
    """If the worker waiting for this process dies (Ctrl-C, a lost node), so does grading."""
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def write_kernelspec(work: Path, kernel_hide: Path) -> Path:
    """A kernelspec that starts the hiding launcher, or hands its launch to a pre-forked kernel
    (`prefork`); returns the folder to put on JUPYTER_PATH."""
    from autograder.grading import prefork

    prefork.register()  # the kernelspec names it: this process's jupyter_client must know it
    share = work / "jupyter"
    spec_dir = share / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "autograder.grading.kernel", str(kernel_hide),
                 "-f", "{connection_file}"],
        "display_name": "Python 3 (grading sandbox)",
        "language": "python",
        "metadata": {"kernel_provisioner": {"provisioner_name": PROVISIONER}},
    }))
    return share


def released_source(cell, hidden) -> str:
    """A locked cell as students received it: its hidden tests cleared as the release does."""
    from nbformat.v4 import new_code_cell, new_markdown_cell

    make = new_code_cell if cell.cell_type == "code" else new_markdown_cell
    copy = make(cell.source, metadata={"nbgrader": {"grade": True, "grade_id": cell.name}})
    hidden._remove_hidden_test_region(copy)
    return copy.source


def submission_notes(course, assignment: str, submitted: Path, db_url: str) -> list[str]:
    """What the submission left out or changed against the assignment's definition."""
    from nbgrader.preprocessors import ClearHiddenTests, OverwriteCells

    from autograder.grading.gradebook import opened
    from autograder.grading.outcome import locked_cell_changes, read_notebook

    hidden = ClearHiddenTests(config=course.config)
    put_back = OverwriteCells(config=course.config).add_missing_cells
    notes = []
    with opened(db_url, course.course_id) as gb:
        for nb in gb.find_assignment(assignment).notebooks:
            path = submitted / f"{nb.name}.ipynb"
            if not path.is_file():
                notes.append(f"no {nb.name}.ipynb in the submission")
                continue
            mine = read_notebook(path)
            if mine is None:
                notes.append(f"{nb.name}.ipynb is not a readable notebook")
                continue
            tests = {c.name for c in nb.grade_cells}
            locked = [(c.name, c.name in tests, released_source(c, hidden))
                      for c in nb.source_cells if c.locked]
            notes += locked_cell_changes(mine, locked, put_back)
    return notes


def set_up(spec: dict, course) -> dict[str, str]:
    """The job's course: the template gradebook with the student's earlier state in it, and the
    submission where nbgrader looks for it. Returns the folders the worker reads afterwards."""
    from autograder.grading.gradebook import StudentState, restore_state

    work, student, assignment = Path(spec["work"]), spec["student"], spec["assignment"]
    db = work / "course" / "gradebook.db"
    shutil.copyfile(spec["template_db"], db)
    restore_state(course.db_url, course.course_id, assignment, student,
                  StudentState(**spec["prior"]))
    submitted = course.path("submitted_directory", student, assignment)
    submitted.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(spec["submission"], submitted, symlinks=True)
    paths = {kind: str(course.path(f"{kind}_directory", student, assignment))
             for kind in ("submitted", "autograded", "feedback")}
    write_json(work / PATHS, paths)
    write_json(work / NOTES, submission_notes(course, assignment, submitted, course.db_url))
    return paths


def final_lessons_url(course, spec: dict) -> str:
    """The lessons, relative to where the feedback page ends up (the graded course's folder,
    `spec["out"]`), not to this job's working copy."""
    from autograder.grading.feedback import lessons_url

    page = course.path("feedback_directory", spec["student"], spec["assignment"])
    final = Path(spec["out"]) / page.relative_to(course.out)
    return lessons_url(course.folder("release_directory"), final)


def run(spec: dict) -> dict:
    """nbgrader autograde, then feedback, for one student. Returns the result record."""
    from nbgrader.converters import Autograde, GenerateFeedback

    from autograder.grading.converters import run_converter
    from autograder.grading.course import GradingCourse, feedback_preprocessors
    from autograder.grading.timed import last_notebook, use_timed_execute

    work = Path(spec["work"])
    limits = limits_module.JobLimits(**spec["limits"])
    course = GradingCourse.open(Path(spec["course_root"]), out=work / "course")
    set_up(spec, course)
    config = course.config
    cell_limit = limits.effective_cell_timeout(config.Execute.get("timeout", 30))
    use_timed_execute(config, str(work / EXECUTE_TIMES), str(work / PROGRESS), cell_limit,
                      skip_tail_of=last_notebook(spec["submission"]) if spec["quick"] else "")
    config.GenerateFeedback.preprocessors = feedback_preprocessors(config)
    if spec.get("out") and not config.MistakeFeedback.get("lessons_url"):
        config.MistakeFeedback.lessons_url = final_lessons_url(course, spec)
    if spec["isolate"]:
        kernel_hide = work / "kernel-hide.json"
        write_json(kernel_hide, {"hide": spec["hide"], "report": str(work / KERNEL_REPORT)})
        share = write_kernelspec(work, kernel_hide)
        os.environ["JUPYTER_PATH"] = os.pathsep.join(
            [str(share), *filter(None, [os.environ.get("JUPYTER_PATH")])])
        config.Execute.kernel_name = config.ExecutePreprocessor.kernel_name = KERNEL_NAME

    result = {"cell_timeout": cell_limit}
    with course.running():
        graded = run_converter(Autograde, config, spec["assignment"], spec["student"],
                               force=True)
        result["autograde"] = asdict(graded)
        if graded.success:
            feedback = run_converter(GenerateFeedback, config, spec["assignment"],
                                     spec["student"], force=True)
            result["feedback"] = asdict(feedback)
    return result


@functools.cache
def warm_up() -> None:
    """Load what every runner needs, once, so each runner forked from this process has it:
    nbgrader's imports (about 1 s, with `skip_iri_grammars` sparing 1.5 s more), and what
    the first feedback page costs beyond later ones (pygments lexers, markdown, templates:
    about 0.25 s), primed by rendering a small notebook."""
    skip_iri_grammars()
    import nbgrader.apps.baseapp  # noqa: F401
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


def forked(spec_path: str, log_path: str, env: dict[str, str], *, clean: bool = False) -> None:
    """The runner in a process forked from a warm worker, or from a zygote (`clean`): what
    `python -m ... SPEC` would be."""
    os.environ.clear()
    os.environ.update(env)
    os.setsid()  # its own session, so the worker can kill the whole group
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    os.close(null)
    sys.dont_write_bytecode = True
    sys.exit(main([spec_path], clean=clean))


def cpu_seconds() -> float:
    """CPU time of this process and of every child it (or they) waited for: the kernel's too."""
    own, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                          resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main(argv: list[str], *, clean: bool = False) -> int:
    skip_iri_grammars()
    spec = json.loads(Path(argv[0]).read_text())
    start = time.perf_counter()
    die_with_parent()
    isolation = sandbox.Isolation(files="working copy only (sandbox off)")
    if spec["isolate"]:
        isolation = sandbox.enter_job()
    if isolation.pid_namespace:
        sandbox.become_init()
        die_with_parent()  # the init child, too, when the waiting runner parent dies
    else:
        # orphans (a student's daemons) re-parent here, where the worker finds and kills them
        prctl(PR_SET_CHILD_SUBREAPER, 1)
    # Written now: a submission killed at the time limit never reaches result.json.
    write_json(Path(spec["work"]) / "isolation.json", asdict(isolation))
    limits_module.apply(limits_module.JobLimits(**spec["limits"]))
    if clean and isolation.pid_namespace:  # the kernels die with the namespace, unused or not
        from autograder.grading import prefork

        prefork.start(spec.get("kernels", 1))
    try:
        result = run(spec)
    except Exception as exc:  # reported as this submission's error; the batch goes on
        from autograder.common.text import error_line

        result = {"autograde": {"success": False, "error": error_line(exc)}}
    result["seconds"] = time.perf_counter() - start
    result["cpu_seconds"] = cpu_seconds()
    write_json(Path(spec["work"]) / RESULT, result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
