"""Shared-prefix ("cascade") attention for decoding many answers to the same few prompts.

Every repetition of a scenario shares its prompt, often hundreds of tokens (the chain-of-thought
examples). A plain KV cache stores and reads that prompt once per row; here it is stored once per
*prompt*. A decode step computes attention in two parts: queries of all rows of a prompt against that
prompt's keys (one matmul per run of consecutive prompts, their rows padded to the run's largest group), and each
row's query against its own generated tokens; the two softmax parts are merged exactly with their log-sum-exp
statistics. Prompts of very different lengths are encoded in segments, each at its own width (``plan_segments``);
the prompt part reads each segment's own columns. Finished rows leave the batch at once but keep their place in the
rows' own cache until a fifth of its rows have finished (``COMPACT_SHARE``), then it is compacted in one copy.

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
    """Per layer: one prompt cache per prompt, stored per segment (keys transposed, [P_s, H, D, W_s]; values
    [P_s, H, W_s, D]), and a preallocated per-row suffix [B, H, cap, D]. Each segment's prompts are encoded by one
    forward call, in segment order; the calls after the last one are decode steps.
    ``window``: the layer's sliding window (None: full attention). The whole prompt is kept either way."""

    def __new__(cls, state: SharedPrefixState, capacity: int, window: int | None = None):
        from transformers.cache_utils import DynamicLayer

        class Layer(DynamicLayer):
            def __init__(self):
                super().__init__()
                self.state, self.capacity, self.length, self.window = state, capacity, 0, window
                self.prefix_kt, self.prefix_v = [], []  # per segment
                self._k = self._v = None

            def encoding(self) -> bool:
                return len(self.prefix_kt) < len(self.state.segments)

            def update(self, key_states, value_states, *args, **kwargs):
                if self.encoding():  # a segment's prompt encoding: batch = its distinct prompts
                    # stored once in the layout the decode matmuls read (keys transposed), not copied every step
                    self.prefix_kt.append(key_states.transpose(-1, -2).contiguous())
                    self.prefix_v.append(value_states.contiguous())
                    self.is_initialized = True
                    self.device = key_states.device
                    return key_states, value_states
                b, h, n, d = key_states.shape
                if self._k is None:
                    rows = self.state.buffer_rows
                    self._k = key_states.new_empty((rows, h, self.capacity, d))
                    self._v = value_states.new_empty((rows, h, self.capacity, value_states.shape[-1]))
                slots = self.state.slots
                if slots is None:  # row i of the batch is row i of the buffer
                    self._k[:b, :, self.length:self.length + n] = key_states
                    self._v[:b, :, self.length:self.length + n] = value_states
                else:
                    self._k[slots, :, self.length:self.length + n] = key_states
                    self._v[slots, :, self.length:self.length + n] = value_states
                self.length += n
                rows = self.state.buffer_rows
                return self._k[:rows, :, :self.length], self._v[:rows, :, :self.length]

            def get_seq_length(self):
                if self.encoding():  # each segment is encoded on its own, from position 0
                    return 0
                return max(segment.width for segment in self.state.segments) + self.length

            def batch_select_indices(self, indices):
                """Compact the suffix cache if the state's ``select`` of the same rows (called first) decided to."""
                if self._k is not None and self.state.kept is not None:
                    self._k = select_rows(self._k, self.state.kept, self.length)
                    self._v = select_rows(self._v, self.state.kept, self.length)

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


#: A prompt at most this fraction as long as the widest prompt of its segment starts a new segment. Each segment is
#: encoded at its own width and its prompt part reads only its own columns: one batch can then hold prompts of very
#: different lengths (the 300-token two-shot prompts beside 90-token plain ones) without padding the short ones'
#: scores, softmax and weighted sums to the long ones' width. Prompts of similar lengths share one segment, where the
#: padding costs less than the extra calls.
SEGMENT_SHRINK = 0.5


def plan_segments(lengths: list[int], shrink: float = SEGMENT_SHRINK) -> list[tuple[int, int]]:
    """Split prompts (in batch order, longest first as the engine sorts them) into segments ``[first, end)``: a
    prompt at most ``shrink`` times as long as its segment's widest prompt starts a new one."""
    segments, first, widest = [], 0, 0
    for i, n in enumerate(lengths):
        if i > first and n <= shrink * widest:
            segments.append((first, i))
            first, widest = i, 0
        widest = max(widest, n)
    if lengths:
        segments.append((first, len(lengths)))
    return segments


