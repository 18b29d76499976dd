"""`python -m heareval.runner MODULE... --tasks ...`: the whole benchmark as one Luigi DAG.

Each (module, task) embedding, prediction and evaluation is a Luigi task with an on-disk target,
so several machines sharing a filesystem, each running workers against one `luigid`, split the
MODULES x TASKS matrix without doing any part twice.
"""

import functools
import json
import multiprocessing
import os
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import click
import luigi

from heareval.atomic import check_writable, write_json
from heareval.collector import collector_paused
from heareval.embeddingformat import DONE_MARKER as EMBEDDINGS_DONE
from heareval.embeddingformat import module_dir_name
from heareval.embeddings.hear_api import (
    HearModel,
    default_model_threads,
    embedding_device,
    load_hear_model,
    parse_model_options,
    require_valid,
)
from heareval.embeddings.task_embeddings import default_reader_workers, embed_task
from heareval.errors import UserError, report_user_errors
from heareval.evaluation.reference import resolve_reference, result_task_names
from heareval.evaluation.report import publish
from heareval.evaluation.task_evaluation import evaluate_task
from heareval.luigi_run import Stage, run_luigi
from heareval.predictionformat import DONE_MARKER as PREDICTIONS_DONE
from heareval.predictions.devices import parse_gpus
from heareval.predictions.grid import GRIDS
from heareval.tasks.config import DEFAULT_SAMPLE_RATES, parse_rates, selected_tasks
from heareval.tasks.pipeline import FinalizeCorpus, finalize_task, run_config, small_corpus_dir
from heareval.tasks.small import build_small_corpus

STAGES = ("tasks", "embeddings", "predictions", "evaluation")
RUN_LOG = ".run-log"
EVALUATION_FILE = "evaluation.json"


def record_run(embeddings_dir: str, stage: str, module: str, task: str) -> None:
    """Append who did what to <embeddings_dir>/.run-log (one short O_APPEND write: safe across workers)."""
    Path(embeddings_dir).mkdir(parents=True, exist_ok=True)
    line = f"{stage}\t{module}\t{task}\t{socket.gethostname()}:{os.getpid()}\n"
    with open(Path(embeddings_dir) / RUN_LOG, "a") as f:
        f.write(line)


@functools.lru_cache(maxsize=4)
def cached_model(module: str, model_path: str, options_json: str, device: str) -> HearModel:
    return load_hear_model(module, model_path, json.loads(options_json), device)


def _sample_rate_of(module: str, model_path: str, options_json: str) -> int:
    return load_hear_model(module, model_path, json.loads(options_json), "cpu").sample_rate


