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


def test_every_quoted_library_error_is_recognised_as_its_own_mistake():
    for mistake in mistakes.catalogue().values():
        if mistake.error:
            kind, _, text = mistake.error.partition(": ")
            assert mistakes.recognise(kind, text) == mistake.id, mistake.id
    assert mistakes.recognise("_pickle.UnpicklingError", "pickle data was truncated") == \
        "truncated-file"
    assert mistakes.recognise(
        "AttributeError", "Can't get attribute 'ClipOutliers' on <module '__main__' from "
        "'/home/x/run.py'>") == "class-in-main"
    assert mistakes.recognise("ValueError", "write() argument must be str, not bytes") is None
    assert mistakes.recognise("TypeError", "something else entirely") is None


# Each snippet runs in its own temporary folder, as a notebook's code runs in `__main__`; what
# it prints is kept out of the results (torch.onnx.export reports progress on stdout), and the
# warning filters it sets are undone after it. The folder
# is written /path/to in quoted messages, and a terminal's colour codes are dropped.
RUNNER = '''
import contextlib, io, json, os, re, sys, tempfile, types, warnings
mode, snippets = json.loads(sys.stdin.read())
results = {}
for key, code in snippets.items():
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        main, saved = types.ModuleType("__main__"), sys.modules["__main__"]
        sys.modules["__main__"] = main
        try:
            with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
                exec(compile(code, key, "exec"), main.__dict__)
            line = main.result.message if mode == "check" else "no error"
        except BaseException as exc:
            first = str(exc).splitlines()[0] if str(exc) else ""
            line = "no result" if mode == "check" else f"{type(exc).__name__}: {first}"
        finally:
            sys.modules["__main__"] = saved
        for folder in (os.path.realpath(tmp), tmp):
            line = line.replace(folder, "/path/to")
        results[key] = re.sub(r"\\x1b\\[[0-9;]*m", "", line).rstrip()
        os.chdir("/")
print(json.dumps(results))
'''


def rerun(mode: str, snippets: dict[str, str]) -> dict[str, str]:
    """Run every snippet in one fresh interpreter; the line each printed or raised."""
    done = subprocess.run([sys.executable, "-c", RUNNER],
                          input=json.dumps([mode, {key: textwrap.dedent(code)
                                                   for key, code in snippets.items()}]),
                          capture_output=True, text=True, timeout=600, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def test_every_quoted_error_is_what_the_library_prints_today():
    """Reruns each mistake in one fresh interpreter: an atlas entry cannot go stale."""
    runnable = {m.id: m.reproduce for m in CATALOGUE.values() if m.reproduce}
    assert len(runnable) >= 15
    printed = rerun("error", runnable)
    stale = {key: line for key, line in printed.items()
             if ADDRESS.sub(" at 0x…", line) != CATALOGUE[key].error}
    assert not stale, "\n".join(f"{key}: today {line!r}" for key, line in stale.items())


def test_every_quoted_checker_message_is_what_check_artifact_says_today():
    """check_artifact's own one-line messages, regenerated from each entry's check_reproduce,
    each naming the entry's id."""
    runnable = {m.id: m.check_reproduce for m in CATALOGUE.values() if m.check_reproduce}
    assert len(runnable) >= 8
    assert all(bool(m.check) == bool(m.check_reproduce) for m in CATALOGUE.values())
    said = rerun("check", runnable)
    # The result names the mistake it recognised: the catalogue's line, tagged with its id.
    stale = {key: line for key, line in said.items()
             if line != mistakes.tag(key, CATALOGUE[key].check)}
    assert not stale, "\n".join(f"{key}: today {line!r}" for key, line in stale.items())
