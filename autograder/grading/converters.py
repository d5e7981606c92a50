"""Run one of nbgrader's converters (GenerateAssignment, Autograde, GenerateFeedback) and say
why it failed in one line.

nbgrader catches whatever goes wrong with a submission, logs the traceback and finally raises
"Please see the above traceback for details". `run_converter` keeps the first exception that
reached nbgrader's handler instead, so the reason a student or an instructor reads is the real
cause (`FileNotFoundError: source/header.ipynb`), not that generic last line.
"""

from __future__ import annotations

from dataclasses import dataclass

from traitlets.config import Config

from autograder.common.text import error_line, last_line

# Every step nbgrader's handler wraps for one submission (BaseConverter.convert_notebooks).
STEPS = ("init_destination", "run_pre_convert_hook", "init_assignment",
         "convert_single_notebook", "set_permissions", "run_post_convert_hook")


@dataclass(frozen=True, kw_only=True)
class Converted:
    success: bool
    error: str = ""  # one line: the underlying exception, or nbgrader's last log line
    failure: str = ""  # the underlying exception's type, e.g. "CellTimeoutError"
    log: str = ""


def run_converter(converter: type, config: Config, assignment: str, student: str = "*",
                  **traits) -> Converted:
    """converter(config).start() for one assignment (and student), with traits such as
    force=True; never raises for what nbgrader reports as a failure."""
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.utils import capture_log

    failures: list[BaseException] = []

    def recorded(step):
        def method(self, *args, **kwargs):
            try:
                return step(self, *args, **kwargs)
            except Exception as exc:  # nbgrader's handler logs it, raises something generic
                failures.append(exc)
                raise
        return method

    # converter.__name__: nbgrader's config sections use the class name
    Recording = type(converter.__name__, (converter,),
                     {name: recorded(getattr(converter, name)) for name in STEPS})
    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id, coursedir.student_id = assignment, student
    app = Recording(coursedir=coursedir, config=config)
    for name, value in traits.items():
        setattr(app, name, value)
    result = capture_log(app)
    if result["success"]:
        return Converted(success=True, log=result.get("log", ""))
    error = error_line(failures[0]) if failures else \
        last_line(result.get("error") or result.get("log") or "no error message")
    return Converted(success=False, error=error, log=result.get("log", ""),
                     failure=type(failures[0]).__name__ if failures else "")