def module_sample_rate(module: str, model_path: str, options_json: str) -> int:
    """Load the module in a spawned process: torch must not run in this process before Luigi forks its
    workers (OpenMP's thread pool does not survive fork and the workers would hang)."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(_sample_rate_of, (module, model_path, options_json))


class ModuleTaskStage(Stage):
    """A stage of one (module, task) pair; the task comes from the preprocessing DAG."""

    module = luigi.Parameter()
    task_name = luigi.Parameter()
    model_path = luigi.Parameter(default="")
    model_options = luigi.Parameter(default="{}")
    sample_rates = luigi.ListParameter()
    small = luigi.BoolParameter(default=False)
    mode = luigi.Parameter(default="")
    mirror = luigi.Parameter(default="")
    tasks_dir = luigi.Parameter(default="tasks")
    embeddings_dir = luigi.Parameter(default="embeddings")
    device = luigi.Parameter(default="", significant=False)  # the embedding device, passed down to EmbedTask

    def preprocessing(self) -> FinalizeCorpus:
        return finalize_task(self.task_name, self.sample_rates, self.tasks_dir, mode=self.mode, small=self.small,
                             work_dir=self.work_dir, mirror=self.mirror, threads=self.threads)

    @property
    def task_dir_name(self) -> str:
        return Path(self.preprocessing().output().path).name

    @property
    def embedding_task_dir(self) -> Path:
        options = json.loads(self.model_options)
        return Path(self.embeddings_dir) / module_dir_name(self.module, options) / self.task_dir_name

    def pair_params(self) -> Dict[str, Any]:
        return {name: getattr(self, name) for name, _ in ModuleTaskStage.get_params()}


class EmbedTask(ModuleTaskStage):
    batch_size = luigi.IntParameter(default=0, significant=False)

    def requires(self) -> FinalizeCorpus:
        return self.preprocessing()

    def output(self) -> luigi.LocalTarget:
        return luigi.LocalTarget(str(self.embedding_task_dir / EMBEDDINGS_DONE))

    def run(self) -> None:
        device = embedding_device(self.device)
        hear = cached_model(self.module, self.model_path, self.model_options, device)
        config = run_config(self.task_name, self.mode, self.small, self.work_dir, self.mirror)
        types = [config["embedding_type"]]
        require_valid(hear, device, types)
        embed_task(hear, Path(self.input().path), self.embedding_task_dir, device, self.batch_size or None,
                   num_workers=default_reader_workers(), model_threads=default_model_threads(hear, device, types))
        record_run(self.embeddings_dir, "embeddings", self.module, self.task_dir_name)


class PredictTask(ModuleTaskStage):
    grid = luigi.Parameter(default="default")
    grid_points = luigi.IntParameter(default=8)
    seed = luigi.IntParameter(default=42)
    seeds = luigi.IntParameter(default=1)
    search_every_fold = luigi.BoolParameter(default=False)
    stop_on_nan_score = luigi.BoolParameter(default=False)
    gpus = luigi.Parameter(default="", significant=False)

    def requires(self) -> EmbedTask:
        return EmbedTask(**self.pair_params())

    def output(self) -> luigi.LocalTarget:
        return luigi.LocalTarget(str(self.embedding_task_dir / PREDICTIONS_DONE))

    def run(self) -> None:
        with collector_paused():  # Lightning's import: only in a process that trains
            from heareval.predictions.train import task_predictions
        gpus = json.loads(self.gpus) if self.gpus else None
        task_predictions(self.embedding_task_dir, self.grid, self.grid_points, self.seed, gpus, seeds=self.seeds,
                         search_every_fold=self.search_every_fold, model_label=self.model_path,
                         stop_on_nan_score=self.stop_on_nan_score)
        record_run(self.embeddings_dir, "predictions", self.module, self.task_dir_name)


class EvaluateTask(PredictTask):
    bootstrap = luigi.IntParameter(default=0)
    confidence = luigi.FloatParameter(default=0.95)

    def requires(self) -> PredictTask:
        return PredictTask(**{name: getattr(self, name) for name, _ in PredictTask.get_params()})

    def complete(self) -> bool:
        """Scores newer than the predictions they score: predictions trained again are scored again."""
        scores, predictions = Path(self.output().path), self.embedding_task_dir / PREDICTIONS_DONE
        return scores.is_file() and predictions.is_file() and scores.stat().st_mtime >= predictions.stat().st_mtime

    def output(self) -> luigi.LocalTarget:
        """evaluation.json; with intervals, a file named by their settings, so that new settings run again."""
        name = f"evaluation.bootstrap{self.bootstrap}-{self.confidence:g}.json" if self.bootstrap else EVALUATION_FILE
        return luigi.LocalTarget(str(self.embedding_task_dir / name))

    def run(self) -> None:
        scores = evaluate_task(self.embedding_task_dir, bootstrap=self.bootstrap, confidence=self.confidence)
        write_json(self.output().path, scores, indent=2)
        record_run(self.embeddings_dir, "evaluation", self.module, self.task_dir_name)


@dataclass(frozen=True)
class BenchmarkSettings:
    """How `benchmark` runs the stages; each field has its command-line option's default."""

    until: str = "evaluation"
    small: bool = False
    mode: Optional[str] = None
    sample_rates: Optional[Sequence[int]] = None  # default: the modules' own rates
    work_dir: str = "_workdir"
    tasks_dir: str = "tasks"
    embeddings_dir: str = "embeddings"
    mirror: str = ""
    model_path: str = ""
    model_options: Optional[Dict[str, Any]] = None
    grid: str = "default"
    grid_points: int = 8
    seed: int = 42
    seeds: int = 1
    search_every_fold: bool = False
    stop_on_nan_score: bool = False
    device: str = ""
    gpus: str = ""
    num_workers: int = 1
    scheduler_host: Optional[str] = None
    scheduler_port: int = 8082
    bootstrap: int = 0
    confidence: float = 0.95
    verbose: bool = False


