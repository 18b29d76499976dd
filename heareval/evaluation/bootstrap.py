"""Percentile bootstrap confidence intervals: how much a test score could move on another test set
drawn like this one (Efron and Tibshirani, "An Introduction to the Bootstrap", 1993, ch. 13)."""

from typing import Callable, List, Sequence, Tuple

import numpy as np
from tqdm import tqdm

Statistic = Callable[[List[np.ndarray]], np.ndarray]


def percentile_intervals(statistic: Statistic, sizes: Sequence[int], resamples: int, confidence: float,
                         seed: int = 0, description: str = "bootstrap") -> List[Tuple[float, float]]:
    """An interval per entry of `statistic`'s output. Each resample draws, with replacement, as many
    indices as each group has (groups, such as k-fold test folds, are drawn independently) and passes
    one index array per group. A resample whose value is NaN (say, no event predicted) is left out of
    that entry's interval; an entry that is NaN on every resample gets (NaN, NaN). Infinite values (d')
    are kept."""
    rng = np.random.default_rng(seed)
    draws = (tqdm(range(resamples), desc=description, unit="resample", leave=False, mininterval=1.0)
             if resamples >= 100 else range(resamples))
    values = np.array([statistic([rng.integers(0, n, n) for n in sizes]) for _ in draws], dtype=float)
    tail = (1.0 - confidence) / 2.0
    intervals = []
    for column in values.T:
        defined = np.sort(column[~np.isnan(column)])
        intervals.append((quantile(defined, tail), quantile(defined, 1.0 - tail)) if len(defined)
                         else (np.nan, np.nan))
    return intervals


def quantile(ordered: np.ndarray, level: float) -> float:
    """np.quantile's linear interpolation on sorted values, except that an infinite neighbour (the d' of
    a class separated perfectly) gives an infinite end where np.quantile gives NaN."""
    position = level * (len(ordered) - 1)
    below, above = ordered[int(np.floor(position))], ordered[int(np.ceil(position))]
    if below == above or np.isinf(below):
        return float(below)
    if np.isinf(above):
        return float(above)
    return float(below + (above - below) * (position - np.floor(position)))
