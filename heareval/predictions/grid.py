"""Hyperparameter grids (data, not code) and seeded sampling of grid points."""

import itertools
import random
from typing import Any, Dict, List

from heareval.taskformat import TaskMetadata

GridPoint = Dict[str, Any]

# The grid HEAR 2021 used in the end.
DEFAULT_GRID: Dict[str, List[Any]] = {
    "hidden_layers": [1, 2],
    "hidden_dim": [1024],
    "dropout": [0.1],
    "lr": [3.2e-3, 1e-3, 3.2e-4, 1e-4],
    "patience": [20],
    "max_epochs": [500],
    "check_val_every_n_epoch": [3],
    "batch_size": [1024],
    "hidden_norm": ["batchnorm"],
    "initialization": ["xavier_uniform", "xavier_normal"],
}

# fast and faster are the original kit's (heareval 2021.1.3) quick grids, unchanged.
GRIDS: Dict[str, Dict[str, List[Any]]] = {
    "default": DEFAULT_GRID,
    "fast": {**DEFAULT_GRID, "max_epochs": [10, 50], "check_val_every_n_epoch": [3, 10]},
    "faster": {**DEFAULT_GRID, "hidden_layers": [0, 1], "hidden_dim": [64, 128], "patience": [1, 3],
               "max_epochs": [10], "check_val_every_n_epoch": [1]},
}

# Event post-processing chosen on validation (HEAR 2021: median filter 250 ms, minimum 125 or 250 ms), with
# the original kit's parameter names; a task's evaluation_params.event_postprocessing_grid replaces it.
EVENT_POSTPROCESSING_GRID: Dict[str, List[Any]] = {
    "median_filter_ms": [250],
    "min_duration": [125, 250],
}
# What a post-processing grid leaves out takes the original's defaults (create_events_from_prediction).
POSTPROCESSING_DEFAULTS: Dict[str, Any] = {"threshold": 0.5, "median_filter_ms": 150, "min_duration": 60.0}

# The original kit's TASK_SPECIFIC_PARAM_GRID: overrides of every grid for a task, by task name.
TASK_GRIDS: Dict[str, Dict[str, List[Any]]] = {
    "dcase2016_task2": {"check_val_every_n_epoch": [10]},  # its event scoring is slow
}
# The keys of task_metadata.json's evaluation_params that training reads.
EVALUATION_PARAMS = ("task_specific_param_grid", "event_postprocessing_grid")


class GridError(ValueError):
    """A task's evaluation_params that training cannot follow."""


def evaluation_params(metadata: TaskMetadata) -> Dict[str, Any]:
    """The task's evaluation_params, checked: its grids must be {known parameter: non-empty list}."""
    params = metadata.evaluation_params
    for name, known in (("task_specific_param_grid", DEFAULT_GRID), ("event_postprocessing_grid",
                                                                     POSTPROCESSING_DEFAULTS)):
        grid = params.get(name, {})
        if not isinstance(grid, dict):
            raise GridError(f"evaluation_params.{name} must be an object, not {grid!r}")
        for key, values in grid.items():
            if key not in known:
                raise GridError(f"evaluation_params.{name} names {key!r}, which training does not know; "
                                f"known: {', '.join(sorted(known))}")
            if not isinstance(values, list) or not values:
                raise GridError(f"evaluation_params.{name}.{key} must be a non-empty list, not {values!r}")
    return params


def unknown_evaluation_params(metadata: TaskMetadata) -> List[str]:
    """evaluation_params keys that training ignores (as the original did)."""
    return sorted(set(metadata.evaluation_params) - set(EVALUATION_PARAMS))


def task_grid(grid: Dict[str, List[Any]], metadata: TaskMetadata) -> Dict[str, List[Any]]:
    """The grid a task searches: the chosen grid, updated by the task's entry in TASK_GRIDS, then by its
    evaluation_params.task_specific_param_grid, in the original's order."""
    return {**grid, **TASK_GRIDS.get(metadata.task_name, {}),
            **evaluation_params(metadata).get("task_specific_param_grid", {})}


def postprocessing_options(metadata: TaskMetadata) -> List[GridPoint]:
    """The event post-processing settings validation chooses from, in ParameterGrid order."""
    return expand(evaluation_params(metadata).get("event_postprocessing_grid", EVENT_POSTPROCESSING_GRID))


def expand(grid: Dict[str, List[Any]]) -> List[GridPoint]:
    keys = sorted(grid)
    return [dict(zip(keys, values)) for values in itertools.product(*(grid[k] for k in keys))]


def sample_grid(grid: Dict[str, List[Any]], points: int, seed: int) -> List[GridPoint]:
    """`points` distinct grid points in a seeded random order (all of them if the grid is smaller)."""
    everything = expand(grid)
    random.Random(seed).shuffle(everything)
    return everything[:points]


def training_key(hp: GridPoint) -> tuple:
    """What decides how a grid point trains. Without hidden layers, hidden_dim, hidden_norm and dropout act
    on nothing: the `faster` grid's linear points that differ only there train identically."""
    ignored = {"hidden_dim", "hidden_norm", "dropout"} if hp["hidden_layers"] == 0 else set()
    return tuple(sorted((key, value) for key, value in hp.items() if key not in ignored))


def first_with_same_training(points: List[GridPoint]) -> List[int]:
    """For each point, the index of the first point that trains identically (its own index if none before it
    does): a search trains each distinct point once."""
    first: Dict[tuple, int] = {}
    return [first.setdefault(training_key(hp), i) for i, hp in enumerate(points)]
