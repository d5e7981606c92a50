"""The grading course directory: the course's nbgrader settings, pointed at an output folder.

Grading never writes into the course repository. The output folder (`graded/` by default) is
an nbgrader course directory of its own: its `gradebook.db`, `submitted/`, `autograded/` and
`feedback/`, with the repository's `solutions/` as source and `lessons/` as release. It gets
an `nbgrader_config.py` that loads the course's, so stock nbgrader commands (formgrader,
export, generate_feedback) work there too.

Everything else comes from the course's `nbgrader_config.py` (ClearHiddenTests in feedback,
kernel name, file limits, per-cell timeout, no widget state); grading overrides only what it
needs: where things are, restoring deleted test cells, and redacting hidden tests from outputs.
"""

from __future__ import annotations

from pathlib import Path

from traitlets.config import Config

from autograder.common.paths import ROOT, course_config

REDACT = "autograder.grading.redact.RedactHiddenTests"


def db_url(path: Path) -> str:
    return f"sqlite:///{Path(path).absolute()}"


def grading_config(out: Path, *, root: Path = ROOT, db: Path | None = None,
                   release: Path | None = None) -> Config:
    """The course's config with `out` as course root (paths absolute, so any cwd works)."""
    config = course_config(root)
    course = config.CourseDirectory
    course.root = str(Path(out).absolute())
    course.source_directory = str((Path(root) / course.get("source_directory", "source"))
                                  .absolute())
    course.release_directory = str(Path(release).absolute() if release else
                                   (Path(root) / course.get("release_directory", "release"))
                                   .absolute())
    course.db_url = db_url(db if db is not None else Path(out) / "gradebook.db")
    # A deleted test cell is put back and run, so deleting a test never avoids it.
    config.OverwriteCells.add_missing_cells = True
    feedback = list(config.GenerateFeedback.get("preprocessors", []))
    names = [_name(p) for p in feedback]
    if REDACT not in names:
        at = next((i for i, n in enumerate(names) if n.endswith("ClearHiddenTests")), 0)
        feedback.insert(at, REDACT)
    config.GenerateFeedback.preprocessors = feedback
    return config


def _name(preprocessor) -> str:
    if isinstance(preprocessor, str):
        return preprocessor
    return f"{preprocessor.__module__}.{preprocessor.__qualname__}"


CONFIG_FILE = '''\
"""Written by `python -m autograder grade`: the course's nbgrader settings, with this folder
as the course root, so stock nbgrader commands (formgrader, export, generate_feedback) work here.
"""

c = get_config()  # noqa: F821 - injected by traitlets
load_subconfig({course_config!r})  # noqa: F821
c.CourseDirectory.root = {root!r}
c.CourseDirectory.source_directory = {source!r}
c.CourseDirectory.release_directory = {release!r}
c.OverwriteCells.add_missing_cells = True
c.GenerateFeedback.preprocessors = {feedback!r}
'''


def write_config_file(out: Path, config: Config, *, root: Path = ROOT) -> Path:
    course = config.CourseDirectory
    path = Path(out) / "nbgrader_config.py"
    path.write_text(CONFIG_FILE.format(
        course_config=str((Path(root) / "nbgrader_config.py").absolute()), root=course.root,
        source=course.source_directory, release=course.release_directory,
        feedback=[_name(p) for p in config.GenerateFeedback.preprocessors]))
    return path


def empty_gradebook(path: Path, course_id: str) -> Path:
    """A gradebook with nbgrader's tables and nothing in them, made once and then copied:
    nbgrader creates a new one by running `alembic heads` in a subprocess (1-3 s)."""
    path = Path(path)
    if not path.exists():
        from nbgrader.api import Gradebook

        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.unlink(missing_ok=True)
        with Gradebook(db_url(tmp), course_id):
            pass
        tmp.replace(path)  # whole or not at all, should a run be stopped half-way
    return path


def define_assignment(config: Config, assignment: str, release: Path) -> None:
    """Record the assignment (notebooks, grade cells, hidden tests) in the config's gradebook.

    nbgrader's GenerateAssignment does it; its student version goes to `release` (scratch), so
    the course's lessons/ is never rewritten by grading.
    """
    from nbgrader.converters import GenerateAssignment
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.utils import capture_log

    from autograder.grading.outcome import last_line

    config = Config(config)
    Path(config.CourseDirectory.root).mkdir(parents=True, exist_ok=True)
    config.CourseDirectory.release_directory = str(Path(release).absolute())
    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id = assignment
    app = GenerateAssignment(coursedir=coursedir, config=config)
    app.force = True
    app.create_assignment = True
    result = capture_log(app)
    if not result["success"]:
        raise RuntimeError(f"nbgrader could not generate '{assignment}': "
                           f"{last_line(result.get('error', '') or result.get('log', ''))}")
