"""The ToM experiment's report, from graded answer files: tables, tests and figures, and ``REPORT.md``.

``accuracy_table_markdown(aggregate(grade_files(paths)))`` is the short model x prompting table the experiment
runner prints at the end of a run; ``write_report(...)`` writes ``REPORT.md`` and its PNG figures.

* :mod:`.published`    -- the original study's published accuracy and human counts; model-name matching.
* :mod:`.aggregate`    -- graded files pooled into one :class:`Cell` per model x prompting type: a
                         :class:`~tomlab.scores.Score` with the graded files it pools.
* :mod:`.significance` -- paired t-tests of the prompting types, the unpaired yes/no-bias test.
* :mod:`.tables`       -- the markdown tables.
* :mod:`.figures`      -- the PNG figures, and the matplotlib setup other reports share.
* :mod:`.writer`       -- ``REPORT.md``.
"""

from .aggregate import Cell, aggregate, cell_for, chance_level, models_of, promptings_of
from .figures import figure_accuracy, pyplot, save_png
from .published import PUBLISHED_ACCURACY, model_key, published_for, read_human_counts
from .significance import prompting_tests, yes_no_bias
from .tables import (
    accuracy_table_markdown,
    behaviour_markdown,
    bias_markdown,
    chance_markdown,
    committed_markdown,
    per_scenario_table_markdown,
    tests_markdown,
)
from .writer import write_report

__all__ = ["PUBLISHED_ACCURACY", "Cell", "accuracy_table_markdown", "aggregate", "behaviour_markdown",
           "bias_markdown", "cell_for", "chance_level", "chance_markdown", "committed_markdown", "figure_accuracy",
           "model_key", "models_of", "per_scenario_table_markdown", "prompting_tests", "promptings_of",
           "published_for", "pyplot", "read_human_counts", "save_png", "tests_markdown", "write_report",
           "yes_no_bias"]
