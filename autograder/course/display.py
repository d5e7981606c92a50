"""Widgets that still make sense where widgets do not render."""

from __future__ import annotations

from typing import Any


class WidgetWithFallback:
    """Shows `self.widget` in JupyterLab; static HTML and plain-text frontends get fallbacks.

    nbconvert renders the widget view only when widget state was saved with the notebook;
    otherwise it falls back to text/html, so the fallback must stand on its own.
    """

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
