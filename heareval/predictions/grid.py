"""Hyperparameter grids (data, not code) and seeded sampling of grid points."""

import itertools
import random
from typing import Any, Dict, List

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

# Event post-processing chosen on validation (HEAR 2021: median filter 250 ms, minimum 125 or 250 ms).
EVENT_POSTPROCESSING_GRID: Dict[str, List[Any]] = {
    "median_filter_ms": [250],
    "min_duration_ms": [125, 250],
    "threshold": [0.5],
}


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
