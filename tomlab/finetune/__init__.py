"""Preference finetuning: SFT -> reward model -> PPO, and SFT -> DPO, each stage a LoRA adapter merged into its base.

Read top-down: ``stage`` (the entry point of the stage scripts) -> ``args`` (settings: TRL's config dataclasses and
a recipe under ``configs/recipes/``) -> ``sft`` / ``reward`` / ``ppo`` / ``dpo`` (one stage each) -> ``common``
(opening, model loading, LoRA, ending), ``precision``, ``heldout`` (before/after answers on held-out prompts),
``threads`` (CPU thread count). ``merge`` merges an adapter; ``chain`` runs the whole study; ``curves`` draws the
TensorBoard logs.
"""
