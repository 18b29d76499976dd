"""DCASE metrics from frame-level scores (sed_scores_eval) against psds_eval and sed_eval, and the loading of
sed_scores_eval on every supported stack."""

import json
import subprocess
import sys

import numpy as np
import pytest

from heareval.score import available_scores, primary_value
from tests.score.test_classification import LABEL_TO_IDX, LABELS
from tests.score.test_events import assert_close, random_events


def frame_predictions(rng, targets, n_frames=400, hop_ms=50.0):
    """Noisy frame probabilities that follow the targets."""
    predictions = {}
    times = np.arange(n_frames) * hop_ms
    for f, events in targets.items():
        probabilities = rng.random((n_frames, len(LABELS))) * 0.4
        for e in events:
            inside = (times >= e["start"]) & (times <= e["end"])
            probabilities[inside, LABELS.index(e["label"])] += rng.uniform(0.3, 0.6)
        predictions[f] = {"timestamps": times.tolist(), "probabilities": np.clip(probabilities, 0, 1).tolist()}
    return predictions


def psds_eval_on_current_libraries(monkeypatch):
    """The reference library psds_eval 0.5 calls DataFrame.fillna(method="ffill"), which pandas 3 removed,
    and int() of a one-element 2-D array, which numpy 2 refuses: there it gets the same forward fill through
    ffill() and that element through a squeezed array."""
    import types

    import pandas as pd
    from psds_eval import psds as psds_module

    original = pd.DataFrame.fillna

    def fillna(self, value=None, *args, method=None, **kwargs):
        return self.ffill() if method == "ffill" else original(self, value, *args, **kwargs)

    if int(pd.__version__.split(".")[0]) >= 3:
        monkeypatch.setattr(pd.DataFrame, "fillna", fillna)
    if int(np.__version__.split(".")[0]) >= 2:
        numpy_for_psds_eval = types.SimpleNamespace(**{name: getattr(np, name) for name in dir(np)
                                                       if not name.startswith("__")})
        numpy_for_psds_eval.argwhere = lambda condition: np.argwhere(condition).squeeze()
        monkeypatch.setattr(psds_module, "np", numpy_for_psds_eval)


def test_psds_equals_psds_eval_at_dense_thresholds(monkeypatch):
    """sed_scores_eval's exact PSDS agrees with psds_eval evaluated at many operating points."""
    import pandas as pd
    from psds_eval import PSDSEval

    psds_eval_on_current_libraries(monkeypatch)

    from heareval.score.dcase import audio_id, merge_overlapping, score_dataframes

    rng = np.random.default_rng(3)
    files = [f"clip{i}.wav" for i in range(4)]
    targets = random_events(rng, files, 6, duration=18.0)
    predictions = frame_predictions(rng, targets)
    ours = primary_value(available_scores["psds1"](label_to_idx=LABEL_TO_IDX)(predictions, targets))

    ground_truth = pd.DataFrame([(audio_id(f), *event) for f, events in targets.items()
                                 for event in merge_overlapping([(e["start"] / 1000, e["end"] / 1000, e["label"])
                                                                 for e in events])],
                                columns=["filename", "onset", "offset", "event_label"])
    metadata = pd.DataFrame([(audio_id(f), 20.0) for f in files], columns=["filename", "duration"])
    psds = PSDSEval(dtc_threshold=0.7, gtc_threshold=0.7, cttc_threshold=0.3,  # unused: alpha_ct 0
                    ground_truth=ground_truth,
                    metadata=metadata)
    frames = score_dataframes(predictions, LABELS)
    for threshold in np.linspace(0.01, 0.99, 50):
        rows = []
        for key, frame in frames.items():
            for label in LABELS:
                active = frame[label].to_numpy() > threshold
                edges = np.diff(np.concatenate([[0], active.astype(int), [0]]))
                for start, stop in zip(np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]):
                    rows.append((key, frame["onset"].iloc[start], frame["offset"].iloc[stop - 1], label))
        detections = pd.DataFrame(rows, columns=["filename", "onset", "offset", "event_label"])
        psds.add_operating_point(detections)
    reference = psds.psds(alpha_ct=0.0, alpha_st=1.0, max_efpr=100).value
    assert 0.0 < ours <= 1.0
    assert ours == pytest.approx(reference, abs=0.03)


def test_dcase_f1_scores_are_named_and_bounded():
    rng = np.random.default_rng(4)
    targets = random_events(rng, ["a.wav", "b.wav"], 6, duration=18.0)
    predictions = frame_predictions(rng, targets)
    for name in ("psds2", "intersection_f1", "collar_f1"):
        value = available_scores[name](label_to_idx=LABEL_TO_IDX)(predictions, targets)
        assert 0.0 <= primary_value(value) <= 1.0


def thresholded_events(predictions, threshold=0.5):
    """Runs of frames above the threshold, with the frame edges sed_scores_eval uses (ms)."""
    from heareval.score.dcase import audio_id, score_dataframes

    frames = score_dataframes(predictions, LABELS)
    events = {}
    for f in predictions:
        frame = frames[audio_id(f)]
        events[f] = []
        for label in LABELS:
            edges = np.diff(np.concatenate([[0], (frame[label].to_numpy() > threshold).astype(int), [0]]))
            for start, stop in zip(np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]):
                events[f].append({"label": label, "start": frame["onset"].iloc[start] * 1000,
                                  "end": frame["offset"].iloc[stop - 1] * 1000})
    return events


