"""autograder.course.display: a widget for JupyterLab, its fallback everywhere else."""

import ipywidgets as widgets

from autograder.course.display import with_fallback

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def test_a_lesson_widget_carries_its_own_fallback():
    slider = widgets.IntSlider(value=3)
    shown = with_fallback(slider, text=lambda: f"level {slider.value}: 88 KB")
    slider.value = 5
    bundle = shown._repr_mimebundle_()
    assert WIDGET_VIEW in bundle and bundle["text/plain"] == "level 5: 88 KB"
    assert bundle["text/html"] == '<pre class="widget-static">level 5: 88 KB</pre>'
    fixed = with_fallback(slider, "<b>", html="<p>default</p>")._repr_mimebundle_()
    assert fixed["text/plain"] == "<b>" and fixed["text/html"] == "<p>default</p>"
