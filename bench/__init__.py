"""`make bench`: measured performance of the course and its grader (`autograder bench`).

Sections, each a module with `run(quick: bool = False) -> bench.core.Section`: grading,
artifacts, course, serialization, setup; `bench.suite` runs them and writes the report to
docs/benchmarks.md with its plot in docs/images/benchmarks.png.
"""
