"""What training needs to know about a task, resolved once, and how test probabilities become scores and
stored predictions: shared by the MLP's training and the probes (without importing Lightning)."""

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

from heareval.errors import UserError
from heareval.predictionformat import write_predictions
from heareval.predictions.data import SplitData
from heareval.predictions.grid import GridError, GridPoint, postprocessing_options, task_grid, unknown_evaluation_params
from heareval.predictions.postprocess import file_frames, predicted_events
from heareval.score import EVENT, SCENE, defined_mean_and_std, is_better, primary_value, scalar_scores
from heareval.taskformat import TASK_METADATA, TaskMetadata

logger = logging.getLogger(__name__)

# A validator maps validation probabilities to (score, details such as the chosen post-processing).
Validator = Callable[[np.ndarray], Tuple[float, Dict[str, Any]]]


@dataclass
class Setup:
    """Everything training needs about the task, resolved once."""

    task_dir: Path
    metadata: TaskMetadata
    labels: List[str]
    device: Any  # a torch.device where the MLP trains; None for the probes
    accelerator: str
    devices: Any
    deterministic: bool
    in_memory: bool
    stop_on_nan_score: bool = False
    primary: Any = None
    scores: list = field(default_factory=list)
    postprocessing: List[GridPoint] = field(default_factory=list)  # event tasks: the settings to choose from
    monitor_loss: bool = False  # early stopping on the validation loss (use_scoring_for_early_stopping: false)

    @property
    def is_event(self) -> bool:
        return self.metadata.is_event

    @property
    def multiclass(self) -> bool:
        return self.metadata.is_multiclass

    @property
    def monitor_maximize(self) -> bool:
        """Whether early stopping and model selection look for the highest validation value."""
        return not self.monitor_loss and self.primary.maximize


def make_validator(setup: Setup, data: SplitData, reference: Optional[Dict[str, Any]]) -> Validator:
    """The primary score of validation probabilities; for event tasks the best post-processing too."""
    primary = setup.primary
    if not setup.is_event:
        return lambda probabilities: (primary_value(primary(probabilities, data.targets)), {})
    frames = file_frames(data.filenames, data.timestamps)
    options = setup.postprocessing

    def validate(probabilities: np.ndarray) -> Tuple[float, Dict[str, Any]]:
        best: Tuple[float, Dict[str, Any]] = (math.nan, {"postprocessing": options[0]})
        for params in options:
            events = predicted_events(probabilities, frames, data.timestamps, setup.labels, params)
            score = primary_value(primary(events, reference))
            if is_better(score, best[0], primary.maximize):
                best = (score, {"postprocessing": params})
        return best

    return validate


def score_probabilities(setup: Setup, probabilities: np.ndarray, test: SplitData,
                        reference: Optional[Dict[str, Any]], details: Dict[str, Any]
                        ) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """(every task score of test probabilities, the stored predictions); event tasks use the post-processing
    chosen on validation (`details`)."""
    scores: Dict[str, Any] = {}
    stored: Dict[str, Any] = {"probabilities": probabilities, "targets": test.targets}
    if setup.is_event:
        frames = file_frames(test.filenames, test.timestamps)
        events = predicted_events(probabilities, frames, test.timestamps, setup.labels, details["postprocessing"])
        stored.update(events=events, filenames=np.array(test.filenames), timestamps=test.timestamps)
        predictions, targets = events, reference
    else:
        predictions, targets = probabilities, test.targets
    wanted = EVENT if setup.is_event else SCENE  # frame scores (PSDS) are the evaluation stage's
    for score in setup.scores:
        if score.kind != wanted:
            continue
        values = scalar_scores(score.name, score(predictions, targets), primary_part_too=True)
        scores.update({f"test_{key}": value for key, value in values.items()})
    scores["test_score"] = scores[f"test_{setup.primary.name}"]
    return scores, stored


def save_predictions(out_dir: Path, name: str, stored: Dict[str, Any], labels: List[str]) -> None:
    write_predictions(out_dir, name, {k: v for k, v in stored.items() if k != "events"}, labels,
                      stored.get("events"))


def training_rules(task_dir: Path, metadata: TaskMetadata, grid: Dict[str, List[Any]]
                   ) -> Tuple[Dict[str, List[Any]], List[GridPoint], bool]:
    """What the task's metadata asks of training, as the original kit read it: (the grid to search, the
    event post-processing settings, whether early stopping watches the validation loss)."""
    where = task_dir / TASK_METADATA
    try:
        searched = task_grid(grid, metadata)
        postprocessing = postprocessing_options(metadata)
    except GridError as error:
        raise UserError(f"{where}: {error}") from None
    for key in unknown_evaluation_params(metadata):
        logger.warning("%s: evaluation_params.%s is not used by training (the original ignored it too)", where, key)
    monitor_loss = not metadata.use_scoring_for_early_stopping
    if monitor_loss and metadata.is_event and len(postprocessing) != 1:
        raise UserError(f"{where}: use_scoring_for_early_stopping false needs a single event post-processing "
                        f"setting, but the grid has {len(postprocessing)}")
    return searched, postprocessing, monitor_loss


def aggregated_scores(fold_reports: List[Dict[str, Any]]) -> Dict[str, float]:
    """k-fold tasks, the original's keys: mean and std over folds of every numeric fold value."""
    keys = [k for k, v in fold_reports[0].items() if isinstance(v, (int, float))]
    over_folds = {k: defined_mean_and_std([report[k] for report in fold_reports]) for k in keys}
    return {f"{k}_{stat}": over_folds[k][stat] for k in keys for stat in ("mean", "std")}