class PromptSegment:
    """Prompts ``[first, end)`` of the batch, encoded together at ``width`` columns: ``valid`` [prompts, width] marks
    their tokens; ``lead`` lists each one's leading padding columns where the padding is on the left (the engine's),
    else None."""

    def __init__(self, first: int, mask: torch.Tensor):
        self.first, self.end = first, first + mask.shape[0]
        self.valid = mask.bool()
        self.width = mask.shape[1]
        lead = (~self.valid).int().cumprod(1).sum(1)
        self.lead = lead.tolist() if bool((lead + self.valid.sum(1) == self.width).all()) else None


#: The rows' own keys and values (the suffix cache) are compacted once the batch's rows fall to this share of the
#: buffer's rows; until then a finished row keeps its place (its query zero, its result dropped). Compacting copies
#: every row after the first one that moves, and some row finishes at most steps: copying then cost as much as the
#: next step's attention (the SmolLM2 experiment: 13.6 s of 266 s when compacting after every finished row).
COMPACT_SHARE = 0.8


class SharedPrefixState:
    """Which prompt each row belongs to. Rows are grouped in ascending prompt order, as the engine keeps them.
    ``slots``: each row's row in the suffix cache (None: the same), which holds ``buffer_rows`` rows; ``kept``: the
    buffer rows kept by the last ``select``'s compaction, for the cache layers to apply (None: no compaction).

    The prompt part of attention runs as a few matmuls, each over a run of consecutive prompts of one segment with
    its rows padded to the run's largest group: ``runs`` is chosen after every change of rows so that calls plus
    padded rows cost least (``call_rows``: the cost of a call in rows). Any split gives every row the same values (the
    SmolLM2 experiment's 1,280 answers are the same with one matmul per prompt or with these runs)."""

    def __init__(self, row_prompt: torch.Tensor, prefix_masks: list[torch.Tensor], call_rows: float | None = None):
        firsts = [0]
        for mask in prefix_masks:
            firsts.append(firsts[-1] + mask.shape[0])
        self.segments = [PromptSegment(first, mask) for first, mask in zip(firsts, prefix_masks)]
        self.num_prompts = firsts[-1]
        if call_rows is None:
            call_rows = CPU_CALL_ROWS if row_prompt.device.type == "cpu" else DEVICE_CALL_ROWS
        self.call_rows = call_rows
        self.slots, self.kept, self.buffer_rows = None, None, len(row_prompt)
        self.set_rows(row_prompt)

    def set_rows(self, row_prompt: torch.Tensor) -> None:
        """``runs``: per segment, its runs of prompts (numbered within the batch)."""
        self.row_prompt = row_prompt
        counts = torch.bincount(row_prompt, minlength=self.num_prompts).tolist()
        self.runs = [[PromptRun(seg.first + first, seg.first + end, counts, row_prompt.device)
                      for first, end in plan_runs(counts[seg.first:seg.end], self.call_rows)]
                     for seg in self.segments]

    def select(self, indices: torch.Tensor) -> None:
        """Keep rows ``indices`` (ascending); call before the cache's ``batch_select_indices``, which compacts."""
        slots = indices if self.slots is None else self.slots[indices]
        self.kept = None
        if len(slots) <= COMPACT_SHARE * self.buffer_rows:
            self.kept, slots = slots, torch.arange(len(slots), device=slots.device)
        self.buffer_rows = int(slots[-1]) + 1 if len(slots) else 0  # rows past the last live one: cut for free
        self.slots = None if self.buffer_rows == len(slots) else slots
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


#: Fewest rows per prompt in a run's grid: a prompt's queries form a [slots * g, D] matrix, and MKL's float32 batched
#: matmul computed other bits for one row (3 query rows for SmolLM2) than for two or more (checked up to 19), so a
#: prompt left with one answer is padded to two.
MIN_SLOTS = 2


class PromptRun:
    """Prompts ``[first, end)``, their rows ``[lo, hi)`` of the batch, ``slots`` rows per prompt (the largest group),
    and where each row sits in the [prompts x slots] grid (None: every prompt has ``slots`` rows, no padding)."""

    def __init__(self, first: int, end: int, counts: list[int], device):
        self.first, self.end = first, end
        self.lo, self.hi = sum(counts[:first]), sum(counts[:end])
        mine = counts[first:end]
        self.slots = max(*mine, MIN_SLOTS)
        self.slot = None
        if any(c != self.slots for c in mine):
            self.slot = torch.tensor([i * self.slots + r for i, c in enumerate(mine) for r in range(c)], device=device)


