"""Shared-prefix ("cascade") attention for decoding many answers to the same few prompts.

Every repetition of a scenario shares its prompt, often hundreds of tokens (the chain-of-thought
examples). A plain KV cache stores and reads that prompt once per row; here it is stored once per
*prompt*. A decode step computes attention in two parts: queries of all rows of a prompt against that
prompt's keys (one matmul per run of consecutive prompts, their rows padded to the run's largest group), and each
row's query against its own generated tokens; the two softmax parts are merged exactly with their log-sum-exp
statistics.

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
    """Per layer: one prompt cache per prompt (keys transposed, [P, H, D, Lp]; values [P, H, Lp, D]), and a
    preallocated per-row suffix [B, H, cap, D];
    ``window``: the layer's sliding window (None: full attention). The whole prompt is kept either way."""

    def __new__(cls, state: SharedPrefixState, capacity: int, window: int | None = None):
        from transformers.cache_utils import DynamicLayer

        class Layer(DynamicLayer):
            def __init__(self):
                super().__init__()
                self.state, self.capacity, self.length, self.window = state, capacity, 0, window
                self.prefix_kt = self.prefix_v = self._k = self._v = None

            def update(self, key_states, value_states, *args, **kwargs):
                if self.prefix_kt is None:  # the prompt encoding: batch = distinct prompts
                    # stored once in the layout the decode matmuls read (keys transposed), not copied every step
                    self.prefix_kt = key_states.transpose(-1, -2).contiguous()
                    self.prefix_v = value_states.contiguous()
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
                return (0 if self.prefix_kt is None else self.prefix_kt.shape[-1]) + self.length

            def batch_select_indices(self, indices):
                if self._k is not None:
                    self._k = select_rows(self._k, indices, self.length)
                    self._v = select_rows(self._v, indices, self.length)

        return Layer()


def select_rows(buffer: torch.Tensor, indices: torch.Tensor, used: int) -> torch.Tensor:
    """``buffer[indices]`` for a preallocated [rows, heads, capacity, dim] cache, copying only the ``used`` columns:
    rows leave the batch at most steps, and copying the unwritten capacity too cost more than the step's attention.
    Fewer rows are kept in place, at the front of the same buffer, and only rows from the first one that moves are
    copied; more (a prompt's cache copied to each of its answers) get a new buffer."""
    n = len(indices)
    if n > buffer.shape[0]:
        out = buffer.new_empty((n, *buffer.shape[1:]))
        out[:, :, :used] = buffer[:, :, :used].index_select(0, indices)
        return out
    moved = (indices != torch.arange(n, device=indices.device)).nonzero()
    if len(moved):  # rows before the first one that moves are in place already
        first = int(moved[0])
        buffer[first:n, :, :used] = buffer[:, :, :used].index_select(0, indices[first:])
    return buffer[:n]


#: Cost of one extra matmul call in the prompt part, in padded rows: where a call costs more than this many rows of
#: wasted work, neighbouring prompts share one matmul, padded to their largest group. On a CPU a batched matmul call
#: costs about 30 us and a padded row's scores and weighted sum about 15 us (SmolLM2, 300-token prompts); elsewhere a
#: kernel launch costs more than any padding, and every prompt goes into one matmul.
CPU_CALL_ROWS = 4
DEVICE_CALL_ROWS = float("inf")


