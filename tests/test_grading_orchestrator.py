"""autograder.grading.orchestrator: the steps of `grade`, each on its own. Who is graded and who
is skipped and why, as stock autograde decides; what student code must not see and what no job
may change; the scratch folder; the pool; timeouts graded once more, alone; the solution
measured once; the merge that stops with every outcome kept.

No job runs a notebook here (`run_jobs` and `merge` are stand-ins). The whole flow on the tiny
course: tests/test_grading_cli.py; into PostgreSQL and on Dask, with `--resume`:
tests/test_grading_database.py and tests/test_grading_distributed.py.
"""

import dataclasses
import io
import re
import shutil
import types
from pathlib import Path

import pytest

from autograder.common.paths import ROOT
from autograder.grading import database, orchestrator, reference, zygote
from autograder.grading.course import GradingCourse
from autograder.grading.intake import IntakeError
from autograder.grading.journal import Journal
from autograder.grading.limits import FALLBACK_SECONDS, JobLimits
from autograder.grading.outcome import GradeOutcome, GradeStatus

A = "tiny"


@pytest.fixture
def root(tmp_path) -> Path:
    """A course folder: the course's settings (solutions/ and lessons/), no assignment run."""
    root = tmp_path / "course"
    (root / "solutions" / A).mkdir(parents=True)
    (root / "lessons" / A).mkdir(parents=True)
    shutil.copyfile(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    return root


def outcome(student: str, status=GradeStatus.GRADED, **rest) -> GradeOutcome:
    return GradeOutcome(assignment=A, student=student, status=status, score=2.0, max_score=2.0,
                        **{"reason": "", **rest})


# --- who is graded -------------------------------------------------------------------------------


def submit(course: GradingCourse, student: str, *, at: str | None = None,
           autograded_at: str | None = None, autograded: bool = False) -> None:
    folder = course.path("submitted_directory", student, A)
    folder.mkdir(parents=True)
    (folder / f"{A}.ipynb").write_text("{}")
    if at:
        (folder / "timestamp.txt").write_text(at)
    if autograded or autograded_at:
        done = course.path("autograded_directory", student, A)
        done.mkdir(parents=True)
        if autograded_at:
            (done / "timestamp.txt").write_text(autograded_at)


@pytest.fixture
def in_place(root) -> GradingCourse:
    """The course graded in place: ada new, bob autograded, cy submitted again since."""
    course = GradingCourse.open(root)
    submit(course, "ada")
    submit(course, "bob", autograded=True)
    submit(course, "cy", at="2025-03-02 09:00:00 UTC", autograded_at="2025-03-01 09:00:00 UTC")
    return course


def test_in_the_course_only_new_and_resubmitted_work_is_graded(in_place):
    chosen, skipped = orchestrator.choose_students(in_place, A, None, (), False, None)
    assert chosen == ["ada", "cy"]
    assert skipped == ["bob: already autograded (give --force to grade it again)"]


def test_force_and_a_resumed_run_grade_what_is_autograded_already(in_place):
    assert orchestrator.choose_students(in_place, A, None, (), True, None) == (
        ["ada", "bob", "cy"], [])
    chosen, _ = orchestrator.choose_students(in_place, A, None, (), False, None,
                                             resumed={"bob"})
    assert chosen == ["ada", "bob", "cy"]  # bob's outcome is in the journal: merged, not graded


def test_students_asked_for_by_name_are_graded_or_skipped_with_why(in_place):
    chosen, skipped = orchestrator.choose_students(in_place, A, None, ("cy", "dee"), False,
                                                   None)
    assert chosen == ["cy"] and skipped == [f"dee: no submission of {A}"]
    with pytest.raises(IntakeError, match=rf"no submission of {A} from dee, eve in .*submitted "
                                          rf"\(nbgrader's submitted/STUDENT/{A}/\*\.ipynb\)"):
        orchestrator.choose_students(in_place, A, None, ("dee", "eve"), False, None)



@pytest.mark.parametrize("imported", [False, True], ids=["in the course", "imported"])
def test_an_excluded_student_asked_for_by_name_gets_one_reason(root, monkeypatch, imported):
    with (root / "nbgrader_config.py").open("a") as config:
        config.write('\nc.CourseDirectory.student_id_exclude = "zed"\n')
    course = GradingCourse.open(root)
    for student in ("ada", "zed"):
        submit(course, student)
    monkeypatch.setattr(orchestrator.intake, "import_submissions",
                        lambda *args: types.SimpleNamespace(students=("ada", "zed"), skipped=()))
    chosen, skipped = orchestrator.choose_students(
        course, A, Path("class") if imported else None, ("ada", "zed"), False, None)
    assert chosen == ["ada"]
    assert skipped == ["zed: excluded (CourseDirectory.student_id_exclude)"]

# --- what jobs may see and change ----------------------------------------------------------------


def test_grading_elsewhere_hides_the_whole_output_folder_and_both_gradebooks(root, tmp_path):
    out, imported = tmp_path / "graded", tmp_path / "class.zip"
    course = GradingCourse.open(root, out)
    hidden = orchestrator.hidden_paths(course, imported)
    assert {str(p) for p in (out, out / ".autograder", root / "solutions", out / "submitted",
                             out / "autograded", out / "feedback", root / "gradebook.db",
                             out / "gradebook.db", imported)} == set(hidden)
    assert len(hidden) == len(set(hidden))


def test_grading_in_place_never_hides_the_course_itself(root):
    # the course folder holds what the kernel runs on (its environment, lessons, data)
    hidden = orchestrator.hidden_paths(GradingCourse.open(root), None)
    assert str(root) not in hidden and str(root / "solutions") in hidden
    assert hidden.count(str(root / "gradebook.db")) == 1  # the course's gradebook is the db file


def test_a_gradebook_on_a_server_has_no_file_to_hide_or_back_up(root, tmp_path):
    course = GradingCourse.open(root, tmp_path / "out", "postgresql://u:p@127.0.0.1:1/gb")
    hidden = orchestrator.hidden_paths(course, None)
    assert str(tmp_path / "out" / "gradebook.db") not in hidden and "None" not in hidden
    assert orchestrator.back_up_gradebook(course, tmp_path) is None


def test_no_job_may_change_the_submissions_it_grades_the_source_or_the_gradebooks(root, tmp_path):
    out = tmp_path / "graded"
    course = GradingCourse.open(root, out)
    protected = orchestrator.protected_paths(course, A, ["ada", "bob"], tmp_path / "class")
    assert set(protected) == {out / "submitted" / "ada" / A, out / "submitted" / "bob" / A,
                              root / "solutions" / A, root / "lessons" / A,
                              out / "gradebook.db", tmp_path / "class", root / "gradebook.db"}


def test_the_gradebook_backup_is_a_copy_taken_before_grading(root, tmp_path):
    course = GradingCourse.open(root, tmp_path / "graded")
    scratch = orchestrator.fresh_scratch(course, A)
    assert orchestrator.back_up_gradebook(course, scratch) is None  # no gradebook yet
    course.db_file.write_bytes(b"before")
    backup = orchestrator.back_up_gradebook(course, scratch)
    course.db_file.write_bytes(b"tampered")
    assert backup.read_bytes() == b"before" and backup.parent == scratch


def test_each_job_works_in_its_own_folder_and_hides_the_others(root, tmp_path):
    course = GradingCourse.open(root, tmp_path / "graded")
    scratch = orchestrator.fresh_scratch(course, A)
    limits = JobLimits(cpu_seconds=60, wall_seconds=60)
    job = orchestrator.make_job(course, A, "ada", scratch, scratch / "template.db", limits,
                                isolate=True, quick=False, submissions=None)
    assert Path(job.work) == scratch / "jobs" / "ada"
    assert job.submission == str(course.path("submitted_directory", "ada", A))
    assert str(scratch.parent) in job.hide  # every job's working copy is under it
    assert (job.limits, job.quick, job.out) == (limits, False, str(course.out))
    mine = orchestrator.make_job(course, A, "ada", scratch, scratch / "template.db", limits,
                                 isolate=True, quick=True, submissions=None,
                                 submission=tmp_path / "solution")
    assert mine.submission == str(tmp_path / "solution")


# --- the scratch folder --------------------------------------------------------------------------


def test_scratch_starts_empty_unless_a_run_is_resumed(root, tmp_path):
    course = GradingCourse.open(root, tmp_path / "graded")
    scratch = orchestrator.fresh_scratch(course, A)
    assert scratch == tmp_path / "graded" / orchestrator.SCRATCH / A
    (scratch / "outcomes").mkdir()
    assert orchestrator.fresh_scratch(course, A, keep=True) == scratch
    assert (scratch / "outcomes").is_dir()
    assert list(orchestrator.fresh_scratch(course, A).iterdir()) == []


def test_an_output_folder_becomes_a_course_but_the_course_keeps_its_own_config(root, tmp_path):
    before = (root / "nbgrader_config.py").read_text()
    orchestrator.fresh_scratch(GradingCourse.open(root, tmp_path / "graded"), A)
    written = (tmp_path / "graded" / "nbgrader_config.py").read_text()
    assert f"load_subconfig({str(root / 'nbgrader_config.py')!r})" in written
    orchestrator.fresh_scratch(GradingCourse.open(root), A)
    assert (root / "nbgrader_config.py").read_text() == before


# --- running the jobs ----------------------------------------------------------------------------


def test_progress_is_one_line_per_submission_with_a_bar():
    stream = io.StringIO()
    shown = orchestrator.Progress(4, stream=stream)
    shown(outcome("ada"))
    shown(dataclasses.replace(outcome("bob", GradeStatus.TIMEOUT), score=0.0))
    first, second = stream.getvalue().splitlines()
    assert re.fullmatch(r"\[#####\.{15}\] 1/4 \S+ \S+  ada: 2/2 graded", first)
    assert re.fullmatch(r"\[#{10}\.{10}\] 2/4 \S+ \S+  bob: 0/2 timeout", second)


def test_in_process_runs_each_job_at_once_and_keeps_its_error_for_later():
    executor = orchestrator.InProcess()
    ran = []
    assert executor.submit(ran.append, 1).done() and ran == [1]
    failed = executor.submit(lambda: 1 / 0)
    assert isinstance(failed.exception(), ZeroDivisionError)


def test_one_job_or_a_given_executor_needs_no_pool_of_our_own():
    with orchestrator.worker_pool(None, 4, 1) as (pool, n):
        assert isinstance(pool, orchestrator.InProcess) and n == 1
    given = orchestrator.InProcess()
    with orchestrator.worker_pool(given, 0, 3) as (pool, n):
        assert pool is given and 1 <= n <= 3  # never more at once than there are jobs
    with orchestrator.worker_pool(given, 8, 2) as (_, n):
        assert n == 2


def test_zygotes_only_where_each_worker_has_several_jobs_of_a_notebook_beyond_the_stdlib():
    per = zygote.JOBS_PER_WORKER
    assert orchestrator.uses_zygotes(None, 2, 2 * per)
    assert not orchestrator.uses_zygotes(None, 2, 2 * per - 1)
    assert not orchestrator.uses_zygotes(None, 1, 50)  # one at a time, in this process
    assert orchestrator.uses_zygotes(orchestrator.InProcess(), 1, per)  # a given executor
    assert orchestrator.pool_size(0, 1) == 1 and orchestrator.pool_size(8, 3) == 3
    kernel = zygote.KERNEL_IMPORTS
    assert not zygote.worth_starting(())
    assert not zygote.worth_starting((*kernel, "time", "json", "os.path"))  # the tiny course
    assert zygote.worth_starting((*kernel, "time", "sklearn.linear_model"))


def test_a_timeout_is_graded_once_more_alone_and_counted_as_two_attempts(monkeypatch):
    jobs = [types.SimpleNamespace(student=s) for s in ("cy", "ada", "bob")]
    batches = []

    def run_jobs(batch, executor, on_done=None):
        batches.append([j.student for j in batch])
        for job in batch:
            first = len(batches) == 1
            done = outcome(job.student, GradeStatus.TIMEOUT if first and job.student == "bob"
                           else GradeStatus.GRADED,
                           stopped_cells=("answer",) if first and job.student == "cy" else ())
            if on_done:
                on_done(done)
            yield done

    monkeypatch.setattr(orchestrator, "run_jobs", run_jobs)
    seen = []
    graded = orchestrator.grade_all(jobs, orchestrator.InProcess(), seen.append)
    # a whole timeout and a cell stopped at its limit: both may be the busy machine's fault
    assert batches == [["cy", "ada", "bob"], ["cy"], ["bob"]]
    assert [(o.student, o.status, o.attempts) for o in graded] == [
        ("ada", "graded", 1), ("bob", "graded", 2), ("cy", "graded", 2)]
    assert len(seen) == 3  # progress counts each submission once


# --- the solution's measurement ------------------------------------------------------------------


@pytest.fixture
def measuring(root, tmp_path, monkeypatch):
    """measure_limits with the solution's job and the cache as stand-ins: returns
    (measure(solution outcome) -> limits, the jobs run, the cache)."""
    course = GradingCourse.open(root, tmp_path / "graded")
    scratch = orchestrator.fresh_scratch(course, A)
    cache, jobs = {}, []
    monkeypatch.setattr(reference, "cached", cache.get)
    monkeypatch.setattr(reference, "store", cache.__setitem__)
    monkeypatch.setattr(reference, "solution_submission",
                        lambda course, assignment, dest: dest)

    def measure(solution: GradeOutcome) -> JobLimits:
        def run_jobs(batch, executor):
            jobs.extend(batch)
            yield solution

        monkeypatch.setattr(orchestrator, "run_jobs", run_jobs)
        return orchestrator.measure_limits(
            course, A, scratch, scratch / "template.db", orchestrator.InProcess(), quick=True,
            isolate=True, limits=JobLimits(memory=2**30, cell_timeout=20, file_size=2**20))

    return measure, jobs, cache


def test_the_solution_is_graded_once_and_submissions_get_three_times_its_time(measuring):
    measure, jobs, cache = measuring
    solution = outcome(reference.STUDENT, cpu_seconds=40.0, seconds=50.0, execute_seconds=45.0)
    limits = measure(solution)
    assert (limits.cpu_seconds, limits.wall_seconds) == (120.0, 150.0)
    assert (limits.memory, limits.cell_timeout, limits.file_size) == (2**30, 20, 2**20)
    [job] = jobs
    assert job.student == reference.STUDENT and job.limits.cpu_seconds == FALLBACK_SECONDS
    assert list(cache.values()) == [reference.Reference(cpu_seconds=40.0, wall_seconds=50.0,
                                                       execute_seconds=45.0)]
    assert measure(solution) == limits and len(jobs) == 1  # the second time, from the cache


def test_a_solution_that_cannot_be_graded_gives_the_fallback_and_is_not_cached(measuring):
    measure, _, cache = measuring
    limits = measure(outcome(reference.STUDENT, GradeStatus.ERROR, reason="kernel died"))
    assert (limits.cpu_seconds, limits.wall_seconds) == (FALLBACK_SECONDS, FALLBACK_SECONDS)
    assert limits.basis == "the solution could not be graded (kernel died)"
    assert limits.memory == 2**30 and cache == {}


# --- the merge -----------------------------------------------------------------------------------


@pytest.fixture
def merging(tmp_path, monkeypatch):
    """merge_all into a stand-in gradebook that goes down after `answers` outcomes."""
    course = types.SimpleNamespace(db_url=f"sqlite:///{tmp_path / 'gradebook.db'}",
                                   course_id="c")
    journal = Journal(tmp_path / "scratch")
    merged = []

    def run(outcomes, answers=99, down=True):
        def merge(left, course, on_merged):
            for o in left:
                if len(merged) == answers:
                    raise OSError("connection reset")
                merged.append(o.student)
                on_merged(o)

        def check(url):
            if down:
                raise database.GradebookUnavailable("the gradebook at sqlite:/// does not "
                                                    "answer: gone")

        monkeypatch.setattr(orchestrator, "merge", merge)
        monkeypatch.setattr(database, "check", check)
        orchestrator.merge_all(outcomes, course, journal)

    return run, journal, merged


def test_a_merge_that_stops_says_how_far_it_got_and_how_to_resume(merging):
    run, journal, merged = merging
    class_ = [outcome(s) for s in ("ada", "bob", "cy")]
    with pytest.raises(database.GradebookUnavailable) as stopped:
        run(class_, answers=1)
    assert str(stopped.value) == (
        f"the gradebook at sqlite:/// does not answer: gone; stopped after merging 1 of 3 "
        f"outcomes. All 3 are kept in {journal.folder}: run the same command with --resume "
        "to merge the rest without grading anyone again")
    run(class_)  # the resumed run merges only what is not marked
    assert merged == ["ada", "bob", "cy"]


def test_a_merge_error_of_a_gradebook_that_answers_is_raised_as_it_is(merging):
    run, _, _ = merging
    with pytest.raises(OSError, match="connection reset"):
        run([outcome("ada")], answers=0, down=False)


def test_nothing_left_to_merge_takes_no_lock(merging, monkeypatch):
    run, journal, merged = merging
    journal.mark_merged("ada")
    monkeypatch.setattr(database, "lock", lambda *a: pytest.fail("locked for nothing"))
    run([outcome("ada")])
    assert merged == []
