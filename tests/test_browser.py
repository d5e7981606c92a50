"""The course as people use it: JupyterLab, the lesson widgets and nbgrader's pages, in chromium.

One `jupyter lab` serves a temporary copy of the course (so running a lesson leaves nothing in
the repository), with the project's nbgrader_config.py and token authentication. Debian's
chromium is driven by Playwright. Without chromium the browser tests skip with the reason,
except under CI=true, where that is a failure. The static-HTML test needs no browser.

Screenshots go to docs/images/ when UPDATE_SCREENSHOTS=1, otherwise to a temporary folder.
"""

from __future__ import annotations

import ast
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest
from browser import (
    LabServer,
    copy_course,
    jupyter_env,
    launched,
    publish_assignments,
    save_png,
    screenshot_dir,
)
from bs4 import BeautifulSoup

from autograder.common.paths import ROOT, course_config
from autograder.course.authoring import assignment_ids
from autograder.course.quiz import Quiz

try:  # without playwright the browser tests skip (or fail under CI=true), saying why
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect
except ImportError:
    PlaywrightTimeout = expect = None

pytestmark = pytest.mark.notebook

LESSON = "01-pickle"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
VIEWPORT = {"width": 1280, "height": 800}
TIMEOUT_MS = 60_000  # one UI action on a loaded 2-core machine
RUN_TIMEOUT_MS = 240_000  # a whole lesson
RENDERED_MS = 10_000  # after Run All has finished, a widget is there or it is not
KERNEL_IDLE = re.compile(r"^(?!No Kernel).+ \| Idle$")

# Run All has finished when the first code cell has an execution number and no cell is queued
# or running ("[*]"); the saved notebook has no numbers, so this cannot hold before the run.
RUN_FINISHED = """nb => {
  const prompts = [...nb.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
    .map(p => p.textContent);
  return prompts.length > 0 && /\\d/.test(prompts[0]) && !prompts.some(p => p.includes('*'));
}"""


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return screenshot_dir(ROOT, tmp_path_factory.mktemp("screenshots"))


# Module scope, not session: between its calls Playwright's sync API marks its event loop as
# running in the main thread, so a browser kept open for the session would break every later
# test that runs an event loop of its own (asyncio.run, another sync_playwright).
@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with launched(TIMEOUT_MS) as browser:
        yield browser


@dataclass(frozen=True)
class Course:
    root: Path
    env: dict[str, str]
    assignments: list[str]


@pytest.fixture(scope="session")
def course(tmp_path_factory: pytest.TempPathFactory) -> Course:
    """A copy of the course, every lesson in its gradebook and released to its exchange."""
    tmp = tmp_path_factory.mktemp("lab")
    root = copy_course(ROOT, tmp / "course")
    env = jupyter_env(tmp / "home")
    # Lessons with a student version; a lesson still missing one fails test_lessons instead.
    assignments = [a for a in assignment_ids(root)
                   if (root / "lessons" / a / f"{a}.ipynb").is_file()]
    publish_assignments(root, env, assignments)
    return Course(root, env, assignments)