class SharedPrefixState:
    """Which prompt each row belongs to. Rows are grouped in ascending prompt order, as the engine keeps them.

    The prompt part of attention runs as a few matmuls, each over a run of consecutive prompts with its rows padded to
    the run's largest group: ``runs`` is chosen after every change of rows so that calls plus padded rows cost least
    (``call_rows``: the cost of a call in rows). Any split gives every row the same values (the SmolLM2 experiment's
    1,280 answers are the same with one matmul per prompt or with these runs)."""

    def __init__(self, row_prompt: torch.Tensor, prefix_mask: torch.Tensor, call_rows: float | None = None):
        self.prefix_valid = prefix_mask.bool()  # [P, Lp]
        self.num_prompts = prefix_mask.shape[0]
        if call_rows is None:
            call_rows = CPU_CALL_ROWS if row_prompt.device.type == "cpu" else DEVICE_CALL_ROWS
        self.call_rows = call_rows
        # left padding (the engine's): each prompt's invalid columns are its first ``lead`` ones
        lead = (~self.prefix_valid).int().cumprod(1).sum(1)
        self.lead = lead.tolist() if bool((lead + self.prefix_valid.sum(1) == prefix_mask.shape[1]).all()) else None
        self.set_rows(row_prompt)

    def set_rows(self, row_prompt: torch.Tensor) -> None:
        self.row_prompt = row_prompt
        counts = torch.bincount(row_prompt, minlength=self.num_prompts).tolist()
        self.runs = [PromptRun(first, end, counts, row_prompt.device) for first, end in
                     plan_runs(counts, self.call_rows)]

    def select(self, indices: torch.Tensor) -> None:
        self.set_rows(self.row_prompt[indices])


def plan_runs(counts: list[int], call_rows: float) -> list[tuple[int, int]]:
    """Split prompts ``0..P-1`` into runs ``[first, end)`` of consecutive prompts that minimise ``call_rows`` per run
    plus the rows of each run's grid (its prompts times its largest group), by dynamic programming over the run's
    end. A run never starts or ends on a prompt without rows."""
    if call_rows == float("inf"):
        live = [p for p, c in enumerate(counts) if c]
        return [(live[0], live[-1] + 1)] if live else []
    n = len(counts)
    best, cut = [0.0] * (n + 1), [0] * (n + 1)
    for end in range(1, n + 1):
        if not counts[end - 1]:  # a prompt without rows ends nothing: carry the best split so far
            best[end], cut[end] = best[end - 1], -1
            continue
        best[end], largest, live = float("inf"), 0, 0
        for first in range(end - 1, -1, -1):
            largest, live = max(largest, counts[first]), live + counts[first]
            cost = best[first] + call_rows + (end - first) * largest
            if cost < best[end]:
                best[end], cut[end] = cost, first
            if (end - first) * largest - live > best[end]:  # its padding alone costs more, and grows to the left
                break
    runs, end = [], n
    while end > 0:
        if cut[end] < 0:
            end -= 1
            continue
        runs.append((cut[end], end))
        end = cut[end]
    runs.reverse()
    return runs


class PromptRun:
    """Prompts ``[first, end)``, their rows ``[lo, hi)`` of the batch, ``slots`` rows per prompt (the largest group),
    and where each row sits in the [prompts x slots] grid (None: every prompt has ``slots`` rows, no padding)."""

    def __init__(self, first: int, end: int, counts: list[int], device):
        self.first, self.end = first, end
        self.lo, self.hi = sum(counts[:first]), sum(counts[:end])
        mine = counts[first:end]
        self.slots = max(mine)
        self.slot = None
        if any(c != self.slots for c in mine):
            self.slot = torch.tensor([i * self.slots + r for i, c in enumerate(mine) for r in range(c)], device=device)


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
    prefix_kt, prefix_v, prefix_valid = layer.prefix_kt, layer.prefix_v, state.prefix_valid
    start = 0
    if layer.window is not None:  # the query sits in column Lp + S - 1: columns >= Lp + S - window are visible
        lp, s = prefix_kt.shape[-1], key.shape[-2]
        start = max(0, lp + s - layer.window)
        prefix_kt, prefix_v, prefix_valid = prefix_kt[..., start:], prefix_v[:, :, start:], prefix_valid[:, start:]
        key, value = key[:, :, max(0, s - layer.window):], value[:, :, max(0, s - layer.window):]
    # part 2: each row against its own generated tokens (no padding: all rows started together)
    m2, l2, o2 = _softmax_parts(torch.matmul(q, key.transpose(-1, -2)), scale, value, lambda e, v: e @ v)
    if prefix_kt.shape[-1] == 0:  # the window lies within the generated tokens
        return (o2 / l2).reshape(b, hq, 1, d).transpose(1, 2).to(query.dtype).contiguous(), None
    # part 1: every row's query against its prompt, the prompt's keys read once for all of its rows
    m1, l1, o1 = _prompt_part(q, prefix_kt, prefix_v, prefix_valid, state, start, scale)
    m = torch.maximum(m1, m2)
    a1, a2 = torch.exp(m1 - m), torch.exp(m2 - m)
    out = (o1 * a1 + o2 * a2) / (l1 * a1 + l2 * a2)  # [B, Hkv, g, D]
    return out.reshape(b, hq, 1, d).transpose(1, 2).to(query.dtype).contiguous(), None


