"""The OpenAI-compatible backend (tomlab.backends.openai, --backend openai).

Fast tests talk to a tiny scripted stub server on 127.0.0.1 (request bodies, retries and backoff, refusals, resume).
The integration tests start a real OpenAI-compatible server, ``transformers serve``, on the embedded model on
127.0.0.1 and drive ``tom_eval.py --backend openai`` against it; they skip if the ``serve`` extra is not installed.
"""

from __future__ import annotations

import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tomlab.analysis import correlation_study as study
from tomlab.backends.openai import OpenAIServer, backoff_delay, normalize_api_base, to_completion
from tomlab.errors import ToMLabError
from tomlab.eval.config import parse_benchmark_config, parse_config
from tomlab.eval.registry import get
from tomlab.eval.runner import backend_fields, evaluate
from tomlab.generation import PromptGroup, SamplingParams, answer_seed
from tomlab.prompts import Condition, build_prompt
from tomlab.scenarios import load_scenarios
from tomlab.schema import STOP_SEQUENCES

TOM_EVAL = ROOT / "ToM_Experiment" / "tom_eval.py"
MODEL = "stub/model"
#: How long a fixture waits for `transformers serve` to answer /health (loading the model included).
SERVER_START_S = 300
#: How long the resume test waits for the first saved answer before it kills the client.
FIRST_ANSWER_S = 300
#: A greedy choice is robust to float32 rounding between two attention implementations when the top logit leads the
#: runner-up by more than this (their logits differ by ~1e-5 here).
TIE_MARGIN = 1e-2


# -- a scripted stub server -------------------------------------------------------------------------------------------
class Stub:
    """An OpenAI-compatible stub on 127.0.0.1: ``/v1/models`` lists MODEL; each POST takes the next scripted reply
    (``(status, body)``, ``"drop"``: close without answering, ``("sleep", s)``: answer after s seconds) and, once the
    script is spent, answers ``" answer <seed>\\nQuestion: ..."`` (a completion that ran into a stop sequence)."""

    def __init__(self, script=()):
        self.script = list(script)
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, body, headers=()):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers:
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                if self.path == "/v1/models":
                    self._send(200, {"object": "list", "data": [{"id": MODEL, "object": "model", "root": "/m"}]})
                else:
                    self._send(404, {"error": {"message": f"no route {self.path}"}})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with stub.lock:
                    stub.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                    reply = stub.script.pop(0) if stub.script else None
                if reply == "drop":
                    self.close_connection = True
                    return
                if isinstance(reply, tuple) and reply[0] == "sleep":
                    time.sleep(reply[1])
                    reply = None
                if reply is not None:
                    status, payload, *headers = reply
                    self._send(status, payload, headers[0] if headers else ())
                    return
                text = f" answer {body['seed']}\nQuestion: an invented next item"
                choice = ({"message": {"role": "assistant", "content": text}} if "messages" in body
                          else {"text": text})
                self._send(200, {"model": MODEL, "choices": [{"index": 0, "finish_reason": "stop", **choice}],
                                 "usage": {"completion_tokens": 7}})

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def posts(self) -> list[dict]:
        return [r["body"] for r in self.requests]


@pytest.fixture
def stub():
    servers = []

    def make(script=()):
        servers.append(Stub(script))
        return servers[-1]

    yield make
    for s in servers:
        s.server.shutdown()
        s.server.server_close()


def run_experiment(config):
    """The 16 scenarios alone, as tom_eval.py asks them (the default --tasks)."""
    return evaluate([(get("tom16"), config)])


def run_benchmark(config):
    """One benchmark, as benchmark_eval.py --benchmark asks it."""
    return evaluate([(get(config.benchmark), config)])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def two_scenarios(tmp_path) -> Path:
    data = json.loads((ROOT / "data" / "tom_scenarios.json").read_text())
    data["scenarios"] = data["scenarios"][:2]
    path = tmp_path / "two.json"
    path.write_text(json.dumps(data))
    return path


