import pytest

from tomlab.errors import ToMLabError
from tomlab.models import load_model, load_tokenizer, quantization_config, resolve_model


def test_tiny_model_loads(tiny_model_dir):
    tok = load_tokenizer(str(tiny_model_dir))
    model = load_model(str(tiny_model_dir), dtype="float32", device="cpu")
    assert tok.padding_side == "left" and tok.pad_token is not None
    assert model.config.num_hidden_layers == 2


def test_resolve_local_folder(tiny_model_dir):
    assert resolve_model(str(tiny_model_dir)) == str(tiny_model_dir)


@pytest.mark.parametrize("bad", ["./no/such/folder", "/tmp/definitely-missing-model", "missing.gguf"])
def test_resolve_bad_paths(bad):
    with pytest.raises(ToMLabError):
        resolve_model(bad)


def test_resolve_folder_without_config(tmp_path):
    with pytest.raises(ToMLabError, match="config.json"):
        resolve_model(str(tmp_path))


def test_quantization_needs_cuda():
    import torch

    if torch.cuda.is_available():
        pytest.skip("CUDA present")
    with pytest.raises(ToMLabError, match="CUDA"):
        quantization_config(load_in_4bit=True)
    assert quantization_config() is None


@pytest.mark.integration
def test_embedded_model_converted(embedded_model_dir):
    assert (embedded_model_dir / "config.json").is_file()
    assert list(embedded_model_dir.glob("*.safetensors"))
    assert resolve_model(None) == str(embedded_model_dir)


def test_auto_dtype_of_an_8bit_model_is_fp16():
    """LLM.int8 computes in fp16: with bf16 activations bitsandbytes casts (and warns) on every matmul, as seen on an
    H200 (scripts/gpu_check.sh: 107,520 warnings in one 64-answer run)."""
    import torch

    from tomlab.models import pick_dtype

    assert pick_dtype("auto", "cuda", load_in_8bit=True) == torch.float16
    assert pick_dtype("bfloat16", "cuda", load_in_8bit=True) == torch.bfloat16  # an explicit --dtype wins
