"""autograder.course.setup_check: each check passes here and fails, with its fix, where it should.

The whole run (every pinned library imported, a real check_artifact) is 00-start's setup cell,
which tests/test_course_authoring.py executes; these tests take the checks one by one."""

import sys

from autograder.artifacts.sandbox import Layer
from autograder.common.paths import ROOT
from autograder.course import setup_check


def test_pins_are_read_from_requirements(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("# comment\ntorch==2.13.0  # CPU build\nnumpy==2.4.6\n"
                            "--extra-index-url x\nplain\n")
    assert setup_check.pins(requirements) == {"torch": "2.13.0", "numpy": "2.4.6"}
    assert setup_check.pins()["scikit-learn"]  # the course's own file


def test_a_library_at_its_pin_passes_and_any_other_version_fails():
    assert setup_check.library_check("scikit-learn", setup_check.pins()["scikit-learn"]).ok
    assert setup_check.library_check("torch", "2.13.0").ok  # "+cpu" is the pinned build
    wrong = setup_check.library_check("numpy", "1.0.0")
    assert not wrong.ok and "1.0.0 pinned" in wrong.detail and "make lab" in wrong.fix
    missing = setup_check.library_check("no-such-distribution-here", "1.0")
    assert not missing.ok and missing.detail == "not installed (pinned 1.0)"


def test_a_library_that_is_installed_but_does_not_import_fails(monkeypatch):
    monkeypatch.setitem(sys.modules, "joblib", None)  # an import that raises ImportError
    found = setup_check.library_check("joblib", setup_check.pins()["joblib"])
    assert not found.ok and "`import joblib` fails" in found.detail


def test_the_environment_is_the_course_venv_a_venv_or_conda_but_not_the_system(tmp_path):
    assert setup_check.environment_check(ROOT / ".venv", tmp_path).detail == "the course's .venv"
    (tmp_path / "conda" / "conda-meta").mkdir(parents=True)
    assert setup_check.environment_check(tmp_path / "conda", tmp_path).ok
    assert setup_check.environment_check(tmp_path / "other", tmp_path).ok
    system = setup_check.environment_check(tmp_path, tmp_path)
    assert not system.ok and "system Python" in system.detail


def test_every_wall_is_listed_and_a_missing_one_is_reported_not_failed():
    checks = setup_check.layer_checks((str(Layer.FOLDER),))
    assert [c.name for c in checks] == [f"sandbox: {layer}" for layer in Layer]
    assert all(c.ok for c in checks)
    assert checks[0].detail == "present" and "still refused" in checks[-1].detail


def test_a_failed_report_names_each_failure_and_its_fix():
    report = setup_check.Report((setup_check.Check("Python", True, "3.11.7"),
                                 setup_check.Check("numpy", False, "1.0 installed", "run it")),
                                seconds=1.0)
    assert not report.ok
    try:
        report.assert_ok()
    except AssertionError as exc:
        assert str(exc) == "numpy: 1.0 installed (run it)"
    else:
        raise AssertionError("a failed report must raise")
    assert "numpy" in report.table().to_text()