@pytest.mark.parametrize("seed", range(4))
def test_collar_f1_equals_sed_eval_on_the_thresholded_events(seed):
    import sed_eval
    from dcase_util.containers import MetaDataContainer

    from heareval.score.dcase import merge_overlapping

    rng = np.random.default_rng(seed)
    targets = random_events(rng, [f"clip{i}.wav" for i in range(3)], 6, duration=18.0)
    targets = {f: [{"label": label, "start": a * 1000, "end": b * 1000} for a, b, label in
                   merge_overlapping([(e["start"] / 1000, e["end"] / 1000, e["label"]) for e in events])]
               for f, events in targets.items()}
    predictions = frame_predictions(rng, targets)
    ours = primary_value(available_scores["collar_f1"](label_to_idx=LABEL_TO_IDX)(predictions, targets))

    def container(events):
        return MetaDataContainer([{"event_label": e["label"], "event_onset": e["start"] / 1000,
                                   "event_offset": e["end"] / 1000, "file": f} for f, x in events.items() for e in x])

    reference, estimated = container(targets), container(thresholded_events(predictions))
    metrics = sed_eval.sound_event.EventBasedMetrics(event_label_list=LABELS, t_collar=0.2, percentage_of_length=0.2)
    for f in targets:
        metrics.evaluate(reference.filter(filename=f), estimated.filter(filename=f))
    assert_close(ours, metrics.results_class_wise_average_metrics()["f_measure"]["f_measure"])


def test_frame_scores_skip_classes_without_reference_events():
    rng = np.random.default_rng(5)
    targets = {f: [e for e in events if e["label"] != "c"]
               for f, events in random_events(rng, ["a.wav", "b.wav"], 8, duration=18.0).items()}
    predictions = frame_predictions(rng, targets)
    for name in ("psds1", "psds2", "intersection_f1", "collar_f1"):
        value = primary_value(available_scores[name](label_to_idx=LABEL_TO_IDX)(predictions, targets))
        assert 0.0 <= value <= 1.0, name


@pytest.mark.parametrize("seed", range(3))
def test_intersection_f1_equals_psds_eval_macro_f_score(seed):
    import pandas as pd
    from psds_eval import PSDSEval

    from heareval.score.dcase import audio_id, merge_overlapping

    rng = np.random.default_rng(seed)
    files = [f"clip{i}.wav" for i in range(3)]
    targets = random_events(rng, files, 6, duration=18.0)
    targets = {f: [{"label": label, "start": a * 1000, "end": b * 1000} for a, b, label in
                   merge_overlapping([(e["start"] / 1000, e["end"] / 1000, e["label"]) for e in events])]
               for f, events in targets.items()}
    predictions = frame_predictions(rng, targets)
    for frame in predictions.values():  # noise: false alarms and misses
        noisy = np.asarray(frame["probabilities"]) + rng.normal(0, 0.2, np.shape(frame["probabilities"]))
        frame["probabilities"] = np.clip(noisy, 0, 1).tolist()
    ours = primary_value(available_scores["intersection_f1"](label_to_idx=LABEL_TO_IDX)(predictions, targets))

    def table(events):
        return pd.DataFrame([(audio_id(f), e["start"] / 1000, e["end"] / 1000, e["label"])
                             for f, x in events.items() for e in x],
                            columns=["filename", "onset", "offset", "event_label"])

    psds = PSDSEval(dtc_threshold=0.5, gtc_threshold=0.5, cttc_threshold=0.3, ground_truth=table(targets),
                    metadata=pd.DataFrame([(audio_id(f), 20.0) for f in files], columns=["filename", "duration"]))
    _, per_class = psds.compute_macro_f_score(table(thresholded_events(predictions)))
    present = {e["label"] for events in targets.values() for e in events}
    assert_close(ours, float(np.mean([v for k, v in per_class.items() if k in present])))


SCORE_ONE_CASE = """
import json, sys
{block}
from heareval.score import dcase
predictions = {{"a.wav": {{"timestamps": [25.0 + 50.0 * i for i in range(40)],
                          "probabilities": [[0.9 if 10 <= i < 20 else 0.1, 0.2] for i in range(40)]}}}}
targets = {{"a.wav": [{{"start": 500.0, "end": 1000.0, "label": "dog"}}]}}
value = dcase.compute("collar_f1", {{"onset_collar": 0.2, "offset_collar": 0.2,
                                    "offset_collar_rate": 0.2, "threshold": 0.5}},
                      predictions, targets, ["dog", "cat"])
print(json.dumps({{"value": dict(value), "after": repr(sys.modules.get("pkg_resources", "absent"))}}))
"""


def score_in_a_fresh_process(block: str) -> dict:
    result = subprocess.run([sys.executable, "-c", SCORE_ONE_CASE.format(block=block)], capture_output=True,
                            text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_scores_are_the_same_where_pkg_resources_cannot_be_imported():
    """setuptools 81 and the venvs of Python 3.12+ have no pkg_resources, which dcase_util imports."""
    # librosa 0.9.2 (installed for hearbaseline) needs pkg_resources itself, librosa 0.10+ does not: it is loaded
    # first, then `import pkg_resources` fails
    without = score_in_a_fresh_process("import librosa\nsys.modules['pkg_resources'] = None")
    usual = score_in_a_fresh_process("")
    assert without["value"] == usual["value"]
    assert without["value"]["f_measure"] == 1.0
    assert without["after"] == "None"  # the import still fails after scoring: no stand-in is left behind
