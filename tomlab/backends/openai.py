"""Ask a model behind an OpenAI-compatible server (vLLM, TGI, llama.cpp, Ollama, ``transformers serve``, a hosted API)
with the in-process engine's interface: prompt groups in, one :class:`~tomlab.generation.Completion` per request out,
each as it finishes.

What is sent:

- One request per answer, carrying that answer's own seed (``seed``: the engine's per-answer seed from (run seed,
  prompting type, item, repetition)), so an answer is asked, retried and resumed on its own, and a server that
  ignores ``n`` (``transformers serve`` does) still gives every repetition.
- A raw prompt goes byte for byte to ``/completions`` as ``prompt``; with ``chat`` it goes to ``/chat/completions`` as
  the one user message, and the server applies the model's chat template (nothing is templated here).
- Greedy (temperature 0) sends ``temperature: 0`` alone; sampling sends ``temperature``, ``top_p`` and, when above 0,
  ``top_k``, a field outside OpenAI's schema (vLLM, TGI and llama.cpp take it; OpenAI's API and
  ``transformers serve`` refuse it: pass ``--top_k 0`` there). ``max_tokens`` is the engine's max new tokens,
  ``stop`` its stop sequences (:data:`tomlab.schema.STOP_SEQUENCES`).

What comes back, as the engine would store it: the text cut at the first stop sequence (for a server that returns
it, as ``transformers serve`` does) and stripped; ``finish_reason`` ``length``, ``stop_sequence`` (a stop sequence
was in the text, or vLLM's ``stop_reason`` names one), ``eos`` (vLLM's ``stop_reason`` says the model ended),
``stop`` (the server stopped at the model's end token or at a stop sequence it removed, without saying which), or
the server's own word for anything else (``content_filter``); ``new_tokens`` from ``usage.completion_tokens``.

Failures: HTTP 408, 429 and 5xx, a lost connection and a timeout are retried ``max_retries`` times with exponential
backoff (the server's ``Retry-After`` where it gives one); any other refusal, and a request still failing after its
retries, is one :class:`ToMLabError` line. Up to ``max_concurrency`` requests are in flight, on daemon threads: a run
that fails or is interrupted sends nothing more and never waits for the requests in flight.

The HTTP client is ``httpx2`` (a dependency of huggingface_hub; pinned in the ``serve`` extra), imported lazily.
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import random
import threading
import time
from collections.abc import Hashable, Iterable, Sequence
from urllib.parse import urlsplit

from ..errors import ToMLabError
from ..generation import Completion, PromptGroup, SamplingParams, find_stop
from ..schema import STOP_SEQUENCES

#: The first retry waits about this long (seconds), each further one twice as long, never more than BACKOFF_CAP_S.
BACKOFF_BASE_S = 1.0
BACKOFF_CAP_S = 60.0
#: How many of the served models an error about a wrong ``--model`` lists.
MAX_LISTED_MODELS = 20
#: How much of a server's error message (or of an answer that is not OpenAI's) an error line quotes.
MAX_QUOTED_CHARS = 300


def retryable(status: int) -> bool:
    """HTTP statuses worth another try: request timeout, rate limit, server errors and overload."""
    return status in (408, 429) or status >= 500


def backoff_delay(attempt: int, retry_after: float | None = None, base: float = BACKOFF_BASE_S,
                  cap: float = BACKOFF_CAP_S, jitter: float = 1.0) -> float:
    """Seconds to wait before retry ``attempt`` (0 = the first): the server's ``Retry-After`` where it gives one,
    else ``base`` x 2^attempt scaled by ``jitter`` (drawn in [0.5, 1] so concurrent requests do not retry in step);
    never more than ``cap``."""
    if retry_after is not None:
        return min(max(retry_after, 0.0), cap)
    return min(cap, base * 2 ** attempt) * jitter


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds (the HTTP-date form is rare for APIs and read as absent)."""
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def normalize_api_base(url: str) -> str:
    """The API's base URL without a trailing slash; a URL without a path gets ``/v1`` (``http://host:8000``)."""
    text = (url or "").strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ToMLabError(f"--api_base {url!r}: give the server's URL, e.g. http://127.0.0.1:8000/v1")
    text = text.rstrip("/")
    return text if parts.path.strip("/") else text + "/v1"


def read_api_key(env_var: str | None) -> str | None:
    """The API key from the environment variable named by ``--api_key_env`` (never a flag, never written down)."""
    if env_var is None:
        return None
    key = os.environ.get(env_var, "").strip()
    if not key:
        raise ToMLabError(f"--api_key_env {env_var}: no such environment variable is set (export {env_var}=...)")
    return key


