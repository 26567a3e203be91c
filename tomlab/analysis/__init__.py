"""Analysis of graded answers: statistics (``stats``), the report (``report``), the grader's validation against
human labels (``validation``), and the correlation of the 16-scenario experiment with other ToM benchmarks across
models (``correlation``, run by ``correlation_study``). Nothing under ``tomlab.grading`` imports this package."""
