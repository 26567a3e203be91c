"""Shared fixtures: tiny random models (built in seconds, no hub) for every stage's tests; and the entry of a script
as a researcher runs it (:func:`script`, :func:`fails`); the repository's paths (:data:`ROOT`, :data:`FIXTURES`).

Every test folder sees these fixtures; a test imports the helpers as ``from tests.conftest import ROOT, script``.
"""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Committed test data (``tests/fixtures/``), the same path from every test folder.
FIXTURES = ROOT / "tests" / "fixtures"

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def script(rel: str):
    """The ``run``/``main`` entry of a script (``rel``: its path in the repository), loaded as the file a researcher
    runs."""
    g = runpy.run_path(str(ROOT / rel), run_name="script_under_test")
    return g.get("run") or g["main"]


def fails(rel: str, argv: list[str], capsys, match: str) -> None:
    """The script exits with status 2 and one ``error:`` line that holds ``match``."""
    with pytest.raises(SystemExit) as exc:
        script(rel)(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: ") and match in err[-1], err[-1]


def _corpus() -> list[str]:
    data = ROOT / "data"
    texts = []
    for name in ("tom_scenarios.json", "cot_example_scenarios.json"):
        for item in json.loads((data / name).read_text())["scenarios"]:
            texts += [item["context"], item["question"], item["answer"]]
    texts += ["Read the scenario and answer the following question:", "Answer the following question in context:",
              "Scenario: Context: Question: Answer: Let's think step by step: Yes, No, yes no"]
    return texts * 3


def build_tiny_tokenizer(out: Path):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=600, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(_corpus(), trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|im_start|>", eos_token="<|im_end|>",
                                   unk_token="<|endoftext|>", pad_token="<|im_end|>")
    fast.chat_template = CHAT_TEMPLATE
    fast.save_pretrained(out)
    return fast


def build_tiny_llama(out: Path, seed: int = 0) -> Path:
    """A 2-layer random Llama with a real BPE tokenizer, saved as safetensors in ``out``."""
    import torch
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    tok = build_tiny_tokenizer(out)
    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=2048,
                         bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                         pad_token_id=tok.pad_token_id, tie_word_embeddings=True)
    model = LlamaForCausalLM(config)
    model.generation_config = GenerationConfig(bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                                               pad_token_id=tok.pad_token_id)
    model.save_pretrained(out, safe_serialization=True)
    return out


#: The tiny Gemma 3's sliding window: far shorter than the test prompts and answers, so every path crosses it.
TINY_GEMMA3_WINDOW = 6


def build_tiny_gemma3(out: Path, seed: int = 0) -> Path:
    """A 3-layer random Gemma 3 (two sliding-window layers, one global; its own attention scaling) with the BPE
    tokenizer of the tiny Llama, saved as safetensors in ``out``."""
    import torch
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig, GenerationConfig

    tok = build_tiny_tokenizer(out)
    torch.manual_seed(seed)
    config = Gemma3TextConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=3,
                              num_attention_heads=4, num_key_value_heads=2, head_dim=8, query_pre_attn_scalar=32,
                              sliding_window=TINY_GEMMA3_WINDOW,
                              layer_types=["sliding_attention", "sliding_attention", "full_attention"],
                              max_position_embeddings=2048, bos_token_id=tok.bos_token_id,
                              eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id, tie_word_embeddings=True)
    model = Gemma3ForCausalLM(config)
    model.generation_config = GenerationConfig(bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                                               pad_token_id=tok.pad_token_id)
    model.save_pretrained(out, safe_serialization=True)
    return out


@pytest.fixture(scope="module")
def one_thread():
    """Torch on one thread for a module's tests (``pytestmark = pytest.mark.usefixtures("one_thread")``): tiny models
    are dominated by per-op overhead, which two contended OpenMP threads make several times slower."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny_gemma3_dir(tmp_path_factory) -> Path:
    """Path to a tiny random Gemma 3 folder (sliding-window and global attention layers)."""
    return build_tiny_gemma3(tmp_path_factory.mktemp("tiny-gemma3"))


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """Path to a tiny random causal LM folder (config, safetensors, tokenizer with chat template)."""
    return build_tiny_llama(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture(scope="session")
def embedded_model_dir() -> Path:
    """The embedded SmolLM2-135M-Instruct, converted once into the cache (integration tests only)."""
    from tomlab.models import ensure_embedded_model

    return ensure_embedded_model()
