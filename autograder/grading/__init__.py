"""Grading any nbgrader course as `nbgrader autograde` does, in parallel, sandboxed, with
feedback that never shows hidden tests: `autograder grade ASSIGNMENT` (`make grade`).

The flow is nbgrader's own, driven through its converters, plugins and Gradebook API:

    orchestrator  `grade()`: the steps below, in order
    course        the course's settings as nbgrader reads them, and where results go (the
                  course itself, or an output folder); the assignment's definition
    intake        import a folder tree, or an LMS zip through nbgrader's ZipCollect
    gradebook     templates (the definition alone) and each student's earlier state, copied
                  between the course's gradebook and the jobs' own, through nbgrader's API
    reference     the solution graded once, its time cached: what the limits come from
    limits        CPU time, idle wall clock, memory and file size per submission
    workers       one job per student: nbgrader's Autograde and GenerateFeedback run by
                  `runner` in a sandbox (`sandbox`, `kernel`), watched and stopped at its limits
    zygote        a pool worker's clean, warm process that forks each runner, whose kernels
                  are then pre-forked in the job's sandbox with their imports done (`prefork`)
    converters    nbgrader's converters, failing with their real cause
    merge         the outcomes written into the course's gradebook, one at a time
    outcome       what one submission got, and why, as typed data (`GradeStatus`, `CellStatus`)
    report        nbgrader's CSV export, a per-cell CSV, a per-submission CSV, a summary table
    redact, timed feedback without hidden-test lines; each notebook's run timed and traced
    integrity     a tripwire on what no job may change
    samples       the bundled sample classes and their expected grades

Why per-job gradebooks: SQLite takes one writer at a time and nbgrader opens and commits
many short sessions per notebook, so N processes sharing one file would serialize or fail
with "database is locked". Each job instead grades against its own copy of a gradebook that
holds the assignment's definition and the student's earlier state, and
`grade_submission(job) -> GradeOutcome` returns plain data: the parent merges it
single-threaded. Grades do not depend on the number of workers or on completion order, and the
function runs on any concurrent.futures Executor (a local process pool, or a Dask
`Client.get_executor()`).

Limits per submission: CPU time (of the kernel and everything it starts, counted by the worker,
with an RLIMIT_CPU backstop), a wall-clock ceiling on the time it spends waiting, both derived
from the solution's own measured run, the course's per-cell timeout, an address-space limit, a
file-size limit; a submission stopped at a limit is graded once more, alone, before it is
reported as a timeout. Where Linux allows it: no network (a network namespace), one PID
namespace per job, and a kernel that sees neither gradebooks nor sources nor other students, can
write only its own folder and /tmp, and holds no capabilities. What was achieved is reported
per submission.
"""
