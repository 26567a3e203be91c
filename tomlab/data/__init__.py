"""Preference data for the finetuning stages.

* :mod:`.loader`       -- load any preference source as ``(train, eval)`` prompt/chosen/rejected datasets;
  the training prompt format and tokenization (re-exported here: ``from tomlab.data import ...``).
* :mod:`.stories`      -- the story families of the default dataset (in-context QA, no mental-state questions).
* :mod:`.generator`    -- minimal pairs from those stories, balanced, split with held-out families and templates.
* :mod:`.belief`       -- the belief-question ablation set, on request only.
* :mod:`.gold`         -- judge a free answer against a question's gold (first sentence, key entity/number/yes-no).
* :mod:`.on_policy`    -- answers sampled from a model, judged, paired; merged with the minimal pairs.
* :mod:`.separability` -- how well a classifier that never sees the context tells chosen from rejected.
* :mod:`.leakage`      -- no sentence or name of the 16 ToM test scenarios in any generated item.
"""

from .loader import (
    DEFAULT_DATASET,
    FULL_PROMPT_TEMPLATE,
    ORIGINAL_DATASET,
    PROMPT_TEMPLATE,
    dataset_label,
    format_prompt,
    load_preference_dataset,
    tokenize_prompt,
    tokenize_response,
)

__all__ = ["DEFAULT_DATASET", "FULL_PROMPT_TEMPLATE", "ORIGINAL_DATASET", "PROMPT_TEMPLATE", "dataset_label",
           "format_prompt", "load_preference_dataset", "tokenize_prompt", "tokenize_response"]
