"""The engine: stop handling, no prompt echo, determinism independent of batching."""

from functools import partial
from types import SimpleNamespace

import pytest
import torch

from tomlab.generation import Engine, PromptGroup, SamplingParams, answer_seed, find_stop
from tomlab.models import load_model, load_tokenizer


class ScriptedModel(torch.nn.Module):
    """Emits a fixed token script (same for every row), whatever the input: exercises the engine's stopping."""

    def __init__(self, config, script):
        super().__init__()
        self.config = config
        self.generation_config = SimpleNamespace(eos_token_id=config.eos_token_id)
        self.emb = torch.nn.Embedding(config.vocab_size, 4)
        self.script = script
        self.calls = 0

    def get_input_embeddings(self):
        return self.emb

    def forward(self, input_ids, cache=None, **kwargs):
        t = self.script[min(self.calls, len(self.script) - 1)]
        self.calls += 1
        logits = torch.full((input_ids.shape[0], input_ids.shape[1], self.config.vocab_size), -100.0)
        logits[..., t] = 100.0
        return SimpleNamespace(logits=logits)


@pytest.fixture(scope="module")
def tiny(tiny_model_dir):
    return load_model(str(tiny_model_dir), dtype="float32", device="cpu"), load_tokenizer(str(tiny_model_dir))


def scripted(tiny, text, eos=False):
    model, tok = tiny
    ids = tok(text, add_special_tokens=False)["input_ids"] + ([tok.eos_token_id] if eos else [])
    return Engine(ScriptedModel(model.config, ids), tok), tok


def one(engine, max_new_tokens=64):
    (c,) = engine.generate([PromptGroup("Scenario: x Question: y Answer: ", [("k", 1)])],
                           SamplingParams(max_new_tokens=max_new_tokens))
    return c


def test_stops_at_new_block(tiny):
    engine, _ = scripted(tiny, "No, she does not. Scenario: Anne made lasagna. Question: Does")
    c = one(engine)
    assert c.finish_reason == "stop_sequence"
    assert c.text == "No, she does not."


@pytest.mark.parametrize("label", ["Question:", "Context:"])
def test_stops_at_other_labels(tiny, label):
    engine, _ = scripted(tiny, f"Yes. {label} more")
    assert one(engine).text == "Yes."


def test_stops_at_eos(tiny):
    engine, _ = scripted(tiny, "Yes, he does.", eos=True)
    c = one(engine)
    assert (c.finish_reason, c.text) == ("eos", "Yes, he does.")


def test_length_limit(tiny):
    engine, tok = scripted(tiny, "yes " * 50)
    c = one(engine, max_new_tokens=5)
    assert c.finish_reason == "length" and c.new_tokens == 5


def test_find_stop():
    assert find_stop("a Question: b Scenario:", ("Scenario:", "Question:")) == 2
    assert find_stop("nothing here", ("Scenario:",)) == -1


def _run(tiny, batch_size, prompts, reps=3, shared_prefix=None, **kw):
    model, tok = tiny
    engine = Engine(model, tok, batch_size=batch_size, shared_prefix=shared_prefix)
    groups = [PromptGroup(p, [((i, r), answer_seed(7, i, r)) for r in range(reps)]) for i, p in enumerate(prompts)]
    return {c.key: c for c in engine.generate(groups, SamplingParams(**{"max_new_tokens": 12, **kw}))}


PROMPTS = ["Scenario: Pam has been at work all day. Question: Does she know? Answer: ",
           "Read the scenario and answer the following question:\n\nScenario: Susie parked her car. Answer: "]


def test_no_prompt_echo_and_token_budget(tiny):
    out = _run(tiny, 8, PROMPTS)
    assert len(out) == 6
    for c in out.values():
        assert 1 <= c.new_tokens <= 12
        assert not any(c.text.startswith(p.strip()[:20]) for p in PROMPTS)


