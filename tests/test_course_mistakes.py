"""autograder.course.mistakes: every mistake has a message, a fix and a section that exists,
and every library error it quotes is what the library prints today."""

import json
import re
import subprocess
import sys
import textwrap

import nbformat
import pytest

from autograder.common.paths import ROOT
from autograder.course import mistakes

CATALOGUE = mistakes.catalogue()
ADDRESS = re.compile(r" at 0x[0-9a-f]+")


def headings(lesson: str) -> set[str]:
    nb = nbformat.read(ROOT / "lessons" / lesson / f"{lesson}.ipynb", as_version=4)
    return {mistakes.heading_anchor(line) for cell in nb.cells if cell.cell_type == "markdown"
            for line in cell.source.splitlines() if re.match(r"#{1,6} ", line)}


def test_every_entry_is_one_line_each():
    assert len(CATALOGUE) >= 15
    for mistake in CATALOGUE.values():
        for text in (mistake.title, mistake.message, mistake.fix, mistake.error):
            assert "\n" not in text, mistake.id
        assert mistake.message and mistake.fix and mistake.title, mistake.id


@pytest.mark.parametrize("lesson", sorted({m.lesson for m in CATALOGUE.values()}))
def test_every_link_opens_a_heading_of_the_student_notebook(lesson):
    anchors = headings(lesson)
    for mistake in CATALOGUE.values():
        if mistake.lesson == lesson:
            assert mistake.anchor in anchors, (
                f"{mistake.id}: no heading '{mistake.section}' in lessons/{lesson}")


def test_anchor_is_what_nbconvert_gives_a_heading():
    import html as html_module

    from nbconvert.filters.strings import add_anchor

    for markdown, rendered in [
        ("## 4 · Proof, not hope: reload", "<h2>4 · Proof, not hope: reload</h2>"),
        ("### 5.1 Why `'wb'`, not `'w'`?",
         "<h3>5.1 Why <code>&#x27;wb&#x27;</code>, not <code>&#x27;w&#x27;</code>?</h3>"),
    ]:
        anchored = html_module.unescape(add_anchor(rendered))
        assert f'id="{mistakes.heading_anchor(markdown)}"' in anchored, anchored


def test_tags_name_known_mistakes():
    text = mistakes.tag("text-mode", "'model.pkl' is empty")
    assert text == "'model.pkl' is empty (mistake: text-mode)"
    assert mistakes.found(f"{text}; {mistakes.tag('wrong-path', 'x')} (mistake: nope)") == [
        "text-mode", "wrong-path"]
    with pytest.raises(KeyError, match="no mistake 'nope'"):
        mistakes.tag("nope", "x")


RUNNER = '''
import contextlib, json, os, sys, tempfile, traceback
results = {}
for key, code in json.loads(sys.stdin.read()).items():
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        try:
            exec(compile(code, key, "exec"), {"__name__": "__main__"})
            results[key] = "no error"
        except BaseException as exc:
            results[key] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        os.chdir("/")
print(json.dumps(results))
'''


def test_every_quoted_error_is_what_the_library_prints_today():
    """Reruns each mistake in one fresh interpreter: an atlas entry cannot go stale."""
    runnable = {m.id: textwrap.dedent(m.reproduce) for m in CATALOGUE.values() if m.reproduce}
    assert runnable
    done = subprocess.run([sys.executable, "-c", RUNNER], input=json.dumps(runnable),
                          capture_output=True, text=True, timeout=300, check=True)
    printed = json.loads(done.stdout)
    for key, line in printed.items():
        assert ADDRESS.sub(" at 0x…", line) == CATALOGUE[key].error, key
