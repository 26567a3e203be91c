"""The repository's folders, each defined once: where the shipped data is and where a run's outputs go by default.

Paths are absolute (from this file's place in the checkout), so a script finds them from any working directory.
This module imports nothing of the project.
"""

from __future__ import annotations

from pathlib import Path

#: The checkout: the folder that holds ``tomlab/``, ``data/``, ``results/`` and ``report/``.
REPO_ROOT = Path(__file__).resolve().parent.parent
#: The shipped inputs: the 16 scenarios, the CoT examples, the preference and ToM training data, the ToMi items.
DATA_DIR = REPO_ROOT / "data"
#: The 16-scenario answer files (``<model>/Results_<model>_<type>_<key>.json``).
ANSWERS_DIR = REPO_ROOT / "results" / "answers"
#: The second benchmarks' answer files (``<benchmark>/<model>/...``).
BENCHMARK_ANSWERS_DIR = REPO_ROOT / "results" / "answers_benchmarks"
#: The grader's records of graded answer files (``<name>.graded.json``, ``ToM_Experiment/grade_answers.py``).
GRADED_DIR = REPO_ROOT / "results" / "grading" / "graded"
