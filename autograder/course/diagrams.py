"""Workflow diagrams drawn with matplotlib, so they show everywhere a lesson is read.

A Mermaid block renders in JupyterLab 4.1+ but nowhere offline (nbconvert's HTML loads Mermaid
from a CDN, and GitHub-less viewers show the source). A lesson draws its flow instead:

    from autograder.course import diagrams

    diagrams.flow(["1 · Train\\nmodel in memory",
                   "2 · Serialize\\nopen 'wb' + pickle.dump",
                   diagrams.File("model.pkl\\non disk"),
                   "3 · Deserialize\\nopen 'rb' + pickle.load",
                   "4 · Predict\\nnew applicants"],
                  notes=["", "writes bytes", "reads bytes", ""])

Steps are drawn left to right and joined by arrows; `File(...)` draws a file on disk, and
`notes[i]` labels the arrow after step i. The alternative text is written from the steps
("Flow: 1 · Train, model in memory → ..."), or given as `alt`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from autograder.course import plots

__all__ = ["File", "flow"]

STEP_COLOR = "#dbe4f0"
FILE_COLOR = "#f4e3c1"
EDGE_COLOR = "#33415c"


@dataclass(frozen=True)
class File:
    """A file on disk in a flow (drawn in another colour, with a folded corner)."""

    label: str


def flow(steps: Sequence[str | File], *, notes: Sequence[str] = (), title: str = "",
         alt: str | None = None) -> None:
    """Draw and display `steps` left to right, joined by arrows labelled with `notes`."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    if len(steps) < 2:
        raise ValueError("a flow needs at least two steps")
    if len(notes) > len(steps) - 1:
        raise ValueError(f"{len(notes)} notes for {len(steps) - 1} arrows")
    labels = [step.label if isinstance(step, File) else str(step) for step in steps]
    width, gap, height = 2.2, 0.9, 1.3
    fig, ax = plt.subplots(figsize=(len(steps) * (width + gap) * 0.95, 2.2))
    for i, (step, label) in enumerate(zip(steps, labels, strict=True)):
        x = i * (width + gap)
        is_file = isinstance(step, File)
        ax.add_patch(FancyBboxPatch(
            (x, 0), width, height, boxstyle="round,pad=0.05,rounding_size=0.15",
            facecolor=FILE_COLOR if is_file else STEP_COLOR, edgecolor=EDGE_COLOR))
        ax.text(x + width / 2, height / 2, label, ha="center", va="center", fontsize=9,
                wrap=True)
        if i < len(steps) - 1:
            start, end = x + width + 0.08, x + width + gap - 0.08
            ax.add_patch(FancyArrowPatch((start, height / 2), (end, height / 2),
                                         arrowstyle="-|>", mutation_scale=14, color=EDGE_COLOR))
            note = notes[i] if i < len(notes) else ""
            if note:
                ax.text((start + end) / 2, height + 0.12, note, ha="center", va="bottom",
                        fontsize=8, color=EDGE_COLOR)
    ax.set_xlim(-0.2, len(steps) * (width + gap) - gap + 0.2)
    ax.set_ylim(-0.2, height + (0.6 if any(notes) else 0.2))
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=10)
    described = " → ".join(" ".join(label.split()) for label in labels)
    plots.show(fig, alt or f"Flow diagram{': ' + title if title else ''}. {described}")
