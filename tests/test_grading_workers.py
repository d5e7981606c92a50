"""autograder.grading.workers: one real nbgrader job per test, on the tiny course.

Each job starts the runner and a Jupyter kernel (a few seconds): correct work, a loop that
shrugs off interrupts, a busy loop over its CPU time, a cell over its time limit, a runaway
allocation, broken files, and a leftover daemon, each with its reason.
"""

import json
import pickle
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import psutil
import pytest
from grading_course import ASSIGNMENT, HIDDEN, make_course, submission

from autograder.grading import zygote
from autograder.grading.course import GradingCourse, define_assignment
from autograder.grading.limits import JobLimits
from autograder.grading.orchestrator import hidden_paths, make_template
from autograder.grading.outcome import GradeStatus
from autograder.grading.redact import normalize
from autograder.grading.workers import GradeJob, can_fork, grade_submission, run_jobs

LOOP = """import time
while True:  # ignores the interrupt at the cell time limit
    try:
        time.sleep(0.05)
    except KeyboardInterrupt:
        pass"""


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("workers")
    graded = GradingCourse.open(make_course(tmp / "course"), tmp / "graded")
    define_assignment(graded, ASSIGNMENT, tmp / "release")
    make_template(graded, ASSIGNMENT, tmp / "work")
    return graded


def job(course: GradingCourse, student: str, nb=None, *, raw: str | None = None, isolate=True,
        preload: tuple[str, ...] = (), **limits) -> GradeJob:
    folder = course.path("submitted_directory", student, ASSIGNMENT)
    folder.mkdir(parents=True, exist_ok=True)
    if raw is not None:
        (folder / f"{ASSIGNMENT}.ipynb").write_text(raw)
    elif nb is not None:
        nbformat.write(nb, folder / f"{ASSIGNMENT}.ipynb")
    work = course.out.parent / "work"
    return GradeJob(assignment=ASSIGNMENT, student=student, submission=str(folder),
                    work=str(work / student), template_db=str(work / "template.db"),
                    course_root=str(course.root), course_id=course.course_id,
                    limits=JobLimits(**{"cpu_seconds": 60, "wall_seconds": 60, **limits}),
                    isolate=isolate, hide=hidden_paths(course, None), preload=preload)


def submission_of(course: GradingCourse, answer=None, **rest):
    return submission(course.root, answer, **rest)


@pytest.fixture(params=["fresh", "pre-forked"])
def kernel(request):
    """How the job's kernel starts: fresh, or pre-forked by a runner from a zygote (what a
    pool's jobs do); the limits hold either way. Returns (the job's preload, a name suffix)."""
    if request.param == "fresh":
        yield (), "fresh"
        return
    yield (*zygote.KERNEL_IMPORTS, "time"), "zygote"
    zygote.forget()


def started_as(result) -> str:
    """"pre-forked" or "fresh", as the job's kernel launcher reported (none: unsandboxed)."""
    report = Path(result.work, "kernel.json")
    return "pre-forked" if report.exists() and json.loads(report.read_text())["prefork"] \
        else "fresh"


def expected_start(kernel, result) -> str:
    """Pre-forked where asked for and the job got its namespaces; fresh otherwise."""
    return "pre-forked" if kernel[0] and result.isolation.pid_namespace else "fresh"


def test_a_correct_submission_gets_full_marks_and_feedback_without_hidden_tests(course):
    result = grade_submission(job(course, "ada", submission_of(course, "answer = 42")))
    assert (result.status, result.score, result.max_score) == (GradeStatus.GRADED, 2.0, 2.0)
    assert result.reason == "all 1 tests passed"
    assert result.comments == ((ASSIGNMENT, "answer", None),)
    if result.isolation.full:
        assert "capabilities dropped" in result.isolation.files
    html = Path(result.feedback, f"{ASSIGNMENT}.html")
    assert "answer should be 42" in html.read_text()
    assert normalize(HIDDEN) not in normalize(html.read_text())
    assert pickle.loads(pickle.dumps(result)) == result  # travels between processes
    # the kernel's start and the cells are part of the job, not all of it
    assert 0 < result.execute_seconds < result.seconds
    assert 0 < result.cpu_seconds


def test_a_wrong_answer_fails_with_the_test_message(course):
    result = grade_submission(job(course, "bob", submission_of(course, "answer = 41")))
    assert (result.status, result.score) == (GradeStatus.GRADED, 0.0)
    assert result.reason == ("0 of 1 tests passed; test_answer: AssertionError: answer should "
                             "be 42 (mistake: different-model)")


