"""The whole benchmark DAG: two workers on one luigid scheduler split the matrix, doing nothing twice."""

import json
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.embeddings.test_runner import GOOD_MODULE

TASKS = "speech_commands,nsynth_pitch"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def luigid(tmp_path):
    port = free_port()
    (tmp_path / "luigid-logs").mkdir()
    process = subprocess.Popen(["luigid", "--address", "127.0.0.1", "--port", str(port), "--logdir",
                                str(tmp_path / "luigid-logs"), "--state-path", str(tmp_path / "luigid.pickle")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.time() < deadline and process.poll() is None, "luigid did not start"
            time.sleep(0.2)
    yield port
    process.terminate()
    process.wait(timeout=30)


def benchmark_command(workspace: Path, *extra: str):
    return [sys.executable, "-m", "heareval.runner", "heareval.baseline", "tiny_module", "--tasks", TASKS, "--small",
            "--grid", "faster", "--grid-points", "1", "--work-dir", str(workspace / "_workdir"),
            "--tasks-dir", str(workspace / "tasks"), "--embeddings-dir", str(workspace / "embeddings"),
            "--output", str(workspace / "results.json"), *extra]


def environment(tmp_path: Path) -> dict:
    modules = tmp_path / "modules"
    modules.mkdir(exist_ok=True)
    (modules / "tiny_module.py").write_text(GOOD_MODULE.format(rate=16000))
    return {**os.environ, "PYTHONPATH": str(modules) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def comparable(results: dict) -> dict:
    """Scores only (costs and timings differ from run to run)."""
    return {module: {task: {k: v for k, v in entry.items() if k not in ("cost",)} for task, entry in tasks.items()}
            for module, tasks in results.items()}


def test_two_workers_on_luigid_do_every_part_once_and_match_a_single_worker(tmp_path, luigid):
    env = environment(tmp_path)
    shared = tmp_path / "shared"
    workers = [subprocess.Popen(benchmark_command(shared, "--scheduler-host", "127.0.0.1", "--scheduler-port",
                                                  str(luigid)), env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [w.communicate(timeout=900) for w in workers]
    for worker, (_, stderr) in zip(workers, outputs):
        assert worker.returncode == 0, stderr[-3000:]
    log = [line.split("\t") for line in (shared / "embeddings" / ".run-log").read_text().splitlines()]
    counts = Counter((stage, module, task) for stage, module, task, _ in log)
    modules, tasks = ["heareval.baseline", "tiny_module"], ["speech_commands-v0.0.2-small", "nsynth_pitch-v2.2.3-small"]
    expected = {(s, m, t) for s in ("embeddings", "predictions", "evaluation") for m in modules for t in tasks}
    assert set(counts) == expected and set(counts.values()) == {1}, counts
    assert len({who for *_, who in log}) == 2, "both workers took part"

    single = tmp_path / "single"
    result = subprocess.run(benchmark_command(single, "--num-workers", "1"), env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    shared_results = json.loads((shared / "results.json").read_text())
    single_results = json.loads((single / "results.json").read_text())
    assert comparable(shared_results) == comparable(single_results)


def test_until_stops_after_a_stage_and_costs_are_recorded(tmp_path):
    env = environment(tmp_path)
    result = subprocess.run(benchmark_command(tmp_path / "w", "--until", "embeddings"), env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    embeddings = tmp_path / "w" / "embeddings"
    task = embeddings / "tiny_module" / "nsynth_pitch-v2.2.3-small"
    assert (task / ".done.embeddings").is_file() and not (task / "prediction-done.json").exists()
    cost = json.loads((task / "cost.embeddings.json").read_text())
    assert cost["wall_seconds"] > 0 and cost["cpu_seconds"] > 0 and cost["peak_memory_mb"] > 50
    assert not (tmp_path / "w" / "results.json").exists()


@pytest.mark.parametrize("gpus", ["[0, 1]", "2"])
def test_several_gpus_are_refused_with_the_way_to_use_them(tmp_path, gpus):
    from heareval.errors import UserError
    from heareval.runner import BenchmarkSettings, benchmark

    with pytest.raises(UserError, match="one process per GPU"):
        benchmark(["heareval.baseline"], ["speech_commands"],
                  BenchmarkSettings(gpus=gpus, tasks_dir=str(tmp_path / "tasks")))
    assert not (tmp_path / "tasks").exists()


def test_training_options_reach_each_task_from_the_command_line(tmp_path, monkeypatch):
    from click.testing import CliRunner

    import heareval.predictions.train as train
    from heareval import runner

    calls = []
    monkeypatch.setattr(runner, "run_luigi", lambda targets, *args: calls.extend(targets))
    monkeypatch.setattr(runner, "module_sample_rate", lambda *args: 16000)
    result = CliRunner().invoke(runner.main, ["heareval.baseline", "--tasks", "speech_commands", "--small",
                                              "--until", "predictions", "--search-every-fold", "--stop-on-nan-score",
                                              "--work-dir", str(tmp_path / "w"), "--tasks-dir", str(tmp_path / "t"),
                                              "--embeddings-dir", str(tmp_path / "e")])
    assert result.exit_code == 0, result.output
    (task,) = calls
    assert task.search_every_fold and task.stop_on_nan_score
    received = {}
    monkeypatch.setattr(train, "task_predictions", lambda *args, **kwargs: received.update(kwargs))
    monkeypatch.setattr(runner, "record_run", lambda *args: None)
    task.run()
    assert received["search_every_fold"] is True and received["stop_on_nan_score"] is True


def test_bootstrap_options_reach_each_evaluation_and_name_its_file(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from heareval import runner

    ran, received = [], {}

    def run_evaluations_only(targets, *args):
        for task in targets:
            task.embedding_task_dir.mkdir(parents=True, exist_ok=True)
            task.run()
            ran.append(task)

    monkeypatch.setattr(runner, "run_luigi", run_evaluations_only)
    monkeypatch.setattr(runner, "module_sample_rate", lambda *args: 16000)
    monkeypatch.setattr(runner, "evaluate_task", lambda task_dir, **kwargs: received.update(kwargs) or {"ok": 1})
    monkeypatch.setattr(runner, "record_run", lambda *args: None)
    monkeypatch.setattr(runner, "publish", lambda *args, **kwargs: None)
    base = ["heareval.baseline", "--tasks", "speech_commands", "--small", "--work-dir", str(tmp_path / "w"),
            "--tasks-dir", str(tmp_path / "t"), "--embeddings-dir", str(tmp_path / "e")]
    assert CliRunner().invoke(runner.main, base).exit_code == 0
    assert received == {"bootstrap": 0, "confidence": 0.95} and Path(ran[-1].output().path).name == "evaluation.json"
    assert CliRunner().invoke(runner.main, base + ["--bootstrap", "50", "--confidence", "0.9"]).exit_code == 0
    assert received == {"bootstrap": 50, "confidence": 0.9}
    assert Path(ran[-1].output().path).name == "evaluation.bootstrap50-0.9.json", "new settings: a new target"
    assert CliRunner().invoke(runner.main, base + ["--confidence", "1"]).exit_code == 2


def test_an_evaluation_older_than_its_predictions_is_done_again(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from heareval import runner
    from heareval.predictionformat import DONE_MARKER

    planned = []
    monkeypatch.setattr(runner, "run_luigi", lambda targets, *args: planned.extend(targets))
    monkeypatch.setattr(runner, "module_sample_rate", lambda *args: 16000)
    CliRunner().invoke(runner.main, ["heareval.baseline", "--tasks", "speech_commands", "--small", "--work-dir",
                                     str(tmp_path / "w"), "--tasks-dir", str(tmp_path / "t"), "--embeddings-dir",
                                     str(tmp_path / "e")])
    task = planned[0]
    task.embedding_task_dir.mkdir(parents=True)
    scores, predictions = Path(task.output().path), task.embedding_task_dir / DONE_MARKER
    predictions.write_text("{}")
    assert not task.complete(), "nothing scored yet"
    scores.write_text("{}")
    os.utime(predictions, (100, 100))
    os.utime(scores, (200, 200))
    assert task.complete()
    os.utime(predictions, (300, 300))
    assert not task.complete(), "predictions trained again after the scores"
    predictions.unlink()
    assert not task.complete(), "predictions removed to be trained again"


@pytest.mark.parametrize("stage, option", [("runner", "--seeds"), ("runner", "--grid-points"),
                                           ("predictions.runner", "--jobs"), ("embeddings.runner", "--batch-size"),
                                           ("tasks.runner", "--num-workers")])
def test_counts_below_one_are_refused_before_any_work(tmp_path, stage, option):
    first = {"runner": ["heareval.baseline", "--tasks", "all", "--small"], "predictions.runner": ["heareval.baseline"],
             "embeddings.runner": ["heareval.baseline"], "tasks.runner": ["all", "--small"]}[stage]
    result = subprocess.run([sys.executable, "-m", f"heareval.{stage}", *first, option, "0"],
                            capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 2 and f"Invalid value for '{option}': 0 is not in the range x>=1" in result.stderr
    assert "Traceback" not in result.stderr and not list(tmp_path.iterdir())


def test_the_embedding_device_reaches_the_embeddings_of_every_later_stage():
    """--device was passed to the embedding tasks only when the run stopped after embeddings."""
    from heareval.runner import EvaluateTask

    evaluate = EvaluateTask(module="m", task_name="speech_commands", sample_rates=[16000], device="cpu")
    predict = evaluate.requires()
    assert predict.device == "cpu" and predict.requires().device == "cpu"
