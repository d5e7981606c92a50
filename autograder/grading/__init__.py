"""Instructor grading in one command: `python -m autograder grade ASSIGNMENT` (`make grade`).

The flow is nbgrader's own, driven through its converters, plugins and Gradebook API:

    intake    import a folder tree, or an LMS zip through nbgrader's ZipCollect
    course    the output folder as an nbgrader course; the assignment recorded by
              GenerateAssignment in the main gradebook and in a template gradebook
    workers   one job per student: a working copy (the submission + a copy of the template),
              nbgrader's Autograde and GenerateFeedback run by `runner` in a sandbox
    merge     the outcomes written into the main gradebook, one at a time, by the parent
    report    nbgrader's CSV export, a per-cell CSV, a per-submission CSV, a summary table

Why per-job gradebooks: SQLite takes one writer at a time and nbgrader opens and commits
many short sessions per notebook, so N processes sharing one file would serialize or fail
with "database is locked". Each job instead grades against its own copy of a gradebook that
holds only the assignment's definition, and `grade_submission(job) -> GradeOutcome` returns
plain data: the parent merges it single-threaded. Grades do not depend on the number of
workers or on completion order, and the function runs on any concurrent.futures Executor
(a local process pool today, a Dask `Client.get_executor()` later).

Limits per submission (`limits`, `sandbox`, `kernel`): a wall-clock timeout that kills the
whole process tree, the course's per-cell timeout, an address-space limit, a file-size limit;
and where Linux allows it, no network (a network namespace), one PID namespace per job, and a
kernel that sees neither gradebooks nor solutions nor other students, can write only its own
folder and /tmp, and holds no capabilities. What was achieved is reported per submission.
"""
