"""Event post-processing: frame probabilities to events per file, against a file-by-file reference."""

import numpy as np
import pytest
from scipy.ndimage import median_filter

from heareval.predictions.postprocess import file_frames, median_hops, predicted_events


def one_file_events(probabilities: np.ndarray, times: np.ndarray, labels: list, **params) -> list:
    return predicted_events(probabilities, {"f.wav": np.arange(len(times))}, times, labels, params)["f.wav"]


def test_postprocessing_turns_known_frames_into_events():
    times = np.arange(0, 2000, 50.0)
    probabilities = np.zeros((len(times), 2))
    probabilities[4:14, 0] = 0.9       # 200..650 ms: a 450 ms event
    probabilities[8, 0] = 0.1          # a one-frame gap the 250 ms median filter closes
    probabilities[20:22, 1] = 0.8      # 1000..1050 ms: too short for 125 ms
    probabilities[30:36, 1] = 0.7      # 1500..1750 ms
    events = one_file_events(probabilities, times, ["a", "b"], threshold=0.5, median_filter_ms=250,
                             min_duration=125)
    assert events == [{"label": "a", "start": 200.0, "end": 650.0}, {"label": "b", "start": 1500.0, "end": 1750.0}]
    names = ["y.wav"] * 3 + ["x.wav"] * 3
    frames = file_frames(names, np.array([100.0, 0.0, 50.0, 50.0, 0.0, 100.0]))
    assert [list(v) for v in frames.values()] == [[4, 3, 5], [1, 2, 0]] and list(frames) == ["x.wav", "y.wav"]
    params = {"threshold": 0.5, "median_filter_ms": 0, "min_duration": 0}
    result = predicted_events(np.ones((6, 1)), frames, np.array([100.0, 0.0, 50.0, 50.0, 0.0, 100.0]), ["a"], params)
    assert result == {"x.wav": [{"label": "a", "start": 0.0, "end": 100.0}],
                      "y.wav": [{"label": "a", "start": 0.0, "end": 100.0}]}


def reference_file_events(probabilities: np.ndarray, times: np.ndarray, labels: list, threshold: float,
                          median_filter_ms: float, min_duration: float) -> list:
    """One file at a time with scipy's median filter and a plain scan of each label's runs."""
    width = max(1, int(round(median_filter_ms / float(np.median(np.diff(times)))))) if len(times) > 1 else 1
    active = (probabilities > threshold).astype(np.uint8)
    if width > 1:
        active = median_filter(active, size=(width, 1), mode="nearest")
    events = []
    for label_index, label in enumerate(labels):
        run_start = None
        for row, on in enumerate(list(active[:, label_index]) + [0]):
            if on and run_start is None:
                run_start = row
            elif not on and run_start is not None:
                if times[row - 1] - times[run_start] >= min_duration:
                    events.append({"label": label, "start": float(times[run_start]), "end": float(times[row - 1])})
                run_start = None
    return sorted(events, key=lambda e: (e["start"], str(e["label"])))


@pytest.mark.parametrize("median_filter_ms", [0, 50, 100, 150, 200, 250, 300])
def test_vectorized_postprocessing_equals_scipy_file_by_file(median_filter_ms):
    rng = np.random.default_rng(median_filter_ms)
    names, times, lengths = [], [], {"a.wav": 1, "b.wav": 2, "c.wav": 57, "d.wav": 120, "e.wav": 33}
    for name, length in lengths.items():
        hop = 25.0 if name == "d.wav" else 50.0   # a file at another hop gets its own filter length
        names += [name] * length
        times += list(rng.permutation(np.arange(length) * hop))  # rows out of time order
    times = np.array(times)
    slow = np.repeat(rng.random((len(times) // 4 + 1, 3)), 4, axis=0)[:len(times)]  # runs of several frames
    probabilities = (rng.random((len(times), 3)) + slow) / 2
    frames = file_frames(names, times)
    params = {"threshold": 0.5, "median_filter_ms": median_filter_ms, "min_duration": 100}
    result = predicted_events(probabilities, frames, times, [0, "x", "y"], params)
    assert list(result) == sorted(lengths)
    for name, rows in frames.items():
        assert result[name] == reference_file_events(probabilities[rows], times[rows], [0, "x", "y"], **params)
    assert sum(len(events) for events in result.values()) > 10


def test_median_hops_equal_numpy_file_by_file():
    rng = np.random.default_rng(7)
    lengths = np.array([1, 2, 3, 4, 10, 1, 57])  # one frame (no step), odd and even step counts
    files = [np.sort(rng.choice(np.arange(0, 5000, 5.0), size=n, replace=False)) for n in lengths]
    expected = [float(np.median(np.diff(t))) if len(t) > 1 else 1.0 for t in files]
    np.testing.assert_array_equal(median_hops(np.concatenate(files), lengths), expected)
