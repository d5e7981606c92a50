"""The class on the hub as people use it, in Debian's chromium: two people, one after the other.

1. The instructor logs in and, in formgrader, generates and releases an assignment (the tiny
   one of tests/grading_course.py under its own name: the flow is tested here, not a lesson).
2. A student logs in, fetches it from the Assignment List, fills in the answers in JupyterLab,
   saves, and submits from the Assignment List.
3. Within 120 s the Assignment List offers the feedback; the student fetches it and reads their
   score on the feedback page.
4. The instructor sees that score in formgrader.
5. A second student, logged in, asks the hub for the first student's files and is refused.

Screenshots go to docs/images/ when UPDATE_SCREENSHOTS=1 (tests/browser.py).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from browser import launched, save_png, screenshot_dir
from hubclass import BROWSER_ASSIGNMENT, NAMES

from autograder.common.paths import ROOT
from bench.hub import ClassHub

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips, saying why
    expect = None

pytestmark = [pytest.mark.notebook, pytest.mark.timeout(1200)]

LESSON = BROWSER_ASSIGNMENT
VIEWPORT = {"width": 1280, "height": 800}
TIMEOUT_MS = 60_000
SPAWN_MS = 180_000  # a first JupyterLab start on a loaded 2-core machine
SAVE_SETTLES_MS = 3000  # a save, and a kernel connecting right after it, show within this
FEEDBACK_WITHIN = 120  # seconds from Submit to the feedback in the Assignment List


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launched(TIMEOUT_MS) as chromium:
        yield chromium


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return screenshot_dir(ROOT, tmp_path_factory.mktemp("hub-screenshots"))


def logged_in(browser: Any, hub: ClassHub, name: str) -> Any:
    """A fresh browser profile that logged in as `name` and waited for JupyterLab."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", name)
    page.fill("#password_input", hub.passwords[name])
    page.click("#login_submit")
    page.wait_for_url(re.compile(rf"/user/{re.escape(name)}/lab"), timeout=SPAWN_MS)
    page.locator(".jp-LabShell").wait_for(timeout=SPAWN_MS)
    return page


def answers(hub: ClassHub) -> dict[int, str]:
    """The solution's code for each exercise cell, by cell index (the student version has the
    same cells, with stubs in these)."""
    nb = nbformat.read(hub.source / "solutions" / LESSON / f"{LESSON}.ipynb", as_version=4)
    return {i: cell.source for i, cell in enumerate(nb.cells)
            if cell.metadata.get("nbgrader", {}).get("solution") and cell.cell_type == "code"}


def save(page: Any) -> None:
    """Ctrl+S until the tab's unsaved mark stays off, as a person would. A kernel that connects
    after a save writes its language_info into the notebook, which marks it unsaved again (seen
    on a loaded machine)."""
    dirty = page.locator(".lm-TabBar-tab.jp-mod-current.jp-mod-dirty")
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while True:
        page.keyboard.press("Control+s")
        page.wait_for_timeout(SAVE_SETTLES_MS)
        if dirty.count() == 0:
            return
        assert time.monotonic() < deadline, "the notebook still shows unsaved changes"


def open_assignment_list(page: Any, lab: str) -> Any:
    page.goto(f"{lab}/lab")
    page.locator("li.lm-MenuBar-item", has_text="Nbgrader").click()
    page.locator("li[data-command='nbgrader:open-assignment-list']").click()
    return page.locator(".lm-Widget:has(#released_assignments_list)").last


