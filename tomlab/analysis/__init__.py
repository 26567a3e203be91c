"""Analysis of graded and scored answers: the reports and the studies' numbers.

* :mod:`.report`              -- the experiment's report (tables, tests, figures, ``REPORT.md``).
* :mod:`.validation`          -- the grader against the human per-scenario counts; :mod:`.agreement`, answer by
  answer against a label set.
* :mod:`.correlation`         -- does the 16-scenario experiment rank models as the benchmarks do;
  :mod:`.correlation_study` runs it for a models list.
* :mod:`.finetune_report`     -- the finetuning study's report.
* :mod:`.battery`             -- the ToM evaluation battery of one model.
* :mod:`.shortcuts`           -- what heuristics that track no belief score on the ToMi-style questions.
* :mod:`.tom_training_report` -- the ToM training study's report.

Statistics live in :mod:`tomlab.stats`, the scored-result shape in :mod:`tomlab.scores`, table formatting in
:mod:`tomlab.formatting`. Nothing under ``tomlab.grading`` or ``tomlab.tasks`` imports this package.
"""
