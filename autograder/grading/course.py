"""The course being graded: its nbgrader settings, where grading writes, and the assignment.

Any nbgrader course directory can be graded, with its settings read as nbgrader reads them
(`nbgrader_config`: the Jupyter config paths, then the course's `nbgrader_config.py`, or none
at all). Two places can receive the results (`GradingCourse`):

- the course itself (`out` is the course root): `autograder grade ps1` in a course directory
  writes into its own gradebook (its `db_url`), `autograded/` and `feedback/`, as
  `nbgrader autograde ps1` and `nbgrader generate_feedback ps1` would;
- an output folder (`out` elsewhere, as `make grade` uses `graded/`): an nbgrader course of its
  own, with the course's source and release folders, which grading never writes into. It gets
  an `nbgrader_config.py` that loads the course's, so stock nbgrader commands work there too.

Grading changes only what it must: paths, and feedback that never shows hidden tests
(`feedback_preprocessors`). Everything else (late penalties, kernels, file limits, the
per-cell timeout, add_missing_cells) is the course's own setting.
"""

from __future__ import annotations

import contextlib
import copy
import os
from dataclasses import dataclass
from pathlib import Path

from traitlets.config import Config

from autograder.grading.gradebook import DEFAULT_COURSE_ID, new_gradebook, sqlite_url

REDACT = "autograder.grading.redact.RedactHiddenTests"
CLEAR_HIDDEN = "nbgrader.preprocessors.ClearHiddenTests"
FEEDBACK = "autograder.grading.feedback.MistakeFeedback"


def nbgrader_config(root: Path) -> Config:
    """The config `nbgrader` run in `root` would use (a course without a config file has none).

    nbgrader's own application loads it: the Jupyter config paths (user, environment, system),
    then `root/nbgrader_config.py`, where one exists.
    """
    from nbgrader.apps.baseapp import NbGrader

    class Loader(NbGrader):
        def init_syspath(self):  # the caller decides what goes on sys.path
            pass

    app = Loader()
    app.load_cwd_config = False  # the course's folder, not wherever this runs
    app.log.setLevel("ERROR")  # "No nbgrader_config.py file found" is fine
    app.initialize([], root=str(Path(root).absolute()))
    config = copy.deepcopy(app.config)
    config.CourseDirectory.root = config.CourseDirectory.get("root") or \
        str(Path(root).absolute())
    return config


def _name(preprocessor) -> str:
    if isinstance(preprocessor, str):
        return preprocessor
    return f"{preprocessor.__module__}.{preprocessor.__qualname__}"


def feedback_preprocessors(config: Config) -> list:
    """The course's feedback steps (nbgrader's defaults when unset), hidden tests always out:
    ClearHiddenTests clears their source, RedactHiddenTests (just before it) their outputs;
    MistakeFeedback last, so it reads only what students may see (`feedback`)."""
    from nbgrader.converters import GenerateFeedback

    steps = list(config.GenerateFeedback.get("preprocessors") or
                 GenerateFeedback.class_traits()["preprocessors"].default())
    names = [_name(p).replace(".clearhiddentests.", ".") for p in steps]
    if CLEAR_HIDDEN not in names:
        steps.insert(0, CLEAR_HIDDEN)
        names.insert(0, CLEAR_HIDDEN)
    if REDACT not in names:
        steps.insert(names.index(CLEAR_HIDDEN), REDACT)
        names.insert(names.index(CLEAR_HIDDEN), REDACT)
    if FEEDBACK not in names:
        steps.append(FEEDBACK)
    return steps


# The folders nbgrader writes per submission: they live in `out`, the rest in the course.
OUTPUT_STEPS = ("submitted_directory", "autograded_directory", "feedback_directory")
STRUCTURE_START = "{nbgrader_step}"


