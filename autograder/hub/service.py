"""Grade on submit: a JupyterHub service that grades each new submission and returns feedback.

    python -m autograder.hub.service HUB_DIR     (started by the hub, as the instructor)

Every `poll_seconds` it looks at the exchange's inbound folder. Each student's latest submission
of an assignment that is not graded yet is collected into the instructor's course (nbgrader's
collect), graded there with the course's grader in a subprocess (`hub.grader`), and its feedback
released to the student (nbgrader's release_feedback), unless the instructor holds it until a
date or turns grading on submit off for that assignment (COURSE/autograde.toml, `hub.policy`).

One grader run at a time. When the instructor releases an assignment (again), the next run
measures its solution, which sets the CPU-time limits of its submissions, so the first student
to submit does not wait for that. Otherwise a run takes the waiting submissions of the
assignment that has waited longest, up to `batch` of them, and grades `concurrency` at the same
moment; the others wait, in submission order, for the next run.

Nothing is kept in memory that a restart would lose: the queue is rebuilt at every look from
the exchange and the journal (`hub.journal`). A grading that was running when the service was
killed is found open in the journal at the next start, its leftover processes are ended, and it
is graded again; a finished one is never graded twice.

The hub passes the service its own API token; the service uses it to make sure a submission's
student is one of the hub's users. A folder that claims a student's name but belongs to another
account is refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Coroutine
from pathlib import Path

from autograder.common.isolation import prctl
from autograder.common.text import error_line, last_line
from autograder.common.units import duration
from autograder.hub import grader, inbound
from autograder.hub.inbound import ExchangeError, Submission
from autograder.hub.journal import Journal, State
from autograder.hub.policy import FILE as POLICY_FILE
from autograder.hub.policy import PolicyFile
from autograder.hub.settings import HubSettings

PR_SET_PDEATHSIG = 1
GRADE_CEILING = 3600.0  # seconds: the grader has its own limits; this only catches a hang
RELEASE_RETRY = 30.0  # seconds before a failed release_feedback is tried again

log = logging.getLogger("autograder.hub.service")


class HubAPI:
    """The hub's REST API with the service's own token (JUPYTERHUB_API_URL/TOKEN)."""

    def __init__(self, url: str | None = None, token: str | None = None):
        self.url = (url or os.environ["JUPYTERHUB_API_URL"]).rstrip("/")
        self.token = token or os.environ["JUPYTERHUB_API_TOKEN"]
        self.users: dict[str, bool] = {}

    def get(self, path: str):
        request = urllib.request.Request(f"{self.url}/{path}",
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    def is_user(self, name: str) -> bool | None:
        """True/False, or None when the hub cannot say right now (asked again later)."""
        if name not in self.users:
            try:
                self.get(f"users/{name}")
                self.users[name] = True
            except urllib.error.HTTPError as exc:
                if exc.code != 404:
                    return None
                self.users[name] = False
            except (urllib.error.URLError, OSError):
                return None
        return self.users[name]


def _die_with_parent() -> None:
    """In the grading subprocess: killed if the service dies, so no grading outlives it."""
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class GradingService:
    def __init__(self, settings: HubSettings, hub: HubAPI):
        self.settings, self.hub = settings, hub
        self.journal = Journal(settings.service_dir / Journal.FILE)
        self.policies = PolicyFile(settings.course_dir / POLICY_FILE)
        self.logs = settings.service_dir / "logs"
        self.logs.mkdir(exist_ok=True)
        self.grading: set[tuple[str, str]] = set()  # (student, assignment) the running run grades
        self.run: asyncio.Task | None = None
        self.groups: set[int] = set()  # process groups of the running grader commands
        self.releasing: set[str] = set()
        self.release_after: dict[str, float] = {}
        self.stopping = asyncio.Event()
        self.policy_error: str | None = None
        self.registered = False

    # --- start and stop ---

    def recover(self) -> None:
        """Gradings left open by a killed service: end what is left of them, grade again."""
        for attempt in self.journal.open_attempts():
            if attempt["pgid"]:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(attempt["pgid"], signal.SIGKILL)
            self.journal.interrupted(attempt["id"], attempt["submission"])
            log.info("interrupted grading of %s will run again", attempt["submission"])

    def stop(self) -> None:
        for pgid in self.groups:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)
        self.stopping.set()

    async def serve(self) -> None:
        self.recover()
        try:
            me = self.hub.get("user")
            log.info("grading service up as %s '%s' with its own token; grader: %s; "
                     "%d at once, up to %d a run", me.get("kind"), me.get("name"),
                     grader.DESCRIPTION, self.settings.concurrency, self.settings.batch)
        except (urllib.error.URLError, OSError) as exc:
            log.warning("the hub's API did not answer (%s); going on", error_line(exc))
        while not self.stopping.is_set():
            try:
                self.look()
            except OSError as exc:  # the exchange briefly unreadable: next look
                log.warning("cannot read the exchange: %s", error_line(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), self.settings.poll_seconds)
        if self.run is not None:
            await asyncio.gather(self.run, return_exceptions=True)

    # --- one look at the exchange ---

    def register_class(self, released: dict[str, int]) -> None:
        """The roster's students in the gradebook once the instructor has released something:
        by then nbgrader has made the gradebook (making it here too would race with them)."""
        if self.registered or not released:
            return
        self.registered = True
        try:
            inbound.register_students(self.settings)
        except Exception as exc:  # formgrader lists them at their first grading instead
            log.warning("could not add the roster to the gradebook: %s", error_line(exc))

    def look(self) -> None:
        released = inbound.releases(self.settings)
        self.register_class(released)
        policies = self.policies.get()
        if self.policies.error != self.policy_error:
            self.policy_error = self.policies.error
            if self.policy_error:
                log.error("%s (keeping the previous settings)", self.policy_error)
        found = inbound.scan(inbound.inbound(self.settings))
        for s in found:
            if self.journal.add(s.name, s.student, s.assignment, s.timestamp, s.submitted):
                log.info("received %s/%s submitted %s", s.student, s.assignment, s.timestamp)
        newest = inbound.latest(found)
        states = self.journal.states()
        for s in found:
            if newest[s.key] is not s and states[s.name] == State.SEEN:
                self.journal.set_state(s.name, State.SUPERSEDED, "a later submission counts")
        if self.run is None:
            measured = self.journal.measured_releases()
            unmeasured = [(a, stamp) for a, stamp in sorted(released.items())
                          if measured.get(a) != stamp and policies.of(a).grade_on_submit]
            waiting = [s for s in sorted(newest.values(), key=lambda s: s.submitted)
                       if states[s.name] == State.SEEN
                       and policies.of(s.assignment).grade_on_submit and self.admissible(s)]
            if unmeasured:
                self.start_run(self.measure(*unmeasured[0]))
            elif waiting:
                batch = [s for s in waiting if s.assignment == waiting[0].assignment]
                batch = batch[:self.settings.batch]
                self.start_run(self.grade(batch), {s.key for s in batch})
        self.release_due()

    def admissible(self, s: Submission) -> bool:
        known = self.hub.is_user(s.student)
        if known is None:
            return False  # the hub will say next time
        if not known or not inbound.owned_by_student(s):
            why = "not a user of this hub" if not known else "its folder belongs to another account"
            self.journal.set_state(s.name, State.REFUSED, why)
            log.warning("refused %s: %s", s.name, why)
            return False
        return True

    # --- one grader run: a measurement, or a batch ---

    def start_run(self, work: Coroutine, grading: set[tuple[str, str]] | None = None) -> None:
        self.grading = grading or set()
        self.run = asyncio.ensure_future(work)
        self.run.add_done_callback(self.run_done)

    def run_done(self, task: asyncio.Task) -> None:
        self.grading, self.run = set(), None
        if not task.cancelled() and task.exception() is not None:
            log.error("grader run failed: %s", error_line(task.exception()))

    async def measure(self, assignment: str, stamp: int) -> None:
        """The released solution graded once, for the limits (the grader caches them)."""
        started = time.time()
        command = grader.measure_command(self.settings.bin, self.settings.course_dir, assignment)
        try:
            result = await self.run_grader(command, self.logs / f"measure-{assignment}.log")
            note = (f"limits {duration(result['cpu_seconds'])} CPU, "
                    f"{duration(result['wall_seconds'])} waiting ({result['basis']})"
                    if "cpu_seconds" in result else
                    f"not measured: {'; '.join(result.get('errors', [])) or 'no limits'}")
        except RuntimeError as exc:
            if self.stopping.is_set():
                return  # not recorded: measured again at the next start
            note = f"not measured: {error_line(exc)}"
        # Recorded either way: a failed measurement is not tried at every look; the grader
        # measures again at the first grading (its cache is keyed by the solution).
        self.journal.measured(assignment, stamp, note)
        log.info("measured the solution of %s: %s (in %s)", assignment, note,
                 duration(time.time() - started))

    async def grade(self, batch: list[Submission]) -> None:
        """Collect each, grade them in one run, record each result as one transaction."""
        started = time.time()
        attempts = {s.name: self.journal.start_attempt(s.name) for s in batch}
        collected = []
        for s in batch:
            try:
                await asyncio.to_thread(inbound.collect, self.settings, s)
                collected.append(s)
            except inbound.Superseded as exc:
                self.journal.failed(s.name, str(exc), attempts[s.name], State.SUPERSEDED)
            except (ExchangeError, OSError) as exc:
                self.journal.failed(s.name, error_line(exc), attempts[s.name])
        if not collected:
            return
        assignment, students = collected[0].assignment, [s.student for s in collected]
        command = grader.command(self.settings.bin, self.settings.course_dir, assignment,
                                 students, self.settings.concurrency)
        runs = [attempts[s.name] for s in collected]
        try:
            result = await self.run_grader(command, self.logs / f"{runs[0]}.log", runs)
            verdicts = grader.verdicts(result, students)
        except RuntimeError as exc:
            if self.stopping.is_set():
                return  # killed by stop(): left open, graded again at the next start
            verdicts = {s: grader.Verdict(False, error_line(exc)) for s in students}
        seconds = time.time() - started
        hold = self.policies.get().of(assignment).hold_until(time.time())
        for s in collected:
            verdict = verdicts[s.student]
            try:
                if not verdict.graded:
                    raise RuntimeError(verdict.reason)
                score, max_score = await asyncio.to_thread(inbound.score, self.settings,
                                                           s.student, assignment)
            except Exception as exc:  # one line in the journal; the service goes on
                self.journal.failed(s.name, error_line(exc), attempts[s.name])
                log.error("could not grade %s: %s", s.name, error_line(exc))
                continue
            self.journal.graded(s.name, score, max_score, hold, attempts[s.name])
            log.info("graded %s/%s: %g/%g (%d in %.1f s)", s.student, assignment, score,
                     max_score, len(collected), seconds)

    async def run_grader(self, command: list[str], log_file: Path,
                         attempts: list[int] | None = None) -> dict:
        """One `autograder grade` command line (stderr to `log_file`); its JSON object. Exit
        codes 1 and 2 (not everything graded, nothing graded) are the JSON's to explain; no
        JSON, or any other exit, raises."""
        with open(log_file, "ab") as err:
            process = await asyncio.create_subprocess_exec(
                *command, cwd=self.settings.course_dir, stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE, stderr=err, start_new_session=True,
                preexec_fn=_die_with_parent)
        self.groups.add(process.pid)
        for attempt in attempts or []:
            self.journal.set_pgid(attempt, process.pid)
        try:
            stdout, _ = await asyncio.wait_for(process.communicate(), GRADE_CEILING)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            raise RuntimeError(f"autograder grade ran over {duration(GRADE_CEILING)}") from None
        finally:
            self.groups.discard(process.pid)
        result = grader.last_json(stdout.decode(errors="replace"))
        if result is None or process.returncode not in (0, 1, 2):
            raise RuntimeError(f"autograder grade exited with {process.returncode}: "
                               f"{last_line(log_file.read_text(errors='replace'))} "
                               f"(log: {log_file})")
        return result

    # --- feedback ---

    def release_due(self) -> None:
        now = time.time()
        for row in self.journal.to_release(now):
            key = (row["student"], row["assignment"])
            if (key in self.grading or row["name"] in self.releasing
                    or self.release_after.get(row["name"], 0) > now):
                continue
            self.releasing.add(row["name"])
            asyncio.ensure_future(self.release(row["name"], *key))

    async def release(self, name: str, student: str, assignment: str) -> None:
        try:
            pages = await asyncio.to_thread(inbound.release_feedback, self.settings, student,
                                            assignment)
            self.journal.released(name)
            self.release_after.pop(name, None)
            log.info("released feedback to %s for %s (%d page(s))", student, assignment, pages)
        except (ExchangeError, OSError) as exc:
            self.release_after[name] = time.time() + RELEASE_RETRY
            log.error("could not release feedback of %s: %s", name, error_line(exc))
        finally:
            self.releasing.discard(name)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="[grader %(asctime)s %(levelname).1s] %(message)s")
    settings = HubSettings.load(argv[0])
    service = GradingService(settings, HubAPI())

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, service.stop)
        await service.serve()

    asyncio.run(serve())
    log.info("grading service stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