def server_cfg(url, out, *extra, model=MODEL):
    return parse_config(["--backend", "openai", "--api_base", url, "--model", model, "--reps", "2", "--tokens", "9",
                         "--no_progress", "--output_dir", str(out), "--max_retries", "2", *extra])


def answers_of(path) -> list[tuple]:
    data = json.loads(Path(path).read_text())
    return [(s["scenario id"], a["repetition"], a["output"], a["finish_reason"], a["seed"])
            for s in data["scenarios"] for a in s["answers"]]


# -- pure functions -----------------------------------------------------------------------------------------------
def test_backoff_doubles_up_to_the_cap_and_honours_retry_after():
    assert [backoff_delay(a, base=1.0, cap=10.0) for a in range(5)] == [1.0, 2.0, 4.0, 8.0, 10.0]
    assert backoff_delay(2, base=1.0, cap=10.0, jitter=0.5) == 2.0
    assert backoff_delay(0, retry_after=3.0, cap=10.0) == 3.0 and backoff_delay(0, retry_after=99.0, cap=10.0) == 10.0


def test_api_base_gets_v1_only_without_a_path():
    assert normalize_api_base("http://127.0.0.1:8000") == "http://127.0.0.1:8000/v1"
    assert normalize_api_base("http://127.0.0.1:8000/v1/") == "http://127.0.0.1:8000/v1"
    assert normalize_api_base("https://api.example.com/openai/v1") == "https://api.example.com/openai/v1"
    with pytest.raises(ToMLabError, match="--api_base"):
        normalize_api_base("127.0.0.1:8000")


@pytest.mark.parametrize("choice,text,expected", [
    ({"finish_reason": "stop"}, " Yes.\nQuestion: next", ("Yes.", "stop_sequence")),  # returned with its stop text
    ({"finish_reason": "stop", "stop_reason": "Scenario:"}, "No. ", ("No.", "stop_sequence")),  # vLLM names it
    ({"finish_reason": "stop", "stop_reason": None}, "No.", ("No.", "eos")),  # vLLM: the model's end token
    ({"finish_reason": "stop"}, "No.", ("No.", "stop")),  # end token or a removed stop sequence: not said which
    ({"finish_reason": "length"}, "No, because", ("No, because", "length")),
    ({"finish_reason": "content_filter"}, None, ("", "content_filter")),
])
def test_answers_are_stored_as_the_engine_would(choice, text, expected):
    done = to_completion(("Base", 1, 1), choice, text, {"completion_tokens": 5})
    assert (done.text, done.finish_reason, done.new_tokens) == (*expected, 5)


# -- flags ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("argv,culprit", [
    (["--backend", "openai", "--model", "m"], "--api_base"),
    (["--backend", "openai", "--api_base", "http://127.0.0.1:9"], "--model"),
    (["--backend", "openai", "--api_base", "http://127.0.0.1:9", "--model", "m", "--dtype", "float32"], "--dtype"),
    (["--backend", "openai", "--api_base", "http://127.0.0.1:9", "--model", "m", "--load_in_8bit"], "--load_in_8bit"),
    (["--backend", "openai", "--api_base", "http://127.0.0.1:9", "--model", "m", "--max_concurrency", "0"],
     "--max_concurrency"),
    (["--api_base", "http://127.0.0.1:9"], "--backend openai"),
    (["--backend", "openai", "--api_base", "http://127.0.0.1:9", "--model", "m", "--api_key_env",
      "TOMLAB_TEST_NO_SUCH_KEY"], "TOMLAB_TEST_NO_SUCH_KEY"),
])
def test_flags_of_the_other_backend_are_one_error_line(tmp_path, argv, culprit):
    with pytest.raises(ToMLabError, match=culprit):
        run_experiment(parse_config([*argv, "--no_progress", "--output_dir", str(tmp_path / "out")]))
    assert not (tmp_path / "out").exists()


