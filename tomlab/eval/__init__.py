"""The evaluation runner, as lm-evaluation-harness's evaluator: what a test supplies (``task``: the
:class:`~tomlab.eval.task.Task` protocol), the tests by name (``registry``: ``tom16``, ``tomi``, ``strange_stories``),
the one definition of the flags (``config``) and the runner (``runner``: the model loaded once, every task x variant
-> resumable answer files with their run blocks)."""
