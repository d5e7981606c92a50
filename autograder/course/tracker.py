"""A live step-through: run a lesson's code one step at a time and tabulate what each name holds.

The teaching table "variable / Start / After step 1 / ..." is computed, not written by hand:
each `Step`'s code string is executed with `exec` in the tracker's own namespace, so the code
shown is exactly the code run, and every column is the real state after that step.
"""

from __future__ import annotations

import contextlib
import html
import io
import linecache
import reprlib
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import ipywidgets as widgets
import pandas as pd

from autograder.course.display import WidgetWithFallback

__all__ = ["Step", "StepThrough", "describe"]

START = "Start"
_HIGHLIGHT = "background-color: #fff3bf"
_ERROR_COLOR = "#cf222e"
_MAX_CHARS = 40

Namespace = dict[str, Any]
Probe = Callable[[Namespace], object]


@dataclass(frozen=True)
class Step:
    """One step: a short title and the Python code it runs."""

    title: str
    code: str

    def __post_init__(self) -> None:
        # Fail when the lesson is written, not when a learner reaches the step.
        compile(self.code, f"<step {self.title!r}>", "exec")


def describe(value: object) -> str:
    """A short, human description of a value's state, for one cell of the table."""
    if value is None:
        return "None"
    if isinstance(value, io.IOBase):
        return _describe_file(value)
    # Look the libraries up only if already imported: an estimator or array can't exist otherwise.
    sk_base = sys.modules.get("sklearn.base")
    if sk_base is not None and isinstance(value, sk_base.BaseEstimator):
        return f"{type(value).__name__} ({_fitted_state(value)})"
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, np.ndarray):
        return f"array (shape {value.shape}, {value.dtype}): {_array_preview(np, value)}"
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor) and np is not None:
        preview = _array_preview(np, value.detach().numpy())
        return f"tensor (shape {tuple(value.shape)}, {value.dtype}): {preview}"
    if torch is not None and isinstance(value, torch.nn.Module):
        return f"{type(value).__name__} ({'training' if value.training else 'eval'} mode)"
    if isinstance(value, Mapping):  # a state_dict's repr would be a wall of tensors
        names = ", ".join(map(str, list(value)[:2])) + (", …" if len(value) > 2 else "")
        return _truncate(f"{type(value).__name__} of {len(value)}: {names}", _MAX_CHARS + 20)
    return _truncate(f"{type(value).__name__}: {_short_repr(value)}", _MAX_CHARS + 20)


def _describe_file(handle: io.IOBase) -> str:
    if handle.closed:
        return "closed"
    mode = getattr(handle, "mode", "")
    if not isinstance(mode, str) or not mode:
        return "open"
    if "+" in mode:
        purpose = "read/write"
    elif "a" in mode:
        purpose = "append"
    elif "w" in mode or "x" in mode:
        purpose = "write"
    else:
        purpose = "read"
    return f"open for {purpose} ({mode!r})"


def _fitted_state(estimator: object) -> str:
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(estimator)
    except NotFittedError:
        return "not fitted"
    except (TypeError, ValueError, AttributeError):
        return "fitted state unknown"
    return "fitted"


def _array_preview(np: Any, array: Any) -> str:
    flat = array.ravel()
    shown = np.array2string(flat[:8], precision=3, separator=" ", max_line_width=10_000)
    if flat.size > 8:
        shown = shown[:-1] + " …]"
    return _truncate(shown, _MAX_CHARS)


def _short_repr(value: object) -> str:
    # reprlib avoids building the full repr of long containers; whitespace is collapsed so
    # multi-line reprs (DataFrames, ...) fit in one table cell.
    short = reprlib.Repr()
    short.maxstring = short.maxother = _MAX_CHARS
    return " ".join(short.repr(value).split())


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _error_line(error: BaseException) -> str:
    return " ".join(f"{type(error).__name__}: {error}".split())