def test_in_process_runs_keep_their_run_keys():
    """A model path adds nothing to the identity or the run block: keys of in-process runs are as before."""
    assert backend_fields("/some/model") == ({}, {})


def test_models_file_lines_name_a_backend(tmp_path):
    models = tmp_path / "models.txt"
    models.write_text("--backend openai --api_base http://127.0.0.1:8000/v1 --model Qwen/Qwen2.5-7B-Instruct --chat\n"
                      "embedded\n")
    (line, values), (_, local) = study.read_models(models)
    assert values["backend"] == "openai" and values["api_base"] == "http://127.0.0.1:8000/v1" and values["chat"]
    assert values["model"] == "Qwen/Qwen2.5-7B-Instruct" and local["backend"] == "transformers"
    models.write_text("embedded\n--backend openai --model m\n")
    with pytest.raises(ToMLabError, match=r"models.txt:2: --backend openai: give the server's URL with --api_base"):
        study.read_models(models)


# -- against the stub ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("chat", [False, True], ids=["raw", "chat"])
def test_requests_carry_the_engines_prompts_seeds_and_settings(tmp_path, stub, chat, monkeypatch):
    server = stub()
    monkeypatch.setenv("TOMLAB_TEST_KEY", "sk-test-secret")
    cfg = server_cfg(server.url, tmp_path / "out", "--sbs", "--scenarios", str(two_scenarios(tmp_path)),
                     "--api_key_env", "TOMLAB_TEST_KEY", *(["--chat"] if chat else []))
    summary = run_experiment(cfg)
    (f,) = summary["files"]
    assert f["complete"] and f["answers"] == 4
    scenarios = load_scenarios(two_scenarios(tmp_path))
    want = {(build_prompt(s, Condition(True, False)), answer_seed(0, "SbS", s.id, r))
            for s in scenarios for r in (1, 2)}
    bodies = server.posts()
    got = {(b["messages"][0]["content"] if chat else b["prompt"], b["seed"]) for b in bodies}
    assert got == want  # byte for byte the engine's prompts (a user message with --chat), the engine's seeds
    for r, b in zip(server.requests, bodies):
        assert r["path"] == ("/v1/chat/completions" if chat else "/v1/completions")
        assert r["headers"]["Authorization"] == "Bearer sk-test-secret"
        assert (b["model"], b["max_tokens"], b["stop"]) == (MODEL, 9, list(STOP_SEQUENCES))
        assert (b["temperature"], b["top_p"], b["top_k"]) == (0.4, 0.95, 50)
    data = json.loads(Path(f["path"]).read_text())
    assert data["chat"] == chat and data["run"]["backend"] == "openai" and data["run"]["api_base"] == server.url
    assert data["run"]["server_model"]["id"] == MODEL and data["run"]["dtype"] is None
    assert {(o, r) for _, _, o, r, _ in answers_of(f["path"])} == \
           {(f"answer {b['seed']}", "stop_sequence") for b in bodies}
    assert "sk-test-secret" not in Path(f["path"]).read_text()


def test_greedy_sends_temperature_zero_alone_and_the_key_covers_the_backend(tmp_path, stub):
    server = stub()
    one = run_experiment(server_cfg(server.url, tmp_path / "a", "--temp", "0",
                                    "--scenarios", str(two_scenarios(tmp_path))))
    assert all(b["temperature"] == 0 and "top_p" not in b and "top_k" not in b for b in server.posts())
    chat = run_experiment(server_cfg(server.url, tmp_path / "a", "--temp", "0", "--chat",
                                     "--scenarios", str(two_scenarios(tmp_path))))
    assert one["files"][0]["path"] != chat["files"][0]["path"]  # another API is another run
    moved = Stub()  # the same model on another port continues the same run
    try:
        again = run_experiment(server_cfg(moved.url, tmp_path / "a", "--temp", "0",
                                          "--scenarios", str(two_scenarios(tmp_path))))
    finally:
        moved.server.shutdown()
    assert again["files"][0]["path"] == one["files"][0]["path"] and again["answers_generated"] == 0