def server_message(response) -> str:
    """The readable part of an error answer: OpenAI's ``error.message``, FastAPI's ``detail``, or the text."""
    try:
        body = response.json()
    except ValueError:
        text = response.text
    else:
        found = body.get("error", body.get("detail", body)) if isinstance(body, dict) else body
        if isinstance(found, dict):
            found = found.get("message", found)
        text = found if isinstance(found, str) else json.dumps(found)
    return " ".join(str(text).split())[:MAX_QUOTED_CHARS] or "no message"


def _hint(status: int, message: str) -> str:
    if status in (401, 403):
        return "; name the environment variable holding the API key with --api_key_env"
    if status == 404:
        return "; is --api_base the API's base URL (most end in /v1)?"
    if "top_k" in message:
        return "; this server does not take top_k: pass --top_k 0"
    return ""


def to_completion(key: Hashable, choice: dict, text: str | None, usage: dict | None,
                  stop_sequences: Sequence[str] = STOP_SEQUENCES) -> Completion:
    """A server's answer (one ``choices[]`` entry, its text, the ``usage``) as the engine would have stored it."""
    text = text or ""
    cut = find_stop(text, stop_sequences)
    finish = choice.get("finish_reason")
    if cut >= 0:
        text, reason = text[:cut], "stop_sequence"
    elif finish == "length":
        reason = "length"
    elif finish not in (None, "stop"):
        reason = str(finish)
    elif "stop_reason" in choice:  # vLLM: the stop string or token that ended it, None for the model's end token
        reason = "stop_sequence" if isinstance(choice["stop_reason"], str) else "eos"
    else:
        reason = "stop"
    tokens = (usage or {}).get("completion_tokens")
    return Completion(key, text.strip(), reason, tokens if isinstance(tokens, int) else 0)


def _httpx():
    try:
        import httpx2
    except ImportError:
        raise ToMLabError("--backend openai needs the HTTP client httpx2: pip install -e '.[serve]'") from None
    return httpx2


class _Abandoned(Exception):
    """A request given up because the run is over (failed elsewhere or interrupted)."""