@pytest.fixture(scope="module")
def lab(chromium: Any, course: Course) -> Iterator[LabServer]:
    # Asks for `chromium` first: without a browser there is no point starting a server.
    server = LabServer.start(course.root, course.env, course.root.parent / "lab.log",
                             token=secrets.token_hex(16))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def page(chromium: Any, lab: LabServer) -> Iterator[Any]:
    context = chromium.new_context(viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


@dataclass(frozen=True)
class LessonRun:
    page: Any  # the JupyterLab page, still showing the run notebook
    notebook: Any  # locator of its notebook panel
    saved: nbformat.NotebookNode  # the notebook as JupyterLab saved it after the run
    seconds: float


def open_in_file_browser(page: Any, lab: LabServer, *parts: str) -> Any:
    """Open a fresh JupyterLab, double-click down `parts` in the file browser, return the panel."""
    page.goto(lab.url("lab", reset=""))
    listing = page.locator(".jp-DirListing-content")
    try:
        for name in parts:
            listing.get_by_text(name, exact=True).dblclick()
        page.locator(".jp-NotebookPanel:visible .jp-Cell").first.wait_for()
        # The kernel is ready when the status bar names it and says Idle; the toolbar's
        # indicator says idle while the kernel is still starting, and Run All would be lost.
        page.locator(".jp-StatusBar-TextItem").filter(has_text=KERNEL_IDLE).wait_for()
    except PlaywrightTimeout as error:
        pytest.fail(f"could not open {'/'.join(parts)} from JupyterLab's file browser: "
                    f"{str(error).splitlines()[0]}", pytrace=False)
    return page.locator(".jp-NotebookPanel:visible")


def run_all_and_save(page: Any, panel: Any, path: Path) -> tuple[nbformat.NotebookNode, float]:
    """Run > Run All Cells, wait until nothing is queued, File > Save; read what was saved."""
    start = time.perf_counter()
    page.locator("li.lm-MenuBar-item", has_text="Run").click()
    page.locator("li[data-command='runmenu:run-all']").click()
    try:
        page.wait_for_function(RUN_FINISHED, arg=panel.element_handle(), timeout=RUN_TIMEOUT_MS)
    except PlaywrightTimeout:
        prompts = panel.locator(".jp-CodeCell .jp-InputPrompt").all_text_contents()
        pytest.fail(f"Run All of {path.name} did not finish in {RUN_TIMEOUT_MS // 1000} s; "
                    f"prompts: {' '.join(p.strip() or '[]' for p in prompts)}", pytrace=False)
    seconds = time.perf_counter() - start
    tab = ".lm-TabBar-tab.jp-mod-current"
    page.locator(f"{tab}.jp-mod-dirty", has_text=path.name).wait_for()  # the run changed it
    page.locator("li.lm-MenuBar-item", has_text="File").click()
    page.locator("li[data-command='docmanager:save']").click()
    page.locator(f"{tab}:not(.jp-mod-dirty)", has_text=path.name).wait_for()  # on disk now
    return nbformat.read(path, as_version=4), seconds


@pytest.fixture(scope="module")
def lesson(chromium: Any, lab: LabServer, shots: Path) -> Iterator[LessonRun]:
    """The student version of lesson 01, opened from the file browser and run with Run All."""
    context = chromium.new_context(viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        panel = open_in_file_browser(page, lab, "lessons", LESSON, f"{LESSON}.ipynb")
        save_png(page.screenshot(), shots / "lesson-open.png")
        path = lab.root / "lessons" / LESSON / f"{LESSON}.ipynb"
        saved, seconds = run_all_and_save(page, panel, path)
        yield LessonRun(page, panel, saved, seconds)
    finally:
        context.close()


# --- helpers -------------------------------------------------------------------------------------


def code_cells(nb: nbformat.NotebookNode) -> list[tuple[int, Any]]:
    return [(i, cell) for i, cell in enumerate(nb.cells) if cell.cell_type == "code"]


def cell_problems(cell: Any) -> list[str]:
    """Errors and stderr in a cell's outputs, one short line each."""
    out = []
    for output in cell.outputs:
        if output.output_type == "error":
            out.append(f"{output.ename}: {output.evalue}"[:200])
        elif output.output_type == "stream" and output.name == "stderr":
            out.append(f"stderr: {output.text.strip()[:200]}")
    return out


def lesson_quiz(nb: nbformat.NotebookNode) -> Quiz:
    """The lesson's quiz, as its own cell loads it, so expected texts are never typed here."""
    assert any(f'Quiz.load("{LESSON}")' in cell.source for _, cell in code_cells(nb))
    return Quiz.load(LESSON)


def right_letter(quiz: Quiz, number: int) -> str:
    options = quiz.questions[number - 1].options
    return next(key for key in options if quiz.check(number, key).correct)


def as_shown(text: str) -> str:
    """What a browser shows for a quiz message: `code` spans lose their backticks."""
    return " ".join(re.sub(r"`([^`]+)`", r"\1", text).split())


def table_rows(html: str) -> list[list[str]]:
    table = BeautifulSoup(html, "html.parser").find("table")
    assert table is not None, "no table in the output"
    return [[cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])]
            for row in table.find_all("tr")]


# --- JupyterLab: the lesson, the quiz, the step-through ------------------------------------------


def test_lesson_opens_and_runs_until_the_first_exercise(lesson: LessonRun):
    """The student version is what learners open, so that is what runs here.

    Its exercise stubs `raise NotImplementedError()`, and Run All stops at the first error by
    design. So the honest claim is: every cell above the first exercise ran without an error or
    stderr output, the first exercise stub is exactly where it stopped, and nothing below ran.
    (test_solution_runs_to_the_end covers the rest of the notebook.)
    """
    cells = code_cells(lesson.saved)
    stub = next(i for i, cell in cells if cell.metadata.get("nbgrader", {}).get("solution"))
    for i, cell in cells:
        if i < stub:
            assert cell.execution_count is not None, f"cell {i} did not run: {cell.source[:60]}"
            assert not cell_problems(cell), f"cell {i}: {cell_problems(cell)}"
        elif i > stub:
            assert cell.execution_count is None, f"cell {i} ran after the first exercise"
    errors = [o for o in lesson.saved.cells[stub].outputs if o.output_type == "error"]
    assert [e.ename for e in errors] == ["NotImplementedError"], (
        f"the first exercise should stop Run All: {cell_problems(lesson.saved.cells[stub])}")
    widgets = [i for i, cell in cells if i < stub
               for o in cell.outputs if WIDGET_VIEW in o.get("data", {})]
    assert len(widgets) >= 2, "expected the step-through and the quiz widget outputs"
    text = lesson.notebook.text_content()
    assert "Error displaying widget" not in text
    assert lesson.notebook.locator(".quiz").count() == 1, "the quiz widget did not render"
    assert lesson.notebook.locator(".stepthrough").count() == 1, "the step-through did not render"
    print(f"\nRun All in JupyterLab until the first exercise: {lesson.seconds:.1f} s")