def test_benchmark_runner_asks_the_server(tmp_path, stub):
    server = stub()
    cfg = parse_benchmark_config(["--backend", "openai", "--api_base", server.url, "--model", MODEL, "--benchmark",
                                  "strange_stories", "--limit", "3", "--no_progress", "--output_dir",
                                  str(tmp_path / "b")])
    summary = run_benchmark(cfg)
    assert [f["answers"] for f in summary["files"]] == [3] and summary["files"][0]["complete"]
    assert len(server.posts()) == 3 and all(b["temperature"] == 0 for b in server.posts())


def test_retries_429_5xx_dropped_connections_and_timeouts(stub):
    server = stub([(503, {"error": {"message": "loading"}}), (429, {"error": "slow down"}, [("Retry-After", "0")]),
                   "drop", ("sleep", 2.0)])
    client = OpenAIServer(server.url, MODEL, max_retries=4, request_timeout=0.5, backoff_base=0.01)
    done = client.answer("prompt", "k", 7, SamplingParams())
    assert done.text == "answer 7" and len(server.requests) == 5


def test_gives_up_after_its_retries(stub):
    server = stub([(500, {"error": {"message": "boom"}})] * 3)
    client = OpenAIServer(server.url, MODEL, max_retries=2, backoff_base=0.01)
    with pytest.raises(ToMLabError, match=r"HTTP 500: boom \(gave up after 3 attempts\)"):
        client.answer("prompt", "k", 7, SamplingParams())


def test_a_refusal_is_not_retried(stub):
    server = stub([(422, {"detail": "Unexpected fields in the request: {'top_k'}"})])
    client = OpenAIServer(server.url, MODEL, backoff_base=0.01)
    with pytest.raises(ToMLabError, match=r"refused the request \(HTTP 422: .*top_k.*pass --top_k 0"):
        client.answer("prompt", "k", 7, SamplingParams())
    assert len(server.requests) == 1


def test_wrong_model_and_unreachable_server_before_any_file(tmp_path, stub):
    server = stub()
    with pytest.raises(ToMLabError, match=r"--model other: the server at .* does not serve it \(it serves: stub/model"):
        run_experiment(server_cfg(server.url, tmp_path / "out", model="other"))
    with pytest.raises(ToMLabError, match="cannot reach the server"):
        run_experiment(server_cfg(f"http://127.0.0.1:{free_port()}/v1", tmp_path / "out"))
    assert not (tmp_path / "out").exists()


def test_a_failed_run_keeps_its_answers_and_resumes(tmp_path, stub):
    """The server refuses the 4th request: the three answers before it are on disk, the re-run asks the rest."""
    scenarios = str(two_scenarios(tmp_path))
    server = stub([("sleep", 0)] * 3 + [(400, {"error": {"message": "refused"}})])  # 3 answers, then a refusal
    cfg = server_cfg(server.url, tmp_path / "out", "--scenarios", scenarios, "--max_concurrency", "1")
    with pytest.raises(ToMLabError, match="refused"):
        run_experiment(cfg)
    (path,) = (tmp_path / "out").rglob("*.json")
    saved = answers_of(path)
    assert len(saved) == 3 and not json.loads(path.read_text())["complete"]
    assert not list((tmp_path / "out").rglob("*.lock"))
    resumed = run_experiment(cfg)
    assert resumed["answers_generated"] == 1 and resumed["files"][0]["complete"]
    final = answers_of(path)
    assert len(final) == 4 and set(saved) <= set(final)
    assert sorted((sid, r) for sid, r, *_ in final) == [(1, 1), (1, 2), (2, 1), (2, 2)]


