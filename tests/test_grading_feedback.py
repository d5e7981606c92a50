"""autograder.grading.feedback: a synthetic feedback notebook, as GetGrades and the hidden-test
steps leave it, gets a summary box and each failed test's mistakes, with links that open a
heading of the real student notebook, and nothing from hidden tests."""

import html as html_module
import os
import re
from pathlib import Path
from urllib.parse import unquote

import nbformat
from nbconvert import HTMLExporter
from nbformat.v4 import new_code_cell, new_notebook, new_output
from nbgrader.preprocessors import ClearHiddenTests
from traitlets.config import Config

from autograder.common.paths import ROOT
from autograder.course import mistakes
from autograder.grading.feedback import MistakeFeedback, named_mistakes
from autograder.grading.redact import RedactHiddenTests

HIDDEN = 'assert hidden_model.ok, "hidden: " + hidden_result.message'


def grade_cell(grade_id, score, points, outputs=(), source="assert ok"):
    meta = {"grade": True, "grade_id": grade_id, "locked": True, "schema_version": 3,
            "solution": False, "task": False, "points": points, "score": score}
    return new_code_cell(source, metadata={"nbgrader": meta}, outputs=list(outputs))


def error(evalue, *traceback):
    return new_output("error", ename="AssertionError", evalue=evalue,
                      traceback=list(traceback) or [f"AssertionError: {evalue}"])


def feedback_notebook():
    text_mode = mistakes.tag("text-mode", "'model.pkl' is empty (0 bytes)")
    return new_notebook(cells=[
        grade_cell("test_passes", 2.0, 2.0),
        grade_cell("test_save", 0.0, 3.0, [error(text_mode)]),
        grade_cell("test_hidden", 0.0, 1.0,
                  [error(mistakes.tag("wrong-path", "No file at 'x.pkl'"),
                         f"----> 4 {HIDDEN}", "AssertionError: hidden")],
                  source=f"### BEGIN HIDDEN TESTS\n{HIDDEN}\n### END HIDDEN TESTS"),
        grade_cell("test_plain", 0.5, 1.0, [error("no tag here")]),
        grade_cell("test_oom", 0.0, 1.0, [new_output("error", ename="MemoryError", evalue="",
                                                    traceback=["MemoryError"])]),
    ])


def run(nb, *, page: Path, release: Path, url: str = ""):
    """RedactHiddenTests, ClearHiddenTests, MistakeFeedback, as GenerateFeedback runs them,
    for a page written at `page` in a course whose release folder is `release`."""
    config = Config()
    config.CourseDirectory.root = str(page.parents[2])
    config.CourseDirectory.feedback_directory = "feedback"
    config.CourseDirectory.release_directory = os.path.relpath(release, page.parents[2])
    config.MistakeFeedback.lessons_url = url
    resources = {"nbgrader": {"student": page.parent.name, "assignment": page.name,
                              "notebook": "nb",
                              "score": 2.5, "max_score": 8.0, "late_penalty": 0.0}}
    for step in (RedactHiddenTests, ClearHiddenTests):
        nb, resources = step(config=config).preprocess(nb, resources)
    return MistakeFeedback(config=config).preprocess(nb, resources)[0]


def rendered(nb) -> str:
    return HTMLExporter(template_name="classic").from_notebook_node(nb)[0]


def test_each_failed_test_names_its_mistakes_and_the_summary_lists_them(tmp_path):
    page = tmp_path / "feedback" / "ada" / "ps1"
    nb = run(feedback_notebook(), page=page, release=ROOT / "lessons")
    boxes = [c.source for c in nb.cells if c.metadata.get("autograder_feedback")]
    summary, *after = boxes
    assert nb.cells[0].source == summary  # at the top
    assert "Score: 2.5 of 8 points" in summary and "Tests passed: 1 of 5: test_passes" in summary
    assert "test_save (0 of 3)" in summary and "test_plain (0.5 of 1)" in summary
    for mistake_id in ("text-mode", "wrong-path", "memory"):
        assert f"<code>{mistake_id}</code>" in summary
    # one box right after each failed test that named a mistake; none for test_plain
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
    assert ids.index("test_save") + 1 == ids.index(None, 1)
    assert len(after) == 3 and "Why test_plain" not in "".join(after)
    save_box = after[0]
    text_mode = mistakes.get("text-mode")
    assert html_module.escape(text_mode.message) in save_box
    assert html_module.escape(text_mode.fix) in save_box


def test_every_link_opens_a_heading_of_the_student_notebook(tmp_path):
    """Resolved from where the page is written, each href is a lesson notebook of the course
    and its fragment the id of one of its headings."""
    page = tmp_path / "feedback" / "ada" / "ps1"
    page.mkdir(parents=True)
    (tmp_path / "lessons").symlink_to(ROOT / "lessons")
    html = rendered(run(feedback_notebook(), page=page, release=tmp_path / "lessons"))
    hrefs = re.findall(r'class="mistake-link" href="([^"]+)"', html)
    assert len(hrefs) >= 6  # three mistakes, in the summary and in their boxes
    for href in map(html_module.unescape, hrefs):
        target, _, anchor = href.partition("#")
        notebook = (page / target).resolve()
        assert notebook.is_file(), href
        nb = nbformat.read(notebook, as_version=4)
        headings = {mistakes.heading_anchor(line) for cell in nb.cells
                    if cell.cell_type == "markdown" for line in cell.source.splitlines()
                    if re.match(r"#{1,6} ", line)}
        assert anchor in headings or unquote(anchor) in map(unquote, headings), href


def test_a_configured_base_url_prefixes_every_link(tmp_path):
    nb = run(feedback_notebook(), page=tmp_path / "feedback" / "ada" / "ps1",
             release=tmp_path / "lessons", url="https://hub.example/user-redirect/lab/tree")
    anchor = mistakes.get("text-mode").anchor
    assert (f'href="https://hub.example/user-redirect/lab/tree/01-pickle/01-pickle.ipynb#'
            f'{html_module.escape(anchor)}"') in nb.cells[0].source


def test_no_hidden_test_code_reaches_the_page(tmp_path):
    html = rendered(run(feedback_notebook(), page=tmp_path / "feedback" / "ada" / "ps1",
                        release=tmp_path / "lessons"))
    assert "hidden_model.ok" not in html and "hidden_result" not in html


def test_running_twice_adds_the_boxes_once(tmp_path):
    page = tmp_path / "feedback" / "ada" / "ps1"
    once = run(feedback_notebook(), page=page, release=tmp_path / "lessons")
    twice = run(once, page=page, release=tmp_path / "lessons")
    assert len(twice.cells) == len(once.cells)


def test_memory_is_named_without_a_tag_and_passed_cells_name_nothing():
    oom = feedback_notebook().cells[4]
    assert named_mistakes(oom) == ["memory"]
    assert named_mistakes(feedback_notebook().cells[0]) == []


def test_a_catalogued_library_error_names_its_mistake_without_a_tag():
    cell = new_code_cell("save_model(model, path)", outputs=[new_output(
        "error", ename="TypeError", evalue="write() argument must be str, not bytes",
        traceback=["TypeError: write() argument must be str, not bytes"])])
    assert named_mistakes(cell) == ["text-mode"]
