"""Answer files: the original schema (every key, typos included) plus what a researcher needs.

Original keys: ``model``, ``step-by_step reasoning``, ``chain-of-thougth examples``, ``model parameter``,
``scenarios[].scenario id``, ``scenarios[].answers[].{repetition, output, time}``.
Added: ``schema``, ``prompting``, ``prompt_format``, ``chat``, ``complete``, ``run`` (seed, revision, dtype,
code version, timings, ...), per scenario ``context``/``question``/``gold answer``/``prompt``, per answer
``finish_reason``/``new_tokens``/``seed``.

A file is written whole and atomically after every few answers, so a killed run leaves a valid file
holding every answer saved so far; the same command then resumes it. A file's identity is its
``run.run_key``: a hash of everything that determines its answers (model, revision, dtype, seed, sampling
settings, exact prompts, code version). Reps are not part of it: asking for more extends a file.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from pathlib import Path

from .errors import ToMLabError
from .io import atomic_write_json

SCHEMA = "tomlab-answers/1"


def run_key(identity: dict) -> str:
    blob = json.dumps(identity, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:10]


def slug(text: str) -> str:
    """A file-name-safe model name: ``meta-llama/Llama-2-7b-hf`` -> ``meta-llama_Llama-2-7b-hf``."""
    text = text.rstrip("/").replace("\\", "/")
    if os.sep in text or "/" in text:
        parts = [p for p in text.split("/") if p not in ("", ".", "..")]
        two = len(parts) >= 2 and not Path(text).exists()  # a hub id: owner_name
        text = "_".join(parts[-2:]) if two else (parts[-1] if parts else "model")
    return re.sub(r"[^A-Za-z0-9._+-]+", "-", text).strip("-") or "model"


def default_path(output_dir: Path, model_name: str, prompting: str, key: str) -> Path:
    name = slug(model_name)
    return Path(output_dir) / name / f"Results_{name}_{prompting}_{key}.json"


def model_parameter(params) -> dict:
    return {"max_new_tokens": params.max_new_tokens, "top k": params.top_k, "top p": params.top_p,
            "do sample": params.do_sample, "temperature": params.temperature}


class AnswerFile:
    """One model x prompting type: 16 scenarios x ``reps`` answers, saved as they come.

    A subclass with other ``ITEMS`` / ``ITEM_ID`` / ``SCHEMA`` keys and its own :meth:`new` holds another item set
    with the same guarantees (``tomlab.tasks.answers.BenchmarkFile``).
    """

    ITEMS = "scenarios"  # the list of items, each with its "answers"
    ITEM_ID = "scenario id"
    SCHEMA = SCHEMA

    def __init__(self, path: Path, data: dict):
        self.path = Path(path)
        self.data = data
        self._by_id = {s[self.ITEM_ID]: s for s in data[self.ITEMS]}
        self._dirty = False
        self._last_save = 0.0

    # -- creation / resumption ------------------------------------------------------------------------------
    @classmethod
    def new(cls, path, *, model: str, condition, params, prompt_format: str, chat: bool, scenarios, prompts: dict,
            run: dict) -> AnswerFile:
        data = {
            "model": model,
            "step-by_step reasoning": condition.sbs,
            "chain-of-thougth examples": condition.cot,
            "model parameter": model_parameter(params),
            "schema": SCHEMA,
            "prompting": condition.name,
            "prompt_format": prompt_format,
            "chat": chat,
            "complete": False,
            "run": run,
            "scenarios": [
                {"scenario id": s.id, "context": s.context, "question": s.question, "gold answer": s.answer,
                 "prompt": prompts[s.id], "answers": []}
                for s in scenarios
            ],
        }
        return cls(path, data)

    @classmethod
    def load(cls, path) -> AnswerFile:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ToMLabError(f"{path}: not a readable answer file ({exc})") from None
        if not isinstance(data, dict) or not isinstance(data.get(cls.ITEMS), list):
            raise ToMLabError(f"{path}: not an answer file (no '{cls.ITEMS}' list)")
        return cls(path, data)

    @classmethod
    def open(cls, path, key: str, overwrite: bool, **new_kwargs) -> tuple[AnswerFile, str]:
        """Resume ``path`` if it holds the same run, else start it. Returns (file, "new"|"resume"|"overwrite")."""
        path = Path(path)
        if path.exists() and not overwrite:
            existing = cls.load(path)
            if existing.data.get("schema") != cls.SCHEMA or existing.data.get("run", {}).get("run_key") != key:
                theirs = existing.data.get("run", {})
                raise ToMLabError(
                    f"{path} already holds another run (model {existing.data.get('model')!r}, "
                    f"seed {theirs.get('seed')!r}, key {theirs.get('run_key')!r}); choose another --output or "
                    f"pass --overwrite")
            return existing, "resume"
        status = "overwrite" if path.exists() else "new"
        return cls.new(path, **new_kwargs), status

    def want_reps(self, reps: int, status: str) -> None:
        """Record that ``reps`` answers per item are now asked for (a resumed file may be extended)."""
        if status == "resume" and self.data["run"].get("reps", 0) < reps:
            self.data["run"]["reps"] = reps

    # -- answers --------------------------------------------------------------------------------------------
    def prompt(self, item_id) -> str:
        return self._by_id[item_id]["prompt"]

    def done(self, scenario_id: int) -> set[int]:
        return {a["repetition"] for a in self._by_id[scenario_id]["answers"]}

    def missing(self, scenario_id: int, reps: int) -> list[int]:
        have = self.done(scenario_id)
        return [r for r in range(1, reps + 1) if r not in have]

    def add(self, scenario_id: int, repetition: int, output: str, finish_reason: str, new_tokens: int,
            seed: int) -> None:
        answers = self._by_id[scenario_id]["answers"]
        if any(a["repetition"] == repetition for a in answers):
            return  # never store an answer twice
        answers.append({"repetition": repetition, "output": output, "time": time.strftime("%H:%M:%S"),
                        "finish_reason": finish_reason, "new_tokens": new_tokens, "seed": seed})
        answers.sort(key=lambda a: a["repetition"])
        self._dirty = True

    def n_answers(self) -> int:
        return sum(len(s["answers"]) for s in self.data[self.ITEMS])

    def is_complete(self, reps: int) -> bool:
        return all(not self.missing(sid, reps) for sid in self._by_id)

    # -- saving ---------------------------------------------------------------------------------------------
    def save(self, *, every: float = 0.0, **run_updates) -> None:
        """Write atomically; with ``every`` > 0, at most once per ``every`` seconds (unless run info changes)."""
        if run_updates:
            self.data["run"].update(run_updates)
            self._dirty = True
        now = time.monotonic()
        if not self._dirty or (every and now - self._last_save < every):
            return
        atomic_write_json(self.path, self.data)
        self._dirty = False
        self._last_save = now


class FileLock:
    """An exclusive ``<file>.lock`` so two runs never write the same answer file; stale locks are taken over."""

    def __init__(self, path: Path):
        self.lock = Path(str(path) + ".lock")

    def __enter__(self):
        self.lock.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(2):
            try:
                fd = os.open(self.lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
                os.write(fd, str(os.getpid()).encode())
                os.close(fd)
                return self
            except FileExistsError:
                try:
                    pid = int(self.lock.read_text().strip() or 0)
                    os.kill(pid, 0)
                except (ValueError, ProcessLookupError, PermissionError, FileNotFoundError):
                    self.lock.unlink(missing_ok=True)  # stale: its process is gone
                    continue
                raise ToMLabError(f"{self.lock.with_suffix('')} is being written by another run (pid {pid})") from None
        raise ToMLabError(f"cannot lock {self.lock}")

    def __exit__(self, *exc):
        self.lock.unlink(missing_ok=True)
