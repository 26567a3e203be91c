"""merge_peft_adapter.py: the merged folder loads with plain transformers and matches the adapter model's logits."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from tests.conftest import ROOT


def merge(argv):
    return runpy.run_path(str(ROOT / "merge_peft_adapter.py"), run_name="merge_under_test")["main"](argv)


def _adapter(base: Path, out: Path, task: str):
    """A LoRA adapter with random (non-zero) weights, so merging changes the outputs."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification, AutoTokenizer

    torch.manual_seed(0)
    if task == "SEQ_CLS":
        model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=1)
        model.config.pad_token_id = AutoTokenizer.from_pretrained(base).pad_token_id
    else:
        model = AutoModelForCausalLM.from_pretrained(base)
    peft_model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules="all-linear", task_type=task,
                                                  init_lora_weights=False))
    peft_model.save_pretrained(out)
    AutoTokenizer.from_pretrained(base).save_pretrained(out)
    return peft_model.eval()


@pytest.mark.parametrize("task", ["CAUSAL_LM", "SEQ_CLS"])
def test_merged_model_matches_adapter_logits(tiny_model_dir, tmp_path, task):
    import torch
    from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification, AutoTokenizer

    peft_model = _adapter(tiny_model_dir, tmp_path / "adapter", task)
    merge(["--adapter_model_name", str(tmp_path / "adapter"), "--base_model_name", str(tiny_model_dir),
           "--output_name", str(tmp_path / "merged")])
    cls = AutoModelForSequenceClassification if task == "SEQ_CLS" else AutoModelForCausalLM
    merged = cls.from_pretrained(tmp_path / "merged").eval()
    tok = AutoTokenizer.from_pretrained(tmp_path / "merged")
    ids = tok(["Answer the following question in context:", "Question: Does she know?"], return_tensors="pt",
              padding=True)
    with torch.no_grad():
        expected = peft_model(**ids).logits
        got = merged(**ids).logits
    base = cls.from_pretrained(tiny_model_dir, **({"num_labels": 1} if task == "SEQ_CLS" else {})).eval()
    assert torch.allclose(got, expected, atol=1e-5)
    if task == "CAUSAL_LM":  # the adapter really changed something (the seq-cls head of `base` is random anyway)
        with torch.no_grad():
            assert not torch.allclose(base(**ids).logits, expected, atol=1e-3)
    assert not any(p.name.startswith("adapter_") for p in (tmp_path / "merged").iterdir())
    assert any((tmp_path / "merged").glob("*.safetensors"))


def test_base_defaults_to_the_one_recorded_in_the_adapter(tiny_model_dir, tmp_path, capsys):
    _adapter(tiny_model_dir, tmp_path / "adapter", "CAUSAL_LM")
    merge(["--adapter_model_name", str(tmp_path / "adapter"), "--output_name", str(tmp_path / "merged")])
    assert f"base model: {tiny_model_dir}" in capsys.readouterr().out


def _fails(argv, capsys, match):
    with pytest.raises(SystemExit) as exc:
        merge(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("error: ") and match in err, err


def test_refuses_to_overwrite_and_bad_adapters(tiny_model_dir, tmp_path, capsys):
    _adapter(tiny_model_dir, tmp_path / "adapter", "CAUSAL_LM")
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "weights.bin").write_text("precious")
    _fails(["--adapter_model_name", str(tmp_path / "adapter"), "--output_name", str(tmp_path / "taken")], capsys,
           "already exists: refusing to overwrite it")
    assert (tmp_path / "taken" / "weights.bin").read_text() == "precious"
    _fails(["--adapter_model_name", str(tmp_path / "nowhere"), "--output_name", str(tmp_path / "m")], capsys,
           "no such folder")
    _fails(["--adapter_model_name", str(tiny_model_dir), "--output_name", str(tmp_path / "m")], capsys,
           "no adapter_config.json")
    _fails(["--adapter_model_name", str(tmp_path / "adapter"), "--base_model_name", str(tmp_path / "nobase"),
            "--output_name", str(tmp_path / "m")], capsys, "no such local folder")
    assert not (tmp_path / "m").exists()
