"""The ToM training study's report: did ToM-SFT, ToM-DPO or GRPO raise theory of mind in a small model, and where?

``write_tom_training_report(answers, out_dir, base=...)`` reads the answer folders of several models (the battery's,
:mod:`tomlab.analysis.battery`, or any folders holding 16-scenario and benchmark answer files; each file names its
model), checks every input, then writes ``REPORT.md``, ``report.json`` and figures into ``out_dir``:

* accuracy per model x test with 95% Wilson intervals and each test's chance level computed from its items, the
  **in-distribution** tests (the generated ToMi-style items: ``tomi-open``, ``tomi-yesno``) and the **transfer** tests
  (human-written: the 16 scenarios per prompting type, ``strange_stories-yesno``) in separate tables everywhere;
* paired tests of each compared model against its reference (default: every route model, else every other model,
  against ``base``): a paired t-test over the 16 scenarios' accuracies per prompting type, and over the 0/1 item
  scores (the share of an item's answers that were right) of ToMi and Strange Stories; all of them Holm-corrected as
  one family, each with the smallest mean difference it could have detected at 80% power at ALPHA and at ALPHA / m;
* the 16 scenarios' accuracy on the yes- and on the no-scenarios apart; ToMi per question kind, belief and kind x
  belief beside the best shortcut heuristic (:mod:`tomlab.analysis.shortcuts`, on the same items); answer length in
  new tokens; the routes' held-out before/after (``metrics.json`` of a ToM chain run) and curves;
* a summary in words generated from the numbers, and the correlation of the 16 scenarios with each benchmark across
  every model that has answers (:mod:`tomlab.analysis.correlation`), with and without the ToMi-trained models.

Route models are recognized by their names: ``...-ToM-SFT``, ``...-ToM-DPO``, ``...-ToM-GRPO`` (a ``[tag]`` aside),
as the chain names its merged models. Nothing is written when an input is bad.

* :mod:`.results`             -- the tests, their groups, the route names, :class:`TestResult` (one model, one test).
* :mod:`.loading`             -- the answer files under some folders, graded or scored, per model and test.
* :mod:`.comparisons`         -- which models are compared; the paired tests, Holm-corrected; their table.
* :mod:`.tables`              -- accuracy and answer-length tables; the yes- and no-scenarios apart.
* :mod:`.heuristics`          -- ToMi per kind and belief beside the shortcut heuristics.
* :mod:`.chain`               -- the routes' own before/after measurement from a chain run folder.
* :mod:`.correlation_section` -- the correlation of the 16 scenarios with the benchmarks across models.
* :mod:`.summary`             -- the summary in words.
* :mod:`.figure`              -- ``accuracy.png``.
* :mod:`.writer`              -- ``REPORT.md`` and ``report.json``.
"""

from .chain import chain_metrics, route_markdown
from .comparisons import ALPHA, check_comparisons, compare, comparisons_markdown, default_comparisons, order_models
from .correlation_section import correlation_section, correlation_tests, correlation_words
from .figure import figure_accuracy
from .heuristics import heuristic_markdown, heuristic_table
from .loading import benchmark_chance, find_answer_files, load_models
from .results import (
    BENCHMARK_TESTS,
    GROUP_TITLES,
    IN_DISTRIBUTION,
    ROUTES,
    SCENARIO_TESTS,
    TEST_ORDER,
    TRANSFER,
    TestResult,
    chance_bar,
    chance_of,
    group_of,
    route_of,
    tests_of,
)
from .summary import summary_lines
from .tables import accuracy_markdown, length_markdown, yes_no_rows
from .writer import DEFAULT_CHOICES, write_tom_training_report

__all__ = ["ALPHA", "BENCHMARK_TESTS", "DEFAULT_CHOICES", "GROUP_TITLES", "IN_DISTRIBUTION", "ROUTES",
           "SCENARIO_TESTS", "TEST_ORDER", "TRANSFER", "TestResult", "accuracy_markdown", "benchmark_chance",
           "chain_metrics", "chance_bar", "chance_of", "check_comparisons", "compare", "comparisons_markdown",
           "correlation_section", "correlation_tests", "correlation_words", "default_comparisons", "figure_accuracy",
           "find_answer_files", "group_of", "heuristic_markdown", "heuristic_table", "length_markdown", "load_models",
           "order_models", "route_markdown", "route_of", "summary_lines", "tests_of", "write_tom_training_report",
           "yes_no_rows"]
