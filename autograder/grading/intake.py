"""Import submissions into the grading course's submitted/ folder.

Two sources:
- a folder tree, STUDENT/NOTEBOOK.ipynb or STUDENT/ASSIGNMENT/NOTEBOOK.ipynb (what nbgrader's
  own collect produces), copied file by file: regular files only, no symlinks (a link to the
  gradebook, or to /dev/zero, must not be followed);
- an LMS download (a .zip), through nbgrader's ZipCollect machinery: its extractor unpacks
  the archive into downloaded/ASSIGNMENT/, its file-name collector finds each student from the
  file name with a regular expression (`DEFAULT_PATTERN`: STUDENT_NUMBER_NOTEBOOK.ipynb, as
  LMS downloads name files), and it copies them into submitted/STUDENT/ASSIGNMENT/.

A student's earlier submission of the same assignment is replaced, so importing twice is the
same as importing once. Files that cannot be imported are listed with a reason.
"""

from __future__ import annotations

import copy
import shutil
from dataclasses import dataclass
from pathlib import Path

from autograder.grading.course import GradingCourse

# LMS downloads: "<student>_<submission number(s)>_<original name>", optionally "_late_".
DEFAULT_PATTERN = (r".*/(?P<student_id>[^/_]+)_(?:late_|LATE_)?"
                   r"(?:[0-9]+_)*(?P<file_id>[^/]+\.ipynb)$")
SKIP_NAMES = {".ipynb_checkpoints", "__pycache__", ".DS_Store", "__MACOSX"}
MAX_ID = 128  # nbgrader's student.id column


def valid_student_id(student: str) -> bool:
    """Any id nbgrader can keep (`zoë`, `jane doe`) that is one folder name: not hidden (its
    glob would skip it), no path separator, no control characters, at most 128 characters."""
    return (0 < len(student) <= MAX_ID and not student.startswith(".")
            and "/" not in student and student == student.strip()
            and all(ch.isprintable() for ch in student))


class IntakeError(Exception):
    """The submissions cannot be imported at all (one line, for the command line)."""


@dataclass(frozen=True)
class Intake:
    students: tuple[str, ...]
    skipped: tuple[str, ...] = ()  # "what: why"


def import_submissions(source: Path, assignment: str, course: GradingCourse,
                       pattern: str | None = None) -> Intake:
    source = Path(source)
    if source.is_dir():
        return from_folder(source, assignment, course)
    if source.is_file() and source.suffix.lower() == ".zip":
        return from_zip(source, assignment, course, pattern)
    if source.exists():
        raise IntakeError(f"{source}: give a folder of submissions or an LMS .zip download")
    raise IntakeError(f"{source}: no such folder or zip file")


def from_folder(source: Path, assignment: str, course: GradingCourse) -> Intake:
    students, skipped = [], []
    for folder in sorted(p for p in source.iterdir() if p.name not in SKIP_NAMES):
        if not folder.is_dir() or folder.is_symlink():
            skipped.append(f"{folder.name}: not a student folder")
            continue
        if not valid_student_id(folder.name):
            skipped.append(f"{folder.name}: not a valid student id")
            continue
        inner = folder / assignment if (folder / assignment).is_dir() else folder
        if not any(inner.glob("*.ipynb")):
            skipped.append(f"{folder.name}: no notebook in {inner.relative_to(source)}")
            continue
        dest = course.path("submitted_directory", folder.name, assignment)
        if dest.exists():
            shutil.rmtree(dest)
        skipped += copy_regular_files(inner, dest, folder.name)
        students.append(folder.name)
    return Intake(tuple(students), tuple(skipped))


def copy_regular_files(src: Path, dest: Path, label: str) -> list[str]:
    skipped = []
    dest.mkdir(parents=True)
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src)
        if any(part in SKIP_NAMES for part in rel.parts):
            continue
        if path.is_symlink():
            skipped.append(f"{label}/{rel}: a symbolic link, not copied")
        elif path.is_dir():
            (dest / rel).mkdir(parents=True, exist_ok=True)
        elif path.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest / rel)
        else:
            skipped.append(f"{label}/{rel}: not a regular file, not copied")
    return skipped


def from_zip(source: Path, assignment: str, course: GradingCourse,
             pattern: str | None) -> Intake:
    """nbgrader's ZipCollect, run in-process with the course's collector plugin and pattern
    (FileNameCollectorPlugin.named_regexp), or else `DEFAULT_PATTERN`."""
    from nbgrader.apps.zipcollectapp import ZipCollectApp
    from nbgrader.coursedir import CourseDirectory
    from traitlets.utils.importstring import import_item

    seen: dict[str, str | None] = {}
    config = copy.deepcopy(course.config)
    plugin = config.ZipCollectApp.get("collector_plugin") or \
        ZipCollectApp.class_traits()["collector_plugin"].default_value
    plugin = import_item(plugin) if isinstance(plugin, str) else plugin

    class RecordingCollector(plugin):
        """The course's collector, noting which files gave which student."""

        def collect(self, submitted_file):
            info = super().collect(submitted_file)
            student = info.get("student_id") if info else None
            if student is not None and not valid_student_id(student):
                info, student = None, None
            seen[submitted_file] = student
            return info

    RecordingCollector.__name__ = plugin.__name__  # its settings are under its own name
    config.FileNameCollectorPlugin.named_regexp = pattern or \
        config.FileNameCollectorPlugin.get("named_regexp") or DEFAULT_PATTERN
    config.ZipCollectApp.force = True
    config.ExtractorPlugin.force = True
    # downloaded/ goes with the results; the release it checks names against stays
    config.CourseDirectory.release_directory = str(course.folder("release_directory"))
    config.CourseDirectory.root = str(course.out)
    app = ZipCollectApp(config=config)
    app.log_level = "ERROR"  # its per-file INFO lines; skipped files are reported below
    app.coursedir = CourseDirectory(config=config)
    app.coursedir.assignment_id = assignment
    app.collector_plugin = RecordingCollector
    archive = Path(app._format_collect_path(app.archive_directory))
    if archive.exists():
        shutil.rmtree(archive)
    archive.mkdir(parents=True)
    shutil.copyfile(source, archive / source.name)
    try:
        with course.running():
            app.init_plugins()
            app.extract_archive_files()
            app.process_extracted_files()
    except SystemExit as exc:  # nbgrader's Application.fail
        raise IntakeError(f"{source}: nbgrader zip_collect failed (see the log above)") from exc
    except Exception as exc:
        raise IntakeError(f"{source}: cannot be read as a zip of submissions: {exc}") from exc
    students = sorted({s for s in seen.values() if s})
    skipped = [f"{Path(f).name}: its name does not match the pattern (STUDENT_NUMBER_NOTEBOOK)"
               for f, s in sorted(seen.items()) if s is None and f.endswith(".ipynb")]
    return Intake(tuple(students), tuple(skipped))
