"""Shared-prefix ("cascade") attention for decoding many answers to the same few prompts.

Every repetition of a scenario shares its prompt, often hundreds of tokens (the chain-of-thought
examples). A plain KV cache stores and reads that prompt once per row; here it is stored once per
*prompt*. A decode step computes attention in two parts: queries of all rows of a prompt against that
prompt's keys (one matmul per prompt group, padded to the largest group), and each row's query against
its own generated tokens; the two softmax parts are merged exactly with their log-sum-exp statistics.

Sliding-window layers (Gemma 2/3, Mistral, Qwen2 with ``use_sliding_window``) keep the whole prompt in the cache
but attend only to transformers' window: cache column ``c`` is visible from query column ``q`` iff
``c > q - window``. Every row of a batch starts decoding together, so its query sits in the same column (prompt
width + generated tokens - 1) and one cut serves every row; with left padding, columns differ from positions by
the same offset for query and keys, so the window is the model's own.

It plugs into transformers through the public ``AttentionInterface``/``AttentionMaskInterface``
registries; the prompt is encoded by transformers' own SDPA attention.
"""

from __future__ import annotations

import math

import torch

NAME = "tomlab_shared_prefix"
_registered = False


def register() -> None:
    global _registered
    if _registered:
        return
    from transformers import AttentionInterface
    from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, sdpa_mask

    AttentionInterface.register(NAME, shared_prefix_attention)
    ALL_MASK_ATTENTION_FUNCTIONS.register(NAME, sdpa_mask)
    _registered = True


#: The layer types this attention reproduces (chunked or linear attention layers are left to transformers).
LAYER_TYPES = frozenset({"full_attention", "sliding_attention"})


def supported(model) -> bool:
    """Full or sliding-window attention with rotary/learned positions: no ALiBi, softcapping or other layer types."""
    cfg = model.config
    if len(set(getattr(model, "hf_device_map", {"": 0}).values())) > 1:
        return False  # layers spread over devices (--device_map auto): keep transformers' own cache
    if getattr(cfg, "alibi", False) or getattr(cfg, "use_alibi", False) or getattr(cfg, "attn_logit_softcapping", None):
        return False
    if not set(getattr(cfg, "layer_types", None) or ()) <= LAYER_TYPES:
        return False
    return bool(getattr(model, "_supports_attention_backend", False)) and cfg._attn_implementation in ("sdpa", NAME)


def layer_window(config, layer_idx: int) -> int | None:
    """A layer's sliding window as transformers' masks apply it, or None for full attention: with ``layer_types``,
    the window of the ``sliding_attention`` layers; without (Mistral), ``sliding_window`` for every layer."""
    window = getattr(config, "sliding_window", None)
    types = getattr(config, "layer_types", None)
    if not window or (types and types[layer_idx] != "sliding_attention"):
        return None
    return int(window)


class SharedPrefixLayer:
    """Per layer: one prompt cache per prompt [P, H, Lp, D], and a preallocated per-row suffix [B, H, cap, D];
    ``window``: the layer's sliding window (None: full attention). The whole prompt is kept either way."""

    def __new__(cls, state: SharedPrefixState, capacity: int, window: int | None = None):
        from transformers.cache_utils import DynamicLayer

        class Layer(DynamicLayer):
            def __init__(self):
                super().__init__()
                self.state, self.capacity, self.length, self.window = state, capacity, 0, window
                self.prefix_k = self.prefix_v = self._k = self._v = None

            def update(self, key_states, value_states, *args, **kwargs):
                if self.prefix_k is None:  # the prompt encoding: batch = distinct prompts
                    self.prefix_k, self.prefix_v = key_states, value_states
                    self.is_initialized = True
                    self.device = key_states.device
                    self.keys, self.values = key_states, value_states
                    return key_states, value_states
                b, h, n, d = key_states.shape
                if self._k is None:
                    self._k = key_states.new_empty((b, h, self.capacity, d))
                    self._v = value_states.new_empty((b, h, self.capacity, value_states.shape[-1]))
                self._k[:, :, self.length:self.length + n] = key_states
                self._v[:, :, self.length:self.length + n] = value_states
                self.length += n
                return self._k[:, :, :self.length], self._v[:, :, :self.length]

            def get_seq_length(self):
                return (0 if self.prefix_k is None else self.prefix_k.shape[-2]) + self.length

            def batch_select_indices(self, indices):
                if self._k is not None:
                    self._k = select_rows(self._k, indices, self.length)
                    self._v = select_rows(self._v, indices, self.length)

        return Layer()


