"""Grade on submit on a class hub: how long students wait for feedback, and whether the hub
keeps answering while a class submits at once.

A real JupyterHub with its proxy and the grading service (`autograder hub start`), on
127.0.0.1, with a throw-away roster: real Unix accounts, homes and exchange, removed afterwards.
The assignment is tests/grading_course.py's tiny one (one exercise, one hidden test), so what
is measured is the service and the grader's fixed costs, not a lesson's run time.

Each simulated student is a process running as that student's own Unix account, doing what the
Assignment List's server extension does in a student's server: nbgrader's fetch and submit
through the exchange, then waiting for their feedback (the page nbgrader's release_feedback
writes under a name only that submission's secret gives) and fetching it. Before the wave each
student logs in to the hub (its login form and authenticator) and makes an API token; while
the class waits, a probe calls the hub's REST API with those tokens, round-robin, and records
every latency. All loops are bounded in count and time.

Time to feedback is from the moment nbgrader's submit returned to the moment that student's
feedback page existed in the exchange, as the student's own process saw it.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import pwd
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from autograder.common.paths import ROOT
from autograder.hub import control, grader
from autograder.hub.config import course_env
from autograder.hub.journal import Journal
from autograder.hub.settings import HubSettings
from autograder.hub.setup import config_path
from bench.core import Measurement, Section, progress
from tests.grading_course import ASSIGNMENT, make_course

STUDENTS = 30
QUICK_STUDENTS = 3
WAVE_SECONDS = 10.0  # the whole class submits within this window
FEEDBACK_DEADLINE = 600.0  # seconds a simulated student waits for feedback before giving up
PROBE_INTERVAL = 0.1  # seconds between two REST API calls of the probe
PROBE_MAX = 20_000  # requests, whatever happens
CORRECT = "answer = 42"
WRONG = "answer = 41"


# --- a hub for a class ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class ClassHub:
    settings: HubSettings
    passwords: dict[str, str]
    source: Path  # the course the hub serves (nbgrader_config.py, solutions/)

    @property
    def instructor(self) -> str:
        return self.settings.instructor

    @property
    def url(self) -> str:
        return self.settings.url.rstrip("/")

    def service_log(self, lines: int = 12) -> str:
        """The grading service's last lines in the hub's log, for a failure message."""
        log = (self.settings.dir / control.LOG).read_text(errors="replace").splitlines()
        return "\n".join([line for line in log if line.startswith("[grader")][-lines:])

    def journal(self) -> Journal:
        return Journal(self.settings.service_dir / Journal.FILE, readonly=True)

    def env(self, name: str) -> dict[str, str]:
        """What `name`'s own server has: the course environment and its Jupyter config."""
        home = pwd.getpwnam(name).pw_dir
        return {**course_env(self.settings), "HOME": home, "USER": name, "LOGNAME": name,
                "JUPYTER_CONFIG_PATH": config_path(self.settings, name)}

    def as_user(self, name: str, command: list[str], timeout: float = 300,
                cwd: Path | None = None) -> subprocess.CompletedProcess:
        user = pwd.getpwnam(name)
        done = subprocess.run(command, cwd=cwd or user.pw_dir, env=self.env(name),
                              user=user.pw_uid, group=user.pw_gid,
                              extra_groups=os.getgrouplist(name, user.pw_gid),
                              capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command[:3])} as {name} failed: "
                               f"{(done.stderr or done.stdout).strip()[-400:]}")
        return done

    def publish(self, assignment: str) -> None:
        """What the instructor does for each assignment: generate the student version, release."""
        nbgrader = str(self.settings.bin / "nbgrader")
        for step in ("generate_assignment", "release_assignment"):
            self.as_user(self.instructor, [nbgrader, step, assignment, "--force"],
                         cwd=self.settings.course_dir)


def write_roster(path: Path, instructor: str, students: list[str]) -> Path:
    path.write_text(f"instructor = {instructor!r}\nstudents = {json.dumps(students)}\n")
    return path


