"""`autograder score` and `autograder progress` on lesson 01: the self-study score of a correct
and of a mistaken sample submission equals the grade its class.toml expects (the grade
`make grade` checks), the notebook is untouched, and progress lists what is left.

Two samples only, to keep `make test` short; `autograder score --samples` checks every sample
of every class the same way.
"""

import contextlib
import hashlib
import html
import io
import json
import re
from pathlib import Path

import nbformat
import pytest

from autograder.cli import main
from autograder.common.paths import ROOT
from autograder.grading import progress, samples, selfscore
from autograder.grading.redact import normalize

pytestmark = pytest.mark.notebook
ASSIGNMENT = "01-pickle"
STUDENTS = ("correct", "text-mode")


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(argv))
    return code, out.getvalue()


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def hidden_only_lines() -> set[str]:
    """Lines only the hidden tests have (generic ones such as `with quietly():` are released)."""
    released = nbformat.read(ROOT / "lessons" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
                             as_version=4)
    return selfscore.hidden_lines(ASSIGNMENT) - {
        normalize(line) for cell in released.cells for line in cell.source.splitlines()}


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    """Each sample as a learner's notebook in a folder named after the lesson, scored by the
    command (quick mode, the default), then the progress table."""
    tmp = tmp_path_factory.mktemp("score")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(progress.FOLDER_VARIABLE, str(tmp / "self-study"))
        results = {}
        for sample in samples.load_class(ASSIGNMENT):
            if sample.student not in STUDENTS:
                continue
            notebook = tmp / sample.student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
            notebook.parent.mkdir(parents=True)
            nbformat.write(samples.build_notebook(sample, ASSIGNMENT), notebook)
            before = digest(notebook)
            code, out = run("score", str(notebook), "--json")
            got = json.loads(out)
            results[sample.student] = {"sample": sample, "code": code, "json": got,
                                       "page": open(got["feedback"]).read(), "before": before,
                                       "after": digest(notebook),
                                       "folder": sorted(notebook.parent.iterdir())}
        _, table = run("progress")
        _, listed = run("progress", "--json")
    return {"results": results, "table": table, "progress": json.loads(listed),
            "folder": tmp / "self-study"}


@pytest.mark.parametrize("student", STUDENTS)
def test_the_self_study_score_equals_the_expected_grade(scored, student):
    result = scored["results"][student]
    got = result["json"]
    assert result["code"] == 0 and got["assignment"] == ASSIGNMENT and got["quick"]
    named = tuple(m for test in got["failed"] for m in test["mistakes"])
    assert samples.check(result["sample"], got["status"], got["score"], got["reason"],
                         named) == ""


@pytest.mark.parametrize("student", STUDENTS)
def test_the_notebook_is_not_changed(scored, student):
    result = scored["results"][student]
    assert result["after"] == result["before"]
    assert [p.name for p in result["folder"]] == [f"{ASSIGNMENT}.ipynb"]


def test_each_failed_test_has_its_one_line_reason(scored):
    assert scored["results"]["correct"]["json"]["failed"] == []
    failed = scored["results"]["text-mode"]["json"]["failed"]
    assert [(t["grade_id"], t["score"], t["max_score"]) for t in failed] == \
        [("test_save_model", 0, 2)]
    assert failed[0]["reason"] == "TypeError: write() argument must be str, not bytes"
    assert failed[0]["mistakes"] == ["text-mode"]


def test_the_kept_feedback_page_has_no_hidden_test(scored):
    lines = hidden_only_lines()
    assert lines
    for student in STUDENTS:
        page = scored["results"][student]["json"]["feedback"]
        assert page == str(scored["folder"] / "feedback" / f"{ASSIGNMENT}.html")
        text = normalize(scored["results"][student]["page"])
        got = scored["results"][student]["json"]
        assert f"Score: {got['score']:.1f} / {got['max_score']:.1f}" in text  # nbgrader's header
        assert not [line for line in lines if line in text]


def test_the_kept_page_links_each_named_mistake_to_its_lesson_section(scored):
    result = scored["results"]["text-mode"]
    links = re.findall(r'href="([^"#]+\.ipynb)#', result["page"])
    assert links  # the text-mode mistake, in its box and in the summary
    folder = Path(result["json"]["feedback"]).parent
    for link in links:
        assert (folder / html.unescape(link)).resolve() == \
            ROOT / "lessons" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"


def test_progress_shows_the_last_score_and_what_is_left(scored):
    lessons = {entry["lesson"]: entry for entry in scored["progress"]["lessons"]}
    assert lessons[ASSIGNMENT]["attempt"]["score"] == 8  # text-mode came last
    assert lessons[ASSIGNMENT]["left"] == "test_save_model"
    assert lessons["04-onnx"]["left"] == progress.NOT_ATTEMPTED
    assert "00-start" not in lessons
    assert "8/10" in scored["table"]
    assert f"0 of {len(lessons)} lessons at full marks" in scored["table"]


@pytest.mark.parametrize("argv, message", [
    (["score"], "give the NOTEBOOK to score"),
    (["score", "missing.ipynb"], "missing.ipynb: cannot read it"),
    (["score", "--samples", "99-nothing"], "no sample class for 99-nothing"),
])
def test_bad_input_is_one_line(argv, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out = run(*argv, "--json")
    assert code == 2 and message in json.loads(out)["error"] and out.count("\n") == 1


def test_the_start_page_names_commands_that_exist():
    """Every `autograder ...` line in 00-start's scoring section parses as given."""
    from autograder.cli import build_parser

    nb = nbformat.read(ROOT / "solutions" / "00-start" / "00-start.ipynb", as_version=4)
    section = next(c.source for c in nb.cells if "Scoring your own work" in c.source)
    commands = re.findall(r"^autograder (.+)$", section, re.M)
    assert [c.split()[0] for c in commands] == ["score", "progress"]
    for command in commands:
        build_parser().parse_args(command.split())