class OpenAIServer:
    """A model served at an OpenAI-compatible ``api_base``, checked on connection: the server must list ``model``
    under ``/models``. :meth:`generate` has the engine's interface."""

    def __init__(self, api_base: str, model: str, *, chat: bool = False, api_key: str | None = None,
                 max_concurrency: int = 8, request_timeout: float = 300.0, max_retries: int = 5,
                 stop_sequences: Sequence[str] = STOP_SEQUENCES, backoff_base: float = BACKOFF_BASE_S,
                 backoff_cap: float = BACKOFF_CAP_S):
        httpx = _httpx()
        self.api_base = normalize_api_base(api_base)
        self.model = model
        self.chat = chat
        self.max_concurrency = max(1, int(max_concurrency))
        self.request_timeout = float(request_timeout)
        self.max_retries = max(0, int(max_retries))
        self.stop_sequences = tuple(stop_sequences)
        self.backoff_base, self.backoff_cap = backoff_base, backoff_cap
        self._rng = random.Random()
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(headers=headers, timeout=self.request_timeout,
                                    limits=httpx.Limits(max_connections=self.max_concurrency,
                                                        max_keepalive_connections=self.max_concurrency))
        self.served = self._served_entry()

    @property
    def path(self) -> str:
        return "/chat/completions" if self.chat else "/completions"

    @property
    def identity(self) -> dict:
        """What a run key adds for a server: the API and the model. The URL is left out (a server restarted on another
        port, or another replica, continues the same run); the run block records it."""
        return {"kind": "openai", "api": "chat" if self.chat else "completions", "model": self.model}

    @property
    def run_info(self) -> dict:
        """What an answer file's run block records about the server (never the API key)."""
        return {"backend": "openai", "api_base": self.api_base, "endpoint": self.api_base + self.path,
                "server_model": self.served, "max_concurrency": self.max_concurrency,
                "request_timeout": self.request_timeout, "max_retries": self.max_retries}

    # -- the model check ------------------------------------------------------------------------------------------
    def _served_entry(self) -> dict:
        """The ``/models`` entry of ``model``; one error line naming what the server serves if it is not there."""
        data = self._request("GET", "/models", retry_unreachable=False)
        models = data.get("data") if isinstance(data, dict) else None
        if not isinstance(models, list):
            raise ToMLabError(f"{self.api_base}/models: not an OpenAI-compatible model list: "
                              f"{json.dumps(data)[:MAX_QUOTED_CHARS]}")
        entries = [m for m in models if isinstance(m, dict) and "id" in m]
        for entry in entries:
            if entry["id"] == self.model:
                return entry
        ids = [str(m["id"]) for m in entries]
        listed = ", ".join(ids[:MAX_LISTED_MODELS]) + (f" and {len(ids) - MAX_LISTED_MODELS} more"
                                                       if len(ids) > MAX_LISTED_MODELS else "")
        raise ToMLabError(f"--model {self.model}: the server at {self.api_base} does not serve it "
                          f"(it serves: {listed or 'no model'})")

    # -- one request ----------------------------------------------------------------------------------------------
    def request_body(self, prompt: str, seed: int, params: SamplingParams) -> dict:
        body: dict = {"model": self.model, "max_tokens": params.max_new_tokens, "stop": list(self.stop_sequences),
                      "seed": seed}
        if self.chat:
            body["messages"] = [{"role": "user", "content": prompt}]
        else:
            body["prompt"] = prompt
        if params.do_sample and params.temperature > 0:
            body.update(temperature=params.temperature, top_p=params.top_p)
            if params.top_k and params.top_k > 0:
                body["top_k"] = params.top_k
        else:
            body["temperature"] = 0.0
        return body

    def answer(self, prompt: str, key: Hashable, seed: int, params: SamplingParams,
               stop: threading.Event | None = None) -> Completion:
        """Ask for one answer (retried as the module says) and return it as the engine would."""
        data = self._request("POST", self.path, self.request_body(prompt, seed, params), stop=stop)
        try:
            choice = data["choices"][0]
            text = choice["message"]["content"] if self.chat else choice["text"]
        except (KeyError, IndexError, TypeError):
            raise ToMLabError(f"{self.api_base}{self.path}: not an OpenAI-compatible answer: "
                              f"{json.dumps(data)[:MAX_QUOTED_CHARS]}") from None
        return to_completion(key, choice, text, data.get("usage"), self.stop_sequences)

    def _request(self, method: str, path: str, body: dict | None = None, *, stop: threading.Event | None = None,
                 retry_unreachable: bool = True) -> dict:
        httpx = _httpx()
        url = self.api_base + path
        for attempt in itertools.count():
            retry_after = None
            try:
                response = self._client.request(method, url, json=body)
            except httpx.TimeoutException:
                problem = f"no answer within --request_timeout {self.request_timeout:g} s"
            except httpx.TransportError as exc:
                problem = f"cannot reach the server ({exc or type(exc).__name__})"
                if not retry_unreachable:
                    raise ToMLabError(f"{url}: {problem}; is a server running at --api_base {self.api_base}?") from None
            else:
                if response.status_code < 400:
                    try:
                        return response.json()
                    except ValueError:
                        raise ToMLabError(f"{url}: the answer is not JSON (HTTP {response.status_code}): is "
                                          f"--api_base an OpenAI-compatible API?") from None
                message = server_message(response)
                problem = f"HTTP {response.status_code}: {message}"
                if not retryable(response.status_code):
                    raise ToMLabError(f"{url} refused the request ({problem}){_hint(response.status_code, message)}")
                retry_after = parse_retry_after(response.headers.get("retry-after"))
            if attempt == self.max_retries:
                raise ToMLabError(f"{url}: {problem} (gave up after {attempt + 1} attempts)")
            delay = backoff_delay(attempt, retry_after, self.backoff_base, self.backoff_cap,
                                  0.5 + 0.5 * self._rng.random())
            if stop is None:
                time.sleep(delay)
            elif stop.wait(delay):
                raise _Abandoned

    # -- the engine's interface -----------------------------------------------------------------------------------
    def generate(self, groups: Sequence[PromptGroup], params: SamplingParams, progress=None) -> Iterable[Completion]:
        """Yield a :class:`Completion` for every request, as each one finishes (up to ``max_concurrency`` at once).
        The first error is raised here; the requests still waiting are then never sent."""
        work: queue.SimpleQueue = queue.SimpleQueue()
        total = 0
        for g in groups:
            for key, seed in g.requests:
                work.put((g.prompt, key, seed))
                total += 1
        if not total:
            return
        results: queue.SimpleQueue = queue.SimpleQueue()
        stop = threading.Event()

        def worker():
            while not stop.is_set():
                try:
                    prompt, key, seed = work.get_nowait()
                except queue.Empty:
                    return
                try:
                    results.put(self.answer(prompt, key, seed, params, stop))
                except _Abandoned:
                    return
                except Exception as exc:  # handed to the caller's thread, which raises it
                    results.put(exc)
                    return

        for _ in range(min(self.max_concurrency, total)):
            threading.Thread(target=worker, name="openai-request", daemon=True).start()
        try:
            for _ in range(total):
                done = results.get()
                if isinstance(done, BaseException):
                    raise done
                if progress is not None:
                    progress.update(1)
                yield done
        finally:
            stop.set()
