"""autograder.course.timing: the time model, the core path, stated times."""

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.course import timing

WORDS_100 = " ".join(["word"] * 100)


def lesson() -> dict:
    hidden = "assert ok\n### BEGIN HIDDEN TESTS\nsecret = 1\nmore = 2\n### END HIDDEN TESTS\n"
    return new_notebook(cells=[
        new_markdown_cell(f"# Lesson\n\n**Time:** about 25 minutes.\n\n{WORDS_100}"),
        new_code_cell("a = 1\n\n# a comment counts\nb = 2"),
        new_markdown_cell("### ✍️ Exercise 1 · Do it (3 points, 10 min)\n\n"
                          "Text with ✍️ inside is not a task."),
        new_code_cell("answer = 42", metadata={"nbgrader": {"solution": True}}),
        new_code_cell(hidden, metadata={"nbgrader": {"grade": True}}),
        new_markdown_cell("✍️ **Checkpoint (2 points, 5 min).**\n```python\nx = 1\ny = 2\n```"),
        new_markdown_cell(f"## Going further A · More\n\n{WORDS_100}"),
        new_code_cell("\n".join(["z = 0"] * 50)),
        new_markdown_cell("### Still going further, deeper"),
        new_markdown_cell(f"## Going further B\n\n{WORDS_100}"),
    ]).dict()


def test_the_model_counts_core_prose_code_and_tasks():
    time = timing.estimate(lesson(), "99-test")
    # "Lesson", "Time about 25 minutes" and 100 words; "Exercise 1 Do it 3 points 10 min" and
    # "Text with inside is not a task"; "Checkpoint 2 points 5 min". Going further never counts.
    assert time.prose_words == 105 + 15 + 5
    assert time.code_lines == 3 + 1 + 2  # cell 1, the visible test line, the fenced block
    assert [task.minutes for task in time.tasks] == [10, 5] and time.task_minutes == 15
    assert time.minutes == time.prose_words / 200 + 6 / 10 + 15
    assert time.stated == 25 and time.rounded == 15 and not time.agrees(25)
    assert time.agrees(16) and time.limit == 60
    assert "99-test:" in time.summary()


def test_going_further_ends_at_a_heading_of_its_level_or_higher():
    nb = new_notebook(cells=[
        new_markdown_cell("## Going further"), new_code_cell("x = 1"),
        new_markdown_cell("### deeper"), new_code_cell("y = 2"),
        new_markdown_cell("## Back on the core path"), new_code_cell("z = 3")]).dict()
    assert [timing.source(c) for c in timing.core_cells(nb)] == ["## Back on the core path",
                                                                 "z = 3"]


def test_readme_table_times():
    readme = ("| 01 | [Saving](lessons/01-pickle/01-pickle.ipynb) | what | 55 min | available |\n"
              "| 07 | [Capstone](lessons/07-capstone/07-capstone.ipynb) | x | 90 min | available |")
    assert timing.readme_minutes(readme) == {"01-pickle": 55, "07-capstone": 90}
    assert timing.LessonTime("07-capstone", 0, 0, (), None).limit == 90


def test_every_going_further_section_comes_after_the_last_graded_cell():
    # Quick-mode grading leaves the cells after the last graded one unrun (timed.skip_tail):
    # a Going further section placed before it would be paid for in every submission.
    import nbformat

    from autograder.common.paths import ROOT
    from autograder.grading.timed import last_graded

    for path in sorted((ROOT / "solutions").glob("*/*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        core = {id(cell) for cell in timing.core_cells(nb)}
        further = [i for i, cell in enumerate(nb.cells) if id(cell) not in core]
        assert all(i > last_graded(nb) for i in further), \
            f"{path.name}: a Going further cell comes before the last graded cell"