def test_deterministic_and_batch_independent(tiny):
    a = _run(tiny, 320, PROMPTS)
    b = _run(tiny, 320, PROMPTS)
    c = _run(tiny, 1, PROMPTS)
    texts = lambda d: {k: v.token_ids for k, v in d.items()}  # noqa: E731
    assert texts(a) == texts(b) == texts(c)
    assert len({tuple(v.token_ids) for v in a.values()}) > 1  # sampling really varies across repetitions


def test_greedy_matches_transformers_generate(tiny):
    model, tok = tiny
    out = _run(tiny, 4, PROMPTS[:1], reps=1, do_sample=False)
    ids = tok(PROMPTS[0], return_tensors="pt")
    ref = model.generate(**ids, max_new_tokens=12, do_sample=False, eos_token_id=None, pad_token_id=tok.pad_token_id)
    ref_tokens = ref[0, ids["input_ids"].shape[1]:].tolist()
    got = out[(0, 0)].token_ids
    assert got == ref_tokens[: len(got)]


def test_shared_prefix_attention_matches_plain_cache(tiny):
    model, tok = tiny
    assert Engine(model, tok).shared_prefix  # the default for a Llama
    a = _run(tiny, 320, PROMPTS, reps=4, shared_prefix=True)
    b = _run(tiny, 320, PROMPTS, reps=4, shared_prefix=False)
    assert {k: v.token_ids for k, v in a.items()} == {k: v.token_ids for k, v in b.items()}


def test_shared_prefix_logits_match_full_forward(tiny):
    """One decode step through the shared-prefix path equals a plain forward over prompt + token."""
    from tomlab.prefix_attention import make_shared_prefix_cache

    model, tok = tiny
    Engine(model, tok)  # registers the attention
    enc = tok(PROMPTS, padding=True, return_tensors="pt")
    mask = enc["attention_mask"]
    pos = (mask.cumsum(-1) - 1).clamp(min=0)
    rows = torch.tensor([0, 0, 1])
    cache = make_shared_prefix_cache(model, rows, mask, 4)
    with torch.no_grad():
        model(input_ids=enc["input_ids"], attention_mask=mask, position_ids=pos, cache=cache, use_cache=True)
        nxt = torch.tensor([[5], [9], [7]])
        got = model(input_ids=nxt, position_ids=pos[rows, -1:] + 1, cache=cache, use_cache=True,
                    prefix_state=cache.prefix_state, prefix_cache=cache).logits[:, -1]
        full_ids = torch.cat([enc["input_ids"][rows], nxt], 1)
        full_mask = torch.cat([mask[rows], torch.ones(3, 1, dtype=mask.dtype)], 1)
        full_pos = torch.cat([pos[rows], pos[rows, -1:] + 1], 1)
        want = model(input_ids=full_ids, attention_mask=full_mask, position_ids=full_pos).logits[:, -1]
    assert torch.allclose(got, want, atol=1e-4)


@pytest.mark.parametrize("side", ["left", "right"])  # left: the engine's (padding cut as a slice); right: a mask
def test_prompt_part_runs_compute_the_same_step(tiny, side):
    """One matmul per prompt, a few runs of prompts padded to their largest group, and one grid for all (other
    devices) compute the same decode step (to float32 rounding: at this tiny size the kernel, and so the last bit,
    changes with a matmul's shape)."""
    from tomlab.prefix_attention import make_shared_prefix_cache

    model, tok = tiny
    Engine(model, tok)  # registers the attention
    enc = tok(PROMPTS + PROMPTS[:1], padding=True, return_tensors="pt", padding_side=side)
    mask = enc["attention_mask"]
    pos = (mask.cumsum(-1) - 1).clamp(min=0)
    rows = torch.tensor([0, 0, 0, 1, 2, 2])
    logits, runs = [], []
    for call_rows in (0, 2, float("inf")):
        cache = make_shared_prefix_cache(model, rows, mask, 4)
        cache.prefix_state.call_rows = call_rows
        cache.prefix_state.set_rows(rows)
        [segment_runs] = cache.prefix_state.runs  # one segment
        runs.append([(r.first, r.end) for r in segment_runs])
        assert (cache.prefix_state.segments[0].lead is None) == (side == "right")
        with torch.no_grad():
            model(input_ids=enc["input_ids"], attention_mask=mask, position_ids=pos, cache=cache, use_cache=True)
            for step, nxt in enumerate(([5], [9], [7], [3]), 1):  # the suffix grows: part 2 is exercised too
                out = model(input_ids=torch.tensor([nxt] * 6) + torch.arange(6)[:, None], cache=cache,
                            position_ids=pos[rows, -1:] + step, use_cache=True, prefix_state=cache.prefix_state,
                            prefix_cache=cache).logits[:, -1]
        logits.append(out)
    assert runs == [[(0, 1), (1, 2), (2, 3)], [(0, 1), (1, 3)], [(0, 3)]]
    assert all(torch.allclose(logits[0], other, atol=1e-6) for other in logits[1:])


