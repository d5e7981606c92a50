"""`make bench`: measured performance of the course and its grader (`python -m bench`).

Sections, each a module with `run(quick: bool = False) -> bench.core.Section`: grading,
artifacts, course, serialization, setup. The report goes to docs/benchmarks.md with its plot
in docs/images/benchmarks.png.
"""