@contextlib.contextmanager
def class_hub(work: Path, students: list[str], *, instructor: str,
              tiny: tuple[str, ...] = (ASSIGNMENT,), lessons: tuple[str, ...] = (),
              concurrency: int = 2, batch: int = 8) -> Iterator[ClassHub]:
    """A hub serving the tiny course (the tiny assignment under each name in `tiny`, and
    `lessons` from the repository) to `students`; stopped and purged (accounts, homes,
    HUB_DIR) on the way out, whatever happened."""
    source = make_course(work / "course", tiny)
    for lesson in lessons:
        shutil.copytree(ROOT / "solutions" / lesson, source / "solutions" / lesson,
                        ignore=shutil.ignore_patterns("artifacts", ".ipynb_checkpoints"))
    roster = write_roster(work / "roster.toml", instructor, students)
    hub_dir = work / "hub"
    try:
        started = control.start(roster, hub_dir=hub_dir, source=source, port=free_port(),
                                hub_port=free_port(), proxy_api_port=free_port(),
                                concurrency=concurrency, batch=batch)
        yield ClassHub(started.settings, started.passwords, source)
    finally:
        control.stop(hub_dir, purge=True)


@contextlib.contextmanager
def work_dir() -> Iterator[Path]:
    """A folder for a class hub that its accounts can pass through: in /tmp itself, not under
    pytest's /tmp/pytest-of-root, which every pytest run chmods back to 0700 (and a chmod
    also clears the group entry an ACL would add)."""
    path = Path(tempfile.mkdtemp(prefix="autograder-hub-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def unique_prefix() -> str:
    """Account names no one else on the machine has: a letter, then 5 random hex digits."""
    return f"h{secrets.token_hex(3)[:5]}"


# --- students through the hub's REST API ---------------------------------------------------------


def login_token(hub: ClassHub, name: str) -> str:
    """Log in through the hub's login form (the authenticator checks the password), then ask
    the REST API for a token as that logged-in user."""
    import httpx

    with httpx.Client(base_url=hub.url, timeout=60, follow_redirects=False) as client:
        client.get("/hub/login")
        response = client.post("/hub/login", data={
            "username": name, "password": hub.passwords[name],
            "_xsrf": client.cookies.get("_xsrf", "")})
        if response.status_code != 302:
            raise RuntimeError(f"login as {name} answered {response.status_code}")
        response = client.post(f"/hub/api/users/{name}/tokens", json={"note": "bench"},
                               headers={"X-XSRFToken": client.cookies.get("_xsrf", "")})
        response.raise_for_status()
        return response.json()["token"]


@dataclass
class LatencyProbe:
    """GET /hub/api/users/NAME with each student's own token, round-robin, until stopped."""

    hub: ClassHub
    tokens: dict[str, str]
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def __post_init__(self):
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import httpx

        names = list(self.tokens)
        with httpx.Client(base_url=self.hub.url, timeout=30) as client:
            for i in range(PROBE_MAX):
                if self._stop.is_set():
                    break
                name = names[i % len(names)]
                start = time.perf_counter()
                try:
                    response = client.get(f"/hub/api/users/{name}", headers={
                        "Authorization": f"token {self.tokens[name]}"})
                    if response.status_code != 200:
                        self.errors.append(f"{name}: HTTP {response.status_code}")
                except httpx.HTTPError as exc:
                    self.errors.append(f"{name}: {type(exc).__name__}")
                self.latencies.append(time.perf_counter() - start)
                self._stop.wait(PROBE_INTERVAL)

    def __enter__(self) -> LatencyProbe:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=60)


# --- students through the exchange ---------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    student: str
    answers: tuple[str, ...]  # one submission each, in order
    at: float = 0.0  # seconds after the wave starts
    gap: float = 1.5  # seconds between two submissions of the same student


@dataclass(frozen=True)
class StudentRun:
    student: str
    submitted: tuple[tuple[str, float], ...]  # (nbgrader timestamp, Unix time submit returned)
    feedback_seen: float | None = None  # Unix time the latest submission's feedback appeared
    score: float | None = None  # as the fetched feedback page shows it
    max_score: float | None = None
    feedback_html: str = ""
    error: str = ""

    @property
    def waited(self) -> float | None:
        return self.feedback_seen - self.submitted[-1][1] if self.feedback_seen else None


# One process per student, forked from a driver that has nbgrader loaded once (a fresh
# `nbgrader submit` costs 2 s of CPU; 30 of those would be the load instead of the grading).
# Each child becomes the student's Unix account before it touches anything.
DRIVER = r"""
import json, os, pwd, re, sys, time
from pathlib import Path

import nbformat
from jupyter_core.paths import jupyter_data_dir
from traitlets.config import Config
from nbgrader.auth import Authenticator
from nbgrader.coursedir import CourseDirectory
from nbgrader.exchange.default import (ExchangeFetchAssignment, ExchangeFetchFeedback,
                                       ExchangeSubmit)
from nbgrader.utils import notebook_hash

job = json.load(sys.stdin)
exchange, course_id, assignment = job["exchange"], job["course_id"], job["assignment"]
SCORE = re.compile(r"\(Score: ([0-9.]+) / ([0-9.]+)\)")


def become(name):
    user = pwd.getpwnam(name)
    os.setgroups(os.getgrouplist(name, user.pw_gid))
    os.setgid(user.pw_gid)
    os.setuid(user.pw_uid)
    os.environ.update(HOME=user.pw_dir, USER=name, LOGNAME=name)
    os.chdir(user.pw_dir)


def app(cls):
    config = Config()
    config.Exchange.root = exchange
    config.CourseDirectory.course_id = course_id
    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id = assignment
    made = cls(coursedir=coursedir, authenticator=Authenticator(config=config), config=config)
    made.log.setLevel("ERROR")
    return made


def student(plan):
    become(plan["student"])
    result = {"student": plan["student"], "submitted": []}
    time.sleep(max(0.0, job["t0"] + plan["at"] - time.time()))
    if not Path(assignment).is_dir():
        app(ExchangeFetchAssignment).start()
    for i, answer in enumerate(plan["answers"]):
        if i:
            time.sleep(plan["gap"])
        path = Path(assignment) / f"{assignment}.ipynb"
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == "answer":
                cell.source = answer
        nbformat.write(nb, path)
        submit = app(ExchangeSubmit)
        submit.start()
        result["submitted"].append([submit.timestamp, time.time()])
    if not job["wait"]:
        return result
    timestamp = result["submitted"][-1][0]
    cache = Path(jupyter_data_dir()) / "nbgrader_cache" / course_id
    secret = (cache / f"{plan['student']}+{assignment}+{timestamp}" /
              "submission_secret.txt").read_text()
    page = (Path(exchange) / course_id / "feedback" /
            f"{notebook_hash(secret=secret, notebook_id=assignment)}.html")
    while time.time() < job["deadline"] and not page.exists():
        time.sleep(0.2)
    if not page.exists():
        result["error"] = "no feedback before the deadline"
        return result
    result["feedback_seen"] = time.time()
    app(ExchangeFetchFeedback).start()
    html = (Path(assignment) / "feedback" / timestamp / f"{assignment}.html").read_text()
    found = SCORE.search(html)
    result["score"], result["max_score"] = map(float, found.groups()) if found else (None, None)
    result["feedback_html"] = html
    return result


children = {}
for plan in job["plans"]:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            out = student(plan)
        except BaseException as exc:
            out = {"student": plan["student"], "submitted": [],
                   "error": f"{type(exc).__name__}: {exc}"[:300]}
        with os.fdopen(write, "w") as pipe:
            pipe.write(json.dumps(out))
        os._exit(0)
    os.close(write)
    children[pid] = read
results = []
for pid, read in children.items():
    with os.fdopen(read) as pipe:
        text = pipe.read()
    os.waitpid(pid, 0)
    results.append(json.loads(text) if text else {"error": "the student's process died"})
print(json.dumps(results))
"""


def run_students(hub: ClassHub, plans: list[Plan], *, assignment: str = ASSIGNMENT,
                 wait: bool = True, deadline: float = FEEDBACK_DEADLINE,
                 start_in: float = 1.0) -> list[StudentRun]:
    """All `plans` at once (each from `start_in` + its `at` seconds on); with `wait`, until each
    student has their latest submission's feedback or `deadline` seconds have passed."""
    t0 = time.time() + start_in
    job = {"exchange": str(hub.settings.exchange), "course_id": hub.settings.course_id,
           "assignment": assignment, "t0": t0, "wait": wait, "deadline": t0 + deadline,
           "plans": [{"student": p.student, "answers": list(p.answers), "at": p.at,
                      "gap": p.gap} for p in plans]}
    done = subprocess.run([sys.executable, "-c", DRIVER], input=json.dumps(job),
                          capture_output=True, text=True, timeout=deadline + 120,
                          env={**os.environ, **course_env(hub.settings)})
    if done.returncode != 0:
        raise RuntimeError(f"the simulated students failed: {done.stderr.strip()[-500:]}")
    runs = []
    for r in json.loads(done.stdout):
        runs.append(StudentRun(r.get("student", "?"), tuple(map(tuple, r.get("submitted", []))),
                               r.get("feedback_seen"), r.get("score"), r.get("max_score"),
                               r.get("feedback_html", ""), r.get("error", "")))
    return runs


def wave(students: list[str], resubmit_every: int = 10) -> list[Plan]:
    """The class within WAVE_SECONDS: alternately right and wrong answers, each student's name
    in a comment (so a feedback page shows whose work it is); every `resubmit_every`-th student
    first submits a wrong answer and then a right one."""
    plans = []
    for i, name in enumerate(students):
        final = f"{CORRECT if i % 2 == 0 else WRONG}  # by {name}"
        answers = ((f"{WRONG}  # first try by {name}", final) if i % resubmit_every == 0
                   else (final,))
        at = (WAVE_SECONDS - 2.0) * i / max(1, len(students) - 1)
        plans.append(Plan(name, answers, at=at))
    return plans


def expected_score(plan: Plan) -> float:
    return 2.0 if plan.answers[-1].startswith(CORRECT) else 0.0


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), nearest-rank on the sorted values."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


