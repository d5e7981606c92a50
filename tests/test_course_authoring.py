"""Every lesson, both trees, and the lesson standard, from one run of each notebook.

Each solution executes once (nbgrader's Validator on a temporary copy, on the python3 kernel, as
nbgrader runs it), in quick mode (AUTOGRADER_QUICK=1: the lessons' measurement cells repeat less
and use smaller arrays; every cell still runs, and tests and graded figures are the same), and
that run serves every check that needs outputs: every grade cell passes, no cell has an error or
stderr output, the guard finds nothing a student should not see, every printed verdict agrees
with its own table, and the static HTML shows every widget as text. `make bench` runs each
solution in full, as a learner does. Each student version executes once more, also in quick
mode, and every grade cell must fail there with the locked cells unchanged.

The lesson standard (docs/authoring.md) applies to every notebook: each graded lesson has a
question bank, solutions/NN-slug/quiz.toml (a lesson without one is skipped, saying so), and
ungraded notebooks (00-start, the self-assessment) have their own checks. An ungraded one is marked
`"autograder": {"graded": false}` in its metadata and has no grade cells: the checks of graded
lessons (exercises, checkpoint, concept snapshot, a student version that fails) apply to every
other notebook, unchanged.
"""

from __future__ import annotations

import ast
import copy
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbformat.v4 import new_code_cell, new_output

from autograder.common.paths import ROOT
from autograder.course import guard, outline, quizbank, timing
from autograder.course.authoring import Validation, assignment_ids, drift, validate
from autograder.course.quiz import LETTERS, Question, Quiz

ASSIGNMENTS = assignment_ids()
BANKS = quizbank.bank_paths()
UNGRADED = [a for a in ASSIGNMENTS
            if not outline.graded(json.loads((ROOT / "solutions" / a / f"{a}.ipynb").read_text()))]
GRADED = [a for a in ASSIGNMENTS if a not in UNGRADED]
STANDARD = sorted({*BANKS, *UNGRADED})
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
SNAPSHOT_LINES, SNAPSHOT_CHARS = 5, 400


def notebook(tree: str, assignment: str) -> dict:
    return json.loads((ROOT / tree / assignment / f"{assignment}.ipynb").read_text())


def nbgrader_cells(nb: dict) -> list[tuple[dict, dict]]:
    return [(cell, cell["metadata"]["nbgrader"]) for cell in nb["cells"]
            if "nbgrader" in cell["metadata"]]


def autograded(nb: dict) -> list[tuple[dict, dict]]:
    return [(cell, meta) for cell, meta in nbgrader_cells(nb)
            if meta.get("grade") and not meta.get("solution")]


def standard(assignment: str) -> None:
    if assignment not in STANDARD:
        pytest.skip(f"{assignment} has no quiz.toml: not yet converted to the lesson standard")


def bank_of(assignment: str) -> quizbank.Bank:
    """The lesson's question bank; skips a notebook that has none (00-start has no quiz)."""
    standard(assignment)
    if assignment not in BANKS:
        pytest.skip(f"{assignment} is ungraded and has no quiz")
    return quizbank.read(BANKS[assignment])


# --- one run of each notebook ------------------------------------------------------------------


@pytest.fixture(scope="session")
def solution_run():
    """assignment -> its solution's Validation, executed once per test session."""
    runs: dict[str, Validation] = {}

    def run(assignment: str) -> Validation:
        if assignment not in runs:
            runs[assignment] = validate(ROOT / "solutions" / assignment / f"{assignment}.ipynb",
                                        quick=True)
        return runs[assignment]

    return run


@pytest.fixture(scope="session")
def static_page(solution_run):
    """assignment -> the executed solution as nbconvert's HTML: what a static viewer shows."""
    from nbconvert import HTMLExporter

    pages: dict[str, BeautifulSoup] = {}

    def page(assignment: str) -> BeautifulSoup:
        if assignment not in pages:
            executed = nbformat.from_dict(solution_run(assignment).executed)
            body, _ = HTMLExporter().from_notebook_node(executed)
            pages[assignment] = BeautifulSoup(body, "html.parser")
        return pages[assignment]

    return page


# --- both trees --------------------------------------------------------------------------------


def test_lessons_are_discovered():
    assert "01-pickle" in GRADED and "01-pickle" in STANDARD and "00-start" in UNGRADED
    for assignment in ASSIGNMENTS:
        assert (ROOT / "lessons" / assignment / f"{assignment}.ipynb").is_file(), (
            f"lessons/{assignment} is missing: run `make lessons`")