def test_plan_runs_weighs_calls_against_padding():
    from tomlab.prefix_attention import plan_runs

    assert plan_runs([20, 20, 20], 4) == [(0, 3)]  # equal groups: one matmul, no padding
    assert plan_runs([20, 1, 20], 4) == [(0, 1), (1, 2), (2, 3)]  # padding 19 rows costs more than two calls
    assert plan_runs([3, 2, 3], 4) == [(0, 3)]
    assert plan_runs([5, 0, 0, 5], 4) == [(0, 1), (3, 4)]  # prompts without rows are skipped
    assert plan_runs([5, 0, 5], 100) == [(0, 3)]
    assert plan_runs([0, 2, 0], float("inf")) == [(1, 2)]
    assert plan_runs([0, 0], 4) == [] == plan_runs([0, 0], float("inf"))


def test_plan_segments_starts_one_where_prompts_halve():
    from tomlab.prefix_attention import plan_segments

    assert plan_segments([324, 300, 276, 94, 60]) == [(0, 3), (3, 5)]  # the experiment's two-shot and plain prompts
    assert plan_segments([10, 5]) == [(0, 1), (1, 2)]  # at most half the widest: a new segment
    assert plan_segments([10, 6, 3]) == [(0, 2), (2, 3)]
    assert plan_segments([5, 10, 4]) == [(0, 2), (2, 3)]  # the segment's widest so far decides
    assert plan_segments([7]) == [(0, 1)] and plan_segments([]) == []


def test_segments_compute_the_same_step_as_one_padded_encoding(tiny):
    """A long and a short prompt encoded as two segments, each at its own width, decode like the two encoded together
    (the short one padded to the long one's width), and like plain forwards over prompt + tokens."""
    from tomlab.prefix_attention import make_shared_prefix_cache

    model, tok = tiny
    Engine(model, tok)  # registers the attention
    prompts = [PROMPTS[1], "Answer: "]
    lengths = [len(tok(p)["input_ids"]) for p in prompts]
    assert lengths[1] <= lengths[0] / 2
    rows = torch.tensor([0, 0, 1, 1, 1])
    new = torch.randint(0, len(tok), (5, 4), generator=torch.Generator().manual_seed(0))
    together = tok(prompts, padding=True, return_tensors="pt", padding_side="left")
    parts = [tok([p], return_tensors="pt") for p in prompts]
    logits = []
    for encodings in ([together], parts):
        cache = make_shared_prefix_cache(model, rows, [e["attention_mask"] for e in encodings], 4)
        assert len(cache.prefix_state.segments) == len(encodings)
        got = []
        with torch.no_grad():
            for e in encodings:
                pos = (e["attention_mask"].cumsum(-1) - 1).clamp(min=0)
                model(input_ids=e["input_ids"], attention_mask=e["attention_mask"], position_ids=pos, cache=cache,
                      use_cache=True)
            for step in range(new.shape[1]):
                got.append(model(input_ids=new[:, step:step + 1], cache=cache, use_cache=True,
                                 position_ids=torch.tensor(lengths)[rows, None] + step, prefix_state=cache.prefix_state,
                                 prefix_cache=cache).logits[:, -1])
        logits.append(torch.stack(got))
    assert torch.allclose(logits[0], logits[1], atol=1e-6)
    with torch.no_grad():
        for i, r in enumerate(rows.tolist()):
            ids = torch.cat([parts[r]["input_ids"][0], new[i]])[None]
            want = model(input_ids=ids).logits[0, -new.shape[1]:]
            assert torch.allclose(logits[1][:, i], want, atol=1e-4)


