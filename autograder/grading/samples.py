"""The bundled sample classes: submissions built from the lesson itself, with expected grades.

Each lesson with a sample class has `samples/NN-slug/class.toml` (see the comment at its top).
Every submission starts from the student notebook in lessons/, so the samples stay in step
when the lesson changes: `solved = true` fills every exercise with the code between the
solution markers in solutions/, then `cells.GRADE_ID` replaces single cells and `delete`
removes some; `like = "NAME"` starts an entry from samples/hostile.toml's table NAME (the
attacks every lesson shares). Adding a lesson's sample class is adding one such file.

`autograder samples 01-pickle --out DIR [--zip]` writes a class as a folder tree
(DIR/STUDENT/01-pickle.ipynb) or as an LMS-style zip (STUDENT_1001_01-pickle.ipynb entries,
what `nbgrader zip_collect` reads).
"""

from __future__ import annotations

import re
import tomllib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.utils import is_solution

from autograder.common.paths import ROOT
from autograder.grading.outcome import GradeStatus, grade_id

SHARED = "hostile.toml"  # submissions every lesson's class can use: `like = "snoop"`
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
# LMS-style names in the zip: student, a submission number, the notebook name.
ZIP_NAME = "{student}_{number}_{notebook}.ipynb"


@dataclass(frozen=True, kw_only=True)
class Sample:
    student: str
    about: str
    expected: float
    solved: bool = False
    hostile: bool = False
    status: GradeStatus = GradeStatus.GRADED
    reason: str = ""  # a regular expression the reason must match
    cells: dict[str, str] = field(default_factory=dict)
    delete: tuple[str, ...] = ()
    mistakes: tuple[str, ...] = ()  # the catalogued mistakes its feedback must name, exactly


def sample_assignments(root: Path = ROOT) -> list[str]:
    return sorted(p.parent.name for p in (root / "samples").glob("*/class.toml"))


def load_class(assignment: str, root: Path = ROOT) -> list[Sample]:
    path = root / "samples" / assignment / "class.toml"
    if not path.is_file():
        raise FileNotFoundError(f"no sample class for '{assignment}': {path} does not exist")
    students = tomllib.loads(path.read_text())["students"]
    shared = root / "samples" / SHARED
    common = tomllib.loads(shared.read_text()) if shared.is_file() else {}
    samples = []
    for name, own in students.items():
        like = own.get("like")
        if like is not None and like not in common:
            raise ValueError(f"{path}: student '{name}' is like '{like}', which {shared} "
                             f"does not define")
        base = common.get(like, {})
        spec = {**base, **own, "cells": {**base.get("cells", {}), **own.get("cells", {})}}
        samples.append(Sample(
            student=name, about=spec.get("about", ""), expected=float(spec["expected"]),
            solved=spec.get("solved", False), hostile=spec.get("hostile", False),
            status=GradeStatus(spec.get("status", GradeStatus.GRADED)),
            reason=spec.get("reason", ""),
            cells={k: v.strip("\n") for k, v in spec["cells"].items()},
            delete=tuple(spec.get("delete", ())),
            mistakes=tuple(sorted(spec.get("mistakes", ())))))
    return samples


def solution_code(source: str) -> str:
    """A solution cell as a student who solved it would hand it in: the markers removed."""
    return "\n".join(line for line in source.splitlines()
                     if line.strip() not in (BEGIN, END))


def build_notebook(sample: Sample, assignment: str, root: Path = ROOT):
    """The sample's notebook: the released notebook, solved and edited as the sample says."""
    nb = nbformat.read(root / "lessons" / assignment / f"{assignment}.ipynb", as_version=4)
    solutions = {}
    if sample.solved:
        source = nbformat.read(root / "solutions" / assignment / f"{assignment}.ipynb",
                               as_version=4)
        solutions = {grade_id(c): solution_code(c.source) for c in source.cells
                     if is_solution(c)}
    known = {grade_id(c) for c in nb.cells}
    for name in [*sample.cells, *sample.delete]:
        if name not in known:
            raise ValueError(f"sample '{sample.student}' names cell '{name}', which "
                             f"{assignment} does not have")
    for cell in nb.cells:
        name = grade_id(cell)
        if name in solutions:
            cell.source = solutions[name]
        if name in sample.cells:
            cell.source = sample.cells[name]
    nb.cells = [c for c in nb.cells if grade_id(c) not in sample.delete]
    return nb


def write_class(assignment: str, out: Path, *, as_zip: bool = False,
                root: Path = ROOT) -> Path:
    """Write every sample; returns the folder or the zip file."""
    samples = load_class(assignment, root)
    out = Path(out)
    if as_zip:
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for number, sample in enumerate(samples, start=1001):
                name = ZIP_NAME.format(student=sample.student, number=number,
                                       notebook=assignment)
                # a fixed date: the same class gives the same zip, byte for byte
                info = zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0))
                archive.writestr(info, nbformat.writes(build_notebook(sample, assignment, root)))
        return out
    for sample in samples:
        folder = out / sample.student
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(build_notebook(sample, assignment, root), folder / f"{assignment}.ipynb")
    return out


def check(sample: Sample, status: str, score: float, reason: str,
          named: tuple[str, ...] = ()) -> str:
    """'' when the outcome is what the sample expects, else what differs. `named`: the
    mistakes the class report found in its graded notebook."""
    problems = []
    if tuple(sorted(named)) != sample.mistakes:
        problems.append(f"mistakes named: {', '.join(sorted(named)) or 'none'}, expected "
                        f"{', '.join(sample.mistakes) or 'none'}")
    if status != sample.status:
        problems.append(f"status {status}, expected {sample.status}")
    if abs(score - sample.expected) > 1e-6:
        problems.append(f"score {score:g}, expected {sample.expected:g}")
    if sample.reason and not re.search(sample.reason, reason):
        problems.append(f"reason does not match /{sample.reason}/")
    return "; ".join(problems)
