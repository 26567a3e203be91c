"""Batched sampling engine for many answers to a few prompts.

Why not ``model.generate``: the experiment asks each prompt 20 times, and most answers end long
before ``max_new_tokens``. This engine (1) encodes each distinct prompt once and copies its KV cache
to all its repetitions, (2) decodes every row of a batch together with left padding, (3) drops rows
from the batch (and padding columns from the cache) as soon as their answer is over, (4) applies
top-k before top-p so only ``k`` candidates are sorted, (5) stops a row at EOS or when it starts
a new ``Scenario:``/``Context:``/``Question:`` block, and (6) with shared-prefix attention, encodes prompts of very
different lengths in segments, each at its own width, so one batch holds them all without padding the short ones.

Sampling follows transformers' semantics (temperature, then top-k, then top-p) but draws each row's
randomness from its own generator seeded per answer, so an answer depends only on its seed, the
prompt and the model: not on batch size, on which rows share its batch, or on a resumed run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch

from . import prefix_attention
from .prefix_attention import make_shared_prefix_cache, select_rows
from .schema import END_OF_TURN_TOKENS, STOP_SEQUENCES


@dataclass(frozen=True)
class SamplingParams:
    max_new_tokens: int = 128
    top_k: int = 50
    top_p: float = 0.95
    temperature: float = 0.4
    do_sample: bool = True


@dataclass
class PromptGroup:
    """One prompt and the answers wanted for it: ``(key, seed)`` per answer."""

    prompt: str
    requests: list[tuple[Hashable, int]]


@dataclass
class Completion:
    key: Hashable
    text: str
    finish_reason: str  # "eos" | "stop_sequence" | "length"
    new_tokens: int
    token_ids: list[int] = field(repr=False, default_factory=list)


def answer_seed(*parts) -> int:
    """A stable 63-bit seed from any parts (run seed, prompting type, scenario id, repetition)."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "little") & (2**63 - 1)


def stop_token_ids(tokenizer, model=None) -> set[int]:
    """EOS ids of the tokenizer and generation config, plus the special tokens that end a turn/document."""
    ids: set[int] = set()
    if tokenizer.eos_token_id is not None:
        ids.add(tokenizer.eos_token_id)
    gen_eos = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    if gen_eos is not None:
        ids.update([gen_eos] if isinstance(gen_eos, int) else gen_eos)
    for tok in END_OF_TURN_TOKENS:
        tid = tokenizer.convert_tokens_to_ids(tok)
        if isinstance(tid, int) and tid != tokenizer.unk_token_id and tid >= 0:
            ids.add(tid)
    return ids


def find_stop(text: str, stop_sequences: Sequence[str]) -> int:
    """Index of the earliest stop sequence in ``text``, or -1."""
    hits = [i for i in (text.find(s) for s in stop_sequences) if i >= 0]
    return min(hits) if hits else -1


