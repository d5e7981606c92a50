"""autograder.course.plots: units on axes, log scales, legends that cover nothing,
alternative text in every form a frontend may pick."""

import base64
import re

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from autograder.course import plots  # noqa: E402


def test_bars_use_a_readable_unit_and_a_log_axis_when_values_span_orders():
    fig, ax = plt.subplots()
    plots.bars(ax, ["onnx", "pickle"], [0.02e-3, 4e-3], kind="duration", label="latency")
    assert ax.get_yscale() == "log" and ax.get_ylabel() == "latency (ms)"
    assert [t.get_text() for t in ax.texts] == ["0.0200", "4.00"]
    fig2, ax2 = plt.subplots()
    plots.bars(ax2, [0, 1, 2], [3.0, 4.0, 5.0])
    assert ax2.get_yscale() == "linear"
    assert {t.get_rotation() for t in ax2.get_xticklabels()} == {0.0}  # short labels stay level
    plt.close("all")


def test_show_sends_png_and_html_with_the_alt_text(shown):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    plots.show(fig, alt="A rising line from zero to one, for the test.")
    [(bundle, metadata)] = shown
    assert base64.b64decode(bundle["image/png"])[:4] == b"\x89PNG"
    img = r'<img src="data:image/png;base64,[^"]+" alt="A rising line'
    assert re.search(img, bundle["text/html"])
    assert bundle["text/plain"] == "[Figure] A rising line from zero to one, for the test."
    assert metadata == {"image/png": {"alt": "A rising line from zero to one, for the test."}}
    assert not plt.get_fignums()  # closed, so the inline backend does not show it again


def test_show_refuses_missing_alt_text_and_covering_legends(shown):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    with pytest.raises(ValueError, match="needs alt"):
        plots.show(fig, alt="a plot")
    fig, ax = plt.subplots()
    ax.plot([0, 1, 2], [1, 2, 3], label="up")
    ax.plot([0, 1, 2], [3, 2, 1], label="down")
    ax.legend(loc="upper right")
    with pytest.raises(ValueError, match="legend covers data"):
        plots.show(fig, alt="Two crossing lines, with a legend on top of them.")
    fig, ax = plt.subplots()
    ax.plot([0, 1, 2], [1, 2, 3], label="up")
    plots.legend_outside(ax)
    plots.show(fig, alt="One line, its legend beside the plot.")
    assert len(shown) == 1 and not plt.get_fignums()
