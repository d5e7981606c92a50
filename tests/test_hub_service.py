"""Grade on submit against a real hub (tests/conftest.py `class_hub`): a class at once,
the service killed while it grades, and a submission that claims someone else's name.

Students are simulated as their own Unix accounts through nbgrader's exchange, and log in
through the hub's login form for their API tokens (bench/hub.py says how and why). The tiny
assignment keeps the cost down: what is tested is the service, not a lesson.
"""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

import psutil
import pytest
from hubclass import NAMES, RESUBMIT_EVERY

from autograder.hub.journal import Outcome, State
from bench.hub import (
    ASSIGNMENT,
    ClassHub,
    LatencyProbe,
    Plan,
    expected_score,
    login_token,
    percentile,
    run_students,
    wave,
)

# Starts a hub and grades notebooks (the shared class_hub; a generous ceiling for a busy machine).
pytestmark = [pytest.mark.notebook, pytest.mark.timeout(1200)]


@pytest.fixture(scope="module")
def hub(class_hub: ClassHub) -> ClassHub:
    class_hub.publish(ASSIGNMENT)
    return class_hub


def rows_by_name(hub: ClassHub) -> tuple[dict, dict]:
    journal = hub.journal()
    try:
        submissions = {row["name"]: dict(row) for row in journal.submissions()}
        attempts: dict[str, list] = {}
        for row in journal.attempts():
            attempts.setdefault(row["submission"], []).append(dict(row))
        return submissions, attempts
    finally:
        journal.close()