class _PreallocatedLayer:
    """A KV-cache layer that writes into a preallocated buffer instead of re-concatenating every step.

    transformers' DynamicLayer grows by ``torch.cat``: each decoding step copies the whole cache of every
    row. Here a step writes one column in place; rows leave the batch by one ``index_select``.
    """

    def __new__(cls, capacity: int):
        from transformers.cache_utils import DynamicLayer

        class Layer(DynamicLayer):
            def __init__(self, capacity):
                super().__init__()
                self.capacity, self.length = capacity, 0

            def lazy_initialization(self, key_states, value_states):
                b, h, _, d = key_states.shape
                self.device = key_states.device
                self._k = key_states.new_empty((b, h, self.capacity, d))
                self._v = value_states.new_empty((b, h, self.capacity, value_states.shape[-1]))
                self.is_initialized = True

            def update(self, key_states, value_states, *args, **kwargs):
                if not self.is_initialized:
                    self.lazy_initialization(key_states, value_states)
                n = key_states.shape[-2]
                if self.length + n > self._k.shape[-2]:  # out of room: grow (never happens within max_new_tokens)
                    extra = max(n, self._k.shape[-2] // 2)
                    self._k = torch.cat([self._k, self._k.new_empty(*self._k.shape[:2], extra, self._k.shape[-1])], -2)
                    self._v = torch.cat([self._v, self._v.new_empty(*self._v.shape[:2], extra, self._v.shape[-1])], -2)
                self._k[:, :, self.length:self.length + n] = key_states
                self._v[:, :, self.length:self.length + n] = value_states
                self.length += n
                self.keys, self.values = self._k[:, :, :self.length], self._v[:, :, :self.length]
                return self.keys, self.values

            def get_seq_length(self):
                return self.length

            def batch_select_indices(self, indices):
                if self.is_initialized:
                    self._k = select_rows(self._k, indices, self.length)
                    self._v = select_rows(self._v, indices, self.length)
                    self.keys, self.values = self._k[:, :, :self.length], self._v[:, :, :self.length]

            def drop_leading(self, n: int):
                self._k, self._v = self._k[:, :, n:], self._v[:, :, n:]
                self.length -= n
                self.keys, self.values = self._k[:, :, :self.length], self._v[:, :, :self.length]

        return Layer(capacity)


def make_cache(model, capacity: int):
    """A cache for one batch: preallocated layers for plain full-attention models, transformers' own otherwise."""
    from transformers import DynamicCache
    from transformers.cache_utils import DynamicLayer

    cache = DynamicCache(config=model.config)
    if cache.layers and all(type(layer) is DynamicLayer for layer in cache.layers):
        cache.layers = [_PreallocatedLayer(capacity) for _ in cache.layers]
    return cache


#: Vocabulary columns of the output head per matmul. [rows x 4096] logits stay in the last-level cache while the next
#: chunk is computed; one product over the whole vocabulary (49,152 columns for SmolLM2, 126 MB of logits at 640 rows)
#: ran 25% slower on a 2-core EPYC, with the same bits (each logit is the same dot product either way).
HEAD_CHUNK = 4096


@contextmanager
def chunked_head(model, chunk: int = HEAD_CHUNK):
    """Within the block, the model's output head (a bias-free ``nn.Linear`` on a CPU, wider than ``chunk``) writes its
    logits ``chunk`` vocabulary columns per matmul into one preallocated tensor. Other heads are left alone."""
    get_head = getattr(model, "get_output_embeddings", None)
    head = get_head() if get_head else None
    if not (type(head) is torch.nn.Linear and head.bias is None and head.weight.device.type == "cpu"
            and head.out_features > chunk and "forward" not in vars(head)):
        yield
        return

    def forward(x: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(-1, x.shape[-1])
        out = flat.new_empty((flat.shape[0], head.out_features))
        for start in range(0, head.out_features, chunk):
            torch.mm(flat, head.weight[start:start + chunk].t(), out=out[:, start:start + chunk])
        return out.view(*x.shape[:-1], head.out_features)

    head.forward = forward
    try:
        yield
    finally:
        del head.forward


def _left_padded(enc: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Token ids and attention mask of prompts padded on the left to the longest."""
    width = max(len(e) for e in enc)
    ids = torch.full((len(enc), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(enc), width), dtype=torch.long)
    for i, e in enumerate(enc):
        ids[i, width - len(e):] = torch.tensor(e)
        mask[i, width - len(e):] = 1
    return ids, mask


#: Fewest rows a forward call computes where answers must not depend on their batch (float32 on a CPU). MKL's float32
#: matmuls take other kernels for a few rows: on the 2-core EPYC a [rows x 576] product with 1-3, 5-7 or 9-11 rows gave
#: other bits than the same rows among more (4, 8 and 12-1,279 rows agreed), and a decode step of 1-3 rows moved the
#: logits by up to 6e-5. So an answer would depend on how many others share its last steps or its prompt's encoding.
#: Fewer rows are padded with finished ones (their results dropped) and the prompt encoding keeps enough positions'
#: logits; 16 leaves a margin for other processors.
MIN_ROWS = 16


class _Row:
    __slots__ = ("key", "gen", "tokens", "prompt_index", "done")

    def __init__(self, key, seed, prompt_index, done=False):
        self.key = key
        self.gen = torch.Generator().manual_seed(seed)
        self.tokens: list[int] = []
        self.prompt_index = prompt_index
        self.done = done  # finished: kept in the batch only to give a forward call MIN_ROWS rows


class Engine:
    """Generate many sampled answers per prompt, fast, deterministically, stopping at the end of each answer."""

    def __init__(self, model, tokenizer, stop_sequences: Sequence[str] = STOP_SEQUENCES, batch_size: int = 320,
                 add_special_tokens: bool = True, trim_every: int = 8, shared_prefix: bool | None = None):
        self.model = model
        self.tokenizer = tokenizer
        self.stop_sequences = tuple(stop_sequences)
        self.batch_size = max(1, int(batch_size))
        self.add_special_tokens = add_special_tokens
        self.trim_every = trim_every
        self.device = model.get_input_embeddings().weight.device
        self.eos_ids = stop_token_ids(tokenizer, model)
        # Shared-prefix attention (the default where the model allows it) stores each prompt's KV cache once.
        if shared_prefix is None:
            shared_prefix = prefix_attention.supported(model)
        if shared_prefix:
            prefix_attention.register()
            model.set_attn_implementation(prefix_attention.NAME)
        self.shared_prefix = bool(shared_prefix)
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else min(self.eos_ids, default=0)
        # Only a token containing the last character of a stop sequence can complete one: check those alone.
        last_chars = {s[-1] for s in self.stop_sequences}
        vocab = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
        self._watch = torch.zeros(max(len(tokenizer), model.config.vocab_size if hasattr(model.config, "vocab_size")
                                      else 0) + 1, dtype=torch.bool)
        for i, piece in enumerate(vocab):
            if piece is not None and any(c in piece for c in last_chars):
                self._watch[i] = True

    @property
    def batch_independent(self) -> bool:
        """An answer is the same whatever other rows share its batch: float32 on a CPU (``tests/test_generation.py``
        and the README command's reproduction test). In bf16 rounding follows the batch shape; CUDA kernels change
        with the batch size."""
        return self.device.type == "cpu" and getattr(self.model, "dtype", None) == torch.float32

    # -- batching -------------------------------------------------------------------------------------------
    def _batches(self, groups: Sequence[PromptGroup]):
        batch, rows = [], 0
        for g in groups:
            reqs = list(g.requests)
            while reqs:
                room = self.batch_size - rows
                take, reqs = reqs[:room], reqs[room:]
                batch.append(PromptGroup(g.prompt, take))
                rows += len(take)
                if rows >= self.batch_size:
                    yield batch
                    batch, rows = [], 0
        if batch:
            yield batch

    def generate(self, groups: Sequence[PromptGroup], params: SamplingParams, progress=None) -> Iterable[Completion]:
        """Yield a :class:`Completion` for every request, as each one finishes."""
        # Longest prompts first: their batches are the most expensive, and similar lengths pad less.
        groups = sorted((g for g in groups if g.requests), key=lambda g: -len(g.prompt))
        for batch in self._batches(groups):
            for done in self._run_batch(batch, params):
                if progress is not None:
                    progress.update(1)
                yield done

    # -- one batch ------------------------------------------------------------------------------------------
    @torch.inference_mode()
    def _run_batch(self, batch: list[PromptGroup], params: SamplingParams):
        tok = self.tokenizer
        enc = [tok(g.prompt, add_special_tokens=self.add_special_tokens)["input_ids"] for g in batch]
        rows = [_Row(key, seed, p) for p, g in enumerate(batch) for key, seed in g.requests]
        min_rows = MIN_ROWS if self.batch_independent else 1
        rows += [_Row(None, 0, rows[-1].prompt_index, done=True) for _ in range(min_rows - len(rows))]
        index = torch.tensor([r.prompt_index for r in rows], device=self.device)
        next_pos = torch.tensor([len(e) for e in enc], device=self.device).index_select(0, index)
        if self.shared_prefix:  # prompts of very different lengths are encoded in segments, each at its own width
            segments = [_left_padded(enc[first:end], self.pad_id) for first, end in
                        prefix_attention.plan_segments([len(e) for e in enc])]
            cache = make_shared_prefix_cache(self.model, index, [mask.to(self.device) for _, mask in segments],
                                             params.max_new_tokens + 1)
        else:
            segments = [_left_padded(enc, self.pad_id)]
            cache = make_cache(self.model, segments[0][1].shape[1] + params.max_new_tokens + 1)
        logits = []
        for ids, mask in segments:
            positions = (mask.cumsum(-1) - 1).clamp(min=0)
            keep_positions = min(ids.shape[1], -(-min_rows // ids.shape[0]))  # >= min_rows rows of logits
            with chunked_head(self.model):
                out = self.model(input_ids=ids.to(self.device), attention_mask=mask.to(self.device),
                                 position_ids=positions.to(self.device), cache=cache, use_cache=True,
                                 logits_to_keep=keep_positions)
            logits.append(out.logits[:, -1, :])
            del out
        logits = (torch.cat(logits) if len(logits) > 1 else logits[0]).index_select(0, index)
        if self.shared_prefix:
            extra = {"prefix_state": cache.prefix_state, "prefix_cache": cache}
            mask = None
        else:  # copy each prompt's cache to all of its rows
            extra = {}
            cache.batch_select_indices(index)
            mask = segments[0][1].to(self.device).index_select(0, index)

        watch = self._watch.to(self.device)
        step = 0
        while rows:
            step += 1
            chosen = self._sample(logits, rows, params)
            chosen_list = chosen.tolist()
            check = watch[chosen].tolist()
            keep = []
            for i, (row, t) in enumerate(zip(rows, chosen_list)):
                if row.done:
                    continue
                if t in self.eos_ids:
                    yield self._finish(row, "eos")
                    continue
                row.tokens.append(t)
                if check[i] and self._stop_hit(row):
                    yield self._finish(row, "stop_sequence")
                    continue
                if len(row.tokens) >= params.max_new_tokens:
                    yield self._finish(row, "length")
                    continue
                keep.append(i)
            if not keep:
                break
            if len(keep) < min_rows:  # finished rows stay, their results unused, to keep min_rows rows
                kept = set(keep)
                keep = sorted(keep + [i for i in range(len(rows)) if i not in kept][:min_rows - len(keep)])
            if len(keep) < len(rows):  # finished rows leave the batch (order kept: rows of a prompt stay together)
                sel = torch.tensor(keep, device=self.device)
                if self.shared_prefix:  # the state decides whether the cache compacts: first
                    cache.prefix_state.select(sel)
                cache.batch_select_indices(sel)
                next_pos, chosen = next_pos.index_select(0, sel), chosen[sel]
                rows = [rows[i] for i in keep]
                if not self.shared_prefix:
                    mask = mask.index_select(0, sel)
                    if step % self.trim_every == 0:
                        mask = self._trim_padding(cache, mask)
            if mask is not None:
                mask = torch.cat([mask, mask.new_ones((len(rows), 1))], dim=1)
            with chunked_head(self.model):
                out = self.model(input_ids=chosen[:, None], attention_mask=mask, position_ids=next_pos[:, None],
                                 cache=cache, use_cache=True, **extra)
            logits = out.logits[:, -1, :]
            next_pos = next_pos + 1

    def _sample(self, logits: torch.Tensor, rows: list[_Row], p: SamplingParams) -> torch.Tensor:
        logits = logits.float()
        if not p.do_sample or p.temperature <= 0:
            return logits.argmax(-1)
        logits = logits.div_(p.temperature)  # in place: [rows x vocab] is the largest tensor of a step
        k = logits.shape[-1] if not p.top_k or p.top_k <= 0 else min(p.top_k, logits.shape[-1])
        vals, idx = logits.topk(k, dim=-1)  # sorted, descending
        logp = vals.log_softmax(-1)
        if p.top_p is not None and p.top_p < 1.0:
            probs = logp.exp()
            # drop a candidate once the ones before it already hold top_p of the mass (the first always stays)
            drop = (probs.cumsum(-1) - probs) > p.top_p
            logp = logp.masked_fill(drop, float("-inf"))
        u = torch.stack([torch.rand(k, generator=r.gen) for r in rows]).to(logp.device)
        gumbel = -torch.log(-torch.log(u.clamp(1e-12, 1 - 1e-7)))
        pick = (logp + gumbel).argmax(-1, keepdim=True)
        return idx.gather(-1, pick).squeeze(-1)

    def _stop_hit(self, row: _Row) -> bool:
        tail = self.tokenizer.decode(row.tokens[-12:], skip_special_tokens=True)
        return find_stop(tail, self.stop_sequences) >= 0

    def _finish(self, row: _Row, reason: str) -> Completion:
        row.done = True
        text = self.tokenizer.decode(row.tokens, skip_special_tokens=True)
        if reason == "stop_sequence":
            text = text[: find_stop(text, self.stop_sequences)]
        return Completion(row.key, text.strip(), reason, len(row.tokens) + (reason == "eos"), list(row.tokens))

    @staticmethod
    def _trim_padding(cache, mask: torch.Tensor) -> torch.Tensor:
        """Cut leading cache columns that are padding for every remaining row."""
        used = mask.any(0).nonzero()
        first = int(used[0]) if len(used) else 0
        if first < 8:
            return mask
        layers = getattr(cache, "layers", [])
        if not layers or not all(hasattr(layer, "drop_leading") for layer in layers):
            return mask  # transformers' own layers: leave them alone
        for layer in layers:
            layer.drop_leading(first)
        return mask[:, first:]