# --- the section ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadRun:
    plans: list[Plan]
    runs: list[StudentRun]
    latencies: list[float]
    api_errors: list[str]
    seconds: float  # from the first submission to the last feedback


def load_run(hub: ClassHub, students: list[str]) -> LoadRun:
    """Tokens through the login form, then the wave, with the API probe running throughout."""
    hub.publish(ASSIGNMENT)
    tokens = {name: login_token(hub, name) for name in students}
    plans = wave(students)
    start = time.time()
    with LatencyProbe(hub, tokens) as probe:
        runs = run_students(hub, plans)
    return LoadRun(plans, runs, probe.latencies, probe.errors, time.time() - start)


def run(quick: bool = False) -> Section:
    n = QUICK_STUDENTS if quick else STUDENTS
    prefix = unique_prefix()
    students = [f"{prefix}-s{i:02d}" for i in range(1, n + 1)]
    progress(f"hub: starting a hub for {n} students")
    with work_dir() as work, class_hub(work, students, instructor=f"{prefix}-teach") as hub:
        load = load_run(hub, students)
    waits = [r.waited for r in load.runs if r.waited is not None]
    missing = [r.student for r in load.runs if r.waited is None]
    if not waits:
        raise RuntimeError(f"no student got feedback: {load.runs[0].error}")
    ms = [1000 * s for s in load.latencies]
    section = Section("hub", "Grade on submit (JupyterHub)", __doc__.split("\n\n")[0], [
        Measurement("time to feedback, each student", "s", waits,
                    note=f"{n} students submit within {WAVE_SECONDS:g} s, "
                         f"{hub.settings.concurrency} graded at once"),
        Measurement("time to feedback, p95", "s", [percentile(waits, 95)]),
        Measurement("hub REST API latency, p50", "ms", [percentile(ms, 50)],
                    note=f"{len(ms)} requests while the class waited"),
        Measurement("hub REST API latency, p95", "ms", [percentile(ms, 95)]),
        Measurement("whole class, first submission to last feedback", "s", [load.seconds]),
    ])
    section.notes = [f"Grader: {grader.DESCRIPTION}; one grader run at a time, up to "
                     f"{hub.settings.batch} waiting submissions each.",
                     f"Median time to feedback {statistics.median(waits):.1f} s: the wait is "
                     "mostly the queue (each run's fixed start-up cost, then its submissions "
                     f"{hub.settings.concurrency} at a time). It grows with the machine's "
                     "load: compare the load averages above."]
    if missing or load.api_errors:
        section.notes.append(f"Without feedback: {', '.join(missing) or 'none'}; API errors: "
                             f"{len(load.api_errors)}.")
    return section