def wait_for(hub: ClassHub, condition, timeout: float, what: str, every: float = 0.2):
    """Poll `condition` (a file or a database another process writes) until it is truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    pytest.fail(f"{what} did not happen within {timeout:.0f} s; the grading service said:\n"
                f"{hub.service_log()}", pytrace=False)


def gradebook_scores(hub: ClassHub) -> dict[str, tuple[float, str]]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{hub.settings.course_dir / 'gradebook.db'}",
                   hub.settings.course_id) as gradebook:
        return {s.student_id: (s.score, str(s.timestamp))
                for s in gradebook.assignment_submissions(ASSIGNMENT)}


def test_a_class_submits_within_ten_seconds(hub: ClassHub):
    """More submissions than one grader run takes: each latest one graded exactly once, the
    earlier ones superseded, everyone's own feedback, the hub's API answering throughout."""
    students = NAMES.load
    tokens = {name: login_token(hub, name) for name in students}
    plans = wave(students, resubmit_every=RESUBMIT_EVERY)
    with LatencyProbe(hub, tokens) as probe:
        runs = run_students(hub, plans)
    by_student = {r.student: r for r in runs}
    latest = {r.submitted[-1][0] for r in runs}

    def journal_caught_up():  # a student sees feedback moments before the journal records it
        rows = rows_by_name(hub)
        done = all(row["released"] is not None for row in rows[0].values()
                   if row["timestamp"] in latest)
        return rows if done else None

    submissions, attempts = wait_for(hub, journal_caught_up, 30,
                                     "the journal's record of every release")

    # Everyone submitted within the window, and saw their own feedback with their own score.
    first = min(t for r in runs for _, t in r.submitted)
    last = max(t for r in runs for _, t in r.submitted)
    assert last - first <= 10.0 + 2.0, f"the wave took {last - first:.1f} s"
    for plan in plans:
        run = by_student[plan.student]
        assert not run.error, f"{plan.student}: {run.error}"
        assert run.score == expected_score(plan), (plan.student, run.score)
        assert f"# by {plan.student}" in run.feedback_html, f"{plan.student}: not their work"
        others = [name for name in students if name != plan.student
                  and f"# by {name}\n" in run.feedback_html + "\n"]
        assert not others, f"{plan.student}'s feedback shows {others}'s work"

    # Each latest submission graded exactly once; an earlier one at most once, never after.
    for name, row in submissions.items():
        if row["student"] not in by_student:
            continue
        graded = [a for a in attempts.get(name, []) if a["outcome"] == Outcome.GRADED]
        if row["timestamp"] in latest:
            assert row["state"] == State.GRADED and len(graded) == 1, (name, row, graded)
            assert row["released"] is not None, f"{name}: feedback not released"
        else:
            assert len(graded) <= 1 and row["state"] in (State.SUPERSEDED, State.GRADED)
    # The gradebook holds the latest submission of each student, with its score.
    scores = gradebook_scores(hub)
    for plan in plans:
        score, _ = scores[plan.student]
        assert score == expected_score(plan), (plan.student, score)

    # The hub answered its REST API all along.
    assert not probe.errors, probe.errors[:5]
    assert len(probe.latencies) >= 20
    waits = sorted(r.waited for r in runs)
    print(f"\n{len(students)} students: time to feedback p50 {percentile(waits, 50):.1f} s, "
          f"p95 {percentile(waits, 95):.1f} s; hub API p95 "
          f"{1000 * percentile(probe.latencies, 95):.0f} ms over {len(probe.latencies)} calls")


def service_process(hub: ClassHub) -> psutil.Process | None:
    for process in psutil.process_iter(["cmdline"]):
        cmdline = process.info["cmdline"] or []
        if "autograder.hub.service" in cmdline and str(hub.settings.dir) in cmdline:
            return process
    return None


def test_killed_while_grading_nothing_is_lost_or_graded_twice(hub: ClassHub):
    first, second, late = NAMES.fault
    runs = run_students(hub, [Plan(first, (f"answer = 42  # by {first}",)),
                              Plan(second, (f"answer = 42  # by {second}",))],
                        wait=False, start_in=0.0)
    names = {r.submitted[-1][0]: r.student for r in runs}

    def grading_now():
        submissions, attempts = rows_by_name(hub)
        return next((a for name, rows in attempts.items() for a in rows
                     if submissions[name]["student"] in names.values()
                     and a["finished"] is None and a["pgid"]), None)

    attempt = wait_for(hub, grading_now, 120, "a grading of the fault-test submissions")
    service = service_process(hub)
    assert service is not None, "the grading service is not running"
    os.kill(service.pid, signal.SIGKILL)
    # A submission that arrives while the service is down is graded after the restart.
    run_students(hub, [Plan(late, (f"answer = 41  # by {late}",))], wait=False, start_in=0.0)
    restarted = wait_for(hub, lambda: (p := service_process(hub)) and p.pid != service.pid and p,
                         90, "the hub restarting the grading service")
    assert restarted.is_running()
    assert not psutil.pid_exists(attempt["pgid"]), "the killed grading is still running"

    fault = {first, second, late}

    def all_released():
        submissions, _ = rows_by_name(hub)
        rows = [r for r in submissions.values() if r["student"] in fault]
        return len(rows) == 3 and all(r["released"] for r in rows) and rows

    rows = wait_for(hub, all_released, 240, "grading and feedback of the three fault-test students")
    submissions, attempts = rows_by_name(hub)
    for row in rows:
        outcomes = [a["outcome"] for a in attempts[row["name"]]]
        assert outcomes.count(Outcome.GRADED) == 1, (row["student"], outcomes)
    interrupted = [a for rows_ in attempts.values() for a in rows_ if a["id"] == attempt["id"]]
    assert interrupted[0]["outcome"] == Outcome.INTERRUPTED
    scores = gradebook_scores(hub)
    assert scores[first][0] == scores[second][0] == 2.0 and scores[late][0] == 0.0


def test_a_submission_under_someone_elses_name_is_refused(hub: ClassHub):
    """nbgrader's collect only warns when a folder's owner is not the student it names."""
    ann, ben = NAMES.browser
    runs = run_students(hub, [Plan(ben, (f"answer = 42  # by {ben}",))], wait=False,
                        start_in=0.0)
    inbound = hub.settings.exchange / hub.settings.course_id / "inbound"
    real = next(p for p in inbound.iterdir() if p.name.startswith(f"{ben}+"))
    forged = inbound / real.name.replace(f"{ben}+", f"{ann}+", 1)
    shutil.copytree(real, forged)  # as root: owned by root, not by ann
    refused = wait_for(hub, lambda: (r := rows_by_name(hub)[0].get(forged.name)) and
                       r["state"] == State.REFUSED and r, 60, "the forged submission refused")
    assert "another account" in refused["note"]
    assert rows_by_name(hub)[0][real.name]["state"] != State.REFUSED, "ben's own is fine"
    assert runs[0].submitted


def test_students_cannot_list_the_inbound_folder_or_read_homes(hub: ClassHub):
    ann, ben = NAMES.browser
    inbound = hub.settings.exchange / hub.settings.course_id / "inbound"
    probe = ("import os, sys\n"
             "for path in sys.argv[1:]:\n"
             "    try:\n        os.listdir(path); print('readable', path)\n"
             "    except PermissionError:\n        print('refused', path)\n")
    done = hub.as_user(ben, [str(hub.settings.bin / "python"), "-c", probe, str(inbound),
                             str(hub.settings.home(ann)),
                             str(hub.settings.home(hub.instructor)),
                             str(hub.settings.service_dir)])
    assert done.stdout.split().count("refused") == 4, done.stdout
    assert Path(hub.settings.home(ben)).stat().st_mode & 0o777 == 0o700