def benchmark(modules: Sequence[str], tasks: Sequence[str],
              settings: BenchmarkSettings = BenchmarkSettings()) -> Dict[str, Dict[str, Any]]:
    """Run the DAG up to `settings.until`; return {module: {task: evaluation}} (empty before the evaluation
    stage)."""
    if settings.until not in STAGES:
        raise UserError(f"--until {settings.until!r}: one of {', '.join(STAGES)}")
    if settings.grid not in GRIDS:
        raise UserError(f"unknown grid {settings.grid!r}; grids: {', '.join(GRIDS)}")
    gpu_ids = parse_gpus(settings.gpus) if settings.gpus else None
    if gpu_ids is not None and len(gpu_ids) > 1:
        raise UserError(f"--gpus {settings.gpus}: this runner trains on one GPU per process; for several GPUs run "
                        "one process per GPU (README, 'Several GPUs')")
    embedding_device(settings.device)  # CUDA asked of a machine without it: before any work
    check_writable(Path(settings.tasks_dir))
    check_writable(Path(settings.embeddings_dir))
    options_json = json.dumps(settings.model_options or {}, sort_keys=True)
    sample_rates = list(settings.sample_rates or [])
    if not sample_rates:
        rates = {module_sample_rate(module, settings.model_path, options_json) for module in modules}
        sample_rates = sorted(rates) if settings.until != "tasks" else list(DEFAULT_SAMPLE_RATES)
    if settings.small:
        for name in tasks:
            build_small_corpus(name, small_corpus_dir(settings.work_dir, name))
    for name in tasks:
        run_config(name, settings.mode or "", settings.small, settings.work_dir, settings.mirror)
    targets = stage_targets(modules, tasks, settings, sample_rates, json.dumps(gpu_ids) if gpu_ids is not None else "",
                            options_json)
    run_luigi(targets, settings.work_dir, settings.num_workers, settings.scheduler_host, settings.scheduler_port,
              settings.verbose)
    if settings.until != "evaluation":
        return {}
    results: Dict[str, Dict[str, Any]] = {}
    for target in targets:
        with open(target.output().path) as f:
            module = module_dir_name(target.module, settings.model_options)
            results.setdefault(module, {})[target.task_dir_name] = json.load(f)
    return results


