"""What generates answers besides the in-process engine (:class:`tomlab.generation.Engine`).

Every backend has the engine's interface: ``generate(prompt groups, sampling params, progress) -> Completion per
request, as each one finishes``; the runners choose one in one place (``tomlab.eval.runner.open_backend``).

- :mod:`tomlab.backends.openai`: any model behind an OpenAI-compatible server (vLLM, TGI, llama.cpp, Ollama,
  ``transformers serve``, a hosted API).
"""
