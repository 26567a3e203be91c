"""Preference data for the finetuning stages: loading, checking, prompt format and tokenization.

``--dataset`` accepts

* nothing / ``default``: the offline in-context QA pairs shipped in ``data/context_qa_pairs/``
  (written by ``scripts/make_preference_data.py``, see :mod:`tomlab.data.generator`);
* a local ``.json`` / ``.jsonl`` / ``.csv`` / ``.parquet`` file;
* a local folder holding ``train.jsonl`` (+ ``eval.jsonl`` or ``validation.jsonl``), as the generators, the
  on-policy step and :mod:`.tom_training` write it (other files there are ignored), or laid out like a hub dataset
  (``data/train-*.parquet`` ...);
* a hub id such as ``Dahoas/synthetic-instruct-gptj-pairwise`` (the original dataset; needs a reachable hub).

Every source must provide a prompt, a chosen and a rejected column (names configurable). The result is always two
:class:`datasets.Dataset` with exactly the columns ``prompt``, ``chosen``, ``rejected`` (and those the caller
asks to keep, such as the gold answer of ToM items): the source's eval split
(``validation``/``test``/``eval``) if it has one, else the first ``eval_size`` rows are held out (as the original
reward-modeling script held out the first 200 rows).
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ToMLabError
from ..paths import DATA_DIR

DEFAULT_DATASET = DATA_DIR / "context_qa_pairs"
ORIGINAL_DATASET = "Dahoas/synthetic-instruct-gptj-pairwise"
FILE_BUILDERS = {".json": "json", ".jsonl": "json", ".csv": "csv", ".parquet": "parquet"}
EVAL_SPLITS = ("validation", "test", "eval", "evaluation")
COLUMNS = ("prompt", "chosen", "rejected")
#: The held-out file of our own folder layout, first found: the generators' eval.jsonl, the ToM data's validation.jsonl.
OWN_EVAL_FILES = ("eval", "validation")

#: The training prompt of the original finetuning scripts. Our dataset's prompt column holds
#: ``Context: <story> Question: <question>``, the same labels as the context-format ToM evaluation item.
PROMPT_TEMPLATE = "Answer the following question in context:\n\nQuestion: {prompt}\n\nAnswer: "
#: For data whose prompt column already holds the whole prompt as the benchmark runner asks it (the ToM training
#: items, ending with ``Answer: ``): taken as it is; the trailing space, which the loader strips, is put back.
FULL_PROMPT_TEMPLATE = "{prompt} "


def format_prompt(prompt: str, template: str = PROMPT_TEMPLATE) -> str:
    """The text a model sees before its answer (ends with ``Answer: ``, trailing space included, as at evaluation)."""
    return template.format(prompt=prompt.strip())


def dataset_label(dataset: str | None) -> str:
    return "data/context_qa_pairs (default)" if dataset in (None, "", "default") else dataset


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _load_raw(dataset: str | None, revision: str | None = None, trust_remote_code: bool = False):
    """Return a ``DatasetDict`` (or a single ``Dataset``) from any supported source."""
    import datasets

    if dataset in (None, "", "default"):
        dataset = str(DEFAULT_DATASET)
        if not DEFAULT_DATASET.is_dir():
            raise ToMLabError(f"the default dataset {DEFAULT_DATASET} is missing: run scripts/make_preference_data.py")
    path = Path(dataset).expanduser()
    try:
        if path.is_file():
            builder = FILE_BUILDERS.get(path.suffix.lower())
            if builder is None:
                raise ToMLabError(f"--dataset {dataset}: unsupported file type '{path.suffix}' "
                                  f"(use one of {', '.join(sorted(FILE_BUILDERS))})")
            return datasets.load_dataset(builder, data_files={"train": str(path)})
        if path.is_dir() and (path / "train.jsonl").is_file():  # our own layout: train + eval (or validation)
            files = {"train": str(path / "train.jsonl")}
            for held_out in OWN_EVAL_FILES:
                if (path / f"{held_out}.jsonl").is_file():
                    files[held_out] = str(path / f"{held_out}.jsonl")
                    break
            return datasets.load_dataset("json", data_files=files)
        if path.is_dir():
            files = [p for p in path.rglob("*") if p.suffix.lower() in FILE_BUILDERS]
            if not files:
                raise ToMLabError(f"--dataset {dataset}: the folder holds no .json/.jsonl/.csv/.parquet file")
            return datasets.load_dataset(str(path))
        looks_local = dataset.startswith((".", "/", "~")) or dataset.count("/") > 1
        if looks_local or Path(dataset).suffix.lower() in FILE_BUILDERS:
            raise ToMLabError(f"--dataset {dataset}: no such file or folder")
        kwargs = {"revision": revision} if revision else {}
        if trust_remote_code:
            kwargs["trust_remote_code"] = True
        return datasets.load_dataset(dataset, **kwargs)
    except ToMLabError:
        raise
    except (ConnectionError, OSError) as exc:
        raise ToMLabError(f"--dataset {dataset}: cannot load it ({_first_line(exc)}); without a reachable hub use a "
                          "local file or the default offline dataset") from None
    except Exception as exc:  # datasets raises many types for malformed files (DatasetGenerationError, ArrowInvalid)
        raise ToMLabError(f"--dataset {dataset}: cannot read it: {_first_line(exc)}") from None


def _standardize(ds, name: str, split: str, columns: dict[str, str], keep: tuple[str, ...] = ()):
    """Keep the three columns (renamed to prompt/chosen/rejected), checking types and emptiness row by row, and the
    columns ``keep`` as they are (each must exist and hold a value in every row)."""
    missing = [f"'{src}'" for src in columns.values() if src not in ds.column_names]
    if missing:
        flags = ", ".join(f"--{key}_column" for key in COLUMNS)
        raise ToMLabError(f"--dataset {name} ({split} split): no column {' or '.join(missing)} "
                          f"(it has: {', '.join(ds.column_names) or 'none'}); name the columns with {flags}")
    for col in keep:
        if col not in ds.column_names:
            raise ToMLabError(f"--dataset {name} ({split} split): no column '{col}' "
                              f"(it has: {', '.join(ds.column_names) or 'none'})")
        empty = next((i for i, value in enumerate(ds[col]) if value is None or value == ""), None)
        if empty is not None:
            raise ToMLabError(f"--dataset {name} ({split} split) row {empty}: no value in column '{col}'")
    ds = ds.select_columns(list(dict.fromkeys([*columns.values(), *keep])))
    if len(ds) == 0:
        raise ToMLabError(f"--dataset {name} ({split} split) has no rows")
    for src in columns.values():
        values = ds[src]
        for i, value in enumerate(values):
            if not isinstance(value, str):
                raise ToMLabError(f"--dataset {name} ({split} split) row {i}: column '{src}' must hold text, "
                                  f"found {type(value).__name__}")
            if not value.strip():
                raise ToMLabError(f"--dataset {name} ({split} split) row {i}: column '{src}' is empty")

    def _rename(row):
        return {"prompt": row[columns["prompt"]].strip(), "chosen": row[columns["chosen"]].strip(),
                "rejected": row[columns["rejected"]].strip(), **{col: row[col] for col in keep}}

    ds = ds.map(_rename, remove_columns=[c for c in ds.column_names if c not in keep],
                desc=f"Checking {split} pairs")
    before = len(ds)
    ds = ds.filter(lambda row: row["chosen"] != row["rejected"], desc="Dropping pairs with chosen == rejected")
    if len(ds) == 0:
        raise ToMLabError(f"--dataset {name} ({split} split): every pair has chosen == rejected")
    if len(ds) < before:
        print(f"note: dropped {before - len(ds)} {split} pairs whose chosen and rejected texts are identical")
    return ds


def keep_kinds(ds, kinds, name: str, split: str):
    """The rows whose ``kind`` column (what the question asks, see :mod:`tomlab.data.stories`) is one of ``kinds``."""
    if "kind" not in ds.column_names:
        raise ToMLabError(f"--dataset {name} ({split} split): --question_kinds needs a 'kind' column, and it has none")
    unknown = sorted(set(kinds) - set(ds["kind"]))
    if unknown:
        raise ToMLabError(f"--question_kinds {','.join(unknown)}: no such kind in the {split} split of {name} "
                          f"(it has: {', '.join(sorted(set(ds['kind'])))})")
    wanted = set(kinds)
    return ds.filter(lambda row: row["kind"] in wanted, desc=f"Keeping {split} pairs of --question_kinds")


def load_preference_dataset(dataset: str | None = None, *, prompt_column: str = "prompt",
                            chosen_column: str = "chosen", rejected_column: str = "rejected", split: str = "train",
                            eval_split: str | None = None, eval_size: int = 200, max_train_samples: int | None = None,
                            max_eval_samples: int | None = None, revision: str | None = None,
                            trust_remote_code: bool = False, question_kinds: list[str] | None = None,
                            keep_columns: tuple[str, ...] = ()):
    """Load ``(train, eval)`` preference datasets with columns ``prompt``, ``chosen``, ``rejected`` (and
    ``keep_columns``, which every row must hold, e.g. the gold answer of ToM items); with ``question_kinds``, only the
    pairs of those question kinds (train and eval alike)."""
    import datasets

    name = dataset_label(dataset)
    raw = _load_raw(dataset, revision=revision, trust_remote_code=trust_remote_code)
    if isinstance(raw, datasets.Dataset):
        raw = datasets.DatasetDict({"train": raw})
    if split not in raw:
        raise ToMLabError(f"--dataset {name}: no '{split}' split (it has: {', '.join(raw)})")
    if eval_split is not None and eval_split not in raw:
        raise ToMLabError(f"--dataset {name}: no '{eval_split}' split for evaluation (it has: {', '.join(raw)})")
    columns = {"prompt": prompt_column, "chosen": chosen_column, "rejected": rejected_column}
    train = keep_kinds(raw[split], question_kinds, name, split) if question_kinds else raw[split]
    eval_name = eval_split or next((s for s in EVAL_SPLITS if s in raw and s != split), None)
    if eval_name is not None:
        evals = raw[eval_name]
        evals = keep_kinds(evals, question_kinds, name, eval_name) if question_kinds else evals
        train = _standardize(train, name, split, columns, keep_columns)
        evals = _standardize(evals, name, eval_name, columns, keep_columns)
    else:
        train = _standardize(train, name, split, columns, keep_columns)
        if eval_size < 1 or eval_size >= len(train):
            raise ToMLabError(f"--dataset {name}: {len(train)} rows and no eval split; --eval_size {eval_size} "
                              "must be at least 1 and leave rows for training")
        evals = train.select(range(eval_size))
        train = train.select(range(eval_size, len(train)))
    if max_train_samples:
        train = train.select(range(min(max_train_samples, len(train))))
    if max_eval_samples:
        evals = evals.select(range(min(max_eval_samples, len(evals))))
    return train, evals


# ---------------------------------------------------------------------------------------------- tokenization
def tokenize_prompt(tokenizer, prompt: str, max_prompt_length: int | None = None,
                    template: str = PROMPT_TEMPLATE) -> list[int]:
    """Token ids of the formatted prompt (special tokens such as BOS included, as at generation time).

    Too-long prompts keep their end (the question and ``Answer: ``), as the original DPO script truncated them.
    """
    ids = tokenizer(format_prompt(prompt, template))["input_ids"]
    if max_prompt_length and len(ids) > max_prompt_length:
        ids = ids[-max_prompt_length:]
    return ids


def tokenize_response(tokenizer, response: str) -> list[int]:
    """Token ids of an answer, tokenized on its own and closed with EOS.

    The prompt ends with ``Answer: `` (trailing space, the evaluation's format); tokenizing prompt and answer together
    would merge that space into the answer's first token, so the model would never see the prompt as it is at
    evaluation time. Tokenizing them apart keeps training and evaluation token-for-token alike.
    """
    ids = tokenizer(response, add_special_tokens=False)["input_ids"]
    return ids + [tokenizer.eos_token_id]
