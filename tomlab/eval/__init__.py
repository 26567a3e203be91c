"""The 16-scenario ToM experiment: its settings (``config``, the one definition of the runner's flags) and the runner
(``runner``: scenarios x prompting types x repetitions -> resumable answer files)."""
