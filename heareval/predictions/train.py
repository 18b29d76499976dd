"""Grid search, model selection and test predictions for one embedding task folder."""

import contextlib
import gc
import logging
import math
import shutil
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import lightning as L
import numpy as np
import torch
from lightning.pytorch.loggers import CSVLogger
from torch import nn
from tqdm import tqdm

from heareval.atomic import atomic_path, remove_path, write_json
from heareval.cost import measure_cost
from heareval.embeddingformat import timestamps_file
from heareval.errors import UserError
from heareval.predictionformat import (
    BEST_MODEL_CONFIG,
    COST,
    DONE_MARKER,
    GRID_POINTS,
    LOGS,
    OUTPUT_PATTERNS,
    SCORES,
    Arrangement,
    arrangements,
)
from heareval.predictions.bundle import PredictorBundle
from heareval.predictions.data import SplitData, concatenate, fold_buffer, load_split
from heareval.predictions.devices import resolve_device
from heareval.predictions.grid import (
    GRIDS,
    GridPoint,
    first_with_same_training,
    sample_grid,
)
from heareval.predictions.memory import MemoryLedger, why_not_in_memory
from heareval.predictions.model import (
    TensorBatches,
    as_probabilities,
    loss_function,
    predict_logits,
    side_by_side,
)
from heareval.predictions.setup import (
    Setup,
    aggregated_scores,
    make_validator,
    save_predictions,
    score_probabilities,
    training_rules,
)
from heareval.score import defined_mean_and_std, is_better, score_function
from heareval.taskformat import (
    TASK_METADATA,
    TaskMetadata,
    label_vocabulary,
    load_task_metadata,
    read_events,
    split_labels_file,
)

logger = logging.getLogger(__name__)


def as_targets(data: SplitData, multiclass: bool, device: torch.device) -> torch.Tensor:
    if multiclass:
        return torch.from_numpy(data.targets.argmax(axis=1)).long().to(device)
    return torch.from_numpy(data.targets).to(device)


def as_inputs(data: SplitData, setup: Setup) -> Any:
    if setup.in_memory:
        return torch.from_numpy(np.asarray(data.embeddings, dtype=np.float32)).to(setup.device)
    return data.embeddings


@dataclass
class FitResult:
    hparams: GridPoint
    seed: int
    validation_score: float
    best_epoch: int
    epochs_trained: int
    seconds: float  # from the start of the side-by-side fit until this point stopped
    details: Dict[str, Any]
    model: Optional[nn.Module]  # the network with its best check's weights


@contextlib.contextmanager
def quiet_lightning() -> Iterator[None]:
    """Lightning without its banners at every fit (GPUs found, tips) and without warnings that do not apply
    to batches sliced from tensors; its loggers' levels are restored afterwards."""
    loggers = [logging.getLogger(name) for name in ("lightning.pytorch", "lightning.fabric")]
    levels = [logger.level for logger in loggers]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", ".*does not have many workers.*")
        warnings.filterwarnings("ignore", ".*Total length of `.*` across ranks is zero.*")
        warnings.filterwarnings("ignore", ".*is an invalid configuration.*")
        warnings.filterwarnings("ignore", ".*treespec.*")
        for logger in loggers:
            logger.setLevel(max(logger.getEffectiveLevel(), logging.WARNING))
        try:
            yield
        finally:
            for logger, level in zip(loggers, levels):
                logger.setLevel(level)


def fit(setup: Setup, points: List[GridPoint], train: SplitData, valid: SplitData,
        reference: Optional[Dict[str, Any]], seed: int, log_dir: Path, log_name: str, names: List[str],
        on_stop: Optional[Callable[[int, float], None]] = None) -> List[FitResult]:
    """Train grid points side by side on the same batches, each with early stopping on the primary
    validation score (or the validation loss, where the task asks for it); one result per point, in order."""
    L.seed_everything(seed, workers=False, verbose=False)
    loss_targets = as_targets(valid, setup.multiclass, setup.device) if setup.monitor_loss else None
    loss_details = {"postprocessing": setup.postprocessing[0]} if setup.is_event else {}
    bundle = PredictorBundle(train.embeddings.shape[1], len(setup.labels), setup.multiclass, points, seed,
                             setup.monitor_maximize, as_inputs(valid, setup), make_validator(setup, valid, reference),
                             setup.stop_on_nan_score, names, on_stop, loss_targets, loss_details)
    batches = TensorBatches(as_inputs(train, setup), as_targets(train, setup.multiclass, setup.device),
                            points[0]["batch_size"], seed, setup.device)
    with quiet_lightning():
        trainer = L.Trainer(max_epochs=max(hp["max_epochs"] for hp in points),
                            check_val_every_n_epoch=math.gcd(*(hp["check_val_every_n_epoch"] for hp in points)),
                            accelerator=setup.accelerator, devices=setup.devices, deterministic=setup.deterministic,
                            logger=CSVLogger(str(log_dir), name="", version=log_name),
                            enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                            num_sanity_val_steps=0, log_every_n_steps=1)
        trainer.fit(bundle, train_dataloaders=batches, val_dataloaders=[0])
    results = [FitResult(member.hp, seed, member.best_score, member.best_epoch,
                         member.epochs_trained or trainer.current_epoch, member.seconds, member.best_details,
                         bundle.best_network(i)) for i, member in enumerate(bundle.members)]
    # The trainer holds the optimizer's state, and on a GPU validation_x is a device copy of the validation
    # set: the kept networks hold neither.
    bundle.validation_x = None
    return results