# -- against a real server: transformers serve on the embedded model --------------------------------------------------
@pytest.fixture(scope="module")
def served(embedded_model_dir, tmp_path_factory):
    """``transformers serve`` on 127.0.0.1 (a free port) pinned to the embedded model in float32: (URL, model id)."""
    from transformers.utils.import_utils import is_serve_available

    if not is_serve_available():
        pytest.skip("transformers serve needs the serve extra: pip install -e '.[serve]'")
    import httpx2

    port = free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    model = str(embedded_model_dir)
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "transformers.cli.transformers", "serve", model, "--host",
                                 "127.0.0.1", "--port", str(port), "--device", "cpu", "--dtype", "float32"],
                                stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"transformers serve exited ({proc.returncode}): {log.read_text()[-2000:]}")
            try:
                if httpx2.get(url + "/health", timeout=2).status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"transformers serve did not answer within {SERVER_START_S} s: {log.read_text()[-2000:]}")
            time.sleep(0.5)
        yield url + "/v1", model
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def tom_eval(*argv, **kwargs):
    return subprocess.run([sys.executable, str(TOM_EVAL), *map(str, argv)], capture_output=True, text=True,
                          **kwargs)


def error_line(proc) -> str:
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    (line,) = [x for x in proc.stderr.splitlines() if x.startswith("error:")]
    return line


def greedy_with_margins(model_dir, prompts: list[str], chat: bool, tokens: int):
    """The in-process engine's greedy answers (float32) and, per answer, the smallest lead of the chosen token's logit
    over the runner-up along the way (teacher-forced)."""
    import torch

    from tomlab.generation import Engine
    from tomlab.models import load_model, load_tokenizer

    tok = load_tokenizer(str(model_dir))
    model = load_model(str(model_dir), dtype="float32", device="cpu")
    engine = Engine(model, tok, add_special_tokens=not chat)
    done = {d.key: d for d in engine.generate([PromptGroup(p, [(i, 0)]) for i, p in enumerate(prompts)],
                                              SamplingParams(max_new_tokens=tokens, do_sample=False, temperature=0))}
    out = []
    for i, prompt in enumerate(prompts):
        ids = tok(prompt, add_special_tokens=not chat)["input_ids"]
        answer = done[i].token_ids
        with torch.inference_mode():
            logits = model(input_ids=torch.tensor([ids + answer])).logits[0, len(ids) - 1:-1].float()
        top2 = logits.topk(2, -1).values
        out.append((done[i], float((top2[:, 0] - top2[:, 1]).min()) if answer else float("inf")))
    return out


@pytest.mark.integration
@pytest.mark.parametrize("chat", [False, True], ids=["raw", "chat"])
def test_real_server_end_to_end_matches_the_engine(tmp_path, served, embedded_model_dir, chat):
    """tom_eval.py --backend openai against transformers serve, greedy; then the in-process engine (float32) on the
    very prompts the answer file holds. Where no greedy step is a near-tie, the answers are the same text."""
    url, model = served
    tokens = 12
    proc = tom_eval("--backend", "openai", "--api_base", url, "--model", model, "--scenarios",
                    two_scenarios(tmp_path), "--reps", "2", "--temp", "0", "--tokens", tokens, "--no_progress",
                    "--no_grade", "--output_dir", tmp_path / "out", *(["--chat"] if chat else []))
    assert proc.returncode == 0, proc.stderr
    (path,) = (tmp_path / "out").rglob("*.json")
    data = json.loads(path.read_text())
    assert data["complete"] and data["chat"] == chat and data["run"]["server_model"]["id"] == model
    scenarios = load_scenarios(two_scenarios(tmp_path))
    assert [s["prompt"] for s in data["scenarios"]] == [build_prompt(s, Condition(False, False)) for s in scenarios]
    per_scenario = {s["scenario id"]: s["answers"] for s in data["scenarios"]}
    assert all(len({a["output"] for a in answers}) == 1 for answers in per_scenario.values())  # greedy: reps agree
    assert all(a["new_tokens"] <= tokens and a["finish_reason"] in ("stop", "stop_sequence", "length")
               for answers in per_scenario.values() for a in answers)

    prompts = [s["prompt"] for s in data["scenarios"]]
    if chat:  # the engine gets the locally templated string, the server templated the user message itself
        from tomlab.models import load_tokenizer
        from tomlab.prompts import apply_chat_template

        tok = load_tokenizer(str(embedded_model_dir))
        prompts = [apply_chat_template(tok, p) for p in prompts]
    engine = greedy_with_margins(embedded_model_dir, prompts, chat, tokens)
    for s, (done, margin) in zip(data["scenarios"], engine):
        server = s["answers"][0]
        if margin > TIE_MARGIN:
            assert server["output"] == done.text, (margin, server, done)
            assert server["new_tokens"] == done.new_tokens
            # the engine says eos where the server says stop (it does not tell the end token from a removed stop)
            assert {"eos": "stop"}.get(done.finish_reason, done.finish_reason) == server["finish_reason"]