def running(marker: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        if marker in " ".join(proc.info["cmdline"] or []):
            found.append(proc)
    return found


@pytest.mark.parametrize("isolate", [True, False], ids=["sandbox", "no-sandbox"])
def test_an_endless_loop_is_killed_with_everything_it_started(course, isolate, kernel):
    preload, name = kernel
    if preload and not isolate:
        pytest.skip("a kernel is pre-forked only in the job's sandbox")
    daemon = ("import subprocess, os\n"
              "subprocess.Popen(['sleep', '987'], start_new_session=True)\n"
              "if os.fork() == 0:\n    os.setsid()\n    os.execvp('sleep', ['sleep', '988'])\n")
    start = time.perf_counter()
    result = grade_submission(job(course, f"loop-{isolate}-{name}",
                                  submission_of(course, daemon + LOOP), isolate=isolate,
                                  preload=preload, wall_seconds=8))
    assert time.perf_counter() - start < 30
    assert (result.status, result.score) == (GradeStatus.TIMEOUT, 0.0)
    assert result.reason.startswith("stopped at the 8.00 s idle wall-clock limit while running "
                                    f"cell 1 (answer) of {ASSIGNMENT} (used ")
    assert result.cells[0].message == "not graded: timeout" and result.flagged
    time.sleep(0.5)
    assert running("sleep 987") == [] and running("sleep 988") == []
    assert started_as(result) == expected_start(kernel, result)


def test_a_cell_that_ignores_the_interrupt_at_its_cell_limit_meets_the_jobs(course):
    result = grade_submission(job(course, "stubborn", submission_of(course, LOOP),
                                  cell_timeout=3, wall_seconds=10))
    assert (result.status, result.score) == (GradeStatus.TIMEOUT, 0.0)
    assert result.reason.startswith("stopped at the 10.0 s idle wall-clock limit while running "
                                    f"cell 1 (answer) of {ASSIGNMENT}")


def test_a_busy_loop_is_stopped_at_its_cpu_time(course, kernel):
    spin = "import threading\ndef spin():\n    while True:\n        pass\n" \
           "for _ in range(2):\n    threading.Thread(target=spin, daemon=True).start()\n" + \
           "while True:\n    pass"
    result = grade_submission(job(course, f"spinner-{kernel[1]}", submission_of(course, spin),
                                  preload=kernel[0], cpu_seconds=6))
    assert result.status == GradeStatus.TIMEOUT
    assert result.reason.startswith("stopped at the 6.00 s CPU time limit while running "
                                    f"cell 1 (answer) of {ASSIGNMENT}")
    assert result.cpu_seconds > 6
    assert started_as(result) == expected_start(kernel, result)


@pytest.mark.parametrize("code, spent", [("time.sleep(60)", "waiting"),
                                         ("while True:\n    pass", "CPU time")],
                         ids=["waiting", "computing"])
def test_a_cell_over_its_time_limit_is_interrupted_and_grading_goes_on(course, code, spent,
                                                                     kernel):
    result = grade_submission(job(course, f"slow-{spent.split()[0]}-{kernel[1]}",
                                  submission_of(course, code), preload=kernel[0],
                                  cell_timeout=3))
    assert (result.status, result.score) == (GradeStatus.GRADED, 0.0), result.reason
    assert "answer was stopped at the 3 s cell time limit" in result.reason
    assert result.stopped_cells == ("answer",) and result.flagged
    done = nbformat.read(Path(result.autograded) / f"{ASSIGNMENT}.ipynb", as_version=4)
    (error,) = [o for o in done.cells[1].outputs if o.output_type == "error"]
    assert (error.ename, error.evalue) == ("CellTimeoutError",
                                           f"the cell was stopped after 3 s of {spent}")
    assert started_as(result) == expected_start(kernel, result)


def test_a_runaway_allocation_meets_the_memory_limit(course, kernel):
    hog = "hoard = []\nwhile True:\n    hoard.append(bytearray(b'x' * 2**27))"
    result = grade_submission(job(course, f"hog-{kernel[1]}", submission_of(course, hog),
                                  preload=kernel[0], memory=2**30))
    assert result.status == GradeStatus.GRADED and result.score == 0.0
    assert result.reason.startswith("answer ran out of memory (limit 1 GiB per process)")
    assert started_as(result) == expected_start(kernel, result)


def test_broken_or_missing_notebooks_get_zero_and_a_reason(course):
    broken = grade_submission(job(course, "broken", raw="this is not json"))
    assert (broken.status, broken.score) == (GradeStatus.ERROR, 0.0)
    assert "tiny.ipynb is not a readable notebook" in broken.reason
    assert "nbgrader could not grade it" in broken.reason

    folder = course.path("submitted_directory", "renamed", ASSIGNMENT)
    folder.mkdir(parents=True)
    nbformat.write(submission_of(course, "answer = 42"), folder / "Copy of tiny.ipynb")
    renamed = grade_submission(job(course, "renamed"))
    assert (renamed.status, renamed.score) == (GradeStatus.ERROR, 0.0)  # as in stock nbgrader
    assert renamed.reason.startswith("no tiny.ipynb in the submission")


def test_a_deleted_test_cell_is_left_for_a_manual_grade_as_stock_nbgrader_does(course):
    nb = submission_of(course, "answer = 42", delete=("test_answer",))
    result = grade_submission(job(course, "deleter", nb))
    assert result.score == 0.0 and result.cells[0].needs_manual_grade
    assert result.cells[0].auto_score is None
    assert "deleted test cell test_answer (no automatic score" in result.reason


def test_run_jobs_reports_every_outcome_and_survives_a_failing_job(course):
    good = job(course, "cat", submission_of(course, "answer = 42"))
    bad = GradeJob(assignment=ASSIGNMENT, student="ghost", submission="/nonexistent",
                   work=str(course.out.parent / "work" / "ghost"),
                   template_db="/nonexistent.db", course_root=str(course.root))
    seen = []
    # A threaded executor (as Dask's workers are) cannot fork safely: the runner is spawned.
    with ThreadPoolExecutor(2) as pool:
        outcomes = {o.student: o for o in run_jobs([good, bad], pool, seen.append)}
    assert len(seen) == 2
    assert outcomes["cat"].score == 2.0 and outcomes["cat"].execute_seconds > 0
    assert outcomes["ghost"].status == GradeStatus.ERROR
    assert "grading failed" in outcomes["ghost"].reason


def test_a_runner_is_forked_only_from_a_small_single_threaded_process():
    assert can_fork(2**40) == (threading.active_count() == 1)
    assert not can_fork(2**20)  # this process is far more than a quarter of 1 MiB
    with ThreadPoolExecutor(1) as pool:  # a second thread: forking would be unsafe
        assert not pool.submit(can_fork, 2**40).result()