def test_scores(setup: Setup, result: FitResult, test: SplitData, reference: Optional[Dict[str, Any]]
                ) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """(every task score on the test split and its loss, the stored predictions)."""
    logits = predict_logits(result.model, as_inputs(test, setup), setup.device)
    probabilities = as_probabilities(logits, setup.multiclass).numpy()
    loss = float(loss_function(setup.multiclass)(logits, as_targets(test, setup.multiclass, torch.device("cpu"))))
    scores, stored = score_probabilities(setup, probabilities, test, reference, result.details)
    return {"test_loss": loss, **scores}, stored


def clean_previous_outputs(task_dir: Path) -> None:
    """An interrupted run may leave some outputs: remove them so the task restarts cleanly."""
    for pattern in OUTPUT_PATTERNS:
        for path in task_dir.glob(pattern):
            remove_path(path)


def grid_search(setup: Setup, points: List[GridPoint], train: SplitData, valid: SplitData,
                reference: Optional[Dict[str, Any]], seed: int, log_dir: Path, split: str, desc: str,
                progress: bool) -> Tuple[List[FitResult], List[Dict[str, Any]]]:
    """Every grid point's result on one split, and its record for grid-points.json.

    Narrow points train side by side (model.side_by_side); a point that trains as an earlier one takes that
    one's result; only the leading point keeps its network, so memory stays flat."""
    trained_as = first_with_same_training(points)
    distinct = [i for i, first in enumerate(trained_as) if first == i]
    by_index: Dict[int, FitResult] = {}
    bar = tqdm(total=len(distinct), desc=f"{desc} grid", unit="point", leave=False, disable=not progress)

    def stopped(_: int, score: float) -> None:
        bar.update()
        bar.set_postfix(val=f"{score:.4f}")

    for group in side_by_side([points[i] for i in distinct], train.embeddings.shape[1], len(setup.labels)):
        group = [distinct[j] for j in group]
        fits = fit(setup, [points[i] for i in group], train, valid, reference, seed, log_dir,
                   f"{split}-gridpoints" + "-".join(f"{i:02d}" for i in group), [f"gridpoint{i:02d}" for i in group],
                   stopped)
        by_index.update(zip(group, fits))
        trained = [by_index[i] for i in sorted(by_index)]
        leader = select_best(trained, setup.monitor_maximize)
        for other in trained:
            if other is not leader:
                other.model = None
        gc.collect()
    bar.close()
    results = [by_index[i] if first == i else replace(by_index[first], hparams=points[i], model=None)
               for i, first in enumerate(trained_as)]
    records = [{"split": split, "grid_point": i, "hparams": result.hparams, "validation_score": result.validation_score,
                "best_epoch": result.best_epoch, "epochs_trained": result.epochs_trained, "seconds": result.seconds,
                "postprocessing": result.details.get("postprocessing"),
                "same_training_as": None if trained_as[i] == i else trained_as[i]}
               for i, result in enumerate(results)]
    return results, records


@dataclass
class LoadedTask:
    """A task's embeddings, arrangements and reference events, as training reads them."""

    metadata: TaskMetadata
    labels: List[str]
    data: Dict[str, SplitData]
    layout: List[Arrangement]
    training_sets: Optional[np.ndarray]
    events: Dict[str, Any]
    in_memory: bool


