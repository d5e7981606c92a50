"""Widgets that still make sense where widgets do not render.

In JupyterLab a widget shows itself. nbconvert's HTML (and nbgrader's feedback) shows a widget
only if the notebook stored widget state, which the course turns off (nbgrader_config.py and
jupyter_nbconvert_config.py); then it shows the output's text/html, and a plain-text view its
text/plain. So every widget a lesson shows carries a fallback that stands on its own: the quiz
prints its questions, the step-through its final table, a slider its default measurement.

For a lesson's own widget (a slider and its readout):

    from autograder.course.display import with_fallback

    with_fallback(widgets.VBox([slider, readout]),
                  text=lambda: f"Default setting: {describe(default_row)}")
"""

from __future__ import annotations

import html as html_module
from collections.abc import Callable
from typing import Any

__all__ = ["WidgetWithFallback", "with_fallback"]


class WidgetWithFallback:
    """Shows `self.widget` in JupyterLab; static HTML and plain-text frontends get fallbacks."""

    widget: Any

    def _fallback_html(self) -> str:
        raise NotImplementedError

    def _fallback_text(self) -> str:
        raise NotImplementedError

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        bundle["text/html"] = self._fallback_html()
        bundle["text/plain"] = self._fallback_text()
        return bundle


class _Wrapped(WidgetWithFallback):
    def __init__(self, widget: Any, text: Callable[[], str], html: Callable[[], str] | None):
        self.widget = widget
        self._text = text
        self._html = html

    def _fallback_text(self) -> str:
        return self._text()

    def _fallback_html(self) -> str:
        if self._html is not None:
            return self._html()
        return f'<pre class="widget-static">{html_module.escape(self._text())}</pre>'


def with_fallback(widget: Any, text: str | Callable[[], str],
                  html: str | Callable[[], str] | None = None) -> WidgetWithFallback:
    """`widget` for JupyterLab, `text` (and `html`, else the text) everywhere else.

    Pass functions to describe the widget's state when it is displayed rather than when the
    wrapper is made.
    """
    return _Wrapped(widget, text if callable(text) else lambda: text,
                    html if callable(html) or html is None else lambda: html)
