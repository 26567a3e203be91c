"""The belief-question ablation set, generated on request only.

Short stories of six families (moved object, unexpected contents, changed state, changed plan, misinformation,
hidden gift), each with a variant where a character misses the change and one where they see or are told of it.
Questions of four kinds: ``false_belief``, ``true_belief``, ``second_order`` and ``factual``. ``chosen`` is a short
grounded answer; ``rejected`` is one of the failure behaviours the original report names: ``wrong_conclusion``,
``evasion``, ``multiple_answers``, ``rambling``, ``example_repetition``.

This is training on the task the ToM evaluation asks (scenarios 3 and 13 are belief questions about a moved
object), and its rejected answers differ from the chosen ones in style: a context-free classifier separates them
(``scripts/check_separability.py``). It stays only as an ablation; the default dataset is
:mod:`tomlab.data.generator`'s.

* :mod:`.vocabulary` -- the word tables of the stories and of the rejected answers.
* :mod:`.families`   -- the six story families ``family(rng) -> (story, questions, words)``.
* :mod:`.dataset`    -- chosen and rejected answers, the split by story, the written files.

    python scripts/make_preference_data.py --kind belief --out data/belief_qa_pairs
"""

from .dataset import BELIEF_EVAL, BELIEF_SEED, BELIEF_TRAIN, KINDS, REJECTED_TYPES, generate, write_dataset

__all__ = ["BELIEF_EVAL", "BELIEF_SEED", "BELIEF_TRAIN", "KINDS", "REJECTED_TYPES", "generate", "write_dataset"]
