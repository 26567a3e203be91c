"""tomlab.data.readable / scripts/readable_kinds.py: per question kind, how often a model's likelihood prefers the
chosen answer; the kinds at or above the threshold."""

from __future__ import annotations

import runpy

import pytest

from tests.conftest import ROOT
from tomlab.data.readable import answer_logprob, kind_preference, readable_kinds, sample_pairs

ROWS = [{"prompt": "Context: Ann put the cup in the sink. Question: Where is the cup?", "kind": "where_now",
         "chosen": "The cup is in the sink.", "rejected": "The cup is on the shelf."},
        {"prompt": "Context: Bo scored first. Question: Who scored first?", "kind": "first_scorer",
         "chosen": "Bo scored first.", "rejected": "Cy scored first."}] * 2


def test_counts_per_kind_follow_the_likelihoods(tiny_model_dir):
    from tomlab.models import load_model, load_tokenizer

    model, tok = load_model(str(tiny_model_dir), dtype="float32").eval(), load_tokenizer(str(tiny_model_dir))
    rates = kind_preference(model, tok, ROWS, progress=False)
    assert set(rates) == {"where_now", "first_scorer"} and all(n == 2 for _, n in rates.values())
    for kind, (k, _) in rates.items():
        row = next(r for r in ROWS if r["kind"] == kind)
        prefers = answer_logprob(model, tok, row["prompt"], row["chosen"]) > answer_logprob(
            model, tok, row["prompt"], row["rejected"])
        assert k == 2 * prefers


def test_threshold_and_sampling():
    assert readable_kinds({"a": (7, 10), "b": (69, 100), "c": (0, 0)}) == ["a"]
    assert readable_kinds({"a": (7, 10), "b": (69, 100)}, threshold=0.6) == ["a", "b"]
    rows = [{"i": i} for i in range(10)]
    assert sample_pairs(rows, 4, seed=0) == sample_pairs(rows, 4, seed=0) != sample_pairs(rows, 4, seed=1)
    assert len(sample_pairs(rows, 99, seed=0)) == 10


def test_script_bad_data_is_one_error_line(tmp_path, capsys):
    (tmp_path / "train.jsonl").write_text('{"prompt": "p", "chosen": "a", "rejected": "b"}\n')
    main = runpy.run_path(str(ROOT / "scripts" / "readable_kinds.py"), run_name="under_test")["main"]
    with pytest.raises(SystemExit) as exc:
        main(["--model", "unused", "--data", str(tmp_path)])
    assert exc.value.code != 0 and "needs a train.jsonl whose pairs all have a 'kind' column" in capsys.readouterr().err