def test_quiz_feedback_right_then_wrong(lesson: LessonRun, shots: Path):
    quiz = lesson_quiz(lesson.saved)
    question = quiz.questions[0]
    answer = right_letter(quiz, 1)
    wrong = next(key for key in question.options if key != answer)
    widget = lesson.notebook.locator(".quiz")
    expect(widget, "the quiz widget did not render").to_have_count(1, timeout=RENDERED_MS)
    first = widget.locator(".quiz-question").first
    feedback = first.locator(".quiz-feedback")
    score = widget.locator(".quiz-score")
    first.scroll_into_view_if_needed()
    expect(first).to_contain_text(as_shown(question.prompt))
    expect(score).to_have_text(f"Correct so far: 0 of {len(quiz)}")

    first.get_by_role("radio", name=f"{answer}: {question.options[answer]}", exact=True).check()
    first.locator(".quiz-check").click()
    expect(feedback).to_have_text(as_shown(quiz.check(1, answer).message))
    assert quiz.check(1, answer).message.startswith("Correct.")
    expect(score).to_have_text(f"Correct so far: 1 of {len(quiz)}")
    save_png(first.screenshot(), shots / "quiz-right.png")

    first.get_by_role("radio", name=f"{wrong}: {question.options[wrong]}", exact=True).check()
    expect(feedback).to_have_text("")  # feedback about the previous choice is cleared
    first.locator(".quiz-check").click()
    expect(feedback).to_have_text(as_shown(quiz.check(1, wrong).message))
    expect(feedback).to_contain_text(f"Hint: {as_shown(question.hint)}")
    expect(score).to_have_text(f"Correct so far: 0 of {len(quiz)}")
    save_png(first.screenshot(), shots / "quiz-wrong.png")


def test_step_through_fills_the_table_and_resets(lesson: LessonRun, shots: Path):
    """Next step until the end gives the same table as `tracker.run_all()` printed in the
    lesson; Reset goes back to the Start column."""
    run_all = next(cell for _, cell in code_cells(lesson.saved)
                   if cell.source.strip().endswith("tracker.run_all()"))
    expected = table_rows(next(o.data["text/html"] for o in run_all.outputs
                               if "text/html" in o.get("data", {})))
    steps = len(expected[0]) - 2  # label column, Start, then one column per step
    assert steps >= 1 and expected[0][1] == "Start", expected[0]

    widget = lesson.notebook.locator(".stepthrough")
    expect(widget, "the step-through widget did not render").to_have_count(1, timeout=RENDERED_MS)
    table = widget.locator(".stepthrough-table")
    next_button = widget.locator(".stepthrough-next")
    widget.scroll_into_view_if_needed()
    expect(table.locator("th", has_text="After step")).to_have_count(0)
    for number in range(1, steps + 1):
        expect(next_button).to_be_enabled()
        next_button.click()
        expect(table.locator("th", has_text=f"After step {number}")).to_have_count(1)
        expect(widget.locator(".stepthrough-code")).to_contain_text(
            lesson_step_code(lesson.saved, number))
    expect(next_button).to_be_disabled()
    assert table_rows(table.inner_html()) == expected
    save_png(widget.screenshot(), shots / "step-through.png")

    widget.locator(".stepthrough-reset").click()
    expect(table.locator("th", has_text="After step")).to_have_count(0)
    assert table_rows(table.inner_html()) == [row[:2] for row in expected]
    expect(next_button).to_be_enabled()