class StepThrough(WidgetWithFallback):
    """Run `steps` one at a time in a private namespace, tracking `watch` names and `probes`.

    `namespace` is shallow-copied at construction and at every reset: names are restored,
    objects they point to are shared. `probes` map a row label to a function of the namespace
    (e.g. the size of a file on disk). `on_reset(namespace)` runs at construction and at every
    reset, before the Start column is recorded (e.g. to delete a file an earlier run wrote).
    """

    def __init__(
        self,
        steps: Sequence[Step],
        namespace: Mapping[str, Any] | None = None,
        *,
        watch: Sequence[str] = (),
        probes: Mapping[str, Probe] | None = None,
        on_reset: Callable[[Namespace], object] | None = None,
        title: str = "Step through",
    ) -> None:
        self.steps: tuple[Step, ...] = tuple(steps)
        if not self.steps:
            raise ValueError("A StepThrough needs at least one step.")
        self.title = title
        self.watch: tuple[str, ...] = tuple(watch)
        self.probes: dict[str, Probe] = dict(probes or {})
        overlap = set(self.watch) & set(self.probes)
        if overlap:
            raise ValueError(f"Names used both as watched variables and probes: {sorted(overlap)}.")
        self._initial: Namespace = dict(namespace or {})
        self._on_reset = on_reset
        self.reset()

    # --- running ------------------------------------------------------------------------------

    @property
    def position(self) -> int:
        """How many steps have run successfully (0 = at the start)."""
        return len(self._columns) - 1

    @property
    def output(self) -> str:
        """What the latest step printed (stdout and stderr)."""
        return self._output

    @property
    def table(self) -> pd.DataFrame:
        """Rows: watched names then probes; columns: Start, After step 1, ... (run so far)."""
        columns = dict(self._columns)
        if self._error is not None:
            columns[self._failed_label()] = self._failed_state
        return pd.DataFrame(columns, index=[*self.watch, *self.probes])

    def reset(self) -> None:
        """Back to a fresh copy of the initial namespace, with only the Start column."""
        self._close_step_files()
        self.namespace: Namespace = dict(self._initial)
        if self._on_reset is not None:
            self._on_reset(self.namespace)
        self._columns: dict[str, dict[str, str]] = {START: self._snapshot()}
        self._error: str | None = None
        self._failed_state: dict[str, str] = {}
        self._output = ""
        self._refresh()

    def next(self) -> int:
        """Run the next step and return its number; a failing step re-raises and stays current."""
        number, error = self._run_next()
        if error is not None:
            raise error
        return number

    def run_all(self) -> pd.DataFrame:
        """Reset, run every step, and return the finished table."""
        self.reset()
        while self.position < len(self.steps):
            self.next()
        return self.table

    def _run_next(self) -> tuple[int, Exception | None]:
        if self.position >= len(self.steps):
            raise IndexError(f"All {len(self.steps)} steps have run; call reset() to start over.")
        number = self.position + 1
        step = self.steps[number - 1]
        filename = f"<step {number}: {step.title}>"
        # Registering the source lets tracebacks of a failing step show its lines.
        linecache.cache[filename] = (len(step.code), None, step.code.splitlines(True), filename)
        captured = io.StringIO()
        error: Exception | None = None
        # stderr too: warnings must not leak to the cell's stderr (nbgrader scores that as 0).
        with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
            try:
                exec(compile(step.code, filename, "exec"), self.namespace)
            except Exception as exc:
                error = exc
        self._output = captured.getvalue()
        if error is None:
            self._error = None
            self._columns[f"After step {number}"] = self._snapshot()
        else:
            self._error = _error_line(error)
            self._failed_state = self._snapshot()
        self._refresh()
        return number, error

    def _close_step_files(self) -> None:
        # Files the steps left open would leak, and on Windows block `on_reset` deleting them.
        given = {id(value) for value in self._initial.values()}
        for value in getattr(self, "namespace", {}).values():
            if isinstance(value, io.IOBase) and id(value) not in given:
                value.close()

    def _snapshot(self) -> dict[str, str]:
        state = {name: describe(self.namespace.get(name)) for name in self.watch}
        for label, probe in self.probes.items():
            try:
                state[label] = str(probe(self.namespace))
            except Exception as exc:  # a broken probe shouldn't stop the lesson
                state[label] = _error_line(exc)
        return state

    def _failed_label(self) -> str:
        return f"Step {self.position + 1} failed: {self._error}"

    # --- display ------------------------------------------------------------------------------

    def _table_html(self) -> str:
        table = self.table
        latest = table.columns[-1]
        styler = (
            table.style.format(escape="html")
            .format_index(escape="html", axis=0)
            .format_index(escape="html", axis=1)
            .set_table_attributes('class="stepthrough-state"')
        )
        if self.position > 0 or self._error is not None:  # highlight the column just filled
            styler = styler.map(lambda _: _HIGHLIGHT, subset=[latest])
            styler = styler.map_index(
                lambda label: _HIGHLIGHT if label == latest else "", axis="columns"
            )
        return styler.to_html()

    def _status_html(self) -> tuple[str, str]:
        """The heading, and the current step's code, output and error (as HTML)."""
        total = len(self.steps)
        if self._error is not None:
            number = self.position + 1
            step = self.steps[number - 1]
            head = f"Step {number} of {total}: {html.escape(step.title)}"
            tail = (
                f'<div style="color: {_ERROR_COLOR}"><b>{html.escape(self._error)}</b> '
                "The step stopped here; click Reset to start over.</div>"
            )
        elif self.position == 0:
            step = self.steps[0]
            head = f"Start: nothing has run yet. Next: step 1 of {total}, {html.escape(step.title)}"
            tail = ""
        else:
            step = self.steps[self.position - 1]
            head = f"Step {self.position} of {total}: {html.escape(step.title)}"
            tail = "" if self.position < total else "<div>All steps have run.</div>"
        printed = (
            f"<div>Output:</div><pre>{html.escape(self._output)}</pre>" if self._output else ""
        )
        return f"<b>{head}</b>", f"<pre><code>{html.escape(step.code)}</code></pre>{printed}{tail}"

    @cached_property
    def widget(self) -> widgets.VBox:
        """Next step / Reset buttons, the current step, its output, and the table so far."""
        self._next_button = widgets.Button(description="Next step", button_style="primary")
        self._next_button.add_class("stepthrough-next")
        self._reset_button = widgets.Button(description="Reset")
        self._reset_button.add_class("stepthrough-reset")
        self._heading = widgets.HTML()
        self._code = widgets.HTML()
        self._code.add_class("stepthrough-code")
        self._table_view = widgets.HTML()
        self._table_view.add_class("stepthrough-table")

        def on_next(_: widgets.Button) -> None:
            if self.position < len(self.steps):
                self._run_next()  # the error, if any, is shown in the widget instead

        self._next_button.on_click(on_next)
        self._reset_button.on_click(lambda _: self.reset())
        box = widgets.VBox(
            [
                widgets.HTML(f"<h4>{html.escape(self.title)}</h4>"),
                widgets.HBox([self._next_button, self._reset_button]),
                self._heading,
                self._code,
                self._table_view,
            ]
        )
        box.add_class("stepthrough")
        self._widget_built = True
        self._refresh()
        return box

    def _refresh(self) -> None:
        if not getattr(self, "_widget_built", False):
            return
        self._heading.value, self._code.value = self._status_html()
        self._table_view.value = self._table_html()
        self._next_button.disabled = self.position >= len(self.steps)

    def _fallback_html(self) -> str:
        steps = "".join(
            f"<li><b>{html.escape(step.title)}</b><pre><code>{html.escape(step.code)}</code></pre></li>"
            for step in self.steps
        )
        return (
            f'<div class="stepthrough-static"><h4>{html.escape(self.title)}</h4>'
            f"{self._table_html()}<ol>{steps}</ol>"
            "<p><em>The interactive step-through is not shown here. Run "
            "<code>tracker.next()</code> to run one step, or <code>tracker.run_all()</code> "
            "for the whole table.</em></p></div>"
        )

    def _fallback_text(self) -> str:
        lines = [self.title, self.table.to_string(), ""]
        for number, step in enumerate(self.steps, start=1):
            lines.append(f"Step {number}: {step.title}")
            lines += [f"    {line}" for line in step.code.splitlines()]
        lines.append("Run tracker.next() for one step, or tracker.run_all() for the whole table.")
        return "\n".join(lines)
