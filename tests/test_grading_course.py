"""autograder.grading.course: the grading course's settings and its gradebooks."""

import sqlite3

from autograder.grading.course import empty_gradebook, grading_config


def test_an_empty_gradebook_is_made_once_with_nbgraders_tables(tmp_path):
    path = empty_gradebook(tmp_path / "work" / "empty.db", "model-serialization")
    with sqlite3.connect(path) as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
        assert {"assignment", "grade_cells", "alembic_version"} <= tables
        assert db.execute("SELECT COUNT(*) FROM assignment").fetchone() == (0,)
        (version,) = db.execute("SELECT version_num FROM alembic_version").fetchone()
    assert version  # what `alembic heads` said, so formgrader never migrates it
    stamp = path.stat().st_mtime_ns
    assert empty_gradebook(path, "model-serialization") == path
    assert path.stat().st_mtime_ns == stamp  # reused, not made again
    assert [p.name for p in path.parent.iterdir()] == ["empty.db"]  # no temporary left


def test_grading_config_points_nbgrader_at_the_output_folder(tmp_path):
    config = grading_config(tmp_path / "graded")
    course = config.CourseDirectory
    assert course.root == str(tmp_path / "graded")
    assert course.db_url.endswith(str(tmp_path / "graded" / "gradebook.db"))
    assert config.OverwriteCells.add_missing_cells is True
    feedback = [p if isinstance(p, str) else p.__name__ for p in
                config.GenerateFeedback.preprocessors]
    assert feedback.index("autograder.grading.redact.RedactHiddenTests") < \
        next(i for i, p in enumerate(feedback) if p.endswith("ClearHiddenTests"))
