"""Analysis of graded answers: statistics (``stats``), the report (``report``) and the grader's validation
against human labels (``validation``). Nothing under ``tomlab.grading`` imports this package."""
