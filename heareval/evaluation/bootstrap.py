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
    that entry's interval; an entry that is NaN on every resample gets (NaN, NaN)."""
    rng = np.random.default_rng(seed)
    draws = (tqdm(range(resamples), desc=description, unit="resample", leave=False, mininterval=1.0)
             if resamples >= 100 else range(resamples))
    values = np.array([statistic([rng.integers(0, n, n) for n in sizes]) for _ in draws], dtype=float)
    tail = (1.0 - confidence) / 2.0 * 100.0
    intervals = []
    for column in values.T:
        finite = column[np.isfinite(column)]
        low, high = np.percentile(finite, [tail, 100.0 - tail]) if len(finite) else (np.nan, np.nan)
        intervals.append((float(low), float(high)))
    return intervals