def _softmax_parts(scores: torch.Tensor, scale: float | None, value, weigh):
    """Max, sum and value-weighted sum of ``exp(scores * scale - max)`` over the last dim (masked scores are -inf
    already), in float32, computed in place on ``scores``; ``weigh(e, value)`` multiplies the weights by the
    values."""
    s = scores.float()
    if scale is not None:
        s.mul_(scale)
    m = s.amax(-1, keepdim=True)
    e = s.sub_(m).exp_()
    return m, e.sum(-1, keepdim=True), weigh(e.to(value.dtype), value).float()


def _prompt_part(q, prefix_kt, prefix_v, prefix_valid, state, start, scale):
    """Part 1 as one matmul per run of prompts over a [prompts, Hkv, slots*g, Lp] grid (rows padded to the run's
    largest group), the scores of every run in one buffer for one softmax pass; returns [B, Hkv, g, X]."""
    _, hkv, g, _ = q.shape
    lp = prefix_kt.shape[-1]
    shapes = [(run.end - run.first, hkv, run.slots * g) for run in state.runs]
    sizes = [math.prod(shape) for shape in shapes]
    scores = q.new_empty((sum(sizes), lp))
    for run, shape, part in zip(state.runs, shapes, scores.split(sizes)):
        part = part.view(*shape, lp)
        torch.matmul(_grid(q, run), prefix_kt[run.first:run.end], out=part)
        if state.lead is None:
            part.masked_fill_(~prefix_valid[run.first:run.end, None, None, :], float("-inf"))
        else:  # left padding (the engine's): a slice per prompt, not a pass over every score
            for i, lead in enumerate(state.lead[run.first:run.end]):
                if lead > start:
                    part[i, :, :, :lead - start] = float("-inf")

    def weigh(e, v):
        out = e.new_empty((e.shape[0], v.shape[-1]))
        for run, shape, e_run, o_run in zip(state.runs, shapes, e.split(sizes), out.split(sizes)):
            torch.matmul(e_run.view(*shape, lp), v[run.first:run.end], out=o_run.view(*shape, v.shape[-1]))
        return out

    parts = _softmax_parts(scores, scale, prefix_v, weigh)  # [rows of every grid, X]
    return tuple(_ungrid(t, state.runs, sizes, g) for t in parts)


def _grid(q: torch.Tensor, run: PromptRun) -> torch.Tensor:
    """The run's rows of ``q`` [B, Hkv, g, D] as [prompts, Hkv, slots*g, D], padded rows zero."""
    _, hkv, g, d = q.shape
    n, rows = run.end - run.first, q[run.lo:run.hi]
    if run.slot is not None:
        grid = q.new_zeros((n * run.slots, hkv, g, d))
        grid[run.slot] = rows
        rows = grid
    return rows.view(n, run.slots, hkv, g, d).transpose(1, 2).reshape(n, hkv, run.slots * g, d)


def _ungrid(t: torch.Tensor, runs: list[PromptRun], sizes: list[int], g: int) -> torch.Tensor:
    """[rows of every grid, X] back to the batch's rows, [B, Hkv, g, X]."""
    out = []
    for run, part in zip(runs, t.split(sizes)):
        n, x = run.end - run.first, part.shape[-1]
        part = part.view(n, -1, run.slots, g, x).transpose(1, 2)
        part = part.reshape(n * run.slots, part.shape[2], g, x)
        out.append(part if run.slot is None else part[run.slot])
    return out[0] if len(out) == 1 else torch.cat(out)
