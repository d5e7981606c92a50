"""autograder.course.diagrams: a flow is boxes left to right joined by labelled arrows, files
drawn apart from steps, and alternative text written from the steps unless given."""

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

from autograder.course import diagrams  # noqa: E402


@pytest.fixture
def drawn(monkeypatch):
    """The figures flow hands to plots.show, with their alt text, before any is rendered."""
    out = []
    monkeypatch.setattr(diagrams.plots, "show", lambda fig, alt: out.append((fig, alt)))
    yield out
    plt.close("all")


def test_a_flow_diagram_describes_itself(shown):
    diagrams.flow(["1 · Train", diagrams.File("model.pkl"), "2 · Load"], notes=["dump", "load"])
    [(bundle, _)] = shown
    assert bundle["text/plain"] == "[Figure] Flow diagram. 1 · Train → model.pkl → 2 · Load"
    with pytest.raises(ValueError, match="at least two steps"):
        diagrams.flow(["alone"])
    with pytest.raises(ValueError, match="3 notes for 1 arrows"):
        diagrams.flow(["a", "b"], notes=["x", "y", "z"])


def test_the_alt_text_reads_labels_on_one_line_and_names_the_title(drawn):
    diagrams.flow(["1 · Train\nmodel in memory", diagrams.File("model.pkl\non disk")],
                  title="Saving")
    [(fig, alt)] = drawn
    assert alt == "Flow diagram: Saving. 1 · Train model in memory → model.pkl on disk"
    assert fig.axes[0].get_title() == "Saving"


def test_a_given_alt_text_replaces_the_written_one(drawn):
    diagrams.flow(["a", "b"], alt="Two steps, the second after the first.")
    assert drawn[0][1] == "Two steps, the second after the first."


def test_steps_are_boxes_left_to_right_and_a_file_stands_out(drawn):
    diagrams.flow(["train", diagrams.File("model.pkl"), "load", "predict"])
    [(fig, _)] = drawn
    ax = fig.axes[0]
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    assert [b.get_x() for b in boxes] == sorted(b.get_x() for b in boxes)
    assert [t.get_text() for t in ax.texts] == ["train", "model.pkl", "load", "predict"]
    colours = [b.get_facecolor() for b in boxes]
    assert colours[0] == colours[2] == colours[3] != colours[1]


def test_arrows_join_neighbours_and_carry_their_notes(drawn):
    # Fewer notes than arrows is fine; an empty note draws no label.
    diagrams.flow(["a", "b", "c", "d"], notes=["", "writes bytes"])
    [(fig, _)] = drawn
    ax = fig.axes[0]
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    assert sum(isinstance(p, FancyArrowPatch) for p in ax.patches) == 3
    [note] = [t for t in ax.texts if t.get_text() not in {"a", "b", "c", "d"}]
    assert note.get_text() == "writes bytes"
    # Over the arrow from the second box to the third, above the boxes.
    x, y = note.get_position()
    assert boxes[1].get_x() + boxes[1].get_width() < x < boxes[2].get_x()
    assert y > boxes[1].get_y() + boxes[1].get_height()