def lesson_step_code(nb: nbformat.NotebookNode, number: int) -> str:
    """The first line of step `number`'s code, read from the tracker's own definition."""
    source = next(cell.source for _, cell in code_cells(nb) if "StepThrough(" in cell.source)
    codes = [node.args[1].value for node in ast.walk(ast.parse(source))
             if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Step"]
    return codes[number - 1].splitlines()[0]


def test_solution_runs_to_the_end(chromium: Any, lab: LabServer):
    """The instructor's version, all exercises solved, runs top to bottom in JupyterLab."""
    context = chromium.new_context(viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        panel = open_in_file_browser(page, lab, "solutions", LESSON, f"{LESSON}.ipynb")
        saved, seconds = run_all_and_save(page, panel,
                                          lab.root / "solutions" / LESSON / f"{LESSON}.ipynb")
    finally:
        context.close()
    for i, cell in code_cells(saved):
        assert cell.execution_count is not None, f"cell {i} did not run: {cell.source[:60]}"
        assert not cell_problems(cell), f"cell {i}: {cell_problems(cell)}"
    print(f"\nRun All of the solution in JupyterLab: {seconds:.1f} s")


# --- nbgrader's pages ----------------------------------------------------------------------------


def open_nbgrader_menu(page: Any, lab: LabServer, command: str) -> None:
    page.goto(lab.url("lab", reset=""))
    page.locator("li.lm-MenuBar-item", has_text="Nbgrader").click()
    page.locator(f"li[data-command='nbgrader:{command}']").click()


def test_assignment_list_shows_the_released_lessons(page: Any, lab: LabServer, course: Course,
                                                    shots: Path):
    open_nbgrader_menu(page, lab, "open-assignment-list")
    released = page.locator("#released_assignments_list")
    for assignment in course.assignments:
        expect(released).to_contain_text(assignment)
    assert LESSON in course.assignments
    expect(page.locator("#course_list_default")).to_have_text(
        course_config(course.root).CourseDirectory.course_id)
    save_png(page.screenshot(), shots / "assignment-list.png")


def test_formgrader_lists_the_lessons(page: Any, lab: LabServer, course: Course, shots: Path):
    open_nbgrader_menu(page, lab, "open-formgrader")  # inside JupyterLab: an iframe
    table = page.frame_locator("iframe[src*='formgrader']").locator("#main-table")
    for assignment in course.assignments:
        expect(table.locator("td.name", has_text=assignment)).to_have_count(1)

    page.goto(lab.url("formgrader"))  # the same page on its own, as instructors bookmark it
    rows = page.locator("#main-table tr")
    for assignment in course.assignments:
        expect(rows.filter(has=page.locator("td.name", has_text=assignment))).to_contain_text(
            "released")
    save_png(page.screenshot(), shots / "formgrader.png")


# --- where widgets do not render -----------------------------------------------------------------


@pytest.fixture(scope="session")
def static_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Lesson 01 as nbgrader executes a submission, exported by `jupyter nbconvert --to html`.

    The student version stands for an unanswered submission: nbgrader's own Execute
    preprocessor, with the course's config, runs every cell and records the stubs' errors.
    """
    from nbgrader.preprocessors import Execute

    work = tmp_path_factory.mktemp("static") / LESSON
    work.mkdir()
    config = course_config()
    assert config.Execute.store_widget_state is False, "nbgrader_config.py should not store it"
    nb = nbformat.read(ROOT / "lessons" / LESSON / f"{LESSON}.ipynb", as_version=4)
    nb, _ = Execute(config=config).preprocess(nb, {"metadata": {"path": str(work)}})
    executed = work / f"{LESSON}.ipynb"
    nbformat.write(nb, executed)
    done = subprocess.run([str(Path(sys.executable).with_name("jupyter")), "nbconvert",
                           "--to", "html", str(executed)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-500:]
    return executed.with_suffix(".html")


def test_static_html_shows_the_quiz_and_how_to_check_it(static_html: Path):
    soup = BeautifulSoup(static_html.read_text(), "html.parser")
    assert not soup.select(f"script[type='{WIDGET_VIEW}']"), "widget views need saved state"
    quiz = lesson_quiz(nbformat.read(ROOT / "lessons" / LESSON / f"{LESSON}.ipynb", 4))
    shown = soup.select("div.quiz-static")
    assert len(shown) == 1, f"expected the quiz's static version once, found {len(shown)}"
    text = " ".join(shown[0].get_text().split())
    assert as_shown(quiz.title) in text
    for question in quiz.questions:
        assert as_shown(question.prompt) in text
        for key, option in question.options.items():
            assert f"{key}: {as_shown(option)}" in text
    first = next(iter(quiz.questions[0].options))
    assert f'quiz.check(1, "{first}")' in text, "the plain-text way to check an answer is missing"
    tracker = soup.select("div.stepthrough-static")
    assert len(tracker) == 1 and "tracker.next()" in tracker[0].get_text()


def test_static_html_in_a_browser(chromium: Any, static_html: Path, shots: Path):
    """The exported page, opened as a file: the quiz's questions are visible text."""
    context = chromium.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.goto(static_html.as_uri())
        quiz = page.locator("div.quiz-static")
        expect(quiz).to_be_visible()
        expect(quiz).to_contain_text("quiz.check(1,")
        save_png(quiz.screenshot(), shots / "quiz-static-html.png")
    finally:
        context.close()
