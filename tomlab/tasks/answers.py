"""Benchmark answer files: the experiment's answer-file guarantees (atomic saves, resume, run key, lock) for an
item set. One file per model x benchmark x question form; one entry per prompt (an open question or a probe)."""

from __future__ import annotations

from ..answers import AnswerFile, model_parameter
from ..schema import BASE_PROMPTING

SCHEMA = "tomlab-benchmark-answers/1"


def form_label(benchmark: str, form: str, prompting: str) -> str:
    """How tables and file names call one benchmark form: ``tomi-yesno``, ``tomi-open-SbS`` (prompting if not Base)."""
    return f"{benchmark}-{form}" + ("" if prompting == BASE_PROMPTING else f"-{prompting}")


class BenchmarkFile(AnswerFile):
    ITEMS = "items"
    ITEM_ID = "id"
    SCHEMA = SCHEMA

    @classmethod
    def new(cls, path, *, benchmark: str, form: str, model: str, params, prompting: str, prompt_format: str,
            chat: bool, units, prompts: dict, run: dict) -> BenchmarkFile:
        """``units``: (item, unit) pairs in order; ``prompts``: {unit id: the exact prompt}."""
        data = {
            "schema": SCHEMA,
            "benchmark": benchmark,
            "form": form,
            "model": model,
            "model parameter": model_parameter(params),
            "prompting": prompting,
            "prompt_format": prompt_format,
            "chat": chat,
            "complete": False,
            "run": run,
            "items": [
                {"id": u.id, "question_id": u.question_id, "kind": item.kind, "belief": item.belief,
                 "context": item.story, "question": u.question, "gold answer": u.answer, "choices": list(u.choices),
                 "prompt": prompts[u.id], "answers": []}
                for item, u in units
            ],
        }
        return cls(path, data)
