"""Preference finetuning: SFT -> reward model -> PPO, and SFT -> DPO, each stage a LoRA adapter merged into its base.

Read top-down: ``stage`` (the entry point of the stage scripts) -> ``args`` (settings: TRL's config dataclasses and
a recipe under ``configs/recipes/``) -> ``skeleton`` (the training skeleton every stage runs, once) -> ``sft`` /
``reward`` / ``ppo`` / ``dpo`` / ``grpo`` (one stage each: its data, trainer, metrics and summary lines) -> ``common``
(opening, model loading, LoRA, ending), ``precision``, ``heldout`` (before/after answers on held-out prompts), ``tom``
(ToM items' gold), ``threads`` (CPU thread count). ``merge`` merges an adapter; ``chain`` and ``study`` run the
whole study; ``curves`` draws the TensorBoard logs.
"""