def select_rows(buffer: torch.Tensor, indices: torch.Tensor, used: int) -> torch.Tensor:
    """``buffer[indices]`` for a preallocated [rows, heads, capacity, dim] cache, copying only the ``used`` columns:
    rows leave the batch at most steps, and copying the unwritten capacity too cost more than the step's attention.
    Fewer rows are kept in place, at the front of the same buffer; more (a prompt's cache copied to each of its
    answers) get a new buffer."""
    n = len(indices)
    rows = buffer[:, :, :used].index_select(0, indices)
    if n > buffer.shape[0]:
        out = buffer.new_empty((n, *buffer.shape[1:]))
        out[:, :, :used] = rows
        return out
    buffer[:n, :, :used] = rows
    return buffer[:n]


class SharedPrefixState:
    """Which prompt each row belongs to. Rows are grouped in ascending prompt order, as the engine keeps them.

    ``per_prompt``: the prompt part of attention as one matmul per live prompt over exactly its rows (on a CPU, where
    a call costs microseconds); otherwise one matmul over a [prompts x largest group] grid, padded, for devices where
    a kernel launch per prompt costs more than the padding. Both round every row the same."""

    def __init__(self, row_prompt: torch.Tensor, prefix_mask: torch.Tensor):
        self.prefix_valid = prefix_mask.bool()  # [P, Lp]
        self.num_prompts = prefix_mask.shape[0]
        self.per_prompt = row_prompt.device.type == "cpu"
        # left padding (the engine's): each prompt's invalid columns are its first ``lead`` ones
        lead = (~self.prefix_valid).int().cumprod(1).sum(1)
        self.lead = lead.tolist() if bool((lead + self.prefix_valid.sum(1) == prefix_mask.shape[1]).all()) else None
        self.set_rows(row_prompt)

    def set_rows(self, row_prompt: torch.Tensor) -> None:
        self.row_prompt = row_prompt
        counts = torch.bincount(row_prompt, minlength=self.num_prompts)
        ends = torch.cumsum(counts, 0)
        if self.per_prompt:  # (prompt, first row, end row) of every prompt that still has rows
            self.ranges = [(p, e - c, e) for p, (c, e) in enumerate(zip(counts.tolist(), ends.tolist())) if c]
            if self.lead is None:
                self.row_invalid = ~self.prefix_valid.index_select(0, row_prompt)  # [B, Lp]
            return
        self.group = int(counts.max()) if len(row_prompt) else 1
        rank = torch.arange(len(row_prompt), device=row_prompt.device) - (ends - counts)[row_prompt]
        self.slot = row_prompt * self.group + rank  # position in the flattened [P, group] grid

    def select(self, indices: torch.Tensor) -> None:
        self.set_rows(self.row_prompt[indices])


def make_shared_prefix_cache(model, row_prompt: torch.Tensor, prefix_mask: torch.Tensor, capacity: int):
    from transformers import DynamicCache

    state = SharedPrefixState(row_prompt, prefix_mask)
    cache = DynamicCache(config=model.config)
    cache.layers = [SharedPrefixLayer(state, capacity, layer_window(model.config, i))
                    for i in range(len(cache.layers))]
    cache.prefix_state = state
    return cache


def shared_prefix_attention(module, query, key, value, attention_mask, scaling=None, dropout=0.0, **kwargs):
    """Decode step (one query token per row) against [shared prompt] + [own suffix]; prefill goes to SDPA."""
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    state = kwargs.get("prefix_state")
    if state is None or query.shape[2] != 1 or query.shape[0] != len(state.row_prompt):
        return sdpa_attention_forward(module, query, key, value, attention_mask, scaling=scaling, dropout=dropout,
                                      **kwargs)
    layer = kwargs["prefix_cache"].layers[module.layer_idx]
    b, hq, _, d = query.shape
    hkv = key.shape[1]
    g = hq // hkv
    scale = scaling if scaling is not None else d ** -0.5
    q = query.reshape(b, hkv, g, d)
    if math.frexp(scale)[0] == 0.5:  # a power of two scales exactly: once on the query, not on every score
        q, scale = q * scale, None
    prefix_k, prefix_v, prefix_valid = layer.prefix_k, layer.prefix_v, state.prefix_valid
    start = 0
    if layer.window is not None:  # the query sits in column Lp + S - 1: columns >= Lp + S - window are visible
        lp, s = prefix_k.shape[-2], key.shape[-2]
        start = max(0, lp + s - layer.window)
        prefix_k, prefix_v, prefix_valid = prefix_k[:, :, start:], prefix_v[:, :, start:], prefix_valid[:, start:]
        key, value = key[:, :, max(0, s - layer.window):], value[:, :, max(0, s - layer.window):]
    # part 2: each row against its own generated tokens (no padding: all rows started together)
    m2, l2, o2 = _softmax_parts(torch.matmul(q, key.transpose(-1, -2)), scale, None, value, lambda e, v: e @ v)
    if prefix_k.shape[-2] == 0:  # the window lies within the generated tokens
        return (o2 / l2).reshape(b, hq, 1, d).transpose(1, 2).to(query.dtype).contiguous(), None
    # part 1: every row's query against its prompt, the prompt's keys read once for all of its rows
    if state.per_prompt:
        m1, l1, o1 = _prompt_part_per_prompt(q, prefix_k, prefix_v, state, start, scale)
    else:
        m1, l1, o1 = _prompt_part_grid(q, prefix_k, prefix_v, prefix_valid, state, scale)
    m = torch.maximum(m1, m2)
    a1, a2 = torch.exp(m1 - m), torch.exp(m2 - m)
    out = (o1 * a1 + o2 * a2) / (l1 * a1 + l2 * a2)  # [B, Hkv, g, D]
    return out.reshape(b, hq, 1, d).transpose(1, 2).to(query.dtype).contiguous(), None


