"""The theory-of-mind tests, one module each with its ``TASK`` (:class:`tomlab.eval.task.Task`): the 16 scenarios
(``tom16``), a ToMi-style story generator (``tomi``) and Happé's Strange Stories from BIG-bench
(``strange_stories``); what the benchmarks share: their items (``items``), the task of an item set in its question
forms (``benchmark``), their answer files (``answers``) and scoring (``scoring``)."""