def test_release_submit_feedback_in_two_browsers(browser: Any, class_hub: ClassHub,
                                                 shots: Path):
    hub = class_hub
    ann, ben = NAMES.browser
    teach = hub.instructor

    # 1. The instructor: formgrader, generate the student version, release it.
    instructor = logged_in(browser, hub, teach)
    instructor.goto(f"{hub.url}/user/{teach}/formgrader/manage_assignments")
    row = instructor.locator("#main-table tr", has=instructor.locator("td.name",
                                                                      has_text=LESSON))
    row.locator("td.assign a").click()
    instructor.locator("#success-modal").wait_for(timeout=120_000)
    instructor.locator("#success-modal button[data-dismiss='modal']").first.click()
    row.locator("td.release a").click()
    expect(row.locator("td.status")).to_contain_text("released", timeout=120_000)
    save_png(instructor.screenshot(), shots / "hub-formgrader-released.png")

    # 2. The student: fetch, open, answer, save, submit.
    student = logged_in(browser, hub, ann)
    lab = f"{hub.url}/user/{ann}"
    panel = open_assignment_list(student, lab)
    released = panel.locator("#released_assignments_list")
    released.locator("div", has_text=LESSON).locator("button", has_text="Fetch").first.click()
    fetched = panel.locator("#fetched_assignments_list")
    expect(fetched).to_contain_text(LESSON)
    student.goto(f"{lab}/lab/tree/{LESSON}/{LESSON}.ipynb")
    notebook = student.locator(".jp-NotebookPanel:visible")
    cells = notebook.locator(".jp-Notebook .jp-Cell")
    cells.first.wait_for()
    for index, code in answers(hub).items():
        cell = cells.nth(index)
        cell.scroll_into_view_if_needed()
        cell.locator(".cm-content").click()
        student.keyboard.press("Control+a")
        student.keyboard.insert_text(code)
        student.keyboard.press("Escape")
    save(student)
    saved = nbformat.read(hub.settings.home(ann) / LESSON / f"{LESSON}.ipynb", as_version=4)
    for index, code in answers(hub).items():
        assert saved.cells[index].source == code, f"cell {index} was not saved as typed"

    panel = open_assignment_list(student, lab)
    fetched = panel.locator("#fetched_assignments_list")
    fetched.locator("button", has_text="Submit").first.click()
    submitted_at = time.monotonic()
    submitted = panel.locator("#submitted_assignments_list")
    expect(submitted).to_contain_text(LESSON)

    # 3. Feedback in the Assignment List within 120 s, with the score on its page.
    deadline = submitted_at + FEEDBACK_WITHIN
    while "feedback available to fetch" not in submitted.inner_text():
        assert time.monotonic() < deadline, (
            f"no feedback in the Assignment List {FEEDBACK_WITHIN} s after Submit; the "
            f"grading service said:\n{hub.service_log()}")
        panel.locator("#refresh_assignments_list").click()
        student.wait_for_timeout(2000)  # the list answers from the exchange: poll it
    waited = time.monotonic() - submitted_at
    submitted.locator("button", has_text="Fetch Feedback").first.click()
    expect(submitted).to_contain_text("view feedback")
    save_png(student.screenshot(), shots / "hub-assignment-list-feedback.png")
    feedback_dirs = list((hub.settings.home(ann) / LESSON / "feedback").iterdir())
    assert len(feedback_dirs) == 1
    page_path = f"{LESSON}/feedback/{feedback_dirs[0].name}/{LESSON}.html"
    student.goto(f"{lab}/files/{page_path}")
    heading = student.locator("h4", has_text=f"{LESSON} (Score:")
    expect(heading).to_be_visible()
    score = re.search(r"Score: ([0-9.]+) / ([0-9.]+)", heading.inner_text()).groups()
    assert float(score[0]) == float(score[1]) > 0, f"the solution should score full marks: {score}"
    save_png(student.screenshot(), shots / "hub-feedback-page.png")
    print(f"\nfeedback in the Assignment List {waited:.0f} s after Submit; score "
          f"{score[0]} / {score[1]}")

    # 4. The instructor sees the grade in formgrader.
    instructor.goto(f"{hub.url}/user/{teach}/formgrader/manage_students")
    student_row = instructor.locator("#main-table tr", has_text=ann)
    expect(student_row.locator("td.score")).to_have_text(
        re.compile(rf"^{float(score[0]):g} / {float(score[1]):g}$"))
    save_png(instructor.screenshot(), shots / "hub-formgrader-grades.png")

    # 5. Another student cannot open the first student's files through the hub.
    other = logged_in(browser, hub, ben)
    for path in (f"api/contents/{LESSON}/{LESSON}.ipynb", f"files/{page_path}"):
        response = other.request.get(f"{hub.url}/user/{ann}/{path}", max_redirects=10)
        assert response.status == 403, f"{ben} got {response.status} for {ann}'s {path}"
        assert not any(code in response.text() for code in answers(hub).values())
    own = other.request.get(f"{hub.url}/user/{ben}/api/contents")
    assert own.status == 200, "the second student's own server should answer them"
    for page in (instructor, student, other):
        page.context.close()