def make_shared_prefix_cache(model, row_prompt: torch.Tensor, prefix_mask, capacity: int):
    """A cache for rows ``row_prompt`` (each row's prompt) of prompts encoded in segments: ``prefix_mask`` is one
    [prompts, width] attention mask, or a list of them, one per segment in prompt order, each encoded by its own
    forward call before the first decode step."""
    from transformers import DynamicCache

    masks = [prefix_mask] if isinstance(prefix_mask, torch.Tensor) else list(prefix_mask)
    state = SharedPrefixState(row_prompt, masks)
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
    s = key.shape[-2]
    if layer.window is not None:
        key, value = key[:, :, max(0, s - layer.window):], value[:, :, max(0, s - layer.window):]
    # part 2: each row against its own generated tokens (no padding: all rows started together)
    if state.slots is None:
        m2, l2, o2 = _softmax_parts(torch.matmul(q, key.transpose(-1, -2)), scale, value, lambda e, v: e @ v)
    else:  # finished rows still hold their places in the suffix cache: zero queries there, results dropped
        qs = q.new_zeros((key.shape[0], *q.shape[1:])).index_copy_(0, state.slots, q)
        parts = _softmax_parts(torch.matmul(qs, key.transpose(-1, -2)), scale, value, lambda e, v: e @ v)
        m2, l2, o2 = (t.index_select(0, state.slots) for t in parts)
    # part 1: every row's query against its prompt, the prompt's keys read once for all of its rows
    starts = [_window_start(layer.window, seg.width, s) for seg in state.segments]
    if all(start >= seg.width for start, seg in zip(starts, state.segments)):  # the window lies past every prompt
        return (o2 / l2).reshape(b, hq, 1, d).transpose(1, 2).to(query.dtype).contiguous(), None
    parts = [_prompt_part(q, kt, v, seg, runs, start, scale) for kt, v, seg, runs, start in
             zip(layer.prefix_kt, layer.prefix_v, state.segments, state.runs, starts) if runs]
    m1, l1, o1 = (torch.cat(t) if len(t) > 1 else t[0] for t in zip(*parts))
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


def _window_start(window: int | None, width: int, generated: int) -> int:
    """The first prompt column a sliding-window layer still sees: the query sits in column width + generated - 1,
    columns >= width + generated - window are visible (0: the whole prompt, for full attention)."""
    return 0 if window is None else max(0, width + generated - window)


def _prompt_part(q, prefix_kt, prefix_v, seg: PromptSegment, runs: list[PromptRun], start: int, scale):
    """Part 1 for one segment's rows, as one matmul per run of prompts over a [prompts, Hkv, slots*g, W] grid (rows
    padded to the run's largest group), the scores of every run in one buffer for one softmax pass; returns max, sum
    and weighted values [rows, Hkv, g, X]. Columns before ``start`` are out of a sliding window."""
    _, hkv, g, _ = q.shape
    if start >= seg.width:  # the window lies past this segment's prompts: they add nothing
        lo, hi = runs[0].lo, runs[-1].hi
        m = q.new_full((hi - lo, hkv, g, 1), float("-inf"))
        return m, torch.zeros_like(m), q.new_zeros((hi - lo, hkv, g, prefix_v.shape[-1]))
    prefix_kt, prefix_v, valid = prefix_kt[..., start:], prefix_v[:, :, start:], seg.valid[:, start:]
    lp = prefix_kt.shape[-1]
    shapes = [(run.end - run.first, hkv, run.slots * g) for run in runs]
    sizes = [math.prod(shape) for shape in shapes]
    scores = q.new_empty((sum(sizes), lp))
    for run, shape, part in zip(runs, shapes, scores.split(sizes)):
        part = part.view(*shape, lp)
        first, end = run.first - seg.first, run.end - seg.first
        torch.matmul(_grid(q, run), prefix_kt[first:end], out=part)
        if seg.lead is None:
            part.masked_fill_(~valid[first:end, None, None, :], float("-inf"))
        else:  # left padding (the engine's): a slice per prompt, not a pass over every score
            for i, lead in enumerate(seg.lead[first:end]):
                if lead > start:
                    part[i, :, :, :lead - start] = float("-inf")

    def weigh(e, v):
        out = e.new_empty((e.shape[0], v.shape[-1]))
        for run, shape, e_run, o_run in zip(runs, shapes, e.split(sizes), out.split(sizes)):
            first, end = run.first - seg.first, run.end - seg.first
            torch.matmul(e_run.view(*shape, lp), v[first:end], out=o_run.view(*shape, v.shape[-1]))
        return out

    parts = _softmax_parts(scores, scale, prefix_v, weigh)  # [rows of every grid, X]
    return tuple(_ungrid(t, runs, sizes, g) for t in parts)


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
