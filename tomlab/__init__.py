"""tomlab: Theory-of-Mind experiments, grading and preference finetuning for small LLMs."""

__version__ = "0.1.0"

from .errors import ToMLabError  # noqa: E402,F401