def load_task(task_dir: Path, metadata: TaskMetadata, labels: List[str], device: torch.device, in_memory: bool,
              memory_ledger: Optional[MemoryLedger]) -> LoadedTask:
    """Every split's embeddings (in memory when they fit, else memmapped) and, for event tasks, their
    reference events.

    memory_ledger, whose lock is held from the memory check until the embeddings are loaded (and a k-fold
    task's training copy is made), lets processes that train side by side (--jobs) load one at a time, so
    each sees the memory the others have taken."""
    with memory_ledger.lock if memory_ledger else contextlib.nullcontext():
        taken_elsewhere = memory_ledger.taken_by_others() if memory_ledger else 0
        too_large = why_not_in_memory(task_dir, metadata, device, taken_elsewhere) if in_memory else None
        if too_large:
            logger.warning("%s: %s; batches are read from the memmap on disk instead (slower; --memmap does this "
                           "for every task)", task_dir.name, too_large)
            in_memory = False
        with ThreadPoolExecutor(min(4, len(metadata.splits))) as pool:  # reading pages releases the GIL
            loaded = pool.map(lambda split: load_split(task_dir, split, in_memory), metadata.splits)
            data = dict(zip(metadata.splits, loaded))
        layout = arrangements(metadata)
        training_sets = fold_buffer([[data[s] for s in arrangement.train] for arrangement in layout])
        if memory_ledger:
            memory_ledger.hold(sum(split.embeddings.nbytes for split in data.values()) if in_memory else 0)
    events = {split: read_events(task_dir / split_labels_file(split), labels)  # the splits' reference events
              for split in metadata.splits} if metadata.is_event else {}
    for split, reference in events.items():
        strangers = set(data[split].filenames) - set(reference)
        if strangers:  # its frames' events would all count as false
            raise UserError(f"{task_dir / timestamps_file(split)}: file {sorted(strangers)[0]!r} is "
                            f"not in the task's {split_labels_file(split)}")
    return LoadedTask(metadata, labels, data, layout, training_sets, events, in_memory)


@dataclass
class ArrangementResult:
    """One arrangement's scores report, the grid point its models used and the grid search's records."""

    report: Dict[str, Any]
    hparams: GridPoint
    grid_records: List[Dict[str, Any]]
    postprocessing: List[Tuple[str, Any]]


def train_arrangement(setup: Setup, task: LoadedTask, arrangement: Arrangement, points: List[GridPoint],
                      chosen: Optional[GridPoint], seed: int, seeds: int, out: Path,
                      progress: bool) -> ArrangementResult:
    """Train on one arrangement: a grid search unless `chosen` gives the grid point, then a final model per
    further seed; each scored on the test split, the first seed's predictions saved to `out`."""
    task_dir, labels = setup.task_dir, task.labels
    train = concatenate([task.data[s] for s in arrangement.train], "train", task.training_sets)
    if len(train.targets) < 2:  # a batch of one row cannot be normalized (BatchNorm)
        raise UserError(f"{task_dir.name} ({arrangement.name}): {len(train.targets)} training row; "
                        "at least 2 are needed")
    missing = [labels[i] for i in np.nonzero(train.targets.sum(axis=0) == 0)[0]]
    if missing:
        logger.warning("%s (%s): no training example for class(es) %s; they can never be predicted "
                       "well and are reported in the scores file", task_dir.name, arrangement.name, missing)
    valid, test = task.data[arrangement.valid], task.data[arrangement.test]
    reference_valid, reference_test = task.events.get(arrangement.valid), task.events.get(arrangement.test)
    searched: Optional[FitResult] = None
    records: List[Dict[str, Any]] = []
    if chosen is None:
        results, records = grid_search(setup, points, train, valid, reference_valid, seed, out / LOGS,
                                       arrangement.name, f"{task_dir.name} {arrangement.name}", progress)
        searched = select_best(results, setup.monitor_maximize)
        chosen = searched.hparams
    runs: List[Tuple[Dict[str, Any], Dict[str, Any], FitResult]] = []
    for repeat in range(seeds):
        run_seed = seed + repeat
        result = searched if (repeat == 0 and searched is not None) else fit(
            setup, [chosen], train, valid, reference_valid, run_seed, out / LOGS,
            f"{arrangement.name}-final-seed{run_seed}", ["final"])[0]
        scores, stored = test_scores(setup, result, test, reference_test)
        result.model = None
        runs.append((scores, stored, result))
    first_scores, first_stored, first = runs[0]
    save_predictions(out, arrangement.name, first_stored, labels)
    report = {**first_scores, "validation_score": first.validation_score, "epoch": first.best_epoch,
              "time_in_min": first.seconds / 60.0}
    if seeds > 1:
        report["seeds"] = {str(result.seed): scores for scores, _, result in runs}
        report["seed_summary"] = {key: defined_mean_and_std([s[key] for s, _, _ in runs]) for key in first_scores}
    if missing:
        report["classes_without_training_examples"] = missing
    return ArrangementResult(report, chosen, records, sorted(first.details.get("postprocessing", {}).items()))


