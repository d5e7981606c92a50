"""Project-level promises: exact pins in both files, nbgrader settings, extensions, lint, CI."""

import re
import subprocess
import sys
from pathlib import Path

import yaml

from autograder.common.paths import ROOT, course_config

BIN = Path(sys.executable).parent


def pins(lines: list[str], sep: str) -> dict[str, str]:
    out = {}
    for line in lines:
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            name, _, version = line.partition(sep)
            out[name.strip().lower()] = version.strip()
    return out


def requirements(name: str) -> dict[str, str]:
    return pins((ROOT / name).read_text().splitlines(), "==")


def test_requirements_are_pinned_exactly():
    for name in ("requirements.txt", "requirements-test.txt", "requirements-bench.txt"):
        for line in (ROOT / name).read_text().splitlines():
            line = line.split("#")[0].strip()
            if line:
                assert re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][0-9A-Za-z.]*", line), line
    # Unpinned or ranged torch pulls gigabytes of CUDA packages.
    assert requirements("requirements.txt")["torch"] == "2.13.0"


def test_environment_yml_mirrors_requirements():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip
    mirrored = {**pins(conda, "="), **pins(pip, "==")}
    mirrored.pop("python"), mirrored.pop("pip")
    assert mirrored == requirements("requirements.txt")


def test_every_environment_pin_says_which_lesson_uses_it():
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if re.match(r"\s+- [a-z].*[=]", line) and "python=" not in line:
            assert "#" in line, f"no comment on: {line.strip()}"


def test_nbgrader_settings_that_matter():
    c = course_config()
    course = c.CourseDirectory
    assert (course.source_directory, course.release_directory) == ("solutions", "lessons")
    assert c.ExecutePreprocessor.kernel_name == c.Execute.kernel_name == "python3"
    for pattern in ("artifacts", "*.pkl", "*.joblib", "*.pt", "*.pt2", "*.onnx", "*.onnx.data",
                    "*.safetensors", "*.skops"):
        assert pattern in course.ignore
    assert course.max_file_size >= 1_000_000 and course.max_dir_size >= course.max_file_size
    names = [p.__name__ for p in c.GenerateFeedback.preprocessors]
    assert "ClearHiddenTests" in names
    assert names.index("GetGrades") < names.index("ClearHiddenTests")


def test_nbgrader_and_widgets_extensions_are_enabled():
    lab = subprocess.run([BIN / "jupyter", "labextension", "list"], capture_output=True, text=True)
    listing = lab.stdout + lab.stderr
    for extension in ("@jupyter/nbgrader", "@jupyter-widgets/jupyterlab-manager"):
        line = next((row for row in listing.splitlines() if extension in row), "")
        assert "enabled" in line and "OK" in line, f"{extension} not enabled: {line!r}"
    server = subprocess.run([BIN / "jupyter", "server", "extension", "list"],
                            capture_output=True, text=True)
    assert re.search(r"nbgrader\.server_extensions\.formgrader\s.*enabled",
                     server.stdout + server.stderr)


def test_ruff_is_clean():
    result = subprocess.run([BIN / "ruff", "check", "--output-format", "concise", "."], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_two_commands_and_ci():
    readme = (ROOT / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme
    assert re.search(r"^make test$", (ROOT / ".ci" / "run").read_text(), re.M)
    ignored = (ROOT / ".gitignore").read_text().split()
    for entry in (".venv/", "artifacts/", "submitted/", "autograded/", "feedback/", "gradebook.db"):
        assert entry in ignored
