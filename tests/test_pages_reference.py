"""autograder.pages.reference: the glossary, alphabetical with a link per term, and the reading
list, official documentation per lesson with every advisory linked to its NVD entry."""

import re
from types import SimpleNamespace

import mistune
import pytest

from autograder.common.paths import ROOT
from autograder.pages import reference

GLOSSARY = '''
[[term]]
term = "ZipMap"
means = "An ONNX operator | a list of dicts"
lesson = "04-onnx"
section = "3 · Probabilities"

[[term]]
term = "__reduce__"
means = "How an object says how to rebuild it."
lesson = "01-pickle"
section = "6 · What a pickle holds"

[[term]]
term = "opset"
means = "The version of the ONNX operators."
lesson = "04-onnx"
section = "2 · Versions"

[[term]]
term = "ExportedProgram"
means = "What torch.export returns."
lesson = "03-pytorch"
section = "7 · Deploying"
'''

READING = '''
[[lesson]]
id = "01-pickle"
links = [{ title = "pickle", url = "https://docs.python.org/3/library/pickle.html" }]

[[lesson]]
id = "05-security"
links = [{ title = "Fickling", url = "https://github.com/trailofbits/fickling" }]
advisories = [{ id = "CVE-2025-32434", about = "torch.load with weights_only=True ran code" }]
'''


@pytest.fixture
def data(tmp_path, monkeypatch):
    """glossary.toml and reading.toml from the strings above; only lesson 01 has a title."""
    (tmp_path / "glossary.toml").write_text(GLOSSARY, encoding="utf-8")
    (tmp_path / "reading.toml").write_text(READING, encoding="utf-8")
    monkeypatch.setattr(reference, "HERE", tmp_path)
    monkeypatch.setattr(reference.outline, "lessons",
                        lambda root: [SimpleNamespace(id="01-pickle", title="Pickle")])


def test_every_cve_lesson_05_names_links_to_its_advisory():
    notebook = (ROOT / "lessons" / "05-security" / "05-security.ipynb").read_text()
    named = set(re.findall(r"CVE-\d{4}-\d{4,}", notebook))
    text = (ROOT / "docs" / "reading.md").read_text()
    assert named, "lesson 05 names no CVE"
    for cve in sorted(named):
        assert f"[{cve}](https://nvd.nist.gov/vuln/detail/{cve})" in text, cve


def test_the_glossary_has_the_terms_the_course_promises():
    terms = {t["term"] for t in reference.terms()}
    assert {"opset", "ZipMap", "initializer", "ExportedProgram", "state_dict", "memo",
            "STACK_GLOBAL", "HMAC"} <= terms


def test_terms_are_alphabetical_whatever_their_case_and_underscores(data):
    assert [t["term"] for t in reference.terms()] == ["ExportedProgram", "opset", "__reduce__",
                                                      "ZipMap"]


def test_a_glossary_row_is_the_bold_term_its_meaning_and_its_section(data):
    page = reference.page("glossary.md", ROOT)
    row = next(line for line in page.splitlines() if "ZipMap" in line)
    assert row == ("| **ZipMap** | An ONNX operator \\| a list of dicts | [04 · 3 · Probabilities]"
                   "(../lessons/04-onnx/04-onnx.ipynb#3-%C2%B7-Probabilities) |")


def test_a_term_with_underscores_keeps_them_on_the_page(data):
    page = reference.page("glossary.md", ROOT)
    row = next(line for line in page.splitlines() if "reduce" in line)
    html = mistune.html(row.split(" | ")[0].lstrip("| "))  # nbconvert's Markdown renderer
    assert "__reduce__" in re.sub(r"<[^>]+>", "", html), html


def test_the_reading_list_links_each_lesson_and_its_advisories(data):
    page = reference.page("reading.md", ROOT)
    assert "## 01 · Pickle\n\n- [pickle](https://docs.python.org/3/library/pickle.html)\n" in page
    # A lesson the outline does not know is named by its id.
    assert "## 05 · 05-security\n" in page
    assert ("- [CVE-2025-32434](https://nvd.nist.gov/vuln/detail/CVE-2025-32434): "
            "torch.load with weights_only=True ran code") in page
    # Only a lesson with advisories gets the advisories list.
    assert page.count("Advisories the lesson names:") == 1
    assert page.index("Advisories") > page.index("## 05")


def test_there_are_two_reference_pages():
    with pytest.raises(KeyError):
        reference.page("errors.md", ROOT)