def publish_outputs(task_dir: Path, finished: Path, cost: Dict[str, Any], done: Dict[str, Any]) -> None:
    """Move the finished outputs into the task folder, then write the cost and, last, the done marker."""
    for path in finished.iterdir():
        target = task_dir / path.name
        remove_path(target)
        shutil.move(str(path), str(target))
    remove_path(finished)
    write_json(task_dir / COST, cost, indent=2)
    write_json(task_dir / DONE_MARKER, done)


def task_predictions(task_dir: Path, grid: str = "default", grid_points: int = 8, seed: int = 42,
                     gpus: Optional[Sequence[int]] = None, deterministic: bool = True, in_memory: bool = True,
                     seeds: int = 1, search_every_fold: bool = False, model_label: str = "",
                     progress: bool = True, stop_on_nan_score: bool = False,
                     memory_ledger: Optional[MemoryLedger] = None) -> Optional[Dict]:
    """Train, select and score one task; write its outputs. None if it was already done.

    With memory_ledger (see load_task), this task's mapped embeddings stay in it until the caller releases
    them."""
    task_dir = Path(task_dir)
    if (task_dir / DONE_MARKER).is_file():
        return None
    if grid not in GRIDS:
        raise UserError(f"unknown grid {grid!r}; grids: {', '.join(GRIDS)}")
    if seeds < 1 or grid_points < 1:
        raise UserError("--seeds and --grid-points must be at least 1")
    clean_previous_outputs(task_dir)
    metadata = load_task_metadata(task_dir)
    device, accelerator, devices = resolve_device(gpus)
    labels = label_vocabulary(task_dir)
    label_to_idx = {label: i for i, label in enumerate(labels)}
    evaluation = list(metadata.evaluation)
    if not evaluation:
        raise UserError(f"{task_dir / TASK_METADATA} lists no evaluation scores")
    searched_grid, postprocessing, monitor_loss = training_rules(task_dir, metadata, GRIDS[grid])
    task = load_task(task_dir, metadata, labels, device, in_memory, memory_ledger)
    setup = Setup(task_dir, metadata, labels, device, accelerator, devices, deterministic, task.in_memory,
                  stop_on_nan_score=stop_on_nan_score, primary=score_function(evaluation[0], label_to_idx),
                  scores=[score_function(name, label_to_idx) for name in evaluation],
                  postprocessing=postprocessing, monitor_loss=monitor_loss)
    points = sample_grid(searched_grid, grid_points, seed)
    report: Dict[str, Any] = {"score_mode": "max" if setup.monitor_maximize else "min",
                              "embedding_path": str(task_dir), "model": model_label}
    grid_records: List[Dict[str, Any]] = []
    with measure_cost("predictions", device=str(device)) as cost, atomic_path(task_dir / ".outputs") as out:
        out.mkdir()
        chosen: Optional[GridPoint] = None
        fold_reports: Dict[str, Any] = {}
        for arrangement in task.layout:
            result = train_arrangement(setup, task, arrangement, points, None if search_every_fold else chosen,
                                       seed, seeds, out, progress)
            chosen = result.hparams
            grid_records += result.grid_records
            fold_reports[arrangement.name] = result.report
            report.setdefault("postprocessing", result.postprocessing)
            report["hparams"] = {k: v for k, v in chosen.items()}
        report.update(fold_reports)
        if len(task.layout) > 1:
            report["aggregated_scores"] = aggregated_scores([fold_reports[a.name] for a in task.layout])
        write_json(out / SCORES, report)
        write_json(out / BEST_MODEL_CONFIG, chosen)
        write_json(out / GRID_POINTS, grid_records)
    cost.update(task=task_dir.name, grid=grid, grid_points=len(points), device=str(device),
                embeddings="in memory" if task.in_memory else "memmap")
    publish_outputs(task_dir, task_dir / ".outputs", cost,
                    {"time": cost["wall_seconds"], "embedding_path": str(task_dir), "grid": grid,
                     "grid_points": len(points), "device": str(device), "stop_on_nan_score": stop_on_nan_score,
                     "gpu_max_mem": cost["peak_gpu_memory_mb"]})
    return report


def select_best(results: List[FitResult], maximize: bool) -> FitResult:
    """The grid point with the best validation score (ties: the earlier point)."""
    best = results[0]
    for result in results[1:]:
        if is_better(result.validation_score, best.validation_score, maximize):
            best = result
    return best