@dataclass(frozen=True)
class GradingCourse:
    """A course (`root`: its settings, source, release) graded into `out`.

    nbgrader always runs with the course folder as its root and working directory, as
    `cd COURSE && nbgrader ...` does, so course-relative settings keep their meaning. When
    `out` is elsewhere, the per-submission folders and the gradebook are absolute paths in
    `out` (a job's working copy is such an `out` too).
    """

    root: Path
    out: Path
    config: Config  # what nbgrader runs with: the course's settings, pointed at `out`

    @classmethod
    def open(cls, root: Path, out: Path | None = None,
             db_url: str | None = None) -> GradingCourse:
        """`db_url` puts the gradebook in that database (a PostgreSQL server, say) instead of
        the course's own, or `out`'s gradebook.db."""
        root = Path(root).absolute()
        out = Path(out).absolute() if out is not None else root
        config = nbgrader_config(root)
        course = config.CourseDirectory
        course.root = str(root)
        if out != root:
            structure = course.get("directory_structure", STRUCTURE_START)
            if not structure.startswith(STRUCTURE_START):
                raise ValueError(f"{root}: grading into another folder needs "
                                 f"CourseDirectory.directory_structure to start with "
                                 f"{STRUCTURE_START} (it is {structure!r})")
            for step in OUTPUT_STEPS:
                course[step] = str(out / course.get(step, step.split("_")[0]))
            course.db_url = sqlite_url(out / "gradebook.db")
        if db_url:
            course.db_url = db_url
        return cls(root, out, config)

    @property
    def course_id(self) -> str:
        return self.config.CourseDirectory.get("course_id") or DEFAULT_COURSE_ID

    def coursedir(self, assignment: str = "", student: str = "*"):
        """nbgrader's CourseDirectory for this course."""
        from nbgrader.coursedir import CourseDirectory

        coursedir = CourseDirectory(config=self.config)
        coursedir.assignment_id, coursedir.student_id = assignment, student
        return coursedir

    @property
    def db_url(self) -> str:
        return self.coursedir().db_url

    @property
    def excluded(self) -> set[str]:
        """CourseDirectory.student_id_exclude: students nbgrader leaves out."""
        return set(self.coursedir().student_id_exclude.split(",")) - {""}

    @property
    def db_file(self) -> Path | None:
        """The gradebook's file, when it is SQLite (a server's has none)."""
        url = self.db_url
        return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None

    def path(self, step: str, student: str, assignment: str) -> Path:
        """nbgrader's folder for a step ("submitted_directory", ...) of one submission."""
        coursedir = self.coursedir()
        return Path(coursedir.format_path(getattr(coursedir, step), student, assignment))

    def folder(self, step: str) -> Path:
        """The whole folder of a step: source/, submitted/, autograded/..."""
        return Path(os.path.normpath(self.path(step, ".", ".")))

    @contextlib.contextmanager
    def running(self):
        """Run nbgrader here as `cd COURSE && nbgrader ...` would: the course folder as the
        working directory (course-relative paths such as IncludeHeaderFooter.header) and on
        sys.path (plugins defined in the course)."""
        import sys

        added = str(self.root) not in sys.path
        if added:
            sys.path.insert(0, str(self.root))
        try:
            with contextlib.chdir(self.root):
                yield
        finally:
            if added:
                sys.path.remove(str(self.root))


CONFIG_FILE = '''\
"""Written by `autograder grade`: the course's nbgrader settings, with this folder as the
course root, so stock nbgrader commands (formgrader, export, generate_feedback) work here.
"""

c = get_config()  # noqa: F821 - injected by traitlets
{load}c.CourseDirectory.root = {root!r}
c.CourseDirectory.source_directory = {source!r}
c.CourseDirectory.release_directory = {release!r}
c.CourseDirectory.db_url = {db_url!r}
c.GenerateFeedback.preprocessors = {feedback!r}
'''


def write_config_file(course: GradingCourse) -> Path:
    """The output folder's nbgrader_config.py (never the course's own)."""
    config_file = course.root / "nbgrader_config.py"
    load = f"load_subconfig({str(config_file)!r})  # noqa: F821\n" if config_file.is_file() \
        else ""
    path = course.out / "nbgrader_config.py"
    path.write_text(CONFIG_FILE.format(
        load=load, root=str(course.out), source=str(course.folder("source_directory")),
        release=str(course.folder("release_directory")), db_url=course.db_url,
        feedback=[_name(p) for p in feedback_preprocessors(course.config)]))
    if course.db_file is None:
        path.chmod(0o600)  # a database server's URL may hold its password
    return path


def define_assignment(course: GradingCourse, assignment: str, release: Path) -> None:
    """Record the assignment (notebooks, grade cells, hidden tests) in the course's gradebook.

    nbgrader's GenerateAssignment does it; its student version goes to `release` (scratch), so
    grading never rewrites a release.
    """
    from nbgrader.converters import GenerateAssignment

    from autograder.grading.converters import run_converter

    config = copy.deepcopy(course.config)
    config.CourseDirectory.release_directory = str(Path(release).absolute())
    if course.db_file is not None and not course.db_file.exists():
        new_gradebook(course.db_file)
    with course.running():
        done = run_converter(GenerateAssignment, config, assignment, force=True,
                             create_assignment=True)
    if not done.success:
        raise RuntimeError(f"nbgrader could not generate '{assignment}': {done.error}")


def submitted_students(course: GradingCourse, assignment: str,
                       wanted: tuple[str, ...] = ()) -> list[str]:
    """The students `nbgrader autograde ASSIGNMENT [--student ID]` would grade: each
    submitted/STUDENT/ASSIGNMENT with a notebook in it (nbgrader's own glob and pattern), minus
    CourseDirectory.student_id_exclude."""
    import glob
    import re

    coursedir = course.coursedir(assignment)
    step = coursedir.submitted_directory
    pattern = coursedir.format_path(step, "(?P<student_id>.*)", "(?P<assignment_id>.*)",
                                    escape=True)
    students = []
    for student in [glob.escape(s) for s in wanted] or ["*"]:
        for folder in sorted(glob.glob(coursedir.format_path(step, student, assignment))):
            notebooks = os.path.join(glob.escape(folder), f"{coursedir.notebook_id}.ipynb")
            found = re.match(pattern, folder)
            if found and glob.glob(notebooks) and found["student_id"] not in course.excluded:
                students.append(found["student_id"])
    return students