def test_suffix_cache_compacts_once_a_share_of_rows_has_left():
    from tomlab import prefix_attention
    from tomlab.prefix_attention import SharedPrefixState

    assert prefix_attention.COMPACT_SHARE == 0.8
    state = SharedPrefixState(torch.tensor([0] * 5 + [1] * 5), [torch.ones(2, 3, dtype=torch.long)])
    state.select(torch.tensor([0, 1, 2, 4, 5, 6, 7, 8, 9]))  # row 3 leaves: it keeps its place
    assert (state.kept, state.buffer_rows, state.slots.tolist()) == (None, 10, [0, 1, 2, 4, 5, 6, 7, 8, 9])
    state.select(torch.arange(8))  # 8 of 10 left: compact
    assert (state.kept.tolist(), state.buffer_rows, state.slots) == ([0, 1, 2, 4, 5, 6, 7, 8], 8, None)
    state.select(torch.arange(7))  # the last row leaves: the buffer is cut, nothing moves
    assert (state.kept, state.buffer_rows, state.slots) == (None, 7, None)
    assert state.row_prompt.tolist() == [0, 0, 0, 0, 1, 1, 1] and [r.hi for [r] in state.runs] == [7]


@pytest.mark.parametrize("share", [0.0, 0.5, 1.0])  # never compact / sometimes / after every finished row
def test_answers_do_not_depend_on_when_the_suffix_cache_compacts(tiny, monkeypatch, share):
    from tomlab import prefix_attention

    model, tok = tiny
    groups = [PromptGroup(p, [((i, r), answer_seed(5, i, r)) for r in range(8)])
              for i, p in enumerate(PROMPTS + ["Answer: "])]

    def answers():
        engine = Engine(model, tok, batch_size=320)
        engine.eos_ids = set(range(0, len(tok), 9))  # a ninth of the vocabulary ends an answer: rows leave at random
        return {c.key: c.token_ids for c in engine.generate(groups, SamplingParams(max_new_tokens=24))}

    want = answers()
    assert len({len(t) for t in want.values()}) > 5  # rows leave at many different steps
    monkeypatch.setattr(prefix_attention, "COMPACT_SHARE", share)
    assert answers() == want


def _count_rows(seen: list, module, args, out):
    seen.append(out.logits.shape[0] * out.logits.shape[1])


def test_every_forward_call_computes_at_least_min_rows_of_logits(tiny):
    """A few rows take other float32 matmul kernels on a CPU (MIN_ROWS): batches of fewer answers, their last steps
    and the encoding of a single prompt are padded, and the answers stay those of one large batch."""
    from tomlab.generation import MIN_ROWS

    model, tok = tiny
    groups = [PromptGroup(p, [((i, r), answer_seed(5, i, r)) for r in range(3)]) for i, p in enumerate(PROMPTS)]
    answers = {}
    for batch_size in (1, 2, 320):
        engine = Engine(model, tok, batch_size=batch_size)
        engine.eos_ids = set(range(0, len(tok), 9))  # rows leave at random steps
        rows = []
        hook = model.register_forward_hook(partial(_count_rows, rows))
        try:
            done = engine.generate(groups, SamplingParams(max_new_tokens=24))
            answers[batch_size] = {c.key: c.token_ids for c in done}
        finally:
            hook.remove()
        assert min(rows) >= MIN_ROWS and len(answers[batch_size]) == 6
    assert answers[1] == answers[2] == answers[320]
