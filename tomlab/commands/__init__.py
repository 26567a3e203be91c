"""The project's commands: one module per command, each with a ``main(argv=None)`` that parses its flags, calls the
package and returns the exit status (bad input: one ``error:`` line, exit 2).

Every command is reachable three ways, all running the same ``main``:

- the console script ``tom-<name>`` that ``pip install -e .`` puts on PATH (pyproject.toml's ``[project.scripts]``
  maps ``tom-<name>`` to ``tomlab.commands.<name with _ for ->:main``);
- ``python -m tomlab.commands.<name>`` (no install needed; with ``PYTHONPATH=<checkout>`` in a worktree): what the
  chains (:mod:`tomlab.finetune.chain`, :mod:`tomlab.finetune.study`) start as their steps;
- the script file the README documents (``PPO/``, ``DPO/``, ``GRPO/``, ``ToM_Experiment/``, ``scripts/``,
  ``merge_peft_adapter.py``), which imports this ``main`` and exits with its status.

This package imports the rest of ``tomlab``; nothing in ``tomlab`` imports it (the chains name its modules as text).
"""
