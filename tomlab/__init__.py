"""tomlab: Theory-of-Mind experiments, grading and preference finetuning for small LLMs.

The package, from the shared vocabulary up (the README's repository map names every module):

* ``schema``, ``paths``, ``errors``, ``io``, ``formatting`` -- the vocabulary, the repository's folders, the one
  error type, atomic writes, how numbers and tables are written (nothing of the project below them but ``errors``).
* ``stats``, ``scores`` -- intervals and tests; :class:`~tomlab.scores.Score`, the one scored-result shape.
* ``scenarios``, ``prompts``, ``answers`` -- the 16 scenarios, their prompts, the answer files.
* ``models``, ``hardware``, ``generation``, ``prefix_attention``, ``backends`` -- load a model, generate answers.
* ``eval`` -- the one runner: what a task supplies, the tasks by name, the flags, one model load for every task.
* ``tasks`` -- one module per ToM test (``tom16``, ``tomi``, ``strange_stories``) and the benchmark scorer.
* ``grading`` -- the rule grader of free-text yes/no answers.
* ``analysis`` -- the reports, the grader's validation, the correlation, the studies' numbers.
* ``data``, ``finetune`` -- preference and ToM training data; the finetuning stages, the chain and the ToM study.
* ``cli``, ``scale`` -- the runners' command lines; the scale rehearsal.
"""

__version__ = "0.1.0"

from .errors import ToMLabError  # noqa: E402,F401