def _softmax_parts(scores: torch.Tensor, scale: float | None, invalid: torch.Tensor | None, value, weigh):
    """Max, sum and value-weighted sum of ``exp(scores * scale - max)`` over the last dim (``invalid`` entries
    excluded), in float32, computed in place on ``scores``; ``weigh(e, value)`` multiplies the weights by the
    values."""
    s = scores.float()
    if scale is not None:
        s.mul_(scale)
    if invalid is not None:
        s.masked_fill_(invalid, float("-inf"))
    m = s.amax(-1, keepdim=True)
    e = s.sub_(m).exp_()
    return m, e.sum(-1, keepdim=True), weigh(e.to(value.dtype), value).float()


def _prompt_part_per_prompt(q, prefix_k, prefix_v, state, start, scale):
    """Part 1 as [Hkv, rows*g, Lp] scores, one matmul per live prompt over its own rows; returns [B, Hkv, g, X]."""
    b, hkv, g, d = q.shape
    lp = prefix_k.shape[-2]
    qh = q.transpose(0, 1).reshape(hkv, b * g, d)
    scores = q.new_empty((hkv, b * g, lp))
    for p, lo, hi in state.ranges:
        torch.matmul(qh[:, lo * g:hi * g], prefix_k[p].transpose(-1, -2), out=scores[:, lo * g:hi * g])
        if state.lead is not None and state.lead[p] > start:  # its padding: a slice, not a pass over every score
            scores[:, lo * g:hi * g, :state.lead[p] - start] = float("-inf")
    invalid = None if state.lead is not None else state.row_invalid[None, :, None, start:]

    def weigh(e, v):  # e: [Hkv, B, g, Lp]
        e, out = e.view(hkv, b * g, lp), e.new_empty((hkv, b * g, v.shape[-1]))
        for p, lo, hi in state.ranges:
            torch.matmul(e[:, lo * g:hi * g], v[p], out=out[:, lo * g:hi * g])
        return out.view(hkv, b, g, -1)

    parts = _softmax_parts(scores.view(hkv, b, g, lp), scale, invalid, prefix_v, weigh)
    return tuple(t.transpose(0, 1) for t in parts)


def _prompt_part_grid(q, prefix_k, prefix_v, prefix_valid, state, scale):
    """Part 1 over a [P, Hkv, group*g, Lp] grid: one batched matmul, rows padded to the largest group."""
    b, hkv, g, d = q.shape
    p, slots = state.num_prompts, state.group
    grid = q.new_zeros((p * slots, hkv, g, d))
    grid[state.slot] = q
    grid = grid.view(p, slots, hkv, g, d).permute(0, 2, 1, 3, 4).reshape(p, hkv, slots * g, d)
    invalid = ~prefix_valid[:, None, None, :]
    parts = _softmax_parts(torch.matmul(grid, prefix_k.transpose(-1, -2)), scale, invalid, prefix_v,
                           lambda e, v: torch.matmul(e, v))

    def rows(t):  # [P, Hkv, slots*g, X] -> [B, Hkv, g, X]
        x = t.shape[-1]
        t = t.view(p, hkv, slots, g, x).permute(0, 2, 1, 3, 4).reshape(p * slots, hkv, g, x)
        return t[state.slot]

    return tuple(rows(t) for t in parts)