@pytest.mark.integration
def test_real_server_resume_after_the_client_is_killed(tmp_path, served):
    url, model = served
    argv = ["--backend", "openai", "--api_base", url, "--model", model, "--scenarios", two_scenarios(tmp_path),
            "--reps", "3", "--temp", "0", "--tokens", "3", "--max_concurrency", "1", "--no_progress", "--no_grade",
            "--output", tmp_path / "run.json"]
    proc = subprocess.Popen([sys.executable, str(TOM_EVAL), *map(str, argv)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + FIRST_ANSWER_S
    try:
        while not (tmp_path / "run.json").exists() or not answers_of(tmp_path / "run.json"):
            assert proc.poll() is None and time.monotonic() < deadline, "no answer saved in time"
            time.sleep(0.05)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    saved = answers_of(tmp_path / "run.json")
    assert 0 < len(saved) < 6 and not json.loads((tmp_path / "run.json").read_text())["complete"]
    again = tom_eval(*argv)
    assert again.returncode == 0, again.stderr
    assert f"generated {6 - len(saved)} answers" in again.stdout
    final = answers_of(tmp_path / "run.json")
    assert set(saved) <= set(final)  # nothing lost
    assert sorted((sid, r) for sid, r, *_ in final) == [(sid, r) for sid in (1, 2) for r in (1, 2, 3)]  # no twice


@pytest.mark.integration
def test_real_server_bad_inputs_are_one_error_line(tmp_path, served, monkeypatch):
    url, model = served
    common = ["--scenarios", two_scenarios(tmp_path), "--reps", "1", "--tokens", "2", "--no_progress", "--no_grade",
              "--output_dir", tmp_path / "out", "--max_retries", "0"]
    first = tom_eval("--backend", "openai", "--api_base", url, "--model", model, "--temp", "0", *common)
    assert first.returncode == 0, first.stderr
    before = {p: p.read_bytes() for p in (tmp_path / "out").rglob("*.json")}
    cases = [
        (["--api_base", f"http://127.0.0.1:{free_port()}/v1", "--model", model], "cannot reach the server"),
        (["--api_base", url, "--model", "no/such-model"], f"it serves: {model}"),
        (["--api_base", url, "--model", model, "--top_k", "50"], "pass --top_k 0"),  # transformers serve: HTTP 422
        (["--api_base", url, "--model", model, "--api_key_env", "TOMLAB_TEST_NO_SUCH_KEY"],
         "TOMLAB_TEST_NO_SUCH_KEY"),
    ]
    for argv, culprit in cases:
        line = error_line(tom_eval("--backend", "openai", *argv, *common))
        assert culprit in line, line
        assert {p: p.read_bytes() for p in before} == before  # nothing written before is lost