def test_lessons_and_quiz_banks_are_exactly_what_generation_produces():
    assert drift() == []


@pytest.mark.parametrize("tree", ["solutions", "lessons"])
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_notebooks_are_stored_without_outputs(tree, assignment):
    for cell in notebook(tree, assignment)["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, cell["source"][:80]


@pytest.mark.parametrize("assignment", UNGRADED)
def test_an_ungraded_notebook_has_nothing_to_grade(assignment):
    """Marked ungraded, and nothing in it is graded, solved or hidden: no quiet half-lesson."""
    nb = notebook("solutions", assignment)
    assert nbgrader_cells(nb) == [], "an ungraded notebook has no nbgrader cells"
    for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS"):
        assert marker not in json.dumps(nb), marker
    assert timing.lesson_time(assignment).tasks == (), "an ungraded notebook has no ✍️ tasks"
    assert assignment not in BANKS or not quizbank.read(BANKS[assignment]).graded


@pytest.mark.parametrize("assignment", GRADED)
def test_solution_follows_the_lesson_conventions(assignment):
    nb = notebook("solutions", assignment)
    manual = [meta for _, meta in nbgrader_cells(nb) if meta.get("grade") and meta.get("solution")]
    assert all(meta["points"] > 0 for meta in manual), "manually graded answers carry points"
    graded = autograded(nb)
    exercises = [meta for _, meta in graded if meta["grade_id"] != "test_checkpoint"]
    assert len(exercises) >= 3, "every lesson has at least 3 graded exercises"
    assert all(meta["points"] > 0 for _, meta in graded)
    assert any("### BEGIN HIDDEN TESTS" in "".join(cell["source"]) for cell, _ in graded)
    for cell, meta in graded:
        first = "".join(cell["source"]).lstrip().splitlines()[0]
        assert first.startswith('"""'), f"{meta['grade_id']} should open with a one-line docstring"
        assert meta["locked"], f"{meta['grade_id']} must be locked"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_student_version_holds_no_solutions_or_hidden_tests(assignment):
    text = json.dumps(notebook("lessons", assignment))
    for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in text


@pytest.mark.notebook
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_passes_every_test_cleanly(solution_run, assignment):
    """Every grade cell passes, and no cell anywhere has an error or stderr output.

    Its run time is measured against a goal by `make bench` (bench/course.py), not here.
    """
    result = solution_run(assignment)
    print(f"\n{assignment}: solution ran in {result.seconds:.0f} s")
    assert result.ok, "\n".join(result.problems)


@pytest.mark.notebook
@pytest.mark.parametrize("assignment", GRADED)
def test_student_version_fails_every_test(assignment):
    """Quick mode: the same code runs, with fewer repetitions; nothing graded depends on it."""
    result = validate(ROOT / "lessons" / assignment / f"{assignment}.ipynb", invert=True,
                      quick=True)
    print(f"\n{assignment}: student version ran in {result.seconds:.0f} s (quick mode)")
    assert result.ok, "\n".join(result.problems)


# --- what the student sees (one executed run each) ---------------------------------------------


@pytest.mark.notebook
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_guard_finds_nothing_a_student_should_not_see(solution_run, assignment):
    standard(assignment)
    problems = guard.output_problems(solution_run(assignment).executed)
    assert problems == [], "\n".join(problems)


@pytest.mark.notebook
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_guard_fails_on_a_broken_copy(solution_run, assignment):
    """The same executed notebook, broken on purpose in every way the guard knows."""
    standard(assignment)
    broken = copy.deepcopy(solution_run(assignment).executed)
    code = [cell for cell in broken["cells"] if cell["cell_type"] == "code"]
    injected = {
        "NaN where a dash belongs": "score  NaN\n",
        "a memory address": "<onnxruntime.InferenceSession object at 0x7f3a2c1b4d90>\n",
        "a raw repr": "OrderedDict([('net.0.weight', tensor([0.1]))])\n",
        "six-decimal numbers": "0.560000  19.320000\n",
        "run to": "a line\n" * 45,
        "a dump of": "{\n" + '  "key": 1,\n' * 20 + "}\n",
    }
    # one new cell per fault, so a notebook with few code cells (00-start) still shows each
    for text in injected.values():
        broken["cells"].append(new_code_cell("print(x)", outputs=[
            new_output("stream", name="stdout", text=text)]))
    code[-1]["outputs"].append(new_output("stream", name="stderr", text="UserWarning: noise\n"))
    figures = [output for cell in code for output in cell["outputs"]
               if "image/png" in output.get("data", {})]
    for output in figures:
        output["metadata"] = {}
        output["data"]["text/html"] = output["data"]["text/html"].replace(" alt=", " title=")
    problems = "\n".join(guard.output_problems(broken))
    for what in [*injected, "stderr", *(["a figure without alternative text"] if figures else [])]:
        assert what in problems, f"the guard missed {what!r}:\n{problems}"


@pytest.mark.notebook
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_verdict_agrees_with_its_own_table(solution_run, assignment):
    standard(assignment)
    executed = solution_run(assignment).executed
    problems = guard.verdict_problems(executed)
    assert problems == [], "\n".join(problems)
    verdicts = [o for c in executed["cells"] for o in c.get("outputs", [])
                if "verdict" in o.get("metadata", {}).get("autograder", {})]
    print(f"\n{assignment}: {len(verdicts)} verdicts re-checked against their tables")
    if verdicts:  # and a contradicted one is caught
        flipped = copy.deepcopy(executed)
        for cell in flipped["cells"]:
            for output in cell.get("outputs", []):
                record = output.get("metadata", {}).get("autograder", {}).get("verdict")
                if record:
                    output["data"]["text/plain"] = (record["if_fails"] if record["holds"]
                                                    else record["if_holds"])
        assert len(guard.verdict_problems(flipped)) == len(verdicts)


def squeeze(text: str) -> str:
    """Text without whitespace: HTML puts spaces around tags where the source has none."""
    return "".join(text.split())


@pytest.mark.notebook
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_static_html_shows_every_widget_as_text(static_page, solution_run, assignment):
    """nbconvert's HTML of the executed lesson: quiz questions, checkpoint, step-through table."""
    standard(assignment)
    page = static_page(assignment)
    assert not page.select(f"script[type='{WIDGET_VIEW}']"), "widget views need saved state"
    text = squeeze(page.get_text())
    bank = quizbank.read(BANKS[assignment]) if assignment in BANKS else None
    for question in [*bank.quiz, *bank.checkpoint] if bank else []:
        assert squeeze(question.prompt.replace("`", "")) in text, question.prompt
    for output in [o for c in solution_run(assignment).executed["cells"]
                   for o in c.get("outputs", []) if WIDGET_VIEW in o.get("data", {})]:
        fallback = BeautifulSoup(output["data"]["text/html"], "html.parser").get_text()
        assert squeeze(fallback) in text, f"a widget's fallback is missing: {fallback[:80]}"
    if bank:
        assert page.select("div.quiz-static")
    if bank and bank.checkpoint:
        assert page.select("div.checkpoint-static")
    images = page.select(".jp-OutputArea-output img")
    assert all(img.get("alt", "").strip() for img in images), "every figure needs alt text"


def test_nbconvert_config_keeps_widget_state_out():
    """The README's nbconvert command reads jupyter_nbconvert_config.py."""
    shown = subprocess.run([str(Path(sys.executable).with_name("jupyter")), "nbconvert",
                            "--config", "jupyter_nbconvert_config.py", "--show-config"],
                           cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert re.search(r"store_widget_state\s*=\s*False", shown.stdout), shown.stdout[-500:]
    assert "jupyter nbconvert --config jupyter_nbconvert_config.py --execute --to html" in (
        ROOT / "README.md").read_text()


# --- the lesson standard, read from the sources ------------------------------------------------


def checkpoint_key(assignment: str) -> str:
    """The graded checkpoint's letters, from the solution's `checkpoint_answers = {...}`."""
    cell = next(c for c, meta in nbgrader_cells(notebook("solutions", assignment))
                if meta["grade_id"] == "checkpoint_answers")
    code = "".join(cell["source"]).replace("### BEGIN SOLUTION", "").replace("### END SOLUTION", "")
    answers = ast.literal_eval(ast.parse(code).body[0].value)
    return "".join(str(answers[n]).upper() for n in sorted(answers))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_quiz_answers_are_nowhere_in_the_student_version(assignment):
    bank = bank_of(assignment)
    student = json.dumps(notebook("lessons", assignment), ensure_ascii=False)
    package = quizbank.compiled_path(assignment).read_text(encoding="utf-8")
    for shipped in (student, package):
        for question in bank.quiz:
            for option in question.options:
                assert option.feedback not in shipped, f"feedback shown in plain text: {option}"
        for leak in ("answer=", "explanation=", "mistake=", '"right"', "right = true"):
            assert leak not in shipped, f"{leak!r} in what students get"
    if assignment in GRADED:
        assert f'key="{checkpoint_key(assignment)}"' not in student


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_quiz_objects_give_nothing_away(assignment):
    """Without choosing an option, every option of every question looks the same."""
    bank = bank_of(assignment)
    quiz = Quiz.load(assignment)
    assert set(vars(quiz)) <= {"questions", "title", "first", "_results"}
    for question, written in zip(quiz.questions, bank.quiz, strict=True):
        assert isinstance(question, Question) and not hasattr(question, "answer")
        assert len({len(sealed) for sealed in question.sealed.values()}) == 1
        assert written.answer not in (question.hint, question.salt)
        right = [letter for letter in question.options if question.open(letter)[0]]
        assert right == [written.answer]  # the sealed verdicts are the bank's


@pytest.mark.parametrize("assignment", GRADED)
def test_checkpoint_asks_other_questions_than_the_quiz(assignment):
    bank = bank_of(assignment)
    for asked in bank.checkpoint:
        for quizzed in bank.quiz:
            assert quizbank.similarity(asked.prompt, quizzed.prompt) < quizbank.SIMILAR, (
                asked.prompt, quizzed.prompt)
            assert set(asked.options) != {option.text for option in quizzed.options}
    assert len(checkpoint_key(assignment)) == len(bank.checkpoint)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_right_option_is_rarely_the_longest(assignment):
    bank = bank_of(assignment)
    quiz = [([o.text for o in q.options], q.answer) for q in bank.quiz]
    key = checkpoint_key(assignment) if bank.checkpoint else ""
    checkpoint = [(list(q.options), letter)
                  for q, letter in zip(bank.checkpoint, key, strict=True)]
    in_quiz, in_checkpoint = quizbank.longest_is_right(quiz), quizbank.longest_is_right(checkpoint)
    total = len(quiz) + len(checkpoint)
    letters = "".join(letter for _, letter in quiz + checkpoint)
    spread = ", ".join(f"{x} {letters.count(x)}" for x in LETTERS if x in letters)
    print(f"\n{assignment}: the right option is the longest in {in_quiz + in_checkpoint} of "
          f"{total} questions (quiz {in_quiz} of {len(quiz)}, checkpoint {in_checkpoint} of "
          f"{len(checkpoint)}); right letters: {spread}")
    assert (in_quiz + in_checkpoint) * 3 <= total


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_core_path_time_is_stated_by_the_model(assignment):
    standard(assignment)
    time = timing.lesson_time(assignment)
    print(f"\n{time.summary()}")
    assert all(task.minutes for task in time.tasks), (
        f"every task line states its minutes: {[t.line for t in time.tasks if not t.minutes]}")
    assert time.agrees(time.stated), (
        f"the header says about {time.stated} minutes; the model says {time.minutes:.0f}: "
        f"state about {time.rounded}")
    readme = timing.readme_minutes((ROOT / "README.md").read_text()).get(assignment)
    assert time.agrees(readme), f"README says {readme} min; the model says {time.minutes:.0f}"
    assert time.minutes <= time.limit, f"core path {time.minutes:.0f} min (limit {time.limit})"


@pytest.mark.parametrize("assignment", GRADED)
def test_concept_snapshot_fits_an_index_card(assignment):
    standard(assignment)
    cell = next("".join(c["source"]) for c in notebook("solutions", assignment)["cells"]
                if c["cell_type"] == "markdown" and "Concept snapshot" in "".join(c["source"]))
    items = [line for line in cell.splitlines() if re.match(r"\s*(\d+\.|[-*])\s", line)]
    chars = sum(len(line.strip()) for line in items)
    assert 1 <= len(items) <= SNAPSHOT_LINES and chars <= SNAPSHOT_CHARS, (
        f"{len(items)} lines, {chars} characters")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_graded_cell_has_a_visible_and_a_hidden_test(assignment):
    standard(assignment)
    for cell, meta in autograded(notebook("solutions", assignment)):
        source = "".join(cell["source"])
        visible = source.split("### BEGIN HIDDEN TESTS")[0]
        assert "### BEGIN HIDDEN TESTS" in source, f"{meta['grade_id']} has no hidden test"
        assert re.search(r"\bassert\b|check_form\(", visible), (
            f"{meta['grade_id']} has no visible check with a message")
