"""autograder.course.guard: a clean executed notebook passes; each kind of breakage is caught."""

import copy

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from autograder.course import guard
from autograder.course.tables import Table


def display(obj) -> dict:
    data, metadata = obj._repr_mimebundle_()
    return new_output("display_data", data=data, metadata=metadata)


def clean() -> nbformat.NotebookNode:
    table = Table(pd.DataFrame({"protocol": [0, 5], "size": [23e6, 6.4e6]}).set_index("protocol"),
                  {"size": "size"})
    verdict = table.verdict("size[0] > size[5]", holds="Protocol 0 is larger.",
                            fails="Protocol 0 is not larger.")
    figure = new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "x"},
                        metadata={"image/png": {"alt": "A bar chart of two sizes."}})
    return new_notebook(cells=[
        new_code_cell("print('hi')", outputs=[stream("hi 0x80\n")]),
        new_code_cell("table", outputs=[display(table)]),
        new_code_cell("verdict", outputs=[display(verdict), figure]),
    ])


def broken(change) -> list[str]:
    nb = copy.deepcopy(clean())
    change(nb)
    return guard.output_problems(nb) + guard.verdict_problems(nb)


def stream(text: str, name: str = "stdout") -> dict:
    return new_output("stream", name=name, text=text)


def test_a_clean_notebook_passes():
    assert guard.output_problems(clean()) == [] and guard.verdict_problems(clean()) == []


@pytest.mark.parametrize("change, problem", [
    (lambda nb: nb.cells[0].outputs.append(stream("a 1.2 NaN b\n")), "cell 0: NaN where a dash"),
    (lambda nb: nb.cells[0].outputs.append(stream("<Foo at 0x7f3a2c1b4d90>\n")), "memory address"),
    (lambda nb: nb.cells[0].outputs.append(stream("OrderedDict([('a', 1)])\n")), "a raw repr"),
    (lambda nb: nb.cells[0].outputs.append(stream("ModelProto(ir_version=9)\n")), "a raw repr"),
    (lambda nb: nb.cells[0].outputs.append(stream("PosixPath('a.pkl')\n")), "a raw repr"),
    (lambda nb: nb.cells[0].outputs.append(stream("0.560000 19.320000\n")), "six-decimal"),
    (lambda nb: nb.cells[0].outputs.append(stream("careful\n", "stderr")), "cell 0: stderr"),
    (lambda nb: nb.cells[0].outputs.append(stream("as in seed 002\n")), "course-internal name"),
    (lambda nb: nb.cells[0].outputs.append(stream("1 other file(s) here\n")), "(s)' plural"),
    (lambda nb: nb.cells[0].outputs.append(stream("line\n" * 41)), "run to 42 lines"),
    (lambda nb: nb.cells[0].outputs.append(stream("{\n" + ' "a": 1,\n' * 16 + "}\n")),
     "a dump of 18 lines"),
    (lambda nb: nb.cells[2].outputs[1].metadata.clear(), "a figure without alternative text"),
    (lambda nb: nb.cells[0].outputs.append(new_output("error", ename="KeyError", evalue="'x'",
                                                      traceback=[])), "cell 0: KeyError"),
    (lambda nb: nb.cells[2].outputs[0].data.update({"text/plain": "Protocol 0 is not larger."}),
     "should say 'Protocol 0 is larger.'"),
    (lambda nb: nb.cells[1].outputs[0].metadata["autograder"]["table"]["rows"][0].__setitem__(
        0, 1.0), "do not match their digest"),
    (lambda nb: nb.cells.pop(1), "a table that was not shown before it"),
    (lambda nb: nb.cells[1].outputs[0].data.update(
        {"text/html": "<table><tr><td>NaN</td></tr></table>"}), "NaN where a dash belongs in its "
                                                                "text/html"),
])
def test_each_breakage_is_caught(change, problem):
    problems = broken(change)
    assert any(problem in line for line in problems), problems


def test_image_data_and_styles_are_not_read_as_text():
    nb = clean()
    nb.cells[0].outputs.append(new_output("display_data", data={
        "text/html": '<style>#T_0x1234567890 {}</style><img src="data:image/png;base64,0xabcdef12'
                     'NaN" alt="fine">', "text/plain": "[Figure] fine"}))
    assert guard.output_problems(nb) == []
