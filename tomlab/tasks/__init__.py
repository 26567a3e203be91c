"""Other theory-of-mind benchmarks, asked by the experiment's engine with the same guarantees (as
lm-evaluation-harness calls them, tasks): a ToMi-style story generator (``tomi``), Happé's Strange Stories from
BIG-bench (``strange_stories``), their answer files (``answers``), scoring (``scoring``) and runner (``runner``)."""