def stage_targets(modules: Sequence[str], tasks: Sequence[str], settings: BenchmarkSettings,
                  sample_rates: List[int], gpus: str, options_json: str) -> List[luigi.Task]:
    """The Luigi tasks of the last stage to run, one per task (and module)."""
    threads = max(1, (os.cpu_count() or 1) // max(1, settings.num_workers))
    common = dict(sample_rates=sample_rates, small=settings.small, mode=settings.mode or "", mirror=settings.mirror,
                  tasks_dir=settings.tasks_dir, work_dir=settings.work_dir, threads=threads)
    if settings.until == "tasks":
        return [finalize_task(name, sample_rates, settings.tasks_dir, mode=settings.mode or "", small=settings.small,
                              work_dir=settings.work_dir, mirror=settings.mirror, threads=threads) for name in tasks]
    stage_class = {"embeddings": EmbedTask, "predictions": PredictTask, "evaluation": EvaluateTask}[settings.until]
    targets: List[luigi.Task] = []
    for module in modules:
        for name in tasks:
            params: Dict[str, Any] = dict(module=module, task_name=name, model_path=settings.model_path,
                                          model_options=options_json, embeddings_dir=settings.embeddings_dir,
                                          device=settings.device, **common)
            if settings.until != "embeddings":
                params.update(grid=settings.grid, grid_points=settings.grid_points, seed=settings.seed,
                              seeds=settings.seeds, gpus=gpus, search_every_fold=settings.search_every_fold,
                              stop_on_nan_score=settings.stop_on_nan_score)
            if settings.until == "evaluation":
                params.update(bootstrap=settings.bootstrap, confidence=settings.confidence)
            targets.append(stage_class(**params))
    return targets


@click.command()
@click.argument("modules", nargs=-1, required=True)
@click.option("--tasks", "task_names", default="all", show_default=True, help="all, or task names comma-separated.")
@click.option("--until", type=click.Choice(STAGES), default="evaluation", show_default=True)
@click.option("--small", is_flag=True, help="Use the built-in small synthetic stand-in corpora.")
@click.option("--mode", default=None, help="Task mode (default: each task's default).")
@click.option("--sample-rate", "sample_rates", multiple=True, help="Rates to preprocess (default: the modules' rates).")
@click.option("--work-dir", default="_workdir", show_default=True)
@click.option("--tasks-dir", default="tasks", show_default=True)
@click.option("--embeddings-dir", default="embeddings", show_default=True)
@click.option("--mirror", default="", help="Base URL or folder holding the archives under their upstream names.")
@click.option("--model", "model_path", default="", help="Weights file for the modules' load_model.")
@click.option("--model-options", default=None, help="JSON object of keyword arguments for load_model.")
@click.option("--grid", type=click.Choice(sorted(GRIDS)), default="default", show_default=True)
@click.option("--grid-points", type=click.IntRange(min=1), default=8, show_default=True)
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--seeds", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--search-every-fold", is_flag=True, help="k-fold tasks: grid search on every fold.")
@click.option("--stop-on-nan-score", is_flag=True, help="Stop a grid point at a NaN validation score, as the original.")
@click.option("--device", default="", help="Embedding device (default: cuda when available).")
@click.option("--gpus", default="", help="Training GPUs as for the predictions runner (default: automatic).")
@click.option("--num-workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Luigi worker processes on this machine.")
@click.option("--scheduler-host", default=None, help="Use a luigid central scheduler at this host.")
@click.option("--scheduler-port", type=int, default=8082, show_default=True)
@click.option("--output", default="evaluation_results.json", show_default=True)
@click.option("--table", "table_path", default=None, type=click.Path(path_type=Path))
@click.option("--bootstrap", default=0, show_default=True, type=click.IntRange(min=0),
              help="Resamples for each score's confidence interval, as for the evaluation runner.")
@click.option("--confidence", default=0.95, show_default=True,
              type=click.FloatRange(0, 1, min_open=True, max_open=True), help="Confidence level of the intervals.")
@click.option("--verbose", is_flag=True)
@report_user_errors
def main(modules: Sequence[str], task_names: str, until: str, small: bool, mode: Optional[str],
         sample_rates: Sequence[str], work_dir: str, tasks_dir: str, embeddings_dir: str, mirror: str,
         model_path: str, model_options: Optional[str], grid: str, grid_points: int, seed: int, seeds: int,
         search_every_fold: bool, stop_on_nan_score: bool, device: str, gpus: str, num_workers: int,
         scheduler_host: Optional[str], scheduler_port: int, output: str, table_path: Optional[Path],
         bootstrap: int, confidence: float, verbose: bool) -> None:
    """Run the four stages for MODULES x TASKS."""
    tasks = [t for part in task_names.split(",") for t in selected_tasks(part.strip())]
    rates = parse_rates(sample_rates) if sample_rates else None
    settings = BenchmarkSettings(
        until=until, small=small, mode=mode, sample_rates=rates, work_dir=work_dir, tasks_dir=tasks_dir,
        embeddings_dir=embeddings_dir, mirror=mirror, model_path=model_path,
        model_options=parse_model_options(model_options), grid=grid, grid_points=grid_points, seed=seed, seeds=seeds,
        search_every_fold=search_every_fold, stop_on_nan_score=stop_on_nan_score, device=device, gpus=gpus,
        num_workers=num_workers, scheduler_host=scheduler_host, scheduler_port=scheduler_port, bootstrap=bootstrap,
        confidence=confidence, verbose=verbose)
    results = benchmark(modules, list(dict.fromkeys(tasks)), settings)
    if results:
        publish(results, Path(output), table_path,
                reference=resolve_reference(None, result_task_names(results)))
    else:
        click.echo(f"done up to stage {until}", err=True)


if __name__ == "__main__":
    sys.exit(main())
